/// Layer normalisation (torch.nn.functional.layer_norm) as fused kernels: each
/// row of the last `rowLength` elements is shifted by its mean and scaled by
/// 1/sqrt(var + eps) (biased variance), then by weight and plus bias. The row
/// statistics accumulate in double; rows are split across threads.
extension Kernels {
    /// The forward pass: the normalised array (contiguous, x's shape and
    /// dtype) and each row's mean and 1/std (1-D, one entry per row, x's
    /// dtype -- what torch saves for backward). `weight` and `bias` hold
    /// `rowLength` elements each (any shape with that count).
    public static func layerNorm(_ x: NDArray, rowLength n: Int, weight: NDArray?, bias: NDArray?,
                                 eps: Double) throws -> (output: NDArray, mean: NDArray, rstd: NDArray) {
        guard x.dtype.isFloatingPoint else { throw EmberError.dtype("layer_norm: expected a floating input, got \(x.dtype)") }
        for (name, p) in [("weight", weight), ("bias", bias)] {
            guard let p else { continue }
            guard p.count == n else {
                throw EmberError.shape("layer_norm: \(name) has \(p.count) elements (shape \(describe(p.shape))) but each normalised row has \(n)")
            }
            guard p.dtype == x.dtype else { throw EmberError.dtype("layer_norm: input is \(x.dtype) but \(name) is \(p.dtype)") }
        }
        let rows = n == 0 ? 0 : x.count / n
        let source = try x.contiguous()
        let out = try NDArray(empty: x.shape, dtype: x.dtype)
        let mean = try NDArray(empty: [rows], dtype: x.dtype), rstd = try NDArray(empty: [rows], dtype: x.dtype)
        let w = try weight?.contiguous(), b = try bias?.contiguous()
        switch x.dtype {
        case .float32:
            layerNormRows(source.pointer(Float.self), out.pointer(Float.self), mean.pointer(Float.self), rstd.pointer(Float.self),
                          w?.pointer(Float.self), b?.pointer(Float.self), rows, n, eps)
        case .float64:
            layerNormRows(source.pointer(Double.self), out.pointer(Double.self), mean.pointer(Double.self), rstd.pointer(Double.self),
                          w?.pointer(Double.self), b?.pointer(Double.self), rows, n, eps)
        case .int64, .bool: break
        }
        withExtendedLifetime((source, w, b)) {}
        return (out, mean, rstd)
    }

