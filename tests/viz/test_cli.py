"""python -m viz: each command writes the files it prints, as valid SVG and PNG; bad arguments fail."""

import subprocess
import sys
from pathlib import Path

import pytest

from viz import GradientScale, chain_derivative, draw_forward, tanh_chain
from viz.__main__ import CHAIN_SCALE

COMMANDS = {
    "tanh-chain": (["tanh-chain", "--n", "4"], ["tanh4-forward", "tanh4-backward"]),
    "tanh-chain-skip": (["tanh-chain", "--n", "4", "--skip"], ["tanh4-skip-forward", "tanh4-skip-backward"]),
    "lenet": (["lenet"], ["lenet5-forward"]),
}


def run_viz(args, repo_root, env, **kw):
    return subprocess.run([sys.executable, "-m", "viz", *args], capture_output=True, text=True, cwd=repo_root,
                          env=env, timeout=300, **kw)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, repo_root, subprocess_env):
    """Run every picture-making command once into one folder: {command: (process, folder)}."""
    out = tmp_path_factory.mktemp("viz-cli")
    done = {}
    for key, (args, _) in COMMANDS.items():
        done[key] = run_viz([*args, "--out", str(out)], repo_root, subprocess_env)
    done["gradient-vs-depth"] = run_viz(["gradient-vs-depth", "--out", str(out)], repo_root, subprocess_env)
    return done, out


def written(proc) -> list[str]:
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines and all(line.startswith("wrote ") for line in lines), proc.stdout
    return [line.removeprefix("wrote ") for line in lines]


@pytest.mark.parametrize("key", list(COMMANDS))
def test_graph_commands_write_what_they_print(key, outputs, svg):
    done, out = outputs
    files = written(done[key])
    stems = COMMANDS[key][1]
    assert files == [str(out / f"{s}.{fmt}") for s in stems for fmt in ("svg", "png")]
    for f in files:
        data = Path(f).read_bytes()
        if f.endswith(".svg"):
            root = svg.parse(data)
            assert len(svg.groups(root, "node")) >= 3
        else:
            w, h = svg.png_size(data)
            assert w > 50 and h > 30
    assert done[key].stderr == ""


def test_gradient_vs_depth_command(outputs, svg):
    done, out = outputs
    files = written(done["gradient-vs-depth"])
    assert files == [str(out / "gradient-vs-depth.png"), str(out / "gradient-vs-depth.svg")]
    w, h = svg.png_size((out / "gradient-vs-depth.png").read_bytes())
    assert (w, h) == (768, 480)  # 6.4 x 4.0 inches at 120 dpi
    root = svg.parse((out / "gradient-vs-depth.svg").read_bytes())
    assert len(list(root.iter())) > 50


def test_tanh_chain_pictures_match_the_library_and_share_one_scale(outputs, svg, dot_of):
    _, out = outputs
    scale = GradientScale(*CHAIN_SCALE)
    fills = {}
    for stem, skip in (("tanh4-forward", False), ("tanh4-skip-forward", True)):
        root = svg.parse((out / f"{stem}.svg").read_text())
        _, c = tanh_chain(4, skip=skip)
        expected = dot_of(draw_forward(c, scale=scale, collapse=8))
        assert {svg.title(g) for g in svg.groups(root, "node")} == set(expected.nodes)
        theta = next(g for g in svg.groups(root, "node") if svg.title(g) == expected.one("theta"))
        fills[skip] = next(e.get("fill") for e in theta if e.get("fill") not in (None, "none"))
        assert fills[skip] == scale.color(chain_derivative(4, 0.5, skip))
        texts = [e.text for g in svg.groups(root, "node") for e in g if e.tag.endswith("}text")]
        assert f"grad {chain_derivative(4, 0.5, skip):.4g}" in texts
    assert fills[False] != fills[True]


def test_lenet_picture_has_module_clusters(outputs, svg):
    _, out = outputs
    root = svg.parse((out / "lenet5-forward.svg").read_text())
    labels = [e.text for g in svg.groups(root, "cluster") for e in g if e.tag.endswith("}text")]
    assert labels == [f"LeNet5.{m}" for m in ("conv1", "pool1", "conv2", "pool2", "conv3", "fc1", "fc2")]


@pytest.mark.parametrize("args, message", [
    (["tanh-chain", "--n", "0", "--out", "unused"], "--n must be at least 1"),
    (["tanh-chain", "--n", "four", "--out", "unused"], "invalid int value"),
    (["tanh-chain", "--n", "4"], "--out"),
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
