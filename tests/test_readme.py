"""The README stays true: its example prints what its comments say; its commands exist."""

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _python_blocks():
    return re.findall(r"```python\n(.*?)```", README, flags=re.S)


def test_readme_example_prints_what_its_comments_say():
    (block,) = _python_blocks()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, "README.md", "exec"), {})
    printed = out.getvalue().splitlines()
    expected = [line.split("#")[1] for line in block.splitlines() if line.startswith("print(")]
    assert len(expected) == 2
    for shown, comment in zip(printed, expected, strict=True):
        got = [float(v) for v in shown.split()]
        want = [float(v) for v in comment.split()]
        assert got == pytest.approx(want, abs=1e-4)


def test_readme_commands_are_make_targets_and_ci_runs_the_test_command():
    makefile = (ROOT / "Makefile").read_text()
    for command in re.findall(r"^make (\w+)", README, flags=re.M):
        assert re.search(rf"^{command}:", makefile, flags=re.M), f"README names 'make {command}'"
    assert "make test" in (ROOT / ".ci" / "run").read_text()
