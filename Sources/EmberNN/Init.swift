import EmberAutograd
import EmberTensor
import Glibc

/// In-place initialisers (torch.nn.init), drawing from the global generator
/// in torch's order and with torch's arithmetic, so the same seed gives the
/// same weights. Like torch's, they write without recording a graph, so they
/// work on parameters (leaves that require grad).
///
/// ```swift
/// try Init.kaimingNormal(conv.weight, mode: "fan_out", nonlinearity: "relu")
/// try Init.zeros(conv.bias!)
/// ```
public enum Init {
    /// The nonlinearities calculate_gain knows.
    static let nonlinearities = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
                                 "sigmoid", "tanh", "relu", "leaky_relu", "selu"]

    /// torch.nn.init.calculate_gain: the recommended gain for a nonlinearity
    /// (`param` is leaky_relu's negative slope, 0.01 by default).
    public static func gain(_ nonlinearity: String, param: Double? = nil) throws -> Double {
        switch nonlinearity {
        case "linear", "conv1d", "conv2d", "conv3d", "sigmoid", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d":
            return 1
        case "tanh": return 5.0 / 3
        case "relu": return 2.0.squareRoot()
        case "leaky_relu":
            let slope = param ?? 0.01
            return (2.0 / (1 + pow(slope, 2))).squareRoot()
        case "selu": return 3.0 / 4
        default:
            throw EmberError.invalidArgument("unsupported nonlinearity \"\(nonlinearity)\"; expected one of \(nonlinearities.joined(separator: ", "))")
        }
    }

    /// torch.nn.init.calculate_gain (the same as `gain`).
    public static func calculateGain(_ nonlinearity: String, param: Double? = nil) throws -> Double {
        try gain(nonlinearity, param: param)
    }

    /// (fan_in, fan_out) of a weight, as torch computes them: size(1) and
    /// size(0), each times the product of the remaining (receptive field) dims.
    public static func fans(_ shape: Dims) throws -> (Int, Int) {
        guard shape.count >= 2 else {
            throw EmberError.invalidArgument("fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (shape \(describe(shape)))")
        }
        // Checked products: a hand-made shape may not describe any tensor.
        var receptive = 1
        for d in shape.dropFirst(2) {
            let (product, overflow) = receptive.multipliedReportingOverflow(by: d)
            guard !overflow else { throw EmberError.invalidArgument("fans of shape \(describe(shape)) overflow") }
            receptive = product
        }
        let (fanIn, o1) = shape[1].multipliedReportingOverflow(by: receptive), (fanOut, o2) = shape[0].multipliedReportingOverflow(by: receptive)
        guard !o1 && !o2 else { throw EmberError.invalidArgument("fans of shape \(describe(shape)) overflow") }
        return (fanIn, fanOut)
    }

    // MARK: - Fills

    /// torch.nn.init.uniform_: samples from U(from, to).
    public static func uniform(_ t: Tensor, from: Double = 0, to: Double = 1) throws {
        try GradMode.with(false) { _ = try t.uniform_(from: from, to: to) }
    }

    /// torch.nn.init.normal_: samples from N(mean, std).
    public static func normal(_ t: Tensor, mean: Double = 0, std: Double = 1) throws {
        try GradMode.with(false) { _ = try t.normal_(mean: mean, std: std) }
    }

    /// torch.nn.init.constant_: every element `value`.
    public static func constant(_ t: Tensor, _ value: Double) throws {
        try GradMode.with(false) { _ = try t.fill_(value) }
    }

    /// torch.nn.init.zeros_.
    public static func zeros(_ t: Tensor) throws { try constant(t, 0) }

    /// torch.nn.init.ones_.
    public static func ones(_ t: Tensor) throws { try constant(t, 1) }

    /// torch.nn.init.eye_: the identity matrix (ones on the main diagonal) in a 2-D tensor.
    public static func eye(_ t: Tensor) throws {
        guard t.ndim == 2 else {
            throw EmberError.invalidArgument("eye_: only tensors with 2 dimensions are supported, got shape \(describe(t.shape))")
        }
        try GradMode.with(false) { _ = try t.copy_(Tensor.eye(t.shape[0], t.shape[1], dtype: t.dtype)) }
    }

    /// torch.nn.init.trunc_normal_: N(mean, std^2) truncated to [a, b], by
    /// torch's rejection sampling: when the interval holds more than 30% of
    /// the mass, normal samples with the ones outside redrawn (a whole new
    /// normal_ draw per round, as torch); otherwise uniform candidates on
    /// [a, b], each accepted with probability pdf / pdf(mode).
    public static func truncNormal(_ t: Tensor, mean: Double = 0, std: Double = 1, a: Double = -2, b: Double = 2) throws {
        guard t.dtype.isFloatingPoint else { throw EmberError.dtype("trunc_normal_: expected a floating tensor, got \(t.dtype)") }
        guard std > 0, a <= b else {
            throw EmberError.invalidArgument("trunc_normal_: expected std > 0 and a <= b, got std=\(std), a=\(a), b=\(b)")
        }
        func cdf(_ x: Double) -> Double { (1 + erf(x / 2.0.squareRoot())) / 2 }
        let mass = cdf((b - mean) / std) - cdf((a - mean) / std)
        // Rounds of redrawing before giving up (torch would loop for ever).
        let limit = 100_000
        try GradMode.with(false) {
            func fresh() throws -> Tensor { Tensor(try NDArray.emptyLike(t.array)) }
            func any(_ mask: Tensor) throws -> Bool { try mask.any().item() != 0 }
            if mass > 0.3 {
                // The bounds as the tensor's dtype holds them, so the test matches its values.
                let low = try Tensor.scalar(a, dtype: t.dtype).item(), high = try Tensor.scalar(b, dtype: t.dtype).item()
                var result = try t.normal_(mean: mean, std: std)
                for _ in 0..<limit {
                    let outside = try result.lt(low).logicalOr(result.gt(high))
                    guard try any(outside) else { return }
                    result = try Tensor.where(outside, fresh().normal_(mean: mean, std: std), result)
                    _ = try t.copy_(result)
                }
            } else {
                let mode = Swift.max(a, Swift.min(mean, b))
                let logPeak = -0.5 * ((mode - mean) / std) * ((mode - mean) / std)
                // log(pdf / pdf(mode)) of candidates, in the tensor's precision as torch's in-place chain.
                func logRatio(_ x: Tensor) throws -> Tensor { try x.sub(mean).div(std).pow(2).mul(-0.5).sub(logPeak) }
                func rejected(_ logPdf: Tensor) throws -> Tensor { try fresh().uniform_().log().gt(logPdf) }
                _ = try t.uniform_(from: a, to: b)
                var pending = try rejected(logRatio(t))
                var result = t
                for _ in 0..<limit {
                    guard try any(pending) else {
                        if result !== t { _ = try t.copy_(result) }
                        return
                    }
                    let candidates = try fresh().uniform_(from: a, to: b)
                    result = try Tensor.where(pending, candidates, result)
                    pending = try Tensor.where(pending, rejected(logRatio(candidates)), pending)
                }
            }
            throw EmberError.invalidArgument("trunc_normal_: rejection sampling did not finish in \(limit) rounds for mean=\(mean), std=\(std), a=\(a), b=\(b)")
        }
    }

    // MARK: - Scaled by the fans

    /// torch.nn.init.kaiming_uniform_: U(-bound, bound) with bound =
    /// gain * sqrt(3 / fan), fan by `mode` ("fan_in" or "fan_out"), gain from
    /// `nonlinearity` with `a` as leaky_relu's slope. A tensor with no
    /// elements is left alone (torch warns).
    public static func kaimingUniform(_ t: Tensor, a: Double = 0, mode: String = "fan_in", nonlinearity: String = "leaky_relu") throws {
        if t.count == 0 { return }
        let std = try gain(nonlinearity, param: a) / Double(try fan(t, mode)).squareRoot()
        let bound = 3.0.squareRoot() * std
        try uniform(t, from: -bound, to: bound)
    }

    /// torch.nn.init.kaiming_normal_: N(0, std^2) with std = gain / sqrt(fan).
    public static func kaimingNormal(_ t: Tensor, a: Double = 0, mode: String = "fan_in", nonlinearity: String = "leaky_relu") throws {
        if t.count == 0 { return }
        let std = try gain(nonlinearity, param: a) / Double(try fan(t, mode)).squareRoot()
        try normal(t, mean: 0, std: std)
    }

    /// torch.nn.init.xavier_uniform_: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).
    public static func xavierUniform(_ t: Tensor, gain: Double = 1) throws {
        let std = gain * (2.0 / Double(try fanSum(t))).squareRoot()
        let bound = 3.0.squareRoot() * std
        try uniform(t, from: -bound, to: bound)
    }

    /// torch.nn.init.xavier_normal_: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).
    public static func xavierNormal(_ t: Tensor, gain: Double = 1) throws {
        let std = gain * (2.0 / Double(try fanSum(t))).squareRoot()
        try normal(t, mean: 0, std: std)
    }

    /// The fan `mode` selects, as torch's _calculate_correct_fan (case-insensitive).
    static func fan(_ t: Tensor, _ mode: String) throws -> Int {
        let (fanIn, fanOut) = try fans(t.shape)
        switch mode.lowercased() {
        case "fan_in": return fanIn
        case "fan_out": return fanOut
        default: throw EmberError.invalidArgument("mode \"\(mode)\" is not supported; please use one of fan_in, fan_out")
        }
    }

    static func fanSum(_ t: Tensor) throws -> Int {
        let (fanIn, fanOut) = try fans(t.shape)
        guard fanIn <= Int.max - fanOut, fanIn + fanOut > 0 else {
            throw EmberError.invalidArgument("xavier initialisation is undefined for shape \(describe(t.shape)): fan_in + fan_out is 0")
        }
        return fanIn + fanOut
    }

    // MARK: - Orthogonal

    /// torch.nn.init.orthogonal_: a (semi-)orthogonal matrix -- the tensor
    /// viewed as (size(0), numel / size(0)) -- from the QR decomposition of a
    /// matrix of N(0, 1) samples (transposed when it is wide), with Q's
    /// columns multiplied by the signs of R's diagonal, then scaled by `gain`.
    public static func orthogonal(_ t: Tensor, gain: Double = 1) throws {
        guard t.ndim >= 2 else {
            throw EmberError.invalidArgument("orthogonal_: only tensors with 2 or more dimensions are supported, got shape \(describe(t.shape))")
        }
        guard t.dtype.isFloatingPoint else { throw EmberError.dtype("orthogonal_: expected a floating tensor, got \(t.dtype)") }
        if t.count == 0 { return }
        let rows = t.shape[0], cols = t.count / rows
        let sample = try Tensor(NDArray(empty: [rows, cols], dtype: t.dtype))
        try sample.normal_(mean: 0, std: 1)
        // A tall (m >= n) matrix, column-major for the factorisation.
        let values = sample.toDoubles()
        let (m, n) = rows < cols ? (cols, rows) : (rows, cols)
        var a = [Double](repeating: 0, count: m * n)
        for i in 0..<rows {
            for j in 0..<cols {
                if rows < cols { a[i * m + j] = values[i * cols + j] } else { a[j * m + i] = values[i * cols + j] }
            }
        }
        let q = householderQ(&a, m, n)
        // Back to (rows, cols), row-major: q is (m, n) column-major.
        var out = [Double](repeating: 0, count: rows * cols)
        for i in 0..<rows {
            for j in 0..<cols { out[i * cols + j] = gain * (rows < cols ? q[i * m + j] : q[j * m + i]) }
        }
        let result = try Tensor.from(out, shape: [rows, cols], dtype: t.dtype).reshape(t.shape)
        try GradMode.with(false) { _ = try t.copy_(result) }
    }

    /// The Q of the QR decomposition of the column-major m x n matrix `a`
    /// (m >= n), with each column multiplied by the sign of R's diagonal
    /// entry, so R's diagonal is positive (the unique factorisation torch's
    /// orthogonal_ makes of LAPACK's). Householder reflections as LAPACK's
    /// geqrf (beta = -sign(alpha) * norm), accumulated backwards as orgqr.
    static func householderQ(_ a: inout [Double], _ m: Int, _ n: Int) -> [Double] {
        var tau = [Double](repeating: 0, count: n), diagonal = [Double](repeating: 0, count: n)
        for k in 0..<n {
            // The reflection H = I - tau v v^T with v = (1, a[k+1..<m, k] / (alpha - beta)).
            let alpha = a[k * m + k]
            var norm2 = 0.0
            for i in (k + 1)..<m { norm2 += a[k * m + i] * a[k * m + i] }
            if norm2 == 0 {
                tau[k] = 0
                diagonal[k] = alpha
                continue
            }
            let beta = -(alpha >= 0 ? 1.0 : -1.0) * (alpha * alpha + norm2).squareRoot()
            tau[k] = (beta - alpha) / beta
            let scale = 1 / (alpha - beta)
            for i in (k + 1)..<m { a[k * m + i] *= scale }
            a[k * m + k] = beta
            diagonal[k] = beta
            // Apply H to the remaining columns.
            for j in (k + 1)..<n {
                var dot = a[j * m + k]
                for i in (k + 1)..<m { dot += a[k * m + i] * a[j * m + i] }
                dot *= tau[k]
                a[j * m + k] -= dot
                for i in (k + 1)..<m { a[j * m + i] -= dot * a[k * m + i] }
            }
        }
        // Q = H_0 H_1 ... H_{n-1} applied to the first n columns of the identity.
        var q = [Double](repeating: 0, count: m * n)
        for j in 0..<n { q[j * m + j] = 1 }
        for k in stride(from: n - 1, through: 0, by: -1) where tau[k] != 0 {
            for j in k..<n {
                var dot = q[j * m + k]
                for i in (k + 1)..<m { dot += a[k * m + i] * q[j * m + i] }
                dot *= tau[k]
                q[j * m + k] -= dot
                for i in (k + 1)..<m { q[j * m + i] -= dot * a[k * m + i] }
            }
        }
        for j in 0..<n where diagonal[j] < 0 {
            for i in 0..<m { q[j * m + i] = -q[j * m + i] }
        }
        // torch multiplies by sign(0) = 0 for a zero diagonal entry.
        for j in 0..<n where diagonal[j] == 0 {
            for i in 0..<m { q[j * m + i] = 0 }
        }
        return q
    }
}
