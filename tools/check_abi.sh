#!/usr/bin/env bash
# ABI stability: libember.so exports every symbol listed in abi/symbols.txt
# (symbols are only ever added: a shipped function is never removed or
# renamed), the list holds every ember_ function the library exports, and
# the list itself only grows (no line of the committed version is dropped).
#
#   tools/check_abi.sh LIST LIBRARY            check
#   tools/check_abi.sh --update LIST LIBRARY   add the library's new exports to LIST
#
# After adding a function to a header and the library: `make abi-update` and
# commit abi/symbols.txt with the function (and `make api.json`).
set -euo pipefail
update=0
if [ "${1:-}" = --update ]; then update=1; shift; fi
list=$1 lib=$2

exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" && $3 ~ /^ember_/ {print $3}' | LC_ALL=C sort -u)
listed=$(grep -vE '^(#|$)' "$list" | LC_ALL=C sort -u)

if [ $update = 1 ]; then
    header=$(grep -E '^#' "$list" || true)
    { [ -n "$header" ] && echo "$header"; LC_ALL=C sort -u <(echo "$listed") <(echo "$exported") | grep -v '^$'; } > "$list.tmp"
    mv "$list.tmp" "$list"
    added=$(comm -13 <(echo "$listed") <(echo "$exported") | grep -c . || true)
    echo "abi: $added new symbol(s) added to $list ($(grep -cvE '^(#|$)' "$list") in all)"
    exit 0
fi

status=0
removed=$(comm -23 <(echo "$listed") <(echo "$exported"))
if [ -n "$removed" ]; then
    echo "ABI break: $lib no longer exports these symbols of $list:"; echo "$removed" | sed 's/^/  /'; status=1
fi
new=$(comm -13 <(echo "$listed") <(echo "$exported"))
if [ -n "$new" ]; then
    echo "$lib exports symbols that $list does not list yet (run: make abi-update):"; echo "$new" | sed 's/^/  /'; status=1
fi
# The committed list only grows: compare with the last commit, when there is one.
if committed=$(git show "HEAD:$list" 2>/dev/null); then
    dropped=$(comm -23 <(echo "$committed" | grep -vE '^(#|$)' | LC_ALL=C sort -u) <(echo "$listed"))
    if [ -n "$dropped" ]; then
        echo "$list lost symbols that the last commit lists (symbols are only ever added):"; echo "$dropped" | sed 's/^/  /'; status=1
    fi
fi
[ $status = 0 ] && echo "abi: the library exports all $(echo "$listed" | grep -c .) symbols of $list, and no others"
exit $status
