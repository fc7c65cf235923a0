/**
 * @file ember/elementwise.h
 * @brief Elementwise operations with broadcasting (torch.add, torch.exp,
 *        torch.where, torch.nn.functional.gelu, ...).
 *
 * See ember/ops.h for what every op shares: ownership, broadcasting, type
 * promotion, gradients and errors. In short: every function writes a new
 * tensor that the caller owns (release it with ember_tensor_free) into `*out`,
 * which is set to NULL on failure; inputs are borrowed; when grad mode is on
 * and an input requires grad, the result records its gradient.
 *
 * Dtypes follow torch. Math functions (exp, log, sqrt, sin, tanh, sigmoid,
 * erf, logit, ...) turn int64 and bool input into float32. neg, abs, relu,
 * relu6, hardtanh, square, sign, floor, ceil and round keep int64 (sign keeps
 * bool too; square turns bool into int64). The activations leaky_relu, elu,
 * selu, gelu, silu, mish and softplus need a floating tensor. Ops torch does
 * not implement for bool (abs, neg, floor, remainder, pow of two bools, ...)
 * are EMBER_ERR_DTYPE. Comparisons and logical ops return EMBER_BOOL tensors;
 * masks (where's condition, masked_fill's mask) must be EMBER_BOOL.
 *
 * Scalars are doubles that promote like Python numbers: an integral value
 * counts as an int64 scalar and any other as a float one, so an int64 tensor
 * with 2 stays int64 and with 2.5 becomes float32, while a floating tensor
 * keeps its dtype.
 *
 * Common errors: EMBER_ERR_INVALID_HANDLE (NULL, freed or wrong-kind handle),
 * EMBER_ERR_INVALID_ARGUMENT (NULL out, an integer division by zero, a
 * value that does not fit the dtype), EMBER_ERR_SHAPE (shapes that do not
 * broadcast; both are in the message), EMBER_ERR_DTYPE.
 */
#ifndef EMBER_ELEMENTWISE_H
#define EMBER_ELEMENTWISE_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Arithmetic ---------------------------------------------------------- */

/** a + b (torch.add). */
EMBER_NODISCARD ember_status ember_add(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);
/** a - b (torch.sub). Two bool tensors are EMBER_ERR_DTYPE. */
EMBER_NODISCARD ember_status ember_sub(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);
/** a * b (torch.mul). */
EMBER_NODISCARD ember_status ember_mul(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);
/** a / b, true division (torch.div): int64 inputs give float32. */
EMBER_NODISCARD ember_status ember_div(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);

/** a + s (torch.add with a Python scalar). */
EMBER_NODISCARD ember_status ember_add_scalar(const ember_tensor *a, double s, ember_tensor **out);
/** a - s. */
EMBER_NODISCARD ember_status ember_sub_scalar(const ember_tensor *a, double s, ember_tensor **out);
/** a * s. */
EMBER_NODISCARD ember_status ember_mul_scalar(const ember_tensor *a, double s, ember_tensor **out);
/** a / s, true division. */
EMBER_NODISCARD ember_status ember_div_scalar(const ember_tensor *a, double s, ember_tensor **out);

/**
 * a / b rounded as `rounding_mode` says (torch.div(a, b, rounding_mode=...)):
 * "trunc" rounds toward zero, "floor" rounds down, NULL is true division
 * (ember_div). With a rounding mode int64 stays int64, an int64 division by
 * zero is EMBER_ERR_INVALID_ARGUMENT (torch's ZeroDivisionError), bool is
 * EMBER_ERR_DTYPE, and both gradients are zero. Any other mode is
 * EMBER_ERR_INVALID_ARGUMENT.
 */
