"""python -m viz: each command writes the files it prints, as valid SVG and PNG; bad arguments fail."""

import subprocess
import sys
from pathlib import Path

import pytest

from viz import GradientScale, chain_derivative, draw_backward, draw_forward, tanh_chain
from viz.__main__ import CHAIN_SCALE

COMMANDS = {  # key: (arguments, stems written, formats in the order written)
    "tanh-chain": (["tanh-chain", "--n", "4"], ["tanh4-forward", "tanh4-backward"], ("svg", "png")),
    "tanh-chain-skip": (["tanh-chain", "--n", "4", "--skip"], ["tanh4-skip-forward", "tanh4-skip-backward"],
                        ("svg", "png")),
    "lenet": (["lenet"], ["lenet5-forward"], ("svg", "png")),
    "lenet-ops": (["lenet", "--depth", "0"], ["lenet5-forward"], ("svg", "png")),
    "slide": (["tanh-chain", "--n", "3", "--format", "pdf", "--format", "svg", "--format", "pdf",
               "--size", "slide"], ["tanh3-forward", "tanh3-backward"], ("pdf", "svg")),
}
LENET_MODULES = ["conv1", "pool1", "conv2", "pool2", "conv3", "fc1", "fc2"]


def run_viz(args, repo_root, env, **kw):
    return subprocess.run([sys.executable, "-m", "viz", *args], capture_output=True, text=True, cwd=repo_root,
                          env=env, timeout=300, **kw)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, repo_root, subprocess_env):
    """Run every picture-making command once, each into its own folder: ({command: process}, folder)."""
    out = tmp_path_factory.mktemp("viz-cli")
    done = {}
    for key, (args, _, _) in COMMANDS.items():
        done[key] = run_viz([*args, "--out", str(out / key)], repo_root, subprocess_env)
    done["gradient-vs-depth"] = run_viz(["gradient-vs-depth", "--out", str(out / "gradient-vs-depth")],
                                        repo_root, subprocess_env)
    return done, out


def written(proc) -> list[str]:
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines and all(line.startswith("wrote ") for line in lines), proc.stdout
    return [line.removeprefix("wrote ") for line in lines]


def texts(g) -> list[str]:
    """The text lines drawn in an SVG group (a node's are nested in its tooltip's <a>)."""
    return [e.text for e in g.iter() if e.tag.endswith("}text")]


def fill(g) -> str:
    """A node's fill colour: of the first shape inside it that is filled."""
    shapes = [e for e in g.iter() if not e.tag.endswith("}text")]
    return next(e.get("fill") for e in shapes if e.get("fill") not in (None, "none"))


@pytest.mark.parametrize("key", list(COMMANDS))
def test_graph_commands_write_what_they_print(key, outputs, svg):
    done, out = outputs
    files = written(done[key])
    _, stems, formats = COMMANDS[key]
    assert files == [str(out / key / f"{s}.{fmt}") for s in stems for fmt in formats]
    for f in files:
        data = Path(f).read_bytes()
        if f.endswith(".svg"):
            root = svg.parse(data)
            assert len(svg.groups(root, "node")) >= 3
        elif f.endswith(".pdf"):
            assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
        else:
            w, h = svg.png_size(data)
            assert w > 50 and h > 30
    assert sorted(p.name for p in (out / key).iterdir()) == sorted(Path(f).name for f in files)
    assert done[key].stderr == ""


def test_slide_size_fills_a_16_9_frame(outputs, svg):
    _, out = outputs
    for stem in ("tanh3-forward", "tanh3-backward"):
        root = svg.parse((out / "slide" / f"{stem}.svg").read_text())
        w, h = (float(root.get(k).removesuffix("px")) for k in ("width", "height"))
        assert (round(w) == 1920 and h <= 1081) or (round(h) == 1080 and w <= 1921), (stem, w, h)


def test_gradient_vs_depth_command(outputs, svg):
    done, out = outputs
    folder = out / "gradient-vs-depth"
    files = written(done["gradient-vs-depth"])
    assert files == [str(folder / f"gradient-vs-depth.{e}") for e in ("png", "svg", "pdf")]
    w, h = svg.png_size((folder / "gradient-vs-depth.png").read_bytes())
    assert (w, h) == (1280, 800)  # 6.4 x 4.0 inches at 200 dpi
    root = svg.parse((folder / "gradient-vs-depth.svg").read_bytes())
    assert len(list(root.iter())) > 50
    assert any(e.tag.endswith("}text") and e.text for e in root.iter())  # text kept as text
    assert (folder / "gradient-vs-depth.pdf").read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize("which", ["forward", "backward"])
