import CEmber
import EmberAutograd
import EmberData
import EmberTensor

// Exports of ember/data.h.

@_cdecl("ember_dataloader_new") @implementation
public func ember_dataloader_new(_ inputs: OpaquePointer?, _ targets: OpaquePointer?, _ batchSize: Int64, _ shuffle: Bool,
                                 _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    guard let out else { return fail("ember_dataloader_new", EmberError.invalidArgument("argument 'out' is NULL")) }
    out.pointee = nil
    return call("ember_dataloader_new") {
        let x = try tensor(inputs, "inputs"), y = try tensor(targets, "targets")
        guard batchSize >= 1 else {
            throw EmberError.invalidArgument("batch_size should be a positive integer, got \(batchSize)")
        }
        out.pointee = Handles.loaders.insert(try DataLoader(inputs: x, targets: y, batchSize: Int(batchSize), shuffle: shuffle))
    }
}

@_cdecl("ember_dataloader_next") @implementation
public func ember_dataloader_next(_ l: OpaquePointer?, _ inputs: UnsafeMutablePointer<OpaquePointer?>?,
                                  _ targets: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    inputs?.pointee = nil
    targets?.pointee = nil
    return call("ember_dataloader_next") {
        guard let inputs, let targets else {
            throw EmberError.invalidArgument("argument '\(inputs == nil ? "inputs" : "targets")' is NULL")
        }
        guard let (x, y) = try loader(l, "loader").next() else { return }
        inputs.pointee = Handles.tensors.insert(x)
        targets.pointee = Handles.tensors.insert(y)
    }
}

private let loaderOptions = ["drop_last", "batch_size", "shuffle", "num_samples", "len"]

@_cdecl("ember_dataloader_set") @implementation
public func ember_dataloader_set(_ l: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ value: Double) -> ember_status {
    call("ember_dataloader_set") {
        let dl = try loader(l, "loader")
        let key = try readString(name, "name")
        switch key {
        case "drop_last":
            guard value == 0 || value == 1 else { throw EmberError.invalidArgument("drop_last is a boolean and must be 0 or 1, got \(value)") }
            dl.dropLast = value == 1
        case "batch_size", "shuffle", "num_samples", "len":
            throw EmberError.invalidArgument("\"\(key)\" is read-only; the settable option is: drop_last")
        default:
            throw EmberError.invalidArgument("the data loader has no option \"\(key)\"; valid names are: \(loaderOptions.joined(separator: ", "))")
        }
    }
}

@_cdecl("ember_dataloader_get") @implementation
public func ember_dataloader_get(_ l: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<Double>?) -> ember_status {
    out?.pointee = 0
    return call("ember_dataloader_get") {
        guard let out else { throw EmberError.invalidArgument("argument 'out' is NULL") }
        let dl = try loader(l, "loader")
        let key = try readString(name, "name")
        switch key {
        case "drop_last": out.pointee = dl.dropLast ? 1 : 0
        case "batch_size": out.pointee = Double(dl.batchSize)
        case "shuffle": out.pointee = dl.shuffle ? 1 : 0
        case "num_samples": out.pointee = Double(dl.sampleCount)
        case "len": out.pointee = Double(dl.batchCount)
        default:
            throw EmberError.invalidArgument("the data loader has no option \"\(key)\"; valid names are: \(loaderOptions.joined(separator: ", "))")
        }
    }
}

@_cdecl("ember_dataloader_free") @implementation
public func ember_dataloader_free(_ l: OpaquePointer?) {
    if l != nil && !Handles.loaders.remove(l) {
        failQuery("ember_dataloader_free", Handles.loaders.invalid(l, "loader"))
    }
}
