import CEmber
import EmberAutograd
import EmberTensor

// Exports of ember/conv.h: thin shims that read the C tuples, look up handles,
// call the Tensor op and hand out the result.

/// A fixed-length C tuple (`count` values), or `defaults` when the pointer is NULL
/// (nil defaults: the argument is required).
func readTuple(_ p: UnsafePointer<Int64>?, _ count: Int, _ argument: StaticString, defaults: [Int]?) throws -> [Int] {
    guard let p else {
        guard let defaults else { throw EmberError.invalidArgument("argument '\(argument)' is NULL") }
        return defaults
    }
    return (0..<count).map { Int(p[$0]) }
}

/// An optional bias handle: NULL means no bias.
func optionalTensor(_ h: OpaquePointer?, _ argument: StaticString) throws -> Tensor? {
    h == nil ? nil : try tensor(h, argument)
}

func readPadding(_ s: UnsafePointer<CChar>?, _ op: String) throws -> ConvPadding {
    try ConvPadding(readString(s, "padding"), op: op)
}

func readMode(_ s: UnsafePointer<CChar>?) throws -> InterpolationMode {
    let name = try readString(s, "mode")
    guard let mode = InterpolationMode(rawValue: name) else {
        throw EmberError.invalidArgument("mode '\(name)' is not supported; expected 'nearest', 'nearest-exact' or 'bilinear'")
    }
    return mode
}

/// C's bool align_corners as torch's Optional: false is None for the nearest modes.
func alignCornersArgument(_ value: Bool, _ mode: InterpolationMode) -> Bool? {
    value || mode == .bilinear ? value : nil
}

// MARK: - Convolution

@_cdecl("ember_conv1d") @implementation
public func ember_conv1d(_ input: OpaquePointer?, _ weight: OpaquePointer?, _ bias: OpaquePointer?, _ stride: UnsafePointer<Int64>?,
                         _ padding: UnsafePointer<Int64>?, _ dilation: UnsafePointer<Int64>?, _ groups: Int64,
                         _ out: TensorOut?) -> ember_status {
    returning("ember_conv1d", out) {
        try tensor(input, "input").conv1d(weight: tensor(weight, "weight"), bias: optionalTensor(bias, "bias"),
                                          stride: readTuple(stride, 1, "stride", defaults: [1]),
                                          padding: .explicit(readTuple(padding, 1, "padding", defaults: [0])),
                                          dilation: readTuple(dilation, 1, "dilation", defaults: [1]), groups: Int(groups))
    }
}

@_cdecl("ember_conv1d_padding") @implementation
public func ember_conv1d_padding(_ input: OpaquePointer?, _ weight: OpaquePointer?, _ bias: OpaquePointer?,
                                 _ stride: UnsafePointer<Int64>?, _ padding: UnsafePointer<CChar>?, _ dilation: UnsafePointer<Int64>?,
                                 _ groups: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_conv1d_padding", out) {
        try tensor(input, "input").conv1d(weight: tensor(weight, "weight"), bias: optionalTensor(bias, "bias"),
                                          stride: readTuple(stride, 1, "stride", defaults: [1]), padding: readPadding(padding, "conv1d"),
                                          dilation: readTuple(dilation, 1, "dilation", defaults: [1]), groups: Int(groups))
    }
}

@_cdecl("ember_conv2d") @implementation
public func ember_conv2d(_ input: OpaquePointer?, _ weight: OpaquePointer?, _ bias: OpaquePointer?, _ stride: UnsafePointer<Int64>?,
                         _ padding: UnsafePointer<Int64>?, _ dilation: UnsafePointer<Int64>?, _ groups: Int64,
                         _ out: TensorOut?) -> ember_status {
    returning("ember_conv2d", out) {
        try tensor(input, "input").conv2d(weight: tensor(weight, "weight"), bias: optionalTensor(bias, "bias"),
                                          stride: readTuple(stride, 2, "stride", defaults: [1]),
                                          padding: .explicit(readTuple(padding, 2, "padding", defaults: [0])),
                                          dilation: readTuple(dilation, 2, "dilation", defaults: [1]), groups: Int(groups))
    }
}

