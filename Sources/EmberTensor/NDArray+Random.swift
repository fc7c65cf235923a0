import Glibc

/// Random creation and fills from the global generator, with torch's CPU
/// algorithms, draw order and transforms: after the same manual_seed, every
/// function here gives torch's numbers bit for bit.
///
/// torch visits the elements of a result in memory order (its TensorIterator
/// sorts dimensions by stride), and results made "like" a dense template keep
/// the template's strides; both matter for transposed inputs.
extension NDArray {
    // MARK: - Uniform and normal

    /// torch.rand from the global generator.
    public static func rand(_ shape: Dims, dtype: DType) throws -> NDArray {
        try uniform(shape, from: 0, to: 1, dtype: dtype, function: "rand")
    }

    /// torch.empty(shape).uniform_(from, to) from the global generator.
    public static func uniform(_ shape: Dims, from: Double, to: Double, dtype: DType, function: String = "uniform") throws -> NDArray {
        guard dtype.isFloatingPoint else { throw EmberError.dtype("\(function): expected a floating dtype, got \(dtype)") }
        let out = try NDArray(empty: shape, dtype: dtype)
        try out.fillUniform(from: from, to: to)
        return out
    }

    /// torch.randn from the global generator.
    public static func randn(_ shape: Dims, dtype: DType) throws -> NDArray {
        guard dtype.isFloatingPoint else { throw EmberError.dtype("randn: expected a floating dtype, got \(dtype)") }
        let out = try NDArray(empty: shape, dtype: dtype)
        try out.fillNormal(mean: 0, std: 1)
        return out
    }

    /// torch.rand_like: U[0, 1) samples with the template's shape, dtype and layout.
    public static func randLike(_ template: NDArray) throws -> NDArray {
        guard template.dtype.isFloatingPoint else { throw EmberError.dtype("rand_like: expected a floating tensor, got \(template.dtype)") }
        let out = try emptyLike(template)
        try out.fillUniform(from: 0, to: 1)
        return out
    }

    /// torch.randn_like: N(0, 1) samples with the template's shape, dtype and
    /// layout. A transposed template gets torch's element-by-element path
    /// (its result is not contiguous), not the 16-wide one.
    public static func randnLike(_ template: NDArray) throws -> NDArray {
        guard template.dtype.isFloatingPoint else { throw EmberError.dtype("randn_like: expected a floating tensor, got \(template.dtype)") }
        let out = try emptyLike(template)
        try out.fillNormal(mean: 0, std: 1)
        return out
    }

    /// In-place uniform_(from, to) of a floating array in any layout whose
    /// elements do not share memory, drawn in memory order as torch does.
    public func fillUniform(from: Double, to: Double) throws {
        try checkRandomFill("uniform_")
        // torch's check_uniform_bounds: finite bounds within the dtype, in order, a representable width.
        let limit = dtype == .float32 ? Double(Float.greatestFiniteMagnitude) : Double.greatestFiniteMagnitude
        for (name, v) in [("from", from), ("to", to)] where !(v >= -limit && v <= limit) {
            throw EmberError.invalidArgument("uniform_: \(name) is out of bounds for \(dtype) (\(name)=\(v))")
        }
        guard from <= to else { throw EmberError.invalidArgument("uniform_ expects from <= to, but got from=\(from) to=\(to)") }
        let width = dtype == .float32 ? Double(Float(to) - Float(from)) : to - from
        guard width <= limit else {
            throw EmberError.invalidArgument("uniform_ expects to-from <= the largest \(dtype), but found to=\(to) and from=\(from) which result in to-from to exceed the limit")
        }
        GlobalGenerator.withState { g in
            switch dtype {
            case .float32: g.fillUniform(self, from: from, to: to, Float.self)
            case .float64: g.fillUniform(self, from: from, to: to, Double.self)
            case .int64, .bool: break
            }
        }
        storage.version &+= 1
    }

    /// In-place normal_(mean, std) of a floating array in any layout whose
    /// elements do not share memory. As torch: a contiguous array of at least
    /// 16 elements takes the 16-wide Box-Muller path, anything else the
    /// element-by-element one, in memory order.
    public func fillNormal(mean: Double, std: Double) throws {
        guard std >= 0 else { throw EmberError.invalidArgument("normal expects std >= 0.0, but found std \(std)") }
        try checkRandomFill("normal_")
        GlobalGenerator.withState { g in
            switch dtype {
            case .float32: g.fillNormal(self, mean: mean, std: std, Float.self)
            case .float64: g.fillNormal(self, mean: mean, std: std, Double.self)
            case .int64, .bool: break
            }
        }
        storage.version &+= 1
    }

