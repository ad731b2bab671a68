from __future__ import annotations

import importlib

import pytest

from distillbench import registry
from distillbench.errors import UnknownNameError
from distillbench.registry import BUILTIN_MODULES, METHODS, Registry


@pytest.mark.parametrize("module", BUILTIN_MODULES)
def test_every_builtin_module_registers_something(module: str) -> None:
    registry.load_components()
    mod = importlib.import_module(module)
    origins = [reg.origin(name) for reg in registry.ALL for name in reg.names()]
    assert any(o.startswith(mod.__name__ + ".") for o in origins), f"{module} registered nothing"


def test_unknown_name_lists_known_names_and_closest_match() -> None:
    with pytest.raises(UnknownNameError) as info:
        METHODS.get("fitnett")
    msg = str(info.value)
    assert "unknown method 'fitnett'" in msg
    assert "Did you mean 'fitnet'?" in msg
    for name in ("no_kd", "kd", "dkd", "at"):
        assert name in msg


def test_unknown_name_without_close_match_still_lists_names() -> None:
    with pytest.raises(UnknownNameError) as info:
        METHODS.get("zzzzzz")
    assert "Did you mean" not in str(info.value)
    assert "no_kd" in str(info.value)


def test_duplicate_registration_is_an_error() -> None:
    reg: Registry = Registry("thing")

    @reg.register("a")
    class A: ...

    with pytest.raises(ValueError, match="registered twice"):

        @reg.register("a")
        class B: ...

    assert reg.get("a") is A
    assert A.registry_name == "a"


def test_plugins_register_through_entry_points(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    plugin = tmp_path / "my_kd_plugin.py"
    plugin.write_text(
        "from distillbench.registry import METHODS\n"
        "from distillbench.methods.no_kd import NoKD\n"
        "@METHODS.register('plugin_kd')\n"
        "class PluginKD(NoKD):\n"
        "    '''A third-party method.'''\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    class EP:
        name, value = "mine", "my_kd_plugin"

        def load(self):
            return importlib.import_module("my_kd_plugin")

    class Broken:
        name, value = "broken", "does_not_exist"

        def load(self):
            raise ImportError("nope")

    monkeypatch.setattr(registry, "entry_points", lambda group: [Broken(), EP()])
    monkeypatch.setattr(registry, "_loaded", False)
    registry.load_components()
    assert "plugin_kd" in METHODS
    assert "kd" in METHODS  # a broken plugin does not hide the built-ins
