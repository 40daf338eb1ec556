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


def _matches(shown: str, comment: str) -> bool:
    """Numbers agree to the digits the comment shows; anything else must read the same."""
    try:
        got, want = [float(v) for v in shown.split()], [float(v) for v in comment.split()]
    except ValueError:
        return shown.strip() == comment.strip()
    return len(got) == len(want) and all(abs(g - w) <= 1e-4 for g, w in zip(got, want))


@pytest.mark.parametrize("index", range(len(_python_blocks())))
def test_readme_examples_print_what_their_comments_say(index):
    block = _python_blocks()[index]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, "README.md", "exec"), {})
    printed = out.getvalue().splitlines()
    expected = [line.split("#", 1)[1] for line in block.splitlines() if line.startswith("print(")]
    assert expected and len(printed) == len(expected)
    for shown, comment in zip(printed, expected, strict=True):
        assert _matches(shown, comment), (shown, comment)


def test_readme_commands_are_make_targets_and_ci_runs_the_test_command():
    makefile = (ROOT / "Makefile").read_text()
    for command in re.findall(r"^make (\w+)", README, flags=re.M):
        assert re.search(rf"^{command}:", makefile, flags=re.M), f"README names 'make {command}'"
    assert "make test" in (ROOT / ".ci" / "run").read_text()
