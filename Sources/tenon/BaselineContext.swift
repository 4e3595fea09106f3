/// What a baseline thread gets at start: the stop word, and a slot holding
/// its core (in) and its tid (out). The slot is leaked on purpose (8 bytes
/// per thread, once per run): the thread may still read it after start.
final class BaselineContext: @unchecked Sendable {
    let word: UnsafeMutablePointer<UInt32>
    let slot: UnsafeMutablePointer<Int32>
    init(word: UnsafeMutablePointer<UInt32>, slot: UnsafeMutablePointer<Int32>) {
        self.word = word
        self.slot = slot
    }
}
