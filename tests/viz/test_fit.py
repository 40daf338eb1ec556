"""Pictures that fit: every picture `make demo` writes stays legible on a 1920 x 1080 slide; PDF text;
drawings scaled to a notebook cell's width, measured in a real browser."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import nn
from viz import draw_backward, draw_forward, render, tanh_chain
from viz.figures import figure4_graph
from viz.layout import smallest_label, svg_size

MIN_PX = 12  # the smallest label, in px, once a picture is fitted to 1920 x 1080


def _demo_commands(repo_root: Path) -> list[list[str]]:
    """The `python -m viz ...` lines of the Makefile's demo recipe (so the test follows the demo)."""
    makefile = repo_root.joinpath("Makefile").read_text()
    recipe = makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    for name, value in re.findall(r"^(\w+)\s*:?=\s*(.*)$", makefile, re.M):
        recipe = recipe.replace(f"$({name})", value.strip())
    lines = [line.strip() for line in recipe.splitlines() if "-m viz" in line and " table" not in line]
    return [shlex.split(line.split("-m viz", 1)[1]) for line in lines]


@pytest.fixture(scope="module")
def demo_pictures(repo_root, subprocess_env, tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    commands = _demo_commands(repo_root)
    assert len(commands) >= 5, commands
    for args in commands:
        args = [str(out) if a == "out" else str(out / a[4:]) if a.startswith("out/") else a for a in args]
        subprocess.run([sys.executable, "-m", "viz", *args], check=True, env=subprocess_env,
                       cwd=repo_root, capture_output=True)
    return out


def test_demo_writes_every_picture_as_svg_png_and_pdf(demo_pictures):
    stems = {p.stem for p in demo_pictures.iterdir() if p.suffix != ".html"}
    assert (demo_pictures / "tanh4-skip-explorer.html").stat().st_size > 10_000  # the explorer, standalone
    for stem in stems:
        assert {f.suffix for f in demo_pictures.glob(stem + ".*")} == {".svg", ".png", ".pdf"}, stem
    assert {"tanh4-backward", "tanh4-skip-backward", "lenet5-forward", "figure3-cross-correlation",
            "figure4-kernel-gradient", "figure4-backward-graph", "gradient-vs-depth"} <= stems


def test_every_demo_picture_keeps_its_labels_legible_on_a_slide(demo_pictures):
    sizes = {p.stem: smallest_label(p.read_text()) for p in sorted(demo_pictures.glob("*.svg"))}
    small = {k: round(v, 1) for k, v in sizes.items() if v < MIN_PX}
    assert not small, f"labels under {MIN_PX} px on a 1920x1080 slide: {small}"


def test_slide_pictures_fill_the_frame(demo_pictures, svg):
    for p in demo_pictures.glob("tanh4*.png"):
        w, h = svg.png_size(p.read_bytes())
        # Graphviz adds its margin after scaling: allow a few pixels
        assert (abs(w - 1920) <= 12 and h <= 1092) or (abs(h - 1080) <= 12 and w <= 1932), (p.name, w, h)


def test_pdf_is_vector_with_searchable_text(demo_pictures):
    pypdf = pytest.importorskip("pypdf", reason="pypdf reads the PDF's text (the test extra)")
    text = pypdf.PdfReader(demo_pictures / "tanh4-backward.pdf").pages[0].extract_text()
    for expected in ("dC/dtanh3", "1 - tanh3*tanh3", "dC/dtheta", "0.4545"):
        assert expected in text, (expected, text[:300])
    fig4 = pypdf.PdfReader(demo_pictures / "figure4-backward-graph.pdf").pages[0].extract_text()
    for number in ("24", "48", "72"):  # J^W = I star J^O, printed in the nodes
        assert re.search(rf"\b{number}\b", fig4)
    assert b"/Subtype /Image" not in (demo_pictures / "tanh4-backward.pdf").read_bytes()  # vector, no bitmap


def test_pdf_without_a_system_graphviz(tmp_path, monkeypatch):
    """The renderer found is pip's graphviz-pure when PATH has no `dot`; PDF still works."""
    theta, c = tanh_chain(2)
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    (pdf,) = render(draw_forward(c), tmp_path / "chain", formats=("pdf",))
    assert pdf.read_bytes().startswith(b"%PDF")


def test_render_rejects_unknown_formats_and_sizes(tmp_path):
    theta, c = tanh_chain(1)
    with pytest.raises(ValueError, match="render: formats"):
        render(draw_forward(c), tmp_path / "x", formats=("gif",))
    with pytest.raises(ValueError, match="render: size"):
        render(draw_forward(c), tmp_path / "x", size="poster")
    assert not list(tmp_path.iterdir())


def test_notebook_display_is_scaled_to_the_cell():
    theta, c = tanh_chain(3)
    bundle = draw_backward(c, wrt=theta)._repr_mimebundle_()
    html = bundle["text/html"]
    head = html[html.index("<svg"):html.index(">", html.index("<svg"))]
    assert 'width="100%"' in head and "height=" not in head.replace("height:auto", "")
    assert "max-width:" in head
    assert bundle["image/svg+xml"].lstrip().startswith(("<?xml", "<!--", "<svg"))


# --- in a real browser -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def page(browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    yield page
    page.close()


def _notebook_pictures():
    x, y, _, _ = nn.data.load_digits()
    model = nn.LeNet5(seed=0)
    loss = nn.functional.cross_entropy(model(x[:2]), y[:2])
    theta, c50 = tanh_chain(50, skip=True)
    root, w = figure4_graph()
    return {
        "figure 4 backward, values": draw_backward(root, wrt=w, values=True),
        "LeNet-5 by module": draw_forward(loss, modules=model, depth=1),
        "LeNet-5, every op": draw_forward(loss, modules=model),
        "tanh^50 + theta": draw_forward(c50, highlight=[theta]),
    }


@pytest.mark.parametrize("name", list(_notebook_pictures()))
def test_pictures_fit_a_notebook_cell_in_a_browser(page, name):
    """A JupyterLab cell at a 1400 px window is about 1100 px wide: no horizontal scrolling, the root
    node in view, and the text no smaller than 9 px (12 px for the pictures meant to be read whole)."""
    picture = _notebook_pictures()[name]
    page.set_content(f'<html><body style="margin:0"><div id="cell" style="width:1100px">'
                     f"{picture._repr_html_()}</div></body></html>")
    cell = page.eval_on_selector("#cell", "e => [e.scrollWidth, e.clientWidth]")
    assert cell[0] <= cell[1], f"{name}: content {cell[0]} px wide in a {cell[1]} px cell"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1400
    heights = page.eval_on_selector_all("#cell svg text",
                                        "ts => ts.map(t => t.getBoundingClientRect().height)")
    assert heights and min(heights) >= (7 if name == "LeNet-5, every op" else 9), (name, min(heights))
    svg = picture.pipe(format="svg", encoding="utf-8")
    width, _ = svg_size(svg)
    box = page.eval_on_selector("#cell svg", "e => e.getBoundingClientRect().width")
    assert box <= 1100 and box == pytest.approx(min(1100, width * 4 / 3), rel=0.02)


def test_a_big_graph_that_does_not_fold_is_cut_to_max_nodes(dot_of):
    """2,000 parameters mixed in a graph with no repeated run: the last 300 values and one box saying
    how many were left out; max_nodes=None draws everything."""
    from autograd import Tensor

    xs = [Tensor(float(i % 7) / 7, requires_grad=True, name=f"x{i}") for i in range(2000)]
    s = xs[0]
    for i in range(1, 2000):
        s = (s * xs[i]).tanh() if i % 3 else s + xs[i] * xs[i - 1]
    d = dot_of(draw_forward(s, grads=False))
    boxes = d.value_nodes()
    assert len(boxes) == 301 and "elided" in d.nodes
    left_out = int(d.label("elided")[0].split()[0].replace(",", ""))
    full = dot_of(draw_forward(s, grads=False, max_nodes=None))
    assert left_out == len(full.value_nodes()) - 300
    assert d.one("L") in boxes  # the root is among the values kept
    assert len(draw_forward(s, grads=False).source) < 100_000
