import EmberTensor
import EmberTestSupport
import XCTest

/// The convolution, pooling and resampling kernels against direct loops
/// written from the definitions, across geometries, dtypes, batch chunking
/// and thread counts; the adjoint identities; and the kernels' own checks.
final class ConvKernelTests: XCTestCase {
    // MARK: - Reference loops

    /// y[n, o, i, j] = b[o] + sum x[n, g * Cg + c, i * sh - pt + p * dh, j * sw - pl + q * dw] * w[o, c, p, q].
    /// With `mode` 0 the convolution, 1 its input adjoint (x from gy), 2 its weight adjoint.
    func direct(_ g: ConvGeometry, x: [Double], w: [Double], gy: [Double], mode: Int) -> [Double] {
        let cg = g.inChannels / g.groups, og = g.outChannels / g.groups
        var out = [Double](repeating: 0, count: mode == 0 ? g.outputShape.product : (mode == 1 ? g.inputShape.product : g.weightShape.product))
        for n in 0..<g.batch {
            for o in 0..<g.outChannels {
                let grp = o / og
                for i in 0..<g.outputHeight {
                    for j in 0..<g.outputWidth {
                        let yi = ((n * g.outChannels + o) * g.outputHeight + i) * g.outputWidth + j
                        for c in 0..<cg {
                            for p in 0..<g.kernelHeight {
                                for q in 0..<g.kernelWidth {
                                    let ih = i * g.strideHeight - g.padTop + p * g.dilationHeight
                                    let iw = j * g.strideWidth - g.padLeft + q * g.dilationWidth
                                    guard ih >= 0, ih < g.inputHeight, iw >= 0, iw < g.inputWidth else { continue }
                                    let xi = ((n * g.inChannels + grp * cg + c) * g.inputHeight + ih) * g.inputWidth + iw
                                    let wi = ((o * cg + c) * g.kernelHeight + p) * g.kernelWidth + q
                                    switch mode {
                                    case 0: out[yi] += x[xi] * w[wi]
                                    case 1: out[xi] += gy[yi] * w[wi]
                                    default: out[wi] += x[xi] * gy[yi]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    func random(_ shape: Dims, _ dtype: DType = .float64) throws -> NDArray {
        try NDArray.randn(shape, dtype: .float64).cast(to: dtype)
    }

    /// Geometries covering groups, strides, dilations, asymmetric ('same' with
    /// an even kernel) padding, 1-D, 1x1 kernels, kernels beyond the input
    /// edge and empty batches.
    func geometries() throws -> [ConvGeometry] {
        let specs: [(Int, Dims, Dims, ConvOptions)] = [
            (2, [3, 4, 7, 6], [6, 2, 3, 3], ConvOptions(stride: [2, 1], padding: .explicit([1, 2]), dilation: [1, 2], groups: 2)),
            (2, [2, 2, 6, 5], [3, 2, 4, 2], ConvOptions(padding: .same)),
            (2, [1, 3, 9, 9], [3, 1, 3, 3], ConvOptions(stride: [3], padding: .explicit([1]), groups: 3)),
            (2, [4, 5, 3, 4], [2, 5, 1, 1], ConvOptions()),
            (2, [2, 1, 10, 7], [2, 1, 3, 3], ConvOptions(stride: [4, 5], dilation: [2, 1])),
            (2, [0, 2, 5, 5], [3, 2, 3, 3], ConvOptions()),
            // A plane of 90 positions: the automatic plan goes image by image (3 images over 3 tasks).
            (2, [3, 2, 10, 9], [4, 2, 3, 3], ConvOptions(padding: .explicit([1]))),
            (1, [3, 4, 11], [4, 2, 3], ConvOptions(stride: [2], padding: .explicit([2]), dilation: [3], groups: 2)),
        ]
        return try specs.map { try ConvGeometry.convolution("test", spatial: $0.0, input: $0.1, weight: $0.2, bias: nil, $0.3).geometry }
    }

    // MARK: - Convolution

    func testConvolutionKernelsMatchDirectLoops() throws {
        for plan in [ConvPlan.automatic, .batched, .perImage] {
            try checkAgainstDirectLoops(plan)
        }
    }

    func checkAgainstDirectLoops(_ plan: ConvPlan) throws {
        GlobalGenerator.manualSeed(31)
        for g in try geometries() {
            let x = try random(g.inputShape), w = try random(g.weightShape), gy = try random(g.outputShape)
            let b = try random([g.outChannels])
            let (xs, ws, gys) = (x.toDoubles(), w.toDoubles(), gy.toDoubles())
            var expected = direct(g, x: xs, w: ws, gy: gys, mode: 0)
            let bias = b.toDoubles(), plane = g.outputPlane
            for k in 0..<expected.count { expected[k] += bias[(k / plane) % g.outChannels] }
            assertClose(try Kernels.convolution(x, weight: w, bias: b, geometry: g, plan: plan).toDoubles(), expected, rtol: 1e-12, atol: 1e-12, "forward \(g) \(plan)")
            let gx = try Kernels.convolutionTranspose(gy, weight: w, bias: nil, geometry: g, plan: plan)
            let expectedGx = direct(g, x: xs, w: ws, gy: gys, mode: 1)
            assertClose(gx.toDoubles(), expectedGx, rtol: 1e-12, atol: 1e-12, "input gradient \(g)")
            // The transposed convolution adds its bias per (input-side) channel.
            let bt = try random([g.inChannels]), btv = bt.toDoubles(), inPlane = g.inputHeight * g.inputWidth
            let withBias = expectedGx.enumerated().map { $1 + btv[($0 / inPlane) % g.inChannels] }
            assertClose(try Kernels.convolutionTranspose(gy, weight: w, bias: bt, geometry: g, plan: plan).toDoubles(), withBias,
                        rtol: 1e-12, atol: 1e-12, "transposed with bias \(g)")
            let gw = try Kernels.convolutionWeightGradient(input: x, gradOutput: gy, geometry: g, plan: plan)
            assertClose(gw.toDoubles(), direct(g, x: xs, w: ws, gy: gys, mode: 2), rtol: 1e-12, atol: 1e-12, "weight gradient \(g)")
            // The fused backward gives the same three, the bias gradient being the sum over N, H, W.
            let (fx, fw, fb) = try Kernels.convolutionBackward(input: x, gradOutput: gy, weight: w, geometry: g,
                                                               needInput: true, needWeight: true, needBias: true, plan: plan)
            XCTAssertEqual(try XCTUnwrap(fx).toDoubles(), gx.toDoubles())
            XCTAssertEqual(try XCTUnwrap(fw).toDoubles(), gw.toDoubles())
            var sums = [Double](repeating: 0, count: g.outChannels)
            for (k, v) in gys.enumerated() { sums[(k / plane) % g.outChannels] += v }
            assertClose(try XCTUnwrap(fb).toDoubles(), sums, rtol: 1e-12, atol: 1e-12, "bias gradient \(g)")
        }
    }

    func testBatchChunksAndThreadsGiveTheSameResults() throws {
        GlobalGenerator.manualSeed(32)
        let g = try ConvGeometry.convolution("test", spatial: 2, input: [7, 3, 9, 8], weight: [4, 3, 3, 3], bias: [4],
                                             ConvOptions(stride: [2, 1], padding: .explicit([1]))).geometry
        let x = try random(g.inputShape), w = try random(g.weightShape), gy = try random(g.outputShape), b = try random([4])
        let bt = try random([3])   // the transposed convolution's bias: one per input channel
        let reference = try [Kernels.convolution(x, weight: w, bias: b, geometry: g),
                             Kernels.convolutionTranspose(gy, weight: w, bias: bt, geometry: g),
                             Kernels.convolutionWeightGradient(input: x, gradOutput: gy, geometry: g)].map { $0.toDoubles() }
        // A budget of one byte forces one image per chunk; 3 KiB gives chunks of a few images and a ragged last one.
        for budget in [1, 3 << 10] {
            let chunked = try [Kernels.convolution(x, weight: w, bias: b, geometry: g, columnBudget: budget),
                               Kernels.convolutionTranspose(gy, weight: w, bias: bt, geometry: g, columnBudget: budget),
                               Kernels.convolutionWeightGradient(input: x, gradOutput: gy, geometry: g, columnBudget: budget)]
            for (i, c) in chunked.enumerated() { assertClose(c.toDoubles(), reference[i], rtol: 1e-12, atol: 1e-12, "budget \(budget) result \(i)") }
        }
        let saved = Parallel.threads
        defer { Parallel.setThreads(saved) }
        Parallel.setThreads(1)
        let single = try Kernels.convolution(x, weight: w, bias: b, geometry: g).toDoubles()
        Parallel.setThreads(2)
        assertClose(try Kernels.convolution(x, weight: w, bias: b, geometry: g).toDoubles(), single, rtol: 1e-12, atol: 1e-12, "2 threads")
    }

    /// A mid-sized float32 convolution (a CNN layer on a batch of 28x28
    /// images: several chunks, both threads) agrees with float64.
    func testFloat32LayerSizedConvolutionAgreesWithFloat64() throws {
        GlobalGenerator.manualSeed(33)
        let g = try ConvGeometry.convolution("test", spatial: 2, input: [16, 8, 28, 28], weight: [16, 8, 3, 3], bias: nil,
                                             ConvOptions(padding: .same)).geometry
        let x = try random(g.inputShape), w = try random(g.weightShape)
        let y64 = try Kernels.convolution(x, weight: w, bias: nil, geometry: g, columnBudget: 256 << 10)
        let y32 = try Kernels.convolution(x.cast(to: .float32), weight: w.cast(to: .float32), bias: nil, geometry: g, columnBudget: 256 << 10)
        XCTAssertEqual(y32.dtype, .float32)
        assertClose(y32.toDoubles(), y64.toDoubles(), rtol: 1e-4, atol: 1e-4, "float32 vs float64")
    }

    /// LeNet-5's layers in float32, image by image and batched: the two plans
    /// agree with each other and with float64 (and both stay within float32
    /// rounding of it), forward and backward.
    func testFloat32PlansAgreeOnLeNetLayers() throws {
        GlobalGenerator.manualSeed(34)
        let layers: [(Dims, Dims, Int)] = [([64, 1, 28, 28], [6, 1, 5, 5], 2), ([64, 6, 14, 14], [16, 6, 5, 5], 0)]
        for (input, weight, pad) in layers {
            let g = try ConvGeometry.convolution("test", spatial: 2, input: input, weight: weight, bias: [weight[0]],
                                                 ConvOptions(padding: .explicit([pad]))).geometry
            XCTAssertTrue(g.runsPerImage(.automatic, itemSize: 4, budget: ConvGeometry.defaultColumnBudget), "\(g)")
            let x = try random(g.inputShape), w = try random(g.weightShape), gy = try random(g.outputShape), b = try random([weight[0]])
            let reference = try Kernels.convolutionBackward(input: x, gradOutput: gy, weight: w, geometry: g,
                                                            needInput: true, needWeight: true, needBias: false)
            let y64 = try Kernels.convolution(x, weight: w, bias: b, geometry: g).toDoubles()
            let (x32, w32, gy32, b32) = try (x.cast(to: .float32), w.cast(to: .float32), gy.cast(to: .float32), b.cast(to: .float32))
            for plan in [ConvPlan.batched, .perImage] {
                let y = try Kernels.convolution(x32, weight: w32, bias: b32, geometry: g, plan: plan)
                assertClose(y.toDoubles(), y64, rtol: 1e-4, atol: 1e-4, "forward \(plan)")
                let (gx, gw, _) = try Kernels.convolutionBackward(input: x32, gradOutput: gy32, weight: w32, geometry: g,
                                                                  needInput: true, needWeight: true, needBias: false, plan: plan)
                assertClose(try XCTUnwrap(gx).toDoubles(), try XCTUnwrap(reference.0).toDoubles(), rtol: 1e-4, atol: 1e-4, "input gradient \(plan)")
                // The weight gradient sums 64 x 784 (or 64 x 100) products: float32 keeps about 1e-5 of the largest.
                assertClose(try XCTUnwrap(gw).toDoubles(), try XCTUnwrap(reference.1).toDoubles(), rtol: 1e-4, atol: 2e-3, "weight gradient \(plan)")
            }
        }
    }

    func testInt64ConvolutionMatchesDirectLoops() throws {
        let g = try geometries()[0]
        let x = try NDArray.randint(low: -5, high: 5, g.inputShape), w = try NDArray.randint(low: -3, high: 3, g.weightShape)
        let gy = try NDArray.randint(low: -3, high: 3, g.outputShape)
        let y = try Kernels.convolution(x, weight: w, bias: nil, geometry: g)
        XCTAssertEqual(y.dtype, .int64)
        XCTAssertEqual(y.toDoubles(), direct(g, x: x.toDoubles(), w: w.toDoubles(), gy: [], mode: 0))
        XCTAssertEqual(try Kernels.convolutionTranspose(gy, weight: w, bias: nil, geometry: g).toDoubles(),
                       direct(g, x: [], w: w.toDoubles(), gy: gy.toDoubles(), mode: 1))
    }

    func testConvolutionKernelsRejectInconsistentArguments() throws {
        let g = try geometries()[0]
        let x = try random(g.inputShape), w = try random(g.weightShape)
        assertThrows(.shape, ["convolution: expected weight of shape", "[6, 2, 3, 3]"]) {
            try Kernels.convolution(x, weight: try random([6, 2, 3, 2]), bias: nil, geometry: g)
        }
        assertThrows(.dtype, ["weight of dtype float64, got float32"]) {
            try Kernels.convolution(x, weight: w.cast(to: .float32), bias: nil, geometry: g)
        }
        var bad = g
        bad.groups = 4   // does not divide 6 output channels
        assertThrows(.invalidArgument, ["invalid geometry"]) { try Kernels.convolution(x, weight: w, bias: nil, geometry: bad) }
        bad = g
        bad.strideHeight = 0
        assertThrows(.invalidArgument, ["invalid geometry"]) { try Kernels.convolution(x, weight: w, bias: nil, geometry: bad) }
        assertThrows(.dtype, ["bool"]) {
            try Kernels.convolution(try NDArray.zeros(g.inputShape, dtype: .bool), weight: try NDArray.zeros(g.weightShape, dtype: .bool),
                                    bias: nil, geometry: g)
        }
    }

    func testGeometryFollowsTorchsShapes() throws {
        // torch: conv2d of [2, 3, 9, 8] with [5, 3, 3, 2], stride (2, 3), padding (1, 2) -> [2, 5, 5, 4].
        let (g, unbatched) = try ConvGeometry.convolution("conv2d", spatial: 2, input: [2, 3, 9, 8], weight: [5, 3, 3, 2], bias: [5],
                                                          ConvOptions(stride: [2, 3], padding: .explicit([1, 2])))
        XCTAssertFalse(unbatched)
        XCTAssertEqual(g.outputShape, [2, 5, 5, 4])
        // 'same' with an even kernel: one more zero at the end, as torch pads.
        let same = try ConvGeometry.convolution("conv2d", spatial: 2, input: [3, 6, 5], weight: [2, 3, 4, 1], bias: nil,
                                                ConvOptions(padding: .same))
        XCTAssertTrue(same.unbatched)
        XCTAssertEqual(same.geometry.outputShape, [1, 2, 6, 5])
        XCTAssertEqual(same.geometry.padTop, 1)
        // conv_transpose2d: (H - 1) * s - 2p + d(k - 1) + op + 1.
        let t = try ConvGeometry.transposed("conv_transpose2d", spatial: 2, input: [1, 4, 3, 4], weight: [4, 3, 3, 2], bias: nil,
                                            ConvOptions(stride: [2], padding: .explicit([1]), dilation: [1, 2], groups: 2, outputPadding: [1]))
        XCTAssertEqual(t.geometry.inputShape, [1, 6, 6, 8])
        XCTAssertEqual(t.geometry.outputShape, [1, 4, 3, 4])
        assertThrows(.invalidArgument, ["conv1d", "expected stride to be a single integer value or a list of 1 values", "[1, 1]"]) {
            try ConvGeometry.convolution("conv1d", spatial: 1, input: [1, 2, 5], weight: [2, 2, 3], bias: nil, ConvOptions(stride: [1, 1]))
        }
        assertThrows(.invalidArgument, ["dilation", "too large"]) {
            try ConvGeometry.convolution("conv2d", spatial: 2, input: [1, 2, 5, 5], weight: [2, 2, 3, 3], bias: nil,
                                         ConvOptions(dilation: [Int.max]))
        }
    }

    // MARK: - Pooling

    /// MaxPool2d(2) on float32 takes a four-windows-at-a-time path: against a
    /// plain loop over the taps in torch's order (larger or NaN wins, ties keep
    /// the first), with ties, NaNs, infinities and widths that leave a tail.
    func testMaxPool2x2FastPathMatchesTheRule() throws {
        for (h, w) in [(2, 2), (4, 8), (6, 10), (28, 28), (5, 11)] {
            let oh = h / 2, ow = w / 2, planes = 3
            var values: [Double] = []
            for i in 0..<(planes * h * w) {
                switch i % 13 {
                case 3: values.append(.nan)
                case 7: values.append(-.infinity)
                default: values.append(Double((i * 7919) % 5))      // many ties
                }
            }
            var g = PoolGeometry()
            (g.planes, g.inputHeight, g.inputWidth, g.outputHeight, g.outputWidth) = (planes, h, w, oh, ow)
            (g.kernelHeight, g.kernelWidth, g.strideHeight, g.strideWidth) = (2, 2, 2, 2)
            let x = try NDArray.copying(values, dtype: .float64, shape: [1, planes, h, w]).cast(to: .float32)
            let (v, indices) = try Kernels.maxPool2d(x, geometry: g, outputShape: [1, planes, oh, ow])
            let gotValues = v.toDoubles(), gotIndices = indices!.toDoubles()
            for p in 0..<planes {
                for r in 0..<oh {
                    for q in 0..<ow {
                        let base = p * h * w
                        var bestAt = 2 * r * w + 2 * q, best = values[base + bestAt]
                        for at in [2 * r * w + 2 * q + 1, (2 * r + 1) * w + 2 * q, (2 * r + 1) * w + 2 * q + 1] {
                            let t = values[base + at]
                            if t > best || t.isNaN { best = t; bestAt = at }
                        }
                        let o = (p * oh + r) * ow + q
                        XCTAssertEqual(gotIndices[o], Double(bestAt), "\(h)x\(w) plane \(p) (\(r), \(q))")
                        XCTAssertTrue(gotValues[o] == best || (gotValues[o].isNaN && best.isNaN), "\(h)x\(w) plane \(p) (\(r), \(q))")
                    }
                }
            }
        }
    }

    func testMaxPoolKernelTiesNaNAndBackward() throws {
        var g = PoolGeometry()
        (g.planes, g.inputHeight, g.inputWidth, g.outputHeight, g.outputWidth) = (1, 1, 6, 1, 2)
        (g.kernelWidth, g.strideWidth) = (3, 3)
        let x = try NDArray.copying([5.0, 1, 5, .nan, 2, .nan], dtype: .float64, shape: [1, 1, 1, 6])
        let (v, maybeIndices) = try Kernels.maxPool2d(x, geometry: g, outputShape: [1, 1, 1, 2])
        let i = try XCTUnwrap(maybeIndices)
        let (valuesOnly, none) = try Kernels.maxPool2d(x, geometry: g, outputShape: [1, 1, 1, 2], withIndices: false)
        XCTAssertNil(none)
        XCTAssertEqual(valuesOnly.toDoubles()[0], 5)
        XCTAssertEqual(v.toDoubles()[0], 5)
        XCTAssertTrue(v.toDoubles()[1].isNaN)
        XCTAssertEqual(i.toDoubles(), [0, 5])   // the first of tied maxima; the last NaN
        let gy = try NDArray.copying([1.0, 2.0], dtype: .float64, shape: [1, 1, 1, 2])
        XCTAssertEqual(try Kernels.maxPool2dBackward(gy, indices: i, geometry: g, inputShape: [1, 1, 1, 6]).toDoubles(), [1, 0, 0, 0, 0, 2])
        let bad = try NDArray.copying([0, 6] as [Int64], dtype: .int64, shape: [1, 1, 1, 2])
        assertThrows(.invalidArgument, ["index 6", "outside a plane of 6"]) {
            try Kernels.maxPool2dBackward(gy, indices: bad, geometry: g, inputShape: [1, 1, 1, 6])
        }
        assertThrows(.shape, ["do not fit the pooling geometry"]) { try Kernels.maxPool2d(x, geometry: g, outputShape: [1, 1, 1, 3]) }
    }

    func testPoolOutputSizesFollowTorchsRule() throws {
        // Window i starts at i * stride - pad. Floor mode keeps the windows that end inside the
        // padded input; ceil mode also keeps a last partial one, unless it would start in the
        // right padding (torch's pooling_output_shape). Checked against the kernel's arithmetic.
        for size in 1...9 {
            for k in 1...4 {
                for pad in 0...(k / 2) {
                    for stride in 1...3 {
                        for dilation in 1...2 {
                            for ceil in [false, true] {
                                let room = size + 2 * pad - ((k - 1) * dilation + 1)   // the last start that fits, plus pad
                                var count = 0
                                while ceil ? (count * stride < room + stride && count * stride < size + pad) : count * stride <= room {
                                    count += 1
                                }
                                let options = PoolOptions(kernelSize: [k], stride: [stride], padding: [pad], dilation: [dilation], ceilMode: ceil)
                                let what = "size \(size) k \(k) pad \(pad) stride \(stride) dilation \(dilation) ceil \(ceil)"
                                if count == 0 {
                                    assertThrows(.shape, ["Output size is too small"]) {
                                        try PoolGeometry.pooling("test", spatial: 1, input: [1, size], options)
                                    }
                                } else {
                                    let (_, shape) = try PoolGeometry.pooling("test", spatial: 1, input: [1, size], options)
                                    XCTAssertEqual(shape, [1, count], what)
                                }
                            }
                        }
                    }
                }
            }
        }
        // torch: max_pool1d(randn(1, 1, 1), 4, stride=2, padding=1, ceil_mode=True) has length 1; without ceil_mode it fails.
        XCTAssertEqual(try PoolGeometry.pooling("t", spatial: 1, input: [1, 1, 1],
                                                PoolOptions(kernelSize: [4], stride: [2], padding: [1], ceilMode: true)).1, [1, 1, 1])
    }

    func testAveragePoolIntegerDivisionTruncatesAsCpp() throws {
        var g = PoolGeometry()
        (g.planes, g.inputHeight, g.inputWidth, g.outputHeight, g.outputWidth, g.kernelWidth, g.strideWidth) = (1, 1, 4, 1, 2, 2, 2)
        let x = try NDArray.copying([-3, 0, 5, 2] as [Int64], dtype: .int64, shape: [1, 4])
        // (-3 + 0) / 2 = -1 (toward zero, as C++), (5 + 2) / 2 = 3.
        XCTAssertEqual(try Kernels.avgPool2d(x, geometry: g, outputShape: [1, 2], countIncludePad: true, divisorOverride: nil).toDoubles(), [-1, 3])
        assertThrows(.invalidArgument, ["divisor must be not zero"]) {
            try Kernels.avgPool2d(x, geometry: g, outputShape: [1, 2], countIncludePad: true, divisorOverride: 0)
        }
    }

    /// Each backward kernel is the adjoint of its forward: <f(x), y> = <x, f*(y)>.
    func testBackwardKernelsAreAdjoints() throws {
        GlobalGenerator.manualSeed(34)
        func dot(_ a: NDArray, _ b: NDArray) -> Double { zip(a.toDoubles(), b.toDoubles()).reduce(0) { $0 + $1.0 * $1.1 } }
        let x = try random([2, 3, 7, 6])
        let (pg, pshape) = try PoolGeometry.pooling("avg", spatial: 2, input: x.shape,
                                                    PoolOptions(kernelSize: [3, 2], stride: [2], padding: [1], ceilMode: true))
        let y = try random(pshape)
        let avg = try Kernels.avgPool2d(x, geometry: pg, outputShape: pshape, countIncludePad: false, divisorOverride: nil)
        let avgT = try Kernels.avgPool2dBackward(y, geometry: pg, inputShape: x.shape, countIncludePad: false, divisorOverride: nil)
        XCTAssertEqual(dot(avg, y), dot(x, avgT), accuracy: 1e-10)
        let ashape: Dims = [2, 3, 4, 5]
        let a = try Kernels.adaptiveAvgPool2d(x, outputShape: ashape), ya = try random(ashape)
        XCTAssertEqual(dot(a, ya), dot(x, try Kernels.adaptiveAvgPool2dBackward(ya, inputShape: x.shape)), accuracy: 1e-10)
        for mode in InterpolationMode.allCases {
            for align in mode == .bilinear ? [false, true] : [false] {
                let up = try Kernels.upsample(x, outputHeight: 10, outputWidth: 4, mode: mode, alignCorners: align, scales: (nil, 0.7))
                let yu = try random(up.shape)
                let upT = try Kernels.upsampleBackward(yu, inputShape: x.shape, mode: mode, alignCorners: align, scales: (nil, 0.7))
                XCTAssertEqual(dot(up, yu), dot(x, upT), accuracy: 1e-10, "\(mode) align \(align)")
            }
        }
        let g = try geometries()[1]
        let cx = try random(g.inputShape), cw = try random(g.weightShape), cy = try random(g.outputShape)
        let conv = try Kernels.convolution(cx, weight: cw, bias: nil, geometry: g)
        XCTAssertEqual(dot(conv, cy), dot(cx, try Kernels.convolutionTranspose(cy, weight: cw, bias: nil, geometry: g)), accuracy: 1e-10)
        XCTAssertEqual(dot(conv, cy), dot(cw, try Kernels.convolutionWeightGradient(input: cx, gradOutput: cy, geometry: g)), accuracy: 1e-10)
    }

    func testUpsampleNearestPicksTorchsSourcePixels() throws {
        // torch: interpolate(arange(5.).view(1, 1, 1, 5), size=(1, 8)) and nearest-exact, and scale_factor 2.5 (1 / 2.5 used).
        let x = try NDArray.copying([0.0, 1, 2, 3, 4], dtype: .float64, shape: [1, 1, 1, 5])
        XCTAssertEqual(try Kernels.upsample(x, outputHeight: 1, outputWidth: 8, mode: .nearest, alignCorners: false, scales: (nil, nil)).toDoubles(),
                       [0, 0, 1, 1, 2, 3, 3, 4])
        XCTAssertEqual(try Kernels.upsample(x, outputHeight: 1, outputWidth: 8, mode: .nearestExact, alignCorners: false, scales: (nil, nil)).toDoubles(),
                       [0, 0, 1, 2, 2, 3, 4, 4])
        XCTAssertEqual(try Kernels.upsample(x, outputHeight: 1, outputWidth: 12, mode: .nearest, alignCorners: false, scales: (nil, 2.5)).toDoubles(),
                       [0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 4, 4])
        assertThrows(.shape, ["Input and output sizes should be greater than 0"]) {
            try Kernels.upsample(x, outputHeight: 0, outputWidth: 3, mode: .nearest, alignCorners: false, scales: (nil, nil))
        }
        assertThrows(.dtype, ["int64"]) {
            try Kernels.upsample(x.cast(to: .int64), outputHeight: 2, outputWidth: 3, mode: .nearest, alignCorners: false, scales: (nil, nil))
        }
    }
}
