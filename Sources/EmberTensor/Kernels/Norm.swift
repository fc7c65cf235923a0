import Glibc

/// How batch norm and group norm see their input: a contiguous (N, C, S)
/// array, S the product of the spatial dims. A row is the S values of one
/// sample and channel; rows are normalised together in statistics groups --
/// one per channel for batch norm (over N and S), one per sample and group of
/// C / G channels for group norm. The affine weight and bias are per channel.
public struct NormLayout: Sendable, Equatable {
    /// N, C and S (the product of the spatial dims).
    public let batch: Int, channels: Int, spatial: Int
    /// 0 for batch norm; the number of groups G (dividing C) for group norm.
    public let groups: Int

    /// Batch norm over an input of shape (N, C, ...) (at least 2 dims, checked by the caller).
    public init(batchNormOf shape: Dims) {
        batch = shape[0]
        channels = shape[1]
        spatial = shape.dropFirst(2).reduce(1, *)
        groups = 0
    }

    /// Group norm over (N, C, ...) with `groups` dividing C (checked by the caller).
    public init(groupNormOf shape: Dims, groups: Int) {
        batch = shape[0]
        channels = shape[1]
        spatial = shape.dropFirst(2).reduce(1, *)
        self.groups = groups
    }

    /// The number of statistics: C for batch norm, N * G for group norm.
    public var statisticsCount: Int { groups == 0 ? channels : batch * groups }

    /// How many elements each statistic is taken over: N * S, or C / G * S.
    public var groupSize: Int { groups == 0 ? batch * spatial : channels / groups * spatial }

    /// The statistic row `row` (= n * C + c) belongs to.
    @inline(__always) func statistic(_ row: Int) -> Int {
        groups == 0 ? row % channels : (row / channels) * groups + (row % channels) / (channels / groups)
    }

    var rows: Int { batch * channels }
}

/// The kernels of batch norm and group norm: statistics, the normalising
/// transform and its gradient, each one pass (or two) over rows of the
/// contiguous input, split across threads. Sums accumulate in double.
extension Kernels {
    /// The mean and the biased variance of each statistics group (two passes:
    /// the mean first, then the squared deviations from it).
    public static func normStatistics(_ x: NDArray, _ layout: NormLayout) throws -> (mean: [Double], variance: [Double]) {
        let source = try x.contiguous()
        defer { withExtendedLifetime(source) {} }
        let rows = layout.rows, statistics = layout.statisticsCount
        let count = Double(layout.groupSize)
        var rowSums = [Double](repeating: 0, count: rows)
        switch source.dtype {
        case .float32: rowPass(source.pointer(Float.self), layout, &rowSums) { line, s, _ in sum(line, s) }
        case .float64: rowPass(source.pointer(Double.self), layout, &rowSums) { line, s, _ in sum(line, s) }
        case .int64, .bool: throw EmberError.dtype("normalization: expected a floating tensor, got \(x.dtype)")
        }
        var mean = [Double](repeating: 0, count: statistics)
        for r in 0..<rows { mean[layout.statistic(r)] += rowSums[r] }
        for i in 0..<statistics { mean[i] /= count }
        let means = mean
        switch source.dtype {
        case .float32:
            rowPass(source.pointer(Float.self), layout, &rowSums) { line, s, row in squaredDeviations(line, s, means[layout.statistic(row)]) }
        case .float64:
            rowPass(source.pointer(Double.self), layout, &rowSums) { line, s, row in squaredDeviations(line, s, means[layout.statistic(row)]) }
        case .int64, .bool: break
        }
        var variance = [Double](repeating: 0, count: statistics)
        for r in 0..<rows { variance[layout.statistic(r)] += rowSums[r] }
        for i in 0..<statistics { variance[i] /= count }
        return (mean, variance)
    }

