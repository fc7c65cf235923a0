#!/bin/sh
# EmberVectorAVX2 is compiled for AVX2 (-target-cpu haswell) and linked into
# the same library as baseline code. A function it defines under a name that
# another module also defines (a specialisation of shared inlinable code, say)
# is merged by the linker, and baseline callers may then run the AVX2 copy:
# wrong dispatch, or SIGILL on a CPU without AVX2. So every symbol its objects
# define must be its own (mangled with its module name).
#   tools/check_simd_isolation.sh BUILD_DIR   (the release bin path of swift build)
set -eu
dir="$1/EmberVectorAVX2.build"
ls "$dir"/*.o >/dev/null 2>&1 || { echo "check_simd_isolation: no objects in $dir" >&2; exit 1; }
foreign=$(nm "$dir"/*.o | awk '$2 ~ /^[TWVDRBtwvdrb]$/ && $2 !~ /^[rt]$/ {print $3}' \
          | grep -v -e 'EmberVectorAVX2' -e '^__swift_reflection_version$' -e '^symbolic$' || true)
if [ -n "$foreign" ]; then
    echo "check_simd_isolation: EmberVectorAVX2 defines symbols of other modules (make them @inline(__always)):" >&2
    echo "$foreign" >&2
    exit 1
fi
echo "simd isolation: EmberVectorAVX2 defines only its own symbols"
