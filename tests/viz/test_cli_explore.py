"""python -m viz explore ... --html FILE and python -m viz steps ...: what they write, and bad arguments.

The explorer's JavaScript is tested in a browser elsewhere; here: the page's structure, the scene JSON
it embeds (the steps and numbers from the engine) and that nothing is loaded from the network.
"""

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pypdf
import pytest

from autograd import Tensor, grad, record_backward
from viz import chain_derivative, tanh_chain
from viz.figures import SEED_I, SEED_J_O

NETWORK = [  # anything that would make a browser fetch from elsewhere
    re.compile(r"""(?:src|href|action|data)\s*=\s*["']?\s*(?:https?:)?//""", re.I),
    re.compile(r"""url\(\s*["']?\s*(?:https?:)?//""", re.I),
    re.compile(r"""@import""", re.I),
    re.compile(r"""(?:import|from|fetch|importScripts)\s*\(?\s*["'`](?:https?:)?//""", re.I),
]


def run_viz(args, repo_root, env):
    return subprocess.run([sys.executable, "-m", "viz", *args], capture_output=True, text=True, cwd=repo_root,
                          env=env, timeout=300)


class Page(HTMLParser):
    """The elements of a page: tags in order, the attributes of each script, the scene's text."""

    def __init__(self):
        super().__init__()
        self.tags, self.scripts, self.scene, self._in_scene = [], [], None, False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "script":
            self.scripts.append(dict(attrs))
            self._in_scene = dict(attrs).get("id") == "tracegrad-scene"

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_scene = False

    def handle_data(self, data):
        if self._in_scene:
            self.scene = (self.scene or "") + data


@pytest.fixture(scope="module")
def pages(tmp_path_factory, repo_root, subprocess_env):
    """Each explore example written once: {key: (process, path)}."""
    out = tmp_path_factory.mktemp("viz-explore")
    runs = {"chain": ["tanh-chain", "--n", "4", "--skip"], "lenet": ["lenet"], "figure4": ["seed-figure4"]}
    return {key: (run_viz(["explore", *args, "--html", str(out / key / f"{key}.html")], repo_root,
                          subprocess_env), out / key / f"{key}.html") for key, args in runs.items()}


def read_page(pages, key):
    proc, path = pages[key]
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [f"wrote {path}"] and proc.stderr == ""
    text = path.read_text(encoding="utf-8")
    page = Page()
    page.feed(text)
    page.close()
    assert page.scene is not None, "no <script id=tracegrad-scene type=application/json>"
    return text, page, json.loads(page.scene)


@pytest.mark.parametrize("key", ["chain", "lenet", "figure4"])
def test_explore_writes_one_self_contained_page(pages, key):
    text, page, scene = read_page(pages, key)
    assert text.startswith("<!DOCTYPE html>")
    assert page.tags[:4] == ["html", "head", "meta", "title"] and "body" in page.tags
    scene_tag = [s for s in page.scripts if s.get("id") == "tracegrad-scene"]
    assert scene_tag == [{"id": "tracegrad-scene", "type": "application/json"}]
    assert all("src" not in s for s in page.scripts)  # every script inline
    assert 'id="tracegrad-explorer"' in text
    for pattern in NETWORK:
        assert not pattern.search(text), pattern.search(text).group(0)
    assert set(scene) >= {"title", "views", "steps", "result"}
    assert scene["views"]["forward"]["svg"].startswith("<svg")
    assert [s["k"] for s in scene["steps"]] == list(range(1, len(scene["steps"]) + 1))


def test_explore_chain_has_the_engines_steps_and_result(pages):
    _, _, scene = read_page(pages, "chain")
    theta, c = tanh_chain(4, skip=True)
    with record_backward() as records:
        grad(c, theta, grad_outputs=Tensor(np.ones(()), requires_grad=True), create_graph=True)
    steps = records[0].steps
    assert len(scene["steps"]) == len(steps) == 5
    for got, step in zip(scene["steps"], steps):
        assert got["op"] == step.node.op
        assert got["adjoint"]["value"]["grid"][0][0] == pytest.approx(step.adjoint.item(), rel=1e-3)
    assert scene["result"]["name"] == "dC_res/dtheta"
    value = scene["result"]["value"]["grid"][0][0]
    assert value == pytest.approx(chain_derivative(4, 0.5, True), rel=1e-3)
    assert abs(value - 1.4545) < 6e-4
    assert scene["title"] == "C_res = tanh^4(theta) + theta"
    assert scene["views"]["backward"] is not None


