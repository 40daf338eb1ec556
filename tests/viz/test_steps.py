"""viz.backward_steps: one frame per VJP call of the engine's record, and viz.render_frames."""

import re

import numpy as np
import pypdf
import pytest

import viz
from autograd import Tensor, grad, record_backward
from viz import backward_steps, render, render_frames, tanh_chain
from viz.steps import ARRIVES, NOT_YET, SENDS


def engine_steps(n, skip):
    """The VJP calls the engine makes for dC/dtheta of tanh^n (+ theta), recorded on a fresh chain."""
    theta, c = tanh_chain(n, skip=skip)
    seed = Tensor(np.ones(()), requires_grad=True)
    with record_backward() as records:
        grad(c, theta, grad_outputs=seed, create_graph=True)
    return records[0].steps


@pytest.fixture(scope="module")
def chain4():
    theta, c = tanh_chain(4, skip=True)
    return backward_steps(c, wrt=theta)


@pytest.fixture(scope="module")
def chain2():
    theta, c = tanh_chain(2, skip=True)
    return backward_steps(c, wrt=theta)


def by_name(frame, drawn_name):
    found = [d for d, n in frame.drawn.items() if n == drawn_name]
    assert len(found) == 1, (drawn_name, frame.drawn)
    return found[0]


@pytest.mark.parametrize("n,skip", [(1, False), (3, False), (4, True)])
def test_one_frame_per_vjp_call_and_one_before(n, skip):
    theta, c = tanh_chain(n, skip=skip)
    frames = backward_steps(c, wrt=theta)
    K = len(engine_steps(n, skip))
    assert K == len(frames[0].record.steps) == n + (1 if skip else 0)
    assert len(frames) == K + 1
    assert [f.step for f in frames] == list(range(K + 1))
    assert all(f.steps == K for f in frames)
    assert frames[0].caption.startswith(f"step 0 of {K}: before the first step")
    for k, f in enumerate(frames):
        assert f"step {k} of {K}" in f.source


def test_frame_k_highlights_the_records_adjoint_with_its_value(chain4, dot_of):
    record = chain4[0].record
    for k, (frame, step) in enumerate(zip(chain4[1:], record.steps), start=1):
        assert frame.adjoint == frame.boxes[id(step.adjoint)]
        node = dot_of(frame).nodes[frame.adjoint]
        assert node["color"] == ARRIVES and node["penwidth"] == "4"
        m = re.search(r"adjoint (d\S+) = (\S+) arrives", frame.caption)
        assert m, frame.caption
        assert float(m.group(2)) == pytest.approx(step.adjoint.item(), rel=1e-3)
        assert frame.caption.startswith(f"step {k} of 5: {step.node.op}'s VJP runs for ")
        for send in step.sends:  # what it sends: purple, and its number in the caption
            box = frame.boxes[id(send.grad)]
            if box != frame.adjoint:
                assert dot_of(frame).nodes[box]["color"] == SENDS
            assert viz.labels.num(send.grad.item()) in frame.caption.split("sends", 1)[1]
    assert chain4[0].adjoint == chain4[0].boxes[id(record.seeds[0])]  # before the first step: the seed
    last = chain4[-1]
    assert "total dC_res/dtheta = 1.454" in last.caption  # 1 + prod(1 - tanh_k^2) = 1.4545


def test_accumulation_is_marked(chain2, dot_of):
    """tanh^2 + theta: the last step adds theta's gradient via tanh1 to the 1 the skip sent."""
    last = chain2[-1]
    total = by_name(last, "dC_res/dtheta")
    assert last.totals == [total] and last.sends == [by_name(last, "dC_res/dtheta via tanh1")]
    assert "(+ onto what theta had: total dC_res/dtheta = 1.64)" in last.caption
    d = dot_of(last)
    assert d.nodes[total]["color"] == SENDS and d.nodes[total]["penwidth"] == "4"
    assert d.nodes["o" + total[1:]]["fillcolor"] != "white"  # the add oval of the sum is filled
    for f in chain2:  # a sum of several contributions has a double border in every frame (same layout)
        assert dot_of(f).nodes[total]["peripheries"] == "2"
        assert (f.totals != []) == (f.step == 3)
        assert ("+" in f.caption) == (f.step == 3)


