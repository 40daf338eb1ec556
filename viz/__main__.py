"""Command line: the seed text's figures, as files.

    python -m viz table [--n 6] [--theta 0.5]           value, dC/dtheta, d2C/dtheta2 of tanh^n (+ theta)
    python -m viz tanh-chain --n 4 [--skip] --out DIR   forward and backward graphs (SVG and PNG)
    python -m viz lenet --out DIR [--depth 1]           LeNet-5's graph: one node per module (depth 1)
    python -m viz seed-figures --out DIR                the seed's Figures 3 and 4, and Figure 4's graph
    python -m viz gradient-vs-depth --out DIR           |dC/dtheta| against n, with and without skip
    python -m viz explore tanh-chain --n 4 [--skip] --html FILE   the explorer as one standalone HTML file
    python -m viz explore lenet --html FILE             ... of LeNet-5 on two digits, by module
    python -m viz explore seed-figure4 --html FILE      ... of the seed's Figure 4 (dL/dW = I star J^O)
    python -m viz steps tanh-chain --n 4 [--skip] --out DIR   the backward pass, one frame per step

The graph commands (and steps) take --format (svg, png, pdf; repeat it for several) and --size slide
(laid out and sized for a 1920 x 1080 slide). steps writes numbered files (tanh4-skip-steps-01.svg, ...)
and, with --format pdf, one PDF with a page per step.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from autograd import grad
from viz.chains import chain_derivative, tanh_chain

# One colour scale for every tanh-chain picture, so that runs with and without --skip compare honestly.
CHAIN_SCALE = (1e-4, 2.0)


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


def write_tanh_chain(n: int, skip: bool, theta: float, out: Path, collapse: int, formats=("svg", "png"),
                     size: str | None = None) -> list[Path]:
    from viz.dot import draw_backward, draw_forward
    from viz.renderer import render
    from viz.scale import GradientScale

    scale = GradientScale(*CHAIN_SCALE)
    stem = f"tanh{n}{'-skip' if skip else ''}"
    x, c = tanh_chain(n, skip=skip, theta=theta)
    title = f"C_res = tanh^{n}(theta) + theta" if skip else f"C = tanh^{n}(theta)"
    highlight = [x] if skip else ()  # the gradient's paths to theta, the skip's identity path among them
    files = render(draw_forward(c, scale=scale, collapse=collapse, title=f"{title}: forward"),
                   out / f"{stem}-forward", formats, size)
    files += render(draw_backward(c, wrt=x, scale=scale, collapse=collapse, highlight=highlight,
                                  title=f"{title}: backward"), out / f"{stem}-backward", formats, size)
    return files


def write_lenet(out: Path, depth: int | None = 1, formats=("svg", "png"),
                size: str | None = None) -> list[Path]:
    import nn
    from viz.dot import draw_forward
    from viz.renderer import render

    x_train, y_train, _, _ = nn.data.load_digits()
    model = nn.LeNet5(seed=0)
    loss = nn.functional.cross_entropy(model(x_train[:2]), y_train[:2])
    title = "LeNet-5 on two digits: forward" + (f", modules at depth {depth}" if depth else "")
    picture = draw_forward(loss, modules=model, depth=depth, title=title)
    return render(picture, out / "lenet5-forward", formats, size)


def write_seed_figures(out: Path, formats=("svg", "png"), size: str | None = None) -> list[Path]:
    """Figures 3 and 4 (matplotlib, PNG, SVG and PDF) and the backward graph of Figure 4 with numbers."""
    import matplotlib

    matplotlib.use("Agg")
    from viz.dot import draw_backward
    from viz.figures import figure4_graph, write_seed_figures as figures
    from viz.renderer import render

    files = figures(out)
    root, w = figure4_graph()
    files += render(draw_backward(root, wrt=w, values=True, title="Figure 4 as the engine records it: dL/dW"),
                    out / "figure4-backward-graph", formats, size)
    return files


def explore_scene(example: str, n: int = 4, skip: bool = False, theta: float = 0.5) -> dict:
    """The explorer's scene (viz.explorer.scene) of one of the command line's examples."""
    from viz.explorer import scene

    if example == "tanh-chain":
        x, c = tanh_chain(n, skip=skip, theta=theta)
        title = f"C_res = tanh^{n}(theta) + theta" if skip else f"C = tanh^{n}(theta)"
        return scene(c, wrt=x, title=title)
    if example == "lenet":
        import nn

        x_train, y_train, _, _ = nn.data.load_digits()
        model = nn.LeNet5(seed=0)
        loss = nn.functional.cross_entropy(model(x_train[:2]), y_train[:2])
        return scene(loss, modules=model, title="LeNet-5 on two digits: cross-entropy loss")
    from viz.figures import figure4_graph

    root, w = figure4_graph()
    return scene(root, wrt=w, title="Figure 4 as the engine records it: dL/dW = I star J^O")


def write_explore(example: str, html: Path, n: int = 4, skip: bool = False, theta: float = 0.5) -> list[Path]:
    from viz.explorer import standalone_html

    text = standalone_html(explore_scene(example, n, skip, theta))
    html.write_text(text, encoding="utf-8")
    return [html]


def write_steps(example: str, out: Path, n: int = 4, skip: bool = False, theta: float = 0.5,
                formats=("svg", "png"), size: str | None = None) -> list[Path]:
    from viz.renderer import render_frames
    from viz.scale import GradientScale
    from viz.steps import backward_steps

    if example == "tanh-chain":
        x, c = tanh_chain(n, skip=skip, theta=theta)
        title = f"C_res = tanh^{n}(theta) + theta" if skip else f"C = tanh^{n}(theta)"
        frames = backward_steps(c, wrt=x, scale=GradientScale(*CHAIN_SCALE), title=f"{title}: backward pass")
        stem = f"tanh{n}{'-skip' if skip else ''}-steps"
    else:
        from viz.figures import figure4_graph

        root, w = figure4_graph()
        frames = backward_steps(root, wrt=w, values=True, title="Figure 4: dL/dW, step by step")
        stem = "figure4-steps"
    return render_frames(frames, out / stem, formats, size)


def write_gradient_vs_depth(out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    from viz.plots import gradient_vs_depth

    out.mkdir(parents=True, exist_ok=True)
    fig = gradient_vs_depth()
    files = [out / "gradient-vs-depth.png", out / "gradient-vs-depth.svg", out / "gradient-vs-depth.pdf"]
    with matplotlib.rc_context({"pdf.fonttype": 42, "svg.fonttype": "none"}):  # text stays text
        for f in files:
            fig.savefig(f, dpi=200)
    return files


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m viz", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    table = sub.add_parser("table", help="tanh^n chain: value, first and second derivative")
    table.add_argument("--n", type=int, default=6, help="largest chain length (default 6)")
    table.add_argument("--theta", type=float, default=0.5, help="where to evaluate (default 0.5)")
    chain = sub.add_parser("tanh-chain", help="forward and backward graphs of tanh^n (SVG and PNG)")
    chain.add_argument("--n", type=int, default=4, help="number of tanh (default 4)")
    chain.add_argument("--skip", action="store_true", help="add the skip connection: C + theta")
    chain.add_argument("--theta", type=float, default=0.5)
    chain.add_argument("--collapse", type=int, default=8,
                       help="draw runs of at least this many same ops as one node (default 8; 0: never)")
    chain.add_argument("--out", type=Path, required=True, help="directory for the files")
    lenet = sub.add_parser("lenet", help="LeNet-5's forward graph, by module")
    lenet.add_argument("--out", type=Path, required=True)
    lenet.add_argument("--depth", type=int, default=1,
                       help="1: one node per module call (default); 0: every op, one cluster per module")
    seed = sub.add_parser("seed-figures", help="the seed's Figures 3 and 4, and Figure 4's backward graph")
    seed.add_argument("--out", type=Path, required=True)
    for p in (chain, lenet, seed):
        p.add_argument("--format", action="append", choices=("svg", "png", "pdf"), dest="formats",
                       help="file format (repeat for several; default: svg and png)")
        p.add_argument("--size", choices=("slide",), default=None,
                       help="slide: laid out and sized for a 1920 x 1080 (16:9) slide")
    depth = sub.add_parser("gradient-vs-depth", help="|dC/dtheta| against n (PNG and SVG)")
    depth.add_argument("--out", type=Path, required=True)
    explore = sub.add_parser("explore", help="the explorer as one self-contained HTML file (no network)")
    explore.add_argument("example", choices=("tanh-chain", "lenet", "seed-figure4"))
    explore.add_argument("--html", type=Path, required=True, help="the HTML file to write")
    steps = sub.add_parser("steps", help="the backward pass as frames, one per step (numbered files, PDF)")
    steps.add_argument("example", choices=("tanh-chain", "seed-figure4"))
    steps.add_argument("--out", type=Path, required=True, help="directory for the files")
    steps.add_argument("--format", action="append", choices=("svg", "png", "pdf"), dest="formats",
                       help="file format (repeat for several; default: svg and png; pdf: one page per step)")
    steps.add_argument("--size", choices=("slide",), default=None,
                       help="slide: laid out and sized for a 1920 x 1080 (16:9) slide")
    for p in (explore, steps):
        p.add_argument("--n", type=int, default=4, help="tanh-chain: number of tanh (default 4)")
        p.add_argument("--skip", action="store_true", help="tanh-chain: add the skip connection: C + theta")
        p.add_argument("--theta", type=float, default=0.5)
    args = parser.parse_args(argv)

    if args.command == "table":
        if args.n < 1:
            parser.error("--n must be at least 1")
        print_table(args.n, args.theta)
        return 0
    formats = tuple(dict.fromkeys(getattr(args, "formats", None) or ("svg", "png")))
    if args.command in ("tanh-chain", "explore", "steps") and args.n < 1:
        parser.error("--n must be at least 1")
    if args.command == "explore":
        return _explore(parser, args)
    if args.command == "lenet" and args.depth < 0:
        parser.error("--depth must be 0 (every op) or more")
    problem = _unwritable(args.out)  # before any work: a bad --out fails at once, in one line
    if problem:
        parser.exit(2, f"{parser.prog}: error: --out {args.out}: {problem}\n")
    try:
        files = _write(args, formats)
    except OSError as err:  # the disk filled up, a file was in the way...: one line, not a traceback
        parser.exit(2, f"{parser.prog}: error: could not write to --out {args.out}: "
                       f"{err.strerror or err}{f' ({err.filename})' if err.filename else ''}\n")
    for f in files:
        print(f"wrote {f}")
    return 0


def _unwritable(out: Path) -> str | None:
    """Why files cannot be written into the folder `out` (made if missing), or None if they can."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):  # the one sure test (permissions, read-only disks, root)
            pass
    except FileExistsError:
        return "not a folder (a file of that name exists)"
    except OSError as err:
        return f"cannot write there: {err.strerror or err}"
    return None