    func checkRandomFill(_ function: String) throws {
        guard dtype.isFloatingPoint else { throw EmberError.dtype("\(function): expected a floating tensor, got \(dtype)") }
        guard !hasInternalOverlap else {
            throw EmberError.state("\(function): some elements of the tensor (shape \(describe(shape))) share one memory location (an expanded view)")
        }
    }

    // MARK: - Integers

    /// torch.randint(low, high, shape): int64 samples in [low, high).
    public static func randint(low: Int64, high: Int64, _ shape: Dims) throws -> NDArray {
        guard low < high else {
            throw EmberError.invalidArgument("randint: random_ expects 'from' to be less than 'to', but got from=\(low) >= to=\(high)")
        }
        let out = try NDArray(empty: shape, dtype: .int64)
        // high - low never overflows as an unsigned number.
        let range = UInt64(bitPattern: high) &- UInt64(bitPattern: low)
        let p = out.pointer(Int64.self)
        GlobalGenerator.withState { g in
            for i in 0..<out.count { p[i] = g.randomFromTo(range: range, base: low) }
        }
        return out
    }

    // MARK: - Bernoulli

    /// torch.bernoulli(probs): 1 with probability p, else 0, for each element
    /// of a floating tensor of probabilities in [0, 1]; the result has the
    /// probabilities' dtype and is row-major (torch makes it contiguous, so a
    /// transposed input is sampled in logical order). float32 probabilities
    /// are compared with 24-bit uniforms, float64 ones with 53-bit uniforms.
    public static func bernoulli(_ probs: NDArray) throws -> NDArray {
        guard probs.dtype.isFloatingPoint else {
            throw EmberError.dtype("bernoulli: expected a floating tensor of probabilities, got \(probs.dtype)")
        }
        let out = try NDArray(empty: probs.shape, dtype: probs.dtype)
        let order = MemoryOrder(out, probs)
        switch probs.dtype {
        case .float32: try bernoulliFill(out.pointer(Float.self), probs.pointer(Float.self), order)
        case .float64: try bernoulliFill(out.pointer(Double.self), probs.pointer(Double.self), order)
        case .int64, .bool: break
        }
        return out
    }

    static func bernoulliFill<T: FloatElement>(_ out: UnsafeMutablePointer<T>, _ p: UnsafeMutablePointer<T>, _ order: MemoryOrder) throws {
        // Checked before any draw, so that a bad probability leaves the generator alone.
        var position = 0
        var bad: (Int, T)? = nil
        order.forEach { _, i in
            if bad == nil && !(p[i] >= 0 && p[i] <= 1) { bad = (position, p[i]) }
            position += 1
        }
        if let (at, value) = bad {
            throw EmberError.invalidArgument("bernoulli: expected every probability p_in to satisfy 0 <= p_in <= 1, but element \(at) is \(value)")
        }
        GlobalGenerator.withState { g in
            order.forEach { o, i in out[o] = g.unit(T.self) < p[i] ? 1 : 0 }
        }
    }

    /// torch.bernoulli(x, p): a row-major array with `x`'s shape and dtype
    /// (its values are ignored) of 1 with probability `p`, else 0.
    public static func bernoulli(like x: NDArray, p: Double) throws -> NDArray {
        guard p >= 0 && p <= 1 else { throw EmberError.invalidArgument("bernoulli_ expects p to be in [0, 1], but got p=\(p)") }
        let out = try NDArray(empty: x.shape, dtype: x.dtype)
        let n = out.count
        GlobalGenerator.withState { g in
            switch out.dtype {
            case .float32: let q = out.pointer(Float.self); for i in 0..<n { q[i] = g.unitDouble() < p ? 1 : 0 }
            case .float64: let q = out.pointer(Double.self); for i in 0..<n { q[i] = g.unitDouble() < p ? 1 : 0 }
            case .int64: let q = out.pointer(Int64.self); for i in 0..<n { q[i] = g.unitDouble() < p ? 1 : 0 }
            case .bool: let q = out.pointer(Bool.self); for i in 0..<n { q[i] = g.unitDouble() < p }
            }
        }
        return out
    }
}

// MARK: - Multinomial

