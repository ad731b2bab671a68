"""Train (and cache) the speech card's teacher exactly as `distillbench run` would, printing val WER per epoch."""
import time, torch, sys
from distillbench.config import SMOKE_MEASURE, load_card, to_plain
from distillbench.jobs import Job
from distillbench.registry import TASKS, load_components
from distillbench.runner import default_cache_dir
from distillbench import worker
load_components()
card = load_card(sys.argv[1] if len(sys.argv) > 1 else "speech")
job = Job(suite="speech", card=card.path, role="teacher", model_name=card.teacher.name, method=None, seed=0, device="cpu",
          precision="fp32", compile=False, smoke=False, measure=to_plain(SMOKE_MEASURE), cache_dir=default_cache_dir())
ad = TASKS.get(card.task)(card)
t0 = time.time(); data = ad.load_data(); print("data", data.sizes(), f"{time.time()-t0:.0f}s", f"{data.info['train_audio_hours']:.2f} h", flush=True)
built = []
orig = ad.build_model
def build(spec, d):
    m = orig(spec, d); built.append(m); return m
ad.build_model = build
last = {"epoch": 0}
t0 = time.time()
def progress(step, total, msg):
    epoch = int(msg.split()[1].split("/")[0])
    if epoch != last["epoch"] and epoch > 1 and (epoch - 1) % 2 == 0:
        m = built[-1]; m.eval()
        r = ad.evaluate(m, data.val, torch.device("cpu"), lambda: torch.autocast("cpu", enabled=False))
        m.train()
        print(f"after epoch {epoch-1}: val wer {r['wer']:.3f} cer {r['cer']:.3f} | {msg} | {time.time()-t0:.0f}s", r["examples"][:2], flush=True)
    if epoch != last["epoch"]:
        print(f"{msg} {time.time()-t0:.0f}s", flush=True)
    last["epoch"] = epoch
model, training = worker.get_teacher(job, card, ad, data, torch.device("cpu"), progress)
r = ad.evaluate(model, data.val, torch.device("cpu"), lambda: torch.autocast("cpu", enabled=False))
print("final val", r["wer"], r["cer"], r["examples"], training.get("cache_path"), training.get("wall_time_s"), flush=True)
