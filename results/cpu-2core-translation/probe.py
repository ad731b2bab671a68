"""Time-boxed translation teacher probe: val greedy BLEU over wall time."""
import math, sys, time, json, torch
from distillbench.config import load_card
from distillbench.registry import TASKS, load_components
from distillbench.adapters.translation_metrics import score

load_components()
spec, lr, bs, max_words, budget, vocab = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
warm = int(sys.argv[7]) if len(sys.argv) > 7 else 400
torch.set_num_threads(int(__import__("os").environ.get("OMP_NUM_THREADS", "2")))
card = load_card("translation")
card.data.options.update(max_words=max_words, vocab_size=vocab, max_train_samples=None)
ad = TASKS.get("translation")(card)
data = ad.load_data()
ad._new_tokens = 48
print("sizes", len(data.train), len(data.val), len(data.test), "vocab", ad.tokenizer.vocab_size, flush=True)
torch.manual_seed(0)
model = ad.build_model(spec, data)
print("params", sum(p.numel() for p in model.parameters()), flush=True)
opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01, betas=(0.9, 0.98))
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, math.sqrt(warm / (s + 1))))
refs = list(data.val["target"])
t0 = time.time(); step = 0; ep = 0; next_eval = 120; losses = []
cpu = torch.device("cpu")
def ev():
    model.eval()
    hyp = ad.tokenizer.decode(ad.translate(model, data.val, cpu, 1))
    model.train()
    s = score(hyp, refs)
    print(f"EVAL t={time.time()-t0:.0f}s step={step} ep={ep} loss={sum(losses[-100:])/max(1,len(losses[-100:])):.3f} "
          f"bleu={s['bleu']:.2f} chrf={s['chrf']:.2f} distinct={len(set(hyp))}/{len(hyp)} | {hyp[1][:90]}", flush=True)
model.train()
done = False
while not done:
    for b in ad.batches(data.train, bs, shuffle=True, seed=ep):
        out = ad.forward(model, b)
        opt.zero_grad(); out.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step(); sched.step(); step += 1; losses.append(out.loss.item())
        if time.time() - t0 > next_eval:
            ev(); next_eval += 120
        if time.time() - t0 > budget:
            done = True; break
    ep += 1
ev()
print("REF", refs[1])
