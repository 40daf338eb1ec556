"""Shared helpers for the viz tests: a small DOT reader, SVG/PNG checks, the repository root.

matplotlib draws with the Agg backend here (no display), in this process and in the subprocesses.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")  # Debian's, never a download
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

_TOKEN = re.compile(r'\s*("(?:[^"\\]|\\.)*"|->|--|[\[\]{}=;,]|[^\s\[\]{}=;,"<]+)', re.S)
_SPACE = re.compile(r"\s*")


def _html_token(source: str, pos: int) -> int:
    """The end of the HTML-like string `<...>` (nested angle brackets balanced) that starts at `pos`."""
    depth = 0
    for j in range(pos, len(source)):
        if source[j] == "<":
            depth += 1
        elif source[j] == ">":
            depth -= 1
            if depth == 0:
                return j + 1
    raise AssertionError(f"unbalanced HTML-like string at {source[pos:pos + 40]!r}")


def is_html(value: str) -> bool:
    """Whether an attribute value is an HTML-like string (kept with its outer angle brackets)."""
    return value.startswith("<") and value.endswith(">")


def _html_rows(value: str) -> list[tuple[str, np.ndarray | None]]:
    """The rows of an HTML-like label's outer table: (text, None) or ('', grid of numbers)."""
    inner = value[1:-1].strip()
    try:
        table = ET.fromstring(inner)
    except ET.ParseError as e:  # pragma: no cover - a malformed label is a failure of the test
        raise AssertionError(f"malformed HTML-like label {inner[:80]!r}: {e}") from None
    assert table.tag == "TABLE", f"HTML-like label is not a TABLE: {table.tag}"
    rows: list[tuple[str, np.ndarray | None]] = []
    for tr in table.findall("TR"):
        for td in tr.findall("TD"):
            grid = td.find("TABLE")
            if grid is None:
                rows.append(("".join(td.itertext()), None))
                continue
            numbers = [[float("".join(cell.itertext())) for cell in row.findall("TD")]
                       for row in grid.findall("TR")]
            assert numbers and len({len(r) for r in numbers}) == 1, f"ragged number grid {numbers}"
            rows.append(("", np.array(numbers, dtype=np.float64)))
    return rows


@dataclass
class Dot:
    """What a DOT text declares: nodes (name -> attributes), edges, clusters and the node of each."""

    nodes: dict[str, dict[str, str]] = field(default_factory=dict)
    edges: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    clusters: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> graph attributes
    cluster_of: dict[str, str] = field(default_factory=dict)  # node -> innermost cluster it is declared in
    mentioned: set[str] = field(default_factory=set)  # every node name, declared or only used in edges
    graph: dict[str, str] = field(default_factory=dict)  # the top-level graph's attributes

    def label(self, name: str) -> list[str]:
        """The label's lines; of an HTML-like label its text rows in order (the matrix headings too,
        e.g. 'value' or 'grad [0, 1]', but not the numbers of the grids: see `matrices`)."""
        text = self.nodes[name].get("label", name)
        if is_html(text):
            return [t for t, grid in _html_rows(text) if grid is None]
        return text.split("\n")

    def is_html(self, name: str) -> bool:
        return is_html(self.nodes[name].get("label", ""))

    def matrices(self, name: str) -> list[tuple[str, np.ndarray]]:
        """Each number grid of an HTML-like label with the heading above it: [('value', 2-d array), ...]."""
        text = self.nodes[name].get("label", "")
        if not is_html(text):
            return []
        out: list[tuple[str, np.ndarray]] = []
        rows = _html_rows(text)
        for k, (_, grid) in enumerate(rows):
            if grid is not None:
                assert k > 0 and rows[k - 1][1] is None, f"number grid without a heading in node {name}"
                out.append((rows[k - 1][0], grid))
        return out

    def by_first_line(self, first: str) -> list[str]:
        """The value/op nodes whose label starts with the line `first`."""
        return [n for n in self.nodes if self.label(n)[0] == first]

    def one(self, first: str) -> str:
        found = self.by_first_line(first)
        assert len(found) == 1, f"expected one node labelled {first!r}, found {found}"
        return found[0]

    def entry(self, name: str, key: str) -> str | None:
        """The rest of the label line that starts with `key ` ('value', 'grad', 'shape', 'rms grad')."""
        for line in self.label(name)[1:]:
            if line.startswith(key + " "):
                return line[len(key) + 1:]
        return None

    def number(self, name: str, key: str) -> float:
        text = self.entry(name, key)
        assert text is not None, f"node {name} has no {key!r} line: {self.label(name)}"
        return float(text)

    def value_nodes(self) -> list[str]:
        """Boxes: the values (every drawn node except op ellipses and the legend)."""
        return [n for n, a in self.nodes.items() if a.get("shape") == "box"]

    def op_nodes(self) -> list[str]:
        return [n for n, a in self.nodes.items() if a.get("shape") == "ellipse"]


