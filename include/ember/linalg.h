/**
 * @file ember/linalg.h
 * @brief Matrix products and other linear algebra (torch.matmul, torch.mm, ...).
 *
 * Floating products run on BLAS (sgemm/dgemm); int64 products are supported,
 * bool products are EMBER_ERR_DTYPE. Every function writes a new tensor that
 * the caller owns into `*out` (NULL on failure); inputs are borrowed. Operands
 * of a product must have the same dtype (EMBER_ERR_DTYPE otherwise); shapes
 * that do not fit are EMBER_ERR_SHAPE with both shapes in the message. See
 * ember/ops.h.
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

/**
 * The product of two matrices, [n, k] x [k, m] -> [n, m] (torch.mm). Both must
 * be 2-D (EMBER_ERR_SHAPE otherwise, naming both shapes); no broadcasting.
 */
EMBER_NODISCARD ember_status ember_mm(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);
/**
 * Batched matrix products, [b, n, k] x [b, k, m] -> [b, n, m] (torch.bmm). Both
 * must be 3-D with equal batch sizes (no broadcasting; EMBER_ERR_SHAPE otherwise).
 */
EMBER_NODISCARD ember_status ember_bmm(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);
/** A matrix times a vector, [n, m] x [m] -> [n] (torch.mv). */
EMBER_NODISCARD ember_status ember_mv(const ember_tensor *matrix, const ember_tensor *vector, ember_tensor **out);
/** The inner product of two 1-D tensors of the same length, a 0-dim tensor (torch.dot). */
EMBER_NODISCARD ember_status ember_dot(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);
/**
 * The outer product of two 1-D tensors, [n] and [m] -> [n, m] with entries
 * a_i * b_j (torch.outer); dtypes promote as in ember_mul.
 */
EMBER_NODISCARD ember_status ember_outer(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);

/**
 * Einstein summation (torch.einsum): `equation` names each operand's dims with
 * letters, operands separated by commas, optionally followed by "->" and the
 * output's letters; letters missing from the output are summed. Examples:
 * "ij,jk->ik" (matrix product), "bij,bjk->bik", "i,i->" (dot), "i,j->ij"
 * (outer), "ij->ji", "ii->i" (diagonal), "ii" (trace), "ij->" (sum),
 * "bhqd,bhkd->bhqk". Without "->" the output is the letters used exactly
 * once, in alphabetical order (upper case first). "..." stands for the
 * remaining dims of an operand (they broadcast, aligned from the right; an
 * output without "..." sums them). Spaces are ignored; dims of size 1
 * broadcast against the same letter. Any number of operands (`count` >= 1)
 * in the list `operands`, all of one dtype; contracting bool operands is
 * EMBER_ERR_DTYPE, as in torch. A malformed equation, or one that does not
 * fit the operands, is EMBER_ERR_INVALID_ARGUMENT with the reason; sizes that
 * differ for one letter are EMBER_ERR_INVALID_ARGUMENT naming the letter.
 * Differentiable in every operand.
 */
EMBER_NODISCARD ember_status ember_einsum(const char *equation, const ember_tensor *const *operands, int64_t count, ember_tensor **out);

/**
 * The lower triangle of the last two dims (torch.tril(x, diagonal)):
 * elements with column - row <= `diagonal` are kept, the others are zero.
 * `diagonal` 0 is the main diagonal, positive above it, negative below.
 * x needs at least 2 dims (EMBER_ERR_SHAPE otherwise); any dtype. The gradient
 * is masked the same way.
 */
EMBER_NODISCARD ember_status ember_tril(const ember_tensor *x, int64_t diagonal, ember_tensor **out);
/** The upper triangle (torch.triu(x, diagonal)): column - row >= `diagonal` is kept; see ember_tril. */
EMBER_NODISCARD ember_status ember_triu(const ember_tensor *x, int64_t diagonal, ember_tensor **out);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_LINALG_H */
