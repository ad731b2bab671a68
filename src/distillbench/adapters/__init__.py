"""Task adapters: one file per task; each owns everything task-specific."""

from distillbench.adapters.base import DataSplits, ModelOutput, TaskAdapter

__all__ = ["DataSplits", "ModelOutput", "TaskAdapter"]