def test_explore_lenet_opens_by_module(pages):
    _, _, scene = read_page(pages, "lenet")
    assert scene["views"]["forward_full"] is not None  # the op-level view to expand into
    modules = {n["module"] for n in scene["views"]["forward"]["nodes"].values() if n["kind"] == "module"}
    assert {"conv1", "pool1", "conv2", "fc1", "fc2"} <= modules
    assert len(scene["steps"]) > 10


def test_explore_figure4_result_is_I_star_J(pages):
    _, _, scene = read_page(pages, "figure4")
    I, J = np.array(SEED_I, float), np.array(SEED_J_O, float)
    want = np.array([[np.sum(I[a:a + 2, b:b + 2] * J) for b in range(3)] for a in range(3)])
    assert scene["result"]["name"] == "dL/dW"
    assert np.array(scene["result"]["value"]["grid"]) == pytest.approx(want)
    assert "correlate2d" in [s["op"] for s in scene["steps"]]


def test_steps_command_writes_the_frames(tmp_path, repo_root, subprocess_env, svg):
    out = tmp_path / "frames"
    proc = run_viz(["steps", "tanh-chain", "--n", "4", "--skip", "--out", str(out), "--format", "svg",
                    "--format", "pdf"], repo_root, subprocess_env)
    assert proc.returncode == 0, proc.stderr
    want = [out / f"tanh4-skip-steps-{k:02d}.svg" for k in range(1, 7)] + [out / "tanh4-skip-steps.pdf"]
    assert proc.stdout.splitlines() == [f"wrote {f}" for f in want]
    assert sorted(out.iterdir()) == sorted(want)
    for k, f in enumerate(want[:-1]):
        texts = " ".join(e.text or "" for e in svg.parse(f.read_text()).iter() if e.tag.endswith("}text"))
        assert f"step {k} of 5" in texts
    assert len(pypdf.PdfReader(want[-1]).pages) == 6


def test_steps_command_slide_png(tmp_path, repo_root, subprocess_env, svg):
    proc = run_viz(["steps", "tanh-chain", "--n", "2", "--out", str(tmp_path), "--format", "png", "--size",
                    "slide"], repo_root, subprocess_env)
    assert proc.returncode == 0, proc.stderr
    files = sorted(tmp_path.iterdir())
    assert [f.name for f in files] == [f"tanh2-steps-0{k}.png" for k in range(1, 4)]
    sizes = {svg.png_size(f.read_bytes()) for f in files}
    assert len(sizes) == 1
    (w, h), = sizes
    assert w == pytest.approx(1920, rel=0.01) or h == pytest.approx(1080, rel=0.01)  # as render() sizes PNG


@pytest.mark.parametrize("args,message", [
    (["explore", "tanh-chain", "--html", "{dir}"], "is a folder, not a file"),
    (["explore", "tanh-chain", "--html", "{file}/x.html"], "not a folder"),
    (["explore", "tanh-chain", "--n", "0", "--html", "{dir}/x.html"], "--n must be at least 1"),
    (["explore", "resnet", "--html", "{dir}/x.html"], "invalid choice"),
    (["explore", "tanh-chain"], "--html"),
    (["steps", "tanh-chain", "--out", "{file}"], "not a folder"),
    (["steps", "tanh-chain", "--n", "0", "--out", "{dir}"], "--n must be at least 1"),
    (["steps", "tanh-chain", "--out", "{dir}", "--format", "gif"], "invalid choice"),
])
def test_bad_arguments_fail_in_one_line(args, message, tmp_path, repo_root, subprocess_env):
    (tmp_path / "a-file").write_text("in the way")
    args = [a.format(dir=tmp_path, file=tmp_path / "a-file") for a in args]
    proc = run_viz(args, repo_root, subprocess_env)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("python -m viz") and message in last, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]
    assert proc.stdout == ""


def test_explore_html_in_a_new_folder(tmp_path, repo_root, subprocess_env):
    target = tmp_path / "new" / "deeper" / "chain.html"
    proc = run_viz(["explore", "tanh-chain", "--n", "2", "--html", str(target)], repo_root, subprocess_env)
    assert proc.returncode == 0, proc.stderr
    assert Path(target).is_file()
