"""The toy preference world of module 04_rlhf: sequences, a hidden true reward, preferences, a GRU policy.

Everything a lesson uses but does not teach lives here: the base distribution (a Markov chain over
16 tokens), the hidden true reward, Bradley-Terry preference pairs sampled on it, a small GRU policy
with sampling / log-probability / entropy helpers, supervised fine-tuning, and the SFT reference
policy (trained in a few seconds and cached under build/rlhf/).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

VOCAB_SIZE = 16
SEQ_LEN = 10
BOS = VOCAB_SIZE  # start symbol: an input of the policy, never an output
BAD_TOKEN = 13  # the clearly bad token: -3 each time it appears
GOOD_TOKENS = (2, 5, 9)  # +1 each
PATTERN = (4, 7)  # the bigram "4 then 7": +1.5, invisible to a bag-of-tokens reward model
GOOD_VALUE = 1.0
BAD_VALUE = -3.0
PATTERN_VALUE = 1.5
STUTTER_VALUE = -2.5  # each token equal to the one before it ("+9 +9"): also invisible to a bag of tokens
STICKINESS = 0.15  # extra probability of repeating the previous token in the base chain

ROOT = Path(__file__).resolve().parents[1]
CACHE_DIR = ROOT / "build" / "rlhf"


def _check_tokens(tokens: torch.Tensor, name: str = "tokens") -> None:
    """Raise if `tokens` is not an (N, L) long tensor of ids in [0, VOCAB_SIZE)."""
    if not isinstance(tokens, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(tokens).__name__}")
    if tokens.dim() != 2:
        raise ValueError(f"{name} must have shape (N, L), got {tuple(tokens.shape)}")
    if tokens.dtype != torch.long:
        raise TypeError(f"{name} must be torch.long, got {tokens.dtype}")
    if tokens.numel() and (tokens.min() < 0 or tokens.max() >= VOCAB_SIZE):
        raise ValueError(f"{name} must hold ids in [0, {VOCAB_SIZE}), got [{tokens.min()}, {tokens.max()}]")


def true_reward(tokens: torch.Tensor) -> torch.Tensor:
    """The hidden true reward of each sequence of an (N, L) batch; returns (N,) float32."""
    _check_tokens(tokens)
    counts = F.one_hot(tokens, VOCAB_SIZE).sum(dim=1).float()  # (N, V)
    values = torch.zeros(VOCAB_SIZE)
    values[list(GOOD_TOKENS)] = GOOD_VALUE
    values[BAD_TOKEN] = BAD_VALUE
    pattern = ((tokens[:, :-1] == PATTERN[0]) & (tokens[:, 1:] == PATTERN[1])).sum(dim=1).float()
    stutter = (tokens[:, :-1] == tokens[:, 1:]).sum(dim=1).float()
    return counts @ values + PATTERN_VALUE * pattern + STUTTER_VALUE * stutter


@dataclass(frozen=True)
class PreferencePairs:
    """Preference pairs: chosen and rejected (N, L) sequences with their hidden true rewards."""

    chosen: torch.Tensor
    rejected: torch.Tensor
    reward_chosen: torch.Tensor
    reward_rejected: torch.Tensor

    def __len__(self) -> int:
        """The number of pairs."""
        return self.chosen.shape[0]

    def subset(self, index: torch.Tensor | slice) -> PreferencePairs:
        """The pairs selected by `index` (a slice, a long index tensor or a bool mask)."""
        return PreferencePairs(self.chosen[index], self.rejected[index],
                               self.reward_chosen[index], self.reward_rejected[index])


class ToyWorld:
    """The base distribution (a seeded Markov chain over VOCAB_SIZE tokens) and preferences on it."""

    def __init__(self, seed: int = 0) -> None:
        """Draw the chain's start and transition probabilities from `seed`."""
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")
        self.seed = seed
        rng = np.random.default_rng(10_000 + seed)
        rows = torch.as_tensor(rng.dirichlet(np.full(VOCAB_SIZE, 0.7), size=VOCAB_SIZE + 1),
                               dtype=torch.float32)
        uniform = torch.full((VOCAB_SIZE,), 1.0 / VOCAB_SIZE)
        mixed = 0.5 * rows + 0.5 * uniform
        self.start = mixed[0]  # (V,)
        transition = mixed[1:].clone()  # (V, V): row = previous token
        transition[PATTERN[0], PATTERN[1]] += 0.35  # make the rewarded bigram common enough to learn
        transition += STICKINESS * torch.eye(VOCAB_SIZE)  # repeats are common, so preferences show their cost
        self.transition = transition / transition.sum(dim=1, keepdim=True)

    def sample_base(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """`n` sequences from the base distribution: an (n, SEQ_LEN) long tensor."""
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be an int >= 1, got {n!r}")
        tokens = torch.empty(n, SEQ_LEN, dtype=torch.long)
        tokens[:, 0] = torch.multinomial(self.start, n, replacement=True, generator=generator)
        for t in range(1, SEQ_LEN):
            tokens[:, t] = torch.multinomial(self.transition[tokens[:, t - 1]], 1, generator=generator)[:, 0]
        return tokens

    def base_logprob(self, tokens: torch.Tensor) -> torch.Tensor:
        """Exact log-probability of each (N, L) sequence under the base chain: (N,)."""
        _check_tokens(tokens)
        logp = self.start.log()[tokens[:, 0]]
        return logp + self.transition.log()[tokens[:, :-1], tokens[:, 1:]].sum(dim=1)

    def preference_pairs(self, n: int, generator: torch.Generator, temperature: float = 1.0,
                         ) -> PreferencePairs:
        """`n` Bradley-Terry labelled pairs of base samples: P(a preferred) = sigmoid((r_a - r_b) / temperature)."""
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        a, b = self.sample_base(n, generator), self.sample_base(n, generator)
        ra, rb = true_reward(a), true_reward(b)
        a_wins = torch.rand(n, generator=generator) < torch.sigmoid((ra - rb) / temperature)
        pick = a_wins[:, None]
        return PreferencePairs(torch.where(pick, a, b), torch.where(pick, b, a),
                               torch.where(a_wins, ra, rb), torch.where(a_wins, rb, ra))


class GRUPolicy(nn.Module):
    """A small autoregressive policy: embedding, one GRU layer, a linear head over VOCAB_SIZE tokens."""

    def __init__(self, embed_dim: int = 32, hidden_dim: int = 64) -> None:
        """Build the layers; the embedding has one extra row for BOS."""
        super().__init__()
        self.embed = nn.Embedding(VOCAB_SIZE + 1, embed_dim)
        self.gru = nn.GRU(embed_dim, hidden_dim, batch_first=True)
        self.head = nn.Linear(hidden_dim, VOCAB_SIZE)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Next-token logits for every position of an (N, L) batch (teacher forcing): (N, L, V)."""
        if tokens.dim() != 2:
            raise ValueError(f"tokens must have shape (N, L), got {tuple(tokens.shape)}")
        inputs = torch.cat([torch.full_like(tokens[:, :1], BOS), tokens[:, :-1]], dim=1)
        out, _ = self.gru(self.embed(inputs))
        return self.head(out)

    def token_logprobs(self, tokens: torch.Tensor) -> torch.Tensor:
        """log pi(y_t | y_<t) for every position of an (N, L) batch: (N, L), differentiable."""
        _check_tokens(tokens)
        logits = self(tokens)
        return -F.cross_entropy(logits.transpose(1, 2), tokens, reduction="none")

    def entropy(self, tokens: torch.Tensor) -> torch.Tensor:
        """Sum over positions of the entropy of pi(. | y_<t) along each (N, L) sequence: (N,)."""
        _check_tokens(tokens)
        logp = F.log_softmax(self(tokens), dim=-1)
        return -(logp.exp() * logp).sum(dim=(1, 2))

    @torch.no_grad()
    def next_logprobs(self, prefix: torch.Tensor) -> torch.Tensor:
        """log pi(. | prefix) for an (N, t) batch of prefixes (t may be 0): (N, V)."""
        if prefix.dim() != 2:
            raise ValueError(f"prefix must have shape (N, t), got {tuple(prefix.shape)}")
        inputs = torch.cat([torch.full((prefix.shape[0], 1), BOS, dtype=torch.long), prefix], dim=1)
        out, _ = self.gru(self.embed(inputs))
        return F.log_softmax(self.head(out[:, -1]), dim=-1)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator, prefix: torch.Tensor | None = None,
               prefix_len: torch.Tensor | None = None, temperature: float = 1.0) -> torch.Tensor:
        """`n` sequences (n, SEQ_LEN); rows with a prefix keep its first prefix_len[i] tokens and continue it."""
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be an int >= 1, got {n!r}")
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        if (prefix is None) != (prefix_len is None):
            raise ValueError("give both prefix and prefix_len, or neither")
        if prefix is not None:
            if prefix.shape != (n, SEQ_LEN):
                raise ValueError(f"prefix must have shape ({n}, {SEQ_LEN}), got {tuple(prefix.shape)}")
            if prefix_len.shape != (n,):
                raise ValueError(f"prefix_len must have shape ({n},), got {tuple(prefix_len.shape)}")
        tokens = torch.empty(n, SEQ_LEN, dtype=torch.long)
        current = torch.full((n,), BOS, dtype=torch.long)
        hidden = None
        for t in range(SEQ_LEN):
            out, hidden = self.gru(self.embed(current)[:, None], hidden)
            probs = F.softmax(self.head(out[:, 0]) / temperature, dim=-1)
            current = torch.multinomial(probs, 1, generator=generator)[:, 0]
            if prefix is not None:
                current = torch.where(t < prefix_len, prefix[:, t], current)
            tokens[:, t] = current
        return tokens


def clone_policy(policy: GRUPolicy) -> GRUPolicy:
    """An independent copy of `policy` (same sizes and weights)."""
    copy = GRUPolicy(policy.embed.embedding_dim, policy.gru.hidden_size)
    copy.load_state_dict(policy.state_dict())
    return copy


def frozen(policy: GRUPolicy) -> GRUPolicy:
    """`policy` with gradients switched off, in eval mode (for a reference model)."""
    for p in policy.parameters():
        p.requires_grad_(False)
    return policy.eval()


def sft(policy: GRUPolicy, tokens: torch.Tensor, steps: int, generator: torch.Generator,
        batch_size: int = 256, lr: float = 3e-3, mask: torch.Tensor | None = None) -> list[float]:
    """Supervised fine-tuning: minimise the (masked) token cross-entropy on `tokens`; returns the losses."""
    _check_tokens(tokens)
    if mask is not None and mask.shape != tokens.shape:
        raise ValueError(f"mask must have shape {tuple(tokens.shape)}, got {tuple(mask.shape)}")
    if steps < 0 or batch_size < 1:
        raise ValueError(f"steps must be >= 0 and batch_size >= 1, got steps={steps}, batch_size={batch_size}")
    opt = torch.optim.Adam(policy.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        idx = torch.randint(0, tokens.shape[0], (min(batch_size, tokens.shape[0]),), generator=generator)
        nll = -policy.token_logprobs(tokens[idx])
        if mask is not None:
            m = mask[idx].float()
            loss = (nll * m).sum() / m.sum().clamp(min=1.0)
        else:
            loss = nll.mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


WORLD_VERSION = 5  # bump when the world or the policy changes: it invalidates cached references
REFERENCE_CONFIG = {"world": WORLD_VERSION, "n": 20_000, "steps": 100, "batch_size": 256, "lr": 3e-3, "embed": 32, "hidden": 64}


def _cache_path(seed: int) -> Path:
    """Where the SFT reference for `seed` is cached (the config's hash is in the name)."""
    key = hashlib.sha1(repr(sorted(REFERENCE_CONFIG.items())).encode()).hexdigest()[:8]
    return CACHE_DIR / f"reference-seed{seed}-{key}.pt"


def reference_policy(world: ToyWorld, cache: bool = True) -> GRUPolicy:
    """The SFT reference: a GRUPolicy fitted to base samples (a few seconds), cached under build/rlhf/."""
    if not isinstance(world, ToyWorld):
        raise TypeError(f"world must be a ToyWorld, got {type(world).__name__}")
    cfg = REFERENCE_CONFIG
    path = _cache_path(world.seed)
    with torch.random.fork_rng():
        torch.manual_seed(world.seed)
        policy = GRUPolicy(cfg["embed"], cfg["hidden"])
    if cache and path.exists():
        policy.load_state_dict(torch.load(path, weights_only=True))
        return policy
    g = torch.Generator().manual_seed(20_000 + world.seed)
    data = world.sample_base(cfg["n"], g)
    sft(policy, data, cfg["steps"], g, batch_size=cfg["batch_size"], lr=cfg["lr"])
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        torch.save(policy.state_dict(), tmp)
        os.replace(tmp, path)  # atomic: parallel runs never read a half-written file
    return policy


def decode(tokens: torch.Tensor) -> list[str]:
    """Readable strings for an (N, L) batch: the bad token shows as X, good ones as +k, the pattern as [4 7]."""
    _check_tokens(tokens)
    out = []
    for row in tokens.tolist():
        words = []
        for i, tok in enumerate(row):
            if tok == BAD_TOKEN:
                words.append("X")
            elif tok in GOOD_TOKENS:
                words.append(f"+{tok}")
            elif tok == PATTERN[0] and i + 1 < len(row) and row[i + 1] == PATTERN[1]:
                words.append(f"[{tok}")
            elif tok == PATTERN[1] and i > 0 and row[i - 1] == PATTERN[0]:
                words.append(f"{tok}]")
            else:
                words.append(str(tok))
        out.append(" ".join(words))
    return out


class PromptValue(nn.Module):
    """A value baseline V(x) for PPO: linear in the one-hot tokens of the prompt, zero-initialised (no RNG)."""

    def __init__(self, prompt_len: int) -> None:
        """One weight per (prompt position, token) and a bias, all 0: V(x) = 0 before any training."""
        super().__init__()
        if not isinstance(prompt_len, int) or prompt_len < 0 or prompt_len > SEQ_LEN:
            raise ValueError(f"prompt_len must be an int in [0, {SEQ_LEN}], got {prompt_len!r}")
        self.prompt_len = prompt_len
        self.weight = nn.Parameter(torch.zeros(prompt_len * VOCAB_SIZE))
        self.bias = nn.Parameter(torch.zeros(()))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """The value of the prompt (the first prompt_len tokens) of each row of an (N, L) batch: (N,)."""
        _check_tokens(tokens)
        if tokens.shape[1] < self.prompt_len:
            raise ValueError(f"tokens must have at least prompt_len={self.prompt_len} columns, got {tuple(tokens.shape)}")
        onehot = F.one_hot(tokens[:, : self.prompt_len], VOCAB_SIZE).flatten(1).to(self.weight.dtype)
        return onehot @ self.weight + self.bias