EMBER_NODISCARD ember_status ember_div_mode(const ember_tensor *a, const ember_tensor *b, const char *rounding_mode, ember_tensor **out);
/** a / s rounded as `rounding_mode` says; see ember_div_mode. */
EMBER_NODISCARD ember_status ember_div_scalar_mode(const ember_tensor *a, double s, const char *rounding_mode, ember_tensor **out);
/**
 * a / b rounded down (torch.floor_divide); errors as ember_div_mode with
 * "floor". Like torch, it has no derivative: a backward through its result
 * fails with EMBER_ERR_STATE (ember_div_mode's "floor" has a zero gradient).
 */
EMBER_NODISCARD ember_status ember_floor_divide(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);
/** a / s rounded down (torch.floor_divide with a scalar); see ember_floor_divide. */
EMBER_NODISCARD ember_status ember_floor_divide_scalar(const ember_tensor *a, double s, ember_tensor **out);
/**
 * a mod b with the sign of b, as Python's % (torch.remainder): a - floor(a / b) * b.
 * int64 stays int64 (a zero divisor is EMBER_ERR_INVALID_ARGUMENT); bool is
 * EMBER_ERR_DTYPE. Gradients: 1 for a, -floor(a / b) for b.
 */
EMBER_NODISCARD ember_status ember_remainder(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);
/** a mod s (torch.remainder with a scalar); see ember_remainder. */
EMBER_NODISCARD ember_status ember_remainder_scalar(const ember_tensor *a, double s, ember_tensor **out);

/**
 * The larger of a and b elementwise (torch.maximum); NaN if either is NaN.
 * Where a == b each gets half the gradient, as in torch.
 */
EMBER_NODISCARD ember_status ember_maximum(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);
/** The smaller of a and b elementwise (torch.minimum); see ember_maximum. */
EMBER_NODISCARD ember_status ember_minimum(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);
/**
 * atan2(a, b), the angle of the point (b, a) in [-pi, pi] (torch.atan2); int64
 * and bool give float32. Both gradients are 0 where a^2 + b^2 is 0, as in torch.
 */
EMBER_NODISCARD ember_status ember_atan2(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);

/**
 * a ** b elementwise with broadcasting (torch.pow(Tensor, Tensor)). Two int64
 * tensors give int64 (a negative exponent gives 0 unless the base is 1 or -1);
 * two bools are EMBER_ERR_DTYPE. Gradients as torch: 0 for a where b == 0,
 * 0 for b where a == 0 and b >= 0.
 */
EMBER_NODISCARD ember_status ember_pow(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);
/**
 * x ** exponent (torch.pow(Tensor, Scalar)). An int64 tensor stays int64 for
 * an integral exponent, where a negative one is EMBER_ERR_INVALID_ARGUMENT
 * (as in torch); a fractional one gives float32.
 */
EMBER_NODISCARD ember_status ember_pow_scalar(const ember_tensor *x, double exponent, ember_tensor **out);
/**
 * base ** x (torch.pow(Scalar, Tensor)). The gradient is x's: base**x * ln(base),
 * and 0 where base is 0 and x >= 0.
 */
EMBER_NODISCARD ember_status ember_pow_scalar_base(double base, const ember_tensor *x, ember_tensor **out);

/**
 * input + value * tensor1 * tensor2, all three broadcast and promoted together
 * (torch.addcmul). For an int64 result `value` is truncated, as torch
 * converts it; bool is EMBER_ERR_DTYPE.
 */
EMBER_NODISCARD ember_status ember_addcmul(const ember_tensor *input, const ember_tensor *tensor1, const ember_tensor *tensor2, double value, ember_tensor **out);
/**
 * input + value * tensor1 / tensor2 (torch.addcdiv). tensor1 and tensor2 both
 * integral (int64 or bool) is EMBER_ERR_DTYPE, as in torch.
 */
EMBER_NODISCARD ember_status ember_addcdiv(const ember_tensor *input, const ember_tensor *tensor1, const ember_tensor *tensor2, double value, ember_tensor **out);
/**
 * start + weight * (end - start) (torch.lerp with a scalar weight). start and
 * end must have the same floating dtype (EMBER_ERR_DTYPE otherwise).
 */
