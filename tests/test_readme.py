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
    """The comment starts with what was printed: numbers to the digits shown, other words exactly.

    Words after those (an explanation) are not compared.
    """
    got, want = shown.split(), comment.split()[: len(shown.split())]
    if len(got) != len(want):
        return False
    for g, w in zip(got, want):
        g, w = g.rstrip(":,;"), w.rstrip(":,;")
        try:
            if abs(float(g) - float(w)) > 1e-4:
                return False
        except ValueError:
            if g != w:
                return False
    return True


@pytest.mark.parametrize("index", range(len(_python_blocks())))
def test_readme_examples_print_what_their_comments_say(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # files an example writes land here
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