@_cdecl("ember_conv2d_padding") @implementation
public func ember_conv2d_padding(_ input: OpaquePointer?, _ weight: OpaquePointer?, _ bias: OpaquePointer?,
                                 _ stride: UnsafePointer<Int64>?, _ padding: UnsafePointer<CChar>?, _ dilation: UnsafePointer<Int64>?,
                                 _ groups: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_conv2d_padding", out) {
        try tensor(input, "input").conv2d(weight: tensor(weight, "weight"), bias: optionalTensor(bias, "bias"),
                                          stride: readTuple(stride, 2, "stride", defaults: [1]), padding: readPadding(padding, "conv2d"),
                                          dilation: readTuple(dilation, 2, "dilation", defaults: [1]), groups: Int(groups))
    }
}

@_cdecl("ember_conv_transpose2d") @implementation
public func ember_conv_transpose2d(_ input: OpaquePointer?, _ weight: OpaquePointer?, _ bias: OpaquePointer?,
                                   _ stride: UnsafePointer<Int64>?, _ padding: UnsafePointer<Int64>?,
                                   _ outputPadding: UnsafePointer<Int64>?, _ groups: Int64, _ dilation: UnsafePointer<Int64>?,
                                   _ out: TensorOut?) -> ember_status {
    returning("ember_conv_transpose2d", out) {
        try tensor(input, "input").convTranspose2d(weight: tensor(weight, "weight"), bias: optionalTensor(bias, "bias"),
                                                   stride: readTuple(stride, 2, "stride", defaults: [1]),
                                                   padding: readTuple(padding, 2, "padding", defaults: [0]),
                                                   outputPadding: readTuple(outputPadding, 2, "output_padding", defaults: [0]),
                                                   groups: Int(groups), dilation: readTuple(dilation, 2, "dilation", defaults: [1]))
    }
}

// MARK: - Pooling

/// The pooling options from C tuples of `count` values.
func poolOptions(_ kernel: UnsafePointer<Int64>?, _ stride: UnsafePointer<Int64>?, _ padding: UnsafePointer<Int64>?,
                 _ dilation: UnsafePointer<Int64>?, _ ceilMode: Bool, count: Int) throws -> PoolOptions {
    PoolOptions(kernelSize: try readTuple(kernel, count, "kernel_size", defaults: nil),
                stride: stride == nil ? nil : try readTuple(stride, count, "stride", defaults: nil),
                padding: try readTuple(padding, count, "padding", defaults: [0]),
                dilation: try readTuple(dilation, count, "dilation", defaults: [1]), ceilMode: ceilMode)
}

@_cdecl("ember_max_pool1d") @implementation
public func ember_max_pool1d(_ input: OpaquePointer?, _ kernelSize: UnsafePointer<Int64>?, _ stride: UnsafePointer<Int64>?,
                             _ padding: UnsafePointer<Int64>?, _ dilation: UnsafePointer<Int64>?, _ ceilMode: Bool,
                             _ out: TensorOut?) -> ember_status {
    returning("ember_max_pool1d", out) {
        try tensor(input, "input").maxPool("max_pool1d", spatial: 1,
                                           poolOptions(kernelSize, stride, padding, dilation, ceilMode, count: 1),
                                           withIndices: false).values
    }
}

@_cdecl("ember_max_pool1d_with_indices") @implementation
public func ember_max_pool1d_with_indices(_ input: OpaquePointer?, _ kernelSize: UnsafePointer<Int64>?, _ stride: UnsafePointer<Int64>?,
                                          _ padding: UnsafePointer<Int64>?, _ dilation: UnsafePointer<Int64>?, _ ceilMode: Bool,
                                          _ values: TensorOut?, _ indices: TensorOut?) -> ember_status {
    returningPair("ember_max_pool1d_with_indices", values, indices) {
        try tensor(input, "input").maxPool("max_pool1d", spatial: 1, poolOptions(kernelSize, stride, padding, dilation, ceilMode, count: 1))
    }
}

