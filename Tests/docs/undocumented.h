/**
 * @file undocumented.h
 * @brief A fixture for tools/check_doc_comments.py: the check must fail on
 *        this header and name exactly the declarations called *_bad_*.
 */
#ifndef EMBER_FIXTURE_UNDOCUMENTED_H
#define EMBER_FIXTURE_UNDOCUMENTED_H

#include <stdint.h>

typedef struct ember_tensor ember_tensor;
typedef int ember_status;
#define EMBER_NODISCARD

/** Documented: the check accepts this one. */
EMBER_NODISCARD ember_status ember_fixture_documented(const ember_tensor *t, ember_tensor **out);

/**
 * Documented over several lines, with a parameter list that spans lines:
 * accepted.
 */
EMBER_NODISCARD ember_status ember_fixture_documented_multiline(const ember_tensor *t, int64_t dim,
                                                                ember_tensor **out);

/** Documented callback type: accepted. */
typedef ember_status (*ember_fixture_documented_fn)(void *user_data, double *loss);

EMBER_NODISCARD ember_status ember_fixture_bad_no_comment(const ember_tensor *t); /* BAD */

/* A plain comment is not a doc comment. */
int64_t ember_fixture_bad_plain_comment(const ember_tensor *t); /* BAD */

/** This doc comment belongs to the declaration right after it ... */
void ember_fixture_documented_free(ember_tensor *t);
void ember_fixture_bad_second_under_one_comment(ember_tensor *t); /* BAD */

typedef ember_status
    (*ember_fixture_bad_callback)(const ember_tensor *grad, void *user_data); /* BAD */

/** */
void ember_fixture_bad_empty_comment(void); /* BAD */

#endif
