"""GFlowNets module: training steps per second of the module's batched samplers versus a straightforward
per-trajectory reference loop of the same algorithm (same network, same loss, same batch size).

The losses come from the solution notebooks (exercise solutions are never copied into utils/):
01_flows_and_balance (trajectory balance on the hypergrid), 02_forward_looking (FL-DB on sets),
03_flow_of_reasoning (conditional TB on the Game of 24).
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from utils.common import limit_threads, timer
from utils.course.execute import notebook_namespace
from utils.gflownets import (
    Game24,
    GridPolicy,
    PuzzlePolicy,
    SetPolicy,
    grid_index,
    grid_log_pb,
    grid_states,
    grid_trajectory_terms,
    sample_game24,
    sample_grid_trajectories,
    sample_set_trajectories,
)

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions" / "03_gflownets"


def _steps_per_second(step, n_steps: int) -> float:
    step()  # warm-up
    with timer() as t:
        for _ in range(n_steps):
            step()
    return n_steps / t["seconds"]


def _compare(label: str, batched, loop, quick: bool) -> dict:
    """One row: steps per second of the batched trainer over the reference loop, measured side by side."""
    n = 5 if quick else 20
    fast, slow = _steps_per_second(batched, n), _steps_per_second(loop, max(2, n // 5))
    return {"benchmark": label, "ratio": fast / slow,
            "detail": f"batched {fast:.1f} steps/s, loop {slow:.2f} steps/s"}


def _grid_rows(quick: bool) -> list[dict]:
    ns = notebook_namespace(SOLUTIONS / "01_flows_and_balance.py", until="train-intro")
    reward_fn, tb_loss = ns["hypergrid_reward"], ns["trajectory_balance_loss"]
    rows = []
    for height in (8,) if quick else (8, 32):
        ndim, batch = 2, 64
        torch.manual_seed(0)
        policy = GridPolicy(ndim, height)
        opt = torch.optim.Adam(policy.parameters(), lr=1e-3)
        log_r_all = reward_fn(grid_states(ndim, height), height).log()
        gen = torch.Generator().manual_seed(0)

        def batched() -> None:
            log_pf_all, log_F_all = policy.all_states()
            traj = sample_grid_trajectories(log_pf_all, ndim, height, batch, gen)
            t = grid_trajectory_terms(traj, log_pf_all, log_F_all, log_r_all, ndim, height)
            loss = tb_loss(policy.log_Z, t["log_pf"], t["log_pb"], t["log_reward"], t["mask"])
            opt.zero_grad()
            loss.backward()
            opt.step()

        def loop() -> None:  # one trajectory at a time, one network call per visited state
            losses = []
            for _ in range(batch):
                x = torch.zeros(1, ndim, dtype=torch.long)
                log_pf, log_pb = [], []
                while True:
                    lp, _ = policy(x)
                    a = int(torch.multinomial(lp.detach().exp()[0], 1, generator=gen))
                    log_pf.append(lp[0, a])
                    if a == ndim:
                        break
                    x = x.clone()
                    x[0, a] += 1
                    log_pb.append(grid_log_pb(x)[0])
                log_pb.append(torch.zeros(()))
                losses.append(tb_loss(policy.log_Z, torch.stack(log_pf)[None], torch.stack(log_pb)[None],
                                      log_r_all[grid_index(x, height)], torch.ones(1, len(log_pf), dtype=torch.bool)))
            loss = torch.stack(losses).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()

        rows.append(_compare(f"hypergrid TB training steps/s, batched vs per-trajectory loop, "
                             f"D=2 H={height} B={batch}", batched, loop, quick))
    return rows


def _set_row(quick: bool) -> dict:
    ns = notebook_namespace(SOLUTIONS / "02_forward_looking.py", until="train-intro")
    energy_fn, fl_db_loss = ns["partial_energy"], ns["fl_db_loss"]
    unary, pairwise, M, K, batch = ns["unary"], ns["pairwise"], ns["N_ITEMS"], ns["SET_SIZE"], 16
    torch.manual_seed(0)
    policy = SetPolicy(M, 64)
    opt = torch.optim.Adam(policy.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    log_pb = -torch.log(torch.arange(1, K + 1, dtype=torch.float32))

    def loss_of(visited: torch.Tensor) -> torch.Tensor:
        lp_states, log_F = policy(visited[:, :-1])
        added = (visited[:, 1:] - visited[:, :-1]).argmax(-1)
        log_pf = lp_states.gather(-1, added[..., None]).squeeze(-1)
        b = visited.shape[0]
        return fl_db_loss(torch.cat([log_F, torch.zeros(b, 1)], 1), log_pf, log_pb.expand(b, K),
                          energy_fn(visited, unary, pairwise), torch.ones(b, K, dtype=torch.bool))

    def batched() -> None:
        loss = loss_of(sample_set_trajectories(policy, K, batch, gen))
        opt.zero_grad()
        loss.backward()
        opt.step()

    def loop() -> None:  # one trajectory at a time, one item at a time
        losses = []
        for _ in range(batch):
            bits = torch.zeros(1, M)
            visited = [bits]
            for _ in range(K):
                with torch.no_grad():
                    lp, _ = policy(bits)
                item = int(torch.multinomial(lp.exp()[0], 1, generator=gen))
                bits = bits.clone()
                bits[0, item] = 1
                visited.append(bits)
            losses.append(loss_of(torch.stack(visited, 1)))
        loss = torch.stack(losses).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    return _compare(f"set generation FL-DB training steps/s, batched vs per-trajectory loop, M={M} K={K} B={batch}", batched, loop, quick)


def _game24_row(quick: bool) -> dict:
    ns = notebook_namespace(SOLUTIONS / "03_flow_of_reasoning.py", until="data-intro")
    tb_loss = ns["conditional_tb_loss"]
    env = Game24([(1, 2, 3, 4), (3, 3, 8, 8), (4, 4, 10, 10), (2, 3, 4, 6)])
    torch.manual_seed(0)
    policy = PuzzlePolicy(env.n_features, 128)
    opt = torch.optim.Adam(policy.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    batch = 64

    def step(puzzles: torch.Tensor) -> torch.Tensor:
        out = sample_game24(env, policy, puzzles, gen)
        return tb_loss(out["log_Z"], out["log_pf"], torch.where(out["success"], 0.0, -10.0))

    def batched() -> None:
        loss = step(torch.randint(0, len(env), (batch,), generator=gen))
        opt.zero_grad()
        loss.backward()
        opt.step()

    def loop() -> None:  # one episode at a time
        puzzles = torch.randint(0, len(env), (batch,), generator=gen)
        loss = torch.stack([step(p[None]) for p in puzzles]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    return _compare(f"Game of 24 TB training steps/s, batched vs per-episode loop, B={batch}", batched, loop, quick)


def run(quick: bool = False) -> list[dict]:
    """Steps per second, batched sampler over reference loop, for each of the module's three trainers."""
    os.environ.setdefault("PAPERLAB_QUIET", "1")
    limit_threads(1)  # as the notebooks do
    return [*_grid_rows(quick), _set_row(quick), _game24_row(quick)]


if __name__ == "__main__":
    for row in run(quick=True):
        print(f"{row['ratio']:8.1f}x  {row['benchmark']}  ({row['detail']})")
