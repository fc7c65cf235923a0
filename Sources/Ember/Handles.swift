import CEmber
import EmberAutograd
import EmberData
import EmberNN
import EmberOptim
import EmberTensor
import Glibc
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
///
/// Every C call looks its handles up, so lookups take no lock: the slots live
/// in chunks that, once made, stay for the life of the process (a lookup
/// never reads memory that another thread is reallocating), and a slot is
/// written only under the lock, by the thread that makes or frees its handle.
/// A thread can only hold a handle another thread made through some
/// synchronisation of its own, which also publishes the slot. Freeing a handle
/// while another thread is using it is a race the header rules out (one
/// object, one thread at a time).
final class HandleTable<Object: AnyObject>: @unchecked Sendable {
    struct Slot {
        /// The object (a strong reference), or nil for a free or never used slot.
        var object: Object?
        /// Bumped when the slot's handle is freed; 0 only for a slot never used.
        var generation: UInt32
    }

    static var chunkBits: Int { 12 }
    static var chunkSlots: Int { 1 << chunkBits }
    /// Enough chunks for every slot a handle can name (32 bits).
    static var chunkCount: Int { 1 << (32 - chunkBits) }

    /// What only the lock's holder touches: the allocation of slots.
    struct Allocation {
        /// Slots handed out so far (the next never used one).
        var count = 0
        /// Free slot indices, a stack.
        var free: [UInt32] = []
        var live = 0
    }

    let kind: HandleKind
    /// The chunk pointers (zeroed memory, so an unused chunk is nil and an
    /// unused slot has generation 0). Never freed: the tables are process-wide.
    private let chunks: UnsafeMutablePointer<UnsafeMutablePointer<Slot>?>
    private let allocation = Mutex(Allocation())

    init(_ kind: HandleKind) {
        self.kind = kind
        // calloc: the pages of a large zeroed block are only mapped when touched.
        let raw = calloc(Self.chunkCount, MemoryLayout<UnsafeMutablePointer<Slot>?>.stride)!
        chunks = raw.bindMemory(to: UnsafeMutablePointer<Slot>?.self, capacity: Self.chunkCount)
    }

    /// A new handle owning the reference `object` (moved into the slot, not
    /// retained again).
    func insert(_ object: consuming Object) -> OpaquePointer {
        var reference: Object? = consume object
        let (index, generation) = allocation.withLock { a -> (Int, UInt32) in
            a.live += 1
            let i: Int
            if let reused = a.free.popLast() {
                i = Int(reused)
            } else {
                i = a.count
                a.count += 1
                if chunks[i >> Self.chunkBits] == nil {
                    let chunk = UnsafeMutablePointer<Slot>.allocate(capacity: Self.chunkSlots)
                    chunk.initialize(repeating: Slot(object: nil, generation: 0), count: Self.chunkSlots)
                    chunks[i >> Self.chunkBits] = chunk
                }
            }
            let slot = chunks[i >> Self.chunkBits]! + (i & (Self.chunkSlots - 1))
            if slot.pointee.generation == 0 { slot.pointee.generation = 1 }
            slot.pointee.object = reference.take()
            return (i, slot.pointee.generation)
        }
        let bits = (kind.rawValue << 56) | (UInt64(generation) << 32) | UInt64(index + 1)
        return OpaquePointer(bitPattern: UInt(bits))!
    }

    /// The slot a handle of this kind names, if its chunk exists.
    @inline(__always)
    private func slot(_ bits: UInt64) -> UnsafeMutablePointer<Slot>? {
        let index = Int(truncatingIfNeeded: bits & 0xFFFF_FFFF) &- 1
        guard bits >> 56 == kind.rawValue, index >= 0, let chunk = chunks[index >> Self.chunkBits] else { return nil }
        return chunk + (index & (Self.chunkSlots - 1))
    }

    /// The object behind a handle, or an INVALID_HANDLE error naming the argument.
    @inline(__always)
    func get(_ handle: OpaquePointer?, _ argument: StaticString) throws -> Object {
        let bits = UInt64(UInt(bitPattern: handle))
        if let slot = slot(bits), slot.pointee.generation == UInt32(truncatingIfNeeded: (bits >> 32) & 0xFF_FFFF),
           let object = slot.pointee.object {
            return object
        }
        throw invalid(handle, argument)
    }

    /// The object behind a handle, or nil.
    func lookup(_ handle: OpaquePointer?) -> Object? { try? get(handle, "") }

    /// Releases a handle; false (nothing changed) if it is not a live handle of this kind.
    func remove(_ handle: OpaquePointer?) -> Bool {
        let bits = UInt64(UInt(bitPattern: handle))
        guard let slot = slot(bits) else { return false }
        let generation = UInt32(truncatingIfNeeded: (bits >> 32) & 0xFF_FFFF)
        let index = UInt32(truncatingIfNeeded: (bits & 0xFFFF_FFFF) - 1)
        // Take the object out under the lock and release it after: its deinit
        // may free a whole graph and must not hold up other threads.
        let released: Object? = allocation.withLock { a -> Object? in
            guard slot.pointee.generation == generation, let r = slot.pointee.object.take() else { return nil }
            var next = (generation + 1) & 0xFF_FFFF
            if next == 0 { next = 1 }
            slot.pointee.generation = next
            a.free.append(index)
            a.live -= 1
            return r
        }
        return released != nil
    }

    /// The number of live handles (tests use it to check that nothing leaks).
    var liveCount: Int { allocation.withLock { $0.live } }

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
