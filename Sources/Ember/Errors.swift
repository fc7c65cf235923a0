import CEmber
import EmberAutograd
import EmberData
import EmberNN
import EmberOptim
import EmberTensor
import Glibc

/// The per-thread last error: a malloc'd C string in a pthread key, freed
/// when the thread exits or the next error replaces it.
enum LastError {
    static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { free($0) }
        return key
    }()

    static func set(_ message: String) {
        let old = pthread_getspecific(key)
        pthread_setspecific(key, strdup(message))
        free(old)
    }

    static var current: UnsafePointer<CChar> {
        if let p = pthread_getspecific(key) { return UnsafePointer(p.assumingMemoryBound(to: CChar.self)) }
        return emptyString
    }

    static let emptyString: UnsafePointer<CChar> = {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
        p.pointee = 0
        return UnsafePointer(p)
    }()
}

extension EmberError.Kind {
    var status: ember_status {
        switch self {
        case .invalidArgument: EMBER_ERR_INVALID_ARGUMENT
        case .invalidHandle: EMBER_ERR_INVALID_HANDLE
        case .shape: EMBER_ERR_SHAPE
        case .dtype: EMBER_ERR_DTYPE
        case .outOfMemory: EMBER_ERR_OUT_OF_MEMORY
        case .state: EMBER_ERR_STATE
        case .io: EMBER_ERR_IO
        case .internal: EMBER_ERR_INTERNAL
        }
    }
}

/// Records a failure of `function` and returns its status.
func fail(_ function: StaticString, _ error: Error) -> ember_status {
    let e = (error as? EmberError) ?? EmberError(.internal, "unexpected error: \(error)")
    LastError.set("\(function): \(e.message)")
    return e.kind.status
}

/// The body of every fallible export: runs `body`, turning a thrown error
/// into a status and the last error message.
@inline(__always)
func call(_ function: StaticString, _ body: () throws -> Void) -> ember_status {
    do {
        try body()
        return EMBER_OK
    } catch {
        return fail(function, error)
    }
}

/// As `call`, for exports whose result is a new tensor handle in `out`:
/// `out` is cleared first and set only on success.
@inline(__always)
func returning(_ function: StaticString, _ out: UnsafeMutablePointer<OpaquePointer?>?,
               _ body: () throws -> Tensor) -> ember_status {
    guard let out else { return fail(function, EmberError.invalidArgument("argument 'out' is NULL")) }
    out.pointee = nil
    do {
        out.pointee = Handles.tensors.insert(try body())
        return EMBER_OK
    } catch {
        return fail(function, error)
    }
}

/// The tensor handle type of out-parameters.
public typealias TensorOut = UnsafeMutablePointer<OpaquePointer?>

/// Reads a C list of tensor handles (`const ember_tensor *const *tensors, int64_t count`).
func readTensors(_ list: UnsafePointer<OpaquePointer?>?, _ count: Int64, _ argument: StaticString = "tensors") throws -> [Tensor] {
    guard count >= 0 else { throw EmberError.invalidArgument("count must be >= 0, got \(count)") }
    if count == 0 { return [] }
    guard let list else { throw EmberError.invalidArgument("argument '\(argument)' is NULL but count is \(count)") }
    var out: [Tensor] = []
    out.reserveCapacity(Int(count))
    for i in 0..<Int(count) {
        guard let t = Handles.tensors.lookup(list[i]) else {
            throw Handles.tensors.invalid(list[i], described: "element \(i) of '\(argument)'")
        }
        out.append(t)
    }
    return out
}

