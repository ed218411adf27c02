"""``python -m benchmarks``: run every workload, print the tables, write JSON and the plot."""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time

from . import (
    apply,
    check,
    explorer,
    extract,
    layers,
    models,
    report,
    scaling,
    signal1d,
    signal2d,
    spectrum,
    sweep,
    symbolic,
)
from .measure import GiB, Settings

WORKLOADS = {"1d": signal1d, "2d": signal2d, "scaling": scaling, "layers": layers,
             "symbolic": symbolic, "apply": apply, "spectrum": spectrum, "extract": extract,
             "check": check, "sweep": sweep, "models": models, "explorer": explorer}
# Run only when named in --only: the explorer workload drives headless Chromium.
OPT_IN = {"explorer"}
HERE = os.path.dirname(os.path.abspath(__file__))
# The committed numbers (README's Performance section) live in results/; a
# run rewrites them only when given ``--out benchmarks/results``, so trying
# the benchmarks (or running the test suite) never leaves the checkout dirty.
LOCAL = os.path.join(HERE, "results-local")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="toeplitz_conv side by side with diags_array, PyLops, scipy.linalg, "
                    "sparse-convolution, torch, sympy, numpy's SVD and one-hot probing. "
                    "Prints markdown tables and writes them, the JSON and a plot to "
                    "benchmarks/results-local/ unless --out says otherwise; the committed "
                    "benchmarks/results/ is rewritten only by --out benchmarks/results.")
    p.add_argument("--quick", action="store_true",
                   help="tiny sizes (under 20 s): checks that every workload runs; targets "
                        "are set for the full sizes and reported as 'n/a at quick sizes'")
    p.add_argument("--out", default=None,
                   help="directory for results.json, results.md, benchmark.svg/.png "
                        "(default: benchmarks/results-local/, untracked; pass "
                        "--out benchmarks/results to rewrite the committed results)")
    p.add_argument("--budget-gib", type=float, default=6.0,
                   help="a peer whose computed memory need exceeds this is not run; the "
                        "table says 'needs X GiB' (default 6)")
    p.add_argument("--only", default=",".join(w for w in WORKLOADS if w not in OPT_IN),
                   help=f"comma-separated subset of {', '.join(WORKLOADS)} (default: all "
                        f"but {', '.join(sorted(OPT_IN))}, which needs headless Chromium)")
    p.add_argument("--repeats", type=int, default=None,
                   help="timed repeats after the warm-up (default 5; 1 with --quick, whose "
                        "numbers only show that everything runs)")
    p.add_argument("--max-seconds", type=float, default=8.0,
                   help="fewer repeats when they would take longer than this")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    chosen = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = [w for w in chosen if w not in WORKLOADS]
    if unknown:
        print(f"error: --only: unknown workload(s) {unknown}; choose from "
              f"{', '.join(WORKLOADS)}", file=sys.stderr)
        return 2
    if args.repeats is None:
        args.repeats = 1 if args.quick else 5
    if args.budget_gib <= 0 or args.repeats < 1 or args.max_seconds <= 0:
        print("error: --budget-gib and --max-seconds must be > 0, --repeats >= 1",
              file=sys.stderr)
        return 2
    settings = Settings(quick=args.quick, budget_bytes=int(args.budget_gib * GiB),
                        repeats=args.repeats, max_seconds=args.max_seconds)
    out = args.out or LOCAL
    os.makedirs(out, exist_ok=True)
    # torch and sympy leave a large heap; freezing it keeps the collector's
    # pauses (up to 0.2 s each) out of the measurements.
    gc.collect()
    gc.freeze()

    info = report.machine()
    lines = [f"# toeplitz_conv benchmarks{' (quick)' if args.quick else ''}", "",
             f"Machine: {info.get('cpus')} CPUs, {info.get('mem_gib')} GiB RAM, "
             f"{info['platform']}; Python {info['python']}, numpy {info['numpy']}, "
             f"scipy {info['scipy']}, sympy {info['sympy']}, pylops {info['pylops']}, "
             f"sparse-convolution {info['sparse_convolution']}, torch {info['torch']}. "
             f"Memory budget {args.budget_gib:g} GiB; median of up to {args.repeats} "
             f"repeats after a warm-up."]
    print("\n".join(lines), flush=True)
    results = []
    t0 = time.perf_counter()
    for name in chosen:
        t = time.perf_counter()
        results += WORKLOADS[name].run(settings)
        print(f"[{name} done in {time.perf_counter() - t:.1f} s]", file=sys.stderr, flush=True)
    exps = report.exponents(results)
    tgts = report.targets(results, exps, quick=args.quick)
    body = "\n".join([
        "\n## Results", report.table(results),
        "\n## Growth exponents (least-squares slope of log time, log peak memory vs log nnz)\n",
        report.exponent_table(exps),
        "\n## Targets\n", report.target_table(tgts),
        f"\n(total {time.perf_counter() - t0:.0f} s)"])
    print(body)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n" + body + "\n")
    report.write_json(os.path.join(out, "results.json"), results, exps, tgts,
                      {"quick": args.quick, "budget_gib": args.budget_gib,
                       "repeats": args.repeats, "max_seconds": args.max_seconds,
                       "workloads": chosen})
    paths = report.plot(results, out)
    print(f"\nwrote {os.path.join(out, 'results.json')}, "
          f"{os.path.join(out, 'results.md')}, {', '.join(paths)}")
    return 0
