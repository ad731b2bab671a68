"""Every code example in README.md and docs/*.md is either executed here or marked as illustrative.

- a ``python`` block is executed, unless the line right before its fence is ``<!-- illustrative -->`` or
  ``<!-- tested by tests/....py -->`` (that test reads the block from the page and executes it);
- a ``bash`` / ``console`` / ``sh`` block must be marked: ``<!-- run -->`` runs it (only ``distillbench`` commands,
  in this process, offline: cheap ones such as ``ls`` and ``show``), ``<!-- illustrative -->`` shows it only. In a
  ``console`` block each ``$ `` line is a command and the lines under it are output that must appear in the real
  output, in order; a ``...`` line stands for lines left out;
- a ``yaml`` block must parse, and one whose first line is ``# tasks/<card>.yaml`` or ``# benchmarks/<suite>.yaml``
  must be a subset of that file (abridged, never different).

The checks return what is wrong (a list of messages), so the tests at the end can show on made-up pages that
each rule fails when it should.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUN, ILLUSTRATIVE = "<!-- run -->", "<!-- illustrative -->"
#: ``<!-- tested by tests/x.py -->`` before a fence: that test executes the block itself (and reads it from the page)
TESTED_BY = re.compile(r"<!-- tested by (tests/[\w/]+\.py) -->")
SHELL = {"bash", "console", "sh", "shell"}
#: the README stays a map; the manual is in docs/ (issue 21)
README_MAX_LINES = 200


@dataclass(frozen=True)
class Block:
    """One fenced code block: where it is, its language, the marker line before it and its text."""

    path: Path
    line: int
    lang: str
    marker: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path.name}:{self.line}"


def fenced_blocks(path: Path, text: str | None = None) -> list[Block]:
    """The fenced blocks of a Markdown file (fences at the start of a line)."""
    lines = (path.read_text(encoding="utf-8") if text is None else text).splitlines()
    blocks, i = [], 0
    while i < len(lines):
        found = re.match(r"```(\w*)\s*$", lines[i])
        if not found:
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if lines[j].rstrip() == "```"), None)
        assert end is not None, f"{path}:{i + 1}: a code fence that is never closed"
        marker = lines[i - 1].strip() if i > 0 else ""
        blocks.append(Block(path, i + 1, found.group(1), marker, "\n".join(lines[i + 1 : end])))
        i = end + 1
    return blocks


# ----------------------------------------------------------------------------- the checks


def check_python(block: Block) -> list[str]:
    if block.marker == ILLUSTRATIVE:
        return []
    tested_by = TESTED_BY.fullmatch(block.marker)
    if tested_by:
        test = ROOT / tested_by.group(1)
        page = block.where.split(":")[0]
        if not test.is_file() or page not in test.read_text(encoding="utf-8").replace('" / "', "/"):
            return [f"{block.where}: {tested_by.group(1)} should execute this block, but does not read {page}"]
        return []
    try:
        exec(compile(block.text, block.where, "exec"), {"__name__": "__docs__"})
    except Exception as exc:  # the message names the block; the traceback is pytest's
        return [f"{block.where}: the python example raised {type(exc).__name__}: {exc}"]
    return []


def output_matches(expected: list[str], actual: list[str]) -> bool:
    """``expected`` lines equal ``actual`` lines, where a ``...`` line stands for any number of lines."""
    pattern = "".join(".*?" if line.strip() == "..." else re.escape(line.rstrip() + "\n") for line in expected)
    return re.fullmatch(pattern, "".join(line.rstrip() + "\n" for line in actual), flags=re.DOTALL) is not None


def run_distillbench(command: str) -> tuple[int, str]:
    """Run one ``distillbench ...`` command line in this process; its exit code and output."""
    from typer.testing import CliRunner

    from distillbench.cli import app

    result = CliRunner().invoke(app, shlex.split(command)[1:])
    error = f"\n{type(result.exception).__name__}: {result.exception}" if result.exit_code and result.exception else ""
    return result.exit_code, result.output + error


def check_shell(block: Block) -> list[str]:
    if block.marker == ILLUSTRATIVE:
        return []
    if block.marker != RUN:
        return [f"{block.where}: a {block.lang} block needs {RUN} (run by tests/unit/test_docs.py) or {ILLUSTRATIVE}"]
    steps: list[tuple[str, list[str]]] = []
    for line in block.text.splitlines():
        if block.lang == "console":
            if line.startswith("$ "):
                steps.append((line[2:].strip(), []))
            elif steps:
                steps[-1][1].append(line)
            elif line.strip():
                return [f"{block.where}: output before the first `$ ` command"]
        elif line.strip() and not line.lstrip().startswith("#"):
            steps.append((line.strip(), ["..."]))
    problems = []
    for command, expected in steps:
        if not command.startswith("distillbench "):
            problems.append(
                f"{block.where}: only `distillbench` commands run here, not {command!r}; mark it illustrative"
            )
            continue
        code, output = run_distillbench(command)
        if code != 0:
            problems.append(f"{block.where}: `{command}` exited {code}:\n{output[-2000:]}")
        elif block.lang == "console" and not output_matches(expected or ["..."], output.splitlines()):
            problems.append(f"{block.where}: `{command}` printed something else:\n{output[-3000:]}")
    return problems


def is_subset(part: Any, whole: Any) -> bool:
    """Every key of ``part`` is in ``whole`` with the same value (recursively); lists item by item."""
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(k in whole and is_subset(v, whole[k]) for k, v in part.items())
    if isinstance(part, list) and part and isinstance(part[0], dict):
        return isinstance(whole, list) and len(part) <= len(whole) and all(map(is_subset, part, whole))
    return part == whole


def check_yaml(block: Block, root: Path = ROOT) -> list[str]:
    if block.marker == ILLUSTRATIVE:
        return []
    try:
        data = yaml.safe_load(block.text)
    except yaml.YAMLError as exc:
        return [f"{block.where}: the yaml example does not parse: {exc}"]
    source = re.match(r"#\s*((?:tasks|benchmarks)/[\w.-]+\.yaml)", block.text)
    if source and not is_subset(data, yaml.safe_load((root / source.group(1)).read_text(encoding="utf-8"))):
        return [
            f"{block.where}: this excerpt differs from {source.group(1)} (an excerpt may leave keys out, not change)"
        ]
    return []


def check(block: Block) -> list[str]:
    if block.lang == "python":
        return check_python(block)
    if block.lang in SHELL:
        return check_shell(block)
    if block.lang == "yaml":
        return check_yaml(block)
    return []


# ----------------------------------------------------------------------------- the pages


ALL_BLOCKS = [b for page in PAGES for b in fenced_blocks(page) if b.lang in {"python", "yaml"} | SHELL]


@pytest.fixture
def offline_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.setenv(name, "1")


@pytest.mark.parametrize("block", ALL_BLOCKS, ids=[b.where for b in ALL_BLOCKS])
def test_code_example(block: Block, offline_root: None) -> None:
    problems = check(block)
    assert not problems, "\n".join(problems)


def test_the_docs_have_examples_that_run() -> None:
    """The rules above have something to act on: runnable shell examples and card excerpts exist."""
    assert sum(b.marker == RUN for b in ALL_BLOCKS) >= 3
    assert any(b.lang == "yaml" and b.text.startswith("# tasks/") for b in ALL_BLOCKS)


def test_readme_is_a_map_of_at_most_200_lines() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move the manual into docs/"


def test_every_page_is_in_the_nav() -> None:
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]
    listed = {page for entry in nav for page in entry.values()}
    assert listed == {p.name for p in PAGES if p.parent.name == "docs"}


def test_the_methods_overview_lists_every_builtin_method() -> None:
    """The hand-written "At a glance" table of docs/methods.md names exactly the registered built-in methods."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("docs_reference", ROOT / "scripts" / "docs_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (ROOT / "docs" / "methods.md").read_text(encoding="utf-8")
    overview = text.split("## At a glance", 1)[1].split("\n## ", 1)[0]
    assert set(re.findall(r"^\| `(\w+)` \|", overview, flags=re.MULTILINE)) == set(module.builtin_methods())


