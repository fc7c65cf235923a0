import CEmber
import EmberTestSupport
import XCTest

/// Helpers for calling the C API from Swift exactly as a C program does.
enum C {
    /// Asserts EMBER_OK, failing with the library's message otherwise.
    static func ok(_ status: ember_status, _ what: String = "", file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(status, EMBER_OK, "\(what): \(String(cString: ember_last_error()))", file: file, line: line)
    }

    /// Asserts a failure with `status` whose message contains every fragment.
    static func fails(_ status: ember_status, _ expected: ember_status, _ fragments: [String],
                      file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(status, expected, "status \(String(cString: ember_status_name(status))), message: \(lastError)", file: file, line: line)
        for f in fragments where !lastError.contains(f) {
            XCTFail("message \"\(lastError)\" lacks \"\(f)\"", file: file, line: line)
        }
    }

    static var lastError: String { String(cString: ember_last_error()) }

    static func tensor(_ values: [Float], _ shape: [Int64]) -> OpaquePointer {
        var out: OpaquePointer?
        ok(ember_tensor_from_data(values, EMBER_FLOAT32, shape, Int64(shape.count), &out))
        return out!
    }

    static func tensor(_ values: [Double], _ shape: [Int64]) -> OpaquePointer {
        var out: OpaquePointer?
        ok(ember_tensor_from_data(values, EMBER_FLOAT64, shape, Int64(shape.count), &out))
        return out!
    }

    static func tensor(_ values: [Int64], _ shape: [Int64]) -> OpaquePointer {
        var out: OpaquePointer?
        ok(ember_tensor_from_data(values, EMBER_INT64, shape, Int64(shape.count), &out))
        return out!
    }

    /// A tensor's values as doubles, read with ember_tensor_copy_to.
    static func values(_ t: OpaquePointer?) -> [Double] {
        let n = Int(ember_tensor_numel(t))
        switch ember_tensor_dtype(t) {
        case EMBER_FLOAT32:
            var v = [Float](repeating: 0, count: n)
            ok(ember_tensor_copy_to(t, &v, n * 4))
            return v.map { Double($0) }
        case EMBER_FLOAT64:
            var v = [Double](repeating: 0, count: n)
            ok(ember_tensor_copy_to(t, &v, n * 8))
            return v
        case EMBER_BOOL:
            var v = [Bool](repeating: false, count: n)
            ok(ember_tensor_copy_to(t, &v, n))
            return v.map { $0 ? 1 : 0 }
        default:
            var v = [Int64](repeating: 0, count: n)
            ok(ember_tensor_copy_to(t, &v, n * 8))
            return v.map { Double($0) }
        }
    }

    static func shape(_ t: OpaquePointer?) -> [Int64] {
        (0..<ember_tensor_ndim(t)).map { ember_tensor_size(t, $0) }
    }

    /// The seed network (Linear(10, 5), ReLU, Linear(5, 2)) built through the C API.
    static func seedNetwork() -> OpaquePointer {
        var model, fc1, act, fc2: OpaquePointer?
        ok(ember_sequential_new(&model))
        ok(ember_linear_new(10, 5, true, &fc1))
        ok(ember_relu_new(&act))
        ok(ember_linear_new(5, 2, true, &fc2))
        for m in [fc1, act, fc2] {
            ok(ember_sequential_append(model, m))
            ember_module_free(m)
        }
        return model!
    }
}
