import Foundation
import Testing

@testable import TenonControl

@Suite("Control protocol encoding", .timeLimit(.minutes(1)))
struct ControlProtocolTests {
    static let allRequests: [ControlRequest] = [
        .load(path: "/opt/plugins/libticker.so", parameters: ["hz=100", "name=t"]),
        .unload(name: "ticker", timeoutMilliseconds: 250),
        .swap(name: "ticker", path: "/opt/plugins/libticker2.so", parameters: []),
        .list,
        .irqs,
        .raise(irq: 5, cpu: nil, count: 1),
        .raise(irq: 7, cpu: 2, count: 1000),
        .call(plugin: "ticker", command: "set-rate", arguments: ["200", "fast \"quoted\"\nline"]),
        .stats,
        .log,
        .shutdown(timeoutMilliseconds: nil),
        .shutdown(timeoutMilliseconds: 2500),
        .cancel(name: "ticker"),
        .load(path: "/p/lib.so", parameters: [], allowInsecure: true),
        .swap(name: "t", path: "/p/lib2.so", parameters: ["a=1"], rename: true, allowInsecure: true),
        .ping,
        .trace(path: "/tmp/t.json", durationMilliseconds: 2000),
        .load(path: "/p/lib.so", parameters: [], timeoutMilliseconds: 2000),
        .swap(name: "t", path: "/p/lib2.so", parameters: [], timeoutMilliseconds: 500),
        .call(plugin: "t", command: "c", arguments: [], timeoutMilliseconds: 0),
    ]

    @Test("every request kind encodes on one line and decodes back")
    func requestRoundTrip() throws {
        #expect(Set(Self.allRequests.map(\.op)) == Set(ControlRequest.allOps))
        for request in Self.allRequests {
            let data = try ControlCoding.encoder().encode(ControlRequestFrame(request: request))
            #expect(!data.contains(ControlProtocol.frameTerminator))
            let back = try ControlCoding.decoder().decode(ControlRequestFrame.self, from: data)
            #expect(back.request == request)
            #expect(back.version == ControlProtocol.version)
            #expect(request.validationError == nil)
        }
    }

    @Test("wire format is flat with an op member")
    func wireFormat() throws {
        let data = try ControlCoding.encoder().encode(
            ControlRequestFrame(request: .raise(irq: 5, cpu: 1, count: 3)))
        #expect(
            String(decoding: data, as: UTF8.self)
                == #"{"request":{"count":3,"cpu":1,"irq":5,"op":"raise"},"version":1}"#)
        let minimal = #"{"version":1,"request":{"op":"raise","irq":9}}"#
        let frame = try ControlCoding.decoder().decode(ControlRequestFrame.self, from: Data(minimal.utf8))
        #expect(frame.request == .raise(irq: 9, cpu: nil, count: 1))
        let unload = #"{"version":1,"request":{"op":"unload","name":"x"}}"#
        #expect(
            try ControlCoding.decoder().decode(ControlRequestFrame.self, from: Data(unload.utf8)).request
                == .unload(name: "x", timeoutMilliseconds: ControlRequest.defaultUnloadTimeoutMilliseconds))
    }

    @Test("out-of-range requests are reported by validationError")
    func validation() {
        #expect(ControlRequest.raise(irq: -1, cpu: nil, count: 1).validationError != nil)
        #expect(ControlRequest.raise(irq: 1, cpu: -2, count: 1).validationError != nil)
        #expect(ControlRequest.raise(irq: 1, cpu: nil, count: 0).validationError != nil)
        #expect(ControlRequest.unload(name: "x", timeoutMilliseconds: -5).validationError != nil)
        #expect(ControlRequest.load(path: "", parameters: []).validationError != nil)
        #expect(ControlRequest.call(plugin: "p", command: "", arguments: []).validationError != nil)
        #expect(ControlRequest.trace(path: "t.json", durationMilliseconds: 10).validationError != nil)
        #expect(ControlRequest.trace(path: "/t.json", durationMilliseconds: 0).validationError != nil)
        #expect(ControlRequest.load(path: "/p", parameters: [], timeoutMilliseconds: -1).validationError != nil)
    }

    @Test("responses and typed payloads round-trip")
    func responses() throws {
        let responses: [ControlResponse] = [
            .ok, .ok(encoding: FakeHandler.plugins), .error(.unknownPlugin, "no plugin named x"),
            .ok(payload: ["a": [1, 2.5, "s", true, nil], "b": ["nested": [:]]]),
        ]
        for response in responses {
            let data = try ControlCoding.encoder().encode(ControlResponseFrame(response: response))
            #expect(try ControlCoding.decoder().decode(ControlResponseFrame.self, from: data).response == response)
        }
        guard case .ok(let payload) = ControlResponse.ok(encoding: FakeHandler.plugins) else {
            Issue.record("not ok")
            return
        }
        #expect(try payload.decode([PluginRow].self) == FakeHandler.plugins)
        #expect(
            payload
                == .array([
                    [
                        "name": "ticker", "version": "1.2.0", "state": "loaded", "irqs": [3, 4],
                        "loadedAt": "2023-11-14T22:13:20Z", "handlerCalls": 12_345,
                    ]
                ]))
        #expect(try JSONValue(encoding: FakeHandler.irqs).decode([IRQRow].self) == FakeHandler.irqs)
        #expect(try JSONValue(encoding: FakeHandler.stats).decode(StatsPayload.self) == FakeHandler.stats)
        #expect(FakeHandler.irqs[0].total == 17 &+ UInt64.max)
    }

    @Test("default socket path: TENON_SOCKET, else XDG_RUNTIME_DIR, else /tmp/tenon-<uid>")
    func defaultPaths() {
        #expect(
            ControlSocketPath.defaultPath(
                environment: ["TENON_SOCKET": "/srv/t.sock", "XDG_RUNTIME_DIR": "/run/user/1"],
                uid: 1) == "/srv/t.sock")
        #expect(ControlSocketPath.defaultPath(environment: ["TENON_SOCKET": ""], uid: 2) == "/tmp/tenon-2/control.sock")
        #expect(
            ControlSocketPath.defaultPath(environment: ["XDG_RUNTIME_DIR": "/run/user/1000"], uid: 1000)
                == "/run/user/1000/tenon/control.sock")
        #expect(
            ControlSocketPath.defaultPath(environment: ["XDG_RUNTIME_DIR": "/run/user/7/"], uid: 7)
                == "/run/user/7/tenon/control.sock")
        #expect(ControlSocketPath.defaultPath(environment: [:], uid: 1000) == "/tmp/tenon-1000/control.sock")
        #expect(
            ControlSocketPath.defaultPath(environment: ["XDG_RUNTIME_DIR": "relative"], uid: 3)
                == "/tmp/tenon-3/control.sock")
        #expect(ControlSocketPath.directory(of: "/a/b/c.sock") == "/a/b")
        #expect(ControlSocketPath.directory(of: "c.sock") == ".")
    }

    @Test("error messages are one line and name the path")
    func messages() {
        #expect(
            ControlClientError.noHost(path: "/x/control.sock").description
                == "no tenon host at /x/control.sock (is `tenon run` running?)")
        #expect(
            ControlServerError.alreadyRunning(path: "/x/control.sock").description
                == "a host is already running at /x/control.sock")
    }
}
