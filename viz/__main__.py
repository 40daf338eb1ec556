"""Command line for the seed text's toy models.

    python -m viz table [--n 6] [--theta 0.5]   value, dC/dtheta and d2C/dtheta2 of tanh^n, with and
                                                without the skip connection, for n = 1..N
"""

from __future__ import annotations

import argparse
import sys

from autograd import grad
from viz.chains import chain_derivative, tanh_chain


def chain_table(n_max: int, theta: float) -> list[dict]:
    """One row per (n, skip): C, dC/dtheta and d2C/dtheta2 from the engine, and the closed form."""
    rows = []
    for skip in (False, True):
        for n in range(1, n_max + 1):
            x, c = tanh_chain(n, skip=skip, theta=theta)
            (dc,) = grad(c, x, create_graph=True)   # the gradient is itself a recorded graph
            (d2c,) = grad(dc, x)                     # ... so it can be differentiated again
            rows.append({"skip": skip, "n": n, "C": c.item(), "dC": dc.item(), "d2C": d2c.item(),
                         "closed": chain_derivative(n, theta, skip)})
    return rows


def print_table(n_max: int, theta: float, out=sys.stdout) -> None:
    print(f"C(theta) = tanh^n(theta) at theta = {theta}, and C_res = C + theta (skip connection)", file=out)
    print("dC/dtheta from backward(); closed form = prod(1 - a_k^2) (+ 1 with the skip)", file=out)
    rows = chain_table(n_max, theta)
    for skip in (False, True):
        print(f"\n{'C_res = tanh^n + theta' if skip else 'C = tanh^n'}", file=out)
        print(f"{'n':>3} {'C':>12} {'dC/dtheta':>14} {'closed form':>14} {'d2C/dtheta2':>14}", file=out)
        for r in rows:
            if r["skip"] == skip:
                print(f"{r['n']:>3} {r['C']:>12.6f} {r['dC']:>14.8f} {r['closed']:>14.8f} {r['d2C']:>14.8f}",
                      file=out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m viz", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    table = sub.add_parser("table", help="tanh^n chain: value, first and second derivative")
    table.add_argument("--n", type=int, default=6, help="largest chain length (default 6)")
    table.add_argument("--theta", type=float, default=0.5, help="where to evaluate (default 0.5)")
    args = parser.parse_args(argv)
    if args.command == "table":
        if args.n < 1:
            parser.error("--n must be at least 1")
        print_table(args.n, args.theta)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