@_cdecl("ember_max_pool2d") @implementation
public func ember_max_pool2d(_ input: OpaquePointer?, _ kernelSize: UnsafePointer<Int64>?, _ stride: UnsafePointer<Int64>?,
                             _ padding: UnsafePointer<Int64>?, _ dilation: UnsafePointer<Int64>?, _ ceilMode: Bool,
                             _ out: TensorOut?) -> ember_status {
    returning("ember_max_pool2d", out) {
        try tensor(input, "input").maxPool("max_pool2d", spatial: 2,
                                           poolOptions(kernelSize, stride, padding, dilation, ceilMode, count: 2),
                                           withIndices: false).values
    }
}

@_cdecl("ember_max_pool2d_with_indices") @implementation
public func ember_max_pool2d_with_indices(_ input: OpaquePointer?, _ kernelSize: UnsafePointer<Int64>?, _ stride: UnsafePointer<Int64>?,
                                          _ padding: UnsafePointer<Int64>?, _ dilation: UnsafePointer<Int64>?, _ ceilMode: Bool,
                                          _ values: TensorOut?, _ indices: TensorOut?) -> ember_status {
    returningPair("ember_max_pool2d_with_indices", values, indices) {
        try tensor(input, "input").maxPool("max_pool2d", spatial: 2, poolOptions(kernelSize, stride, padding, dilation, ceilMode, count: 2))
    }
}

@_cdecl("ember_avg_pool2d") @implementation
public func ember_avg_pool2d(_ input: OpaquePointer?, _ kernelSize: UnsafePointer<Int64>?, _ stride: UnsafePointer<Int64>?,
                             _ padding: UnsafePointer<Int64>?, _ ceilMode: Bool, _ countIncludePad: Bool,
                             _ divisorOverride: UnsafePointer<Int64>?, _ out: TensorOut?) -> ember_status {
    returning("ember_avg_pool2d", out) {
        try tensor(input, "input").avgPool("avg_pool2d", poolOptions(kernelSize, stride, padding, nil, ceilMode, count: 2),
                                           countIncludePad: countIncludePad, divisorOverride: divisorOverride.map { Int($0.pointee) })
    }
}

@_cdecl("ember_adaptive_avg_pool2d") @implementation
public func ember_adaptive_avg_pool2d(_ input: OpaquePointer?, _ outputSize: UnsafePointer<Int64>?, _ out: TensorOut?) -> ember_status {
    returning("ember_adaptive_avg_pool2d", out) {
        try tensor(input, "input").adaptiveAvgPool2d(outputSize: readTuple(outputSize, 2, "output_size", defaults: nil))
    }
}

// MARK: - Resampling

@_cdecl("ember_interpolate_size") @implementation
public func ember_interpolate_size(_ input: OpaquePointer?, _ size: UnsafePointer<Int64>?, _ nsize: Int64, _ mode: UnsafePointer<CChar>?,
                                   _ alignCorners: Bool, _ out: TensorOut?) -> ember_status {
    returning("ember_interpolate_size", out) {
        let x = try tensor(input, "input")
        guard nsize >= 1 else { throw EmberError.invalidArgument("nsize must be at least 1, got \(nsize)") }
        let sizes = try readShape(size, nsize, "size").array
        let m = try readMode(mode)
        return try x.interpolate(size: sizes, mode: m, alignCorners: alignCornersArgument(alignCorners, m))
    }
}

@_cdecl("ember_interpolate_scale") @implementation
public func ember_interpolate_scale(_ input: OpaquePointer?, _ scaleFactor: UnsafePointer<Double>?, _ nscale: Int64,
                                    _ mode: UnsafePointer<CChar>?, _ alignCorners: Bool, _ recomputeScaleFactor: Bool,
                                    _ out: TensorOut?) -> ember_status {
    returning("ember_interpolate_scale", out) {
        let x = try tensor(input, "input")
        guard nscale >= 1, nscale <= Int64(Dims.capacity) else {
            throw EmberError.invalidArgument("nscale must be between 1 and \(Dims.capacity), got \(nscale)")
        }
        guard let scaleFactor else { throw EmberError.invalidArgument("argument 'scale_factor' is NULL") }
        let scales = (0..<Int(nscale)).map { scaleFactor[$0] }
        let m = try readMode(mode)
        return try x.interpolate(scaleFactor: scales, mode: m, alignCorners: alignCornersArgument(alignCorners, m),
                                 recomputeScaleFactor: recomputeScaleFactor ? true : nil)
    }
}