EMBER_NODISCARD ember_status ember_lerp(const ember_tensor *start, const ember_tensor *end, double weight, ember_tensor **out);
/**
 * torch.lerp with a weight tensor: start, end and weight broadcast together.
 * weight has start's dtype, or is 0-dim of any floating dtype; start, end and
 * weight all receive gradients.
 */
EMBER_NODISCARD ember_status ember_lerp_tensor(const ember_tensor *start, const ember_tensor *end, const ember_tensor *weight, ember_tensor **out);

/* ---- Unary math ------------------------------------------------------------ */

/** -x (torch.neg). bool is EMBER_ERR_DTYPE (use ember_logical_not). */
EMBER_NODISCARD ember_status ember_neg(const ember_tensor *x, ember_tensor **out);
/** |x| (torch.abs); the gradient at 0 is 0. bool is EMBER_ERR_DTYPE. */
EMBER_NODISCARD ember_status ember_abs(const ember_tensor *x, ember_tensor **out);
/** -1, 0 or 1 by the sign of x, 0 for NaN (torch.sign); bool stays bool. Zero gradient. */
EMBER_NODISCARD ember_status ember_sign(const ember_tensor *x, ember_tensor **out);
/** x * x (torch.square); bool gives int64. */
EMBER_NODISCARD ember_status ember_square(const ember_tensor *x, ember_tensor **out);
/** e^x (torch.exp); int64 input gives float32. */
EMBER_NODISCARD ember_status ember_exp(const ember_tensor *x, ember_tensor **out);
/** e^x - 1, accurate for small x (torch.expm1). */
EMBER_NODISCARD ember_status ember_expm1(const ember_tensor *x, ember_tensor **out);
/** Natural logarithm (torch.log); int64 input gives float32. */
EMBER_NODISCARD ember_status ember_log(const ember_tensor *x, ember_tensor **out);
/** ln(1 + x), accurate for small x (torch.log1p). */
EMBER_NODISCARD ember_status ember_log1p(const ember_tensor *x, ember_tensor **out);
/** Base-2 logarithm (torch.log2). */
EMBER_NODISCARD ember_status ember_log2(const ember_tensor *x, ember_tensor **out);
/** Square root (torch.sqrt); NaN for negative x. */
EMBER_NODISCARD ember_status ember_sqrt(const ember_tensor *x, ember_tensor **out);
/** 1 / sqrt(x) (torch.rsqrt). */
EMBER_NODISCARD ember_status ember_rsqrt(const ember_tensor *x, ember_tensor **out);
/** 1 / x (torch.reciprocal); int64 input gives float32. */
EMBER_NODISCARD ember_status ember_reciprocal(const ember_tensor *x, ember_tensor **out);
/** Sine (torch.sin). */
EMBER_NODISCARD ember_status ember_sin(const ember_tensor *x, ember_tensor **out);
/** Cosine (torch.cos). */
EMBER_NODISCARD ember_status ember_cos(const ember_tensor *x, ember_tensor **out);
/** Tangent (torch.tan). */
EMBER_NODISCARD ember_status ember_tan(const ember_tensor *x, ember_tensor **out);
/** Hyperbolic tangent (torch.tanh). */
EMBER_NODISCARD ember_status ember_tanh(const ember_tensor *x, ember_tensor **out);
/** 1 / (1 + e^-x) (torch.sigmoid). */
EMBER_NODISCARD ember_status ember_sigmoid(const ember_tensor *x, ember_tensor **out);
/** The error function (torch.erf). */
EMBER_NODISCARD ember_status ember_erf(const ember_tensor *x, ember_tensor **out);
/**
 * log(x / (1 - x)) (torch.logit without eps). The gradient 1 / (x (1 - x))
 * is NaN outside [0, 1], as in torch.
 */
