#!/usr/bin/env bash
# Checks that the functions declared in include/ember_dist.h and the symbols
# exported by libember_dist.so are the same set, and that every declared
# function has a /** doc comment */ right before it.
# Usage: tools/check_dist_exports.sh HEADER LIBRARY
set -euo pipefail
header=$1 lib=$2
declared=$(grep -hoE '\bember_(dist|ddp)_[a-z0-9_]+[[:space:]]*\(' "$header" | sed 's/[[:space:](]//g' | sort -u)
exported=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -vE '^(_init|_fini)$' | sort -u)
missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
extra=$(comm -13 <(echo "$declared") <(echo "$exported"))
# A declaration line must follow a line that ends a doc comment ("*/").
undocumented=$(awk '/^(EMBER_NODISCARD |const char \*|int64_t |void )[a-z_ *]*ember_(dist|ddp)_[a-z0-9_]+\(/ {
    if (prev !~ /\*\/[[:space:]]*$/) { match($0, /ember_[a-z0-9_]+\(/); print substr($0, RSTART, RLENGTH - 1) } }
    { prev = $0 }' "$header")
status=0
if [ -n "$missing" ]; then echo "declared in $header but not exported:"; echo "$missing" | sed 's/^/  /'; status=1; fi
if [ -n "$extra" ]; then echo "exported but not declared in $header:"; echo "$extra" | sed 's/^/  /'; status=1; fi
if [ -n "$undocumented" ]; then echo "declared without a doc comment:"; echo "$undocumented" | sed 's/^/  /'; status=1; fi
[ $status = 0 ] && echo "exports: the $(echo "$declared" | wc -l) functions of $header are exported, documented, and nothing else is exported"
exit $status
