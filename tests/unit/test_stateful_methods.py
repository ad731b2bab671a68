"""Issue 19's method API (sample indices, state across steps, stages, teacher kinds) and the methods that need it:
crd, born_again, dml. Golden values from each paper's formula, every expected number written literally with
its derivation (e = 2.7182818285, sigma(1) = e / (1 + e) = 0.7310585786, sigma(-1) = 0.2689414214).
"""

from __future__ import annotations

import copy
import math
import sys
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import pytest
import torch

from distillbench.checkpoint import student_checkpoint
from distillbench.config import TrainConfig, load_card
from distillbench.errors import ConfigError
from distillbench.methods.base import DistillMethod, Stage, build_method, stage_at
from distillbench.methods.crd import momentum_update, nce_loss
from distillbench.registry import METHODS
from distillbench.train import seed_everything, train_model
from distillbench.types import ModelOutput
from tests.conftest import smoke_models


def out(logits: list, loss: float | None = None, **features: torch.Tensor) -> ModelOutput:
    task = torch.tensor(loss) if loss is not None else None
    return ModelOutput(logits=torch.tensor(logits, dtype=torch.float32), loss=task, features=features)


@pytest.mark.parametrize(("name", "kind"), [("crd", "fixed"), ("born_again", "previous_generation"), ("dml", "peers")])
def test_registered_with_paper_docstring_and_teacher_kind(name: str, kind: str) -> None:
    method = build_method(name)
    assert METHODS.get(name) is type(method) and "arXiv:" in (sys.modules[type(method).__module__].__doc__ or "")
    assert method.teacher_needed() == kind
    assert build_method("kd").teacher_needed() == "fixed" and build_method("no_kd").teacher_needed() == "none"


def test_paper_defaults() -> None:
    c = build_method("crd").options
    assert (c.negatives, c.temperature, c.momentum, c.embed_dim, c.weight, c.ce_weight) == (
        16384,
        0.07,
        0.5,
        128,
        0.8,
        1,
    )
    b = build_method("born_again").options
    assert (b.generations, b.alpha, b.temperature, b.ensemble) == (3, 1.0, 1.0, True)
    d = build_method("dml").options
    assert (d.peers, d.weight, d.temperature) == (2, 1.0, 1.0)


@pytest.mark.parametrize(
    ("name", "options", "match"),
    [
        ("crd", {"momentum": 1.0}, "momentum"),
        ("crd", {"negatives": 0}, "negatives"),
        ("born_again", {"generations": 0}, "at least 1"),
        ("dml", {"peers": 1}, "at least 2"),
    ],
)
def test_bad_options_are_config_errors(name: str, options: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        build_method(name, options)


# --------------------------------------------------------------------------- crd
# NCE (Tian et al. eq. 18, the authors' ContrastLoss) of scores [0.5 | 0.1, 0.2] over N = 10 samples: m = 2
# negatives, noise m/N = 0.2: -(ln(0.5/0.7) + ln(0.2/0.3) + ln(0.2/0.4)) = 0.3364722366 + 0.4054651081 + 0.6931471806.


def test_crd_nce_golden() -> None:
    assert nce_loss(torch.tensor([[0.5, 0.1, 0.2]]), 10).item() == pytest.approx(1.4350845253, abs=1e-6)


# Both sides, N = 2, tau = 1, indices [0 | 1]: s = (1, 0), t = (0, 1); teacher bank rows (1, 0), (0, 1); student
# bank rows (0, 1), (1, 0). exp(s . M_t[0, 1]) = (e, 1) and exp(t . M_s[0, 1]) = (e, 1); Z = mean * N = e + 1, so
# h = (sigma(1), sigma(-1)) on both sides; noise m/N = 1/2:
# L = -(ln(0.7310585786 / 1.2310585786) + ln(0.5 / 0.7689414214)) = 0.9515428129; crd = 2 L = 1.9030856258.


def test_crd_contrast_golden_fixes_z_and_updates_the_banks_with_momentum() -> None:
    method = build_method("crd", {"temperature": 1.0, "negatives": 1})
    method.num_samples = 2
    method.bank_t, method.bank_s = torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    s, t, idx = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]]), torch.tensor([[0, 1]])
    assert method.contrast(s, t, idx).item() == pytest.approx(1.9030856258, abs=1e-6)
    assert method.z.tolist() == pytest.approx([math.e + 1, math.e + 1])  # fixed at the first batch
    # M[0] <- normalise(0.5 * M[0] + 0.5 * v): (0, 1) and s = (1, 0) give (1, 1) / sqrt 2
    momentum_update(method.bank_s, torch.tensor([0]), s, 0.5)
    assert method.bank_s.flatten().tolist() == pytest.approx([0.7071067812, 0.7071067812, 1.0, 0.0])


