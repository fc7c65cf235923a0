import COpenBLAS
import EmberVector
import Glibc

/// Batched matrix products on BLAS (sgemm/dgemm, split across threads by
/// SplitGemm.swift), with the batch dimensions broadcast as torch.matmul
/// broadcasts them. Strided operands whose rows or
/// columns are contiguous go to BLAS as they are, transposed if need be; only
/// other layouts are copied first.
extension Kernels {
    /// `a @ b` for a of shape (..., n, k) and b of shape (..., k, m), both at
    /// least 2-D and of the same dtype; the leading dims broadcast.
    public static func batchedMatmul(_ a: NDArray, _ b: NDArray) throws -> NDArray {
        _ = BLASSetup.configured
        guard a.ndim >= 2, b.ndim >= 2 else {
            throw EmberError.internal("batchedMatmul needs 2-D operands, got \(describe(a.shape)) and \(describe(b.shape))")
        }
        guard a.dtype == b.dtype else {
            throw EmberError.dtype("matmul: expected both operands to have the same dtype, got \(a.dtype) and \(b.dtype)")
        }
        guard a.dtype != .bool else { throw EmberError.dtype("matmul is not implemented for bool tensors (as in torch)") }
        let n = a.shape[a.ndim - 2], k = a.shape[a.ndim - 1]
        let k2 = b.shape[b.ndim - 2], m = b.shape[b.ndim - 1]
        guard k == k2 else {
            throw EmberError.shape("matmul: shapes \(describe(a.shape)) and \(describe(b.shape)) cannot be multiplied (\(n)x\(k) and \(k2)x\(m))")
        }
        let aBatch = a.shape.droppingLast(2), bBatch = b.shape.droppingLast(2)
        let batch = try Shapes.broadcast(aBatch, bBatch)
        var outShape = batch
        outShape.append(n)
        outShape.append(m)
        let out = try NDArray(empty: outShape, dtype: a.dtype)
        if out.count == 0 { return out }
        if k == 0 { fill(out, with: 0); return out }

        let matA = try MatrixOperand(a, rows: n, cols: k)
        let matB = try MatrixOperand(b, rows: k, cols: m)
        // Per-batch element offsets of a, b (broadcast) and out (contiguous).
        var offsets: [(Int, Int)] = []
        if batch.isEmpty {
            offsets.append((0, 0))
        } else {
            let aStrides = Shapes.broadcastStrides(aBatch, matA.batchStrides(of: a), to: batch)
            let bStrides = Shapes.broadcastStrides(bBatch, matB.batchStrides(of: b), to: batch)
            offsets.reserveCapacity(batch.product)
            let layout = StridedLayout(shape: batch, aStrides, bStrides)
            let (sa, sb, _) = layout.inner
            layout.forEachRow { len, oa, ob, _ in
                for i in 0..<len { offsets.append((oa + i * sa, ob + i * sb)) }
            }
        }

        switch a.dtype {
        case .float32:
            offsets.withUnsafeBufferPointer { o in
                batchedGemm(o.count, matA.trans == CblasTrans, matB.trans == CblasTrans, n, m, k, matA.pointer(Float.self),
                            Int(matA.ld), matB.pointer(Float.self), Int(matB.ld), out.pointer(Float.self), n * m, m) { o[$0] }
            }
        case .float64:
            offsets.withUnsafeBufferPointer { o in
                batchedGemm(o.count, matA.trans == CblasTrans, matB.trans == CblasTrans, n, m, k, matA.pointer(Double.self),
                            Int(matA.ld), matB.pointer(Double.self), Int(matB.ld), out.pointer(Double.self), n * m, m) { o[$0] }
            }
        case .int64:
            let pa = matA.pointer(Int64.self), pb = matB.pointer(Int64.self), po = out.pointer(Int64.self)
            // No BLAS for integers: output rows split across threads.
            let (ar, ac) = matA.elementStrides, (br, bc) = matB.elementStrides
            offsets.withUnsafeBufferPointer { batches in
                Parallel.forEach(batches.count * n, grain: max(1, 32_768 / max(1, m * k))) { range in
                    for row in range {
                        let (i, r) = (row / n, row % n)
                        let (oa, ob) = batches[i]
                        let c = po + i * n * m
                        for col in 0..<m {
                            var s: Int64 = 0
                            for j in 0..<k { s = s &+ pa[oa + r * ar + j * ac] &* pb[ob + j * br + col * bc] }
                            c[r * m + col] = s
                        }
                    }
                }
            }
        case .bool:
            break  // rejected above
        }
        return out
    }
}

/// One operand as BLAS sees it: where an array's last two dims start,
/// addressable with a leading dimension (a contiguous copy when they are
/// not), and whether BLAS should transpose it. `transposed` reads the
/// array's last two dims swapped (a transposed view without making one).
/// It keeps only the address of an array it does not copy (the caller holds
/// the array for the call), not the array itself: copying the NDArray
/// (then 241 bytes) and retaining its storage was most of a tiny product's overhead.
struct MatrixOperand {
    /// The first element, of the array or of its copy.
    let base: UnsafeMutableRawPointer
    /// The contiguous copy's memory, when the array could not be read in
    /// place (a storage, not the copy's array: an operand is made per product,
    /// and an optional NDArray in it was copied and retained with it).
    let copy: Storage?
    let trans: CBLAS_TRANSPOSE
    let ld: Int32
    /// Element strides of (row, col) of the logical matrix, for the int64 loop.
    let elementStrides: (Int, Int)

