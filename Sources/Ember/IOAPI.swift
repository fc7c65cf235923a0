import CEmber
import EmberAutograd
import EmberData
import EmberNN
import EmberOptim
import EmberTensor
import Glibc

// Exports of ember/io.h.

// MARK: - State dict handles

func stateDict(_ h: OpaquePointer?, _ argument: StaticString) throws -> StateDict { try Handles.stateDicts.get(h, argument) }

/// As `returning`, for a new state dict handle in `out`.
func returningStateDict(_ function: StaticString, _ out: UnsafeMutablePointer<OpaquePointer?>?, _ body: () throws -> StateDict) -> ember_status {
    guard let out else { return fail(function, EmberError.invalidArgument("argument 'out' is NULL")) }
    out.pointee = nil
    do {
        out.pointee = Handles.stateDicts.insert(try body())
        return EMBER_OK
    } catch {
        return fail(function, error)
    }
}

/// A caller's (data, size) buffer; NULL only when empty.
func readBuffer(_ data: UnsafeRawPointer?, _ size: Int) throws -> UnsafeRawBufferPointer {
    if size == 0 { return UnsafeRawBufferPointer(start: nil, count: 0) }
    guard let data else { throw EmberError.invalidArgument("argument 'data' is NULL but size is \(size)") }
    return UnsafeRawBufferPointer(start: data, count: size)
}

/// Writes `text` NUL-terminated into a name buffer that must be large enough.
func writeName(_ text: String, _ buf: UnsafeMutablePointer<CChar>?, _ size: Int, _ argument: String) throws {
    guard size > 0 || buf != nil else { return }
    let bytes = Array(text.utf8)
    guard let buf else { throw EmberError.invalidArgument("argument '\(argument)' is NULL but \(argument)_size is \(size)") }
    guard size > bytes.count else {
        throw EmberError.invalidArgument("\(argument)_size is \(size) but \"\(text)\" needs \(bytes.count + 1) bytes")
    }
    for (i, b) in bytes.enumerated() { buf[i] = CChar(bitPattern: b) }
    buf[bytes.count] = 0
}

// MARK: - State dicts and safetensors

@_cdecl("ember_state_dict_new") @implementation
public func ember_state_dict_new(_ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    returningStateDict("ember_state_dict_new", out) { try StateDict() }
}

@_cdecl("ember_state_dict_load") @implementation
public func ember_state_dict_load(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    returningStateDict("ember_state_dict_load", out) { try StateDict.load(path: readString(path, "path")) }
}

@_cdecl("ember_state_dict_load_buffer") @implementation
public func ember_state_dict_load_buffer(_ data: UnsafeRawPointer?, _ size: Int, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    returningStateDict("ember_state_dict_load_buffer", out) { try StateDict.load(bytes: readBuffer(data, size)) }
}

