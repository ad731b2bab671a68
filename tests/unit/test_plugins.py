"""Include paths and components from outside distillbench: loading, errors, card lookup, fingerprint, session code.

Everything runs in this process on a throw-away include dir; the fixture restores sys.path, the registries and the
include state afterwards. The example plugin's real runs, in job processes, are in tests/integration/test_plugins.py.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from distillbench import plugins, registry
from distillbench.components import session_source, unreachable
from distillbench.config import SuiteConfig, from_dict, load_card, load_suite
from distillbench.errors import ConfigError, DistillbenchError, UnknownNameError
from distillbench.fingerprint import code_fingerprint, package_fingerprint
from distillbench.jobs import expand_jobs
from distillbench.plugins import PluginError, add_include_paths, source_files
from distillbench.runner import in_process
from distillbench.validate import validate_suite
from tests.conftest import ROOT

MODULE = '''"""A component from an include dir."""
from torch import nn
from distillbench.registry import ARCHITECTURES


@ARCHITECTURES.register("incl_mlp")
def incl_mlp(num_classes: int, in_channels: int, image_size: int, hidden: int = 8) -> nn.Module:
    """A one-hidden-layer MLP."""
    return nn.Sequential(nn.Flatten(), nn.Linear(in_channels * image_size**2, hidden), nn.ReLU(),
                         nn.Linear(hidden, num_classes))
'''
DIGITS = (ROOT / "tasks" / "digits.yaml").read_text()
CARD = DIGITS.replace("name: digits", "name: incl_card").replace(
    'model: "local:cnn(width=4, depth=2)"', 'model: "local:incl_mlp(hidden=8)"'
)
SUITE = "name: incl_suite\ntasks:\n  - card: incl_card\n    methods: [no_kd, kd]\nseeds: [0]\n"


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """No include dirs; afterwards: sys.path, the registries and the modules imported from tmp_path as before."""
    registry.load_components()
    monkeypatch.setattr(plugins, "_include", [])
    monkeypatch.setattr(plugins, "_imported", set())
    monkeypatch.setattr(sys, "path", list(sys.path))
    saved = [(reg, dict(reg._items), dict(reg._origins)) for reg in registry.ALL]
    yield
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(tmp_path)):
            del sys.modules[name]
    for reg, items, origins in saved:
        reg._items.clear()
        reg._items.update(items)
        reg._origins.clear()
        reg._origins.update(origins)


@pytest.fixture
def include_dir(tmp_path: Path, fresh: None) -> Path:
    """An include dir with one component module, a card using it and a suite."""
    folder = tmp_path / "my_plugins"
    (folder / "tasks").mkdir(parents=True)
    (folder / "benchmarks").mkdir()
    (folder / "my_comp.py").write_text(MODULE)
    (folder / "tasks" / "incl_card.yaml").write_text(CARD)
    (folder / "benchmarks" / "incl_suite.yaml").write_text(SUITE)
    add_include_paths([folder])
    registry.load_components()
    return folder


def test_a_missing_include_dir_is_a_config_error(tmp_path: Path, fresh: None) -> None:
    with pytest.raises(ConfigError, match=r"--include-path .*nope: does not exist"):
        add_include_paths([tmp_path / "nope"])
    (tmp_path / "file.py").write_text("")
    with pytest.raises(ConfigError, match="is a file, not a directory"):
        add_include_paths([tmp_path / "file.py"])


@pytest.mark.parametrize(
    ("source", "line", "error"),
    [
        ("x = 1\ndef f(:\n    pass\n", 2, "SyntaxError: invalid syntax"),
        ("import os\n\nraise ValueError('bad default')\n", 3, "ValueError: bad default"),
        ("import no_such_package_xyz\n", 1, "ModuleNotFoundError: No module named 'no_such_package_xyz'"),
    ],
)
def test_a_module_that_fails_to_import_names_its_file_line_and_error(
    tmp_path: Path, fresh: None, source: str, line: int, error: str
) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "broken_mod.py").write_text(source)
    add_include_paths([folder])
    with pytest.raises(PluginError) as info:
        registry.load_components()
    assert str(info.value).startswith(f"{folder / 'broken_mod.py'}:{line}: cannot import 'broken_mod'")
    assert error in str(info.value)


def test_the_cli_stops_with_exit_2_before_any_job(tmp_path: Path) -> None:
    (tmp_path / "broken_mod.py").write_text("def f(:\n")
    proc = subprocess.run(
        [sys.executable, "-m", "distillbench.cli", "run", "quick", "--smoke", "--include-path", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert f"{tmp_path / 'broken_mod.py'}:1: cannot import 'broken_mod'" in proc.stderr.replace("\n", "")
    assert not (tmp_path / "runs").exists()  # nothing started


def test_include_dir_components_cards_and_suites(include_dir: Path) -> None:
    assert registry.ARCHITECTURES.origin("incl_mlp") == "my_comp.incl_mlp"
    assert load_card("incl_card").path == str(include_dir / "tasks" / "incl_card.yaml")
    lines = validate_suite("incl_suite")
    assert "incl_card" in lines[1] and "4 job(s)" in lines[-1]
    jobs = expand_jobs(load_suite("incl_suite"), cache_dir="")
    assert {tuple(j.include) for j in jobs} == {(str(include_dir),)}  # what a job process imports first
    assert {tuple(j.plugins) for j in jobs} == {("my_comp",)}
    assert {j.code for j in jobs} == {code_fingerprint(["my_comp"])}
    assert jobs[0].code.startswith(package_fingerprint() + "+ext.")
    builtin = expand_jobs(load_suite("quick"), cache_dir="")  # a card of built-ins only: ids as before
    assert {j.code for j in builtin} == {package_fingerprint()} and not any(j.plugins for j in builtin)


def test_the_fingerprint_follows_the_include_dirs_source(include_dir: Path) -> None:
    (include_dir / "helper.py").write_text("SCALE = 1\n")
    assert [label for label, _ in source_files(["my_comp"])] == ["helper.py", "my_comp.py"]  # relative labels
    before = code_fingerprint(["my_comp"])
    (include_dir / "helper.py").write_text("SCALE = 2\n")  # a helper the component may use
    assert code_fingerprint(["my_comp"]) != before
    assert code_fingerprint([]) == package_fingerprint()


def test_a_name_defined_twice_is_an_error_naming_both_files(include_dir: Path) -> None:
    (include_dir / "tasks" / "digits.yaml").write_text(DIGITS)
    with pytest.raises(ConfigError) as info:
        load_card("digits")
    assert "task card name 'digits' is defined more than once" in str(info.value)
    assert str(include_dir / "tasks" / "digits.yaml") in str(info.value)
    assert str(ROOT / "tasks" / "digits.yaml") in str(info.value)
    assert load_card(str(ROOT / "tasks" / "digits.yaml")).name == "digits"  # a path is never ambiguous


def test_a_module_name_taken_elsewhere_is_an_error(tmp_path: Path, fresh: None) -> None:
    folder = tmp_path / "shadow"
    folder.mkdir()
    (folder / "yaml.py").write_text("")
    add_include_paths([folder])
    with pytest.raises(PluginError, match=r"module 'yaml' on --include-path .* clashes with the module"):
        registry.load_components()


def test_an_unknown_component_names_the_include_paths_searched(include_dir: Path) -> None:
    with pytest.raises(UnknownNameError) as info:
        registry.ARCHITECTURES.get("incl_mlpp")
    message = str(info.value)
    assert "Did you mean 'incl_mlp'?" in message
    assert f"include paths ({include_dir})" in message and "entry-point plugins (distillbench.plugins" in message


def test_registering_again_from_the_same_module_replaces(fresh: None) -> None:
    code = "from distillbench.registry import METHODS\nfrom distillbench.methods.no_kd import NoKD\n"
    code += "@METHODS.register('cell_kd')\nclass CellKD(NoKD):\n    '''A method typed into a notebook cell.'''\n"
    first, second = {"__name__": "__cell__"}, {"__name__": "__cell__"}
    exec(code, first)
    exec(code, second)  # the cell run again
    assert registry.METHODS.get("cell_kd") is second["CellKD"]
    with pytest.raises(ValueError, match="registered twice"):
        exec(code, {"__name__": "__other__"})


def test_session_components_run_in_process_with_a_warning(fresh: None, tmp_path: Path, caplog) -> None:
    code = "from torch import nn\nfrom distillbench.registry import ARCHITECTURES\n"
    code += (
        "@ARCHITECTURES.register('sess_mlp')\ndef sess_mlp(num_classes, **_):\n    return nn.LazyLinear(num_classes)\n"
    )
    exec(compile(code, "<cell>", "exec"), {"__name__": "__session__"})
    path = tmp_path / "sess.yaml"
    path.write_text(
        DIGITS.replace("name: digits", "name: sess").replace("local:cnn(width=4, depth=2)", "local:sess_mlp")
    )
    card = load_card(str(path))
    assert unreachable(card, ["no_kd"], "local") == ["local architecture sess_mlp"]
    before = session_source(card, ["no_kd"])
    edited = code.replace("LazyLinear(num_classes)", "LazyLinear(num_classes, bias=False)")
    exec(compile(edited, "<cell>", "exec"), {"__name__": "__session__"})  # the cell edited and run again
    assert session_source(card, ["no_kd"]) != before  # so its jobs run again
    suite = from_dict(SuiteConfig, {"name": "s", "tasks": [{"card": str(path), "methods": ["no_kd"]}]})
    with caplog.at_level(logging.WARNING, logger="distillbench"):
        assert in_process(suite, "local", None)
    assert "local architecture sess_mlp: defined in this session" in caplog.text
    with pytest.raises(DistillbenchError, match="job processes cannot import it"):
        in_process(suite, "local", True)
    with pytest.raises(DistillbenchError, match="or in the script, which Ray workers do not run"):
        in_process(suite, "ray", None)
    assert in_process(suite, "local", False)
