"""Rendering with the real renderer (graphviz-pure here), RendererNotFound, and byte-identical DOT text."""

import inspect
import pathlib
import re
import subprocess
import sys
import textwrap
import zlib

import graphviz
import graphviz.backend.dot_command as dot_command
import pytest

import nn
import viz
import viz.renderer
from viz import RendererNotFound, draw_backward, draw_forward, render, tanh_chain
from viz.layout import smallest_label


def drawn_nodes(dot) -> set[str]:
    return set(dot.nodes) | dot.mentioned


# --- real rendering ----------------------------------------------------------------------------------


def test_find_renderer_finds_a_program():
    found = viz.find_renderer()
    assert found is not None and found.is_file()
    assert found.name in ("dot", "graphviz-pure")
    assert viz.use_renderer() == found


def node_texts(g) -> list[str]:
    """The text lines drawn in a node group (nested inside the tooltip's <a>)."""
    return [e.text for e in g.iter() if e.tag.endswith("}text")]


def node_tooltip(g) -> str | None:
    """The tooltip of a node group: the xlink:title of the <a> that wraps its shapes."""
    for e in g.iter():
        if e.tag.endswith("}a"):
            return e.get("{http://www.w3.org/1999/xlink}title")
    return None


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
    for g in nodes:  # every node: its label's lines as text, its tooltip on hover
        name = svg.title(g)
        assert node_texts(g) == d.label(name), name
        assert node_tooltip(g) == d.nodes[name]["tooltip"], name
    texts = {t for g in nodes for t in node_texts(g)}
    assert ("theta" if which.startswith("forward") else "tanh1") in texts
    # the caption is the graph's own text, not a node
    graph_texts = [e.text for e in root.iter() if e.tag.endswith("}text")]
    for line in d.graph["label"].split("\n"):  # one text per line of the caption
        assert line in graph_texts and line not in texts
    png = (tmp_path / "x.png").read_bytes()
    w, h = svg.png_size(png)
    assert 100 < w < 20_000 and 30 < h < 20_000
    # the direction was chosen (rankdir=None): the forward chain is wide left to right, tall top to bottom
    assert d.graph["rankdir"] in ("LR", "TB")
    if which.startswith("forward"):
        assert (w > h) == (d.graph["rankdir"] == "LR")
    width_pt = float(root.get("width").removesuffix("pt"))
    height_pt = float(root.get("height").removesuffix("pt"))
    assert w == pytest.approx(width_pt * 96 / 72, abs=3) and h == pytest.approx(height_pt * 96 / 72, abs=3)


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_render_follows_an_explicit_rankdir(rankdir, tmp_path, svg):
    theta, c = tanh_chain(4)
    (png,) = render(draw_forward(c, rankdir=rankdir), tmp_path / "x", formats=("png",))
    w, h = svg.png_size(png.read_bytes())
    assert (w > h) == (rankdir == "LR")


def pdf_text(data: bytes) -> str:
    """The text shown by a PDF's content streams (fpdf2 writes them Flate-compressed, text as (..) Tj)."""
    out = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            body = zlib.decompress(m.group(1))
        except zlib.error:
            body = m.group(1)
        out += [t.replace(rb"\(", b"(").replace(rb"\)", b")").decode("latin-1")
                for t in re.findall(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj", body)]
    return "\n".join(out)


def test_render_for_a_slide_in_three_formats(tmp_path, svg, dot_of):
    theta, c = tanh_chain(4)
    picture = draw_backward(c, wrt=theta)
    files = render(picture, tmp_path / "s", formats=("svg", "png", "pdf"), size="slide")
    assert files == [tmp_path / "s.svg", tmp_path / "s.png", tmp_path / "s.pdf"]
    # SVG and PNG fill a 1920 x 1080 frame: one side touches it, the other fits inside
    root = svg.parse(files[0].read_text())
    w_px, h_px = float(root.get("width").removesuffix("px")), float(root.get("height").removesuffix("px"))
    assert (round(w_px) == 1920 and h_px <= 1081) or (round(h_px) == 1080 and w_px <= 1921), (w_px, h_px)
    w, h = svg.png_size(files[1].read_bytes())
    assert w == pytest.approx(w_px, rel=0.02) and h == pytest.approx(h_px, rel=0.02)
    assert max(w / 1920, h / 1080) == pytest.approx(1, abs=0.02)
    # the PDF is vector, its text searchable: every box's name and the caption are in it
    data = files[2].read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    text = pdf_text(data)
    d = dot_of(picture)
    for name in d.value_nodes():
        assert d.label(name)[0] in text, d.label(name)[0]
    assert all(line in text for line in d.graph["label"].split("\n"))
    # size="slide" beats the default layout, or ties with it, on the smallest text once scaled
    plain = picture.pipe(format="svg", encoding="utf-8")
    slide = files[0].read_text()
    assert smallest_label(slide) >= smallest_label(plain) * 0.98


def test_render_rejects_bad_formats_and_sizes(tmp_path):
    _, c = tanh_chain(2)
    picture = draw_forward(c)
    for formats in (("svg", "gif"), (), "jpeg"):
        with pytest.raises(ValueError, match="formats must be among"):
            render(picture, tmp_path / "x", formats=formats)
    with pytest.raises(ValueError, match="size must be None or 'slide'"):
        render(picture, tmp_path / "x", size="poster")
    assert list(tmp_path.iterdir()) == []
    assert render(picture, tmp_path / "x", formats="pdf") == [tmp_path / "x.pdf"]


def test_render_only_the_formats_asked_and_makes_the_folder(tmp_path, svg):
    _, c = tanh_chain(2)
    files = render(draw_forward(c), tmp_path / "sub" / "dir" / "g", formats=("svg",))
    assert files == [tmp_path / "sub" / "dir" / "g.svg"]
    assert sorted(p.name for p in (tmp_path / "sub" / "dir").iterdir()) == ["g.svg"]
    svg.parse(files[0].read_text())


def test_repr_mimebundle_is_fitted_html_and_svg_text(svg):
    _, c = tanh_chain(3)
    picture = draw_forward(c)
    bundle = picture._repr_mimebundle_()
    assert isinstance(bundle, dict) and set(bundle) == {"text/html", "image/svg+xml", "text/plain"}
    text = bundle["image/svg+xml"]
    assert isinstance(text, str)
    root = svg.parse(text)
    assert len(svg.groups(root, "node")) == 7  # theta, 3 x (op, value); the legend is the graph label
    # the HTML: the same picture inline, scaled to the cell's width (never wider than it is)
    html = bundle["text/html"]
    assert html.startswith("<div") and html.endswith("</div>")
    inner = svg.parse(html[html.index("<svg"):html.rindex("</div>")])
    assert inner.get("width") == "100%" and inner.get("height") is None
    assert "max-width:" in inner.get("style") and "height:auto" in inner.get("style")
    assert inner.get("viewBox") == root.get("viewBox")
    titles = [svg.title(g) for g in svg.groups(root, "node")]
    assert [svg.title(g) for g in svg.groups(inner, "node")] == titles
    assert picture._repr_html_() == html
    assert isinstance(bundle["text/plain"], str)
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
        out.append(draw_backward(c, wrt=theta, highlight=[theta], values=True).source)
    x, y, _, _ = nn.data.load_digits()
    model = nn.LeNet5(seed=0)
    loss = nn.functional.cross_entropy(model(x[:2]), y[:2])
    out.append(draw_forward(loss, modules=model).source)
    out.append(draw_forward(loss, modules=model, depth=1, values=True).source)
    out.append(draw_forward(loss, modules=model, values=True).source)
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