def test_tanh_chain_pictures_match_the_library_and_share_one_scale(which, outputs, svg, dot_of):
    _, out = outputs
    scale = GradientScale(*CHAIN_SCALE)
    fills = {}
    for key, skip in (("tanh-chain", False), ("tanh-chain-skip", True)):
        stem = f"tanh4-skip-{which}" if skip else f"tanh4-{which}"
        root = svg.parse((out / key / f"{stem}.svg").read_text())
        theta, c = tanh_chain(4, skip=skip)
        title = ("C_res = tanh^4(theta) + theta" if skip else "C = tanh^4(theta)") + f": {which}"
        highlight = [theta] if skip else ()  # the CLI draws the skip path bold
        if which == "forward":
            expected = dot_of(draw_forward(c, scale=scale, collapse=8, highlight=highlight, title=title))
        else:
            expected = dot_of(draw_backward(c, wrt=theta, scale=scale, collapse=8, highlight=highlight,
                                            title=title))
        nodes = {svg.title(g): g for g in svg.groups(root, "node")}
        assert set(nodes) == set(expected.nodes)
        for name, g in nodes.items():  # each node says what the library's drawing says
            assert texts(g) == expected.label(name), name
        assert len(svg.groups(root, "edge")) == len(expected.edges)
        title_line, *caption = expected.graph["label"].split("\n")  # a long caption comes in lines
        assert title_line == title and caption[-1].endswith("white 0.0001 .. red 2")  # the shared scale
        graph_texts = [e.text for e in root.iter() if e.tag.endswith("}text")]
        assert title_line in graph_texts and all(line in graph_texts for line in caption)
        gradient = "theta" if which == "forward" else ("dC_res/dtheta" if skip else "dC/dtheta")
        g = nodes[expected.one(gradient)]
        fills[skip] = fill(g)
        assert fills[skip] == scale.color(chain_derivative(4, 0.5, skip))
        key_line = "grad" if which == "forward" else "value"
        assert f"{key_line} {chain_derivative(4, 0.5, skip):.4g}" in texts(g)
    assert fills[False] != fills[True]


def test_lenet_picture_is_one_node_per_module(outputs, svg):
    _, out = outputs
    root = svg.parse((out / "lenet" / "lenet5-forward.svg").read_text())
    assert svg.groups(root, "cluster") == []
    firsts = [texts(g)[0] for g in svg.groups(root, "node")]
    modules = [t.split(":")[0] for t in firsts if ": " in t and not t.startswith("L = ")]
    assert modules == LENET_MODULES
    assert "conv1: Conv2d (156 params)" in firsts  # 6 x 1 x 5 x 5 weights + 6 biases
    assert "fc2: Linear (850 params)" in firsts  # 84 x 10 + 10
    assert any(t.startswith("L = ") for t in firsts)  # the loss's ops, as one node
    title = "LeNet-5 on two digits: forward, modules at depth 1"
    assert title in [e.text for e in root.iter() if e.tag.endswith("}text")]


def test_lenet_ops_picture_has_module_clusters(outputs, svg):
    _, out = outputs
    root = svg.parse((out / "lenet-ops" / "lenet5-forward.svg").read_text())
    labels = [t for g in svg.groups(root, "cluster") for t in texts(g)]
    assert labels == [f"LeNet5.{m}" for m in LENET_MODULES]
    firsts = {texts(g)[0] for g in svg.groups(root, "node")}
    assert {"conv1.weight", "fc2.bias", "tanh1", "L"} <= firsts


@pytest.mark.parametrize("args, message", [
    (["tanh-chain", "--n", "0", "--out", "unused"], "--n must be at least 1"),
    (["tanh-chain", "--n", "four", "--out", "unused"], "invalid int value"),
    (["tanh-chain", "--n", "4"], "--out"),
    (["tanh-chain", "--n", "4", "--format", "gif", "--out", "unused"], "invalid choice"),
    (["lenet", "--size", "poster", "--out", "unused"], "invalid choice"),
    (["lenet", "--depth", "-1", "--out", "unused"], "--depth must be 0"),
    (["table", "--n", "0"], "--n must be at least 1"),
    (["no-such-command"], "invalid choice"),
    ([], "required"),
])
def test_bad_arguments_fail_with_a_message(args, message, repo_root, subprocess_env):
    proc = run_viz(args, repo_root, subprocess_env)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert proc.stdout == ""
    assert not (repo_root / "unused").exists()