def _unquote(tok: str) -> str:
    if tok.startswith('"'):
        return re.sub(r"\\(.)", r"\1", tok[1:-1])
    return tok


def parse_dot(source: str) -> Dot:
    """Read the DOT text that the graphviz package writes (enough of the language for viz's output)."""
    tokens = []
    pos = 0
    while pos < len(source):
        pos = _SPACE.match(source, pos).end()
        if source.startswith("<", pos):
            end = _html_token(source, pos)
            tokens.append(source[pos:end])
            pos = end
            continue
        m = _TOKEN.match(source, pos)
        if m is None:
            if source[pos:].strip() == "":
                break
            raise AssertionError(f"cannot tokenize DOT at {source[pos:pos + 40]!r}")
        tokens.append(m.group(1))
        pos = m.end()
    dot = Dot()
    stack: list[str | None] = []
    i = 0

    def attrs(j: int) -> tuple[dict[str, str], int]:
        out = {}
        assert tokens[j] == "["
        j += 1
        while tokens[j] != "]":
            if tokens[j] in (",", ";"):
                j += 1
                continue
            key, eq, value = tokens[j], tokens[j + 1], tokens[j + 2]
            assert eq == "=", f"bad attribute near {tokens[j:j + 3]}"
            out[_unquote(key)] = _unquote(value)
            j += 3
        return out, j + 1

    while i < len(tokens):
        tok = tokens[i]
        if tok in ("digraph", "graph") and i + 1 < len(tokens) and tokens[i + 1] == "{":
            stack.append(None)
            i += 2
        elif tok == "subgraph":
            name = _unquote(tokens[i + 1])
            assert tokens[i + 2] == "{"
            dot.clusters.setdefault(name, {})
            stack.append(name)
            i += 3
        elif tok == "}":
            stack.pop()
            i += 1
        elif tok == ";":
            i += 1
        elif tok in ("graph", "node", "edge") and tokens[i + 1] == "[":
            a, i = attrs(i + 1)
            if tok == "graph":
                (dot.graph if stack[-1] is None else dot.clusters[stack[-1]]).update(a)
        elif tokens[i + 1] == "=":  # a graph attribute statement (inside a subgraph: its label, style)
            target = dot.graph if stack[-1] is None else dot.clusters[stack[-1]]
            target[_unquote(tok)] = _unquote(tokens[i + 2])
            i += 3
        elif tokens[i + 1] == "->":
            src, dst = _unquote(tok), _unquote(tokens[i + 2])
            i += 3
            a = {}
            if i < len(tokens) and tokens[i] == "[":
                a, i = attrs(i)
            dot.edges.append((src, dst, a))
            dot.mentioned.update((src, dst))
        else:
            name = _unquote(tok)
            i += 1
            a = {}
            if i < len(tokens) and tokens[i] == "[":
                a, i = attrs(i)
            dot.nodes.setdefault(name, {}).update(a)
            dot.mentioned.add(name)
            if stack and stack[-1] is not None:
                dot.cluster_of[name] = stack[-1]
    assert not stack, "unbalanced braces in DOT text"
    return dot


@pytest.fixture(scope="session")
def dot_of():
    """dot_of(graphviz_graph_or_source) -> Dot."""

    def read(graph) -> Dot:
        return parse_dot(graph if isinstance(graph, str) else graph.source)

    return read


def _svg_check(data) -> ET.Element:
    text = data.decode() if isinstance(data, bytes) else data
    root = ET.fromstring(text.split("?>", 1)[1] if text.startswith("<?xml") else text)
    assert root.tag.endswith("svg"), root.tag
    return root


def svg_groups(root: ET.Element, cls: str) -> list[ET.Element]:
    """The <g class=cls> elements (node, edge, cluster) of a parsed SVG."""
    return [e for e in root.iter() if e.tag.endswith("}g") and e.get("class") == cls]


def svg_title(g: ET.Element) -> str:
    return next(e.text for e in g if e.tag.endswith("}title"))


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE, data[:8]
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="session")
def svg():
    """svg.parse(text or bytes) -> root; svg.groups(root, 'node'); svg.title(g); svg.png_size(png bytes)."""

    class _Svg:
        parse = staticmethod(_svg_check)
        groups = staticmethod(svg_groups)
        title = staticmethod(svg_title)
        png_size = staticmethod(png_size)

    return _Svg


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def subprocess_env() -> dict[str, str]:
    """The environment for child Pythons: the repository importable, Agg for matplotlib."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["MPLBACKEND"] = "Agg"
    return env


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright, shared by the browser tests; they skip without it."""
    if CHROMIUM is None:
        pytest.skip("no Chromium on PATH (.ci/run installs Debian's chromium; locally: apt install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a test extra")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
