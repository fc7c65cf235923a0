import EmberAutograd
import EmberTensor
import Glibc

/// In-place initialisers (torch.nn.init), drawing from the global generator
/// in torch's order and with torch's arithmetic, so the same seed gives the
/// same weights.
public enum Init {
    /// torch.nn.init.calculate_gain for the nonlinearities layers use.
    public static func gain(_ nonlinearity: String, param: Double? = nil) throws -> Double {
        switch nonlinearity {
        case "linear", "conv1d", "conv2d", "conv3d", "sigmoid", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d":
            return 1
        case "tanh": return 5.0 / 3
        case "relu": return 2.0.squareRoot()
        case "leaky_relu":
            let slope = param ?? 0.01
            return (2.0 / (1 + pow(slope, 2))).squareRoot()
        case "selu": return 3.0 / 4
        default:
            throw EmberError.invalidArgument("unsupported nonlinearity \"\(nonlinearity)\"; expected linear, conv1d, conv2d, conv3d, sigmoid, tanh, relu, leaky_relu or selu")
        }
    }

    /// (fan_in, fan_out) of a weight, as torch computes them.
    public static func fans(_ shape: Dims) throws -> (Int, Int) {
        guard shape.count >= 2 else {
            throw EmberError.invalidArgument("fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (shape \(describe(shape)))")
        }
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// torch.nn.init.uniform_.
    public static func uniform(_ t: Tensor, from: Double = 0, to: Double = 1) throws {
        try t.array.fillUniform(from: from, to: to)
    }

    /// torch.nn.init.kaiming_uniform_ (mode "fan_in" or "fan_out").
    public static func kaimingUniform(_ t: Tensor, a: Double = 0, mode: String = "fan_in", nonlinearity: String = "leaky_relu") throws {
        if t.count == 0 { return }  // torch warns and leaves zero-element tensors alone
        let (fanIn, fanOut) = try fans(t.shape)
        let fan: Int
        switch mode {
        case "fan_in": fan = fanIn
        case "fan_out": fan = fanOut
        default: throw EmberError.invalidArgument("mode \"\(mode)\" is not supported; expected fan_in or fan_out")
        }
        let std = try gain(nonlinearity, param: a) / Double(fan).squareRoot()
        let bound = 3.0.squareRoot() * std
        try uniform(t, from: -bound, to: bound)
    }
}
