"""The seed's Figures 3 and 4: the drawn numbers against direct loops, the shaded windows, the files."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import viz.figures as figures  # noqa: E402
from autograd import Tensor, correlate2d  # noqa: E402
from viz import correlation_figure, kernel_gradient_figure, write_seed_figures  # noqa: E402

SEED_I = [[1, 2, 3, 4], [8, 9, 10, 11], [15, 16, 17, 18], [22, 23, 24, 25]]
SEED_W = [[5, 6], [3, 4]]
SEED_J_O = [[1, -1], [2, 1]]
SHAPES = [((4, 4), (2, 2)), ((5, 7), (3, 2)), ((6, 4), (1, 3)), ((3, 5), (3, 5)), ((2, 9), (2, 4))]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def correlate_loop(I, W):
    """O[i,j] = sum_mn W[m,n] I[i+m, j+n], by the definition."""
    I, W = np.asarray(I, dtype=float), np.asarray(W, dtype=float)
    (H, Wi), (h, w) = I.shape, W.shape
    O = np.zeros((H - h + 1, Wi - w + 1))
    for i in range(O.shape[0]):
        for j in range(O.shape[1]):
            for m in range(h):
                for n in range(w):
                    O[i, j] += W[m, n] * I[i + m, j + n]
    return O


def kernel_gradient_loop(I, J_O):
    """J^W[m,n] = sum_ij J_O[i,j] I[i+m, j+n], by the definition."""
    I, J_O = np.asarray(I, dtype=float), np.asarray(J_O, dtype=float)
    (H, Wi), (h, w) = I.shape, J_O.shape
    J_W = np.zeros((H - h + 1, Wi - w + 1))
    for m in range(J_W.shape[0]):
        for n in range(J_W.shape[1]):
            for i in range(h):
                for j in range(w):
                    J_W[m, n] += J_O[i, j] * I[i + m, j + n]
    return J_W


def grid(fig, name):
    (ax,) = [ax for ax in fig.axes if ax.get_gid() == name]
    return ax


def drawn(ax) -> np.ndarray:
    """The numbers drawn in a grid's cells, placed by their positions (x = column, y = row)."""
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
             for t in ax.texts if t.get_gid() == "cell"}
    rows, cols = max(r for r, _ in cells) + 1, max(c for _, c in cells) + 1
    assert len(cells) == rows * cols
    return np.array([[float(cells[r, c]) for c in range(cols)] for r in range(rows)])


def shaded(ax) -> set[tuple[int, int]]:
    """(row, col) of the cells drawn as window cells."""
    return {(round(p.get_y() + 0.5), round(p.get_x() + 0.5)) for p in ax.patches if p.get_gid() == "window"}


def outline(ax) -> tuple[float, float, float, float]:
    (p,) = [p for p in ax.patches if p.get_gid() == "window-outline"]
    return p.get_y() + 0.5, p.get_x() + 0.5, p.get_height(), p.get_width()


def caption(fig) -> str:
    (t,) = [t for t in fig.texts if t.get_gid() == "caption"]
    return t.get_text()


def block(r0, c0, h, w) -> set[tuple[int, int]]:
    return {(r, c) for r in range(r0, r0 + h) for c in range(c0, c0 + w)}


def caption_sum(text: str) -> tuple[float, float]:
    """Evaluate the written-out sum of a caption ('lhs = a·b + c·d + ... = total') and check its total."""
    body = text.split("(bias")[0]
    _, products, total = (part.strip() for part in body.split(" = "))
    value = sum(np.prod([float(f.strip("()")) for f in term.split("\u00b7")])
                for term in products.replace("\n", " ").split(" + ") if term.strip(" +"))
    return value, float(total)


# -- Figure 3 ------------------------------------------------------------------------------------------