    @inline(__always)
    init(_ x: borrowing NDArray, rows: Int, cols: Int, transposed: Bool = false) throws {
        guard rows <= Int(Int32.max), cols <= Int(Int32.max) else {
            throw EmberError.invalidArgument("matmul: a matrix of \(rows)x\(cols) is too large for BLAS (32-bit sizes)")
        }
        let last = x.strides[x.ndim - 1], secondLast = x.strides[x.ndim - 2]
        let rs = transposed ? last : secondLast, cs = transposed ? secondLast : last
        if (cs == 1 || cols == 1) && (rows == 1 || rs >= max(1, cols)), let ld = Int32(exactly: rows == 1 ? max(1, cols) : rs) {
            self.base = x.rawPointer
            self.copy = nil
            self.trans = CblasNoTrans
            self.ld = ld
            self.elementStrides = (rs, cs)
        } else if (rs == 1 || rows == 1) && (cols == 1 || cs >= max(1, rows)), let ld = Int32(exactly: cols == 1 ? max(1, rows) : cs) {
            self.base = x.rawPointer
            self.copy = nil
            self.trans = CblasTrans
            self.ld = ld
            self.elementStrides = (rs, cs)
        } else {
            // Expanded or sliced in both directions: copy each matrix contiguous.
            let c = try x.contiguous(force: true)
            self.base = c.rawPointer
            self.copy = c.storage
            let crs = c.strides[c.ndim - 2], ccs = c.strides[c.ndim - 1]
            self.trans = transposed ? CblasTrans : CblasNoTrans
            self.ld = Int32(max(1, transposed ? rows : cols))
            self.elementStrides = transposed ? (ccs, crs) : (crs, ccs)
        }
    }

    /// The first element, typed.
    @inline(__always) func pointer<T>(_: T.Type) -> UnsafeMutablePointer<T> { base.assumingMemoryBound(to: T.self) }

    /// The strides of the batch dims (all but the last two) of `x`, the array
    /// this operand was made from, or of its copy (contiguous, of x's shape).
    func batchStrides(of x: NDArray) -> Dims {
        (copy == nil ? x.strides : Shapes.contiguousStrides(x.shape)).droppingLast(2)
    }
}

