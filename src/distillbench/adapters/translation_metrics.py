"""Translation quality with sacrebleu: BLEU (Papineni et al. 2002) and chrF (Popović 2015).

Scores come from sacrebleu's ``corpus_score`` with its defaults (BLEU: 13a tokenisation, exponential
smoothing, case-sensitive; chrF: character 6-grams, beta 2), exactly what ``sacrebleu REF -i HYP -m bleu``
prints (Post 2018, "A Call for Clarity in Reporting BLEU Scores", WMT) — a test checks this. Each score
carries its sacrebleu signature and a 95% interval from sacrebleu's own bootstrap resampling of the test
sentences (``N_BOOTSTRAP`` resamples, sacrebleu's fixed seed), reported as [score - ci, score + ci].
"""

from __future__ import annotations

from typing import Any

N_BOOTSTRAP = 1000


def score(hypotheses: list[str], references: list[str], n_bootstrap: int = N_BOOTSTRAP) -> dict[str, Any]:
    """BLEU and chrF of detokenised hypotheses against one reference each, with signatures and 95% intervals."""
    from sacrebleu.metrics import BLEU, CHRF

    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references")
    out: dict[str, Any] = {}
    for name, metric in (("bleu", BLEU()), ("chrf", CHRF())):
        try:
            result = metric.corpus_score(hypotheses, [references], n_bootstrap=n_bootstrap)
            ci = float(getattr(result, "_ci", 0.0) or 0.0)
        except TypeError:  # sacrebleu 2.x: statistics.mean over resamples that mix float and numpy.float32 scores
            result, ci = bootstrap_ci(metric, hypotheses, references, n_bootstrap)
        out[name] = float(result.score)
        out[f"{name}_ci95"] = [float(result.score) - ci, float(result.score) + ci]
        out[f"{name}_signature"] = str(metric.get_signature())
        if name == "bleu":
            out["bleu_detail"] = {
                "precisions": [float(p) for p in result.precisions],
                "bp": float(result.bp),
                "sys_len": int(result.sys_len),
                "ref_len": int(result.ref_len),
            }
    return out


def bootstrap_ci(metric: Any, hypotheses: list[str], references: list[str], n_bootstrap: int) -> tuple[Any, float]:
    """sacrebleu's own score and bootstrap half-width (same resamples, seed and 1/40 quantiles), as floats."""
    from sacrebleu.significance import _bootstrap_resample

    stats = metric._extract_corpus_statistics(hypotheses, [references])
    result = metric._aggregate_and_compute(stats)
    metric.n_bootstrap = n_bootstrap
    _, resampled = _bootstrap_resample(stats, metric, n_bootstrap)
    scores = sorted(float(x.score) for x in resampled)
    low = len(scores) // 40
    return result, 0.5 * (scores[len(scores) - low - 1] - scores[low])


def copy_baseline(sources: list[str], references: list[str]) -> dict[str, Any]:
    """The trivial floor: the source sentence itself as the translation."""
    out = score(sources, references)
    out["features"] = "the untranslated source sentence"
    return out
