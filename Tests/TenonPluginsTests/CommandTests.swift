import Testing
@testable import TenonPlugins

@Suite("Command signatures and libffi calls")
struct CommandTests {
    @Test(arguments: [
        ("void()", CommandType.void, [CommandType]()),
        ("u64(u32,str)", .u64, [.u32, .str]),
        ("bool( bool )", .bool, [.bool]),
        ("f64(i32, i64, u32, u64, f64, bool, str)", .f64, [.i32, .i64, .u32, .u64, .f64, .bool, .str]),
    ])
    func parses(text: String, ret: CommandType, args: [CommandType]) throws {
        let s = try CommandSignature(parsing: text, command: "c")
        #expect(s.returnType == ret && s.argumentTypes == args)
    }

    @Test(arguments: [
        ("i32", "RET(ARG"), ("i32(", "RET(ARG"), ("(i32)", "missing return type"),
        ("int(i32)", "unknown return type"), ("i32(i8)", "unknown argument type"),
        ("i32(void)", "write i32()"), ("i32(i32,void)", "only as the return type"),
        ("i32(i32,)", "argument 2 is empty"), ("i32((i32))", "parentheses"), ("i32(i32)x", "RET(ARG"),
    ])
    func rejects(text: String, reasonContains: String) {
        let e = pluginError { try CommandSignature(parsing: text, command: "cmd") }
        guard case .badSignature("cmd", text, let reason) = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(reason.contains(reasonContains), "\(reason)")
    }

    /// The good fixture, loaded from a private copy (its static state is ours).
    func table() throws -> (DynamicImage, FFICommandTable) {
        let (image, d) = try loadDescriptor(Fixtures.freshCopy("good"))
        return (image, try FFICommandTable(d))
    }

    @Test func everySignatureTypeMarshals() throws {
        let (image, t) = try table()
        defer { try? image.close() }
        #expect(try t.call("mix", ["0xffffffff", "hello"]) == .uint((0xffff_ffff << 20) + 35 + 104))
        #expect(try t.call("neg", ["5"]) == .int(-16))
        #expect(try t.call("neg", ["-715827882"]) == .int(2_147_483_645))
        #expect(try t.call("half", ["3"]) == .double(1.75))
        #expect(try t.call("not", ["false"]) == .bool(true))
        #expect(try t.call("not", ["yes"]) == .bool(false))
        #expect(try t.call("twice", ["-4611686018427387904"]) == .int(.min))
        #expect(try t.call("inv", ["0"]) == .uint(0xffff_ffff))
        #expect(try t.call("inv", ["0xfffffffe"]) == .uint(1))
        #expect(try t.call("summary", []) == .string(""))  // init not called yet
        #expect(try t.call("null", []) == .string(nil))
        #expect(try t.call("sum", ["-1", "-2", "3", "4", "0.5", "1"]) == .double(1004.5))
        #expect(try t.call("sum", ["-1", "-2", "3", "4", "0.5", "0"]) == .double(4.5))
    }

    @Test func voidCommandHasEffect() throws {
        let (image, t) = try table()
        defer { try? image.close() }
        #expect(try t.call("bumps", []) == .uint(0))
        #expect(try t.call("bump", []) == .void)
        #expect(try t.call("bump", []) == .void)
        #expect(try t.call("bumps", []) == .uint(2))
    }

    @Test func resultsPrint() {
        #expect(CommandResult.int(-3).description == "-3")
        #expect(CommandResult.string("a").description == "\"a\"")
        #expect(CommandResult.string(nil).description == "NULL")
        #expect(CommandResult.void.description == "(void)")
        #expect(CommandResult.bool(true).description == "true")
    }

    @Test func unknownCommand() throws {
        let (image, t) = try table()
        defer { try? image.close() }
        let e = pluginError { try t.call("nope", []) }
        guard case .unknownCommand("good-fixture_1", "nope", let available) = e else {
            Issue.record("got \(String(describing: e))"); return
        }
        #expect(available.first == "mix" && available.count == 11)
        #expect(e!.description.contains("mix, neg"))
    }

    @Test func wrongArgumentCount() throws {
        let (image, t) = try table()
        defer { try? image.close() }
        let e = pluginError { try t.call("mix", ["1"]) }
        #expect(e == .commandArgumentCount(command: "mix", expected: 2, got: 1, signature: "u64(u32,str)"))
        #expect(e!.description.contains("takes 2 arguments, got 1"))
    }

    @Test(arguments: [
        ("neg", ["2147483648"], 0, "out of range -2147483648...2147483647"),
        ("neg", ["x"], 0, "decimal or 0x-hex"),
        ("mix", ["-1", "s"], 0, "negative"),
        ("mix", ["0x100000000", "s"], 0, "out of range 0...4294967295"),
        ("not", ["2"], 0, "true/false"),
        ("half", ["one"], 0, "number"),
        ("sum", ["1", "2", "3", "4", "5", "maybe"], 5, "true/false"),
    ])
    func wrongArgumentType(command: String, args: [String], index: Int, reasonContains: String) throws {
        let (image, t) = try table()
        defer { try? image.close() }
        let e = pluginError { try t.call(command, args) }
        guard case .commandArgumentType(command, index, args[index], let type, _, let reason) = e else {
            Issue.record("got \(String(describing: e))"); return
        }
        #expect(reason.contains(reasonContains), "\(reason)")
        #expect(e!.description.contains("argument \(index + 1) \"\(args[index])\""))
        #expect(e!.description.contains(type))
    }
}