EMBER_NODISCARD ember_status ember_logit(const ember_tensor *x, ember_tensor **out);
/**
 * torch.logit(x, eps): x is first clamped to [eps, 1 - eps] (a negative eps
 * clamps nothing, as torch); the gradient is 0 where x was clamped.
 */
EMBER_NODISCARD ember_status ember_logit_eps(const ember_tensor *x, double eps, ember_tensor **out);

/** Rounded down (torch.floor); int64 is returned unchanged, bool is EMBER_ERR_DTYPE. Zero gradient. */
EMBER_NODISCARD ember_status ember_floor(const ember_tensor *x, ember_tensor **out);
/** Rounded up (torch.ceil); see ember_floor. */
EMBER_NODISCARD ember_status ember_ceil(const ember_tensor *x, ember_tensor **out);
/** Rounded to the nearest integer, halves to even (torch.round); see ember_floor. */
EMBER_NODISCARD ember_status ember_round(const ember_tensor *x, ember_tensor **out);

/**
 * x clamped to [min, max] (torch.clamp(x, min, max)); NaN stays NaN, and
 * min > max gives max everywhere. The bounds promote like Python scalars
 * (an int64 tensor clamped to 0.5 is float32). The gradient flows only where
 * min < x < max, as in torch.
 */
EMBER_NODISCARD ember_status ember_clamp(const ember_tensor *x, double min, double max, ember_tensor **out);
/** max(x, min) (torch.clamp(x, min=min) or torch.clamp_min); see ember_clamp. */
EMBER_NODISCARD ember_status ember_clamp_min(const ember_tensor *x, double min, ember_tensor **out);
/** min(x, max) (torch.clamp(x, max=max) or torch.clamp_max); see ember_clamp. */
EMBER_NODISCARD ember_status ember_clamp_max(const ember_tensor *x, double max, ember_tensor **out);

/* ---- Activations (torch.nn.functional) --------------------------------------- */

/** max(x, 0) (torch.relu); its gradient at 0 is 0, as in torch. bool is EMBER_ERR_DTYPE. */
EMBER_NODISCARD ember_status ember_relu(const ember_tensor *x, ember_tensor **out);
/** min(max(x, 0), 6) (F.relu6); int64 stays int64. The gradient is 0 at 0 and 6. */
EMBER_NODISCARD ember_status ember_relu6(const ember_tensor *x, ember_tensor **out);
/**
 * x clamped to [min_val, max_val] (F.hardtanh; torch's defaults are -1 and 1).
 * int64 stays int64 with the bounds truncated toward zero. The gradient is 0
 * at and beyond the bounds. min_val > max_val is EMBER_ERR_INVALID_ARGUMENT.
 */
EMBER_NODISCARD ember_status ember_hardtanh(const ember_tensor *x, double min_val, double max_val, ember_tensor **out);
/** x if x > 0 else negative_slope * x (F.leaky_relu; torch's default slope is 0.01). Floating x only. */
EMBER_NODISCARD ember_status ember_leaky_relu(const ember_tensor *x, double negative_slope, ember_tensor **out);
/** x if x > 0 else alpha * (e^x - 1) (F.elu; torch's default alpha is 1). Floating x only. */
EMBER_NODISCARD ember_status ember_elu(const ember_tensor *x, double alpha, ember_tensor **out);
/** scale * elu(x, alpha) with torch's constants (F.selu). Floating x only. */
EMBER_NODISCARD ember_status ember_selu(const ember_tensor *x, ember_tensor **out);
/** x * Phi(x), Phi the standard normal CDF (F.gelu, approximate='none'). Floating x only. */
EMBER_NODISCARD ember_status ember_gelu(const ember_tensor *x, ember_tensor **out);
/** 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (F.gelu, approximate='tanh'). Floating x only. */
EMBER_NODISCARD ember_status ember_gelu_tanh(const ember_tensor *x, ember_tensor **out);
/** x * sigmoid(x) (F.silu). Floating x only. */
EMBER_NODISCARD ember_status ember_silu(const ember_tensor *x, ember_tensor **out);
/** x * tanh(softplus(x)) (F.mish). Floating x only. */
EMBER_NODISCARD ember_status ember_mish(const ember_tensor *x, ember_tensor **out);
/**
 * log(1 + e^(beta x)) / beta, and x itself where beta x > threshold
 * (F.softplus; torch's defaults are beta 1, threshold 20). Floating x only.
 */
