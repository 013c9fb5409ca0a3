import Foundation
import Shared
import Testing

@testable import Worker

@Suite struct TriggerSignatureTests {
    static let key = Array(String(repeating: "k", count: 32).utf8)

    func apps(acceptExternal: Bool = false) throws -> [String: WorkerApp] {
        ["bot": WorkerApp(
            name: "bot", endpoint: try DifyAppEndpoint(name: "bot", baseURL: "http://127.0.0.1:1/v1", apiKey: "app-key-123"),
            limits: AppLimits(), mode: .workflow, origin: "o", acceptsExternal: acceptExternal)]
    }

    func message(_ text: String, signedWith key: [UInt8]? = nil) -> KafkaMessage {
        let value = Array(text.utf8)
        let headers = key.map { [TriggerSigner(key: $0).header(for: value)] } ?? []
        return KafkaMessage(topic: "t", partition: 0, offset: 1, key: nil, value: value, headers: headers, timestampMilliseconds: nil)
    }

    func code(_ text: String, signedWith key: [UInt8]? = nil, acceptExternal: Bool = false, signer: TriggerSigner? = TriggerSigner(key: key)) throws -> String? {
        let message = message(text, signedWith: key)
        guard case .success(let trigger) = TriggerCheck.decode(message) else { return "undecodable" }
        return TriggerCheck.authenticate(trigger, message: message, apps: try apps(acceptExternal: acceptExternal), signer: signer)?.code
    }

    static let run = #"{"v":1,"id":"t1","app":"bot","job_id":"made-up"}"#
    static let cancel = #"{"v":1,"id":"c1","type":"cancel","app":"bot","target_job_id":"j"}"#

    @Test func signatureIsHexHMACOfTheValue() {
        let signer = TriggerSigner(key: Self.key)
        let value = Array(Self.run.utf8)
        let expected = StableHash.hmacSHA256(key: Data(Self.key), message: Data(value)).map { String(format: "%02x", $0) }.joined()
        #expect(signer.signature(for: value) == expected)
        #expect(signer.signature(for: value).count == 64)
        #expect(signer.header(for: value).name == "dify.signature")
        #expect(signer.verify(value: value, headers: [signer.header(for: value)]) == .valid)
        #expect(signer.verify(value: value + [0x20], headers: [signer.header(for: value)]) == .mismatch)
        #expect(signer.verify(value: value, headers: []) == .missing)
    }

    @Test func constantTimeCompareMatchesEquality() {
        #expect(TriggerSigner.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!TriggerSigner.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!TriggerSigner.constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(TriggerSigner.constantTimeEquals([], []))
    }

    @Test func runTriggersNeedAValidSignatureUnlessTheAppAcceptsExternal() throws {
        #expect(try code(Self.run, signedWith: Self.key) == nil)
        #expect(try code(Self.run) == "unsigned")
        #expect(try code(Self.run, signedWith: Array(String(repeating: "x", count: 32).utf8)) == "bad_signature")
        #expect(try code(Self.run, acceptExternal: true) == nil)
        // Without a key nothing is checked.
        #expect(try code(Self.run, signer: nil) == nil)
    }

    @Test func cancelMessagesNeedAValidSignatureWhateverTheApp() throws {
        #expect(try code(Self.cancel, signedWith: Self.key, acceptExternal: true) == nil)
        #expect(try code(Self.cancel, acceptExternal: true) == "unsigned")
        #expect(try code(Self.cancel, signedWith: Array(String(repeating: "x", count: 32).utf8), acceptExternal: true) == "bad_signature")
    }

    @Test func keyConfigurationErrorsNameTheFix() throws {
        let short = TriggerSigningSettings(keyEnv: "SIGNING_KEY")
        #expect {
            try short.resolveKey(environment: ["SIGNING_KEY": "too-short"])
        } throws: { error in
            "\(error)".contains("kafka.trigger_signing.key_env") && "\(error)".contains("openssl rand -hex 32") && "\(error)".contains("below the minimum of 32")
        }
        #expect {
            try short.resolveKey(environment: [:])
        } throws: { error in
            "\(error)".contains("SIGNING_KEY is not set")
        }
        #expect {
            try TriggerSigningSettings(keyFile: "/nonexistent/key").resolveKey(environment: [:])
        } throws: { error in
            "\(error)".contains("cannot read the trigger signing key file")
        }
        #expect {
            try TriggerSigningSettings().resolveKey(environment: [:])
        } throws: { error in
            "\(error)".contains("set key_env")
        }
        let good = String(repeating: "a1", count: 32)
        let signer = try short.resolveKey(environment: ["SIGNING_KEY": good + "\n"])
        #expect(signer.signature(for: [1]) == TriggerSigner(key: Array(good.utf8)).signature(for: [1]))
        #expect(!SecretRedactor.shared.redact("key \(good)").contains(good))
    }
}
