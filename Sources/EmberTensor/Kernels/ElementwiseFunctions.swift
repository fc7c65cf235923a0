import EmberVector

/// Elementwise functions as types, for the loops that run across threads.
///
/// A loop split by `Parallel.forEach` runs in a closure that worker threads
/// call, and a function passed in as a closure value stays an indirect call
/// per element inside it: the loop neither inlines nor vectorises it (an add
/// of 1e6 floats on two threads ran four times slower than on one). A
/// function given as a type (`F.apply`) is resolved when the loop is
/// specialised, so each worker's loop is as tight as the single-threaded one.
///
/// ```swift
/// Kernels.contiguousMap2(AddFunction<Float>.self, pa, pb, po, n)   // po[i] = pa[i] + pb[i], on every core
/// ```
protocol ScalarFunction2 {
    associatedtype T
    static func apply(_ a: T, _ b: T) -> T
}

/// A one-input elementwise function.
protocol ScalarFunction1 {
    associatedtype T
    static func apply(_ x: T) -> T
}

enum AddFunction<T: FloatMath>: ScalarFunction2 { @inline(__always) static func apply(_ a: T, _ b: T) -> T { a + b } }
enum SubFunction<T: FloatMath>: ScalarFunction2 { @inline(__always) static func apply(_ a: T, _ b: T) -> T { a - b } }
enum MulFunction<T: FloatMath>: ScalarFunction2 { @inline(__always) static func apply(_ a: T, _ b: T) -> T { a * b } }
enum DivFunction<T: FloatMath>: ScalarFunction2 { @inline(__always) static func apply(_ a: T, _ b: T) -> T { a / b } }
/// relu; NaN passes through, as torch's clamp_min(0) does.
enum ReluFunction<T: FloatMath>: ScalarFunction1 { @inline(__always) static func apply(_ x: T) -> T { x < 0 ? 0 : x } }
/// The float unary ops whose arithmetic is cheaper than a call per element.
enum NegFunction<T: FloatMath>: ScalarFunction1 { @inline(__always) static func apply(_ x: T) -> T { -x } }
enum AbsFunction<T: FloatMath>: ScalarFunction1 { @inline(__always) static func apply(_ x: T) -> T { x.magnitude } }
enum SignFunction<T: FloatMath>: ScalarFunction1 { @inline(__always) static func apply(_ x: T) -> T { T.signum(x) } }
enum SquareFunction<T: FloatMath>: ScalarFunction1 { @inline(__always) static func apply(_ x: T) -> T { x * x } }
enum SqrtFunction<T: FloatMath>: ScalarFunction1 { @inline(__always) static func apply(_ x: T) -> T { T.sqrt(x) } }
enum RsqrtFunction<T: FloatMath>: ScalarFunction1 { @inline(__always) static func apply(_ x: T) -> T { 1 / T.sqrt(x) } }
enum ReciprocalFunction<T: FloatMath>: ScalarFunction1 { @inline(__always) static func apply(_ x: T) -> T { 1 / x } }
enum FloorFunction<T: FloatMath>: ScalarFunction1 { @inline(__always) static func apply(_ x: T) -> T { x.rounded(.down) } }
enum CeilFunction<T: FloatMath>: ScalarFunction1 { @inline(__always) static func apply(_ x: T) -> T { x.rounded(.up) } }
enum RoundFunction<T: FloatMath>: ScalarFunction1 { @inline(__always) static func apply(_ x: T) -> T { x.rounded(.toNearestOrEven) } }
/// relu's gradient from the output: g where y > 0, else 0.
enum ReluGradFunction<T: FloatMath>: ScalarFunction2 { @inline(__always) static func apply(_ g: T, _ y: T) -> T { y > 0 ? g : 0 } }

