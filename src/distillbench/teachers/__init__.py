"""Teachers as versioned artifacts, and teachers from elsewhere (a checkpoint file, a model used as built).

A card's teacher is trained once (``distillbench teachers build CARD``, build.py) and shipped under
``teachers/<card>/`` as ``model.safetensors`` and ``manifest.json`` (manifest.py). A run whose card still
has the teacher the artifact was built from (same *teacher key*: a hash of the card's task, data,
teacher, teacher_train and teacher_seed; not of the code) loads it, checking its sha256, instead of
training; a changed card retrains and says what changed. ``distillbench teachers verify`` (verify.py)
checks hashes, keys and that each artifact reproduces its recorded test quality.

- manifest.py: where artifacts live, the teacher key, manifests, finding the shipped teacher of a card.
- weights.py: writing and reading the weights (only the tensors training changed; the rest is rebuilt
  from the model spec and the installed package), and loading ``checkpoint:`` files.
- build.py, verify.py: the ``distillbench teachers`` commands.
"""
