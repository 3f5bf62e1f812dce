"""The toy world of module 05_value_learning: a random walk on a ring with noisy rewards, its exact
values, batched transition sampling, and an ensemble of small MLP value networks trained side by side.

Everything a lesson uses but does not teach lives here: the Markov reward process (a fixed policy on a
ring of states, so there is nothing to control, only a value to learn), the exact solution of its Bellman
equation, minibatches of noisy transitions for many independent learners at once, and the batched MLP
whose members are independent networks (one per seed and noise level) evaluated in one call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from utils.common import check_generator, check_int


@dataclass(frozen=True)
class RingWalk:
    """A random walk on a ring of states under a fixed policy: transitions (S, S) float64, mean rewards
    (S,) float64, one-hot features (S, S) float32 and the discount gamma."""

    transitions: torch.Tensor
    rewards: torch.Tensor
    features: torch.Tensor
    gamma: float

    @property
    def n_states(self) -> int:
        """The number of states S."""
        return self.rewards.shape[0]

    def exact_values(self) -> torch.Tensor:
        """The true values V = (I - gamma P)^-1 r, the exact solution of the Bellman equation: (S,) float64."""
        eye = torch.eye(self.n_states, dtype=torch.float64)
        return torch.linalg.solve(eye - self.gamma * self.transitions, self.rewards)

    def sample_transitions(self, members: int, batch: int, noise_std: torch.Tensor | float,
                           generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """`batch` transitions for each of `members` learners: states uniform, rewards r(s) + noise_std * N(0, 1)
        (noise_std a float or a (members,) tensor: one level per learner), next states from the walk.
        Returns (states (M, B) long, rewards (M, B) float32, next_states (M, B) long)."""
        check_int(members, "members", 1)
        check_int(batch, "batch", 1)
        check_generator(generator)
        if isinstance(noise_std, torch.Tensor):
            if noise_std.shape != (members,):
                raise ValueError(f"noise_std must be a float or have shape ({members},) (members,), "
                                 f"got {tuple(noise_std.shape)}")
            if not noise_std.is_floating_point() or bool((noise_std < 0).any()) or not bool(noise_std.isfinite().all()):
                raise ValueError("noise_std must hold finite floats >= 0")
            std = noise_std.to(torch.float32)[:, None]
        elif isinstance(noise_std, (int, float)) and not isinstance(noise_std, bool):
            if not (math.isfinite(noise_std) and noise_std >= 0):
                raise ValueError(f"noise_std must be a finite number >= 0, got {noise_std}")
            std = torch.full((members, 1), float(noise_std))
        else:
            raise TypeError(f"noise_std must be a float or a tensor, got {type(noise_std).__name__}")
        states = torch.randint(0, self.n_states, (members, batch), generator=generator)
        # inverse-CDF sampling: the next state is the first k with u < P(s, 0) + ... + P(s, k)
        cdf = self.transitions.cumsum(dim=1)[states]  # (M, B, S)
        u = torch.rand(members, batch, 1, generator=generator, dtype=torch.float64)
        next_states = (cdf <= u).sum(dim=-1).clamp(max=self.n_states - 1)
        noise = torch.randn(members, batch, generator=generator) * std
        rewards = self.rewards.to(torch.float32)[states] + noise
        return states, rewards, next_states


def ring_walk(n_states: int = 24, gamma: float = 0.95, p_left: float = 0.3, p_stay: float = 0.2) -> RingWalk:
    """The lesson's Markov reward process: S states on a ring, step left with p_left, stay with p_stay, right
    otherwise; mean reward r(s) = sin(2 pi s / S) + 0.5 cos(6 pi s / S); one-hot state features."""
    check_int(n_states, "n_states", 3)
    for name, value in (("gamma", gamma), ("p_left", p_left), ("p_stay", p_stay)):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise TypeError(f"{name} must be a float, got {type(value).__name__}")
    if not 0 <= gamma < 1:
        raise ValueError(f"gamma must lie in [0, 1), got {gamma}")
    if not (p_left >= 0 and p_stay >= 0 and p_left + p_stay <= 1):
        raise ValueError(f"p_left and p_stay must be >= 0 with p_left + p_stay <= 1, got {p_left}, {p_stay}")
    s = torch.arange(n_states)
    transitions = torch.zeros(n_states, n_states, dtype=torch.float64)
    transitions[s, (s - 1) % n_states] += p_left
    transitions[s, s] += p_stay
    transitions[s, (s + 1) % n_states] += 1 - p_left - p_stay
    angle = 2 * math.pi * s.to(torch.float64) / n_states
    rewards = torch.sin(angle) + 0.5 * torch.cos(3 * angle)
    return RingWalk(transitions, rewards, torch.eye(n_states), float(gamma))


class EnsembleMLP(nn.Module):
    """`members` independent MLPs (two hidden ReLU layers) in one batched call: (M, B, d) -> (M, B, out).
    Each member sees only its own slice of the input and gets only its own gradient, so training the sum of
    the members' losses with an elementwise optimiser (Adam, SGD) trains every member independently."""

    def __init__(self, members: int, in_features: int, hidden: int, out_features: int,
                 generator: torch.Generator) -> None:
        """Weights ~ N(0, 1 / fan_in) drawn from `generator`, biases 0."""
        super().__init__()
        for name, value in (("members", members), ("in_features", in_features), ("hidden", hidden),
                            ("out_features", out_features)):
            check_int(value, name, 1)
        check_generator(generator)
        self.members, self.in_features, self.out_features = members, in_features, out_features
        sizes = [(in_features, hidden), (hidden, hidden), (hidden, out_features)]
        self.weights = nn.ParameterList(
            [nn.Parameter(torch.randn(members, i, o, generator=generator) / math.sqrt(i)) for i, o in sizes])
        self.biases = nn.ParameterList([nn.Parameter(torch.zeros(members, 1, o)) for _, o in sizes])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(M, B, in_features) float32 -> (M, B, out_features)."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
        if x.dim() != 3 or x.shape[0] != self.members or x.shape[2] != self.in_features:
            raise ValueError(f"x must have shape ({self.members}, B, {self.in_features}) (members, batch, "
                             f"in_features), got {tuple(x.shape)}")
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(b, x, w)
            if i < last:
                x = torch.relu(x)
        return x


