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
                // Four running sums each, so that they fill vectors.
                var sums = SIMD4<Double>(), j = 0
                while j + 4 <= n {
                    for l in 0..<4 { sums[l] += Double(xr[j + l]) }
                    j += 4
                }
                var sum = sums.sum()
                while j < n {
                    sum += Double(xr[j])
                    j += 1
                }
                let mu = sum / Double(n)
                var squareSums = SIMD4<Double>()
                j = 0
                while j + 4 <= n {
                    for l in 0..<4 {
                        let d = Double(xr[j + l]) - mu
                        squareSums[l] += d * d
                    }
                    j += 4
                }
                var squares = squareSums.sum()
                while j < n {
                    let d = Double(xr[j]) - mu
                    squares += d * d
                    j += 1
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
            // Without a weight, a row of ones: multiplying by 1 is exact, and
            // one loop without a branch vectorises.
            let ones: UnsafeMutablePointer<T>? = w == nil ? .allocate(capacity: n) : nil
            ones?.initialize(repeating: T(1.0), count: n)
            defer { ones?.deallocate() }
            let wp = UnsafePointer(w ?? ones!)
            Parallel.forEach(rows, grain: Swift.max(1, 8192 / Swift.max(n, 1))) { range in
                for r in range {
                    let gr = g + r * n, xr = x + r * n, dr = gx + r * n
                    let mu = Double(mean[r]), inv = Double(rstd[r])
                    // Four running sums per quantity, so that they fill vectors:
                    // sum of gw_j = grad_j * weight_j, and of gw_j * (x_j - mean).
                    var sumG = SIMD4<Double>(), sumGD = SIMD4<Double>()
                    var j = 0
                    while j + 4 <= n {
                        for l in 0..<4 {
                            let gj = Double(gr[j + l]) * Double(wp[j + l])
                            sumG[l] += gj
                            sumGD[l] += gj * (Double(xr[j + l]) - mu)
                        }
                        j += 4
                    }
                    var tailG = 0.0, tailGD = 0.0
                    while j < n {
                        let gj = Double(gr[j]) * Double(wp[j])
                        tailG += gj
                        tailGD += gj * (Double(xr[j]) - mu)
                        j += 1
                    }
                    let a = (sumG.sum() + tailG) / Double(n), c = (sumGD.sum() + tailGD) * inv / Double(n)
                    for j in 0..<n { dr[j] = T(inv * (Double(gr[j]) * Double(wp[j]) - a - (Double(xr[j]) - mu) * inv * c)) }
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