extension NDArray {
    /// torch.multinomial(probs, numSamples, replacement): int64 category
    /// indices drawn from each row of a 1-D (categories) or 2-D (rows x
    /// categories) floating tensor of non-negative weights, which need not sum
    /// to 1. The result is (numSamples) or (rows, numSamples).
    ///
    /// As torch's CPU kernels: with replacement (and more than one sample),
    /// a binary search of each uniform in the row's normalised cumulative sum;
    /// otherwise the exponential trick -- `p / q` with q ~ Exp(1), drawn in
    /// the probabilities' memory order -- and its argmax or top k, with ties
    /// (zero weights) broken as libstdc++'s sort algorithms break them.
    public static func multinomial(_ probs: NDArray, numSamples: Int, replacement: Bool) throws -> NDArray {
        guard probs.ndim == 1 || probs.ndim == 2 else {
            throw EmberError.shape("multinomial: prob_dist must be 1 or 2 dim, got shape \(describe(probs.shape))")
        }
        guard probs.dtype.isFloatingPoint else {
            throw EmberError.dtype("multinomial only supports floating-point dtypes for input, got: \(probs.dtype)")
        }
        guard numSamples > 0 else {
            throw EmberError.invalidArgument("multinomial: cannot sample n_sample <= 0 samples (num_samples = \(numSamples))")
        }
        let categories = probs.shape[probs.ndim - 1]
        guard replacement || numSamples <= categories else {
            throw EmberError.invalidArgument("multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement (\(numSamples) samples, \(categories) categories)")
        }
        guard categories <= 1 << 24 else {
            throw EmberError.invalidArgument("multinomial: number of categories cannot exceed 2^24, got \(categories)")
        }
        let rows = probs.ndim == 2 ? probs.shape[0] : 1
        let out = try NDArray(empty: probs.ndim == 2 ? [rows, numSamples] : [numSamples], dtype: .int64)
        if out.count == 0 { return out }
        guard categories > 0 else {
            throw EmberError.invalidArgument("multinomial: cannot sample from a distribution over 0 categories")
        }
        switch probs.dtype {
        case .float32: try MultinomialSampler<Float>(probs, out, numSamples).run(replacement: replacement)
        case .float64: try MultinomialSampler<Double>(probs, out, numSamples).run(replacement: replacement)
        case .int64, .bool: break
        }
        return out
    }
}

/// One multinomial draw over all rows, in the probabilities' element type.
struct MultinomialSampler<T: FloatElement> {
    let probs: NDArray
    let p: UnsafeMutablePointer<T>
    let result: UnsafeMutablePointer<Int64>
    let rows: Int, categories: Int, samples: Int
    let rowStride: Int, categoryStride: Int

    init(_ probs: NDArray, _ out: NDArray, _ samples: Int) {
        self.probs = probs
        p = probs.pointer(T.self)
        result = out.pointer(Int64.self)
        rows = probs.ndim == 2 ? probs.shape[0] : 1
        categories = probs.shape[probs.ndim - 1]
        self.samples = samples
        rowStride = probs.ndim == 2 ? probs.strides[0] : 0
        categoryStride = probs.strides[probs.ndim - 1]
    }

    @inline(__always) func weight(_ row: Int, _ j: Int) -> T { p[row * rowStride + j * categoryStride] }

    func run(replacement: Bool) throws {
        if replacement && samples > 1 {
            try withReplacement()
        } else {
            try withoutReplacement()
        }
    }

    /// torch's multinomial_with_replacement kernel.
    func withReplacement() throws {
        // Every row is checked before the first draw (torch checks row by row
        // as it samples), in torch's order: a NaN fails the `>= 0` test first.
        for row in 0..<rows {
            var sum: T = 0
            for j in 0..<categories {
                let v = weight(row, j)
                guard v >= 0 else {
                    throw EmberError.invalidArgument("multinomial: invalid multinomial distribution (encountering probability entry < 0): \(v) in row \(row)")
                }
                guard v.isFinite else {
                    throw EmberError.invalidArgument("multinomial: invalid multinomial distribution (encountering probability entry = infinity or NaN): \(v) in row \(row)")
                }
                sum += v
            }
            guard sum > 0 else {
                throw EmberError.invalidArgument("multinomial: invalid multinomial distribution (sum of probabilities <= 0) in row \(row)")
            }
        }
        var cumulative = [T](repeating: 0, count: categories)
        GlobalGenerator.withState { g in
            for row in 0..<rows {
                var sum: T = 0
                for j in 0..<categories {
                    sum += weight(row, j)
                    cumulative[j] = sum
                }
                for j in 0..<categories { cumulative[j] /= sum }
                cumulative[categories - 1] = 1
                for s in 0..<samples {
                    let u = g.unitDouble()
                    var left = 0, right = categories
                    while right - left > 0 {
                        let mid = left + (right - left) / 2
                        if cumulative[mid].doubleValue < u { left = mid + 1 } else { right = mid }
                    }
                    result[row * samples + s] = Int64(left)
                }
            }
        }
    }

