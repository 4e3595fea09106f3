/// Appends text to a fixed buffer, keeping it NUL-terminated and never
/// writing past its end. The kit builds its signatures, default values and
/// log messages with it instead of `String`, which would allocate and pull
/// Unicode tables (not in libc) into the image. [task]
struct TextWriter {
    private let base: UnsafeMutablePointer<CChar>
    private let capacity: Int
    /// Bytes written, the NUL excluded.
    private(set) var count = 0
    /// Something did not fit; what fitted is kept.
    private(set) var overflowed = false

    /// `capacity` includes the NUL; it must be at least 1.
    init(_ base: UnsafeMutablePointer<CChar>, capacity: Int) {
        self.base = base
        self.capacity = capacity
        base[0] = 0
    }

    var text: UnsafePointer<CChar> { UnsafePointer(base) }

    mutating func append(byte: UInt8) {
        guard count + 1 < capacity else {
            overflowed = true
            return
        }
        base[count] = CChar(bitPattern: byte)
        count += 1
        base[count] = 0
    }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { for byte in $0 { append(byte: byte) } }
    }

    mutating func append(cString: UnsafePointer<CChar>) {
        var i = 0
        while cString[i] != 0 {
            append(byte: UInt8(bitPattern: cString[i]))
            i += 1
        }
    }

    mutating func append(_ value: UInt64) {
        var digits = InlineArray<20, UInt8>(repeating: 0)
        var n = 0, rest = value
        repeat {
            digits[n] = UInt8(truncatingIfNeeded: rest % 10) + 48  // "0"
            rest /= 10
            n += 1
        } while rest != 0
        while n > 0 {
            n -= 1
            append(byte: digits[n])
        }
    }

    mutating func append(_ value: Int64) {
        if value < 0 { append(byte: 45) }  // "-"
        append(value.magnitude)
    }

    mutating func append(_ value: Double) {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { buffer in
            if tenon_kit_format_double(buffer.baseAddress, 32, value) > 0 {
                append(cString: buffer.baseAddress!)
            } else {
                overflowed = true
            }
        }
    }
}
