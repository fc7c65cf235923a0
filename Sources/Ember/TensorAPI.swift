import CEmber
import EmberAutograd
import EmberTensor
import Glibc

// Exports of ember/tensor.h: creation, element access, metadata.

@_cdecl("ember_tensor_from_data") @implementation
public func ember_tensor_from_data(_ data: UnsafeRawPointer?, _ dtype: ember_dtype, _ shape: UnsafePointer<Int64>?, _ ndim: Int64,
                                   _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    returning("ember_tensor_from_data", out) {
        Tensor(try NDArray.copying(data, dtype: readDType(dtype), shape: readShape(shape, ndim)))
    }
}

@_cdecl("ember_tensor_zeros") @implementation
public func ember_tensor_zeros(_ shape: UnsafePointer<Int64>?, _ ndim: Int64, _ dtype: ember_dtype,
                               _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    returning("ember_tensor_zeros", out) { Tensor(try NDArray.zeros(readShape(shape, ndim), dtype: readDType(dtype))) }
}

@_cdecl("ember_tensor_ones") @implementation
public func ember_tensor_ones(_ shape: UnsafePointer<Int64>?, _ ndim: Int64, _ dtype: ember_dtype,
                              _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    returning("ember_tensor_ones", out) { Tensor(try NDArray.ones(readShape(shape, ndim), dtype: readDType(dtype))) }
}

@_cdecl("ember_tensor_full") @implementation
public func ember_tensor_full(_ shape: UnsafePointer<Int64>?, _ ndim: Int64, _ value: Double, _ dtype: ember_dtype,
                              _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    returning("ember_tensor_full", out) { Tensor(try NDArray.full(readShape(shape, ndim), value: value, dtype: readDType(dtype))) }
}

@_cdecl("ember_tensor_rand") @implementation
public func ember_tensor_rand(_ shape: UnsafePointer<Int64>?, _ ndim: Int64, _ dtype: ember_dtype,
                              _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    returning("ember_tensor_rand", out) { Tensor(try NDArray.rand(readShape(shape, ndim), dtype: readDType(dtype))) }
}

@_cdecl("ember_tensor_randn") @implementation
public func ember_tensor_randn(_ shape: UnsafePointer<Int64>?, _ ndim: Int64, _ dtype: ember_dtype,
                               _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    returning("ember_tensor_randn", out) { Tensor(try NDArray.randn(readShape(shape, ndim), dtype: readDType(dtype))) }
}

@_cdecl("ember_tensor_arange") @implementation
public func ember_tensor_arange(_ start: Double, _ end: Double, _ step: Double, _ dtype: ember_dtype,
                                _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    returning("ember_tensor_arange", out) {
        Tensor(try NDArray.arange(start: start, end: end, step: step, dtype: readDType(dtype)))
    }
}

@_cdecl("ember_tensor_copy_to") @implementation
public func ember_tensor_copy_to(_ t: OpaquePointer?, _ dst: UnsafeMutableRawPointer?, _ dstBytes: Int) -> ember_status {
    call("ember_tensor_copy_to") {
        let array = try tensor(t, "t").array
        let needed = array.count * array.dtype.itemSize
        guard needed > 0 else { return }
        guard let dst else { throw EmberError.invalidArgument("argument 'dst' is NULL but the tensor has \(array.count) elements") }
        guard dstBytes >= needed else {
            throw EmberError.invalidArgument("dst_bytes is \(dstBytes) but the tensor needs \(needed) bytes (\(array.count) \(array.dtype) elements, shape \(describe(array.shape)))")
        }
        if array.isContiguous {
            memcpy(dst, array.rawPointer, needed)
        } else {
            let view = NDArray(storage: Storage.borrowing(dst, byteCount: needed), dtype: array.dtype, shape: array.shape,
                               strides: Shapes.contiguousStrides(array.shape))
            Kernels.copy(from: array, into: view)
        }
    }
}

@_cdecl("ember_tensor_copy_from") @implementation
public func ember_tensor_copy_from(_ t: OpaquePointer?, _ src: UnsafeRawPointer?, _ srcBytes: Int) -> ember_status {
    call("ember_tensor_copy_from") {
        let target = try tensor(t, "t")
        let needed = target.count * target.dtype.itemSize
        guard srcBytes == needed else {
            throw EmberError.invalidArgument("src_bytes is \(srcBytes) but the tensor holds exactly \(needed) bytes (\(target.count) \(target.dtype) elements, shape \(describe(target.shape)))")
        }
        guard needed > 0 else { return }
        guard let src else { throw EmberError.invalidArgument("argument 'src' is NULL") }
        let source = NDArray(storage: Storage.borrowing(UnsafeMutableRawPointer(mutating: src), byteCount: needed),
                             dtype: target.dtype, shape: target.shape, strides: Shapes.contiguousStrides(target.shape))
        try target.copyValues(from: source)
    }
}

