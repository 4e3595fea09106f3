import TenonABI

/// The parameter values init receives (host-owned, valid during init only).
public struct Parameters {
    let values: UnsafePointer<tenon_param_value_t>?
    let count: UInt32
    let host: Host

    /// The value of `parameter`, as its Swift type. [task], init only.
    /// Throws (after logging why) ``Errno/invalidArgument`` if the host did
    /// not pass it with its declared kind (it was not declared), and
    /// ``Errno/outOfRange`` if the value does not fit the Swift type.
    public subscript<Value>(_ parameter: Parameter<Value>) -> Value {
        get throws(Errno) {
            guard let reading = find(parameter.name) else {
                host.log(level: .error) {
                    $0.append("TenonPluginKit: parameter '"); $0.append(parameter.name)
                    $0.append("' was not passed by the host: declare it in declare(_:)")
                }
                throw .invalidArgument
            }
            guard reading.raw.type == Value.parameterKind.rawValue else {
                host.log(level: .error) {
                    $0.append("TenonPluginKit: parameter '"); $0.append(parameter.name)
                    $0.append("' has kind "); $0.append(Int64(reading.raw.type))
                    $0.append(", read as "); $0.append(Value.parameterKind.name)
                }
                throw .invalidArgument
            }
            guard let value = Value(parameter: reading) else {
                host.log(level: .error) {
                    $0.append("TenonPluginKit: parameter "); $0.append(parameter.name); $0.append(byte: 61)  // "="
                    reading.write(to: &$0)
                    $0.append(" is out of range for the plugin's Swift type")
                }
                throw .outOfRange
            }
            return value
        }
    }

    private func find(_ name: StaticString) -> ParameterReading? {
        guard let values else { return nil }
        for i in 0..<Int(count) where Self.equal(values[i].name, name) {
            return ParameterReading(raw: values[i])
        }
        return nil
    }

    /// strcmp(a, b) == 0 over the literal's UTF-8.
    static func equal(_ a: UnsafePointer<CChar>?, _ b: StaticString) -> Bool {
        guard let a else { return false }
        let b = b.cString
        var i = 0
        while a[i] == b[i] {
            if a[i] == 0 { return true }
            i += 1
        }
        return false
    }
}
