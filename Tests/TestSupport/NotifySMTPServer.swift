import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A local SMTP server for tests: Python 3 from Debian speaking EHLO, STARTTLS with a
/// self-signed certificate made by `openssl req`, AUTH PLAIN and LOGIN, MAIL, RCPT and DATA.
/// Each received mail is appended to a file as one JSON line.
public final class NotifySMTPServer: @unchecked Sendable {
    // @unchecked Sendable: every property is set in init and never changed.
    /// The port of 127.0.0.1 it listens on.
    public let port: Int
    /// The PEM file of the self-signed certificate the server offers with STARTTLS.
    public let certificate: String
    /// The file each received mail is appended to as one JSON line.
    public let mailbox: URL
    private let process: Process
    private let directory: URL

    /// Starts the server on a port the kernel picks. With `offerStartTLS` false it is a plain
    /// SMTP server that does not announce STARTTLS.
    public init(offerStartTLS: Bool = true) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        mailbox = directory.appendingPathComponent("mail.jsonl")
        let portFile = directory.appendingPathComponent("port")
        let script = directory.appendingPathComponent("smtp.py")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)

        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
                             "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()

        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script.path, certificate, key, portFile.path, mailbox.path, offerStartTLS ? "tls" : "plain"]
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                self.port = port
                return
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        kill(process.processIdentifier, SIGKILL)
        throw CocoaError(.fileReadNoSuchFile)
    }

    /// The mails received so far.
    public func mails() -> [[String: Any]] {
        guard let text = try? String(contentsOf: mailbox, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }

    /// Kills the server and removes its folder.
    public func stop() {
        // SIGKILL: a child started from a cooperative-pool thread inherits its blocked
        // signals, so SIGTERM may never reach Python.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    private static let script = #"""
    import base64, json, socket, ssl, sys, threading
    cert, key, port_file, mailbox, mode = sys.argv[1:6]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    lock = threading.Lock()

    def serve(connection):
        state = {"tls": False, "auth": None, "from": None, "rcpt": []}
        stream = connection.makefile("rwb")
        def say(line):
            stream.write((line + "\r\n").encode())
            stream.flush()
        say("220 localhost ESMTP test")
        while True:
            raw = stream.readline()
            if not raw:
                return
            line = raw.decode().rstrip("\r\n")
            verb = line.split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                lines = ["250-localhost"]
                if mode == "tls" and not state["tls"]:
                    lines.append("250-STARTTLS")
                if state["tls"]:
                    lines.append("250-AUTH PLAIN LOGIN")
                lines.append("250 8BITMIME")
                for item in lines:
                    say(item)
            elif verb == "STARTTLS" and mode == "tls":
                say("220 ready")
                connection = context.wrap_socket(connection, server_side=True)
                stream = connection.makefile("rwb")
                state["tls"] = True
            elif verb == "AUTH":
                parts = line.split(" ")
                if parts[1].upper() == "PLAIN":
                    if len(parts) > 2:
                        token = parts[2]
                    else:
                        say("334 ")
                        token = stream.readline().decode().strip()
                    state["auth"] = base64.b64decode(token).decode()
                else:
                    say("334 VXNlcm5hbWU6")
                    user = base64.b64decode(stream.readline().decode().strip()).decode()
                    say("334 UGFzc3dvcmQ6")
                    password = base64.b64decode(stream.readline().decode().strip()).decode()
                    state["auth"] = "\0" + user + "\0" + password
                say("235 ok")
            elif verb == "MAIL":
                if mode == "tls" and not state["tls"]:
                    say("530 must issue STARTTLS first")
                    continue
                state["from"] = line[10:]
                say("250 ok")
            elif verb == "RCPT":
                state["rcpt"].append(line[8:])
                say("250 ok")
            elif verb == "DATA":
                say("354 go on")
                data = []
                while True:
                    part = stream.readline().decode()
                    if part in (".\r\n", ".\n"):
                        break
                    data.append(part)
                with lock, open(mailbox, "a") as out:
                    out.write(json.dumps(dict(state, data="".join(data))) + "\n")
                state["rcpt"] = []
                say("250 queued")
            elif verb == "QUIT":
                say("221 bye")
                return
            elif verb in ("RSET", "NOOP"):
                say("250 ok")
            else:
                say("502 not implemented")

    with open(port_file + ".tmp", "w") as out:
        out.write(str(server.getsockname()[1]))
    import os
    os.rename(port_file + ".tmp", port_file)
    while True:
        client, _ = server.accept()
        threading.Thread(target=serve, args=(client,), daemon=True).start()
    """#
}