/// As `returning`, for ops that give a variable number of tensors (split,
/// chunk): writes up to `capacity` new handles into `outs` and the number into
/// `count`; with `outs` NULL only the number. Nothing is written on failure.
func returningList(_ function: StaticString, _ outs: TensorOut?, _ capacity: Int64, _ count: UnsafeMutablePointer<Int64>?,
                   countName: String = "count", expected: (() throws -> Int)? = nil,
                   _ body: () throws -> [Tensor]) -> ember_status {
    guard let count else { return fail(function, EmberError.invalidArgument("argument '\(countName)' is NULL")) }
    count.pointee = 0
    do {
        // When the number of results is known beforehand, a caller asking only
        // for the count, or without room for the results, gets its answer
        // without them being made (there may be 2^62 of them).
        if let expected {
            let n = try expected()
            if outs == nil {
                count.pointee = Int64(n)
                return EMBER_OK
            }
            guard capacity >= Int64(n) else {
                throw EmberError.invalidArgument("capacity \(capacity) is too small for the \(n) results")
            }
        }
        let tensors = try body()
        if let outs {
            guard capacity >= Int64(tensors.count) else {
                throw EmberError.invalidArgument("capacity \(capacity) is too small for the \(tensors.count) results")
            }
            for (i, t) in tensors.enumerated() { outs[i] = Handles.tensors.insert(t) }
        }
        count.pointee = Int64(tensors.count)
        return EMBER_OK
    } catch {
        return fail(function, error)
    }
}

/// As `returning`, for ops with two tensor results (values and indices).
@inline(__always)
func returningPair(_ function: StaticString, _ first: TensorOut?, _ second: TensorOut?,
                   _ body: () throws -> (Tensor, Tensor)) -> ember_status {
    first?.pointee = nil
    second?.pointee = nil
    guard let first, let second else {
        return fail(function, EmberError.invalidArgument("argument '\(first == nil ? "values" : "indices")' is NULL"))
    }
    do {
        let (a, b) = try body()
        first.pointee = Handles.tensors.insert(a)
        second.pointee = Handles.tensors.insert(b)
        return EMBER_OK
    } catch {
        return fail(function, error)
    }
}

/// Records a failure of a query that returns a sentinel instead of a status.
func failQuery(_ function: StaticString, _ error: Error) {
    _ = fail(function, error)
}

/// Reads a C shape argument, validating the pointer and the number of dims.
func readShape(_ shape: UnsafePointer<Int64>?, _ ndim: Int64, _ argument: StaticString = "shape") throws -> Dims {
    guard ndim >= 0 else { throw EmberError.invalidArgument("ndim must be >= 0, got \(ndim)") }
    guard ndim <= Int64(Dims.capacity) else {
        throw EmberError.invalidArgument("ndim \(ndim) exceeds the maximum of \(Dims.capacity) dimensions")
    }
    var dims = Dims()
    if ndim == 0 { return dims }
    guard let shape else { throw EmberError.invalidArgument("argument '\(argument)' is NULL but ndim is \(ndim)") }
    for i in 0..<Int(ndim) {
        guard let value = Int(exactly: shape[i]) else { throw EmberError.invalidArgument("size \(shape[i]) is out of range") }
        dims.append(value)
    }
    return dims
}

/// Reads a C list of dims (may be empty).
func readDims(_ dims: UnsafePointer<Int64>?, _ count: Int64, _ argument: StaticString = "dims") throws -> Dims {
    try readShape(dims, count, argument)
}

/// A C dtype value as a DType.
func readDType(_ dtype: ember_dtype, _ argument: StaticString = "dtype") throws -> DType {
    guard dtype.rawValue <= 3, let d = DType(rawValue: Int32(dtype.rawValue)) else {
        throw EmberError.dtype("argument '\(argument)' is not a valid ember_dtype (\(dtype.rawValue)); expected EMBER_FLOAT32, EMBER_FLOAT64, EMBER_INT64 or EMBER_BOOL")
    }
    return d
}

/// A C string argument.
func readString(_ s: UnsafePointer<CChar>?, _ argument: StaticString) throws -> String {
    guard let s else { throw EmberError.invalidArgument("argument '\(argument)' is NULL") }
    return String(cString: s)
}

/// Shorthands for the handle lookups every export does.
@inline(__always) func tensor(_ h: OpaquePointer?, _ argument: StaticString) throws -> Tensor {
    try Handles.tensors.get(h, argument)
}
@inline(__always) func module(_ h: OpaquePointer?, _ argument: StaticString) throws -> Module {
    try Handles.modules.get(h, argument)
}
@inline(__always) func optimizer(_ h: OpaquePointer?, _ argument: StaticString) throws -> Optimizer {
    try Handles.optimizers.get(h, argument)
}
@inline(__always) func loader(_ h: OpaquePointer?, _ argument: StaticString) throws -> EmberData.DataLoader {
    try Handles.loaders.get(h, argument)
}