@_cdecl("ember_tensor_item") @implementation
public func ember_tensor_item(_ t: OpaquePointer?, _ out: UnsafeMutablePointer<Double>?) -> ember_status {
    out?.pointee = 0
    return call("ember_tensor_item") {
        guard let out else { throw EmberError.invalidArgument("argument 'out' is NULL") }
        out.pointee = try tensor(t, "t").item()
    }
}

@_cdecl("ember_tensor_item_int64") @implementation
public func ember_tensor_item_int64(_ t: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> ember_status {
    out?.pointee = 0
    return call("ember_tensor_item_int64") {
        guard let out else { throw EmberError.invalidArgument("argument 'out' is NULL") }
        let array = try tensor(t, "t").array
        let value = try array.item()
        if array.dtype == .int64 {
            out.pointee = try array.contiguous().pointer(Int64.self).pointee
        } else {
            guard value.isFinite, value >= -9.223372036854775808e18, value < 9.223372036854775808e18 else {
                throw EmberError.invalidArgument("the value \(value) cannot be converted to int64")
            }
            out.pointee = Int64(value)
        }
    }
}

@_cdecl("ember_tensor_dtype") @implementation
public func ember_tensor_dtype(_ t: OpaquePointer?) -> ember_dtype {
    do { return ember_dtype(rawValue: UInt32(try tensor(t, "t").dtype.rawValue)) } catch {
        failQuery("ember_tensor_dtype", error)
        return ember_dtype(rawValue: UInt32.max)
    }
}

@_cdecl("ember_tensor_ndim") @implementation
public func ember_tensor_ndim(_ t: OpaquePointer?) -> Int64 {
    do { return Int64(try tensor(t, "t").ndim) } catch {
        failQuery("ember_tensor_ndim", error)
        return -1
    }
}

@_cdecl("ember_tensor_size") @implementation
public func ember_tensor_size(_ t: OpaquePointer?, _ dim: Int64) -> Int64 {
    do {
        let x = try tensor(t, "t")
        guard x.ndim > 0 else { throw EmberError.invalidArgument("dimension specified as \(dim) but the tensor has no dimensions") }
        return Int64(x.shape[try Shapes.normalize(Int(dim), x.ndim)])
    } catch {
        failQuery("ember_tensor_size", error)
        return -1
    }
}

@_cdecl("ember_tensor_numel") @implementation
public func ember_tensor_numel(_ t: OpaquePointer?) -> Int64 {
    do { return Int64(try tensor(t, "t").count) } catch {
        failQuery("ember_tensor_numel", error)
        return -1
    }
}

@_cdecl("ember_tensor_shape") @implementation
public func ember_tensor_shape(_ t: OpaquePointer?, _ shape: UnsafeMutablePointer<Int64>?, _ capacity: Int64) -> ember_status {
    call("ember_tensor_shape") {
        let x = try tensor(t, "t")
        guard x.ndim > 0 else { return }
        guard let shape else { throw EmberError.invalidArgument("argument 'shape' is NULL but the tensor has \(x.ndim) dimensions") }
        guard capacity >= Int64(x.ndim) else {
            throw EmberError.invalidArgument("capacity \(capacity) is smaller than the tensor's \(x.ndim) dimensions")
        }
        for (i, s) in x.shape.enumerated() { shape[i] = Int64(s) }
    }
}

@_cdecl("ember_tensor_is_contiguous") @implementation
public func ember_tensor_is_contiguous(_ t: OpaquePointer?) -> Bool {
    do { return try tensor(t, "t").array.isContiguous } catch {
        failQuery("ember_tensor_is_contiguous", error)
        return false
    }
}

@_cdecl("ember_tensor_retain") @implementation
public func ember_tensor_retain(_ t: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    returning("ember_tensor_retain", out) { try tensor(t, "t") }
}

@_cdecl("ember_tensor_free") @implementation
public func ember_tensor_free(_ t: OpaquePointer?) {
    if t != nil && !Handles.tensors.remove(t) {
        failQuery("ember_tensor_free", Handles.tensors.invalid(t, "t"))
    }
}
