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


def _check_generator(generator: torch.Generator) -> None:
    """Raise TypeError unless `generator` is a torch.Generator."""
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")


def _check_int(value: int, name: str, low: int) -> None:
    """Raise TypeError/ValueError unless `value` is an int >= `low`."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")


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
        _check_int(members, "members", 1)
        _check_int(batch, "batch", 1)
        _check_generator(generator)
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
    _check_int(n_states, "n_states", 3)
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
            _check_int(value, name, 1)
        _check_generator(generator)
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
