/// The signature token of a command returning nothing.
enum VoidResult {
    static var signatureToken: StaticString { "void" }
}
