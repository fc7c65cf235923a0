#!/usr/bin/env bash
# Failure behaviour under mpirun with 2 ranks (see Tests/dist/test_failure.c).
# Usage: Tests/dist/run_failure.sh BUILD/tests/dist/test_failure "mpirun [options]"
# (as root, with OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 in the environment)
#
# 1. mpirun --enable-recovery (Open MPI keeps the survivors running when a
#    rank dies): rank 1 exits abruptly, rank 0 must get EMBER_ERR_IO within
#    its timeout (2 s) -- Ember's own bound.
# 2. rank 1 hangs (stops calling collectives): rank 0's barrier must fail in time.
# 3. plain mpirun (Open MPI's default): when rank 1 exits, mpirun itself
#    terminates the other ranks; the job must end, with a non-zero status,
#    well within the timeout.
set -uo pipefail
test_failure=$1
mpirun=$2
status=0

for mode in die hang; do
    out=$($mpirun -np 2 --enable-recovery "$test_failure" "$mode" 2>&1)
    line=$(grep "test_failure $mode:" <<<"$out")
    if grep -q "test_failure $mode: PASS" <<<"$line"; then
        echo "$line"
    else
        echo "test_failure $mode: FAILED"; echo "$out" | sed 's/^/  /'; status=1
    fi
done

start=$(date +%s.%N)
out=$(timeout 60 $mpirun -np 2 "$test_failure" die 2>&1)
rc=$?
elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "exiting abruptly" <<<"$out" && awk -v e="$elapsed" 'BEGIN { exit !(e < 15) }'; then
    echo "test_failure die (plain mpirun): mpirun ended the job with status $rc after $elapsed s (Open MPI terminates the survivors)"
else
    echo "test_failure die (plain mpirun): FAILED: status $rc after $elapsed s"; echo "$out" | sed 's/^/  /'; status=1
fi
exit $status