def test_seed_example_numbers_are_the_definition():
    fig = correlation_figure(SEED_I, SEED_W)
    O = drawn(grid(fig, "O"))
    assert np.array_equal(O, correlate_loop(SEED_I, SEED_W))
    assert O[0, 0] == 77 and O.shape == (3, 3)
    assert np.array_equal(drawn(grid(fig, "I")), SEED_I) and np.array_equal(drawn(grid(fig, "W")), SEED_W)
    texts = [t.get_text() for t in grid(fig, "O").texts if t.get_gid() == "cell"]
    assert "77" in texts and not any(t.endswith(".0") for t in texts)  # integers without ".0"


def test_seed_caption_sums_to_77():
    fig = correlation_figure(SEED_I, SEED_W, at=(0, 0))
    assert caption(fig) == "O[0,0] = 5\u00b71 + 6\u00b72 + 3\u00b78 + 4\u00b79 = 77"
    assert caption(fig).endswith("= 77")


@pytest.mark.parametrize("big, small", SHAPES)
def test_random_shapes_numbers_are_the_definition(big, small):
    rng = np.random.default_rng(sum(big) * 10 + sum(small))
    I, W = rng.normal(size=big), rng.normal(size=small)
    at = (big[0] - small[0], 0)  # the bottom-left element of O
    fig = correlation_figure(I, W, at=at)
    O = drawn(grid(fig, "O"))
    assert O.shape == (big[0] - small[0] + 1, big[1] - small[1] + 1)
    assert O == pytest.approx(correlate_loop(I, W), rel=5e-3, abs=1e-9)  # drawn with 3 significant digits
    assert drawn(grid(fig, "I")) == pytest.approx(I, rel=5e-3, abs=1e-9)
    assert shaded(grid(fig, "I")) == block(*at, *small)


def test_integer_random_case_is_exact():
    rng = np.random.default_rng(3)
    I, W = rng.integers(-9, 10, size=(6, 5)), rng.integers(-3, 4, size=(2, 3))
    assert np.array_equal(drawn(grid(correlation_figure(I, W), "O")), correlate_loop(I, W))


@pytest.mark.parametrize("at", [(0, 0), (0, 2), (1, 1), (2, 0), (2, 2)])
def test_seed_window_cells(at):
    fig = correlation_figure(SEED_I, SEED_W, at=at)
    assert shaded(grid(fig, "I")) == block(*at, 2, 2)
    assert outline(grid(fig, "I")) == (*at, 2, 2)
    assert shaded(grid(fig, "O")) == {at} and outline(grid(fig, "O")) == (*at, 1, 1)
    assert shaded(grid(fig, "W")) == block(0, 0, 2, 2)  # the whole kernel takes part
    window_colour = {p.get_facecolor() for p in grid(fig, "I").patches if p.get_gid() == "window"}
    assert window_colour == {p.get_facecolor() for p in grid(fig, "O").patches if p.get_gid() == "window"}
    products, total = caption_sum(caption(fig))
    assert products == total == correlate_loop(SEED_I, SEED_W)[at]
    assert caption(fig).startswith(f"O[{at[0]},{at[1]}] = ")


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(1, 3), st.integers(1, 3), st.data())
def test_window_and_caption_anywhere(H, Wi, h, w, data):
    h, w = min(h, H), min(w, Wi)
    at = (data.draw(st.integers(0, H - h)), data.draw(st.integers(0, Wi - w)))
    I = np.arange(H * Wi).reshape(H, Wi) % 7 - 3
    W = np.arange(h * w).reshape(h, w) + 1
    fig = correlation_figure(I, W, at=at)
    assert shaded(grid(fig, "I")) == block(*at, h, w)
    assert shaded(grid(fig, "O")) == {at}
    assert np.array_equal(drawn(grid(fig, "O")), correlate_loop(I, W))
    assert caption_sum(caption(fig)) == (correlate_loop(I, W)[at],) * 2
    plt.close(fig)


def test_bias_is_added_everywhere_and_written_out():
    fig = correlation_figure(SEED_I, SEED_W, bias=0.5)
    assert np.array_equal(drawn(grid(fig, "O")), correlate_loop(SEED_I, SEED_W) + 0.5)
    assert caption(fig).startswith("O[0,0] = 5\u00b71 + 6\u00b72 + 3\u00b78 + 4\u00b79 + 0.5 = 77.5")
    assert caption_sum(caption(fig)) == (77.5, 77.5)