def test_crd_keeps_its_banks_as_checkpointed_state_and_reads_the_index() -> None:
    method = build_method("crd", {"negatives": 8, "embed_dim": 4})
    method.num_samples = 6
    student = out([[0.0, 1.0]] * 3, 1.0, final=torch.randn(3, 5, 2, 2))
    teacher = out([[0.0, 1.0]] * 3, None, final=torch.randn(3, 7))
    method.setup(student, teacher)
    state = method.state_dict()
    assert state["bank_s"].shape == state["bank_t"].shape == (6, 4) and state["z"].tolist() == [-1.0, -1.0]
    before = method.bank_s.clone()
    parts = method.loss(student, teacher, {"index": torch.tensor([0, 2, 4])})
    assert torch.isfinite(parts["loss"]) and set(parts) == {"loss", "task", "crd"}
    changed = (method.bank_s != before).any(1).nonzero().flatten().tolist()
    assert changed == [0, 2, 4] and (method.z > 0).all()
    assert torch.allclose(method.bank_s.norm(dim=1)[changed], torch.ones(3))


# --------------------------------------------------------------------------- dml
# Two peers, logits (1, 0) and (0, 1), label 0: CE = ln(1 + e^-1) = 0.3132616875 and ln(1 + e) = 1.3132616875;
# KL(p2 || p1) = KL(p1 || p2) = (0.7310585786 - 0.2689414214) * ln(0.7310585786 / 0.2689414214) = 0.4621171573.
# Sum over peers: 0.3132616875 + 1.3132616875 + 2 * 0.4621171573 = 2.5507576896.
# Three peers, adding (0, 0): KL(p3 || p1) = 0.5 ln(0.25 / (sigma(1) sigma(-1))) = 0.1201145070, KL(p1 || p3) =
# 0.1109440717; peer 1's mean KL (0.4621171573 + 0.1201145070) / 2 = 0.2911158321, peer 2's the same, peer 3's
# 0.1109440717; CEs 0.3132616875 + 1.3132616875 + ln 2; total 3.0128462915.


def test_dml_golden_two_and_three_peers() -> None:
    labels = {"labels": torch.tensor([0])}
    a, b, c = out([[1.0, 0.0]], 0.3132616875), out([[0.0, 1.0]], 1.3132616875), out([[0.0, 0.0]], math.log(2))
    two = build_method("dml").peer_loss([a, b], labels)
    assert two["loss"].item() == pytest.approx(2.5507576896, abs=1e-6)
    assert two["kl"].item() == pytest.approx(0.4621171573, abs=1e-6) and two["task"].item() == pytest.approx(
        0.3132616875
    )
    three = build_method("dml", {"peers": 3}).peer_loss([a, b, c], labels)
    assert three["loss"].item() == pytest.approx(3.0128462915, abs=1e-6)
    assert three["kl"].item() == pytest.approx(0.2911158321, abs=1e-6)
    with pytest.raises(ValueError, match="3 peers"):
        build_method("dml", {"peers": 3}).peer_loss([a, b], labels)


def test_dml_targets_are_detached() -> None:
    a = ModelOutput(logits=torch.tensor([[1.0, 0.0]], requires_grad=True), loss=torch.tensor(0.0))
    b = ModelOutput(logits=torch.tensor([[0.0, 1.0]], requires_grad=True), loss=torch.tensor(0.0))
    build_method("dml").peer_loss([a, b], {})["loss"].backward()
    # d KL(p_b || p_a) / d z_a = p_a - p_b = (0.4621171573, -0.4621171573); peer b's gradient only from its own term
    assert a.logits.grad.flatten().tolist() == pytest.approx([0.4621171573, -0.4621171573], abs=1e-6)
    assert b.logits.grad.flatten().tolist() == pytest.approx([-0.4621171573, 0.4621171573], abs=1e-6)