    static func layerNormRows<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ mean: UnsafeMutablePointer<T>,
                                               _ rstd: UnsafeMutablePointer<T>, _ w: UnsafeMutablePointer<T>?,
                                               _ b: UnsafeMutablePointer<T>?, _ rows: Int, _ n: Int, _ eps: Double) {
        Parallel.forEach(rows, grain: Swift.max(1, 16_384 / Swift.max(n, 1))) { range in
            for r in range {
                let xr = x + r * n, yr = y + r * n
                var sum = 0.0
                for j in 0..<n { sum += Double(xr[j]) }
                let mu = sum / Double(n)
                var squares = 0.0
                for j in 0..<n {
                    let d = Double(xr[j]) - mu
                    squares += d * d
                }
                let inv = 1 / (squares / Double(n) + eps).squareRoot()
                mean[r] = T(mu)
                rstd[r] = T(inv)
                // torch's form: (x * rstd - mean * rstd) * w + b, in the element type.
                let scale = T(inv), shift = T(-mu * inv)
                switch (w, b) {
                case let (w?, b?): for j in 0..<n { yr[j] = (xr[j] * scale + shift) * w[j] + b[j] }
                case let (w?, nil): for j in 0..<n { yr[j] = (xr[j] * scale + shift) * w[j] }
                case let (nil, b?): for j in 0..<n { yr[j] = (xr[j] * scale + shift) + b[j] }
                case (nil, nil): for j in 0..<n { yr[j] = xr[j] * scale + shift }
                }
            }
        }
    }

    /// The gradients of layerNorm for an incoming gradient `grad` (x's shape),
    /// from the saved row statistics. With xhat = (x - mean) * rstd and
    /// gw = grad * weight: d/dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat))
    /// per row; d/dweight = sum over rows of grad * xhat; d/dbias = sum of grad.
    /// Each only when asked; weight and bias gradients have `rowLength` elements, 1-D.
    public static func layerNormBackward(grad: NDArray, input x: NDArray, mean: NDArray, rstd: NDArray, weight: NDArray?, rowLength n: Int,
                                         input needX: Bool, weight needW: Bool, bias needB: Bool) throws -> (NDArray?, NDArray?, NDArray?) {
        let rows = n == 0 ? 0 : x.count / n
        let g = try grad.cast(to: x.dtype).contiguous(), xc = try x.contiguous(), w = try weight?.contiguous()
        let gx = needX ? try NDArray(empty: x.shape, dtype: x.dtype) : nil
        let gw = needW ? try NDArray(empty: [n], dtype: x.dtype) : nil
        let gb = needB ? try NDArray(empty: [n], dtype: x.dtype) : nil
        switch x.dtype {
        case .float32:
            layerNormGradients(g.pointer(Float.self), xc.pointer(Float.self), mean.pointer(Float.self), rstd.pointer(Float.self),
                               w?.pointer(Float.self), gx?.pointer(Float.self), gw?.pointer(Float.self), gb?.pointer(Float.self), rows, n)
        case .float64:
            layerNormGradients(g.pointer(Double.self), xc.pointer(Double.self), mean.pointer(Double.self), rstd.pointer(Double.self),
                               w?.pointer(Double.self), gx?.pointer(Double.self), gw?.pointer(Double.self), gb?.pointer(Double.self), rows, n)
        case .int64, .bool: throw EmberError.dtype("layer_norm backward: expected a floating input, got \(x.dtype)")
        }
        withExtendedLifetime((g, xc, w)) {}
        return (gx, gw, gb)
    }

    static func layerNormGradients<T: FloatElement>(_ g: UnsafeMutablePointer<T>, _ x: UnsafeMutablePointer<T>, _ mean: UnsafeMutablePointer<T>,
                                                    _ rstd: UnsafeMutablePointer<T>, _ w: UnsafeMutablePointer<T>?,
                                                    _ gx: UnsafeMutablePointer<T>?, _ gw: UnsafeMutablePointer<T>?,
                                                    _ gb: UnsafeMutablePointer<T>?, _ rows: Int, _ n: Int) {
        if let gx {
            Parallel.forEach(rows, grain: Swift.max(1, 8192 / Swift.max(n, 1))) { range in
                for r in range {
                    let gr = g + r * n, xr = x + r * n, dr = gx + r * n
                    let mu = Double(mean[r]), inv = Double(rstd[r])
                    // gw_j = grad_j * weight_j (grad_j without a weight).
                    @inline(__always) func gw(_ j: Int) -> Double { w.map { Double(gr[j]) * Double($0[j]) } ?? Double(gr[j]) }
                    var sumG = 0.0, sumGX = 0.0
                    for j in 0..<n {
                        let gj = gw(j)
                        sumG += gj
                        sumGX += gj * (Double(xr[j]) - mu) * inv
                    }
                    let a = sumG / Double(n), c = sumGX / Double(n)
                    for j in 0..<n { dr[j] = T(inv * (gw(j) - a - (Double(xr[j]) - mu) * inv * c)) }
                }
            }
        }
        guard gw != nil || gb != nil else { return }
        // Column sums: each thread takes a band of columns and walks every row.
        Parallel.forEach(n, grain: Swift.max(1, 16_384 / Swift.max(rows, 1))) { columns in
            let width = columns.count, first = columns.lowerBound
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * width) { acc in
                let accW = acc.baseAddress!, accB = accW + width
                accW.initialize(repeating: 0, count: 2 * width)
                for r in 0..<rows {
                    let gr = g + r * n + first, xr = x + r * n + first
                    let mu = Double(mean[r]), inv = Double(rstd[r])
                    for k in 0..<width {
                        let gj = Double(gr[k])
                        accW[k] += gj * (Double(xr[k]) - mu) * inv
                        accB[k] += gj
                    }
                }
                for k in 0..<width {
                    gw?[first + k] = T(accW[k])
                    gb?[first + k] = T(accB[k])
                }
            }
        }
    }
}
