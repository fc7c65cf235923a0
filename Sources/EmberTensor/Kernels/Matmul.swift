import COpenBLAS

/// Batched matrix products on BLAS (sgemm/dgemm), with the batch dimensions
/// broadcast as torch.matmul broadcasts them. Strided operands whose rows or
/// columns are contiguous go to BLAS as they are, transposed if need be; only
/// other layouts are copied first.
extension Kernels {
    /// `a @ b` for a of shape (..., n, k) and b of shape (..., k, m), both at
    /// least 2-D and of the same dtype; the leading dims broadcast.
    public static func batchedMatmul(_ a: NDArray, _ b: NDArray) throws -> NDArray {
        guard a.ndim >= 2, b.ndim >= 2 else {
            throw EmberError.internal("batchedMatmul needs 2-D operands, got \(describe(a.shape)) and \(describe(b.shape))")
        }
        guard a.dtype == b.dtype else {
            throw EmberError.dtype("matmul: expected both operands to have the same dtype, got \(a.dtype) and \(b.dtype)")
        }
        let n = a.shape[a.ndim - 2], k = a.shape[a.ndim - 1]
        let k2 = b.shape[b.ndim - 2], m = b.shape[b.ndim - 1]
        guard k == k2 else {
            throw EmberError.shape("matmul: shapes \(describe(a.shape)) and \(describe(b.shape)) cannot be multiplied (\(n)x\(k) and \(k2)x\(m))")
        }
        let aBatch = Array(a.shape.dropLast(2)), bBatch = Array(b.shape.dropLast(2))
        let batch = try Shapes.broadcast(aBatch, bBatch)
        let out = try NDArray(empty: batch + [n, m], dtype: a.dtype)
        if out.count == 0 { return out }
        if k == 0 { fill(out, with: 0); return out }

        let matA = try MatrixOperand(a, rows: n, cols: k)
        let matB = try MatrixOperand(b, rows: k, cols: m)
        // Per-batch element offsets of a, b (broadcast) and out (contiguous).
        let aStrides = Shapes.broadcastStrides(aBatch, Array(matA.array.strides.dropLast(2)), to: batch)
        let bStrides = Shapes.broadcastStrides(bBatch, Array(matB.array.strides.dropLast(2)), to: batch)
        var offsets: [(Int, Int)] = []
        let batchCount = batch.reduce(1, *)
        offsets.reserveCapacity(batchCount)
        if batch.isEmpty {
            offsets.append((0, 0))
        } else {
            let layout = StridedLayout(shape: batch, strides: [aStrides, bStrides])
            let sa = layout.strides[0].last!, sb = layout.strides[1].last!
            layout.forEachRow { len, o in
                for i in 0..<len { offsets.append((o[0] + i * sa, o[1] + i * sb)) }
            }
        }

        switch a.dtype {
        case .float32:
            let pa = matA.array.pointer(Float.self), pb = matB.array.pointer(Float.self), po = out.pointer(Float.self)
            for (i, (oa, ob)) in offsets.enumerated() {
                cblas_sgemm(CblasRowMajor, matA.trans, matB.trans, Int32(n), Int32(m), Int32(k), 1,
                            pa + oa, matA.ld, pb + ob, matB.ld, 0, po + i * n * m, Int32(m))
            }
        case .float64:
            let pa = matA.array.pointer(Double.self), pb = matB.array.pointer(Double.self), po = out.pointer(Double.self)
            for (i, (oa, ob)) in offsets.enumerated() {
                cblas_dgemm(CblasRowMajor, matA.trans, matB.trans, Int32(n), Int32(m), Int32(k), 1,
                            pa + oa, matA.ld, pb + ob, matB.ld, 0, po + i * n * m, Int32(m))
            }
        case .int64:
            let pa = matA.array.pointer(Int64.self), pb = matB.array.pointer(Int64.self), po = out.pointer(Int64.self)
            let (ar, ac) = matA.elementStrides, (br, bc) = matB.elementStrides
            for (i, (oa, ob)) in offsets.enumerated() {
                let c = po + i * n * m
                for r in 0..<n {
                    for col in 0..<m {
                        var s: Int64 = 0
                        for j in 0..<k { s = s &+ pa[oa + r * ar + j * ac] &* pb[ob + j * br + col * bc] }
                        c[r * m + col] = s
                    }
                }
            }
        }
        return out
    }
}