# --------------------------------------------------------------------------- born_again
# Generation k's loss, alpha 1, T 1: student (1, 0), teacher (0, 1): KL = 0.4621171573 (as above).
# alpha 0.5, T 2: softened (sigma(0.5), sigma(-0.5)) and reversed: KL = (0.6224593312 - 0.3775406688) * 0.5 =
# 0.1224593312, times T² = 0.4898373248; loss = 0.5 * 0.3132616875 + 0.5 * 0.4898373248 = 0.4015495062.


def test_born_again_golden_and_rows() -> None:
    student, teacher = out([[1.0, 0.0]], 0.3132616875), out([[0.0, 1.0]])
    assert build_method("born_again").loss(student, teacher, {})["loss"].item() == pytest.approx(0.4621171573, abs=1e-6)
    mixed = build_method("born_again", {"alpha": 0.5, "temperature": 2.0}).loss(student, teacher, {})
    assert mixed["loss"].item() == pytest.approx(0.4015495062, abs=1e-6)
    assert build_method("born_again", {"generations": 2}).rows() == ["gen0", "gen1", "gen2", "ensemble"]
    assert build_method("born_again", {"ensemble": False}).rows() == ["gen0", "gen1", "gen2", "gen3"]
    assert build_method("kd").rows() == [""]


# --------------------------------------------------------------------------- the training loop's side of the API


@pytest.fixture(scope="module")
def image():
    return smoke_models("image_classification")


def _train(image, model, method, *, epochs=3, checkpoint=None, progress=None, peers=None):
    card, adapter, data, teacher, _ = image
    cfg = TrainConfig(epochs=epochs, batch_size=16, lr=0.05, max_batches_per_epoch=3, schedule="constant", val_every=0)
    return train_model(
        *(adapter, model, data, cfg, method),
        seed=0,
        device=torch.device("cpu"),
        teacher=teacher if method.needs_teacher else None,
        student_features=card.students[0].features,
        teacher_features=card.teacher.features,
        progress=progress,
        checkpoint=checkpoint,
        checkpoint_key="job-1",
        peers=peers,
    )


class TwoStages(DistillMethod):
    """A hint-then-task schedule (as FitNet's paper) that records the stage of every step."""

    registry_name: ClassVar[str] = "two_stages"
    needs_teacher: ClassVar[bool] = False

    def __init__(self, first: int = 1) -> None:
        super().__init__()
        self.first, self.seen = first, []

    def stages(self, epochs: int) -> list[Stage]:
        return [Stage("hint", self.first), Stage("task", epochs - self.first)]

    def loss(self, student, teacher, batch):
        self.seen.append((self.epoch, self.stage))
        return {"loss": student.loss}


def test_stages_switch_the_loss_by_epoch_and_are_recorded(image) -> None:
    method = TwoStages(first=2)
    stats = _train(image, copy.deepcopy(image[4]), method)
    assert sorted(set(method.seen)) == [(0, "hint"), (1, "hint"), (2, "task")]
    assert stats.stages == [
        {"name": "hint", "first_epoch": 1, "last_epoch": 2},
        {"name": "task", "first_epoch": 3, "last_epoch": 3},
    ]
    assert stage_at([Stage("a", 1), Stage("b", 1)], 5).name == "b"  # the last stage runs on
    with pytest.raises(ConfigError, match="stage 'task' gets no epochs"):
        _train(image, copy.deepcopy(image[4]), TwoStages(first=3))


def test_peers_train_with_the_student_and_are_counted(image) -> None:
    student, peer = copy.deepcopy(image[4]), copy.deepcopy(image[4])
    before = [p.clone() for p in peer.parameters()]
    method = build_method("dml")
    stats = _train(image, student, method, epochs=1, peers=[peer])
    assert stats.steps == 3 and any(not torch.equal(a, b) for a, b in zip(before, peer.parameters(), strict=True))
    assert any(k.startswith("peer_models.0.") for k in method.state_dict())  # checkpointed with the method
    with pytest.raises(ValueError, match="1 peer"):
        _train(image, copy.deepcopy(image[4]), build_method("dml"), epochs=1)


