/* Misuse of ember/linalg.h: products whose shapes or dtypes do not fit,
   0-dim operands, malformed einsum equations and operand lists. */
#include "misuse.h"

#include <stdlib.h>
#include <string.h>

CASE(matmul_shapes) {
    ember_tensor *a = T_F32(NULL, SHAPE(2, 3)), *b = T_F32(NULL, SHAPE(4, 2)), *out;
    FAILS_OUT(out, ember_matmul(a, b, &out), EMBER_ERR_SHAPE, "[2, 3] and [4, 2]");
    return 0;
}

CASE(matmul_zero_dim) {
    ember_tensor *s = misuse_scalar(EMBER_FLOAT32, 2), *out;
    FAILS_OUT(out, ember_matmul(s, pool.tensor, &out), EMBER_ERR_SHAPE, "at least 1 dimension, got shapes [] and [2, 2]");
    FAILS_OUT(out, ember_matmul(pool.tensor, s, &out), EMBER_ERR_SHAPE, "got shapes [2, 2] and []");
    return 0;
}

CASE(matmul_dtypes) {
    ember_tensor *d = T_F64(NULL, SHAPE(2, 2)), *b = T_BOOL(NULL, SHAPE(2, 2)), *out;
    FAILS_OUT(out, ember_matmul(pool.tensor, d, &out), EMBER_ERR_DTYPE, "float64");
    FAILS_OUT(out, ember_matmul(b, b, &out), EMBER_ERR_DTYPE, "bool");
    FAILS_OUT(out, ember_mm(pool.tensor, d, &out), EMBER_ERR_DTYPE, "float64");
    return 0;
}

/* Batch dims that do not broadcast. */
CASE(matmul_batch_broadcast) {
    ember_tensor *a = T_F32(NULL, SHAPE(3, 2, 2)), *b = T_F32(NULL, SHAPE(4, 2, 2)), *out;
    FAILS_OUT(out, ember_matmul(a, b, &out), EMBER_ERR_SHAPE, "shapes [3] and [4] cannot be broadcast");
    return 0;
}

CASE(mm_bmm_mv_dot_ranks) {
    ember_tensor *v = T_F32(NULL, SHAPE(2)), *v3 = T_F32(NULL, SHAPE(3)), *m3 = T_F32(NULL, SHAPE(2, 2, 2)),
                 *m3b = T_F32(NULL, SHAPE(3, 2, 2)), *out;
    FAILS_OUT(out, ember_mm(m3, pool.tensor, &out), EMBER_ERR_SHAPE, "[2, 2, 2]");
    FAILS_OUT(out, ember_bmm(pool.tensor, m3, &out), EMBER_ERR_SHAPE, "[2, 2]");
    FAILS_OUT(out, ember_bmm(m3, m3b, &out), EMBER_ERR_SHAPE, "[3, 2, 2]");
    FAILS_OUT(out, ember_mv(pool.tensor, v3, &out), EMBER_ERR_SHAPE, "[3]");
    FAILS_OUT(out, ember_dot(v, v3, &out), EMBER_ERR_SHAPE, "[3]");
    FAILS_OUT(out, ember_outer(pool.tensor, v, &out), EMBER_ERR_SHAPE, "[2, 2]");
    return 0;
}

CASE(einsum_malformed) {
    const ember_tensor *ops[2];
    ember_tensor *out;
    ops[0] = pool.tensor;
    ops[1] = pool.tensor2;
    FAILS_OUT(out, ember_einsum("ij,jk->ik", ops, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "operand");
    FAILS_OUT(out, ember_einsum("ij->ijk", ops, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "k");
    FAILS_OUT(out, ember_einsum("i->i", ops, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "i");
    FAILS_OUT(out, ember_einsum("ij,jk->->ik", ops, 2, &out), EMBER_ERR_INVALID_ARGUMENT, "->");
    FAILS_OUT(out, ember_einsum("i1,jk", ops, 2, &out), EMBER_ERR_INVALID_ARGUMENT, "1");
    FAILS_OUT(out, ember_einsum("", ops, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "operand");
    return 0;
}

CASE(einsum_bad_lists_and_strings) {
    const ember_tensor *ops[2];
    ember_tensor *out, *v3 = T_F32(NULL, SHAPE(3));
    char *long_equation = malloc(100001);
    EXPECT(long_equation != NULL);
    memset(long_equation, 'i', 100000);
    long_equation[100000] = 0;
    ops[0] = pool.tensor;
    ops[1] = v3;
    FAILS_OUT(out, ember_einsum(NULL, ops, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "'equation' is NULL");
    FAILS_OUT(out, ember_einsum("ij", NULL, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "NULL");
    FAILS_OUT(out, ember_einsum("ij", ops, 0, &out), EMBER_ERR_INVALID_ARGUMENT, "0 tensors were given");
    FAILS_OUT(out, ember_einsum("ij", ops, -1, &out), EMBER_ERR_INVALID_ARGUMENT, "-1");
    FAILS_OUT(out, ember_einsum("ij,j->i", ops, 2, &out), EMBER_ERR_INVALID_ARGUMENT, "j");      /* sizes 2 and 3 for j */
    FAILS_OUT(out, ember_einsum(long_equation, ops, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "ember_einsum");
    FAILS_OUT(out, ember_einsum("\xff\xfe->", ops, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "ember_einsum");
    free(long_equation);
    return 0;
}

CASE(einsum_bool_contraction) {
    const ember_tensor *ops[2];
    ember_tensor *out, *b = T_BOOL(NULL, SHAPE(2, 2));
    ops[0] = b;
    ops[1] = b;
    FAILS_OUT(out, ember_einsum("ij,jk->ik", ops, 2, &out), EMBER_ERR_DTYPE, "bool");
    ops[1] = pool.tensor;
    FAILS_OUT(out, ember_einsum("ij,jk->ik", ops, 2, &out), EMBER_ERR_DTYPE, "dtype");
    return 0;
}

CASE(tril_triu_need_two_dims) {
    ember_tensor *v = T_F32(NULL, SHAPE(3)), *out;
    FAILS_OUT(out, ember_tril(v, 0, &out), EMBER_ERR_SHAPE, "[3]");
    return 0;
}

/* Extreme diagonals select everything or nothing; nothing overflows. */
CASE(tril_triu_extreme_diagonals) {
    ember_tensor *out, *s;
    double v = -1;
    OK(ember_triu(pool.tensor, INT64_MIN, &out));
    OK(ember_sum(out, &s));
    OK(ember_tensor_item(s, &v));
    EXPECT(v == 10);
    OK(ember_tril(pool.tensor, INT64_MIN, &out));
    OK(ember_sum(out, &s));
    OK(ember_tensor_item(s, &v));
    EXPECT(v == 0);
    OK(ember_tril(pool.tensor, INT64_MAX, &out));
    OK(ember_triu(pool.tensor, INT64_MAX, &out));
    return 0;
}
