"""Unit tests of the toy value-learning world (utils/value_learning.py)."""

from __future__ import annotations

import math

import pytest
import torch

from utils.testing import assert_samples_follow, assert_values
from utils.value_learning import EnsembleMLP, RingWalk, ring_walk, value_rmse


def _value_iteration(world: RingWalk, sweeps: int = 2000) -> torch.Tensor:
    """An independent route to the values: iterate V <- r + gamma P V to convergence."""
    v = torch.zeros(world.n_states, dtype=torch.float64)
    for _ in range(sweeps):
        v = world.rewards + world.gamma * world.transitions @ v
    return v


def test_ring_walk_structure():
    world = ring_walk(n_states=6, gamma=0.9, p_left=0.3, p_stay=0.2)
    assert world.n_states == 6 and world.gamma == 0.9
    assert world.transitions.shape == (6, 6) and world.transitions.dtype == torch.float64
    assert_values(world.transitions.sum(1), torch.ones(6, dtype=torch.float64))
    for s in range(6):
        assert world.transitions[s, (s - 1) % 6].item() == pytest.approx(0.3)
        assert world.transitions[s, s].item() == pytest.approx(0.2)
        assert world.transitions[s, (s + 1) % 6].item() == pytest.approx(0.5)
    assert int((world.transitions > 0).sum()) == 18
    angle = [2 * math.pi * s / 6 for s in range(6)]
    expected = torch.tensor([math.sin(a) + 0.5 * math.cos(3 * a) for a in angle], dtype=torch.float64)
    assert_values(world.rewards, expected, rtol=1e-12, atol=1e-12)
    assert torch.equal(world.features, torch.eye(6))


def test_exact_values_solve_the_bellman_equation():
    world = ring_walk(n_states=24, gamma=0.95)
    v = world.exact_values()
    assert v.shape == (24,) and v.dtype == torch.float64
    assert_values(v, world.rewards + world.gamma * world.transitions @ v, rtol=1e-12, atol=1e-12)
    assert_values(v, _value_iteration(world), rtol=1e-9, atol=1e-9)


def test_exact_values_of_a_constant_reward():
    world = ring_walk(n_states=5, gamma=0.5)
    constant = RingWalk(world.transitions, torch.full((5,), 2.0, dtype=torch.float64), world.features, 0.5)
    assert_values(constant.exact_values(), torch.full((5,), 4.0, dtype=torch.float64), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kwargs", [{"n_states": 2}, {"gamma": 1.0}, {"gamma": -0.1}, {"p_left": -0.1},
                                    {"p_left": 0.7, "p_stay": 0.5}])
def test_ring_walk_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        ring_walk(**kwargs)


@pytest.mark.parametrize("kwargs", [{"n_states": 5.0}, {"n_states": True}, {"gamma": "0.9"}, {"p_stay": None}])
def test_ring_walk_rejects_bad_types(kwargs):
    with pytest.raises(TypeError):
        ring_walk(**kwargs)


def test_sample_transitions_shapes_and_neighbours():
    world = ring_walk(n_states=10)
    s, r, s_next = world.sample_transitions(3, 50, 0.0, torch.Generator().manual_seed(0))
    assert s.shape == r.shape == s_next.shape == (3, 50)
    assert s.dtype == s_next.dtype == torch.long and r.dtype == torch.float32
    step = (s_next - s) % 10
    assert set(step.flatten().tolist()) <= {0, 1, 9}, "the walk only moves to a neighbour or stays"
    assert_values(r, world.rewards.float()[s], what="noise-free rewards are the mean rewards")


def test_sample_transitions_follow_the_walk():
    world = ring_walk(n_states=5, p_left=0.3, p_stay=0.2)
    s, _, s_next = world.sample_transitions(4, 5000, 0.0, torch.Generator().manual_seed(1))
    pairs = list(zip(s.flatten().tolist(), s_next.flatten().tolist()))
    probs = {(a, b): 0.2 * world.transitions[a, b].item() for a in range(5) for b in range(5)
             if world.transitions[a, b] > 0}
    assert_samples_follow(pairs, probs, what="(state, next state) pairs")


def test_sample_transitions_noise_per_member():
    world = ring_walk(n_states=8)
    noise = torch.tensor([0.0, 1.0, 3.0])
    s, r, _ = world.sample_transitions(3, 40_000, noise, torch.Generator().manual_seed(2))
    residual = r.double() - world.rewards[s]
    assert residual[0].abs().max().item() < 1e-6
    for m, std in ((1, 1.0), (2, 3.0)):
        assert abs(residual[m].mean().item()) < 4 * std / math.sqrt(40_000)
        assert abs(residual[m].std().item() - std) < 0.03 * std


