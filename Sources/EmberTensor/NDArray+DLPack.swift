import Glibc

/// A CPU tensor as DLPack describes it (DLTensor's fields, in Swift), the
/// part of DLPack interchange that needs no C structs: which dtypes and
/// layouts map to an Ember array, and when an import must copy.
///
/// ```swift
/// let layout = DLPackLayout(exporting: array)      // for a DLManagedTensorVersioned
/// let (imported, views) = try layout.importArray { producerOwner }
/// ```
public struct DLPackLayout {
    /// DLDataTypeCode values.
    public static let codeInt: UInt8 = 0, codeUInt: UInt8 = 1, codeFloat: UInt8 = 2, codeBfloat: UInt8 = 4,
                      codeComplex: UInt8 = 5, codeBool: UInt8 = 6
    /// DLDeviceType values Ember names in messages.
    public static let deviceNames: [Int32: String] = [
        1: "kDLCPU", 2: "kDLCUDA", 3: "kDLCUDAHost", 4: "kDLOpenCL", 7: "kDLVulkan", 8: "kDLMetal", 9: "kDLVPI", 10: "kDLROCM",
        11: "kDLROCMHost", 12: "kDLExtDev", 13: "kDLCUDAManaged", 14: "kDLOneAPI", 15: "kDLWebGPU", 16: "kDLHexagon", 17: "kDLMAIA",
    ]

    public var data: UnsafeMutableRawPointer?
    public var byteOffset: UInt64
    public var deviceType: Int32
    public var deviceID: Int32
    public var shape: [Int64]
    /// Strides in elements; nil means row-major (compact).
    public var strides: [Int64]?
    public var code: UInt8
    public var bits: UInt8
    public var lanes: UInt16
    /// DLPACK_FLAG_BITMASK_READ_ONLY: the consumer must not write.
    public var readOnly: Bool

    public init(data: UnsafeMutableRawPointer?, byteOffset: UInt64, deviceType: Int32, deviceID: Int32, shape: [Int64],
                strides: [Int64]?, code: UInt8, bits: UInt8, lanes: UInt16, readOnly: Bool) {
        self.data = data
        self.byteOffset = byteOffset
        self.deviceType = deviceType
        self.deviceID = deviceID
        self.shape = shape
        self.strides = strides
        self.code = code
        self.bits = bits
        self.lanes = lanes
        self.readOnly = readOnly
    }

    /// The layout of `array` for export: its first element's address, its
    /// shape and strides (in elements, as DLPack counts them), on the CPU.
    public init(exporting array: NDArray) {
        let (code, bits) = DLPackLayout.typeCode(array.dtype)
        self.init(data: array.rawPointer, byteOffset: 0, deviceType: 1, deviceID: 0, shape: array.shape.map { Int64($0) },
                  strides: array.strides.map { Int64($0) }, code: code, bits: bits, lanes: 1, readOnly: false)
    }

    /// DLPack's (code, bits) for an Ember dtype.
    public static func typeCode(_ dtype: DType) -> (UInt8, UInt8) {
        switch dtype {
        case .float32: (codeFloat, 32)
        case .float64: (codeFloat, 64)
        case .int64: (codeInt, 64)
        case .bool: (codeBool, 8)
        }
    }

    /// The Ember dtype of this layout's element type, or a `.dtype` error naming it.
    public func dtype() throws -> DType {
        switch (code, bits, lanes) {
        case (DLPackLayout.codeFloat, 32, 1): return .float32
        case (DLPackLayout.codeFloat, 64, 1): return .float64
        case (DLPackLayout.codeInt, 64, 1): return .int64
        case (DLPackLayout.codeBool, 8, 1): return .bool
        default:
            let names: [UInt8: String] = [0: "int", 1: "uint", 2: "float", 3: "opaque handle", 4: "bfloat", 5: "complex", 6: "bool"]
            let kind = names[code] ?? "type code \(code)"
            throw EmberError.dtype("DLPack dtype \(kind)\(bits)\(lanes == 1 ? "" : " x \(lanes) lanes") (code \(code), bits \(bits), lanes \(lanes)) has no Ember equivalent; Ember takes float32, float64, int64 and bool")
        }
    }

