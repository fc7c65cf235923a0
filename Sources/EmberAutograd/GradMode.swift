import Glibc

/// Whether ops record the graph, per thread (torch.is_grad_enabled). Stored
/// in a pthread key: absent means enabled, the default on every thread.
public enum GradMode {
    @usableFromInline static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Whether recording is on for the calling thread.
    @inlinable public static var isEnabled: Bool { pthread_getspecific(key) == nil }

    /// Turns recording on or off for the calling thread; returns the previous setting.
    @discardableResult
    public static func set(_ enabled: Bool) -> Bool {
        let previous = isEnabled
        pthread_setspecific(key, enabled ? nil : UnsafeRawPointer(bitPattern: 1))
        return previous
    }

    /// Runs `body` with recording set to `enabled`, restoring the setting afterwards
    /// (`with torch.no_grad():` is `GradMode.with(false) { ... }`).
    public static func with<R>(_ enabled: Bool, _ body: () throws -> R) rethrows -> R {
        let previous = set(enabled)
        defer { set(previous) }
        return try body()
    }
}
