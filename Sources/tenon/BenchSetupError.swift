/// Failures of the benchmark's own setup.
enum BenchSetupError: Error, CustomStringConvertible {
    /// The baseline signal handler or threads could not be set up.
    case baseline
    /// The oob stage could not be installed.
    case oobStage
    /// The bare `dlopen` + `dlsym` cycle of this file failed.
    case bareCycle(String)
    /// An unload meant to succeed did not (its result).
    case unload(String)
    /// The bare `ffi_prep_cif` failed.
    case ffi

    var description: String {
        switch self {
        case .baseline: return "the baseline signal handler or threads could not be set up"
        case .oobStage: return "the oob stage could not be installed"
        case .bareCycle(let path): return "the bare dlopen + dlsym cycle of \(path) failed"
        case .unload(let result): return "a benchmark unload did not unload cleanly: \(result)"
        case .ffi: return "ffi_prep_cif for the bare baseline failed"
        }
    }
}