# ----------------------------------------------------------------------------- the rules themselves


RUN_CONSOLE = f"{RUN}\n```console\n$ distillbench ls formats\n"
#: (a made-up page holding one block, a text its one problem must contain, or "" for none)
RULE_CASES = [
    ("```bash\ndistillbench run default\n```", "needs <!-- run -->"),
    (f"{ILLUSTRATIVE}\n```bash\ndistillbench run default\n```", ""),
    (f"{RUN}\n```bash\nrm -rf runs\n```", "only `distillbench` commands run here"),
    (f"{RUN_CONSOLE}csv, html, json, md, tex\n```", ""),
    (f"{RUN_CONSOLE}csv, md\n```", "printed something else"),
    (f"{RUN}\n```console\n$ distillbench ls nothing\n```", "`distillbench ls nothing` exited 1"),
    ("```python\nx = 1 + 1\nassert x == 2\n```", ""),
    ("```python\n1 / 0\n```", "ZeroDivisionError"),
    (f"{ILLUSTRATIVE}\n```python\n1 / 0\n```", ""),
    ("```yaml\n# tasks/digits.yaml (abridged)\nname: digits\ntask: image_classification\n```", ""),
    ("```yaml\n# tasks/digits.yaml\nname: not-digits\n```", "differs from tasks/digits.yaml"),
    ("```yaml\nkey: [unclosed\n```", "does not parse"),
]


@pytest.mark.parametrize(("page", "problem"), RULE_CASES)
def test_each_rule_passes_and_fails_when_it_should(page: str, problem: str, offline_root: None) -> None:
    (block,) = fenced_blocks(ROOT / "made-up.md", page)
    problems = check(block)
    if problem:
        assert len(problems) == 1 and problem in problems[0], problems
    else:
        assert problems == []


def test_output_matching_with_gaps() -> None:
    actual = ["a", "b", "c", "d"]
    assert output_matches(["a", "...", "d"], actual)
    assert output_matches(["...", "b", "c", "..."], actual)
    assert not output_matches(["a", "c"], actual)  # c does not follow a
    assert not output_matches(["...", "b"], actual)  # the output goes on after b