def test_methods_that_keep_state_refuse_ddp(image, monkeypatch) -> None:
    monkeypatch.setattr("distillbench.train.ddp.rank_and_world", lambda: (0, 2))
    with pytest.raises(ConfigError, match="nproc 1"):
        _train(image, copy.deepcopy(image[4]), build_method("crd", {"negatives": 4}), epochs=1)


class Killed(Exception):
    """Stands in for the process being killed in the middle of an epoch."""


def test_a_resumed_crd_keeps_its_memory_bank_and_ends_as_an_uninterrupted_run(image, tmp_path: Path) -> None:
    options = {"negatives": 16, "embed_dim": 8}
    full_method = build_method("crd", options)
    seed_everything(1)
    full = _train(image, copy.deepcopy(image[4]), full_method)

    def kill_in_third_epoch(step: int, total: int, text: str) -> None:
        if step == 8:
            raise Killed

    ckpt = student_checkpoint(tmp_path, "job-1")
    seed_everything(1)
    with pytest.raises(Killed):
        _train(
            image, copy.deepcopy(image[4]), build_method("crd", options), checkpoint=ckpt, progress=kill_in_third_epoch
        )
    resumed_method = build_method("crd", options)  # a fresh process: an empty bank until the checkpoint loads
    seed_everything(1)
    resumed = _train(image, copy.deepcopy(image[4]), resumed_method, checkpoint=ckpt)
    assert resumed.resumed_from_epoch == 2
    assert resumed.epoch_losses == pytest.approx(full.epoch_losses, abs=1e-5)
    assert torch.allclose(resumed_method.bank_s, full_method.bank_s, atol=1e-6)
    assert torch.allclose(resumed_method.z, full_method.z)


# --------------------------------------------------------------------------- jobs and the worker


def test_born_again_rows_are_jobs_and_gen0_is_the_no_kd_student(tmp_path: Path) -> None:
    from distillbench.config import SuiteConfig, SuiteTask
    from distillbench.jobs import expand_jobs
    from distillbench.worker import run_job
    from tests.conftest import smoke_job

    card = load_card("image_classification")
    suite = SuiteConfig(name="t", tasks=[SuiteTask(card=card.path, methods=["born_again"], students=["cnn-w8"])])
    jobs = [j for j in expand_jobs(suite, cache_dir=str(tmp_path), seeds=[0]) if j.role == "student"]
    assert [j.row_method for j in jobs] == [f"born_again/gen{k}" for k in range(4)] + ["born_again/ensemble"]
    assert len({j.job_id for j in jobs}) == 5

    def job(method: str, variant: str = ""):
        return replace(smoke_job("image_classification", "student", method, str(tmp_path)), variant=variant, job_id="")

    gen2 = run_job(job("born_again", "gen2"))  # trains generations 0 and 1 first, caching them
    gen0, gen1 = run_job(job("born_again", "gen0")), run_job(job("born_again", "gen1"))
    ens = run_job(job("born_again", "ensemble"))
    alone = run_job(job("no_kd"))
    assert [r.method for r in (gen0, gen1, gen2, ens)] == [
        f"born_again/{v}" for v in ("gen0", "gen1", "gen2", "ensemble")
    ]
    assert gen0.training["cached"] and gen1.training["cached"] and not gen2.training["cached"]
    assert gen1.training["teacher"] == "generation 0 (seed 0)" and gen2.training["seed"] == 2 * 10007
    assert gen0.quality["accuracy"] == alone.quality["accuracy"]  # generation 0 is the student trained alone
    assert gen0.training["final_loss"] == pytest.approx(alone.training["final_loss"], rel=1e-6)
    assert ens.training["ensemble_of"] == ["gen1", "gen2", "gen3"] and ens.size["params"] == 3 * gen0.size["params"]


# --------------------------------------------------------------------------- the generations table
# gen0 (0.90, 0.91, 0.92), gen1 (0.93, 0.94, 0.95): Δ = +0.03, both stds 0.01, se = sqrt(2 * 0.0001 / 3) =
# 0.0081649658, t = 3.6742346, Welch df 4: p = 0.0213 < 0.05, "better"; 95% CI +-2.7764451 * se = +-0.0226697.
# The ensemble (0.94, 0.95, 0.96) against gen1: Δ = +0.01, t = 1.2247449, p = 0.2879: "no clear difference".


