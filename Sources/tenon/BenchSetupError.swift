/// Failures of the benchmark's own setup.
enum BenchSetupError: Error {
    /// The baseline signal handler or threads could not be set up.
    case baseline
    /// The oob stage could not be installed.
    case oobStage
}
