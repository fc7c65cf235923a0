#!/usr/bin/env python3
"""Per-step instruction and call counts of a benchmark step, from callgrind.

    python3 tools/step_counts.py [--program build/bin/bench_seed_mlp] [--steps 2000]
                                 [--callers swift_retain ...]

Runs the program under `valgrind --tool=callgrind` twice, with 1 and with
`--steps` steps, and divides the difference by the number of steps (each run
also does a tenth of its steps, at least 3, as warm-up: bench_seed_mlp's
convention), so start-up costs cancel. Prints instructions per step and how
many times per step the step calls the runtime's reference counting,
allocation and memcpy; `--callers NAME` also lists who calls NAME, per step.
Instruction counts are repeatable on a shared machine where times are not;
they are what BENCHMARKS.md quotes for the seed step.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

# What the step calls, by name (memcpy by any of libc's variants).
COUNTED = {"swift_retain": r"swift_retain$", "swift_release": r"swift_release$", "swift_allocObject": r"swift_allocObject$",
           "malloc": r"malloc$", "free": r"free$", "memcpy": r"(__)?mem(cpy|move)(_\w+)?$"}


def warmup(steps):
    return max(3, steps // 10)


def profile(program, steps, out):
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", program, str(steps)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)


def parse(path):
    """Total instructions, and calls per (callee, caller) from the `calls=` lines."""
    names, total, calls = {}, 0, {}
    caller = callee = None
    with open(path) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                total = int(line.split()[1])
                continue
            m = re.match(r"(c?fn)=\((\d+)\)(?: (.*))?", line)
            if m:
                kind, key, name = m.groups()
                if name:
                    names[key] = name.strip()
                if kind == "fn":
                    caller = names.get(key)
                else:
                    callee = names.get(key)
                continue
            m = re.match(r"calls=(\d+)", line)
            if m and callee:
                base = callee.split("'")[0]
                calls[(base, caller)] = calls.get((base, caller), 0) + int(m.group(1))
                callee = None
    return total, calls


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--program", default="build/bin/bench_seed_mlp")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--callers", nargs="*", default=[], help="list the callers of these functions, per step")
    a = ap.parse_args()
    if not os.path.exists(a.program):
        sys.exit(f"step_counts: {a.program} not found (make bench-build)")
    with tempfile.TemporaryDirectory() as tmp:
        one, many = os.path.join(tmp, "one.out"), os.path.join(tmp, "many.out")
        profile(a.program, 1, one)
        profile(a.program, a.steps, many)
        t1, c1 = parse(one)
        t2, c2 = parse(many)
    steps = (a.steps + warmup(a.steps)) - (1 + warmup(1))
    print(f"{a.program}: {(t2 - t1) / steps:,.0f} instructions per step")

    def per_step(pattern, caller=None):
        pick = lambda c: sum(v for (callee, who), v in c.items()
                             if re.fullmatch(pattern, callee) and (caller is None or who == caller))
        return (pick(c2) - pick(c1)) / steps

    for label, pattern in COUNTED.items():
        print(f"  {label}: {per_step(pattern):.1f} calls per step")
    for name in a.callers:
        print(f"callers of {name}, per step:")
        pattern = re.escape(name)
        rows = sorted({who for (callee, who) in c2 if callee == name}, key=lambda who: -per_step(pattern, who))
        for who in rows:
            n = per_step(pattern, who)
            if n >= 0.5:
                print(f"  {n:8.1f}  {who}")


if __name__ == "__main__":
    main()
