"""Scratch diagnostic: does a pre-norm T5-layout teacher on shorter verses learn to use the source? val BLEU only."""
import dataclasses, sys, time, torch
from distillbench.config import load_card
from distillbench.registry import METHODS, TASKS, load_components
from distillbench.train import train_model
from distillbench.adapters.translation_metrics import score

load_components()
spec, epochs, lr, max_words = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
card = load_card("translation")
card.data.options["max_words"] = max_words
ad = TASKS.get("translation")(card)
data = ad.load_data()
print("sizes", len(data.train), len(data.val), len(data.test), flush=True)
torch.manual_seed(0)
model = ad.build_model(spec, data)
cfg = dataclasses.replace(card.teacher_train, epochs=epochs, lr=lr, warmup_epochs=1.0)
t0 = time.time()
st = train_model(ad, model, data, cfg, METHODS.get("no_kd")(), seed=0, device=torch.device("cpu"),
                 progress=lambda s, t, m: print(m, f"{time.time()-t0:.0f}s", flush=True) if s % 100 == 0 else None)
model.eval()
ac = lambda: torch.autocast("cpu", enabled=False)
hyp = ad.tokenizer.decode(ad.translate(model, data.val, torch.device("cpu"), 1, ac))
refs = list(data.val["target"])
print("RESULT", spec, epochs, lr, max_words, "steps", st.steps, "val greedy", {k: score(hyp, refs)[k] for k in ("bleu", "chrf")},
      "copy", {k: score(list(data.val["source"]), refs)[k] for k in ("bleu", "chrf")}, "distinct hyps", len(set(hyp)), "/", len(hyp),
      f"{time.time()-t0:.0f}s", flush=True)
for s, r, h in list(zip(data.val["source"], refs, hyp))[:3]:
    print(" SRC", s, "\n REF", r, "\n HYP", h)
