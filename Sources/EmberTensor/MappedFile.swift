import Glibc
import Synchronization

extension EmberError {
    /// A file that cannot be read or written, or is malformed (EMBER_ERR_IO).
    public static func io(_ message: String) -> EmberError { EmberError(.io, message) }
}

/// The text of the current errno ("No such file or directory").
func errnoText() -> String { String(cString: strerror(errno)) }

/// A whole regular file mapped into memory, private and copy-on-write: tensors
/// may view it without a copy, writes through them never reach the file, and
/// the mapping is removed when the last user is gone.
///
/// ```swift
/// let file = try MappedFile(path: "model.safetensors")
/// let header = try SafetensorsHeader(parsing: file.bytes)
/// ```
public final class MappedFile: @unchecked Sendable {
    /// The first byte (nil for an empty file, which cannot be mapped).
    public let base: UnsafeMutableRawPointer?
    /// The file's size in bytes.
    public let count: Int
    public let path: String

    /// Maps `path`. Errors (`.io`): the file cannot be opened, is not a
    /// regular file, or cannot be mapped.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw EmberError.io("cannot open '\(path)': \(errnoText())") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw EmberError.io("cannot read '\(path)': \(errnoText())") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw EmberError.io("'\(path)' is not a regular file") }
        guard let size = Int(exactly: info.st_size), size >= 0 else { throw EmberError.io("'\(path)' has an invalid size") }
        count = size
        if size == 0 {
            base = nil
            return
        }
        let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0)
        guard let p, p != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw EmberError.io("cannot map '\(path)' (\(size) bytes) into memory: \(errnoText())")
        }
        base = p
    }

    deinit {
        if let base { munmap(base, count) }
    }

    /// The file's bytes (valid while this object lives).
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}

/// Where serialised bytes go: a file or a byte array.
public protocol ByteSink {
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws
}

/// Bytes collected in memory.
public struct ByteArraySink: ByteSink {
    public var bytes: [UInt8] = []
    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }
    public mutating func write(_ b: UnsafeRawBufferPointer) throws { bytes += b }
}

/// A file written next to its destination and renamed over it when complete,
/// so that a reader (or a crash) never sees half a file and tensors that
/// still view the old file's mapping keep their data.
///
/// ```swift
/// try AtomicFile.write(to: "ckpt.safetensors") { sink in try sink.write(header) }
/// ```
public struct AtomicFile: ByteSink {
    let fd: Int32
    let path: String
    var buffer: [UInt8] = []
    static let bufferSize = 1 << 20
    static let writes = Atomic<Int>(0)

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
        buffer.reserveCapacity(AtomicFile.bufferSize)
    }

    /// Writes the file at `path` with what `body` writes into the sink.
    /// Errors (`.io`): the file cannot be created, written or renamed; the
    /// destination is unchanged then.
    public static func write(to path: String, _ body: (inout AtomicFile) throws -> Void) throws {
        guard !path.isEmpty else { throw EmberError.io("cannot write a file with an empty path") }
        // Unique per write, so threads saving to one path never share a temporary file.
        let temporary = path + ".tmp-\(getpid())-\(AtomicFile.writes.wrappingAdd(1, ordering: .relaxed).oldValue)"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw EmberError.io("cannot create '\(temporary)' to write '\(path)': \(errnoText())") }
        var file = AtomicFile(fd: fd, path: path)
        do {
            try body(&file)
            try file.flush()
            guard close(fd) == 0 else { throw EmberError.io("cannot write '\(path)': \(errnoText())") }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let reason = errnoText()
            unlink(temporary)
            throw EmberError.io("cannot replace '\(path)': \(reason)")
        }
    }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count <= AtomicFile.bufferSize {
            buffer += bytes
            return
        }
        try flush()
        if bytes.count < AtomicFile.bufferSize {
            buffer += bytes
        } else {
            try writeAll(bytes)
        }
    }

    mutating func flush() throws {
        if buffer.isEmpty { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw EmberError.io("cannot write '\(path)': \(errnoText())")
            }
            done += n
        }
    }
}