extension Kernels {
    /// op(a) @ op(b) for 2-D floating arrays, where op transposes when asked:
    /// BLAS reads the transposes through its flags, without copies.
    public static func gemm(_ a: NDArray, transposeA: Bool = false, _ b: NDArray, transposeB: Bool = false) throws -> NDArray {
        let n = transposeA ? a.shape[1] : a.shape[0], k = transposeA ? a.shape[0] : a.shape[1]
        let k2 = transposeB ? b.shape[1] : b.shape[0], m = transposeB ? b.shape[0] : b.shape[1]
        guard k == k2 else {
            throw EmberError.shape("matmul: shapes \(describe(a.shape)) and \(describe(b.shape)) cannot be multiplied (\(n)x\(k) and \(k2)x\(m))")
        }
        let out = try NDArray(empty: Dims(n, m), dtype: a.dtype)
        try gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: out, accumulate: false)
        return out
    }

    /// out = op(a) @ op(b) (+ out when `accumulate`), out contiguous (n, m).
    static func gemm(_ a: NDArray, transposeA: Bool, _ b: NDArray, transposeB: Bool, into out: NDArray, accumulate: Bool) throws {
        _ = BLASSetup.configured
        let n = out.shape[0], m = out.shape[1], k = transposeA ? a.shape[0] : a.shape[1]
        if out.count == 0 { return }
        if k == 0 {
            if !accumulate { fill(out, with: 0) }
            return
        }
        let matA = try MatrixOperand(a, rows: n, cols: k, transposed: transposeA)
        let matB = try MatrixOperand(b, rows: k, cols: m, transposed: transposeB)
        let ta = matA.trans == CblasTrans, tb = matB.trans == CblasTrans
        switch out.dtype {
        case .float32:
            splitGemm(ta, tb, n, m, k, matA.pointer(Float.self), Int(matA.ld), matB.pointer(Float.self), Int(matB.ld),
                      accumulate ? 1 : 0, out.pointer(Float.self), m)
        case .float64:
            splitGemm(ta, tb, n, m, k, matA.pointer(Double.self), Int(matA.ld), matB.pointer(Double.self), Int(matB.ld),
                      accumulate ? 1 : 0, out.pointer(Double.self), m)
        case .int64, .bool:
            throw EmberError.dtype("gemm: expected floating operands, got \(out.dtype)")
        }
    }

    /// x W^T + b for x (N, in), W (out, in), b (out): the rows of the result
    /// start as the bias and the GEMM accumulates onto them (beta = 1).
    public static func linear(_ x: NDArray, weight: NDArray, bias: NDArray?) throws -> NDArray {
        let n = x.shape[0], m = weight.shape[0]
        let out = try NDArray(empty: Dims(n, m), dtype: x.dtype)
        if out.count == 0 { return out }
        if let bias {
            // (A contiguous bias is read where it is, without a copy of the array value.)
            let copy = bias.isContiguous ? nil : try bias.contiguous()
            let b = copy?.rawPointer ?? bias.rawPointer
            switch x.dtype {
            case .float32: fillRows(out.pointer(Float.self), b.assumingMemoryBound(to: Float.self), n, m)
            case .float64: fillRows(out.pointer(Double.self), b.assumingMemoryBound(to: Double.self), n, m)
            case .int64, .bool: throw EmberError.dtype("linear: expected a floating input, got \(x.dtype)")
            }
            withExtendedLifetime(copy) {}
        }
        try gemm(x, transposeA: false, weight, transposeB: true, into: out, accumulate: bias != nil)
        return out
    }

    /// Every row of `out` (n x m) set to `row`, rows split across threads.
    @inline(__always)
    static func fillRows<T: FloatElement>(_ out: UnsafeMutablePointer<T>, _ row: UnsafeMutablePointer<T>, _ n: Int, _ m: Int) {
        Parallel.forEach(n, grain: Swift.max(1, 32_768 / Swift.max(1, m))) { rows in
            let bytes = m * MemoryLayout<T>.stride
            if m >= 32 {
                // libc's memcpy uses the CPU's widest stores (this module is
                // compiled for baseline x86-64); short rows stay inline.
                for r in rows { memcpy(out + r * m, row, bytes) }
            } else {
                for r in rows { Bytes.copy(UnsafeMutableRawPointer(out + r * m), UnsafeRawPointer(row), bytes) }
            }
        }
    }

    /// The gradients of `linear` for an incoming gradient g (N, out):
    /// d/dx = g W, d/dW = g^T x, d/db = the column sums of g. Each only if asked.
    public static func linearBackward(grad g: NDArray, input x: NDArray, weight: NDArray,
                                      input needX: Bool, weight needW: Bool, bias needB: Bool) throws -> (NDArray?, NDArray?, NDArray?) {
        let gx = needX ? try gemm(g, weight) : nil
        let gw = needW ? try gemm(g, transposeA: true, x) : nil
        let gb = needB ? try sumLeadingDim(g) : nil
        return (gx, gw, gb)
    }

    /// The sum over dim 0 of a 2-D array, accumulated row by row in the
    /// element type, as torch reduces a non-contiguous dim.
    public static func sumLeadingDim(_ g: NDArray) throws -> NDArray {
        let rows = g.shape[0], cols = g.shape[1]
        guard g.strides[1] == 1 || cols <= 1, g.dtype.isFloatingPoint else { return try sum(g, dims: [0], keepdim: false) }
        let out = try NDArray.zeros([cols], dtype: g.dtype)
        let rs = g.strides[0]
        switch g.dtype {
        case .float32: accumulateRows(g.pointer(Float.self), rs, rows, cols, out.pointer(Float.self))
        case .float64: accumulateRows(g.pointer(Double.self), rs, rows, cols, out.pointer(Double.self))
        case .int64, .bool: break
        }
        return out
    }

    /// o[c] += the sum over rows of p[r, c], each column summed in row order;
    /// threads take bands of columns (so the sums are the same on any count).
    @inline(__always)
    static func accumulateRows<T: FloatElement>(_ p: UnsafeMutablePointer<T>, _ rs: Int, _ rows: Int, _ cols: Int, _ o: UnsafeMutablePointer<T>) {
        let bands = rows * cols >= 65_536 ? Swift.min(Parallel.threads, cols / 16) : 1
        if bands <= 1 {
            accumulateColumns(p, rs, rows, 0..<cols, o)
            return
        }
        let step = (cols + bands - 1) / bands
        WorkerPool.shared.run(chunks: bands, threads: bands) { band in
            let lo = band * step, hi = Swift.min(cols, lo + step)
            if lo < hi { accumulateColumns(p, rs, rows, lo..<hi, o) }
        }
    }

    /// o[c] += each row's [c] for columns `cols`, row after row: four rows per
    /// pass over o, added one after another (the same order as row by row),
    /// so o is loaded and stored once per four rows.
    @inline(__always)
    static func accumulateColumns<T: FloatElement>(_ p: UnsafeMutablePointer<T>, _ rs: Int, _ rows: Int, _ cols: Range<Int>,
                                                   _ o: UnsafeMutablePointer<T>) {
        var r = 0
        while r + 4 <= rows {
            let r0 = p + r * rs, r1 = r0 + rs, r2 = r1 + rs, r3 = r2 + rs
            for c in cols {
                var v = o[c]
                v += r0[c]
                v += r1[c]
                v += r2[c]
                v += r3[c]
                o[c] = v
            }
            r += 4
        }
        while r < rows {
            let row = p + r * rs
            for c in cols { o[c] += row[c] }
            r += 1
        }
    }
}
