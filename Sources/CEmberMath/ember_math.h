/* Square roots the vectoriser can use. Swift's squareRoot() goes through
   C's sqrtf, which (with math errno, the default on Linux) keeps a libm call
   for negative inputs and so keeps every loop around it scalar. The
   elementwise builtin is LLVM's sqrt: IEEE, correctly rounded, the same
   values, and vectorisable (sqrtps). */
#ifndef EMBER_MATH_H
#define EMBER_MATH_H

static inline float ember_sqrtf(float x) { return __builtin_elementwise_sqrt(x); }
static inline double ember_sqrt(double x) { return __builtin_elementwise_sqrt(x); }

#endif
