import CEmber
import EmberAutograd
import EmberTensor

// Exports of ember/shape.h: thin shims that look up handles, call the Tensor op and
// hand out the result.

@_cdecl("ember_reshape") @implementation
public func ember_reshape(_ x: OpaquePointer?, _ shape: UnsafePointer<Int64>?, _ ndim: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_reshape", out) { try tensor(x, "x").reshape(readShape(shape, ndim)) }
}

@_cdecl("ember_transpose") @implementation
public func ember_transpose(_ x: OpaquePointer?, _ dim0: Int64, _ dim1: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_transpose", out) { try tensor(x, "x").transpose(Int(dim0), Int(dim1)) }
}

@_cdecl("ember_permute") @implementation
public func ember_permute(_ x: OpaquePointer?, _ dims: UnsafePointer<Int64>?, _ ndim: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_permute", out) { try tensor(x, "x").permute(readDims(dims, ndim)) }
}

@_cdecl("ember_expand") @implementation
public func ember_expand(_ x: OpaquePointer?, _ shape: UnsafePointer<Int64>?, _ ndim: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_expand", out) { try tensor(x, "x").expand(readShape(shape, ndim)) }
}

@_cdecl("ember_contiguous") @implementation
public func ember_contiguous(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_contiguous", out) { try tensor(x, "x").contiguous() }
}

@_cdecl("ember_clone") @implementation
public func ember_clone(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_clone", out) { try tensor(x, "x").clone() }
}

@_cdecl("ember_to_dtype") @implementation
public func ember_to_dtype(_ x: OpaquePointer?, _ dtype: ember_dtype, _ out: TensorOut?) -> ember_status {
    returning("ember_to_dtype", out) { try tensor(x, "x").to(readDType(dtype)) }
}

// MARK: - Views

@_cdecl("ember_view") @implementation
public func ember_view(_ x: OpaquePointer?, _ shape: UnsafePointer<Int64>?, _ ndim: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_view", out) { try tensor(x, "x").view(readShape(shape, ndim)) }
}

@_cdecl("ember_flatten") @implementation
public func ember_flatten(_ x: OpaquePointer?, _ startDim: Int64, _ endDim: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_flatten", out) { try tensor(x, "x").flatten(startDim: Int(startDim), endDim: Int(endDim)) }
}

@_cdecl("ember_unflatten") @implementation
public func ember_unflatten(_ x: OpaquePointer?, _ dim: Int64, _ sizes: UnsafePointer<Int64>?, _ nsizes: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_unflatten", out) { try tensor(x, "x").unflatten(dim: Int(dim), sizes: readShape(sizes, nsizes, "sizes")) }
}

@_cdecl("ember_squeeze") @implementation
public func ember_squeeze(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_squeeze", out) { try tensor(x, "x").squeeze() }
}

@_cdecl("ember_squeeze_dim") @implementation
public func ember_squeeze_dim(_ x: OpaquePointer?, _ dim: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_squeeze_dim", out) { try tensor(x, "x").squeeze(Int(dim)) }
}

@_cdecl("ember_squeeze_dims") @implementation
public func ember_squeeze_dims(_ x: OpaquePointer?, _ dims: UnsafePointer<Int64>?, _ ndims: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_squeeze_dims", out) { try tensor(x, "x").squeeze(dims: readDims(dims, ndims)) }
}

@_cdecl("ember_unsqueeze") @implementation
public func ember_unsqueeze(_ x: OpaquePointer?, _ dim: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_unsqueeze", out) { try tensor(x, "x").unsqueeze(Int(dim)) }
}

@_cdecl("ember_movedim") @implementation
public func ember_movedim(_ x: OpaquePointer?, _ source: UnsafePointer<Int64>?, _ nsource: Int64,
                          _ destination: UnsafePointer<Int64>?, _ ndestination: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_movedim", out) {
        try tensor(x, "x").movedim(readDims(source, nsource, "source"), readDims(destination, ndestination, "destination"))
    }
}

@_cdecl("ember_expand_as") @implementation
public func ember_expand_as(_ x: OpaquePointer?, _ other: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_expand_as", out) { try tensor(x, "x").expandAs(tensor(other, "other")) }
}

