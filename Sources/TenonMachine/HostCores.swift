import CTenon

/// The real cores this process may run on (its affinity mask).
public enum HostCores {
    /// Core numbers in the affinity mask, ascending (at least `[0]`).
    public static var allowed: [Int] {
        var buffer = [Int32](repeating: 0, count: 1024)
        let n = ctenon_allowed_cores(&buffer, Int32(buffer.count))
        if n <= 0 { return [0] }
        return buffer.prefix(Int(n)).map(Int.init)
    }

    /// Number of usable cores: the default CPU count of a ``Machine``.
    public static var online: Int { allowed.count }
}