def test_sample_transitions_is_reproducible():
    world = ring_walk()
    a = world.sample_transitions(2, 7, 1.0, torch.Generator().manual_seed(3))
    b = world.sample_transitions(2, 7, 1.0, torch.Generator().manual_seed(3))
    assert all(torch.equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("noise", [torch.ones(2), torch.tensor([1.0, -1.0, 0.0]), torch.tensor([0.0, math.inf, 1.0]),
                                   torch.ones(3, dtype=torch.long), -1.0, math.nan])
def test_sample_transitions_rejects_bad_noise(noise):
    with pytest.raises(ValueError, match="noise_std"):
        ring_walk().sample_transitions(3, 4, noise, torch.Generator())


def test_sample_transitions_rejects_bad_arguments():
    world = ring_walk()
    with pytest.raises(ValueError, match="members"):
        world.sample_transitions(0, 4, 1.0, torch.Generator())
    with pytest.raises(ValueError, match="batch"):
        world.sample_transitions(2, 0, 1.0, torch.Generator())
    with pytest.raises(TypeError, match="generator"):
        world.sample_transitions(2, 4, 1.0, 0)
    with pytest.raises(TypeError, match="noise_std"):
        world.sample_transitions(2, 4, True, torch.Generator())


def test_ensemble_matches_separate_networks():
    net = EnsembleMLP(3, 5, 7, 2, torch.Generator().manual_seed(4))
    x = torch.randn(3, 6, 5, generator=torch.Generator().manual_seed(5))
    out = net(x)
    assert out.shape == (3, 6, 2)
    for m in range(3):
        w, b = [p[m] for p in net.weights], [p[m] for p in net.biases]
        h = torch.relu(x[m] @ w[0] + b[0])
        h = torch.relu(h @ w[1] + b[1])
        assert_values(out[m], h @ w[2] + b[2], rtol=1e-5, atol=1e-6, what=f"member {m}")


def test_ensemble_members_are_independent():
    net = EnsembleMLP(2, 4, 8, 3, torch.Generator().manual_seed(6))
    x = torch.randn(2, 5, 4, generator=torch.Generator().manual_seed(7))
    net(x)[0].pow(2).sum().backward()
    for p in list(net.weights) + list(net.biases):
        assert p.grad[1].abs().max().item() == 0.0, "member 0's loss must not reach member 1's parameters"
    assert any(p.grad[0].abs().max().item() > 0 for p in net.weights)


def test_ensemble_initialisation_is_seeded():
    a = EnsembleMLP(2, 3, 4, 1, torch.Generator().manual_seed(8))
    b = EnsembleMLP(2, 3, 4, 1, torch.Generator().manual_seed(8))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert all(torch.equal(bias, torch.zeros_like(bias)) for bias in a.biases)


def test_ensemble_rejects_bad_arguments():
    with pytest.raises(ValueError, match="hidden"):
        EnsembleMLP(2, 3, 0, 1, torch.Generator())
    with pytest.raises(TypeError, match="members"):
        EnsembleMLP(2.0, 3, 4, 1, torch.Generator())
    with pytest.raises(TypeError, match="generator"):
        EnsembleMLP(2, 3, 4, 1, None)
    net = EnsembleMLP(2, 3, 4, 1, torch.Generator())
    for bad in (torch.zeros(3, 5, 3), torch.zeros(2, 5, 4), torch.zeros(2, 3)):
        with pytest.raises(ValueError, match="x must have shape"):
            net(bad)
    with pytest.raises(TypeError):
        net([[0.0]])


def test_value_rmse():
    exact = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    predicted = torch.tensor([[1.0, -2.0, 0.5], [2.0, -1.0, 1.5]], requires_grad=True)
    got = value_rmse(predicted, exact)
    assert_values(got, torch.tensor([0.0, 1.0], dtype=torch.float64))
    assert not got.requires_grad
    with pytest.raises(ValueError):
        value_rmse(predicted, exact[:2])
    with pytest.raises(ValueError):
        value_rmse(predicted[0], exact)
    with pytest.raises(TypeError):
        value_rmse([[1.0]], exact)


# --- notebook 02 (distributional dynamic programming): RewardChain, random_reward_chain, RouteGame ---

from utils.value_learning import RewardChain, random_reward_chain, two_route_game  # noqa: E402


@pytest.fixture
def one_thread():
    """Sampling loops of many small ops: one thread avoids contention on a loaded machine (as the lessons do)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _chain() -> RewardChain:
    return random_reward_chain(5, 3, 0.8, torch.Generator().manual_seed(10))


def test_random_reward_chain_structure():
    chain = _chain()
    assert chain.n_states == 5 and chain.gamma == 0.8
    assert chain.transitions.shape == (5, 5) and chain.transitions.dtype == torch.float64
    assert chain.reward_values.shape == chain.reward_probs.shape == (5, 3)
    assert_values(chain.transitions.sum(1), torch.ones(5, dtype=torch.float64), rtol=1e-12, atol=1e-12)
    assert_values(chain.reward_probs.sum(1), torch.ones(5, dtype=torch.float64), rtol=1e-12, atol=1e-12)
    assert ((chain.transitions > 0).sum(1) == 3).all(), "each state has exactly `successors` successors"
    assert chain.reward_values.abs().max().item() <= 1.0
    low, high = chain.return_bounds()
    assert low == pytest.approx(chain.reward_values.min().item() / 0.2)
    assert high == pytest.approx(chain.reward_values.max().item() / 0.2)
    again = random_reward_chain(5, 3, 0.8, torch.Generator().manual_seed(10))
    assert torch.equal(again.transitions, chain.transitions) and torch.equal(again.reward_values, chain.reward_values)


def test_reward_chain_exact_values_solve_the_bellman_equation():
    chain = _chain()
    v = chain.exact_values()
    mean_reward = (chain.reward_values * chain.reward_probs).sum(1)
    iterate = torch.zeros(5, dtype=torch.float64)
    for _ in range(400):  # value iteration: an independent route
        iterate = mean_reward + chain.gamma * chain.transitions @ iterate
    assert v.dtype == torch.float64
    assert_values(v, iterate, rtol=1e-10, atol=1e-10)


def test_reward_chain_monte_carlo_returns(one_thread):
    chain = _chain()
    returns = chain.sample_returns(4000, torch.Generator().manual_seed(11))
    assert returns.shape == (5, 4000) and returns.dtype == torch.float64
    low, high = chain.return_bounds()
    assert returns.min().item() >= low - 1e-9 and returns.max().item() <= high + 1e-9
    se = returns.std(1) / math.sqrt(4000)
    assert ((returns.mean(1) - chain.exact_values()).abs() < 4 * se).all(), "Monte Carlo means within 4 standard errors"


def test_reward_chain_gamma_zero_samples_the_reward(one_thread):
    base = _chain()
    chain = RewardChain(base.transitions, base.reward_values, base.reward_probs, 0.0)
    returns = chain.sample_returns(3000, torch.Generator().manual_seed(12))
    hits = returns[:, :, None] == chain.reward_values[:, None, :]  # (S, n, R): which outcome each return is
    assert bool((hits.sum(-1) == 1).all()), "with gamma = 0 the return is exactly one of the state's rewards"
    outcome = hits.long().argmax(-1)
    samples = [(s, outcome[s, j].item()) for s in range(5) for j in range(3000)]
    probs = {(s, i): chain.reward_probs[s, i].item() / 5 for s in range(5) for i in range(3)}
    assert_samples_follow(samples, probs, what="(state, reward outcome) with gamma = 0")


@pytest.mark.parametrize("kwargs", [{"n_states": 0}, {"n_rewards": 0}, {"gamma": 1.0}, {"gamma": -0.5},
                                    {"successors": 6}, {"successors": 0}])
def test_random_reward_chain_rejects_bad_arguments(kwargs):
    args = {"n_states": 5, "n_rewards": 2, "gamma": 0.9, "generator": torch.Generator()} | kwargs
    with pytest.raises(ValueError):
        random_reward_chain(**args)


def test_reward_chain_sample_returns_rejects_bad_arguments():
    chain = _chain()
    with pytest.raises(ValueError, match="n"):
        chain.sample_returns(0, torch.Generator())
    with pytest.raises(TypeError, match="generator"):
        chain.sample_returns(10, None)
    with pytest.raises(ValueError, match="tolerance"):
        chain.sample_returns(10, torch.Generator(), tolerance=2.0)


def test_two_route_game_structure_and_sampling(one_thread):
    game = two_route_game(horizon=4, safe=1, win=4, loss=-1, p_win=0.5)
    assert torch.equal(game.stocks, torch.arange(-4, 17))
    assert game.rewards.dtype == torch.long and game.probs.dtype == torch.float64
    n_stocks = game.stocks.numel()
    safe = game.sample_returns(torch.zeros(4, n_stocks, dtype=torch.long), 500, torch.Generator().manual_seed(13))
    assert safe.dtype == torch.long and torch.equal(safe, torch.full((500,), 4))
    risky = game.sample_returns(torch.ones(4, n_stocks, dtype=torch.long), 20_000, torch.Generator().manual_seed(14))
    wins = ((risky + 4) // 5).tolist()  # G = 5 * wins - 4
    assert all(5 * w - 4 == g for w, g in zip(wins, risky.tolist()))
    assert_samples_follow(wins, {w: math.comb(4, w) / 16 for w in range(5)}, what="number of wins, always risky")


def test_two_route_game_follows_a_stock_policy(one_thread):
    game = two_route_game(horizon=2, safe=1, win=4, loss=-1, p_win=0.5)
    lowest = int(game.stocks[0])
    policy = torch.ones(2, game.stocks.numel(), dtype=torch.long)
    policy[1, 4 - lowest] = 0  # after a win (stock 4), play safe: 5; after a loss (stock -1), risky: 3 or -2
    returns = game.sample_returns(policy, 20_000, torch.Generator().manual_seed(15)).tolist()
    assert_samples_follow(returns, {5: 0.5, 3: 0.25, -2: 0.25}, what="returns of a stock-aware policy")


def test_two_route_game_rejects_bad_arguments():
    with pytest.raises(ValueError):
        two_route_game(horizon=0)
    with pytest.raises(TypeError):
        two_route_game(win=4.0)
    with pytest.raises(ValueError):
        two_route_game(p_win=1.5)
    game = two_route_game(horizon=3)
    with pytest.raises(ValueError, match="policy"):
        game.sample_returns(torch.zeros(2, 5, dtype=torch.long), 10, torch.Generator())
