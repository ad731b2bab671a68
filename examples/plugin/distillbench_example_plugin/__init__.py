"""An example distillbench plugin: one model, one method and one data source, with a card and a suite.

Importing the package registers all three (distillbench imports it through the ``distillbench.plugins``
entry point, or from a folder given with ``--include-path``):

- ``local:dwsep_cnn``: a small depthwise-separable CNN (model.py);
- ``logit_l2``: the student regresses the teacher's logits (Ba & Caruana 2014; method.py);
- ``noisy_digits``: scikit-learn's 8x8 digits with a share of the training labels flipped (data.py).

``tasks/noisy_digits.yaml`` uses them; ``benchmarks/example_plugin.yaml`` runs it over three seeds.
"""

from distillbench_example_plugin import data, method, model

__all__ = ["data", "method", "model"]