def test_faded_nodes_are_those_not_computed_yet(chain2, dot_of):
    """By hand, tanh^2 + theta: step 1 is add's VJP (passes the seed on), step 2 tanh2's VJP makes
    1 - tanh2*tanh2 and dC/dtanh1, step 3 tanh1's VJP makes the rest."""
    later = ["1 - tanh1*tanh1", "dC_res/dtheta via tanh1", "dC_res/dtheta"]
    step2 = ["1 - tanh2*tanh2", "dC_res/dtanh1"]
    expected = {0: step2 + later, 1: step2 + later, 2: later, 3: []}
    for f in chain2:
        boxes = {f.drawn[b] for b in f.faded if not f.drawn[b].startswith("op ")}
        assert boxes == set(expected[f.step]), f.step
        d = dot_of(f)
        for name in d.nodes:
            assert (d.nodes[name].get("color") == NOT_YET) == (name in f.faded), (f.step, name)
            if name.startswith("o"):  # an op oval fades with the value it makes
                assert (name in f.faded) == ("n" + name[1:] in f.faded)
        # forward values and the seed are there from the start
        for name in ("tanh1", "tanh2", "seed dC_res/dC_res"):
            assert by_name(f, name) not in f.faded
        for src, dst, a in d.edges:  # an arrow is grey when one of its ends is not computed yet
            assert (a.get("color") == NOT_YET) == (src in f.faded or dst in f.faded)
    assert len(chain2[0].faded) == 8  # 5 boxes and 3 ovals


def test_fading_shrinks_step_by_step(chain4):
    counts = [len(f.faded) for f in chain4]
    assert counts == sorted(counts, reverse=True) and counts[-1] == 0 and counts[0] > 0


def test_frames_are_deterministic(chain4):
    theta, c = tanh_chain(4, skip=True)
    again = backward_steps(c, wrt=theta)
    assert [f.source for f in again] == [f.source for f in chain4]
    assert len({f.source for f in chain4}) == len(chain4)


def node_positions(svg_root, svg):
    """{DOT node: [(x, y) of each text line]}: where each node is drawn."""
    return {svg.title(g): [(e.get("x"), e.get("y")) for e in g.iter() if e.tag.endswith("}text")]
            for g in svg.groups(svg_root, "node")}


def test_every_frame_has_the_same_layout(chain4, svg):
    roots = [svg.parse(f.pipe(format="svg", encoding="utf-8")) for f in chain4]
    sizes = {(r.get("width"), r.get("height")) for r in roots}
    assert len(sizes) == 1
    first = node_positions(roots[0], svg)
    assert len(first) == len(chain4[0].drawn)
    for r in roots[1:]:
        assert node_positions(r, svg) == first


def test_render_frames_numbered_files_and_one_pdf(chain4, tmp_path, svg):
    files = render_frames(chain4, tmp_path / "steps", formats=("svg", "png", "pdf"))
    K1 = len(chain4)
    assert files == ([tmp_path / f"steps-{k:02d}.svg" for k in range(1, K1 + 1)]
                     + [tmp_path / f"steps-{k:02d}.png" for k in range(1, K1 + 1)] + [tmp_path / "steps.pdf"])
    for k in range(1, K1 + 1):
        root = svg.parse((tmp_path / f"steps-{k:02d}.svg").read_text())
        assert len(svg.groups(root, "node")) == len(chain4[0].drawn)
        w, h = svg.png_size((tmp_path / f"steps-{k:02d}.png").read_bytes())
        assert w > 100 and h > 100
    reader = pypdf.PdfReader(tmp_path / "steps.pdf")
    assert len(reader.pages) == K1
    for k, page in enumerate(reader.pages):
        text = " ".join(page.extract_text().split())
        assert f"step {k} of {K1 - 1}" in text, text[:200]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f.name for f in files)


def test_render_takes_a_list_of_frames_and_slide_size(chain2, tmp_path, svg):
    files = render(chain2, tmp_path / "s", formats=("svg", "pdf"), size="slide")
    assert files == [tmp_path / f"s-0{k}.svg" for k in range(1, 5)] + [tmp_path / "s.pdf"]
    sizes = set()
    for f in files[:-1]:
        root = svg.parse(f.read_text())
        w, h = (float(root.get(a).removesuffix("px")) for a in ("width", "height"))
        assert max(w / 1920, h / 1080) == pytest.approx(1, abs=0.01)  # fills the slide one way
        sizes.add((w, h))
    assert len(sizes) == 1  # one layout for every frame
    assert len(pypdf.PdfReader(files[-1]).pages) == 4


def test_render_frames_rejects_bad_arguments(chain2, tmp_path):
    with pytest.raises(ValueError, match="no frames"):
        render_frames([], tmp_path / "x")
    with pytest.raises(ValueError, match="formats must be among"):
        render_frames(chain2, tmp_path / "x", formats=("gif",))
    with pytest.raises(ValueError, match="size must be"):
        render_frames(chain2, tmp_path / "x", size="poster")
    with pytest.raises(TypeError, match="frame 1"):
        render_frames([chain2[0], "digraph {}"], tmp_path / "x")
    assert list(tmp_path.iterdir()) == []


def test_figure4_frames_show_the_correlation_step():
    from viz.figures import figure4_graph

    root, w = figure4_graph()
    frames = backward_steps(root, wrt=w, values=True)
    ops = [s.node.op for s in frames[0].record.steps]
    assert len(frames) == len(ops) + 1 and "correlate2d" in ops
    k = ops.index("correlate2d") + 1
    assert frames[k].caption.startswith(f"step {k} of {len(ops)}: correlate2d's VJP runs for ")
    assert frames[-1].faded == []