def _explore(parser, args) -> int:
    """python -m viz explore: check --html before any work, write it, one line on any failure."""
    html = args.html
    if html.is_dir():
        parser.exit(2, f"{parser.prog}: error: --html {html}: is a folder, not a file\n")
    problem = _unwritable(html.parent)  # before any work: a bad --html fails at once, in one line
    if problem:
        parser.exit(2, f"{parser.prog}: error: --html {html}: its folder {html.parent}: {problem}\n")
    try:
        files = write_explore(args.example, html, args.n, args.skip, args.theta)
    except OSError as err:
        parser.exit(2, f"{parser.prog}: error: could not write --html {html}: "
                       f"{err.strerror or err}{f' ({err.filename})' if err.filename else ''}\n")
    for f in files:
        print(f"wrote {f}")
    return 0


def _write(args, formats) -> list[Path]:
    if args.command == "steps":
        return write_steps(args.example, args.out, args.n, args.skip, args.theta, formats, args.size)
    if args.command == "tanh-chain":
        return write_tanh_chain(args.n, args.skip, args.theta, args.out, args.collapse, formats, args.size)
    if args.command == "lenet":
        return write_lenet(args.out, args.depth or None, formats, args.size)
    if args.command == "seed-figures":
        return write_seed_figures(args.out, formats, args.size)
    return write_gradient_vs_depth(args.out)


if __name__ == "__main__":
    raise SystemExit(main())
