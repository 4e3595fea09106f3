#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CTenon
import TenonABI

/// One `dlopen` handle of a plugin shared object.
///
/// Lifetime is explicit: `deinit` does **not** call `dlclose`. Unmapping a
/// plugin is only safe after the pipeline's quiescence barrier, so it must be
/// a deliberate ``close()`` by the unload path; a forgotten handle merely
/// leaks a mapping, an accidental unmap crashes a CPU thread later.
///
/// Not `Sendable`: the handle's state (open/closed) belongs to the control
/// thread that loads and unloads plugins.
package final class DynamicImage {
    /// The canonical path passed to `dlopen` (`realpath` of the given path),
    /// which is also how the file appears in `/proc/self/maps`.
    package let path: String
    /// Opened with `RTLD_NODELETE`: ``close()`` drops the reference but glibc
    /// never unmaps the image ("retired" plugins, see ``ELFImage/mustRetire``).
    package let isRetained: Bool
    /// The `dlopen` handle; nil after ``close()``.
    package private(set) var handle: UnsafeMutableRawPointer?
    /// The sealed copy this image was opened from (``open(_:copy:)``), nil
    /// when opened by path. Its descriptor must outlive the mapping.
    package let copy: PrivateImage?
    /// The page-aligned address range the loader mapped the image at (all
    /// its `PT_LOAD` segments and the gaps between them), recorded at open
    /// so that ``isUnmapped()`` can probe it after ``close()``; nil if the
    /// loader did not list the object (then only `/proc/self/maps` can tell).
    package let span: Range<UInt>?

    /// `dlopen(path, RTLD_NOW | RTLD_LOCAL [| RTLD_NODELETE])`.
    ///
    /// - `RTLD_NOW`: unresolved symbols fail here, at load, not later inside a
    ///   handler running in a signal frame.
    /// - `RTLD_LOCAL`: one plugin's symbols never satisfy another's.
    /// - `RTLD_NODELETE` when `retain` is true, so an image that must never be
    ///   unmapped cannot be unmapped by accident (a stray extra dlclose).
    ///
    /// Prefer ``open(_:)`` with a validated ``ELFImage``, which decides `retain`.
    ///
    /// - Throws: ``PluginError/notAFile(path:reason:)`` if the path cannot be
    ///   resolved, ``PluginError/dlopenFailed(path:message:)`` with `dlerror()`.
    package init(path: String, retain: Bool) throws(PluginError) {
        // Resolve first: a path without "/" would make dlopen search
        // LD_LIBRARY_PATH and the system directories instead of the file meant.
        guard let resolved = realpath(path, nil) else {
            throw .notAFile(path: path, reason: String(cString: strerror(errno)).lowercased())
        }
        let canonical = String(cString: resolved)
        free(resolved)
        _ = dlerror()  // clear a stale message so the one we report is ours
        let flags = RTLD_NOW | RTLD_LOCAL | (retain ? RTLD_NODELETE : 0)
        guard let handle = dlopen(canonical, flags) else {
            throw .dlopenFailed(path: canonical, message: DynamicImage.lastError())
        }
        self.path = canonical
        self.isRetained = retain
        self.handle = handle
        self.copy = nil
        self.span = DynamicImage.span(of: handle)
    }

    /// `dlopen`s the sealed copy `copy` through a name of its own
    /// (``PrivateImage/withLoaderPath(_:)``; same flags as
    /// ``init(path:retain:)``); ``path`` is the copy's source path.
    ///
    /// - Throws: ``PluginError/dlopenFailed(path:message:)``; also when the
    ///   loader already holds an object of that name (a descriptor number
    ///   reused while an older image stayed mapped), which would be returned
    ///   instead of the copy.
    package init(copy: PrivateImage, retain: Bool) throws(PluginError) {
        let flags = RTLD_NOW | RTLD_LOCAL | (retain ? RTLD_NODELETE : 0)
        let handle = try copy.withLoaderPath { name throws(PluginError) -> UnsafeMutableRawPointer in
            if DynamicImage.isLoaded(name) {
                throw .dlopenFailed(path: copy.sourcePath, message: "\(name) already names a loaded object")
            }
            _ = dlerror()
            guard let handle = dlopen(name, flags) else {
                throw .dlopenFailed(path: copy.sourcePath, message: DynamicImage.lastError())
            }
            return handle
        }
        if retain { copy.pin() }
        self.path = copy.sourcePath
        self.isRetained = retain
        self.handle = handle
        self.copy = copy
        self.span = DynamicImage.span(of: handle)
    }

    /// A bare `dlopen` + `dlsym(tenon_plugin_entry)` + `dlclose` of `path`,
    /// none of the host's checks: the baseline benchmarks put unloads beside.
    /// Whether the image opened and exports the entry point.
    package static func bareCycle(path: String) -> Bool {
        guard let h = dlopen(path, RTLD_NOW | RTLD_LOCAL) else { return false }
        let found = dlsym(h, PluginDescriptor.entrySymbol) != nil
        dlclose(h)
        return found
    }

    private static func span(of handle: UnsafeMutableRawPointer) -> Range<UInt>? {
        var start: UInt = 0, end: UInt = 0
        guard ctenon_image_span(handle, &start, &end) == 0, start < end else { return nil }
        return start..<end
    }

    /// Opens a validated image, retaining it (`RTLD_NODELETE`) exactly when
    /// ``ELFImage/mustRetire`` says it must never be unmapped.
    package static func open(_ image: ELFImage) throws(PluginError) -> DynamicImage {
        try DynamicImage(path: image.path, retain: image.mustRetire)
    }

    /// Opens the sealed copy `copy` that `image` validated, retaining it
    /// exactly when ``ELFImage/mustRetire`` says so.
    package static func open(_ image: ELFImage, copy: PrivateImage) throws(PluginError) -> DynamicImage {
        try DynamicImage(copy: copy, retain: image.mustRetire)
    }

    /// This image's mappings in `/proc/self/maps`: by inode for a private
    /// copy, else by path.
    package func mappings() throws(PluginError) -> [MemoryMapping] {
        if let copy { return try copy.mappings() }
        return try ProcessMaps.mappings(of: path)
    }

    /// After ``close()``: whether nothing of the image is mapped any more,
    /// proved as ``UnmapCheck`` says (a probe of ``span``, plus
    /// ``mappings()`` when ``UnmapCheck/alsoReadProcessMaps`` is on, the
    /// span is unknown, or the probe found something mapped there, which may
    /// be a new mapping at the freed addresses). False when in doubt.
    package func isUnmapped() -> Bool {
        precondition(handle == nil, "DynamicImage.isUnmapped() before close(): \(path)")
        let probed = span.map { ctenon_range_unmapped($0.lowerBound, $0.upperBound) == 1 }
        // Something is mapped in the range: the image, or a mapping that reused
        // the addresses since dlclose (another thread's mmap, another dlopen).
        // Only /proc/self/maps tells them apart (by the private copy's path).
        if probed == false { return (try? mappings().isEmpty) ?? false }
        guard probed == nil || UnmapCheck.alsoReadProcessMaps else { return true }
        return (try? mappings().isEmpty) ?? false
    }

    /// Address of an exported symbol, or nil (`dlsym`; the value itself may be
    /// NULL for odd symbols, which we treat as absent).
    package func symbol(named name: String) -> UnsafeMutableRawPointer? {
        guard let handle else { preconditionFailure("DynamicImage.symbol(named:) after close(): \(path)") }
        return dlsym(handle, name)
    }

    /// The plugin's `tenon_plugin_entry` function.
    ///
    /// - Throws: ``PluginError/missingEntry(path:)`` when it is not exported
    ///   (typically: the TENON_PLUGIN_ENTRY macro was not used, or the symbol
    ///   was hidden).
    package func entryPoint() throws(PluginError) -> tenon_plugin_entry_t {
        guard let address = symbol(named: PluginDescriptor.entrySymbol) else {
            throw .missingEntry(path: path)
        }
        return unsafeBitCast(address, to: tenon_plugin_entry_t.self)
    }

    /// `dlclose`. For a non-retained image whose last reference this was, its
    /// mappings are gone when this returns: the caller must have passed the
    /// quiescence barrier (no CPU executes or will execute its code).
    ///
    /// Calling `close()` twice is a programming error and traps.
    package func close() throws(PluginError) {
        guard let handle else { preconditionFailure("DynamicImage.close() called twice: \(path)") }
        self.handle = nil
        _ = dlerror()
        if dlclose(handle) != 0 {
            throw .dlcloseFailed(path: path, message: DynamicImage.lastError())
        }
    }

    /// Whether the dynamic loader currently holds `path` (`RTLD_NOLOAD`); does
    /// not load it. `path` must be spelled as it was opened (use ``path``).
    package static func isLoaded(_ path: String) -> Bool {
        guard let h = dlopen(path, RTLD_NOW | RTLD_NOLOAD) else {
            _ = dlerror()
            return false
        }
        dlclose(h)  // RTLD_NOLOAD still took a reference
        return true
    }

    static func lastError() -> String {
        guard let message = dlerror() else { return "unknown dlopen error" }
        return String(cString: message)
    }
}
