"""Unit tests of utils/gflownets.py: environments, samplers, the exact set distribution, the Game of 24."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest
import torch

from utils.gflownets import (
    Game24,
    GridPolicy,
    PuzzlePolicy,
    SetPolicy,
    SubsetLattice,
    empirical_l1,
    game24_puzzle_pool,
    grid_encode,
    grid_forward_mask,
    grid_index,
    grid_log_pb,
    grid_modes,
    grid_states,
    grid_trajectory_terms,
    masked_log_softmax,
    random_energy,
    sample_game24,
    sample_grid_trajectories,
    sample_set_trajectories,
    set_exact_terminal_distribution,
    trajectory_expression,
)


def test_grid_states_and_index_agree():
    states = grid_states(3, 4)
    assert states.shape == (64, 3)
    assert torch.equal(grid_index(states, 4), torch.arange(64))
    # every parent (one coordinate minus 1) has a smaller index: index order is topological
    for d in range(3):
        has = states[:, d] > 0
        parents = states[has].clone()
        parents[:, d] -= 1
        assert (grid_index(parents, 4) < grid_index(states[has], 4)).all()


def test_grid_encode_mask_and_pb():
    x = torch.tensor([[0, 3], [2, 1]])
    enc = grid_encode(x, 4)
    assert enc.shape == (2, 8) and enc.sum().item() == 4
    assert grid_forward_mask(x, 4).tolist() == [[True, False, True], [True, True, True]]
    assert torch.allclose(grid_log_pb(torch.tensor([[1, 0], [2, 3]])), torch.tensor([0.0, -math.log(2)]))
    with pytest.raises(ValueError, match="origin"):
        grid_log_pb(torch.tensor([[0, 0]]))
    with pytest.raises(ValueError, match="x must lie"):
        grid_encode(torch.tensor([[0, 4]]), 4)
    with pytest.raises(ValueError, match="height"):
        grid_states(2, 1)


def test_masked_log_softmax():
    out = masked_log_softmax(torch.zeros(2, 3), torch.tensor([[True, False, True], [True, True, True]]))
    assert out[0, 1].item() == -math.inf
    assert torch.allclose(out.exp().sum(-1), torch.ones(2))
    with pytest.raises(ValueError, match="mask"):
        masked_log_softmax(torch.zeros(2, 3), torch.ones(3, 2, dtype=torch.bool))


def _uniform_table(ndim: int, height: int) -> torch.Tensor:
    mask = grid_forward_mask(grid_states(ndim, height), height)
    return masked_log_softmax(torch.zeros(mask.shape), mask)


def test_sampler_trajectories_are_valid_walks():
    ndim, height = 2, 5
    traj = sample_grid_trajectories(_uniform_table(ndim, height), ndim, height, 200, torch.Generator().manual_seed(0))
    states = grid_states(ndim, height)
    for b in range(200):
        n = int(traj.mask[b].sum())
        seq = traj.states[b, :n]
        assert seq[0].item() == 0 and traj.actions[b, n - 1].item() == ndim  # starts at origin, ends with stop
        assert (traj.actions[b, : n - 1] < ndim).all()
        for t in range(n - 1):  # each move adds 1 to the chosen coordinate
            diff = states[seq[t + 1]] - states[seq[t]]
            assert diff.sum().item() == 1 and diff[traj.actions[b, t]].item() == 1
        assert traj.final[b].item() == seq[-1].item()


def test_sampler_matches_uniform_policy_distribution():
    # 1-D grid of 3 states under the uniform policy: P_T = (1/2, 1/4, 1/4)
    traj = sample_grid_trajectories(_uniform_table(1, 3), 1, 3, 40_000, torch.Generator().manual_seed(1))
    freq = torch.bincount(traj.final, minlength=3).float() / 40_000
    assert torch.allclose(freq, torch.tensor([0.5, 0.25, 0.25]), atol=0.01)


def test_sampler_epsilon_and_validation():
    table = torch.full((9, 3), -math.inf)
    table[:, 2] = 0.0  # always stop
    g = torch.Generator().manual_seed(0)
    assert (sample_grid_trajectories(table, 2, 3, 50, g).final == 0).all()
    assert (sample_grid_trajectories(table, 2, 3, 200, g, epsilon=1.0).final != 0).any()
    with pytest.raises(ValueError, match="log_pf_all"):
        sample_grid_trajectories(torch.zeros(8, 3), 2, 3, 4)
    with pytest.raises(ValueError, match="epsilon"):
        sample_grid_trajectories(table, 2, 3, 4, epsilon=2.0)


def test_trajectory_terms_layout():
    ndim, height = 2, 4
    policy = GridPolicy(ndim, height, 16)
    log_pf_all, log_F_all = policy.all_states()
    log_r_all = torch.randn(height ** ndim)
    traj = sample_grid_trajectories(log_pf_all, ndim, height, 32, torch.Generator().manual_seed(2))
    t = grid_trajectory_terms(traj, log_pf_all, log_F_all, log_r_all, ndim, height)
    states = grid_states(ndim, height)
    for b in range(32):
        n = int(traj.mask[b].sum())
        for i in range(n):
            s, a = traj.states[b, i].item(), traj.actions[b, i].item()
            assert t["log_pf"][b, i].item() == pytest.approx(log_pf_all[s, a].item())
            assert t["log_pf_stop"][b, i].item() == pytest.approx(log_pf_all[s, ndim].item())
            assert t["log_F"][b, i].item() == pytest.approx(log_F_all[s].item())
            if a < ndim:
                nxt = states[traj.states[b, i + 1]]
                assert t["log_pb"][b, i].item() == pytest.approx(-math.log(int((nxt > 0).sum())))
            else:
                assert t["log_pb"][b, i].item() == 0.0
        assert (t["log_pf"][b, n:] == 0).all()
        assert t["log_reward"][b].item() == pytest.approx(log_r_all[traj.final[b]].item())
    with pytest.raises(ValueError, match="log_reward_all"):
        grid_trajectory_terms(traj, log_pf_all, log_F_all, log_r_all[:-1], ndim, height)
    t["log_pf"].sum().backward()  # gradients flow to the policy
    assert policy.net[0].weight.grad is not None


def test_grid_modes_and_empirical_l1():
    assert grid_modes(torch.tensor([1.0, 3.0, 3.0, 2.0])).tolist() == [False, True, True, False]
    target = torch.tensor([0.5, 0.5])
    assert empirical_l1(torch.tensor([0, 1, 0, 1]), target) == pytest.approx(0.0)
    assert empirical_l1(torch.tensor([0, 0]), target) == pytest.approx(1.0)


def test_subset_lattice_structure():
    lat = SubsetLattice(6, 3)
    assert [m.numel() for m in lat.levels] == [math.comb(6, k) for k in range(4)]
    for k in range(1, 4):
        for row in range(lat.levels[k].numel()):
            mask = lat.levels[k][row].item()
            for parent, item in zip(lat.parents[k][row].tolist(), lat.items[k][row].tolist(), strict=True):
                assert lat.levels[k - 1][parent].item() == mask - (1 << item)
    bits = lat.terminal_bits
    assert torch.equal(lat.terminal_index(bits), torch.arange(bits.shape[0]))
    with pytest.raises(ValueError, match="set_size"):
        SubsetLattice(4, 5)


def _enumerate_sets(policy: SetPolicy, M: int, K: int) -> dict[frozenset, float]:
    """Independent check: sum the probabilities of every ordering of every set."""
    out: dict[frozenset, float] = {}
    with torch.no_grad():
        for order in itertools.permutations(range(M), K):
            bits, prob = torch.zeros(M), 1.0
            for item in order:
                lp, _ = policy(bits[None])
                prob *= lp[0, item].exp().item()
                bits = bits.clone()
                bits[item] = 1
            key = frozenset(order)
            out[key] = out.get(key, 0.0) + prob
    return out


def test_set_exact_distribution_matches_enumeration():
    torch.manual_seed(0)
    M, K = 5, 3
    policy = SetPolicy(M, 16)
    lat = SubsetLattice(M, K)
    p = set_exact_terminal_distribution(policy, lat)
    ref = _enumerate_sets(policy, M, K)
    for row, bits in enumerate(lat.terminal_bits):
        key = frozenset(torch.nonzero(bits).squeeze(1).tolist())
        assert p[row].item() == pytest.approx(ref[key], abs=1e-6)
    assert p.sum().item() == pytest.approx(1.0, abs=1e-6)


def test_set_sampler_and_energy():
    torch.manual_seed(0)
    policy = SetPolicy(6, 8)
    visited = sample_set_trajectories(policy, 4, 10, torch.Generator().manual_seed(0))
    assert visited.shape == (10, 5, 6)
    assert torch.equal(visited.sum(-1), torch.arange(5.0).expand(10, 5))
    assert ((visited[:, 1:] - visited[:, :-1]) >= 0).all()
    unary, pair = random_energy(6, torch.Generator().manual_seed(0))
    assert unary.shape == (6,) and torch.equal(pair, pair.T) and (pair.diagonal() == 0).all()


def _all_values(numbers: list[Fraction]) -> list[Fraction]:
    if len(numbers) == 1:
        return [numbers[0]]
    out = []
    for i, j in itertools.combinations(range(len(numbers)), 2):
        a, b = numbers[i], numbers[j]
        rest = [numbers[k] for k in range(len(numbers)) if k not in (i, j)]
        for v in (a + b, a - b, b - a, a * b, a / b if b else None, b / a if a else None):
            if v is not None:
                out += _all_values(rest + [v])
    return out


def test_game24_tree_matches_exact_fractions():
    env = Game24([(1, 2, 3, 4), (4, 4, 10, 10), (1, 1, 1, 1)])
    for p, puzzle in enumerate(env.puzzles):
        exact = _all_values([Fraction(v) for v in puzzle])
        assert int(env.success[p].sum()) == sum(v == 24 for v in exact), puzzle
    assert int(env.success[2].sum()) == 0


def _evaluate(expr) -> Fraction:
    if isinstance(expr, int):
        return Fraction(expr)
    op, a, b = expr
    x, y = _evaluate(a), _evaluate(b)
    return {"+": x + y, "-": x - y, "*": x * y, "/": x / y if y else Fraction(10**9)}[op]


def test_trajectory_expression_evaluates_to_leaf_value():
    env = Game24([(3, 8, 5, 7)])
    g = torch.Generator().manual_seed(0)
    leaves = torch.randint(0, 3888, (200,), generator=g)
    for leaf in leaves.tolist():
        actions = [leaf // 108, (leaf // 6) % 18, leaf % 6]
        value = env.leaf[0, leaf].item()
        if math.isfinite(value):
            assert float(_evaluate(trajectory_expression(env.puzzles[0], actions))) == pytest.approx(value)
    with pytest.raises(ValueError, match="action"):
        trajectory_expression((1, 2, 3, 4), (36, 0, 0))


def test_game24_sampling_shapes_and_features():
    env = Game24([(1, 2, 3, 4), (2, 3, 4, 6)])
    torch.manual_seed(0)
    policy = PuzzlePolicy(env.n_features, 16)
    feats, valid = env.action_features(torch.tensor([0, 1]), 0, torch.zeros(2, dtype=torch.long))
    assert feats.shape == (2, 36, env.n_features) and valid.all()
    out = sample_game24(env, policy, torch.tensor([0, 1, 1]), torch.Generator().manual_seed(0))
    assert out["actions"].shape == (3, 3) and out["log_pf"].shape == (3,) and out["log_Z"].shape == (3,)
    assert (out["leaf"] == out["actions"][:, 0] * 108 + out["actions"][:, 1] * 6 + out["actions"][:, 2]).all()
    out["log_pf"].sum().backward()
    with pytest.raises(ValueError, match="level"):
        env.action_features(torch.tensor([0]), 3, torch.zeros(1, dtype=torch.long))


def test_leaf_actions_and_solution_expressions():
    assert Game24.leaf_actions(0) == [0, 0, 0] and Game24.leaf_actions(3887) == [35, 17, 5]
    with pytest.raises(ValueError, match="leaf"):
        Game24.leaf_actions(3888)
    env = Game24([(4, 4, 10, 10)])
    exprs = env.solution_expressions(0)
    assert len(exprs) == int(env.success[0].sum()) and all(_evaluate(e) == 24 for e in exprs)


def test_puzzle_pool_thresholds():
    pool = game24_puzzle_pool(40, 1, 6)
    assert pool and all(len(p) == 4 and max(p) <= 6 for p in pool)
    counts = Game24(pool).n_solution_trajectories()
    assert (counts >= 40).all()
    assert len(game24_puzzle_pool(1, 1, 6)) > len(pool)
    with pytest.raises(ValueError):
        game24_puzzle_pool(0)
