"""KV-cache module: cached versus uncached greedy decoding; merging and quantising the cache versus one decoding step."""

from __future__ import annotations

from pathlib import Path

import torch

from utils.common import best_time
from utils.course.execute import notebook_namespace
from utils.kv_cache import heldout_batch

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions" / "02_kv_cache"


def run(quick: bool = False) -> list[dict]:
    """Speed ratios measured side by side in this run."""
    ns1 = notebook_namespace(SOLUTIONS / "01_kv_cache.py", until="equal-intro")
    model, generate = ns1["model"], ns1["greedy_generate"]
    prompt = heldout_batch(1)[:, :16]
    rows = []
    for n in (128, 256) if quick else (128, 256, 512):
        slow = best_time(lambda n=n: generate(model, prompt, n, use_cache=False), repeat=1)
        fast = best_time(lambda n=n: generate(model, prompt, n, use_cache=True), repeat=3)
        rows.append({"benchmark": f"greedy decoding, KV cache vs none, {n} new tokens", "ratio": slow / fast,
                     "detail": f"no cache {slow:.2f} s, cache {fast:.3f} s ({n / fast:.0f} tok/s)"})

    ns2 = notebook_namespace(SOLUTIONS / "02_minicache.py", until="quant-experiment-intro")
    merge_cache, fake_quantize = ns2["merge_cache"], ns2["fake_quantize"]
    with torch.no_grad():
        logits, cache = model(heldout_batch(1))  # one 256-token sequence
        token = logits[:, -1:].argmax(-1)
    step = best_time(lambda: model(token, past=cache), repeat=20)
    merge = best_time(lambda: merge_cache(cache, 2, "minicache", retain=0.05), repeat=10)
    quant = best_time(lambda: [(fake_quantize(k, 4, -2), fake_quantize(v, 4, -1)) for k, v in cache], repeat=10)
    for name, sec in (("MiniCache merge (from layer 2, 5% retained)", merge), ("4-bit quantise/dequantise", quant)):
        rows.append({"benchmark": f"{name} of a 256-token cache / one decoding step", "ratio": sec / step,
                     "detail": f"{sec * 1e3:.2f} ms vs {step * 1e3:.2f} ms per cached decoding step"})
    return rows
