import CEmber
import EmberAutograd
import EmberTensor

// Exports of ember/base.h: version, errors, names, the seed, grad mode.

@_cdecl("ember_version") @implementation
public func ember_version() -> UnsafePointer<CChar>? {
    cString("0.1.0")
}

@_cdecl("ember_last_error") @implementation
public func ember_last_error() -> UnsafePointer<CChar>? {
    LastError.current
}

@_cdecl("ember_status_name") @implementation
public func ember_status_name(_ status: ember_status) -> UnsafePointer<CChar>? {
    switch status {
    case EMBER_OK: cString("EMBER_OK")
    case EMBER_ERR_INVALID_ARGUMENT: cString("EMBER_ERR_INVALID_ARGUMENT")
    case EMBER_ERR_INVALID_HANDLE: cString("EMBER_ERR_INVALID_HANDLE")
    case EMBER_ERR_SHAPE: cString("EMBER_ERR_SHAPE")
    case EMBER_ERR_DTYPE: cString("EMBER_ERR_DTYPE")
    case EMBER_ERR_OUT_OF_MEMORY: cString("EMBER_ERR_OUT_OF_MEMORY")
    case EMBER_ERR_STATE: cString("EMBER_ERR_STATE")
    case EMBER_ERR_IO: cString("EMBER_ERR_IO")
    case EMBER_ERR_INTERNAL: cString("EMBER_ERR_INTERNAL")
    default: cString("unknown status")
    }
}

@_cdecl("ember_dtype_name") @implementation
public func ember_dtype_name(_ dtype: ember_dtype) -> UnsafePointer<CChar>? {
    switch dtype {
    case EMBER_FLOAT32: cString("float32")
    case EMBER_FLOAT64: cString("float64")
    case EMBER_INT64: cString("int64")
    case EMBER_BOOL: cString("bool")
    default: cString("invalid")
    }
}

@_cdecl("ember_manual_seed") @implementation
public func ember_manual_seed(_ seed: UInt64) {
    GlobalGenerator.manualSeed(seed)
}

@_cdecl("ember_set_grad_enabled") @implementation
public func ember_set_grad_enabled(_ enabled: Bool) -> Bool {
    GradMode.set(enabled)
}

@_cdecl("ember_is_grad_enabled") @implementation
public func ember_is_grad_enabled() -> Bool {
    GradMode.isEnabled
}

@_cdecl("ember_set_num_threads") @implementation
public func ember_set_num_threads(_ threads: Int64) {
    Parallel.setThreads(Int(clamping: threads))
}

@_cdecl("ember_get_num_threads") @implementation
public func ember_get_num_threads() -> Int64 {
    Int64(Parallel.threads)
}

@_cdecl("ember_empty_cache") @implementation
public func ember_empty_cache() -> Int64 {
    Int64(Storage.emptyCache())
}

/// A static NUL-terminated string literal as a C string (no allocation; lives forever).
@inline(__always)
func cString(_ s: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(s.utf8Start).assumingMemoryBound(to: CChar.self)
}