def value_rmse(predicted: torch.Tensor, exact: torch.Tensor) -> torch.Tensor:
    """Root-mean-square error over states of each learner's values: (M, S) against (S,) -> (M,) float64."""
    if not isinstance(predicted, torch.Tensor) or not isinstance(exact, torch.Tensor):
        raise TypeError("predicted and exact must be torch.Tensors")
    if exact.dim() != 1 or predicted.dim() != 2 or predicted.shape[1] != exact.shape[0]:
        raise ValueError(f"predicted must have shape (M, {exact.shape[0] if exact.dim() == 1 else 'S'}) and exact "
                         f"shape (S,), got {tuple(predicted.shape)} and {tuple(exact.shape)}")
    diff = predicted.detach().to(torch.float64) - exact.to(torch.float64)
    return diff.pow(2).mean(dim=1).sqrt()


# --- notebook 02 (distributional dynamic programming): a reward chain with random rewards, a two-route game ---


@dataclass(frozen=True)
class RewardChain:
    """A Markov reward process with random rewards: transitions (S, S) float64; on leaving state s the reward
    is reward_values[s, i] with probability reward_probs[s, i] ((S, R) float64 each), independent of the
    next state; discount gamma. Every return lies in [min reward / (1 - gamma), max reward / (1 - gamma)]."""

    transitions: torch.Tensor
    reward_values: torch.Tensor
    reward_probs: torch.Tensor
    gamma: float

    @property
    def n_states(self) -> int:
        """The number of states S."""
        return self.transitions.shape[0]

    def return_bounds(self) -> tuple[float, float]:
        """The smallest and largest possible discounted returns: reward bounds over (1 - gamma)."""
        return (self.reward_values.min().item() / (1 - self.gamma), self.reward_values.max().item() / (1 - self.gamma))

    def exact_values(self) -> torch.Tensor:
        """The expected returns V = (I - gamma P)^-1 E[R]: (S,) float64."""
        mean_reward = (self.reward_values * self.reward_probs).sum(dim=1)
        eye = torch.eye(self.n_states, dtype=torch.float64)
        return torch.linalg.solve(eye - self.gamma * self.transitions, mean_reward)

    def sample_returns(self, n: int, generator: torch.Generator, tolerance: float = 1e-12) -> torch.Tensor:
        """`n` Monte Carlo discounted returns from every start state, each episode cut after H steps with
        gamma^H * max|reward| / (1 - gamma) < tolerance: (S, n) float64."""
        check_int(n, "n", 1)
        check_generator(generator)
        if not (isinstance(tolerance, float) and 0 < tolerance < 1):
            raise ValueError(f"tolerance must be a float in (0, 1), got {tolerance!r}")
        scale = max(self.reward_values.abs().max().item() / (1 - self.gamma), 1e-300)
        horizon = 1 if self.gamma == 0 else max(1, math.ceil(math.log(tolerance / scale) / math.log(self.gamma)))
        s = torch.arange(self.n_states).repeat_interleave(n)
        reward_cdf, next_cdf = self.reward_probs.cumsum(dim=1), self.transitions.cumsum(dim=1)
        returns = torch.zeros(s.numel(), dtype=torch.float64)
        discount = 1.0
        for _ in range(horizon):  # inverse-CDF draws of the reward and of the next state
            u = torch.rand(s.numel(), 1, generator=generator, dtype=torch.float64)
            i = (reward_cdf[s] <= u).sum(dim=1).clamp(max=self.reward_values.shape[1] - 1)
            returns += discount * self.reward_values[s, i]
            u = torch.rand(s.numel(), 1, generator=generator, dtype=torch.float64)
            s = (next_cdf[s] <= u).sum(dim=1).clamp(max=self.n_states - 1)
            discount *= self.gamma
        return returns.view(self.n_states, n)


