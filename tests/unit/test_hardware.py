"""Utilisation (hardware.py) and energy (energy.py): golden arithmetic, lookups and counters, all fast."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from distillbench.energy import NOT_MEASURABLE, energy_record, open_meter, rapl_meter
from distillbench.hardware import cpu_matmul_peak, gpu_datasheet_peak, utilisation


def test_utilisation_arithmetic() -> None:
    # 530.8 MFLOPs/sample at 161 samples/s = 85.4588 GFLOP/s; of a 32 GFLOP/s peak: 267.05875%
    out = utilisation(530.8, 161.0, {"flops_per_s": 32e9})
    assert out["achieved_flops_per_s"] == pytest.approx(85.4588e9)
    assert out["peak_share"] == pytest.approx(2.6705875)
    assert utilisation(None, 161.0, {"flops_per_s": 32e9}) == {
        "achieved_flops_per_s": None,
        "peak_flops_per_s": 32e9,
        "peak_share": None,
    }
    assert utilisation(10.0, 100.0, {"flops_per_s": None})["peak_share"] is None


def test_gpu_datasheet_peaks_by_name_and_precision() -> None:
    assert gpu_datasheet_peak("NVIDIA H200", "bf16")["flops_per_s"] == 989.5e12
    assert gpu_datasheet_peak("NVIDIA H100 PCIe", "fp32")["flops_per_s"] == 51e12
    assert gpu_datasheet_peak("NVIDIA H100 80GB HBM3", "fp32")["flops_per_s"] == 67e12
    assert gpu_datasheet_peak("NVIDIA A100-SXM4-40GB", "fp16")["flops_per_s"] == 312e12
    assert gpu_datasheet_peak("Tesla T4", "bf16")["flops_per_s"] is None  # T4 has no bf16 tensor cores
    unknown = gpu_datasheet_peak("Some Future GPU", "fp32")
    assert unknown["flops_per_s"] is None and "no datasheet peak" in unknown["reason"]


def test_cpu_matmul_peak_is_a_plausible_measurement() -> None:
    out = cpu_matmul_peak("fp32", sizes=(64, 128), min_duration_s=0.0)
    assert set(out["per_size_flops_per_s"]) == {"64", "128"}
    assert out["flops_per_s"] == max(out["per_size_flops_per_s"].values()) > 1e6
    assert out["threads"] == torch.get_num_threads() and "microbenchmark" in out["source"]


def _zone(root: Path, name: str, energy_uj: int, max_uj: int) -> Path:
    zone = root / name
    zone.mkdir(parents=True)
    (zone / "energy_uj").write_text(f"{energy_uj}\n")
    (zone / "max_energy_range_uj").write_text(f"{max_uj}\n")
    return zone


def test_rapl_counter_sums_packages_and_survives_a_wrap(tmp_path: Path) -> None:
    a = _zone(tmp_path, "intel-rapl:0", 1_000_000, 10_000_000)
    _zone(tmp_path, "intel-rapl:1", 500_000, 10_000_000)
    (tmp_path / "intel-rapl:0:0").mkdir()  # a sub-zone (core): not counted twice
    meter, reason = rapl_meter(tmp_path)
    assert meter is not None and reason == "" and meter.source == "rapl"
    meter.start()
    (a / "energy_uj").write_text("3500000\n")  # +2.5 J on package 0
    assert meter.joules_since_start() == pytest.approx(2.5)
    meter.start()
    (a / "energy_uj").write_text("500000\n")  # wrapped: 3.5 J -> 10 J (its range) -> 0.5 J = +7 J
    assert meter.joules_since_start() == pytest.approx(7.0)


def test_no_counter_is_not_measurable_with_a_reason(tmp_path: Path) -> None:
    meter, reason = rapl_meter(tmp_path / "absent")
    assert meter is None and "does not exist" in reason
    rec = energy_record(None, 100, None, reason)
    assert rec == {"status": NOT_MEASURABLE, "reason": reason}
    assert "j_per_1000_samples" not in rec  # never an estimate in its place
    meter, reason = open_meter(torch.device("meta"))
    assert meter is None and "meta" in reason


def test_energy_record_per_thousand_samples(tmp_path: Path) -> None:
    _zone(tmp_path, "intel-rapl:0", 0, 10**9)
    meter, _ = rapl_meter(tmp_path)
    rec = energy_record(12.0, 4000, meter, "")
    assert rec["status"] == "measured" and rec["j_per_1000_samples"] == pytest.approx(3.0)