/// One operand as BLAS sees it: a (possibly copied) array whose last two
/// dims are addressable with a leading dimension, and whether to transpose.
struct MatrixOperand {
    let array: NDArray
    let trans: CBLAS_TRANSPOSE
    let ld: Int32
    /// Element strides of (row, col) inside one matrix, for the int64 loop.
    let elementStrides: (Int, Int)

    init(_ x: NDArray, rows: Int, cols: Int) throws {
        guard rows <= Int(Int32.max), cols <= Int(Int32.max) else {
            throw EmberError.invalidArgument("matmul: a matrix of \(rows)x\(cols) is too large for BLAS (32-bit sizes)")
        }
        let rs = x.strides[x.ndim - 2], cs = x.strides[x.ndim - 1]
        if (cs == 1 || cols == 1) && (rows == 1 || rs >= max(1, cols)), let ld = Int32(exactly: rows == 1 ? max(1, cols) : rs) {
            self.array = x
            self.trans = CblasNoTrans
            self.ld = ld
            self.elementStrides = (rs, cs)
        } else if (rs == 1 || rows == 1) && (cols == 1 || cs >= max(1, rows)), let ld = Int32(exactly: cols == 1 ? max(1, rows) : cs) {
            self.array = x
            self.trans = CblasTrans
            self.ld = ld
            self.elementStrides = (rs, cs)
        } else {
            // Expanded or sliced in both directions: copy each matrix contiguous.
            let c = try x.contiguous(force: true)
            self.array = c
            self.trans = CblasNoTrans
            self.ld = Int32(max(1, cols))
            self.elementStrides = (c.strides[c.ndim - 2], c.strides[c.ndim - 1])
        }
    }
}

extension Kernels {
    /// x W^T + b for x (N, in), W (out, in), b (out): the rows of the result
    /// start as the bias and the GEMM accumulates onto them (beta = 1).
    public static func linear(_ x: NDArray, weight: NDArray, bias: NDArray?) throws -> NDArray {
        let n = x.shape[0], k = x.shape[1], m = weight.shape[0]
        let out = try NDArray(empty: [n, m], dtype: x.dtype)
        if out.count == 0 { return out }
        if let bias {
            let b = try bias.contiguous()
            for row in 0..<n {
                (out.rawPointer + row * m * x.dtype.itemSize).copyMemory(from: b.rawPointer, byteCount: m * x.dtype.itemSize)
            }
        } else {
            fill(out, with: 0)
        }
        if k == 0 { return out }
        let matA = try MatrixOperand(x, rows: n, cols: k)
        let matB = try MatrixOperand(try weight.transposed(0, 1), rows: k, cols: m)
        switch x.dtype {
        case .float32:
            cblas_sgemm(CblasRowMajor, matA.trans, matB.trans, Int32(n), Int32(m), Int32(k), 1,
                        matA.array.pointer(Float.self), matA.ld, matB.array.pointer(Float.self), matB.ld,
                        1, out.pointer(Float.self), Int32(m))
        case .float64:
            cblas_dgemm(CblasRowMajor, matA.trans, matB.trans, Int32(n), Int32(m), Int32(k), 1,
                        matA.array.pointer(Double.self), matA.ld, matB.array.pointer(Double.self), matB.ld,
                        1, out.pointer(Double.self), Int32(m))
        case .int64:
            throw EmberError.dtype("linear: expected a floating input, got int64")
        }
        return out
    }
}
