from __future__ import annotations

import pytest

from distillbench.config import (
    SuiteConfig,
    TaskCard,
    TrainConfig,
    from_dict,
    list_names,
    load_card,
    load_suite,
)
from distillbench.errors import ConfigError
from distillbench.models.spec import parse_spec
from distillbench.validate import validate_suite
from distillbench.yamlio import load_yaml

CARD = """\
name: tiny
task: image_classification
data: {source: sklearn_digits}
teacher: {name: t, model: "local:cnn(width=8)"}
students:
  - {name: s, model: "local:cnn(width=2)"}
methods: {no_kd: {}, kd: {temperature: 2.0}}
"""


def test_malformed_yaml_names_file_and_line(write) -> None:
    p = write("bad.yaml", "name: x\ntasks:\n  - card: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_yaml(p)
    assert f"{p}:4" in str(info.value) or f"{p}:3" in str(info.value)
    assert "malformed YAML" in str(info.value)


def test_unknown_key_names_file_line_and_key(write) -> None:
    p = write("suite.yaml", "name: s\ntasks:\n  - card: digits\nseedz: [1]\n")
    with pytest.raises(ConfigError) as info:
        from_dict(SuiteConfig, load_yaml(p))
    msg = str(info.value)
    assert f"{p}:4" in msg and "unknown key 'seedz'" in msg and "seeds" in msg


def test_unknown_nested_key_points_at_its_line(write) -> None:
    p = write(
        "card.yaml", CARD.replace("data: {source: sklearn_digits}", "data:\n  source: sklearn_digits\n  optons: {}")
    )
    with pytest.raises(ConfigError) as info:
        from_dict(TaskCard, load_yaml(p))
    assert f"{p}:5" in str(info.value) and "'optons'" in str(info.value)


def test_wrong_type_and_missing_keys(write) -> None:
    p = write("t.yaml", "epochs: three\n")
    with pytest.raises(ConfigError, match="'epochs' must be int"):
        from_dict(TrainConfig, load_yaml(p))
    p = write("s.yaml", "name: s\n")
    with pytest.raises(ConfigError, match=r"missing required key.*tasks"):
        from_dict(SuiteConfig, load_yaml(p))
    with pytest.raises(ConfigError, match="optimizer must be"):
        from_dict(TrainConfig, {"optimizer": "lbfgs"})
    assert from_dict(TrainConfig, {"lr": 1}).lr == 1.0  # ints are fine for floats


def test_include_merges_and_own_keys_win(write) -> None:
    write("_base.yaml", "seeds: [0, 1]\ndevice: cpu\nmeasure: {repeats: 5, min_iters: 7}\n")
    p = write("suite.yaml", "include: _base.yaml\nname: s\ntasks: [{card: digits}]\nmeasure: {repeats: 2}\n")
    suite = from_dict(SuiteConfig, load_yaml(p))
    assert suite.seeds == [0, 1] and suite.device == "cpu"
    assert suite.measure.repeats == 2 and suite.measure.min_iters == 7


def test_include_errors_name_the_included_file(write) -> None:
    base = write("_base.yaml", "sedes: [0]\n")
    p = write("suite.yaml", "include: _base.yaml\nname: s\ntasks: [{card: digits}]\n")
    with pytest.raises(ConfigError) as info:
        from_dict(SuiteConfig, load_yaml(p))
    assert f"{base}:1" in str(info.value)


def test_include_cycle_is_detected(write) -> None:
    write("a.yaml", "include: b.yaml\nx: 1\n")
    write("b.yaml", "include: a.yaml\ny: 1\n")
    with pytest.raises(ConfigError, match="include cycle"):
        load_yaml(write("c.yaml", "include: a.yaml\n"))


def test_empty_missing_and_non_mapping_files(write, tmp_path) -> None:
    with pytest.raises(ConfigError, match="empty"):
        load_yaml(write("e.yaml", ""))
    with pytest.raises(ConfigError, match="not found"):
        load_yaml(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_yaml(write("l.yaml", "- 1\n- 2\n"))
    with pytest.raises(ConfigError, match="duplicate key 'a'"):
        load_yaml(write("d.yaml", "a: 1\na: 2\n"))


def test_yaml_tags_that_run_code_are_refused(write) -> None:
    with pytest.raises(ConfigError):
        load_yaml(write("evil.yaml", "x: !!python/object/apply:os.system ['echo pwned']\n"))


def test_card_rules(write) -> None:
    with pytest.raises(ConfigError, match="no_kd"):
        from_dict(TaskCard, load_yaml(write("c.yaml", CARD.replace("no_kd: {}, ", ""))))
    card = from_dict(TaskCard, load_yaml(write("ok.yaml", CARD)))
    assert card.student("s").model == "local:cnn(width=2)"
    with pytest.raises(ConfigError, match="no student 'x'"):
        card.student("x")


def test_unknown_suite_and_card_names_suggest() -> None:
    with pytest.raises(ConfigError, match="Did you mean 'default'"):
        load_suite("defualt")
    with pytest.raises(ConfigError, match="unknown task card"):
        load_card("no_such_task")


@pytest.mark.parametrize("name", list_names("benchmarks"))
def test_every_shipped_suite_validates(name: str) -> None:
    lines = validate_suite(name)
    assert lines[-1].strip().endswith("job(s)")


def test_every_shipped_card_loads() -> None:
    names = list_names("tasks")
    assert {"image_classification", "digits"} <= set(names)
    for name in names:
        assert load_card(name).name == name


@pytest.mark.parametrize(
    ("text", "scheme", "name", "kwargs"),
    [
        ("timm:resnet18", "timm", "resnet18", {}),
        ("local:cnn(width=32, depth=4)", "local", "cnn", {"width": 32, "depth": 4}),
        ("local:resnet(blocks=[1, 2], width=8)", "local", "resnet", {"blocks": [1, 2], "width": 8}),
        ("timm:vit_tiny_patch16_224(pretrained=True)", "timm", "vit_tiny_patch16_224", {"pretrained": True}),
    ],
)
def test_parse_spec(text: str, scheme: str, name: str, kwargs: dict) -> None:
    spec = parse_spec(text)
    assert (spec.scheme, spec.name, spec.kwargs) == (scheme, name, kwargs)


@pytest.mark.parametrize("text", ["resnet18", "local:cnn(32)", "local:cnn(width=__import__('os'))", "local:cnn(**x)"])
def test_malformed_specs_are_rejected(text: str) -> None:
    with pytest.raises(ConfigError, match="malformed"):
        parse_spec(text)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("task: image_classification", "task: image_clasification", "Did you mean 'image_classification'"),
        ('model: "local:cnn(width=2)"', 'model: "local:cnm(width=2)"', "Did you mean 'cnn'"),
        ('model: "local:cnn(width=2)"', 'model: "tim:resnet18"', "Did you mean 'timm'"),
        ("kd: {temperature: 2.0}", "kd: {temprature: 2.0}", "unknown key 'temprature'"),
        ("kd: {temperature: 2.0}", "kdd: {}", "Did you mean 'kd'"),
        ("data: {source: sklearn_digits}", "data: {source: sklearn_digit}", "Did you mean 'sklearn_digits'"),
    ],
)
def test_validate_catches_unknown_names_in_cards(write, old: str, new: str, message: str) -> None:
    from distillbench.errors import DistillbenchError

    card = write("card.yaml", CARD.replace(old, new))
    suite = write("suite.yaml", f"name: s\ntasks: [{{card: {card}}}]\n")
    with pytest.raises(DistillbenchError, match=message):
        validate_suite(str(suite))


