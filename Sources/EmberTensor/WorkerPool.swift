import Glibc
import Synchronization

/// The threads that run Parallel.forEach's chunks beside the caller: started
/// on first use, kept for the life of the process, and the only threads Ember
/// computes on (OpenBLAS runs single-threaded inside them; see Parallel).
///
/// One job at a time: a job is `chunks` calls of `body(chunk)`, claimed with
/// an atomic counter by the caller and by up to `participants - 1` workers.
/// Between jobs a worker spins for a short while (the next kernel of a
/// training step usually follows within microseconds) and then sleeps on a
/// condition variable. A forEach that finds the pool busy (another thread's
/// job, or a nested call from inside a chunk) runs its chunks itself.
///
/// The job's fields are published by a release increment of `generation`
/// (odd while a job is open) and read after an acquiring load of it. A
/// worker announces itself in `inside` before re-checking the generation,
/// and the caller closes the job (even generation) before waiting for
/// `inside` to drain, so no worker can touch a job's fields once its
/// forEach has returned.
@usableFromInline
final class WorkerPool: @unchecked Sendable {
    @usableFromInline static let shared = WorkerPool()

    /// How long an idle worker polls for the next job before sleeping.
    static let spinNanoseconds: UInt64 = 100_000

    private let generation = Atomic<Int>(0)
    private let nextChunk = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let inside = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let started = Atomic<Int>(0)

    // The open job; written only by the thread holding `busy`, before it
    // publishes the job through `generation`.
    private var chunks = 0
    private var participants = 0
    private var body: ((Int) -> Void)?

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    private init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        // A forked child has the parent's memory but none of its threads:
        // it starts again with no workers (and no job in flight).
        pthread_atfork(nil, nil) { WorkerPool.shared.resetAfterFork() }
    }

    /// Runs body(0) ... body(chunks - 1) on the caller and up to
    /// `threads - 1` workers; returns when every call has returned.
    @usableFromInline
    func run(chunks count: Int, threads: Int, _ work: (Int) -> Void) {
        guard count > 1, threads > 1, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        else {
            for i in 0..<count { work(i) }
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        let helpers = min(threads, count) - 1
        startWorkers(helpers)
        withoutActuallyEscaping(work) { work in
            body = work
            chunks = count
            participants = helpers + 1
            nextChunk.store(0, ordering: .relaxed)
            finished.store(0, ordering: .relaxed)
            generation.add(1, ordering: .sequentiallyConsistent)  // odd: open
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(wake)
                pthread_mutex_unlock(mutex)
            }
            runChunks(work)
            waitUntil { finished.load(ordering: .acquiring) >= count }
            generation.add(1, ordering: .sequentiallyConsistent)  // even: closed
            waitUntil { inside.load(ordering: .sequentiallyConsistent) == 0 }
            body = nil
        }
    }

    private func runChunks(_ work: (Int) -> Void) {
        while true {
            let i = nextChunk.add(1, ordering: .relaxed).oldValue
            if i >= chunks { return }
            work(i)
            finished.add(1, ordering: .releasing)
        }
    }

    private func startWorkers(_ wanted: Int) {
        while started.load(ordering: .relaxed) < wanted {
            let index = started.load(ordering: .relaxed)
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { argument in
                WorkerPool.shared.workerLoop(index: Int(bitPattern: argument))
                return nil
            }, UnsafeMutableRawPointer(bitPattern: index + 1))
            // Without the thread the job still completes: the caller claims every chunk.
            guard rc == 0 else { return }
            pthread_detach(thread)
            started.store(index + 1, ordering: .relaxed)
        }
    }

    private func workerLoop(index argument: Int) {
        let index = argument - 1
        var seen = generation.load(ordering: .acquiring)
        while true {
            seen = waitForChange(from: seen)
            guard seen & 1 == 1 else { continue }
            inside.add(1, ordering: .sequentiallyConsistent)
            joinIfOpen(generation: seen, index: index)
            inside.subtract(1, ordering: .sequentiallyConsistent)
        }
    }

    /// Claims chunks of the job of generation `seen` if it is still open and
    /// this worker takes part. A function of its own so that the worker's
    /// reference to the job's closure ends when it returns, before the worker
    /// leaves `inside`: the caller may return (and the closure's non-escaping
    /// context be gone) as soon as `inside` is 0.
    @inline(never)
    private func joinIfOpen(generation seen: Int, index: Int) {
        guard generation.load(ordering: .sequentiallyConsistent) == seen, index < participants - 1, let work = body else {
            return
        }
        runChunks(work)
    }

    /// Spins, then sleeps, until the generation differs from `seen`; returns it.
    private func waitForChange(from seen: Int) -> Int {
        let deadline = monotonicNanoseconds() + Self.spinNanoseconds
        var polls = 0
        while true {
            let now = generation.load(ordering: .acquiring)
            if now != seen { return now }
            polls += 1
            if polls & 255 == 0 && monotonicNanoseconds() > deadline { break }
            spinPause()
        }
        pthread_mutex_lock(mutex)
        sleepers.add(1, ordering: .sequentiallyConsistent)
        while generation.load(ordering: .sequentiallyConsistent) == seen { pthread_cond_wait(wake, mutex) }
        sleepers.subtract(1, ordering: .sequentiallyConsistent)
        pthread_mutex_unlock(mutex)
        return generation.load(ordering: .acquiring)
    }

    private func resetAfterFork() {
        started.store(0, ordering: .relaxed)
        sleepers.store(0, ordering: .relaxed)
        inside.store(0, ordering: .relaxed)
        busy.store(false, ordering: .relaxed)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
    }
}

/// Polls `done` until it holds: a short spin, then yielding the core at each
/// poll. On a machine busier than it has cores, the thread being waited for
/// may be waiting for this very core; spinning on would keep it off.
@inline(__always)
private func waitUntil(_ done: () -> Bool) {
    var polls = 0
    while !done() {
        polls += 1
        if polls < 2048 { spinPause() } else { sched_yield() }
    }
}

@inline(__always)
private func spinPause() {
    // No portable pause instruction from Swift; an empty atomic fence keeps
    // the loop from being optimised into a tight load.
    atomicMemoryFence(ordering: .acquiring)
}

private func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
