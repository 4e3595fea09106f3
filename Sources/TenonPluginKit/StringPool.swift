import TenonABI

/// Text the descriptor points to that is not a literal of the plugin
/// (command signatures, default values), written into the image's static
/// TENON_KIT_STRING_BYTES. Byte 0 stays NUL: the empty string. [task]
struct StringPool {
    private var used = 1

    var empty: UnsafePointer<CChar> { UnsafePointer(tenon_kit_strings()!) }

    /// A static NUL-terminated text written by `body`, nil if the pool is full.
    mutating func write(_ body: (inout TextWriter) -> Void) -> UnsafePointer<CChar>? {
        guard used < Int(TENON_KIT_STRING_BYTES), let base = tenon_kit_strings() else { return nil }
        var writer = TextWriter(base + used, capacity: Int(TENON_KIT_STRING_BYTES) - used)
        body(&writer)
        guard !writer.overflowed else { return nil }
        used += writer.count + 1
        return writer.text
    }
}
