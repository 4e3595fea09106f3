extension StaticString {
    /// The literal as a NUL-terminated C string in static storage of the
    /// image (valid until dlclose): what the ABI's `const char *` fields and a
    /// `str` command result want. [task]
    ///
    /// A one-character literal may be stored as a scalar, without text; it is
    /// then copied into the kit's string pool ("" if the pool is full).
    public var cString: UnsafePointer<CChar> {
        if hasPointerRepresentation {
            return UnsafeRawPointer(utf8Start).assumingMemoryBound(to: CChar.self)
        }
        return KitStorage.strings.write { $0.append(self) } ?? KitStorage.strings.empty
    }
}
