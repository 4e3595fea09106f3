import ArgumentParser
import Foundation
import TenonStress

extension StressCommand {
    #if TENON_TORTURE
    /// Applies `--sabotage` and `--jitter`; returns whether jitter was turned
    /// on only because the run is sabotaged (the output says so).
    func applyTortureOptions(to o: inout StressOptions) throws -> Bool {
        switch sabotage {
        case nil, "none": o.sabotage = .none
        case "mark-after-load": o.sabotage = .markAfterLoad
        case "skip-wait": o.sabotage = .skipWait
        case let s?: throw ValidationError("unknown --sabotage \(s): mark-after-load or skip-wait")
        }
        let autoJitter = o.sabotage != .none && !jitter && !noJitter
        o.jitterSpins = (jitter || autoJitter) && !noJitter ? jitterSpins : 0
        return autoJitter
    }
    #else
    /// The shipped build has no sabotage or jitter code: asked for either, it
    /// says where they are (exit status 2) rather than run an unsabotaged storm
    /// that would "pass".
    func applyTortureOptions(to o: inout StressOptions) throws -> Bool {
        let asked = sabotage.flatMap { $0 == "none" ? nil : "--sabotage \($0)" } ?? (jitter ? "--jitter" : nil)
        if let asked {
            FileHandle.standardError.write(
                Data(
                    ("tenon stress: \(asked) needs the torture build (this binary has no "
                        + "sabotage or jitter code): run scripts/torture-build, then .build-torture/release/tenon stress "
                        + "\(asked)\n").utf8))
            throw ExitCode(2)
        }
        return false
    }
    #endif
}
