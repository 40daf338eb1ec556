"""Rendering with the real renderer (graphviz-pure here), RendererNotFound, and byte-identical DOT text."""

import inspect
import pathlib
import subprocess
import sys
import textwrap

import graphviz
import graphviz.backend.dot_command as dot_command
import pytest

import nn
import viz
import viz.renderer
from viz import RendererNotFound, draw_backward, draw_forward, render, tanh_chain


def drawn_nodes(dot) -> set[str]:
    return set(dot.nodes) | dot.mentioned


# --- real rendering ----------------------------------------------------------------------------------


def test_find_renderer_finds_a_program():
    found = viz.find_renderer()
    assert found is not None and found.is_file()
    assert found.name in ("dot", "graphviz-pure")
    assert viz.use_renderer() == found


@pytest.mark.parametrize("which", ["forward", "backward", "forward-skip", "backward-skip"])
def test_render_writes_svg_and_png(which, tmp_path, svg, dot_of):
    theta, c = tanh_chain(4, skip=which.endswith("skip"))
    picture = draw_forward(c) if which.startswith("forward") else draw_backward(c, wrt=theta)
    files = render(picture, tmp_path / "x")
    assert files == [tmp_path / "x.svg", tmp_path / "x.png"]
    root = svg.parse((tmp_path / "x.svg").read_text())
    nodes = svg.groups(root, "node")
    d = dot_of(picture)
    assert len(nodes) == len(drawn_nodes(d))
    assert {svg.title(g) for g in nodes} == drawn_nodes(d)
    assert len(svg.groups(root, "edge")) == len(d.edges)
    texts = {e.text for g in nodes for e in g if e.tag.endswith("}text")}
    assert "theta" in texts
    png = (tmp_path / "x.png").read_bytes()
    w, h = svg.png_size(png)
    assert 100 < w < 20_000 and 30 < h < 20_000
    assert w > h  # rankdir=LR: a chain is wide
    width_pt = float(root.get("width").removesuffix("pt"))
    height_pt = float(root.get("height").removesuffix("pt"))
    assert w == pytest.approx(width_pt * 96 / 72, abs=3) and h == pytest.approx(height_pt * 96 / 72, abs=3)


def test_render_only_the_formats_asked_and_makes_the_folder(tmp_path, svg):
    _, c = tanh_chain(2)
    files = render(draw_forward(c), tmp_path / "sub" / "dir" / "g", formats=("svg",))
    assert files == [tmp_path / "sub" / "dir" / "g.svg"]
    assert sorted(p.name for p in (tmp_path / "sub" / "dir").iterdir()) == ["g.svg"]
    svg.parse(files[0].read_text())


def test_repr_mimebundle_is_svg_text(svg):
    _, c = tanh_chain(3)
    picture = draw_forward(c)
    bundle = picture._repr_mimebundle_()
    assert isinstance(bundle, dict) and set(bundle) == {"image/svg+xml"}
    text = bundle["image/svg+xml"]
    assert isinstance(text, str)
    root = svg.parse(text)
    assert len(svg.groups(root, "node")) == 8  # theta, 3 x (op, value), legend
    assert isinstance(picture.pipe(format="svg"), bytes)


def test_a_render_prints_nothing_on_stderr(tmp_path, subprocess_env, repo_root):
    script = textwrap.dedent(f"""
        import nn, viz
        theta, c = viz.tanh_chain(4, skip=True)
        viz.render(viz.draw_forward(c), {str(tmp_path / 'f')!r})
        viz.render(viz.draw_backward(c, wrt=theta), {str(tmp_path / 'b')!r})
        viz.draw_forward(c)._repr_mimebundle_()  # pipes without quiet=True
        x, y, _, _ = nn.data.load_digits()
        m = nn.LeNet5(seed=0)
        loss = nn.functional.cross_entropy(m(x[:2]), y[:2])
        viz.render(viz.draw_forward(loss, modules=m), {str(tmp_path / 'l')!r})
        print("ok")
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=repo_root,
                          env=subprocess_env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "ok\n"
    assert proc.stderr == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{s}.{e}" for s in "bfl" for e in ("png", "svg")]


# --- no renderer -------------------------------------------------------------------------------------


@pytest.fixture
def no_renderer(monkeypatch):
    monkeypatch.setattr(viz.renderer, "find_renderer", lambda: None)
    monkeypatch.setattr(dot_command, "DOT_BINARY", pathlib.Path("dot"))


def test_renderer_not_found(no_renderer, tmp_path):
    theta, c = tanh_chain(3)
    picture = draw_forward(c)
    with pytest.raises(RendererNotFound, match="graphviz-pure") as err:
        picture.pipe(format="svg")
    assert "pip install" in str(err.value) and ".source" in str(err.value)
    with pytest.raises(RendererNotFound, match="graphviz-pure"):
        render(picture, tmp_path / "x")
    with pytest.raises(RendererNotFound):
        render(graphviz.Digraph(), tmp_path / "y")  # a plain Digraph too
    with pytest.raises(RendererNotFound):
        picture._repr_mimebundle_()
    with pytest.raises(RendererNotFound):
        draw_backward(c, wrt=theta).render(tmp_path / "z", format="svg")
    assert list(tmp_path.iterdir()) == []
    assert issubclass(RendererNotFound, RuntimeError)
    assert picture.source.startswith("digraph {") and "theta" in picture.source
    assert dot_command.DOT_BINARY == pathlib.Path("dot")  # nothing pointed graphviz at a program


def test_renderer_is_back_after_the_monkeypatch(tmp_path):
    _, c = tanh_chain(1)
    assert render(draw_forward(c), tmp_path / "x")[0].stat().st_size > 0


# --- determinism ---------------------------------------------------------------------------------------


def _sources() -> list[str]:
    out = []
    for skip in (False, True):
        theta, c = tanh_chain(5, skip=skip)
        out.append(draw_forward(c).source)
        out.append(draw_backward(c, wrt=theta).source)
        out.append(draw_backward(c, wrt=theta, collapse=3).source)
    x, y, _, _ = nn.data.load_digits()
    model = nn.LeNet5(seed=0)
    loss = nn.functional.cross_entropy(model(x[:2]), y[:2])
    out.append(draw_forward(loss, modules=model).source)
    return out


SEPARATOR = "\n=====\n"


def test_same_computation_same_source():
    first, second = _sources(), _sources()
    assert first == second
    assert len(set(first)) == len(first)  # and the pictures differ from each other


def test_same_source_in_fresh_processes(subprocess_env, repo_root):
    script = "\n".join([
        "import sys",
        "import nn",
        "from viz import draw_backward, draw_forward, tanh_chain",
        inspect.getsource(_sources),
        f"sys.stdout.write({SEPARATOR!r}.join(_sources()))",
    ])
    runs = []
    for hashseed in ("1", "2"):  # different str hashes: set/dict-of-str order would show
        env = dict(subprocess_env, PYTHONHASHSEED=hashseed)
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=repo_root,
                              env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        runs.append(proc.stdout)
    assert runs[0] == runs[1]
    assert runs[0].split(SEPARATOR) == _sources()  # and the same as in this process


def test_render_appends_the_format_to_the_whole_name(tmp_path):
    theta, c = viz.tanh_chain(2, theta=0.5)
    files = viz.render(viz.draw_forward(c), tmp_path / "theta0.5", formats=("svg",))
    assert files == [tmp_path / "theta0.5.svg"] and files[0].exists()