def random_reward_chain(n_states: int, n_rewards: int, gamma: float, generator: torch.Generator,
                        successors: int = 3) -> RewardChain:
    """A random RewardChain: each state moves to `successors` random states (Dirichlet(1) weights) and pays
    one of `n_rewards` rewards drawn uniformly from [-1, 1], with Dirichlet(1) probabilities."""
    check_int(n_states, "n_states", 1)
    check_int(n_rewards, "n_rewards", 1)
    check_int(successors, "successors", 1)
    check_generator(generator)
    if not isinstance(gamma, (int, float)) or isinstance(gamma, bool) or not 0 <= gamma < 1:
        raise ValueError(f"gamma must be a number in [0, 1), got {gamma!r}")
    if successors > n_states:
        raise ValueError(f"successors must be <= n_states={n_states}, got {successors}")
    dirichlet = lambda *shape: -torch.rand(*shape, generator=generator, dtype=torch.float64).log()  # noqa: E731
    transitions = torch.zeros(n_states, n_states, dtype=torch.float64)
    for s in range(n_states):
        targets = torch.randperm(n_states, generator=generator)[:successors]
        weights = dirichlet(successors)
        transitions[s, targets] = weights / weights.sum()
    reward_values = torch.rand(n_states, n_rewards, generator=generator, dtype=torch.float64) * 2 - 1
    weights = dirichlet(n_states, n_rewards)
    return RewardChain(transitions, reward_values, weights / weights.sum(dim=1, keepdim=True), float(gamma))


@dataclass(frozen=True)
class RouteGame:
    """`horizon` rounds; in each the agent takes route 0 (safe) or 1 (risky), which pays rewards[a, i]
    (integers, (2, R) long) with probability probs[a, i] ((2, R) float64). No discount: the return is the sum
    of the rewards, and the accrued return (the stock) so far is an integer in [horizon * min, horizon * max]."""

    horizon: int
    rewards: torch.Tensor
    probs: torch.Tensor

    @property
    def stocks(self) -> torch.Tensor:
        """Every accrued return the game can produce, in increasing order: (C,) long."""
        return torch.arange(self.horizon * int(self.rewards.min()), self.horizon * int(self.rewards.max()) + 1)

    def sample_returns(self, policy: torch.Tensor, n: int, generator: torch.Generator) -> torch.Tensor:
        """`n` returns of a stock-aware policy: policy[t, j] is the route in round t when the stock is
        stocks[j] ((horizon, C) long of 0/1). Returns (n,) long."""
        check_int(n, "n", 1)
        check_generator(generator)
        lowest, n_stocks = int(self.stocks[0]), self.stocks.numel()
        if not isinstance(policy, torch.Tensor) or policy.shape != (self.horizon, n_stocks):
            raise ValueError(f"policy must have shape ({self.horizon}, {n_stocks}) (horizon, stocks), "
                             f"got {tuple(getattr(policy, 'shape', ()))}")
        cdf = self.probs.cumsum(dim=1)
        stock = torch.zeros(n, dtype=torch.long)
        for t in range(self.horizon):
            route = policy[t, stock - lowest].long()
            u = torch.rand(n, 1, generator=generator, dtype=torch.float64)
            i = (cdf[route] <= u).sum(dim=1).clamp(max=self.rewards.shape[1] - 1)
            stock = stock + self.rewards[route, i]
        return stock


def two_route_game(horizon: int = 10, safe: int = 1, win: int = 4, loss: int = -1, p_win: float = 0.5) -> RouteGame:
    """The lesson's game: the safe route pays `safe` surely, the risky one `win` w.p. p_win, else `loss`."""
    check_int(horizon, "horizon", 1)
    for name, value in (("safe", safe), ("win", win), ("loss", loss)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not (isinstance(p_win, float) and 0 <= p_win <= 1):
        raise ValueError(f"p_win must be a float in [0, 1], got {p_win!r}")
    rewards = torch.tensor([[safe, safe], [win, loss]])
    probs = torch.tensor([[1.0, 0.0], [p_win, 1 - p_win]], dtype=torch.float64)
    return RouteGame(horizon, rewards, probs)
