"""Value-learning module: the categorical distributional Bellman backup, vectorised over states versus a
per-state Python loop.

Both use the solution notebook's own functions (02_distributional_dp: `distributional_backup` and
`categorical_projection`, loaded through notebook_namespace); only the loop over states is written here.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from utils.common import best_time
from utils.course.execute import notebook_namespace
from utils.testing import assert_values
from utils.value_learning import random_reward_chain

NOTEBOOK = Path(__file__).resolve().parents[2] / "solutions" / "05_value_learning" / "02_distributional_dp.py"


def run(quick: bool = False) -> list[dict]:
    """Per-state loop over vectorised backup time, both measured in this run, at a few chain sizes."""
    os.environ.setdefault("PAPERLAB_QUIET", "1")
    ns = notebook_namespace(NOTEBOOK, until="experiment-intro")
    backup, project = ns["distributional_backup"], ns["categorical_projection"]
    rows = []
    for n_states in (20, 100) if quick else (20, 100, 400):
        chain = random_reward_chain(n_states, 3, 0.9, torch.Generator().manual_seed(0))
        support = torch.linspace(*chain.return_bounds(), 51, dtype=torch.float64)
        eta = torch.softmax(torch.randn(n_states, 51, generator=torch.Generator().manual_seed(1),
                                        dtype=torch.float64), dim=-1)
        args = (chain.transitions, chain.reward_values, chain.reward_probs, chain.gamma)

        def per_state_loop() -> torch.Tensor:
            rows_out = []
            for s in range(n_states):  # one state at a time: mix, shift and scale, project
                next_law = chain.transitions[s] @ eta
                locations = chain.reward_values[s][:, None] + chain.gamma * support
                masses = chain.reward_probs[s][:, None] * next_law[None, :]
                rows_out.append(project(locations.flatten(), masses.flatten(), support))
            return torch.stack(rows_out)

        assert_values(per_state_loop(), backup(eta, support, *args), rtol=1e-12, atol=1e-14,
                      what="the loop and the vectorised backup")
        slow = best_time(per_state_loop, repeat=3)
        fast = best_time(lambda: backup(eta, support, *args), repeat=7)
        rows.append({"benchmark": f"distributional backup, vectorised vs per-state loop, S={n_states}, K=51",
                     "ratio": slow / fast, "detail": f"loop {slow * 1e3:.2f} ms, vectorised {fast * 1e3:.3f} ms"})
    return rows
