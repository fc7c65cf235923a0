import EmberAutograd
import EmberTensor

/// The normalisation functions under torch.nn.functional's names; the work
/// is done by the Tensor ops (Tensor+Norm.swift).
extension Functional {
    /// torch.nn.functional.batch_norm(input, running_mean, running_var, weight,
    /// bias, training, momentum, eps); see `Tensor.batchNorm`.
    ///
    /// ```swift
    /// let y = try Functional.batchNorm(x, runningMean: nil, runningVar: nil, training: true)
    /// ```
    public static func batchNorm(_ input: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor? = nil,
                                 bias: Tensor? = nil, training: Bool = false, momentum: Double = 0.1,
                                 eps: Double = 1e-5) throws -> Tensor {
        try input.batchNorm(runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias, training: training,
                            momentum: momentum, eps: eps)
    }

    /// torch.nn.functional.group_norm(input, num_groups, weight, bias, eps); see `Tensor.groupNorm`.
    public static func groupNorm(_ input: Tensor, numGroups: Int, weight: Tensor? = nil, bias: Tensor? = nil,
                                 eps: Double = 1e-5) throws -> Tensor {
        try input.groupNorm(numGroups: numGroups, weight: weight, bias: bias, eps: eps)
    }
}
