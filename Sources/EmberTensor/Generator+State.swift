/// The generator's full state in torch's byte layout (what torch.get_rng_state
/// returns and torch.set_rng_state takes: CPUGeneratorImplState, 5056 bytes,
/// little-endian), so a state moves between Ember and torch in both directions:
///
///     offset  0  uint64  the initial seed
///            8  int32   left_ (draws before the next twist, counting the one that triggers it)
///           12  int32   seeded_ (1)
///           16  uint64  next_ (the next state word read)
///           24  uint64  state_[624] (each a 32-bit word)
///         5016  double  normal_x (0, unused)
///         5024  double  normal_y (the cached double normal sample)
///         5032  double  normal_rho (0, unused)
///         5040  int32   normal_is_valid (whether normal_y is cached)
///         5048  float   next_float_normal_sample (0; Ember never caches one)
///         5052  bool    is_next_float_normal_sample_valid (0)
///
/// ```swift
/// let bytes = GlobalGenerator.withState { $0 }.torchState()
/// let restored = try RandomState(torchState: bytes)
/// ```
extension RandomState {
    /// The size of torch's CPU generator state in bytes.
    public static let torchStateSize = 5056

    /// This state in torch's layout.
    public func torchState() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: RandomState.torchStateSize)
        func put<T: FixedWidthInteger>(_ v: T, at offset: Int) {
            for k in 0..<(T.bitWidth / 8) { out[offset + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) }
        }
        let (left, next) = engine.torchPosition
        put(seed, at: 0)
        put(Int32(left), at: 8)
        put(Int32(1), at: 12)
        put(UInt64(next), at: 16)
        for (i, w) in engine.words.enumerated() { put(UInt64(w), at: 24 + 8 * i) }
        if let cached = nextNormal {
            put(cached.bitPattern, at: 5024)
            put(Int32(1), at: 5040)
        }
        return out
    }

    /// A state from torch's layout. Errors (`.invalidArgument`): a size other
    /// than 5056 bytes, a state word past 32 bits, an engine position torch
    /// cannot be in, flags other than 0 and 1, or a cached float normal
    /// sample (a torch path Ember has no equivalent of).
    public init(torchState bytes: [UInt8]) throws {
        guard bytes.count == RandomState.torchStateSize else {
            throw EmberError.invalidArgument("a generator state has \(RandomState.torchStateSize) bytes (torch's CPU generator state), got \(bytes.count)")
        }
        func get<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
            var v: T = 0
            for k in 0..<(T.bitWidth / 8) { v |= T(truncatingIfNeeded: bytes[offset + k]) << (8 * k) }
            return v
        }
        var words = [UInt32](repeating: 0, count: 624)
        for i in 0..<624 {
            let w = get(UInt64.self, at: 24 + 8 * i)
            guard let word = UInt32(exactly: w) else {
                throw EmberError.invalidArgument("invalid generator state: state word \(i) is \(w), more than 32 bits")
            }
            words[i] = word
        }
        let left = Int(get(Int32.self, at: 8)), next = get(UInt64.self, at: 16)
        guard let engine = MT19937(words: words, left: left, next: Int(clamping: next)) else {
            throw EmberError.invalidArgument("invalid generator state: position left=\(left), next=\(next) is not one torch's mt19937 can be in (left in 1...624 and next == 625 - left)")
        }
        let seeded = get(Int32.self, at: 12), normalValid = get(Int32.self, at: 5040)
        guard seeded == 0 || seeded == 1, normalValid == 0 || normalValid == 1 else {
            throw EmberError.invalidArgument("invalid generator state: the flags seeded (\(seeded)) and normal_is_valid (\(normalValid)) must be 0 or 1")
        }
        guard bytes[5052] == 0 else {
            throw EmberError.invalidArgument("the generator state caches a float normal sample, which Ember's generator never does (torch fills it only on paths Ember does not have)")
        }
        self.init(seed: get(UInt64.self, at: 0), engine: engine,
                  cachedNormal: normalValid == 1 ? Double(bitPattern: get(UInt64.self, at: 5024)) : nil)
    }
}