@_cdecl("ember_state_dict_save") @implementation
public func ember_state_dict_save(_ sd: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> ember_status {
    call("ember_state_dict_save") {
        try stateDict(sd, "sd").save(path: readString(path, "path"))
    }
}

@_cdecl("ember_state_dict_save_buffer") @implementation
public func ember_state_dict_save_buffer(_ sd: OpaquePointer?, _ buf: UnsafeMutableRawPointer?, _ bufSize: Int,
                                         _ size: UnsafeMutablePointer<Int>?) -> ember_status {
    size?.pointee = 0
    return call("ember_state_dict_save_buffer") {
        guard let size else { throw EmberError.invalidArgument("argument 'size' is NULL") }
        let bytes = try stateDict(sd, "sd").serialized()
        size.pointee = bytes.count
        if buf == nil && bufSize == 0 { return }
        guard let buf else { throw EmberError.invalidArgument("argument 'buf' is NULL but buf_size is \(bufSize)") }
        guard bufSize >= bytes.count else { throw EmberError.invalidArgument("buf_size is \(bufSize) but the file has \(bytes.count) bytes") }
        bytes.withUnsafeBytes { buf.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }
}

@_cdecl("ember_state_dict_count") @implementation
public func ember_state_dict_count(_ sd: OpaquePointer?) -> Int64 {
    do { return Int64(try stateDict(sd, "sd").count) } catch {
        failQuery("ember_state_dict_count", error)
        return -1
    }
}

@_cdecl("ember_state_dict_at") @implementation
public func ember_state_dict_at(_ sd: OpaquePointer?, _ index: Int64, _ name: UnsafeMutablePointer<CChar>?, _ nameSize: Int,
                                _ out: TensorOut?) -> ember_status {
    out?.pointee = nil
    if let name, nameSize > 0 { name.pointee = 0 }
    return call("ember_state_dict_at") {
        let d = try stateDict(sd, "sd")
        guard index >= 0 && index < Int64(d.count) else {
            throw EmberError.invalidArgument("index \(index) is out of range for a state dict of \(d.count) tensors")
        }
        let (entryName, t) = d.entries[Int(index)]
        try writeName(entryName, name, nameSize, "name")
        if let out { out.pointee = Handles.tensors.insert(t) }
    }
}

@_cdecl("ember_state_dict_get") @implementation
public func ember_state_dict_get(_ sd: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: TensorOut?) -> ember_status {
    returning("ember_state_dict_get", out) { try stateDict(sd, "sd").tensor(named: readString(name, "name")) }
}

@_cdecl("ember_state_dict_set") @implementation
public func ember_state_dict_set(_ sd: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ t: OpaquePointer?) -> ember_status {
    call("ember_state_dict_set") { try stateDict(sd, "sd").set(readString(name, "name"), tensor(t, "t")) }
}

@_cdecl("ember_state_dict_remove") @implementation
public func ember_state_dict_remove(_ sd: OpaquePointer?, _ name: UnsafePointer<CChar>?) -> ember_status {
    call("ember_state_dict_remove") { try stateDict(sd, "sd").remove(readString(name, "name")) }
}

@_cdecl("ember_state_dict_metadata_count") @implementation
public func ember_state_dict_metadata_count(_ sd: OpaquePointer?) -> Int64 {
    do { return Int64(try stateDict(sd, "sd").metadata.count) } catch {
        failQuery("ember_state_dict_metadata_count", error)
        return -1
    }
}

@_cdecl("ember_state_dict_metadata_key_at") @implementation
public func ember_state_dict_metadata_key_at(_ sd: OpaquePointer?, _ index: Int64, _ key: UnsafeMutablePointer<CChar>?,
                                             _ keySize: Int) -> ember_status {
    if let key, keySize > 0 { key.pointee = 0 }
    return call("ember_state_dict_metadata_key_at") {
        let metadata = try stateDict(sd, "sd").metadata
        guard index >= 0 && index < Int64(metadata.count) else {
            throw EmberError.invalidArgument("index \(index) is out of range for \(metadata.count) metadata entries")
        }
        guard key != nil else { throw EmberError.invalidArgument("argument 'key' is NULL") }
        try writeName(metadata[Int(index)].key, key, keySize, "key")
    }
}

@_cdecl("ember_state_dict_get_metadata") @implementation
public func ember_state_dict_get_metadata(_ sd: OpaquePointer?, _ key: UnsafePointer<CChar>?, _ value: UnsafeMutablePointer<CChar>?,
                                          _ valueSize: Int, _ length: UnsafeMutablePointer<Int>?) -> ember_status {
    length?.pointee = 0
    return call("ember_state_dict_get_metadata") {
        guard length != nil else { throw EmberError.invalidArgument("argument 'length' is NULL") }
        let d = try stateDict(sd, "sd")
        let k = try readString(key, "key")
        guard let text = d.metadataValue(k) else {
            let keys = d.metadata.map { "'\($0.key)'" }.joined(separator: ", ")
            throw EmberError.invalidArgument("the state dict has no metadata '\(k)'; its keys are: \(keys.isEmpty ? "(none)" : keys)")
        }
        do { try writeString(text, value, valueSize, length) } catch let e as EmberError {
            throw EmberError.invalidArgument(e.message.replacingOccurrences("buf", "value"))
        }
    }
}

@_cdecl("ember_state_dict_set_metadata") @implementation
public func ember_state_dict_set_metadata(_ sd: OpaquePointer?, _ key: UnsafePointer<CChar>?, _ value: UnsafePointer<CChar>?) -> ember_status {
    call("ember_state_dict_set_metadata") {
        try stateDict(sd, "sd").setMetadata(readString(key, "key"), value.map { String(cString: $0) })
    }
}

@_cdecl("ember_state_dict_free") @implementation
public func ember_state_dict_free(_ sd: OpaquePointer?) {
    if sd != nil && !Handles.stateDicts.remove(sd) {
        failQuery("ember_state_dict_free", Handles.stateDicts.invalid(sd, "sd"))
    }
}

extension String {
    /// Every occurrence of `target` replaced (Foundation-free).
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

// MARK: - Module state

@_cdecl("ember_module_state_dict") @implementation
public func ember_module_state_dict(_ m: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    returningStateDict("ember_module_state_dict", out) { try module(m, "m").stateDict() }
}

@_cdecl("ember_module_load_state_dict") @implementation
public func ember_module_load_state_dict(_ m: OpaquePointer?, _ sd: OpaquePointer?, _ strict: Bool, _ report: UnsafeMutablePointer<CChar>?,
                                         _ reportSize: Int, _ reportLength: UnsafeMutablePointer<Int>?) -> ember_status {
    reportLength?.pointee = 0
    if let report, reportSize > 0 { report.pointee = 0 }
    return call("ember_module_load_state_dict") {
        let target = try module(m, "m"), source = try stateDict(sd, "sd")
        guard report != nil || reportSize == 0 else { throw EmberError.invalidArgument("argument 'report' is NULL but report_size is \(reportSize)") }
        let result = try target.loadStateDict(source, strict: strict)
        let bytes = Array(result.lines.joined(separator: "\n").utf8)
        reportLength?.pointee = bytes.count
        if let report, reportSize > 0 {
            let n = min(bytes.count, reportSize - 1)
            for i in 0..<n { report[i] = CChar(bitPattern: bytes[i]) }
            report[n] = 0
        }
    }
}

// MARK: - Model files

@_cdecl("ember_module_save") @implementation
public func ember_module_save(_ m: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> ember_status {
    call("ember_module_save") {
        try ModelFile.save(module(m, "m"), to: readString(path, "path"))
    }
}

@_cdecl("ember_module_load") @implementation
public func ember_module_load(_ path: UnsafePointer<CChar>?, _ out: ModuleOut?) -> ember_status {
    returningModule("ember_module_load", out) { try ModelFile.load(path: readString(path, "path")) }
}

@_cdecl("ember_module_load_buffer") @implementation
public func ember_module_load_buffer(_ data: UnsafeRawPointer?, _ size: Int, _ out: ModuleOut?) -> ember_status {
    returningModule("ember_module_load_buffer", out) { try ModelFile.load(bytes: readBuffer(data, size)) }
}

// MARK: - Checkpoints

/// The optimizer, scheduler and loader of a run as checkpoint parts (each may be absent).
func checkpointParts(_ opt: OpaquePointer?, _ sched: OpaquePointer?, _ dl: OpaquePointer?) throws -> [CheckpointPart] {
    var parts: [CheckpointPart] = []
    if opt != nil {
        let o = try optimizer(opt, "opt")
        parts.append(CheckpointPart(name: "optimizer", typeName: o.typeName, export: { try o.stateDict() }, load: { try o.loadStateDict($0) }))
    }
    if sched != nil {
        let s = try scheduler(sched, "sched")
        parts.append(CheckpointPart(name: "scheduler", typeName: s.typeName, export: { try s.stateEntries() }, load: { try s.loadStateDict($0) }))
    }
    if dl != nil {
        let l = try loader(dl, "loader")
        parts.append(CheckpointPart(name: "dataloader", typeName: "DataLoader", export: { try l.stateEntries() }, load: { try l.loadStateDict($0) }))
    }
    return parts
}

@_cdecl("ember_checkpoint_state_dict") @implementation
public func ember_checkpoint_state_dict(_ m: OpaquePointer?, _ opt: OpaquePointer?, _ sched: OpaquePointer?, _ loader: OpaquePointer?,
                                        _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    returningStateDict("ember_checkpoint_state_dict", out) {
        try Checkpoint.stateDict(module: m == nil ? nil : module(m, "m"), parts: checkpointParts(opt, sched, loader))
    }
}

@_cdecl("ember_checkpoint_restore") @implementation
public func ember_checkpoint_restore(_ sd: OpaquePointer?, _ m: OpaquePointer?, _ opt: OpaquePointer?, _ sched: OpaquePointer?,
                                     _ loader: OpaquePointer?) -> ember_status {
    call("ember_checkpoint_restore") {
        let d = try stateDict(sd, "sd")
        try Checkpoint.restore(d, module: m == nil ? nil : module(m, "m"), parts: checkpointParts(opt, sched, loader))
    }
}

@_cdecl("ember_checkpoint_save") @implementation
public func ember_checkpoint_save(_ path: UnsafePointer<CChar>?, _ m: OpaquePointer?, _ opt: OpaquePointer?, _ sched: OpaquePointer?,
                                  _ loader: OpaquePointer?) -> ember_status {
    call("ember_checkpoint_save") {
        let file = try readString(path, "path")
        try Checkpoint.stateDict(module: m == nil ? nil : module(m, "m"), parts: checkpointParts(opt, sched, loader)).save(path: file)
    }
}

@_cdecl("ember_checkpoint_load") @implementation
public func ember_checkpoint_load(_ path: UnsafePointer<CChar>?, _ m: OpaquePointer?, _ opt: OpaquePointer?, _ sched: OpaquePointer?,
                                  _ loader: OpaquePointer?) -> ember_status {
    call("ember_checkpoint_load") {
        let file = try readString(path, "path")
        // Handles first, so a bad handle is reported before the file is read.
        let target = m == nil ? nil : try module(m, "m")
        let parts = try checkpointParts(opt, sched, loader)
        try Checkpoint.restore(StateDict.load(path: file), module: target, parts: parts)
    }
}

// MARK: - Generator and data-loader state

@_cdecl("ember_generator_get_state") @implementation
public func ember_generator_get_state(_ out: TensorOut?) -> ember_status {
    returning("ember_generator_get_state", out) { Tensor(try Checkpoint.generatorArray(GlobalGenerator.withState { $0 })) }
}

@_cdecl("ember_generator_set_state") @implementation
public func ember_generator_set_state(_ state: OpaquePointer?) -> ember_status {
    call("ember_generator_set_state") {
        let generator = try Checkpoint.generatorState(tensor(state, "state").array)
        GlobalGenerator.withState { $0 = generator }
    }
}

@_cdecl("ember_dataloader_state_count") @implementation
public func ember_dataloader_state_count(_ l: OpaquePointer?) -> Int64 {
    do { return Int64(try loader(l, "loader").stateEntries().count) } catch {
        failQuery("ember_dataloader_state_count", error)
        return -1
    }
}

@_cdecl("ember_dataloader_state_at") @implementation
public func ember_dataloader_state_at(_ l: OpaquePointer?, _ index: Int64, _ name: UnsafeMutablePointer<CChar>?, _ nameSize: Int,
                                      _ out: TensorOut?) -> ember_status {
    out?.pointee = nil
    if let name, nameSize > 0 { name.pointee = 0 }
    return call("ember_dataloader_state_at") {
        try writeStateEntry(try loader(l, "loader").stateEntries(), index, name, nameSize, out)
    }
}

@_cdecl("ember_dataloader_load_state") @implementation
public func ember_dataloader_load_state(_ l: OpaquePointer?, _ names: UnsafePointer<UnsafePointer<CChar>?>?,
                                        _ tensors: UnsafePointer<OpaquePointer?>?, _ count: Int64) -> ember_status {
    call("ember_dataloader_load_state") {
        let dl = try loader(l, "loader")
        try dl.loadStateDict(readNamedTensors(names, tensors, count))
    }
}