EMBER_NODISCARD ember_status ember_softplus(const ember_tensor *x, double beta, double threshold, ember_tensor **out);

/* ---- Comparisons and logical ops (EMBER_BOOL results, no gradient) ------------ */

/** a == b elementwise with broadcasting, compared in the promoted dtype (torch.eq). */
EMBER_NODISCARD ember_status ember_eq(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);
/** a != b (torch.ne); NaN != NaN. */
EMBER_NODISCARD ember_status ember_ne(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);
/** a < b (torch.lt). */
EMBER_NODISCARD ember_status ember_lt(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);
/** a <= b (torch.le). */
EMBER_NODISCARD ember_status ember_le(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);
/** a > b (torch.gt). */
EMBER_NODISCARD ember_status ember_gt(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);
/** a >= b (torch.ge). */
EMBER_NODISCARD ember_status ember_ge(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);
/** a == s, the scalar promoting like a Python number (int64 == 2.5 compares in float32). */
EMBER_NODISCARD ember_status ember_eq_scalar(const ember_tensor *a, double s, ember_tensor **out);
/** a != s. */
EMBER_NODISCARD ember_status ember_ne_scalar(const ember_tensor *a, double s, ember_tensor **out);
/** a < s. */
EMBER_NODISCARD ember_status ember_lt_scalar(const ember_tensor *a, double s, ember_tensor **out);
/** a <= s. */
EMBER_NODISCARD ember_status ember_le_scalar(const ember_tensor *a, double s, ember_tensor **out);
/** a > s. */
EMBER_NODISCARD ember_status ember_gt_scalar(const ember_tensor *a, double s, ember_tensor **out);
/** a >= s. */
EMBER_NODISCARD ember_status ember_ge_scalar(const ember_tensor *a, double s, ember_tensor **out);

/** Both nonzero (torch.logical_and); any dtypes, NaN counts as nonzero. */
EMBER_NODISCARD ember_status ember_logical_and(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);
/** Either nonzero (torch.logical_or). */
EMBER_NODISCARD ember_status ember_logical_or(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);
/** Exactly one nonzero (torch.logical_xor). */
EMBER_NODISCARD ember_status ember_logical_xor(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);
/** Zero (torch.logical_not). */
EMBER_NODISCARD ember_status ember_logical_not(const ember_tensor *x, ember_tensor **out);

/* ---- Selection ------------------------------------------------------------------ */

/**
 * input where condition holds, else other (torch.where(condition, input, other)).
 * condition must be EMBER_BOOL (EMBER_ERR_DTYPE otherwise); all three
 * broadcast, input and other promote. The gradient goes to input where the
 * condition holds and to other elsewhere.
 */
EMBER_NODISCARD ember_status ember_where(const ember_tensor *condition, const ember_tensor *input, const ember_tensor *other, ember_tensor **out);
/**
 * x with `value` wherever the EMBER_BOOL mask holds (torch.Tensor.masked_fill).
 * The result has the broadcast shape of x and mask and x's dtype; a value
 * that overflows that dtype (1e300 for float32, NaN or inf for int64) is
 * EMBER_ERR_INVALID_ARGUMENT. The gradient is zero where the mask holds.
 */
EMBER_NODISCARD ember_status ember_masked_fill(const ember_tensor *x, const ember_tensor *mask, double value, ember_tensor **out);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_ELEMENTWISE_H */