def test_output_comes_from_correlate2d(monkeypatch):
    calls = []

    def spy(*args, **kwargs):
        calls.append(args)
        return correlate2d(*args, **kwargs)

    monkeypatch.setattr(figures, "correlate2d", spy)
    correlation_figure(SEED_I, SEED_W)
    assert len(calls) == 1 and calls[0][0].shape == (1, 1, 4, 4) and calls[0][1].shape == (1, 1, 2, 2)


def test_readable_size():
    fig = correlation_figure(SEED_I, SEED_W)
    width, height = fig.get_size_inches()
    assert 9.5 <= width <= 12 and 3.4 <= height <= 4.5
    assert fig.get_layout_engine() is not None
    sizes = [t.get_fontsize() for ax in fig.axes for t in ax.texts if t.get_gid() == "cell"]
    assert min(sizes) >= 12
    assert {t.get_text() for ax in fig.axes for t in ax.texts if t.get_gid() == "title"} == {
        "$I$  (4\u00d74)", "$W$  (2\u00d72)", "$O$  (3\u00d73)"}


# -- Figure 4 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("big, small", SHAPES)
def test_kernel_gradient_numbers(big, small):
    rng = np.random.default_rng(7 + sum(big))
    I, J_O = rng.integers(-5, 6, size=big), rng.integers(-3, 4, size=small)
    fig = kernel_gradient_figure(I, J_O)
    J_W = drawn(grid(fig, "J_W"))
    assert J_W.shape == (big[0] - small[0] + 1, big[1] - small[1] + 1)
    assert np.array_equal(J_W, kernel_gradient_loop(I, J_O))
    direct = correlate2d(Tensor(I[None, None].astype(float)), Tensor(J_O[None, None].astype(float)))
    assert np.array_equal(J_W, direct.numpy()[0, 0])  # J^W = I star J^O
    assert np.array_equal(drawn(grid(fig, "J_O")), J_O)


def test_kernel_gradient_is_the_engines_gradient(monkeypatch):
    calls, real = [], figures.grad

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(figures, "grad", spy)
    J_W = figures.kernel_gradient(SEED_I, SEED_J_O)
    assert len(calls) == 1 and calls[0]["grad_outputs"].shape == (1, 1, 2, 2)
    assert np.array_equal(J_W, kernel_gradient_loop(SEED_I, SEED_J_O))


@pytest.mark.parametrize("at", [(0, 0), (1, 1), (2, 1), (0, 2)])
def test_kernel_gradient_window_and_caption(at):
    fig = kernel_gradient_figure(SEED_I, SEED_J_O, at=at)
    assert shaded(grid(fig, "I")) == block(*at, 2, 2) and outline(grid(fig, "I")) == (*at, 2, 2)
    assert shaded(grid(fig, "J_W")) == {at}
    assert shaded(grid(fig, "J_O")) == block(0, 0, 2, 2)
    products, total = caption_sum(caption(fig))
    assert products == total == kernel_gradient_loop(SEED_I, SEED_J_O)[at]
    assert caption(fig).startswith(f"$J^W$[{at[0]},{at[1]}] = ")


def test_kernel_gradient_seed_caption():
    fig = kernel_gradient_figure(SEED_I, SEED_J_O, at=(1, 1))
    assert caption(fig) == "$J^W$[1,1] = 1\u00b79 + (-1)\u00b710 + 2\u00b716 + 1\u00b717 = 48"