def test_generations_table_compares_each_generation_with_the_one_it_learned_from() -> None:
    from distillbench.report.table import build_leaderboards
    from distillbench.report.writers import write_markdown
    from tests.unit.test_report import record

    values = {"no_kd": (0.90, 0.91, 0.92), "born_again/gen0": (0.90, 0.91, 0.92), "born_again/gen1": (0.93, 0.94, 0.95)}
    values["born_again/ensemble"] = (0.94, 0.95, 0.96)
    records = [record("teacher", "T", None, 0, 0.99, 10.0)]
    records += [
        record("student", "S", m, seed, acc, 50.0) for m, accs in values.items() for seed, acc in enumerate(accs)
    ]
    md = write_markdown(build_leaderboards(records))
    table = md[md.index("### born_again generations") :].splitlines()
    assert table[4].startswith("| S | gen0 | 91.00 ± 1.00 (n=3) | — | — |")
    assert table[5].startswith("| S | gen1 | 94.00 ± 1.00 (n=3) | gen0 | +3.00 |") and table[5].endswith(
        "| [+0.73, +5.27] | p=0.02 | better |"
    )
    assert table[6].startswith("| S | ensemble | 95.00 ± 1.00 (n=3) | gen1 | +1.00 |")
    assert table[6].endswith("| p=0.29 | no clear difference |")
    plain = [record("student", "S", m, s, a, 50.0) for m, a in (("no_kd", 0.9), ("kd", 0.91)) for s in range(2)]
    assert "generations" not in write_markdown(build_leaderboards(plain))  # other boards render as before


# --------------------------------------------------------------------------- fitnet's two stages (Romero et al. 2015)
# Features (N=1, C=1, 1x2): student (1, 3), teacher (0, 1): MSE = (1 + 4) / 2 = 2.5 (identity regressor).
# Hint stage, weight 2: 2 * 2.5 = 5 (no task term). KD stage, alpha 0.5, T 1, logits (1, 0) vs (0, 1), task
# 0.3132616875: 0.5 * 0.3132616875 + 0.5 * 0.4621171573 = 0.3876894224. One stage (default): 1 * task + 2 * 2.5.


def test_fitnet_two_stages_golden() -> None:
    s_map, t_map = torch.tensor([[[[1.0, 3.0]]]]), torch.tensor([[[[0.0, 1.0]]]])
    student, teacher = out([[1.0, 0.0]], 0.3132616875, hint=s_map), out([[0.0, 1.0]], None, hint=t_map)
    method = build_method("fitnet", {"weight": 2.0, "hint_epochs": 2, "kd_alpha": 0.5, "temperature": 1.0})
    method.setup(student, teacher)
    assert [(s.name, s.epochs) for s in method.stages(5)] == [("hint", 2), ("kd", 3)]
    method.on_epoch_start(1, 5)
    assert method.stage == "hint" and method.loss(student, teacher, {})["loss"].item() == pytest.approx(5.0)
    method.on_epoch_start(2, 5)
    assert method.stage == "kd" and method.loss(student, teacher, {})["loss"].item() == pytest.approx(0.3876894224)
    one = build_method("fitnet", {"weight": 2.0})
    one.setup(student, teacher)
    one.on_epoch_start(3, 5)
    assert len(one.stages(5)) == 1 and one.loss(student, teacher, {})["loss"].item() == pytest.approx(5.3132616875)


def test_fitnet_hint_stage_trains_only_up_to_the_guided_layer(image) -> None:
    student = image[4]  # cnn-w8: the hint is stages.1, its last stage; only the linear head lies beyond it
    model, after_hint = copy.deepcopy(student), {}

    def snapshot(step: int, total: int, text: str) -> None:
        if step == 3:  # the hint epoch's last step (3 per epoch)
            after_hint.update({k: v.clone() for k, v in model.state_dict().items()})

    stats = _train(image, model, build_method("fitnet", {"hint_epochs": 1}), epochs=2, progress=snapshot)
    assert [s["name"] for s in stats.stages] == ["hint", "kd"]
    moved = [k for k, v in after_hint.items() if not torch.equal(v, student.state_dict()[k])]
    assert moved and all(k.startswith("stages.") for k in moved)  # the head gets no gradient in the hint stage
    assert not torch.equal(model.head.weight, student.head.weight)  # ... and trains in the KD stage