extension Kernels {
    /// out[i] = F(a[i], b[i]) over `n` contiguous elements, split across threads above `grain`.
    @inline(__always)
    static func contiguousMap2<F: ScalarFunction2>(_: F.Type, _ a: UnsafePointer<F.T>, _ b: UnsafePointer<F.T>,
                                                   _ out: UnsafeMutablePointer<F.T>, _ n: Int, grain: Int = 32_768) {
        Parallel.forEach(n, grain: grain) { r in
            for i in r { out[i] = F.apply(a[i], b[i]) }
        }
    }

    /// `map1` for a function given as a type: contiguous arrays split across
    /// threads with the function inlined, any other layout the strided loop.
    @inline(__always)
    static func map1<F: ScalarFunction1>(_: F.Type, _ x: NDArray, _ out: NDArray, grain: Int = 32_768) where F.T: Element {
        if x.isContiguous && out.isContiguous {
            let px = x.pointer(F.T.self), po = out.pointer(F.T.self)
            Parallel.forEach(out.count, grain: grain) { r in
                for i in r { po[i] = F.apply(px[i]) }
            }
        } else {
            // Strided: F.apply is called statically inside each row's loop
            // (through map1's closure it was an indirect call per element).
            forEachStridedRow1(x, out, grain: grain) { po, xx, n, io, ix in applyRow1(po, xx, n, io, ix, F.apply) }
        }
    }

    /// `map2` for a function given as a type: the contiguous same-shape case
    /// runs `contiguousMap2`, any other layout the general strided loop.
    @inline(__always)
    static func map2<F: ScalarFunction2>(_ f: F.Type, _ a: NDArray, _ b: NDArray, _ out: NDArray, grain: Int = 32_768)
    where F.T: Element {
        if a.isContiguous && b.isContiguous && out.isContiguous && a.count == out.count && b.count == out.count
            && a.shape == out.shape && b.shape == out.shape {
            contiguousMap2(f, a.pointer(F.T.self), b.pointer(F.T.self), out.pointer(F.T.self), out.count, grain: grain)
        } else if a.isContiguous && out.isContiguous && a.shape == out.shape && b.count == 1 {
            // A scalar (or one-element) second operand.
            let pa = a.pointer(F.T.self), po = out.pointer(F.T.self), y = b.pointer(F.T.self)[0]
            Parallel.forEach(out.count, grain: grain) { r in
                for i in r { po[i] = F.apply(pa[i], y) }
            }
        } else {
            // Strided: F.apply is called statically inside each row's loop
            // (through map2's closure it was an indirect call per element).
            forEachStridedRow2(a, b, out, grain: grain) { po, xa, xb, n, io, ia, ib in
                applyRow(po, xa, xb, n, io, ia, ib, F.apply)
            }
        }
    }

    /// The float32 fast path of a transcendental kernel: contiguous arrays,
    /// eight lanes at a time, split across threads above `grain`. False
    /// (nothing done) for other dtypes and layouts.
    @inline(__always)
    static func vectorMap<F: VectorFunction1>(_: F.Type, _ x: NDArray, _ out: NDArray, grain: Int) -> Bool {
        guard x.dtype == .float32, out.dtype == .float32, x.isContiguous, out.isContiguous else { return false }
        let px = x.pointer(Float.self), po = out.pointer(Float.self)
        Parallel.forEach(out.count, grain: grain) { r in VectorLoops.map(F.self, px + r.lowerBound, po + r.lowerBound, r.count) }
        return true
    }

    /// `vectorMap` of two same-shaped inputs.
    @inline(__always)
    static func vectorMap<F: VectorFunction2>(_: F.Type, _ a: NDArray, _ b: NDArray, _ out: NDArray, grain: Int) -> Bool {
        guard a.dtype == .float32, b.dtype == .float32, out.dtype == .float32, a.isContiguous, b.isContiguous,
              out.isContiguous else { return false }
        let pa = a.pointer(Float.self), pb = b.pointer(Float.self), po = out.pointer(Float.self)
        Parallel.forEach(out.count, grain: grain) { r in
            VectorLoops.map(F.self, pa + r.lowerBound, pb + r.lowerBound, po + r.lowerBound, r.count)
        }
        return true
    }
}