    /// torch's fast path: argmax or top k of p / q with q ~ Exp(1).
    func withoutReplacement() throws {
        for row in 0..<rows {
            var positive = false
            for j in 0..<categories {
                let v = weight(row, j)
                guard v >= 0 && v < .infinity else {
                    throw EmberError.invalidArgument("multinomial: probability tensor contains either `inf`, `nan` or element < 0 (\(v) in row \(row))")
                }
                positive = positive || v > 0
            }
            guard positive else {
                throw EmberError.invalidArgument("multinomial: invalid multinomial distribution (sum of probabilities <= 0) in row \(row)")
            }
        }
        // q is made like the probabilities and filled in its memory order.
        let q = try NDArray.emptyLike(probs)
        let qp = q.pointer(T.self)
        GlobalGenerator.withState { g in
            MemoryOrder(q, nil).forEach { o, _ in qp[o] = T(g.exponentialSample()) }
        }
        let qRowStride = probs.ndim == 2 ? q.strides[0] : 0, qCategoryStride = q.strides[q.ndim - 1]
        var queue = [TopKEntry<T>](repeating: TopKEntry(value: 0, index: 0), count: categories)
        for row in 0..<rows {
            for j in 0..<categories {
                queue[j] = TopKEntry(value: weight(row, j) / qp[row * qRowStride + j * qCategoryStride], index: j)
            }
            let out = result + row * samples
            if samples == 1 {
                out[0] = Int64(TopKEntry.argmax(queue))
            } else {
                LibstdcxxSort.topK(&queue, samples)
                for s in 0..<samples { out[s] = Int64(queue[s].index) }
            }
        }
    }
}

/// A (value, index) pair of torch's topk queue.
struct TopKEntry<T: FloatElement> {
    var value: T
    var index: Int

    /// torch's order for largest-first top k: NaN above everything, then by value.
    @inline(__always)
    static func before(_ x: TopKEntry, _ y: TopKEntry) -> Bool {
        (x.value.isNaN && !y.value.isNaN) || x.value > y.value
    }

    /// The first index of the largest value (NaN counting as largest), as torch.argmax.
    static func argmax(_ entries: [TopKEntry]) -> Int {
        var best = 0
        for j in 1..<entries.count {
            let v = entries[j].value, b = entries[best].value
            if !b.isNaN && (v.isNaN || v > b) { best = j }
        }
        return best
    }
}

/// libstdc++'s std::nth_element, std::sort and std::partial_sort, step for
/// step, as torch's CPU topk calls them: equal values (several zero weights
/// in multinomial) then come out in exactly torch's order.
enum LibstdcxxSort {
    /// The k largest entries, largest first, in a[0..<k] (torch's topk_impl_loop).
    static func topK<T: FloatElement>(_ a: inout [TopKEntry<T>], _ k: Int) {
        let n = a.count
        a.withUnsafeMutableBufferPointer { buffer in
            guard let q = buffer.baseAddress else { return }
            if k * 64 <= n {
                partialSort(q, 0, k, n)
            } else {
                nthElement(q, 0, k - 1, n)
                sort(q, 0, k - 1)
            }
        }
    }

    typealias Buffer<T: FloatElement> = UnsafeMutablePointer<TopKEntry<T>>

    @inline(__always) static func less<T: FloatElement>(_ x: TopKEntry<T>, _ y: TopKEntry<T>) -> Bool { TopKEntry.before(x, y) }
    @inline(__always) static func log2(_ n: Int) -> Int { Int.bitWidth - 1 - n.leadingZeroBitCount }
    @inline(__always) static func exchange<T: FloatElement>(_ a: Buffer<T>, _ i: Int, _ j: Int) {
        let t = a[i]
        a[i] = a[j]
        a[j] = t
    }

    static func sort<T: FloatElement>(_ a: Buffer<T>, _ first: Int, _ last: Int) {
        guard first != last else { return }
        introsortLoop(a, first, last, 2 * log2(last - first))
        finalInsertionSort(a, first, last)
    }

    static func nthElement<T: FloatElement>(_ a: Buffer<T>, _ first: Int, _ nth: Int, _ last: Int) {
        guard first != last && nth != last else { return }
        var first = first, last = last, depth = 2 * log2(last - first)
        while last - first > 3 {
            if depth == 0 {
                heapSelect(a, first, nth + 1, last)
                exchange(a, first, nth)
                return
            }
            depth -= 1
            let cut = partitionPivot(a, first, last)
            if cut <= nth { first = cut } else { last = cut }
        }
        insertionSort(a, first, last)
    }

