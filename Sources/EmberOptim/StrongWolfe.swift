// The strong-Wolfe line search of torch.optim.LBFGS (torch's _strong_wolfe
// and _cubic_interpolate, ported from minFunc via torch/optim's lswolfe.lua),
// on flat float64 vectors. Python's min/max builtins are mirrored exactly
// (they keep the first argument unless the second compares strictly better),
// so NaN and ties take the same branches as in torch.

@inline(__always) func pyMax(_ a: Double, _ b: Double) -> Double { b > a ? b : a }
@inline(__always) func pyMin(_ a: Double, _ b: Double) -> Double { b < a ? b : a }

/// The dot product of two flat vectors, accumulated in order.
func dot(_ a: [Double], _ b: [Double]) -> Double {
    var s = 0.0
    a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in for i in 0..<a.count { s += a[i] * b[i] } } }
    return s
}

/// max |v_i| (NaN if any element is NaN, as torch's max).
func maxAbs(_ v: [Double]) -> Double {
    var m = -Double.infinity
    for x in v {
        if x.isNaN { return .nan }
        m = Swift.max(m, abs(x))
    }
    return m
}

/// The minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped
/// to `bounds` (default: the interval between the points).
func cubicInterpolate(_ x1: Double, _ f1: Double, _ g1: Double, _ x2: Double, _ f2: Double, _ g2: Double,
                      bounds: (Double, Double)? = nil) -> Double {
    let (lo, hi) = bounds ?? (x1 <= x2 ? (x1, x2) : (x2, x1))
    let d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    let d2Square = d1 * d1 - g1 * g2
    guard d2Square >= 0 else { return (lo + hi) / 2.0 }
    let d2 = d2Square.squareRoot()
    let minPos = x1 <= x2
        ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return pyMin(pyMax(minPos, lo), hi)
}

/// The result of a line search: the loss and flat gradient at the accepted
/// step, the step, and how many times the objective was evaluated.
struct LineSearchResult {
    var loss: Double
    var grad: [Double]
    var t: Double
    var evaluations: Int
}

/// Searches along `d` from the current point (loss `f`, gradient `g`,
/// directional derivative `gtd`) for a step `t` satisfying the strong Wolfe
/// conditions. `objective(t)` evaluates the loss and flat gradient at x + t d.
func strongWolfe(_ objective: (Double) throws -> (Double, [Double]), t initial: Double, d: [Double], f: Double, g: [Double],
                 gtd: Double, c1: Double = 1e-4, c2: Double = 0.9, toleranceChange: Double = 1e-9,
                 maxLS: Int = 25) throws -> LineSearchResult {
    var t = initial
    let dNorm = maxAbs(d)
    var (fNew, gNew) = try objective(t)
    var evaluations = 1
    var gtdNew = dot(gNew, d)

    // Bracket an interval containing a point satisfying the Wolfe criteria.
    var tPrev = 0.0, fPrev = f, gPrev = g, gtdPrev = gtd
    var done = false
    var lsIter = 0
    var bracket: [Double] = [], bracketF: [Double] = [], bracketG: [[Double]] = [], bracketGtd: [Double] = []
    var bracketed = false
    while lsIter < maxLS {
        if fNew > (f + c1 * t * gtd) || (lsIter > 1 && fNew >= fPrev) {
            (bracket, bracketF, bracketG, bracketGtd) = ([tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew])
            bracketed = true
            break
        }
        if abs(gtdNew) <= -c2 * gtd {
            (bracket, bracketF, bracketG, bracketGtd) = ([t], [fNew], [gNew], [gtdNew])
            done = true
            bracketed = true
            break
        }
        if gtdNew >= 0 {
            (bracket, bracketF, bracketG, bracketGtd) = ([tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew])
            bracketed = true
            break
        }
        // Interpolate.
        let minStep = t + 0.01 * (t - tPrev), maxStep = t * 10
        let previous = t
        t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, bounds: (minStep, maxStep))
        (tPrev, fPrev, gPrev, gtdPrev) = (previous, fNew, gNew, gtdNew)
        (fNew, gNew) = try objective(t)
        evaluations += 1
        gtdNew = dot(gNew, d)
        lsIter += 1
    }
    // Out of evaluations (torch: ls_iter == max_ls; a budget already spent
    // leaves torch without a bracket, here it is treated the same way).
    if !bracketed {
        (bracket, bracketF, bracketG, bracketGtd) = ([0, t], [f, fNew], [g, gNew], [gtd, gtdNew])
    }

    // Zoom: refine the bracket until a point satisfies the criteria.
    var insufficientProgress = false
    var (low, high) = bracketF[0] <= bracketF[bracketF.count - 1] ? (0, 1) : (1, 0)
    while !done && lsIter < maxLS {
        if abs(bracket[1] - bracket[0]) * dNorm < toleranceChange { break }
        t = cubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1])
        // Too close to an end of the bracket: move 10% of its length inside.
        let top = pyMax(bracket[0], bracket[1]), bottom = pyMin(bracket[0], bracket[1])
        let eps = 0.1 * (top - bottom)
        if pyMin(top - t, t - bottom) < eps {
            if insufficientProgress || t >= top || t <= bottom {
                t = abs(t - top) < abs(t - bottom) ? top - eps : bottom + eps
                insufficientProgress = false
            } else {
                insufficientProgress = true
            }
        } else {
            insufficientProgress = false
        }
        (fNew, gNew) = try objective(t)
        evaluations += 1
        gtdNew = dot(gNew, d)
        lsIter += 1
        if fNew > (f + c1 * t * gtd) || fNew >= bracketF[low] {
            // Armijo condition not satisfied or not lower than the lowest point.
            (bracket[high], bracketF[high], bracketG[high], bracketGtd[high]) = (t, fNew, gNew, gtdNew)
            (low, high) = bracketF[0] <= bracketF[1] ? (0, 1) : (1, 0)
        } else {
            if abs(gtdNew) <= -c2 * gtd {
                done = true
            } else if gtdNew * (bracket[high] - bracket[low]) >= 0 {
                // The old high becomes the new low.
                (bracket[high], bracketF[high], bracketG[high], bracketGtd[high]) = (bracket[low], bracketF[low], bracketG[low], bracketGtd[low])
            }
            (bracket[low], bracketF[low], bracketG[low], bracketGtd[low]) = (t, fNew, gNew, gtdNew)
        }
    }
    return LineSearchResult(loss: bracketF[low], grad: bracketG[low], t: bracket[low], evaluations: evaluations)
}
