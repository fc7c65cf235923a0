import EmberAutograd
import EmberTensor
import EmberTestSupport
import XCTest

/// Bad input to the elementwise ops: each is an EmberError of the right kind
/// whose message names the op and the shapes, dtypes or values involved.
extension ElementwiseOpsTests {
    func floats(_ values: [Double], _ shape: Dims? = nil, _ dtype: DType = .float32) throws -> Tensor {
        try Tensor.from(values, shape: shape, dtype: dtype)
    }

    func testDtypesTorchRejects() throws {
        let ints = try floats([1, -2, 3], nil, .int64)
        let mask = try floats([1, 0, 1], nil, .bool)
        assertThrows(.dtype, ["leaky_relu", "int64"]) { try ints.leakyRelu() }
        assertThrows(.dtype, ["elu", "int64"]) { try ints.selu() }
        assertThrows(.dtype, ["gelu", "bool"]) { try mask.gelu() }
        assertThrows(.dtype, ["silu", "int64"]) { try ints.silu() }
        assertThrows(.dtype, ["mish", "bool"]) { try mask.mish() }
        assertThrows(.dtype, ["softplus", "int64"]) { try ints.softplus() }
        assertThrows(.dtype, ["bool", "logical_not"]) { try mask.neg() }
        assertThrows(.dtype, ["abs", "bool"]) { try mask.abs() }
        assertThrows(.dtype, ["floor", "bool"]) { try mask.floor() }
        assertThrows(.dtype, ["round", "bool"]) { try mask.round() }
        assertThrows(.dtype, ["hardtanh", "bool"]) { try mask.relu6() }
        assertThrows(.dtype, ["relu", "bool"]) { try mask.relu() }
        assertThrows(.dtype, ["floor_divide", "bool"]) { try mask.floorDivide(mask) }
        assertThrows(.dtype, ["trunc", "bool"]) { try mask.div(mask, roundingMode: .trunc) }
        assertThrows(.dtype, ["remainder", "bool"]) { try mask.remainder(mask) }
        assertThrows(.dtype, ["pow", "bool"]) { try mask.pow(mask) }
        assertThrows(.dtype, ["subtraction", "bool"]) { try mask.sub(mask) }
        assertThrows(.dtype, ["addcmul", "bool"]) { try mask.addcmul(mask, mask) }
        assertThrows(.dtype, ["addcdiv", "int64", "bool"]) { try ints.addcdiv(ints, mask) }
        assertThrows(.dtype, ["lerp", "int64"]) { try ints.lerp(ints, weight: 0.5) }
        let f32 = try floats([1, 2, 3]), f64 = try floats([1, 2, 3], nil, .float64)
        assertThrows(.dtype, ["`end`", "float32", "float64"]) { try f32.lerp(f64, weight: 0.5) }
        assertThrows(.dtype, ["`weight`", "float32", "float64"]) { try f32.lerp(f32, weight: f64) }
        assertThrows(.dtype, ["`weight`", "int64"]) { try f32.lerp(f32, weight: Tensor.scalar(1, dtype: .int64)) }
        assertThrows(.dtype, ["where", "condition", "float32"]) { try Tensor.where(f32, f32, f32) }
        assertThrows(.dtype, ["where", "condition", "int64"]) { try Tensor.where(ints, f32, f32) }
        assertThrows(.dtype, ["masked_fill", "boolean", "float32"]) { try f32.maskedFill(f32, 1) }
    }

    func testShapesThatDoNotBroadcast() throws {
        let a = try floats([1, 2, 3, 4, 5, 6], [2, 3]), b = try floats([1, 2, 3, 4], [4])
        let c = try floats([1, 0], [2], .bool)
        let fragments = ["[2, 3]", "[4]"]
        assertThrows(.shape, fragments) { try a.maximum(b) }
        assertThrows(.shape, fragments) { try a.atan2(b) }
        assertThrows(.shape, fragments) { try a.pow(b) }
        assertThrows(.shape, fragments) { try a.remainder(b) }
        assertThrows(.shape, fragments) { try a.floorDivide(b) }
        assertThrows(.shape, fragments) { try a.div(b, roundingMode: .floor) }
        assertThrows(.shape, fragments) { try a.lt(b) }
        assertThrows(.shape, fragments) { try a.logicalXor(b) }
        assertThrows(.shape, fragments) { try a.lerp(b, weight: 0.5) }
        assertThrows(.shape, fragments) { try a.lerp(a, weight: b) }
        assertThrows(.shape, fragments) { try a.addcmul(a, b) }
        assertThrows(.shape, fragments) { try a.addcdiv(b, a) }
        assertThrows(.shape, ["[2]", "[2, 3]"]) { try Tensor.where(c, a, a) }
        assertThrows(.shape, ["[2, 3]", "[2]"]) { try a.maskedFill(c, 0) }
    }