    static func partialSort<T: FloatElement>(_ a: Buffer<T>, _ first: Int, _ middle: Int, _ last: Int) {
        heapSelect(a, first, middle, last)
        var end = middle
        while end - first > 1 {
            end -= 1
            popHeap(a, first, end, end)
        }
    }

    static func introsortLoop<T: FloatElement>(_ a: Buffer<T>, _ first: Int, _ last: Int, _ depth: Int) {
        var last = last, depth = depth
        while last - first > 16 {
            if depth == 0 {
                partialSort(a, first, last, last)
                return
            }
            depth -= 1
            let cut = partitionPivot(a, first, last)
            introsortLoop(a, cut, last, depth)
            last = cut
        }
    }

    static func partitionPivot<T: FloatElement>(_ a: Buffer<T>, _ first: Int, _ last: Int) -> Int {
        let mid = first + (last - first) / 2
        moveMedianToFirst(a, first, first + 1, mid, last - 1)
        // Unguarded partition of [first + 1, last) around a[first].
        var lo = first + 1, hi = last
        while true {
            while less(a[lo], a[first]) { lo += 1 }
            hi -= 1
            while less(a[first], a[hi]) { hi -= 1 }
            if !(lo < hi) { return lo }
            exchange(a, lo, hi)
            lo += 1
        }
    }

    static func moveMedianToFirst<T: FloatElement>(_ a: Buffer<T>, _ result: Int, _ x: Int, _ y: Int, _ z: Int) {
        if less(a[x], a[y]) {
            if less(a[y], a[z]) { exchange(a, result, y) } else if less(a[x], a[z]) { exchange(a, result, z) } else { exchange(a, result, x) }
        } else if less(a[x], a[z]) {
            exchange(a, result, x)
        } else if less(a[y], a[z]) {
            exchange(a, result, z)
        } else {
            exchange(a, result, y)
        }
    }

    static func insertionSort<T: FloatElement>(_ a: Buffer<T>, _ first: Int, _ last: Int) {
        guard first != last else { return }
        var i = first + 1
        while i < last {
            if less(a[i], a[first]) {
                let value = a[i]
                var j = i
                while j > first { a[j] = a[j - 1]; j -= 1 }
                a[first] = value
            } else {
                unguardedLinearInsert(a, i)
            }
            i += 1
        }
    }

    static func unguardedLinearInsert<T: FloatElement>(_ a: Buffer<T>, _ position: Int) {
        let value = a[position]
        var last = position, next = position - 1
        while less(value, a[next]) {
            a[last] = a[next]
            last = next
            next -= 1
        }
        a[last] = value
    }

    static func finalInsertionSort<T: FloatElement>(_ a: Buffer<T>, _ first: Int, _ last: Int) {
        if last - first > 16 {
            insertionSort(a, first, first + 16)
            for i in (first + 16)..<last { unguardedLinearInsert(a, i) }
        } else {
            insertionSort(a, first, last)
        }
    }

    static func heapSelect<T: FloatElement>(_ a: Buffer<T>, _ first: Int, _ middle: Int, _ last: Int) {
        makeHeap(a, first, middle)
        var i = middle
        while i < last {
            if less(a[i], a[first]) { popHeap(a, first, middle, i) }
            i += 1
        }
    }

    static func makeHeap<T: FloatElement>(_ a: Buffer<T>, _ first: Int, _ last: Int) {
        let length = last - first
        guard length >= 2 else { return }
        var parent = (length - 2) / 2
        while true {
            adjustHeap(a, first, parent, length, a[first + parent])
            if parent == 0 { return }
            parent -= 1
        }
    }

    static func popHeap<T: FloatElement>(_ a: Buffer<T>, _ first: Int, _ last: Int, _ result: Int) {
        let value = a[result]
        a[result] = a[first]
        adjustHeap(a, first, 0, last - first, value)
    }

    static func adjustHeap<T: FloatElement>(_ a: Buffer<T>, _ first: Int, _ hole: Int, _ length: Int, _ value: TopKEntry<T>) {
        let top = hole
        var hole = hole, child = hole
        while child < (length - 1) / 2 {
            child = 2 * (child + 1)
            if less(a[first + child], a[first + child - 1]) { child -= 1 }
            a[first + hole] = a[first + child]
            hole = child
        }
        if length & 1 == 0 && child == (length - 2) / 2 {
            child = 2 * (child + 1)
            a[first + hole] = a[first + child - 1]
            hole = child - 1
        }
        // push_heap back up towards `top`.
        var parent = (hole - 1) / 2
        while hole > top && less(a[first + parent], value) {
            a[first + hole] = a[first + parent]
            hole = parent
            parent = (hole - 1) / 2
        }
        a[first + hole] = value
    }
}