@pytest.mark.parametrize(("in_chans", "ok"), [(1, True), (3, False)])
def test_explicit_in_chans_must_match_the_data(write, in_chans: int, ok: bool) -> None:
    """sklearn digits are 1-channel: in_chans=1 is accepted (builds and runs), 3 is a clear error at validate."""
    import torch

    from distillbench.adapters.image_classification import ImageClassification

    text = CARD.replace('"local:cnn(width=2)"', f'"timm:mobilenetv3_small_050(in_chans={in_chans})"')
    card = write("card.yaml", text)
    suite = write("suite.yaml", f"name: s\ntasks: [{{card: {card}}}]\n")
    if not ok:
        with pytest.raises(ConfigError, match=r"sets in_chans=3, but the data \(sklearn_digits\) has 1-channel"):
            validate_suite(str(suite))
        return
    validate_suite(str(suite))
    adapter = ImageClassification(load_card(str(card)))
    data = adapter.load_data(smoke=True)
    model = adapter.build_model(adapter.card.students[0].model, data).eval()
    assert model(adapter.example_inputs(data, 2)["x"]).shape == (2, 10)
    with pytest.raises(ConfigError, match="in_chans=3, but the data has 1-channel images"):
        adapter.build_model("timm:mobilenetv3_small_050(in_chans=3)", data)
    assert isinstance(model, torch.nn.Module)


def test_validate_names_a_missing_local_data_file(write, tmp_path) -> None:
    present = tmp_path / "train.csv"
    present.write_text("text,label\nfine,1\n")
    missing = tmp_path / "test.csv"
    text = CARD.replace(
        "data: {source: sklearn_digits}",
        f"data: {{source: hf_text, options: {{name: csv, data_files: {{train: {present}, test: {missing}}}}}}}",
    ).replace("task: image_classification", "task: sentiment")
    card = write("card.yaml", text)
    suite = write("suite.yaml", f"name: s\ntasks: [{{card: {card}}}]\n")
    with pytest.raises(ConfigError, match=r"data.options.data_files: '.*test.csv' does not exist"):
        validate_suite(str(suite))
    missing.write_text("text,label\ngood,1\n")
    assert any("task tiny" in line for line in validate_suite(str(suite)))  # the file exists now