    func testBadArguments() throws {
        let x = try floats([0.5, -1, 2])
        let ints = try floats([7, -7, 3], nil, .int64), zeroes = try floats([1, 0, 2], nil, .int64)
        assertThrows(.invalidArgument, ["min_val", "max_val", "2.0", "1.0"]) { try x.hardtanh(minVal: 2, maxVal: 1) }
        assertThrows(.invalidArgument, ["clamp", "min", "max", "None"]) { try x.clamp() }
        assertThrows(.invalidArgument, ["floor_divide", "division by zero"]) { try ints.floorDivide(zeroes) }
        assertThrows(.invalidArgument, ["trunc", "division by zero"]) { try ints.div(zeroes, roundingMode: .trunc) }
        assertThrows(.invalidArgument, ["remainder", "division by zero"]) { try ints.remainder(0) }
        assertThrows(.invalidArgument, ["floor_divide", "division by zero"]) { try ints.floorDivide(0) }
        assertThrows(.invalidArgument, ["negative integer powers", "-1"]) { try ints.pow(-1) }
        assertThrows(.invalidArgument, ["masked_fill", "1e+300", "float32"]) { try x.maskedFill(x.gt(0), 1e300) }
        assertThrows(.invalidArgument, ["masked_fill", "nan", "int64"]) { try ints.maskedFill(ints.gt(0), .nan) }
        assertThrows(.invalidArgument, ["masked_fill", "inf", "int64"]) { try ints.maskedFill(ints.gt(0), .infinity) }
        // The floating forms divide by zero as IEEE does; an empty int64 division checks nothing.
        XCTAssertEqual(try ints.to(.float32).floorDivide(zeroes.to(.float32)).toDoubles()[1], -.infinity)
        let empty = try Tensor.zeros([0, 3], dtype: .int64)
        XCTAssertEqual(try empty.remainder(zeroes).shape, [0, 3])
    }

    func testResultDtypesFollowTorch() throws {
        let ints = try floats([1, -2, 3], nil, .int64), mask = try floats([1, 0, 1], nil, .bool)
        let f32 = try floats([1, 2, 3]), f64 = try floats([1, 2, 3], nil, .float64)
        XCTAssertEqual(try ints.sqrt().dtype, .float32)
        XCTAssertEqual(try mask.tanh().dtype, .float32)
        XCTAssertEqual(try ints.abs().dtype, .int64)
        XCTAssertEqual(try mask.sign().dtype, .bool)
        XCTAssertEqual(try mask.square().dtype, .int64)
        XCTAssertEqual(try ints.clamp(min: 0.5).dtype, .float32)
        XCTAssertEqual(try ints.clamp(min: 0, max: 2).dtype, .int64)
        XCTAssertEqual(try f32.clamp(min: 0, max: 2).dtype, .float32)
        XCTAssertEqual(try ints.pow(2).dtype, .int64)
        XCTAssertEqual(try ints.pow(0.5).dtype, .float32)
        XCTAssertEqual(try Tensor.pow(2, ints).dtype, .int64)
        XCTAssertEqual(try ints.atan2(ints).dtype, .float32)
        XCTAssertEqual(try f32.maximum(f64).dtype, .float64)
        XCTAssertEqual(try f32.maximum(Tensor.scalar(1, dtype: .float64)).dtype, .float32)   // a 0-dim tensor does not raise the dtype
        XCTAssertEqual(try f32.eq(f64).dtype, .bool)
        XCTAssertEqual(try ints.logicalAnd(f32).dtype, .bool)
        XCTAssertEqual(try Tensor.where(mask, ints, f64).dtype, .float64)
        XCTAssertEqual(try ints.maskedFill(mask, 2.5).dtype, .int64)
        XCTAssertEqual(try ints.addcmul(ints, ints, value: 1.5).dtype, .int64)
        XCTAssertEqual(try ints.addcdiv(ints, f32).dtype, .float32)
        XCTAssertEqual(try f32.lerp(f32, weight: Tensor.scalar(0.5, dtype: .float64)).dtype, .float32)
        // Integer results never require grad; floating ones do when an input does.
        let leaf = try floats([0.5, 1, 2], nil, .float64)
        try leaf.setRequiresGrad(true)
        XCTAssertFalse(try leaf.gt(1).requiresGrad)
        XCTAssertFalse(try leaf.floor().to(.int64).requiresGrad)
        XCTAssertTrue(try leaf.floor().requiresGrad)
        XCTAssertTrue(try Tensor.where(mask, leaf, f64).requiresGrad)
    }
}