    /// An Ember array over this layout. It views the producer's memory (and
    /// `owner()`, called only then, is kept alive as long as the array's
    /// storage lives) unless the tensor is read-only, has negative strides,
    /// a misaligned start or bool bytes other than 0 and 1, or no elements:
    /// then the data is copied and `views` is false, so the producer can be
    /// released at once. Nothing is taken on failure. Errors: `.invalidArgument`
    /// (not a CPU tensor, a bad shape or stride, NULL data), `.dtype`, `.outOfMemory`.
    public func importArray(owner: () -> AnyObject) throws -> (array: NDArray, views: Bool) {
        guard deviceType == 1 else {
            let name = DLPackLayout.deviceNames[deviceType] ?? "device type \(deviceType)"
            throw EmberError.invalidArgument("the DLPack tensor is on \(name) (device \(deviceID)); Ember takes CPU tensors (kDLCPU) only")
        }
        let dtype = try self.dtype()
        guard shape.count <= Dims.capacity else {
            throw EmberError.invalidArgument("the DLPack tensor has \(shape.count) dimensions; Ember tensors have at most \(Dims.capacity)")
        }
        if let strides, strides.count != shape.count {
            throw EmberError.invalidArgument("the DLPack tensor has \(shape.count) sizes but \(strides.count) strides")
        }
        var dims = Dims()
        for s in shape {
            guard s >= 0, let size = Int(exactly: s) else { throw EmberError.invalidArgument("the DLPack tensor has a negative size \(s) in its shape \(shape)") }
            dims.append(size)
        }
        let count = try Shapes.validate(dims, itemSize: dtype.itemSize)
        if count == 0 { return (try NDArray(empty: dims, dtype: dtype), false) }
        let elementStrides = strides.map { $0.map(Int.init) } ?? Array(Shapes.contiguousStrides(dims))
        // The element offsets the tensor reaches, checked for overflow.
        var low = 0, high = 0
        for d in 0..<dims.count where dims[d] > 1 {
            let (reach, o) = elementStrides[d].multipliedReportingOverflow(by: dims[d] - 1)
            guard !o else { throw EmberError.invalidArgument("the DLPack tensor's strides \(strides ?? []) reach past the address space") }
            if reach < 0 { low = low &+ reach } else { high = high &+ reach }
            guard low > Int.min / 16, high < Int.max / 16 else {
                throw EmberError.invalidArgument("the DLPack tensor's strides \(strides ?? []) reach past the address space")
            }
        }
        guard let data else { throw EmberError.invalidArgument("the DLPack tensor has NULL data but \(count) elements") }
        guard let offset = Int(exactly: byteOffset) else { throw EmberError.invalidArgument("the DLPack byte_offset \(byteOffset) is out of range") }
        let first = data + offset
        let itemSize = dtype.itemSize
        var cleanBools = true
        if dtype == .bool {
            let p = first.assumingMemoryBound(to: UInt8.self)
            Self.forEachOffset(dims, elementStrides) { o in if p[o] > 1 { cleanBools = false } }
        }
        if !readOnly && low == 0 && Int(bitPattern: first) % itemSize == 0 && cleanBools {
            let storage = Storage.borrowing(first, byteCount: (high + 1) * itemSize, owner: owner())
            var s = Dims()
            for v in elementStrides { s.append(v) }
            return (NDArray(storage: storage, dtype: dtype, shape: dims, strides: s), true)
        }
        // A copy, element by element in row-major order (unaligned loads are byte copies).
        let out = try NDArray(empty: dims, dtype: dtype)
        let dst = out.rawPointer
        var k = 0
        Self.forEachOffset(dims, elementStrides) { o in
            memcpy(dst + k * itemSize, first + o * itemSize, itemSize)
            if dtype == .bool { dst.storeBytes(of: dst.load(fromByteOffset: k, as: UInt8.self) != 0 ? 1 : 0, toByteOffset: k, as: UInt8.self) }
            k += 1
        }
        return (out, false)
    }

    /// Calls `body` with the element offset of every element, in row-major order.
    static func forEachOffset(_ dims: Dims, _ strides: [Int], _ body: (Int) -> Void) {
        let n = dims.count
        if n == 0 { body(0); return }
        var index = [Int](repeating: 0, count: n)
        var offset = 0
        while true {
            body(offset)
            var d = n - 1
            while d >= 0 {
                index[d] += 1
                offset += strides[d]
                if index[d] < dims[d] { break }
                offset -= strides[d] * dims[d]
                index[d] = 0
                d -= 1
            }
            if d < 0 { return }
        }
    }
}