# -- bad input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("I, W, kwargs, pattern", [
    ([1, 2, 3], [[1]], {}, r"correlation_figure: .*2-d I and W.*\(3,\) and \(1, 1\)"),
    (np.zeros((2, 3, 3)), [[1]], {}, r"correlation_figure: .*\(2, 3, 3\)"),
    (np.zeros((3, 3)), np.zeros((4, 2)), {}, r"correlation_figure: W of shape \(4, 2\) is larger than I of "
                                             r"shape \(3, 3\)"),
    (np.zeros((3, 3)), np.zeros((2, 2)), {"at": (2, 0)}, r"correlation_figure: at=\(2, 0\).*O.*\(2, 2\)"),
    (np.zeros((3, 3)), np.zeros((2, 2)), {"at": (0, -1)}, r"correlation_figure: at=\(0, -1\)"),
    (np.zeros((3, 3)), np.zeros((2, 2)), {"at": (0.5, 0)}, r"correlation_figure: at=\(0.5, 0\)"),
    (np.zeros((3, 3)), np.zeros((2, 2)), {"at": 0}, r"correlation_figure: at=0"),
    ([[1, 2], [3]], [[1]], {}, r"correlation_figure: I and W must be 2-d arrays of numbers"),
    (np.zeros((3, 3)), np.zeros((2, 2)), {"bias": [1.0, 2.0]}, r"correlation_figure: bias .*\(2,\)"),
])
def test_correlation_figure_rejects(I, W, kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        correlation_figure(I, W, **kwargs)


@pytest.mark.parametrize("I, J_O, at, pattern", [
    (np.zeros(4), np.zeros((2, 2)), (0, 0), r"kernel_gradient_figure: .*\(4,\) and \(2, 2\)"),
    (np.zeros((4, 2)), np.zeros((2, 3)), (0, 0), r"kernel_gradient_figure: J_O of shape \(2, 3\) is larger "
                                                 r"than I of shape \(4, 2\)"),
    (np.zeros((4, 4)), np.zeros((2, 2)), (3, 0), r"kernel_gradient_figure: at=\(3, 0\).*J\^W.*\(3, 3\)"),
])
def test_kernel_gradient_figure_rejects(I, J_O, at, pattern):
    with pytest.raises(ValueError, match=pattern):
        kernel_gradient_figure(I, J_O, at=at)


# -- files ---------------------------------------------------------------------------------------------


def test_write_seed_figures(tmp_path, svg):
    pypdf = pytest.importorskip("pypdf")
    before = (matplotlib.rcParams["pdf.fonttype"], matplotlib.rcParams["svg.fonttype"])
    paths = write_seed_figures(tmp_path / "out")
    stems = ("figure3-cross-correlation", "figure4-kernel-gradient")
    assert [p.name for p in paths] == [f"{stem}.{ext}" for stem in stems for ext in ("png", "svg", "pdf")]
    assert all(p.parent == tmp_path / "out" and p.stat().st_size > 1000 for p in paths)
    assert svg.png_size(paths[0].read_bytes()) == (2000, 720)  # 10 x 3.6 inches at 200 dpi
    root = svg.parse(paths[1].read_bytes())
    assert "77" in {e.text for e in root.iter() if e.tag.endswith("}text")}  # text kept as text
    text3 = pypdf.PdfReader(paths[2]).pages[0].extract_text()
    text4 = pypdf.PdfReader(paths[5]).pages[0].extract_text()
    assert "77" in text3 and "= 77" in text3 and "94" not in text3
    assert all(str(x) in text3.split() for x in (95, 113, 203, 365))
    assert "= 48" in text4 and all(str(x) in text4.split() for x in (24, 30, 66, 72))
    assert (matplotlib.rcParams["pdf.fonttype"], matplotlib.rcParams["svg.fonttype"]) == before
    assert plt.get_fignums() == []  # the figures were closed


def test_write_seed_figures_formats(tmp_path):
    paths = write_seed_figures(tmp_path, formats=("svg",))
    assert [p.name for p in paths] == ["figure3-cross-correlation.svg", "figure4-kernel-gradient.svg"]
    assert all(p.read_text().lstrip().startswith("<?xml") for p in paths)


@pytest.mark.parametrize("x, text", [(77.0, "77"), (-0.0, "0"), (-3, "-3"), (0.5, "0.5"), (0.123456, "0.123"),
                                     (-2.3456, "-2.35"), (113.5, "113.5"), (1e-5, "0.00001"), (2e7, "2e+07")])
def test_number_format(x, text):
    assert figures.fmt(x) == text
