/**
 * @file ember/linalg.h
 * @brief Matrix products and other linear algebra (torch.matmul, torch.mm, ...).
 *
 * Floating products run on BLAS (sgemm/dgemm). See ember/ops.h.
 */
#ifndef EMBER_LINALG_H
#define EMBER_LINALG_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Matrix product with torch.matmul's rules: 1-D x 1-D is a dot product,
 * 2-D x 2-D a matrix product, a 1-D operand is treated as a row (left) or
 * column (right) vector and its dimension removed from the result, and more
 * than two dimensions are batches whose leading dimensions broadcast.
 * Float32 and float64 run on BLAS sgemm/dgemm. Both operands must have the
 * same dtype (DTYPE otherwise); SHAPE names both shapes when the inner sizes
 * differ.
 */
EMBER_NODISCARD ember_status ember_matmul(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_LINALG_H */
