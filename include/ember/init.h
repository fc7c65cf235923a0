/**
 * @file ember/init.h
 * @brief Initialisers (torch.nn.init): in-place fills of any tensor,
 *        typically a module's parameters (see ember_module_parameter).
 *
 * Each writes into `t`'s own storage and returns only a status. Like torch's,
 * they record no graph (they run as under torch.no_grad()), so they work on
 * parameters and other leaves that require grad; the write bumps the
 * tensor's version, so a graph that saved it refuses to backward afterwards.
 * Random ones draw from the global generator (ember_manual_seed) in torch's
 * order: with the same seed they produce torch's values.
 *
 * Fans: for a tensor of shape (out, in, k1, k2, ...), fan_in = in * k1 * k2 *
 * ... and fan_out = out * k1 * k2 * ... (the tensor needs at least 2 dims).
 * `mode` is "fan_in" or "fan_out" (NULL: "fan_in"); `nonlinearity` is one of
 * calculate_gain's names (NULL: "leaky_relu").
 *
 * Errors: EMBER_ERR_INVALID_HANDLE; EMBER_ERR_DTYPE (a random fill of an
 * int64 or bool tensor); EMBER_ERR_INVALID_ARGUMENT (fewer than 2 dims where
 * fans are needed, an unknown mode or nonlinearity -- the message lists the
 * valid ones --, a negative std, bounds out of order); EMBER_ERR_STATE (an
 * expanded tensor whose elements share memory).
 */
#ifndef EMBER_INIT_H
#define EMBER_INIT_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Samples from U(a, b) (torch.nn.init.uniform_). */
EMBER_NODISCARD ember_status ember_init_uniform_(ember_tensor *t, double a, double b);
/** Samples from N(mean, std^2) (torch.nn.init.normal_). */
EMBER_NODISCARD ember_status ember_init_normal_(ember_tensor *t, double mean, double std);
/**
 * Samples from N(mean, std^2) truncated to [a, b] (torch.nn.init.trunc_normal_,
 * torch's defaults mean 0, std 1, a -2, b 2), by torch's rejection sampling,
 * draw for draw. std must be positive and a <= b (INVALID_ARGUMENT).
 */
EMBER_NODISCARD ember_status ember_init_trunc_normal_(ember_tensor *t, double mean, double std, double a, double b);
/** Every element `val` (torch.nn.init.constant_); an int64 tensor takes it truncated. */
EMBER_NODISCARD ember_status ember_init_constant_(ember_tensor *t, double val);
/** Every element 0 (torch.nn.init.zeros_). */
EMBER_NODISCARD ember_status ember_init_zeros_(ember_tensor *t);
/** Every element 1 (torch.nn.init.ones_). */
EMBER_NODISCARD ember_status ember_init_ones_(ember_tensor *t);
/** The identity in a 2-D tensor: ones on the main diagonal, zeros elsewhere (torch.nn.init.eye_). */
EMBER_NODISCARD ember_status ember_init_eye_(ember_tensor *t);
/**
 * Kaiming (He) uniform initialisation (torch.nn.init.kaiming_uniform_):
 * U(-bound, bound) with bound = gain * sqrt(3 / fan), gain =
 * calculate_gain(nonlinearity, a); `a` is leaky_relu's negative slope
 * (torch's defaults: a 0, "fan_in", "leaky_relu"). A tensor without elements
 * is left unchanged.
 */
EMBER_NODISCARD ember_status ember_init_kaiming_uniform_(ember_tensor *t, double a, const char *mode, const char *nonlinearity);
/** Kaiming (He) normal initialisation (torch.nn.init.kaiming_normal_): N(0, std^2), std = gain / sqrt(fan). */
EMBER_NODISCARD ember_status ember_init_kaiming_normal_(ember_tensor *t, double a, const char *mode, const char *nonlinearity);
/** Xavier (Glorot) uniform initialisation (torch.nn.init.xavier_uniform_): U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)). */
EMBER_NODISCARD ember_status ember_init_xavier_uniform_(ember_tensor *t, double gain);
/** Xavier (Glorot) normal initialisation (torch.nn.init.xavier_normal_): N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)). */
EMBER_NODISCARD ember_status ember_init_xavier_normal_(ember_tensor *t, double gain);
/**
 * A (semi-)orthogonal matrix times `gain` (torch.nn.init.orthogonal_): the
 * tensor, viewed as (size(0), numel / size(0)), gets the Q of the QR
 * decomposition of a matrix of N(0, 1) samples (transposed when wide), its
 * columns multiplied by the signs of R's diagonal, as torch. The tensor needs
 * at least 2 dims; one without elements is left unchanged.
 */
EMBER_NODISCARD ember_status ember_init_orthogonal_(ember_tensor *t, double gain);
/**
 * The recommended gain for a nonlinearity (torch.nn.init.calculate_gain):
 * 1 for "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
 * "conv_transpose2d", "conv_transpose3d" and "sigmoid"; 5/3 for "tanh";
 * sqrt(2) for "relu"; sqrt(2 / (1 + slope^2)) for "leaky_relu" with the slope
 * `*param` (NULL: 0.01); 3/4 for "selu". Errors: INVALID_ARGUMENT (NULL
 * nonlinearity or out, an unknown name: the message lists the valid ones).
 */
EMBER_NODISCARD ember_status ember_calculate_gain(const char *nonlinearity, const double *param, double *out);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_INIT_H */