    /// (x - mean) * invstd * weight + bias, per statistic and channel (weight
    /// and bias optional, shape (C), x's dtype). The result is contiguous.
    public static func normalize(_ x: NDArray, _ layout: NormLayout, mean: [Double], invstd: [Double],
                                 weight: NDArray?, bias: NDArray?) throws -> NDArray {
        let source = try x.contiguous()
        defer { withExtendedLifetime(source) {} }
        let out = try NDArray(empty: x.shape, dtype: x.dtype)
        let w = weight?.toDoubles(), b = bias?.toDoubles()
        let c = layout.channels
        // Per row: y = x * scale + shift, as torch's transform does.
        func coefficients(_ row: Int) -> (Double, Double) {
            let s = layout.statistic(row), channel = row % c
            let scale = invstd[s] * (w?[channel] ?? 1)
            return (scale, (b?[channel] ?? 0) - mean[s] * scale)
        }
        switch x.dtype {
        case .float32: affineRows(source.pointer(Float.self), out.pointer(Float.self), layout, coefficients)
        case .float64: affineRows(source.pointer(Double.self), out.pointer(Double.self), layout, coefficients)
        case .int64, .bool: throw EmberError.dtype("normalization: expected a floating tensor, got \(x.dtype)")
        }
        return out
    }

    /// The gradients of `normalize` for the incoming gradient `grad` (x's shape):
    /// of the input (when `input`), of the weight and of the bias (shape (C)).
    /// With `batchStatistics` the mean and invstd were computed from x itself,
    /// and the input gradient includes their dependence on it:
    /// dx = invstd * (dy*w - mean(dy*w) - xhat * mean(dy*w * xhat)) per group;
    /// otherwise (batch norm in eval mode) dx = dy * w * invstd.
    public static func normBackward(grad: NDArray, input x: NDArray, _ layout: NormLayout, mean: [Double], invstd: [Double],
                                    weight: NDArray?, batchStatistics: Bool, input needInput: Bool, weight needWeight: Bool,
                                    bias needBias: Bool) throws -> (NDArray?, NDArray?, NDArray?) {
        let g = try grad.contiguous(), source = try x.contiguous()
        defer { withExtendedLifetime((g, source)) {} }
        let rows = layout.rows, c = layout.channels
        let w = weight?.toDoubles()
        // Per row: the sum of dy and the sum of dy * (x - mean).
        var rowGrad = [Double](repeating: 0, count: rows), rowProduct = [Double](repeating: 0, count: rows)
        switch x.dtype {
        case .float32: gradientSums(g.pointer(Float.self), source.pointer(Float.self), layout, mean, &rowGrad, &rowProduct)
        case .float64: gradientSums(g.pointer(Double.self), source.pointer(Double.self), layout, mean, &rowGrad, &rowProduct)
        case .int64, .bool: throw EmberError.dtype("normalization backward: expected a floating tensor, got \(x.dtype)")
        }
        var gradWeight = [Double](repeating: 0, count: c), gradBias = [Double](repeating: 0, count: c)
        // Per statistic: sum(dy * w) and sum(dy * w * xhat), for the input gradient.
        var sumGrad = [Double](repeating: 0, count: layout.statisticsCount), sumProduct = sumGrad
        for r in 0..<rows {
            let s = layout.statistic(r), channel = r % c
            let product = rowProduct[r] * invstd[s]
            gradBias[channel] += rowGrad[r]
            gradWeight[channel] += product
            sumGrad[s] += rowGrad[r] * (w?[channel] ?? 1)
            sumProduct[s] += product * (w?[channel] ?? 1)
        }
        var gradInput: NDArray? = nil
        if needInput {
            let out = try NDArray(empty: x.shape, dtype: x.dtype)
            let m = Double(layout.groupSize)
            // dx = a * dy + b * x + d per row, the terms of the formulas above.
            func coefficients(_ row: Int) -> (Double, Double, Double) {
                let s = layout.statistic(row), scale = invstd[s] * (w?[row % c] ?? 1)
                guard batchStatistics else { return (scale, 0, 0) }
                let k = invstd[s] * sumProduct[s] / m
                return (scale, -invstd[s] * k, invstd[s] * (k * mean[s] - sumGrad[s] / m))
            }
            switch x.dtype {
            case .float32: gradientRows(g.pointer(Float.self), source.pointer(Float.self), out.pointer(Float.self), layout, coefficients)
            case .float64: gradientRows(g.pointer(Double.self), source.pointer(Double.self), out.pointer(Double.self), layout, coefficients)
            case .int64, .bool: break
            }
            gradInput = out
        }
        let dtype = weight?.dtype ?? x.dtype
        return (gradInput,
                needWeight ? try NDArray.copying(gradWeight, dtype: .float64, shape: [c]).cast(to: dtype) : nil,
                needBias ? try NDArray.copying(gradBias, dtype: .float64, shape: [c]).cast(to: dtype) : nil)
    }

