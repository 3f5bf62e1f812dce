"""RLHF module: the optimisation time of each method side by side (RLOO is the yardstick).

The training loops come from the solution notebooks (02_policy_optimisation: REINFORCE, RLOO, DR-PO,
RAFT, curated self-training; 03_dpo_token_level: DPO), at the notebooks' full batch sizes, without
their periodic evaluations, so that only optimisation is timed.
"""

from __future__ import annotations

import os
from pathlib import Path

from utils.common import limit_threads, timer
from utils.course.execute import notebook_namespace

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions" / "04_rlhf"


def run(quick: bool = False) -> list[dict]:
    """Seconds per optimisation run of each method, as a ratio to RLOO's, measured in this run."""
    os.environ.setdefault("PAPERLAB_QUIET", "1")
    limit_threads(1)  # as the notebooks do: tiny tensors are fastest on one thread
    steps = 10 if quick else 40
    ns2 = notebook_namespace(SOLUTIONS / "02_policy_optimisation.py", until="train-run", smoke=False)
    ns3 = notebook_namespace(SOLUTIONS / "03_dpo_token_level.py", until="train-run", smoke=False)
    train, train_dpo = ns2["train"], ns3["train_dpo"]
    batch = f"{ns2['PROMPTS']} prompts x {ns2['K']} completions"
    runs = {method: (lambda m=method: train(m, steps=steps, n_evals=0))
            for method in ("RLOO", "REINFORCE", "DR-PO", "RAFT", "curated")}
    runs["DPO"] = lambda: train_dpo(ns3["train_pairs"], steps=steps, n_evals=0)
    for fn in runs.values():  # warm-up: first calls pay for allocation and dispatch caches
        fn()
    seconds: dict[str, float] = {name: float("inf") for name in runs}
    for _ in range(1 if quick else 2):  # interleaved repeats, best of each
        for name, fn in runs.items():
            with timer() as t:
                fn()
            seconds[name] = min(seconds[name], t["seconds"])
    base = seconds["RLOO"]
    details = {"REINFORCE": batch, "DR-PO": batch + ", reset starts", "RAFT": f"{batch}, SFT on the best",
               "curated": f"{ns2['PROMPTS']} prompts x 2, SFT on the kept one", "DPO": "128 pairs, no sampling"}
    return [{"benchmark": f"{name} vs RLOO, optimisation time for {steps} steps",
             "ratio": seconds[name] / base,
             "detail": f"{name} {seconds[name]:.2f} s, RLOO {base:.2f} s ({details[name]}; ratio > 1: slower than RLOO)"}
            for name in details]
