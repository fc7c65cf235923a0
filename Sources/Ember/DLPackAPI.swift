import CEmber
import EmberAutograd
import EmberTensor
import Glibc

// Exports of ember/dlpack.h: the C structures around DLPackLayout (EmberTensor),
// which decides what maps to an Ember array and when an import copies.

/// What an exported DLManagedTensor(Versioned) keeps alive: the array (and so
/// its storage) until the consumer calls the deleter.
final class DLPackExport {
    let array: NDArray
    init(_ array: NDArray) { self.array = array }
}

/// A producer's tensor an Ember storage views: calls the producer's deleter,
/// once, when the last array using the memory is gone.
final class DLPackProducer {
    let release: () -> Void
    init(_ release: @escaping () -> Void) { self.release = release }
    deinit { release() }
}

/// One malloc'd block: the managed structure, then shape and strides. The
/// deleter (a plain C function) releases the context and frees the block.
func exportBlock<T>(_ t: OpaquePointer?, _: T.Type, _ fill: (UnsafeMutablePointer<T>, DLTensor, UnsafeMutableRawPointer) -> Void) throws
    -> UnsafeMutablePointer<T> {
    let source = try tensor(t, "t")
    guard !source.requiresGrad else {
        throw EmberError.invalidArgument("can't export a tensor that requires grad (as torch); export its ember_detach instead")
    }
    let array = source.array
    let layout = DLPackLayout(exporting: array)
    let ndim = layout.shape.count
    let header = (MemoryLayout<T>.stride + 7) / 8 * 8
    guard let block = malloc(header + 2 * max(ndim, 1) * 8) else {
        throw EmberError.outOfMemory("cannot allocate a DLPack structure")
    }
    let shape = (block + header).assumingMemoryBound(to: Int64.self), strides = shape + ndim
    for i in 0..<ndim {
        shape[i] = layout.shape[i]
        strides[i] = layout.strides![i]
    }
    let dl = DLTensor(data: layout.data, device: DLDevice(device_type: kDLCPU, device_id: 0), ndim: Int32(ndim),
                      dtype: DLDataType(code: layout.code, bits: layout.bits, lanes: layout.lanes), shape: shape, strides: strides,
                      byte_offset: 0)
    let context = Unmanaged.passRetained(DLPackExport(array)).toOpaque()
    let managed = block.bindMemory(to: T.self, capacity: 1)
    fill(managed, dl, context)
    return managed
}

@_cdecl("ember_to_dlpack_versioned") @implementation
public func ember_to_dlpack_versioned(_ t: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<DLManagedTensorVersioned>?>?)
    -> ember_status {
    out?.pointee = nil
    return call("ember_to_dlpack_versioned") {
        guard let out else { throw EmberError.invalidArgument("argument 'out' is NULL") }
        out.pointee = try exportBlock(t, DLManagedTensorVersioned.self) { p, dl, context in
            p.initialize(to: DLManagedTensorVersioned(
                version: DLPackVersion(major: UInt32(DLPACK_MAJOR_VERSION), minor: UInt32(DLPACK_MINOR_VERSION)), manager_ctx: context,
                deleter: { me in
                    guard let me else { return }
                    if let context = me.pointee.manager_ctx { Unmanaged<DLPackExport>.fromOpaque(context).release() }
                    free(me)
                }, flags: 0, dl_tensor: dl))
        }
    }
}

@_cdecl("ember_to_dlpack") @implementation
public func ember_to_dlpack(_ t: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<DLManagedTensor>?>?) -> ember_status {
    out?.pointee = nil
    return call("ember_to_dlpack") {
        guard let out else { throw EmberError.invalidArgument("argument 'out' is NULL") }
        out.pointee = try exportBlock(t, DLManagedTensor.self) { p, dl, context in
            p.initialize(to: DLManagedTensor(dl_tensor: dl, manager_ctx: context, deleter: { me in
                guard let me else { return }
                if let context = me.pointee.manager_ctx { Unmanaged<DLPackExport>.fromOpaque(context).release() }
                free(me)
            }))
        }
    }
}

/// A DLTensor's fields as a layout, reading shape and strides only after
/// checking ndim.
func layout(of t: DLTensor, readOnly: Bool) throws -> DLPackLayout {
    guard t.ndim >= 0 && t.ndim <= Int32(Dims.capacity) else {
        throw EmberError.invalidArgument("the DLPack tensor has ndim \(t.ndim); Ember tensors have 0 to \(Dims.capacity) dimensions")
    }
    let n = Int(t.ndim)
    guard n == 0 || t.shape != nil else { throw EmberError.invalidArgument("the DLPack tensor has NULL shape but ndim \(n)") }
    let shape = (0..<n).map { t.shape![$0] }
    let strides = t.strides.map { s in (0..<n).map { s[$0] } }
    return DLPackLayout(data: t.data, byteOffset: t.byte_offset, deviceType: Int32(bitPattern: UInt32(t.device.device_type.rawValue)),
                        deviceID: t.device.device_id, shape: shape, strides: strides, code: t.dtype.code, bits: t.dtype.bits,
                        lanes: t.dtype.lanes, readOnly: readOnly)
}

@_cdecl("ember_from_dlpack_versioned") @implementation
public func ember_from_dlpack_versioned(_ src: UnsafeMutablePointer<DLManagedTensorVersioned>?, _ out: TensorOut?) -> ember_status {
    returning("ember_from_dlpack_versioned", out) {
        guard let src else { throw EmberError.invalidArgument("argument 'src' is NULL") }
        let version = src.pointee.version
        guard version.major == UInt32(DLPACK_MAJOR_VERSION) else {
            throw EmberError.invalidArgument("the DLPack tensor has version \(version.major).\(version.minor); Ember reads major version \(DLPACK_MAJOR_VERSION) (the caller still owns it and may call its deleter)")
        }
        let readOnly = src.pointee.flags & UInt64(DLPACK_FLAG_BITMASK_READ_ONLY) != 0
        let deleter = src.pointee.deleter
        let (array, views) = try layout(of: src.pointee.dl_tensor, readOnly: readOnly).importArray {
            DLPackProducer { deleter?(src) }
        }
        if !views { deleter?(src) }
        return Tensor(array)
    }
}

@_cdecl("ember_from_dlpack") @implementation
public func ember_from_dlpack(_ src: UnsafeMutablePointer<DLManagedTensor>?, _ out: TensorOut?) -> ember_status {
    returning("ember_from_dlpack", out) {
        guard let src else { throw EmberError.invalidArgument("argument 'src' is NULL") }
        let deleter = src.pointee.deleter
        let (array, views) = try layout(of: src.pointee.dl_tensor, readOnly: false).importArray {
            DLPackProducer { deleter?(src) }
        }
        if !views { deleter?(src) }
        return Tensor(array)
    }
}
