import EmberTensor
import Foundation
import XCTest

/// Runs Python for the interop tests (safetensors, torch, numpy): $EMBER_PYTHON,
/// else ~/torchenv/bin/python (README.md sets it up), else python3. A test that
/// needs modules no candidate can import is skipped, so torch is never needed
/// to run the suite.
///
/// ```swift
/// let python = try PythonRunner.require(modules: ["torch", "safetensors"])
/// let out = try python.run("import torch; print(torch.ones(2).sum().item())")   // "2.0"
/// ```
public struct PythonRunner {
    public let executable: String

    /// The first interpreter that imports `modules`; XCTSkip when there is none.
    public static func require(modules: [String]) throws -> PythonRunner {
        // `make asan` / `make tsan` set EMBER_SANITIZED: the library next to
        // the tests is instrumented, and an uninstrumented Python cannot load it.
        if ProcessInfo.processInfo.environment["EMBER_SANITIZED"] != nil {
            throw XCTSkip("a sanitizer build: Python cannot load this libember.so")
        }
        var candidates = [NSHomeDirectory() + "/torchenv/bin/python", "/usr/bin/python3"]
        if let env = ProcessInfo.processInfo.environment["EMBER_PYTHON"] { candidates.insert(env, at: 0) }
        for c in candidates where FileManager.default.isExecutableFile(atPath: c) {
            let runner = PythonRunner(executable: c)
            if (try? runner.run("import " + modules.joined(separator: ", ") + "\nprint('ok')")) == "ok" { return runner }
        }
        throw XCTSkip("Python with \(modules.joined(separator: ", ")) is not available")
    }

    /// Runs `script`; returns its standard output, trimmed. Fails with its standard error.
    public func run(_ script: String, environment: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-c", script]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        // Standard error goes to a file, so a chatty script cannot fill a pipe nobody reads.
        let errorPath = NSTemporaryDirectory() + "ember-python-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).err"
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errorPath) }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0 else {
            let errors = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
            throw EmberError(.internal, "python failed (\(process.terminationStatus)): \(errors)\(text)")
        }
        return text
    }
}