@_cdecl("ember_broadcast_to") @implementation
public func ember_broadcast_to(_ x: OpaquePointer?, _ shape: UnsafePointer<Int64>?, _ ndim: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_broadcast_to", out) { try tensor(x, "x").broadcastTo(readShape(shape, ndim)) }
}

@_cdecl("ember_narrow") @implementation
public func ember_narrow(_ x: OpaquePointer?, _ dim: Int64, _ start: Int64, _ length: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_narrow", out) { try tensor(x, "x").narrow(dim: Int(dim), start: Int(start), length: Int(length)) }
}

@_cdecl("ember_slice") @implementation
public func ember_slice(_ x: OpaquePointer?, _ dim: Int64, _ start: Int64, _ stop: Int64, _ step: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_slice", out) { try tensor(x, "x").slice(dim: Int(dim), start: Int(start), stop: Int(stop), step: Int(step)) }
}

@_cdecl("ember_select") @implementation
public func ember_select(_ x: OpaquePointer?, _ dim: Int64, _ index: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_select", out) { try tensor(x, "x").select(dim: Int(dim), index: Int(index)) }
}

// MARK: - Indexing

@_cdecl("ember_index_select") @implementation
public func ember_index_select(_ x: OpaquePointer?, _ dim: Int64, _ index: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_index_select", out) { try tensor(x, "x").indexSelect(dim: Int(dim), index: tensor(index, "index")) }
}

@_cdecl("ember_gather") @implementation
public func ember_gather(_ x: OpaquePointer?, _ dim: Int64, _ index: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_gather", out) { try tensor(x, "x").gather(dim: Int(dim), index: tensor(index, "index")) }
}

@_cdecl("ember_scatter") @implementation
public func ember_scatter(_ x: OpaquePointer?, _ dim: Int64, _ index: OpaquePointer?, _ src: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_scatter", out) { try tensor(x, "x").scatter(dim: Int(dim), index: tensor(index, "index"), src: tensor(src, "src")) }
}

@_cdecl("ember_scatter_value") @implementation
public func ember_scatter_value(_ x: OpaquePointer?, _ dim: Int64, _ index: OpaquePointer?, _ value: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_scatter_value", out) { try tensor(x, "x").scatter(dim: Int(dim), index: tensor(index, "index"), value: value) }
}

@_cdecl("ember_scatter_add") @implementation
public func ember_scatter_add(_ x: OpaquePointer?, _ dim: Int64, _ index: OpaquePointer?, _ src: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_scatter_add", out) { try tensor(x, "x").scatterAdd(dim: Int(dim), index: tensor(index, "index"), src: tensor(src, "src")) }
}

@_cdecl("ember_index_add") @implementation
public func ember_index_add(_ x: OpaquePointer?, _ dim: Int64, _ index: OpaquePointer?, _ source: OpaquePointer?, _ alpha: Double,
                            _ out: TensorOut?) -> ember_status {
    returning("ember_index_add", out) {
        try tensor(x, "x").indexAdd(dim: Int(dim), index: tensor(index, "index"), source: tensor(source, "source"), alpha: alpha)
    }
}

@_cdecl("ember_masked_select") @implementation
public func ember_masked_select(_ x: OpaquePointer?, _ mask: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_masked_select", out) { try tensor(x, "x").maskedSelect(tensor(mask, "mask")) }
}

@_cdecl("ember_take_along_dim") @implementation
public func ember_take_along_dim(_ x: OpaquePointer?, _ indices: OpaquePointer?, _ dim: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_take_along_dim", out) { try tensor(x, "x").takeAlongDim(tensor(indices, "indices"), dim: Int(dim)) }
}

@_cdecl("ember_take_along_dim_flat") @implementation
public func ember_take_along_dim_flat(_ x: OpaquePointer?, _ indices: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_take_along_dim_flat", out) { try tensor(x, "x").takeAlongDim(tensor(indices, "indices")) }
}

// MARK: - Joining and splitting

@_cdecl("ember_cat") @implementation
public func ember_cat(_ tensors: UnsafePointer<OpaquePointer?>?, _ count: Int64, _ dim: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_cat", out) { try Tensor.cat(readTensors(tensors, count), dim: Int(dim)) }
}

@_cdecl("ember_stack") @implementation
public func ember_stack(_ tensors: UnsafePointer<OpaquePointer?>?, _ count: Int64, _ dim: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_stack", out) { try Tensor.stack(readTensors(tensors, count), dim: Int(dim)) }
}

