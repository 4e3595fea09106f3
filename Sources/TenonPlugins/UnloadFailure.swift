/// An unload that stopped before changing anything, as an `Error` so that
/// it can travel in a `Result` out of the registry lock.
struct UnloadFailure: Error {
    let result: UnloadResult
}
