"""GFlowNet support code: the hypergrid, the set-generation lattice and the Game of 24, with policy shells.

Conventions checked against GFNOrg/torchgfn (src/gfn/gym/hypergrid.py, gym/helpers/hypergrid/rewards.py,
gflownet/trajectory_balance.py, gflownet/detailed_balance.py): a hypergrid state is a vector of D
coordinates in {0..H-1}; action i < D adds 1 to coordinate i, action D ("stop") ends the trajectory;
the backward policy is uniform over the parents. Nothing here is an exercise solution: losses, rewards,
the exact terminal distribution of the hypergrid and expression canonicalisation live in the notebooks.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

__all__ = [
    "GridTrajectories", "GridPolicy", "grid_states", "grid_index", "grid_encode", "grid_forward_mask",
    "grid_log_pb", "masked_log_softmax", "sample_grid_trajectories", "grid_trajectory_terms",
    "grid_modes", "SubsetLattice", "SetPolicy", "sample_set_trajectories", "set_exact_terminal_distribution",
    "random_energy", "Game24", "game24_puzzle_pool", "OPS", "trajectory_expression", "PuzzlePolicy", "sample_game24",
    "empirical_l1", "mlp",
]


def _check_tensor(name: str, x: object, ndim: int | None = None) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {tuple(x.shape)}")
    return x


def _check_grid(ndim: int, height: int) -> None:
    if not isinstance(ndim, int) or ndim < 1:
        raise ValueError(f"ndim must be an int >= 1, got {ndim!r}")
    if not isinstance(height, int) or height < 2:
        raise ValueError(f"height must be an int >= 2, got {height!r}")


def mlp(n_in: int, n_hidden: int, n_out: int, n_layers: int = 2) -> nn.Sequential:
    """A plain MLP: n_layers hidden layers of width n_hidden with LeakyReLU."""
    if min(n_in, n_hidden, n_out, n_layers) < 1:
        raise ValueError(f"all sizes must be >= 1, got {(n_in, n_hidden, n_out, n_layers)}")
    layers: list[nn.Module] = []
    width = n_in
    for _ in range(n_layers):
        layers += [nn.Linear(width, n_hidden), nn.LeakyReLU()]
        width = n_hidden
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


def masked_log_softmax(logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """log-softmax over the last axis with invalid entries (mask False) set to -inf."""
    _check_tensor("logits", logits)
    if mask.shape != logits.shape:
        raise ValueError(f"mask must have the shape of logits {tuple(logits.shape)}, got {tuple(mask.shape)}")
    return torch.log_softmax(logits.masked_fill(~mask, -math.inf), dim=-1)


# --------------------------------------------------------------------------------------------- hypergrid

def grid_states(ndim: int, height: int) -> torch.Tensor:
    """All H**D states as a (H**D, D) long tensor, row i being the state whose grid_index is i."""
    _check_grid(ndim, height)
    axes = [torch.arange(height)] * ndim
    return torch.cartesian_prod(*axes).reshape(-1, ndim) if ndim > 1 else torch.arange(height)[:, None]


def grid_index(x: torch.Tensor, height: int) -> torch.Tensor:
    """Flat index of states x (..., D): sum_i x_i * H**(D-1-i); parents always have smaller indices."""
    _check_tensor("x", x)
    ndim = x.shape[-1]
    weights = height ** torch.arange(ndim - 1, -1, -1, device=x.device)
    return (x.long() * weights).sum(-1)


def grid_encode(x: torch.Tensor, height: int) -> torch.Tensor:
    """One-hot encoding of each coordinate, concatenated: (..., D) -> (..., D*H) float."""
    _check_tensor("x", x)
    if x.numel() and (x.min() < 0 or x.max() >= height):
        raise ValueError(f"x must lie in [0, {height - 1}], got range [{x.min().item()}, {x.max().item()}]")
    return nn.functional.one_hot(x.long(), height).flatten(-2).float()


def grid_forward_mask(x: torch.Tensor, height: int) -> torch.Tensor:
    """Valid forward actions (..., D+1): increment coordinate i while x_i < H-1; stop is always valid."""
    _check_tensor("x", x)
    stop = torch.ones(*x.shape[:-1], 1, dtype=torch.bool, device=x.device)
    return torch.cat([x < height - 1, stop], dim=-1)


def grid_log_pb(x_next: torch.Tensor) -> torch.Tensor:
    """log of the uniform backward policy: -log(number of parents of x_next), parents = coords > 0."""
    _check_tensor("x_next", x_next)
    n_parents = (x_next > 0).sum(-1)
    if (n_parents == 0).any():
        raise ValueError("x_next contains the origin, which has no parent")
    return -torch.log(n_parents.double()).to(torch.get_default_dtype())


class GridPolicy(nn.Module):
    """Forward-policy logits (D+1) and a log state flow for every hypergrid state, plus a learned log Z."""

    def __init__(self, ndim: int, height: int, n_hidden: int = 64) -> None:
        super().__init__()
        _check_grid(ndim, height)
        self.ndim, self.height = ndim, height
        self.net = mlp(ndim * height, n_hidden, ndim + 2)
        self.log_Z = nn.Parameter(torch.zeros(()))
        self.register_buffer("states", grid_states(ndim, height))
        self.register_buffer("encoded", grid_encode(self.states, height))
        self.register_buffer("mask", grid_forward_mask(self.states, height))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """For states x (B, D): masked log PF (B, D+1) and log F (B,)."""
        out = self.net(grid_encode(x, self.height))
        return masked_log_softmax(out[..., :-1], grid_forward_mask(x, self.height)), out[..., -1]

    def all_states(self) -> tuple[torch.Tensor, torch.Tensor]:
        """One forward pass over the whole grid: log PF (S, D+1) and log F (S,), S = H**D."""
        out = self.net(self.encoded)
        return masked_log_softmax(out[:, :-1], self.mask), out[:, -1]


@dataclass
class GridTrajectories:
    """A batch of complete hypergrid trajectories s_0 -> ... -> s_n -> stop, padded to T = max n + 1."""

    states: torch.Tensor   # (B, T) grid indices of s_0..s_n, padded with s_n
    actions: torch.Tensor  # (B, T) action taken in s_t (D = stop), padded with D
    mask: torch.Tensor     # (B, T) True for t <= n (state visited, edge taken)
    final: torch.Tensor    # (B,) grid index of the terminal state s_n

    @property
    def lengths(self) -> torch.Tensor:
        """Number of edges of each trajectory, the stop edge included (n + 1)."""
        return self.mask.sum(1)


def sample_grid_trajectories(log_pf_all: torch.Tensor, ndim: int, height: int, batch_size: int,
                             generator: torch.Generator | None = None, epsilon: float = 0.0) -> GridTrajectories:
    """Sample trajectories from a tabulated forward policy log_pf_all (H**D, D+1), all at once.

    With probability `epsilon` an action is drawn uniformly among the valid ones (exploration).
    """
    _check_grid(ndim, height)
    _check_tensor("log_pf_all", log_pf_all, 2)
    if log_pf_all.shape != (height ** ndim, ndim + 1):
        raise ValueError(f"log_pf_all must have shape {(height ** ndim, ndim + 1)}, got {tuple(log_pf_all.shape)}")
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"epsilon must lie in [0, 1], got {epsilon}")
    probs_all = log_pf_all.detach().exp()
    valid_all = grid_forward_mask(grid_states(ndim, height), height)  # exploration follows the DAG, not the policy
    uniform_all = valid_all.float() / valid_all.sum(1, keepdim=True)
    probs_all = (1 - epsilon) * probs_all + epsilon * uniform_all
    strides = height ** torch.arange(ndim - 1, -1, -1)
    idx = torch.zeros(batch_size, dtype=torch.long)
    done = torch.zeros(batch_size, dtype=torch.bool)
    states, actions, masks = [], [], []
    for _ in range(ndim * (height - 1) + 1):
        action = torch.multinomial(probs_all[idx], 1, generator=generator).squeeze(1)
        action = torch.where(done, torch.full_like(action, ndim), action)
        states.append(idx)
        actions.append(action)
        masks.append(~done)
        stop = action == ndim
        step = strides[action.clamp(max=ndim - 1)]
        idx = torch.where(stop | done, idx, idx + step)
        done = done | stop
        if bool(done.all()):
            break
    states_t, actions_t, mask_t = torch.stack(states, 1), torch.stack(actions, 1), torch.stack(masks, 1)
    final = states_t.gather(1, (mask_t.sum(1, keepdim=True) - 1)).squeeze(1)
    return GridTrajectories(states_t, actions_t, mask_t, final)


def grid_trajectory_terms(traj: GridTrajectories, log_pf_all: torch.Tensor, log_flow_all: torch.Tensor,
                          log_reward_all: torch.Tensor, ndim: int, height: int) -> dict[str, torch.Tensor]:
    """Per-position tensors (B, T) that the balance losses need, aligned so that state t is the source of edge t.

    Keys: log_pf (edge t), log_pb (edge t; 0 for the stop edge), log_pf_stop (of state t), log_F (of state t),
    log_r (of state t), mask; and log_reward (B,) of the terminal state. Masked positions hold 0.
    """
    n_states = height ** ndim
    if log_pf_all.shape != (n_states, ndim + 1):
        raise ValueError(f"log_pf_all must have shape {(n_states, ndim + 1)}, got {tuple(log_pf_all.shape)}")
    for name, table in (("log_flow_all", log_flow_all), ("log_reward_all", log_reward_all)):
        if table.shape != (n_states,):
            raise ValueError(f"{name} must have shape ({n_states},), got {tuple(table.shape)}")
    s, a, m = traj.states, traj.actions, traj.mask
    log_pf = log_pf_all[s, a]
    is_move = m & (a < ndim)
    coords = grid_states(ndim, height)[s.clamp(min=0)]
    nxt = coords + nn.functional.one_hot(a.clamp(max=ndim - 1), ndim) * is_move[..., None]
    n_par = (nxt > 0).sum(-1).clamp(min=1)
    log_pb = torch.where(is_move, -torch.log(n_par.to(log_pf.dtype)), torch.zeros_like(log_pf))
    zero = torch.zeros((), dtype=log_pf.dtype)
    return {
        "log_pf": torch.where(m, log_pf, zero),
        "log_pb": log_pb,
        "log_pf_stop": torch.where(m, log_pf_all[s, ndim], zero),
        "log_F": torch.where(m, log_flow_all[s], zero),
        "log_r": torch.where(m, log_reward_all[s].to(log_pf.dtype), zero),
        "mask": m,
        "log_reward": log_reward_all[traj.final].to(log_pf.dtype),
    }


def grid_modes(reward_all: torch.Tensor) -> torch.Tensor:
    """Boolean (S,) marking the states of maximal reward (the modes)."""
    _check_tensor("reward_all", reward_all, 1)
    return reward_all >= reward_all.max() - 1e-9


def empirical_l1(samples: torch.Tensor, target: torch.Tensor) -> float:
    """sum_x |p_hat(x) - target(x)| for sample indices `samples` and a target pmf over range(len(target))."""
    _check_tensor("samples", samples, 1)
    _check_tensor("target", target, 1)
    counts = torch.bincount(samples, minlength=target.numel()).to(target.dtype)
    return float((counts / samples.numel() - target).abs().sum())


# ---------------------------------------------------------------------------------- set generation

class SubsetLattice:
    """All subsets of {0..M-1} of size <= K, by level, with the parent links a DP over the DAG needs."""

    def __init__(self, n_items: int, set_size: int) -> None:
        if not isinstance(n_items, int) or not 1 <= n_items <= 20:
            raise ValueError(f"n_items must be an int in [1, 20], got {n_items!r}")
        if not isinstance(set_size, int) or not 1 <= set_size <= n_items:
            raise ValueError(f"set_size must be an int in [1, n_items={n_items}], got {set_size!r}")
        self.n_items, self.set_size = n_items, set_size
        self.levels: list[torch.Tensor] = []   # bitmasks of the subsets of each size
        self.position = torch.full((1 << n_items,), -1, dtype=torch.long)  # bitmask -> position in its level
        for k in range(set_size + 1):
            masks = torch.tensor(sorted(sum(1 << i for i in c) for c in itertools.combinations(range(n_items), k)),
                                 dtype=torch.long)
            self.position[masks] = torch.arange(masks.numel())
            self.levels.append(masks)
        self.bits = [self.to_bits(m) for m in self.levels]
        # parents[k]: (n_k, k) positions in level k-1 of s minus each of its items; items[k]: (n_k, k) the item
        self.parents: list[torch.Tensor] = [torch.zeros(1, 0, dtype=torch.long)]
        self.items: list[torch.Tensor] = [torch.zeros(1, 0, dtype=torch.long)]
        for k in range(1, set_size + 1):
            b = self.bits[k].bool()
            items = torch.nonzero(b)[:, 1].reshape(-1, k)
            parent_masks = self.levels[k][:, None] - (1 << items)
            self.parents.append(self.position[parent_masks])
            self.items.append(items)

    def to_bits(self, masks: torch.Tensor) -> torch.Tensor:
        """Bitmasks (...,) -> float 0/1 tensor (..., M)."""
        return ((masks[..., None] >> torch.arange(self.n_items)) & 1).float()

    @property
    def terminal_bits(self) -> torch.Tensor:
        """The terminal sets (size K) as (n_K, M) 0/1 floats, in the order every terminal pmf here uses."""
        return self.bits[self.set_size]

    def terminal_index(self, bits: torch.Tensor) -> torch.Tensor:
        """Positions among the terminal sets of 0/1 rows bits (B, M) of size K."""
        masks = (bits.long() << torch.arange(self.n_items)).sum(-1)
        return self.position[masks]


def random_energy(n_items: int, generator: torch.Generator, unary_scale: float = 1.0,
                  pairwise_scale: float = 0.5) -> tuple[torch.Tensor, torch.Tensor]:
    """Random unary terms (M,) and a symmetric pairwise matrix (M, M) with zero diagonal."""
    if n_items < 1:
        raise ValueError(f"n_items must be >= 1, got {n_items}")
    unary = torch.randn(n_items, generator=generator) * unary_scale
    w = torch.randn(n_items, n_items, generator=generator) * pairwise_scale
    w = torch.triu(w, 1)
    return unary, w + w.T


class SetPolicy(nn.Module):
    """Logits over the M items to add and a log state flow, from the 0/1 membership vector of a set."""

    def __init__(self, n_items: int, n_hidden: int = 64) -> None:
        super().__init__()
        self.n_items = n_items
        self.net = mlp(n_items, n_hidden, n_items + 1)
        self.log_Z = nn.Parameter(torch.zeros(()))

    def forward(self, bits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """For sets bits (..., M): masked log PF over items not yet in the set (..., M) and log F (...,)."""
        if bits.shape[-1] != self.n_items:
            raise ValueError(f"bits must end with M={self.n_items}, got shape {tuple(bits.shape)}")
        out = self.net(bits)
        full = bits.sum(-1, keepdim=True) >= self.n_items
        mask = (bits < 0.5) | full  # a full set (never sampled) gets a dummy valid row to avoid NaN
        return masked_log_softmax(out[..., :-1], mask), out[..., -1]


def sample_set_trajectories(policy: SetPolicy, set_size: int, batch_size: int,
                            generator: torch.Generator | None = None, epsilon: float = 0.0) -> torch.Tensor:
    """Sample B trajectories of K item additions; returns the visited sets as 0/1 floats (B, K+1, M)."""
    if not 1 <= set_size <= policy.n_items:
        raise ValueError(f"set_size must lie in [1, {policy.n_items}], got {set_size}")
    bits = torch.zeros(batch_size, policy.n_items)
    visited = [bits]
    with torch.no_grad():
        for _ in range(set_size):
            log_pf, _ = policy(bits)
            valid = torch.isfinite(log_pf)
            probs = (1 - epsilon) * log_pf.exp() + epsilon * valid.float() / valid.sum(-1, keepdim=True)
            item = torch.multinomial(probs, 1, generator=generator).squeeze(1)
            bits = bits + nn.functional.one_hot(item, policy.n_items).float()
            visited.append(bits)
    return torch.stack(visited, 1)


def set_exact_terminal_distribution(policy: SetPolicy, lattice: SubsetLattice) -> torch.Tensor:
    """Exact probability (n_K,) that the policy ends in each terminal set: DP level by level over the DAG."""
    if policy.n_items != lattice.n_items:
        raise ValueError(f"policy has M={policy.n_items} items but lattice has M={lattice.n_items}")
    with torch.no_grad():
        reach = torch.ones(1, dtype=torch.float64)
        for k in range(1, lattice.set_size + 1):
            log_pf_prev, _ = policy(lattice.bits[k - 1])
            pf_prev = log_pf_prev.double().exp()                      # (n_{k-1}, M)
            parents, items = lattice.parents[k], lattice.items[k]     # (n_k, k)
            reach = (reach[parents] * pf_prev[parents, items]).sum(1)
    return reach


# ------------------------------------------------------------------------------------------ Game of 24

OPS = ("+", "-", "r-", "*", "/", "r/")  # a+b, a-b, b-a, a*b, a/b, b/a for the pair (a, b) = (v_i, v_j), i < j


def _apply(op: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "r-":
            return b - a
        if op == "*":
            return a * b
        if op == "/":
            return np.where(b != 0, a / np.where(b != 0, b, 1), np.nan)
        return np.where(a != 0, b / np.where(a != 0, a, 1), np.nan)


def _actions(n: int) -> list[tuple[int, int, str]]:
    return [(i, j, op) for i, j in itertools.combinations(range(n), 2) for op in OPS]


def trajectory_expression(numbers: list[int] | tuple[int, ...], actions: list[int] | tuple[int, ...]) -> tuple | int:
    """The expression tree a trajectory builds: a leaf is an int, a node is (op, left, right), op in '+-*/'."""
    exprs: list = list(numbers)
    if len(exprs) != 4 or len(actions) != 3:
        raise ValueError(f"need 4 numbers and 3 actions, got {len(exprs)} and {len(actions)}")
    for a in actions:
        table = _actions(len(exprs))
        if not 0 <= a < len(table):
            raise ValueError(f"action {a} out of range for {len(exprs)} numbers (0..{len(table) - 1})")
        i, j, op = table[a]
        x, y = exprs[i], exprs[j]
        node = (op[-1], y, x) if op.startswith("r") else (op, x, y)
        exprs = [e for k, e in enumerate(exprs) if k not in (i, j)] + [node]
    return exprs[0]


def game24_puzzle_pool(min_trajectories: int = 40, low: int = 1, high: int = 13) -> list[tuple[int, int, int, int]]:
    """All multisets of four numbers in [low, high] with at least `min_trajectories` successful trajectories."""
    if low > high or min_trajectories < 1:
        raise ValueError(f"need low <= high and min_trajectories >= 1, got {low}, {high}, {min_trajectories}")
    candidates = list(itertools.combinations_with_replacement(range(low, high + 1), 4))
    counts = Game24(candidates).n_solution_trajectories()
    return [p for p, n in zip(candidates, counts.tolist(), strict=True) if n >= min_trajectories]


def _number_features(v: torch.Tensor) -> torch.Tensor:
    """Features of numbers (..., ) -> (..., 6); NaN marks an empty slot."""
    present = torch.isfinite(v)
    x = torch.where(present, v, torch.zeros_like(v))
    near = (x - x.round()).abs() < 1e-6
    return torch.stack([present.float(), (x / 24).clamp(-4, 4), torch.sign(x) * torch.log1p(x.abs()) / 3,
                        near.float(), ((x - 24).abs() < 1e-6).float(),
                        (near & (x.round() != 0) & (torch.remainder(24, x.round().clamp(min=1)) == 0)
                         & (x > 0)).float()], -1)


class Game24:
    """Game-of-24 puzzles with their whole trajectory tree precomputed (3 steps: 36 x 18 x 6 actions).

    A state holds the remaining numbers; an action picks a pair i < j of them and one of the six OPS; the
    result replaces the pair at the end of the list. Tree ids: level-1 state a1, level-2 a1*18+a2, leaf
    (a1*18+a2)*6+a3. A division by zero is an invalid action (masked).
    """

    N_ACTIONS = (36, 18, 6)

    def __init__(self, puzzles: list[tuple[int, int, int, int]]) -> None:
        if not puzzles or any(len(p) != 4 for p in puzzles):
            raise ValueError("puzzles must be a non-empty list of 4-tuples of ints")
        self.puzzles = [tuple(int(v) for v in p) for p in puzzles]
        level = np.asarray(self.puzzles, dtype=np.float64)[:, None, :]   # (P, 1, 4)
        self.values = [level]
        for n in (4, 3, 2):
            children = []
            for i, j, op in _actions(n):
                rest = [k for k in range(n) if k not in (i, j)]
                res = _apply(op, level[..., i], level[..., j])[..., None]
                children.append(np.concatenate([level[..., rest], res], -1))
            level = np.stack(children, 2).reshape(len(self.puzzles), -1, n - 1)  # (P, S*A, n-1)
            self.values.append(level)
        self.leaf = torch.tensor(self.values[3][..., 0])                      # (P, 3888)
        self.success = (self.leaf - 24).abs() < 1e-6                            # (P, 3888)
        self.tensors = [torch.tensor(v) for v in self.values]

    def __len__(self) -> int:
        return len(self.puzzles)

    def n_solution_trajectories(self) -> torch.Tensor:
        """Number of successful trajectories (leaves) of each puzzle."""
        return self.success.sum(1)

    def action_features(self, puzzle: torch.Tensor, level: int, node: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Features (B, A, F) of the A actions at tree node `node` (B,) of `level` (0, 1, 2), and their mask (B, A)."""
        if level not in (0, 1, 2):
            raise ValueError(f"level must be 0, 1 or 2, got {level}")
        n_act = self.N_ACTIONS[level]
        child = node[:, None] * n_act + torch.arange(n_act)                     # (B, A)
        nxt = self.tensors[level + 1][puzzle[:, None], child].float()          # (B, A, 3 - level)
        valid = torch.isfinite(nxt).all(-1)
        pad = torch.full((*nxt.shape[:2], 3 - nxt.shape[-1]), math.nan)
        slots = torch.cat([torch.sort(nxt, -1).values, pad], -1)              # order-free; NaN sorts last
        feats = _number_features(slots).flatten(-2)                              # (B, A, 18)
        op = nn.functional.one_hot(torch.arange(n_act) % 6, 6).float().expand(len(node), n_act, 6)
        lev = nn.functional.one_hot(torch.tensor(level), 3).float().expand(len(node), n_act, 3)
        puz = _number_features(torch.tensor(self.puzzles, dtype=torch.float32)[puzzle]).flatten(-2)
        return torch.cat([feats, op, lev, puz[:, None].expand(-1, n_act, -1)], -1), valid

    @staticmethod
    def leaf_actions(leaf: int) -> list[int]:
        """The three actions (a1, a2, a3) that lead to tree leaf `leaf` (0..3887)."""
        if not 0 <= int(leaf) < 3888:
            raise ValueError(f"leaf must lie in [0, 3887], got {leaf}")
        leaf = int(leaf)
        return [leaf // 108, (leaf // 6) % 18, leaf % 6]

    def solution_expressions(self, puzzle: int) -> list[tuple | int]:
        """Expression trees of every successful trajectory of puzzle number `puzzle` (duplicates included)."""
        leaves = torch.nonzero(self.success[puzzle]).squeeze(1).tolist()
        return [trajectory_expression(self.puzzles[puzzle], self.leaf_actions(leaf)) for leaf in leaves]

    @property
    def n_features(self) -> int:
        """Length of one action's feature vector."""
        return 18 + 6 + 3 + 24


class PuzzlePolicy(nn.Module):
    """Scores each candidate action of a Game-of-24 state from its features; log Z(puzzle) for TB."""

    def __init__(self, n_features: int, n_hidden: int = 128) -> None:
        super().__init__()
        self.score = mlp(n_features, n_hidden, 1)
        self.log_Z = mlp(24, 32, 1, n_layers=1)

    def forward(self, feats: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """Masked log-probabilities (B, A) over the actions described by feats (B, A, F)."""
        return masked_log_softmax(self.score(feats).squeeze(-1), valid)

    def log_partition(self, feats: torch.Tensor) -> torch.Tensor:
        """log Z of each puzzle (B,), read from the puzzle part (last 24 features) of any action's features."""
        return self.log_Z(feats[:, 0, -24:]).squeeze(-1)


def sample_game24(env: Game24, policy: PuzzlePolicy, puzzle: torch.Tensor, generator: torch.Generator | None = None,
                  epsilon: float = 0.0, greedy: bool = False) -> dict[str, torch.Tensor]:
    """Play one episode per entry of `puzzle` (B,): actions (B, 3), sum of log PF (B,), leaf ids, success, log Z."""
    _check_tensor("puzzle", puzzle, 1)
    node = torch.zeros_like(puzzle)
    actions, log_pf_sum, log_Z = [], torch.zeros(len(puzzle)), None
    for level in range(3):
        feats, valid = env.action_features(puzzle, level, node)
        log_pf = policy(feats, valid)
        if level == 0:
            log_Z = policy.log_partition(feats)
        with torch.no_grad():
            probs = (1 - epsilon) * log_pf.exp() + epsilon * valid.float() / valid.sum(-1, keepdim=True)
            a = probs.argmax(-1) if greedy else torch.multinomial(probs, 1, generator=generator).squeeze(1)
        log_pf_sum = log_pf_sum + log_pf.gather(1, a[:, None]).squeeze(1)
        actions.append(a)
        node = node * env.N_ACTIONS[level] + a
    return {"actions": torch.stack(actions, 1), "log_pf": log_pf_sum, "leaf": node,
            "success": env.success[puzzle, node], "log_Z": log_Z}