@_cdecl("ember_split") @implementation
public func ember_split(_ x: OpaquePointer?, _ splitSize: Int64, _ dim: Int64, _ outs: TensorOut?, _ capacity: Int64,
                        _ count: UnsafeMutablePointer<Int64>?) -> ember_status {
    returningList("ember_split", outs, capacity, count, expected: { try tensor(x, "x").splitCount(Int(splitSize), dim: Int(dim)) }) {
        try tensor(x, "x").split(Int(splitSize), dim: Int(dim))
    }
}

@_cdecl("ember_split_sizes") @implementation
public func ember_split_sizes(_ x: OpaquePointer?, _ splitSizes: UnsafePointer<Int64>?, _ nsizes: Int64, _ dim: Int64,
                              _ outs: TensorOut?, _ capacity: Int64, _ count: UnsafeMutablePointer<Int64>?) -> ember_status {
    returningList("ember_split_sizes", outs, capacity, count) {
        try tensor(x, "x").split(sizes: readInts(splitSizes, nsizes, "split_sizes"), dim: Int(dim))
    }
}

@_cdecl("ember_chunk") @implementation
public func ember_chunk(_ x: OpaquePointer?, _ chunks: Int64, _ dim: Int64, _ outs: TensorOut?, _ capacity: Int64,
                        _ count: UnsafeMutablePointer<Int64>?) -> ember_status {
    returningList("ember_chunk", outs, capacity, count, expected: { try tensor(x, "x").chunkCount(Int(chunks), dim: Int(dim)) }) {
        try tensor(x, "x").chunk(Int(chunks), dim: Int(dim))
    }
}

// MARK: - Reordering, tiling, padding

@_cdecl("ember_flip") @implementation
public func ember_flip(_ x: OpaquePointer?, _ dims: UnsafePointer<Int64>?, _ ndims: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_flip", out) { try tensor(x, "x").flip(readDims(dims, ndims)) }
}

@_cdecl("ember_roll") @implementation
public func ember_roll(_ x: OpaquePointer?, _ shifts: UnsafePointer<Int64>?, _ nshifts: Int64, _ dims: UnsafePointer<Int64>?, _ ndims: Int64,
                       _ out: TensorOut?) -> ember_status {
    returning("ember_roll", out) { try tensor(x, "x").roll(readInts(shifts, nshifts, "shifts"), dims: readInts(dims, ndims, "dims")) }
}

@_cdecl("ember_repeat") @implementation
public func ember_repeat(_ x: OpaquePointer?, _ repeats: UnsafePointer<Int64>?, _ nrepeats: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_repeat", out) { try tensor(x, "x").repeat(readDims(repeats, nrepeats, "repeats")) }
}

@_cdecl("ember_tile") @implementation
public func ember_tile(_ x: OpaquePointer?, _ reps: UnsafePointer<Int64>?, _ nreps: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_tile", out) { try tensor(x, "x").tile(readDims(reps, nreps, "reps")) }
}

@_cdecl("ember_pad") @implementation
public func ember_pad(_ x: OpaquePointer?, _ pads: UnsafePointer<Int64>?, _ npads: Int64, _ mode: UnsafePointer<CChar>?, _ value: Double,
                      _ out: TensorOut?) -> ember_status {
    returning("ember_pad", out) {
        try tensor(x, "x").pad(readInts(pads, npads, "pads"), mode: readString(mode, "mode"), value: value)
    }
}

/// A C list of integers of any length (split sizes, shifts, pads), unlike
/// readShape, which caps the count at the number of dimensions a tensor may have.
private func readInts(_ values: UnsafePointer<Int64>?, _ count: Int64, _ argument: StaticString) throws -> [Int] {
    guard count >= 0 else { throw EmberError.invalidArgument("argument '\(argument)': count must be >= 0, got \(count)") }
    if count == 0 { return [] }
    guard let values else { throw EmberError.invalidArgument("argument '\(argument)' is NULL but its count is \(count)") }
    guard count <= 1 << 24 else { throw EmberError.invalidArgument("argument '\(argument)': count \(count) is too large") }
    return (0..<Int(count)).map { Int(values[$0]) }
}
