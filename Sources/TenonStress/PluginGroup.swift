/// One group of interchangeable images cycled under one plugin name.
final class PluginGroup {
    let label: String
    /// Private copies (distinct paths and inodes: dlopen never shares them).
    var images: [String]
    let parameters: [String]
    let isTorture: Bool
    var loadedName: String?
    var loadedPath: String?
    var generation: UInt64 = 0
    init(label: String, images: [String], parameters: [String], isTorture: Bool) {
        self.label = label
        self.images = images
        self.parameters = parameters
        self.isTorture = isTorture
    }
}
