"""Benchmark of the offline plan: wall time and registrations per phase, and where the time goes.

Run: ``python benchmarks/plan_bench.py [--repeat N]`` (or ``make bench``). Each phase's real stack
program runs under the mocks N times; the first run of the process also pays for imports, so it is
reported apart. ``fresh process`` is what a user waits for: ``python -m infra.cli plan STACK``
started anew N times (interpreter, imports, config, program, output), median wall time.
``program share`` is the time spent in our own code (config, components, naming) as measured by
cProfile, against the SDK's per-resource work (serialisation, RPC stand-in).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PHASES = ("phase1", "phase2", "phase3", "phase4")
# The harness is the engine stand-in, not program code, so it is left out of "own".
OWN_CODE = (str(ROOT / "components"), *(str(p) for p in (ROOT / "infra").glob("*.py") if p.name != "harness.py"))


def _own_share(profile: cProfile.Profile) -> float:
    """Fraction of total time spent inside our own modules (self time)."""
    stats = pstats.Stats(profile)
    total = own = 0.0
    for (filename, _, _), (_, _, self_time, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        total += self_time
        if filename.startswith(OWN_CODE):
            own += self_time
    return own / total if total else 0.0


def _fresh_plan(stack: str) -> float:
    """Wall time of ``python -m infra.cli plan STACK`` in a new process, as a user runs it."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "infra.cli", "plan", stack], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def main() -> int:
    """Print a Markdown table of plan timings per phase."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per phase (default 5)")
    args = parser.parse_args()

    start = time.perf_counter()
    from infra.offline.harness import run_stack

    import_seconds = time.perf_counter() - start
    print(f"import of the harness (pulumi SDK; provider modules load lazily in the warm-up): {import_seconds:.2f} s\n")
    print("| phase | resources (cloud) | components | fresh process | median plan | per resource | program share |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for stack in PHASES:
        run_stack(stack)  # warm-up: first use of each resource class imports its module
        timings = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            plan = run_stack(stack)
            timings.append(time.perf_counter() - began)
        profile = cProfile.Profile()
        profile.enable()
        run_stack(stack)
        profile.disable()
        cloud = sum(1 for r in plan.resources if r.custom)
        components = len(plan.resources) - cloud
        median = statistics.median(timings)
        fresh = statistics.median(_fresh_plan(stack) for _ in range(args.repeat))
        print(
            f"| {stack} | {cloud} | {components} | {fresh:.2f} s | {median * 1000:.0f} ms | "
            f"{median / len(plan.resources) * 1000:.2f} ms | {_own_share(profile):.1%} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
