import CEmber
import EmberAutograd
import EmberData
import EmberNN
import EmberOptim
import EmberTensor
import Synchronization

/// The kinds of handle, each with its own tag in the handle's top byte, so a
/// handle of the wrong kind is recognised without consulting any table.
enum HandleKind: UInt64 {
    case tensor = 0xE1, module = 0xE2, optimizer = 0xE3, dataloader = 0xE4, function = 0xE5, scheduler = 0xE6, stateDict = 0xE7

    var noun: String {
        switch self {
        case .tensor: "tensor"
        case .module: "module"
        case .optimizer: "optimizer"
        case .dataloader: "data loader"
        case .function: "function"
        case .scheduler: "scheduler"
        case .stateDict: "state dict"
        }
    }
}

/// Live handles of one kind: a slot table with generation counters. A handle
/// is not a pointer but [kind:8][generation:24][slot+1:32], so NULL, a freed
/// handle (stale generation), a double free, a handle of another kind and a
/// stray pointer are all recognised and reported, never dereferenced.
final class HandleTable<Object: AnyObject>: @unchecked Sendable {
    /// The slots, in buffers managed by hand: every C call looks a handle up,
    /// and Swift arrays would add a uniqueness check to each access.
    struct Slots {
        /// The object in each slot (retained), or nil for a free slot.
        var objects: UnsafeMutablePointer<Unmanaged<Object>?>? = nil
        /// Each slot's generation, bumped when its handle is freed.
        var generations: UnsafeMutablePointer<UInt32>? = nil
        /// Free slot indices, a stack.
        var free: UnsafeMutablePointer<UInt32>? = nil
        var count = 0, capacity = 0, freeCount = 0
        var live = 0

        /// Room for one more slot (capacity doubles; the buffers never shrink).
        mutating func grow() {
            let newCapacity = Swift.max(64, capacity * 2)
            let o = UnsafeMutablePointer<Unmanaged<Object>?>.allocate(capacity: newCapacity)
            let g = UnsafeMutablePointer<UInt32>.allocate(capacity: newCapacity)
            let f = UnsafeMutablePointer<UInt32>.allocate(capacity: newCapacity)
            if let objects, let generations, let free {
                o.moveInitialize(from: objects, count: count)
                g.moveInitialize(from: generations, count: count)
                f.moveInitialize(from: free, count: freeCount)
                objects.deallocate()
                generations.deallocate()
                free.deallocate()
            }
            objects = o
            generations = g
            free = f
            capacity = newCapacity
        }
    }

    let kind: HandleKind
    private let slots = Mutex(Slots())

    init(_ kind: HandleKind) { self.kind = kind }

    /// A new handle owning a reference to `object`.
    func insert(_ object: Object) -> OpaquePointer {
        let reference = Unmanaged.passRetained(object)
        let (index, generation) = slots.withLock { s -> (UInt32, UInt32) in
            s.live += 1
            if s.freeCount > 0 {
                s.freeCount -= 1
                let i = s.free![s.freeCount]
                s.objects![Int(i)] = reference
                return (i, s.generations![Int(i)])
            }
            if s.count == s.capacity { s.grow() }
            let i = s.count
            s.count += 1
            (s.objects! + i).initialize(to: reference)
            (s.generations! + i).initialize(to: 1)
            return (UInt32(i), 1)
        }
        let bits = (kind.rawValue << 56) | (UInt64(generation) << 32) | UInt64(index + 1)
        return OpaquePointer(bitPattern: UInt(bits))!
    }

    /// The object behind a handle, or an INVALID_HANDLE error naming the argument.
    @inline(__always)
    func get(_ handle: OpaquePointer?, _ argument: StaticString) throws -> Object {
        let bits = UInt64(UInt(bitPattern: handle))
        let index = Int(bits & 0xFFFF_FFFF) - 1, generation = UInt32((bits >> 32) & 0xFF_FFFF)
        if bits >> 56 == kind.rawValue, index >= 0,
           let object = slots.withLock({ s -> Object? in
               guard index < s.count, s.generations![index] == generation, let r = s.objects![index] else { return nil }
               return r.takeUnretainedValue()
           }) {
            return object
        }
        throw invalid(handle, argument)
    }

    /// The object behind a handle, or nil.
    func lookup(_ handle: OpaquePointer?) -> Object? { try? get(handle, "") }

    /// Releases a handle; false (nothing changed) if it is not a live handle of this kind.
    func remove(_ handle: OpaquePointer?) -> Bool {
        let bits = UInt64(UInt(bitPattern: handle))
        let index = Int(bits & 0xFFFF_FFFF) - 1, generation = UInt32((bits >> 32) & 0xFF_FFFF)
        guard bits >> 56 == kind.rawValue, index >= 0 else { return false }
        // Take the object out under the lock and release it after: its deinit
        // may free a whole graph and must not hold up other threads.
        let released: Unmanaged<Object>? = slots.withLock { s -> Unmanaged<Object>? in
            guard index < s.count, s.generations![index] == generation, let r = s.objects![index] else { return nil }
            s.objects![index] = nil
            var next = (s.generations![index] + 1) & 0xFF_FFFF
            if next == 0 { next = 1 }
            s.generations![index] = next
            s.free![s.freeCount] = UInt32(index)
            s.freeCount += 1
            s.live -= 1
            return r
        }
        released?.release()
        return released != nil
    }

    /// The number of live handles (tests use it to check that nothing leaks).
    var liveCount: Int { slots.withLock { $0.live } }

    /// Why a handle is not a live one of this kind, as a message.
    func invalid(_ handle: OpaquePointer?, _ argument: StaticString) -> EmberError {
        invalid(handle, described: "argument '\(argument)'")
    }

    /// As `invalid`, for a handle described as `what` ("element 2 of 'tensors'").
    func invalid(_ handle: OpaquePointer?, described subject: String) -> EmberError {
        let bits = UInt64(UInt(bitPattern: handle))
        let what: String
        if handle == nil {
            what = "is NULL"
        } else if let other = HandleKind(rawValue: bits >> 56), other != kind {
            what = "is a \(other.noun) handle, not a \(kind.noun) handle"
        } else if bits >> 56 == kind.rawValue {
            what = "is a \(kind.noun) handle that has been freed"
        } else {
            what = "is not an Ember handle"
        }
        return EmberError(.invalidHandle, "\(subject) \(what)")
    }
}

/// The tables, one per kind.
enum Handles {
    static let tensors = HandleTable<Tensor>(.tensor)
    static let modules = HandleTable<Module>(.module)
    static let optimizers = HandleTable<Optimizer>(.optimizer)
    static let loaders = HandleTable<DataLoader>(.dataloader)
    static let functions = HandleTable<Function>(.function)
    static let schedulers = HandleTable<LRScheduler>(.scheduler)
    static let stateDicts = HandleTable<StateDict>(.stateDict)
}
