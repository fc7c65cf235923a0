/**
 * @file ember.h
 * @brief Ember: PyTorch's core -- tensors, autograd, nn, optim, data -- as a C library.
 *
 * One umbrella header; the sections live in include/ember/ and are included
 * here in dependency order.
 *
 * Conventions (every function follows them):
 * - Ownership: every handle the library hands out (an out-parameter) is a new
 *   reference owned by the caller and released exactly once with its type's
 *   `_free`; `_free(NULL)` is a no-op. Handles passed in are borrowed.
 *   Containers (a Sequential, an optimizer, an autograd graph) keep what they
 *   use alive, so freeing your handle never breaks them.
 * - Errors: fallible functions return an ::ember_status, ::EMBER_OK (0) on success. On
 *   failure every out-parameter is set to NULL (or 0) and ember_last_error()
 *   describes what went wrong: the function, the argument and the values
 *   involved. Nothing the caller passes makes the library abort or print.
 * - Shapes are `const int64_t *shape, int64_t ndim`; negative dims count from
 *   the end, as in torch. Scalars are `double`. Out-parameters come last.
 * - Threads: calls on different objects from different threads are safe. One
 *   object used from several threads at once is not, and that includes
 *   freeing a handle while another thread is still using it. The global
 *   random generator is locked internally. Grad mode and the last error are
 *   per thread.
 */
#ifndef EMBER_H
#define EMBER_H

#include "ember/base.h"
#include "ember/tensor.h"
#include "ember/ops.h"
#include "ember/autograd.h"
#include "ember/nn.h"
#include "ember/optim.h"
#include "ember/sched.h"
#include "ember/data.h"
#include "ember/io.h"
#include "ember/dlpack.h"

#endif /* EMBER_H */
