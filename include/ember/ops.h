/**
 * @file ember/ops.h
 * @brief Tensor operations, named after their torch functions: the conventions
 *        every op section shares, and the sections themselves.
 *
 * Every function returns a new tensor in `*out` that the caller owns. Inputs
 * are borrowed. When grad mode is on and an input requires grad, the result
 * records how it was made, so ember_tensor_backward can differentiate it.
 *
 * Binary ops broadcast as torch does (sizes are aligned from the right; a size
 * of 1 stretches) and promote dtypes as torch does (int64 with float32 gives
 * float32; float32 with float64 gives float64; a zero-dimensional tensor does
 * not raise the dtype of a dimensioned one of the same kind). Scalar variants
 * keep a floating tensor's dtype; an int64 tensor with a fractional scalar
 * gives float32.
 *
 * Common errors: INVALID_HANDLE (NULL, freed or wrong-kind handle),
 * INVALID_ARGUMENT (NULL out, dim out of range), SHAPE (shapes that do not
 * broadcast or multiply; both shapes are in the message), DTYPE (an int64
 * tensor where a floating one is needed), OUT_OF_MEMORY.
 *
 * Lists: ops that take several tensors (cat, stack) take
 * `const ember_tensor *const *tensors, int64_t count`. Ops that return a fixed
 * number of tensors use one out-parameter each (values and indices). Ops that
 * return a variable number (split, chunk) write up to `capacity` new handles
 * into the caller's array `ember_tensor **outs` and the number in `*count`;
 * with `outs` NULL they only report the number. Every handle written is owned
 * by the caller; on failure none are written and `*count` is 0.
 *
 * Optional arguments: a scalar that torch allows to be None (clamp's min or
 * max) gets a function for each form rather than a sentinel value. Slices use
 * Python's conventions: `start` and `stop` may be negative or out of range and
 * are clamped; ::EMBER_END as `stop` means "to the end".
 */
#ifndef EMBER_OPS_H
#define EMBER_OPS_H

#include "base.h"

/** `stop` for a slice that runs to the end of the dimension (Python's x[a:]). */
#define EMBER_END INT64_MAX

#include "elementwise.h"
#include "reduce.h"
#include "linalg.h"
#include "shape.h"
#include "loss.h"
#include "norm.h"
#include "init.h"
#include "inplace.h"
#include "conv.h"
#include "sequence.h"

#endif /* EMBER_OPS_H */
