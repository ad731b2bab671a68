"""Energy per 1,000 samples, from a hardware energy counter or not at all.

- GPU: NVML's total-energy counter (``nvmlDeviceGetTotalEnergyConsumption``, millijoules since the driver
  loaded; Volta and later). It counts the whole board, idle power included, over the timed passes.
- CPU: Intel RAPL through the powercap interface (``/sys/class/powercap/intel-rapl:<n>/energy_uj``, one
  counter per package, microjoules, wrapping at ``max_energy_range_uj``; AMD Zen exposes it under the same
  name). It counts the whole package (every process on it), which a reader must know on a shared machine.

Where neither exists (no GPU and no readable powercap, as on virtual machines) the record says
``"not measurable"`` and why. Nothing is ever estimated from TDP or utilisation and shown as a measurement.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

log = logging.getLogger(__name__)
POWERCAP = Path("/sys/class/powercap")
NOT_MEASURABLE = "not measurable"


@dataclass
class EnergyMeter:
    """Reads energy counters (one per GPU board or CPU package) in joules; ``source`` is ``"nvml"`` or ``"rapl"``."""

    source: str
    #: returns every counter's value in joules
    read: Callable[[], list[float]]
    #: each counter's wrap-around range in joules (None: it does not wrap)
    wraps: list[float | None]
    detail: str = ""
    _last: list[float] = field(default_factory=list, init=False)

    def start(self) -> None:
        self._last = self.read()

    def joules_since_start(self) -> float:
        """Joules since :meth:`start`, summed over counters; a counter that wrapped once is corrected."""
        total = 0.0
        for now, before, wrap in zip(self.read(), self._last, self.wraps, strict=True):
            delta = now - before
            total += delta + wrap if delta < 0 and wrap else delta
        return total


def open_meter(device: torch.device) -> tuple[EnergyMeter | None, str]:
    """An energy meter for ``device``, or None and the reason it cannot be measured."""
    device = torch.device(device)
    if device.type == "cuda":
        return _nvml_meter(device)
    if device.type == "cpu":
        return rapl_meter(POWERCAP)
    return None, f"no energy counter known for device type {device.type!r}"


def _nvml_meter(device: torch.device) -> tuple[EnergyMeter | None, str]:
    from distillbench.timing import nvml_handle

    handle = nvml_handle(device)
    if handle is None:
        return None, "NVML is not available (pynvml missing or NVML failed)"
    try:
        import pynvml

        pynvml.nvmlDeviceGetTotalEnergyConsumption(handle)
    except Exception as exc:
        return None, f"NVML has no energy counter on this GPU: {type(exc).__name__}: {exc}"
    return EnergyMeter("nvml", lambda: [pynvml.nvmlDeviceGetTotalEnergyConsumption(handle) / 1e3], [None], "board"), ""


def rapl_meter(root: Path) -> tuple[EnergyMeter | None, str]:
    if not root.is_dir():
        return None, f"{root} does not exist (no RAPL powercap interface: a VM or a kernel without intel_rapl)"
    zones = sorted(p for p in root.glob("intel-rapl:*") if p.name.count(":") == 1)
    if not zones:
        return None, f"{root} has no package-level intel-rapl zone"
    files = [z / "energy_uj" for z in zones]
    try:
        for f in files:
            int(f.read_text())
        wraps: list[float | None] = [int((z / "max_energy_range_uj").read_text()) / 1e6 for z in zones]
    except (OSError, ValueError) as exc:
        return None, f"RAPL counters are not readable ({type(exc).__name__}: {exc}); reading them usually needs root"

    def read() -> list[float]:
        return [int(f.read_text()) / 1e6 for f in files]

    return EnergyMeter("rapl", read, wraps, f"{len(zones)} package(s): {', '.join(z.name for z in zones)}"), ""


def energy_record(joules: float | None, samples: int, meter: EnergyMeter | None, reason: str) -> dict[str, Any]:
    """The ``speed.energy`` dict: J per 1,000 samples and its source, or ``not measurable`` and why."""
    if meter is None or joules is None or samples <= 0:
        return {"status": NOT_MEASURABLE, "reason": reason or "no samples were timed"}
    return {
        "status": "measured",
        "source": meter.source,
        "scope": meter.detail,
        "joules": joules,
        "samples": samples,
        "j_per_1000_samples": joules / samples * 1000.0,
    }
