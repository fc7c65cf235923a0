#!/usr/bin/env bash
# Checks that the functions declared in the public headers and the symbols
# exported by libember.so are the same set, and that nothing else leaks out.
# Usage: tools/check_exports.sh INCLUDE_DIR LIBRARY
set -euo pipefail
include=$1 lib=$2
declared=$(grep -hoE '\bember_[a-z0-9_]+[[:space:]]*\(' "$include"/ember.h "$include"/ember/*.h | sed 's/[[:space:](]//g' | sort -u)
exported=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -vE '^(_init|_fini)$' | sort -u)
missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
extra=$(comm -13 <(echo "$declared") <(echo "$exported"))
status=0
if [ -n "$missing" ]; then echo "declared in the header but not exported:"; echo "$missing" | sed 's/^/  /'; status=1; fi
if [ -n "$extra" ]; then echo "exported but not declared in the header:"; echo "$extra" | sed 's/^/  /'; status=1; fi
[ $status = 0 ] && echo "exports: the $(echo "$declared" | wc -l) declared functions and the library's exports agree"
exit $status