    /// momentum * values + (1 - momentum) * running, in running's dtype (the
    /// update of batch norm's running statistics).
    public static func runningAverage(_ running: NDArray, _ values: [Double], momentum: Double) throws -> NDArray {
        let old = running.toDoubles()
        let new = (0..<old.count).map { momentum * values[$0] + (1 - momentum) * old[$0] }
        return try NDArray.copying(new, dtype: .float64, shape: running.shape).cast(to: running.dtype)
    }

    // MARK: - Row loops

    /// Calls `f(row pointer, length, row)` for every row in parallel, storing its result per row.
    static func rowPass<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ layout: NormLayout, _ out: inout [Double],
                                         _ f: (UnsafeMutablePointer<T>, Int, Int) -> Double) {
        let s = layout.spatial
        out.withUnsafeMutableBufferPointer { results in
            let results = results
            Parallel.forEach(layout.rows, grain: max(1, 32_768 / max(s, 1))) { range in
                for row in range { results[row] = f(x + row * s, s, row) }
            }
        }
    }

    @inline(__always)
    static func sum<T: FloatElement>(_ line: UnsafeMutablePointer<T>, _ n: Int) -> Double {
        var total = 0.0
        for i in 0..<n { total += Double(line[i]) }
        return total
    }

    @inline(__always)
    static func squaredDeviations<T: FloatElement>(_ line: UnsafeMutablePointer<T>, _ n: Int, _ mean: Double) -> Double {
        var total = 0.0
        for i in 0..<n {
            let d = Double(line[i]) - mean
            total += d * d
        }
        return total
    }

    /// y = x * scale + shift with one (scale, shift) per row.
    static func affineRows<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ layout: NormLayout,
                                            _ coefficients: (Int) -> (Double, Double)) {
        let s = layout.spatial
        Parallel.forEach(layout.rows, grain: max(1, 32_768 / max(s, 1))) { range in
            for row in range {
                let (scale, shift) = coefficients(row)
                let src = x + row * s, dst = y + row * s
                for i in 0..<s { dst[i] = T(Double(src[i]) * scale + shift) }
            }
        }
    }

    static func gradientSums<T: FloatElement>(_ g: UnsafeMutablePointer<T>, _ x: UnsafeMutablePointer<T>, _ layout: NormLayout,
                                              _ mean: [Double], _ rowGrad: inout [Double], _ rowProduct: inout [Double]) {
        let s = layout.spatial
        rowGrad.withUnsafeMutableBufferPointer { sums in
            rowProduct.withUnsafeMutableBufferPointer { products in
                let (sums, products) = (sums, products)
                Parallel.forEach(layout.rows, grain: max(1, 16_384 / max(s, 1))) { range in
                    for row in range {
                        let m = mean[layout.statistic(row)]
                        var total = 0.0, product = 0.0
                        for i in 0..<s {
                            let dy = Double(g[row * s + i])
                            total += dy
                            product += dy * (Double(x[row * s + i]) - m)
                        }
                        sums[row] = total
                        products[row] = product
                    }
                }
            }
        }
    }

    /// dx = a * dy + b * x + d with one (a, b, d) per row.
    static func gradientRows<T: FloatElement>(_ g: UnsafeMutablePointer<T>, _ x: UnsafeMutablePointer<T>, _ dx: UnsafeMutablePointer<T>,
                                              _ layout: NormLayout, _ coefficients: (Int) -> (Double, Double, Double)) {
        let s = layout.spatial
        Parallel.forEach(layout.rows, grain: max(1, 32_768 / max(s, 1))) { range in
            for row in range {
                let (a, b, d) = coefficients(row)
                for i in row * s..<(row + 1) * s { dx[i] = T(a * Double(g[i]) + b * Double(x[i]) + d) }
            }
        }
    }
}
