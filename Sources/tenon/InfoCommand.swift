import ArgumentParser
import Foundation
import Glibc
import TenonPlugins

/// `tenon info FILE.so` (like modinfo), without a host.
///
/// How: the ELF facts (exported symbols, retire reasons, needed libraries,
/// the entry point) are read from a private copy of the file without running
/// any of its code. The descriptor (name, version, parameters, commands) only
/// exists once the image is loaded and its entry called, so that part runs
/// in a short-lived child process (`tenon info FILE --describe-child`): a
/// constructor that loops or crashes costs the child, within --timeout,
/// never this process and never a host.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a plugin file without loading it into a host (like modinfo).",
        discussion: """
            Prints name, version, ABI, parameters (type, default, help), commands (signature, help), \\
            whether the image would be retired rather than unmapped at unload, and its exported \\
            symbols. The descriptor is read in a child process that is killed after --timeout.

            Example: tenon info .build/release/libtenon-counter.so
            """)

    @Argument(help: "The plugin's shared object.")
    var path: String

    @Option(name: .long, help: "How long the child reading the descriptor may take: 500ms, 2s, 1m.")
    var timeout: String = "5s"

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    @Flag(name: .customLong("describe-child"), help: .hidden)
    var describeChild = false

    func validate() throws {
        guard DurationText.milliseconds(timeout) != nil else { throw ValidationError(DurationText.invalid("--timeout", timeout)) }
    }

    func run() throws {
        if describeChild { return describe() }
        let elf: ELFImage
        let hash: String
        do {
            let copy = try PrivateImage(copying: path, allowInsecure: true)
            defer { copy.close() }
            elf = try ELFImage(validating: copy, path: path)
            hash = copy.hashText
            guard elf.exportsEntry else { throw PluginError.missingEntry(path: path) }
        } catch {
            fail("\(error)")
        }
        let info = try readDescriptor(expectingHash: hash)
        if json {
            struct Output: Encodable {
                var file: String, hash: String, plugin: PluginInfo, retireReasons: [String]
                var neededLibraries: [String], exportedSymbols: [String]
            }
            print(
                ClientOptions.encode(
                    Output(
                        file: path, hash: hash, plugin: info, retireReasons: elf.retireReasons,
                        neededLibraries: elf.neededLibraries, exportedSymbols: elf.exportedSymbols)))
            return
        }
        var lines: [(String, String)] = [
            ("filename", absolutePath(path)), ("name", info.name), ("version", info.version),
            ("description", info.description), ("abi", info.abi),
            ("hash", "\(hash) (FNV-1a 64)"),
            ("init/exit", "\(info.hasInit ? "init" : "no init"), \(info.hasExit ? "exit" : "no exit")"),
        ]
        for p in info.parameters {
            lines.append(
                (
                    "parm",
                    "\(p.name): \(p.type), \(p.defaultValue.map { "default \($0)" } ?? "required")"
                        + (p.description.isEmpty ? "" : " - \(p.description)")
                ))
        }
        for c in info.commands {
            lines.append(("command", "\(c.name) \(c.signature)" + (c.help.isEmpty ? "" : " - \(c.help)")))
        }
        lines.append(("unload", elf.mustRetire ? "retired (kept mapped): " + elf.retireReasons.joined(separator: "; ") : "unmapped"))
        lines.append(("depends", elf.neededLibraries.joined(separator: ", ")))
        lines.append(("exports", elf.exportedSymbols.joined(separator: ", ")))
        let width = lines.map(\.0.count).max() ?? 0
        for (k, v) in lines { print(k + ":" + String(repeating: " ", count: width - k.count + 1) + v) }
    }

    /// Runs the child and decodes its answer; fails with one line on a
    /// timeout, a crash, or a refusal the child reported.
    func readDescriptor(expectingHash hash: String) throws -> PluginInfo {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        child.arguments = ["info", absolutePath(path), "--describe-child"]
        let out = Pipe(), err = Pipe()
        child.standardOutput = out
        child.standardError = err
        try child.run()
        let deadline = Date().addingTimeInterval(Double(DurationText.milliseconds(timeout)!) / 1000)
        while child.isRunning && Date() < deadline { usleep(10_000) }
        if child.isRunning {
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            fail("\(path): reading the descriptor took longer than \(timeout) (a constructor or the entry point does not return); the child was killed")
        }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let message =
            String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .split(separator: "\n").last.map(String.init) ?? ""
        if child.terminationReason == .uncaughtSignal {
            fail(
                "\(path): the plugin's code crashed while its descriptor was read (signal \(child.terminationStatus): \(String(cString: strsignal(child.terminationStatus))))"
            )
        }
        guard child.terminationStatus == 0 else {
            fail(message.hasPrefix("error: ") ? String(message.dropFirst(7)) : "\(path): \(message)")
        }
        guard let info = try? JSONDecoder().decode(PluginInfo.self, from: output) else {
            fail("\(path): the descriptor reader printed no valid answer")
        }
        guard info.hash == hash else { fail("\(path): the file changed while it was read; run tenon info again") }
        return info
    }

    /// The child: loads a private copy in this short-lived process and
    /// prints the descriptor as JSON.
    func describe() {
        do {
            let copy = try PrivateImage(copying: path, allowInsecure: true)
            let elf = try ELFImage(validating: copy, path: path)
            guard elf.exportsEntry else { throw PluginError.missingEntry(path: path) }
            let image = try DynamicImage.open(elf, copy: copy)
            let d = try PluginDescriptor.load(from: image)
            let info = PluginInfo(
                name: d.name, version: d.version, description: d.description, abi: d.abi.description,
                parameters: d.parameters.map {
                    .init(
                        name: $0.name, type: $0.type.description,
                        defaultValue: $0.defaultValue, description: $0.description)
                },
                commands: d.commands.map { .init(name: $0.name, signature: $0.signature.description, help: $0.help) },
                hasInit: d.initFunction != nil, hasExit: d.exitFunction != nil, hash: copy.hashText)
            print(ClientOptions.encode(info))
            // No dlclose: the process ends here.
        } catch {
            fail("\(error)")
        }
    }
}
