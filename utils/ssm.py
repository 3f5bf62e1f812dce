"""Support code for module 01_ssm: sequential digits, selective copying, model shells, training loops.

Nothing here solves an exercise: the SSM kernels, convolutions and scans that the lessons teach are
passed in as callables (`make_ssm`, `scan_fn`) written in the notebooks.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = [
    "SequenceData",
    "load_sequential_digits",
    "selective_copying",
    "SequenceClassifier",
    "MambaBlock",
    "TokenModel",
    "train_classifier",
    "evaluate_classifier",
    "train_copying",
    "copying_accuracy",
    "legendre_basis",
    "ssm_parameters",
]


def _check_int(name: str, value: object, minimum: int = 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value


def _check_tensor(name: str, value: object, ndim: int) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if value.dim() != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {tuple(value.shape)}")
    return value


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class SequenceData:
    """A train/test split of sequences: x is (n, L) float32, y is (n,) int64."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    @property
    def length(self) -> int:
        """Sequence length L."""
        return int(self.x_train.shape[1])


def load_sequential_digits(permute: bool = False, seed: int = 0, test_fraction: float = 0.25,
                           pad_to: int | None = None) -> SequenceData:
    """scikit-learn's 8x8 digits read pixel by pixel (L=64), standardised; optionally permuted or left-padded."""
    from sklearn.datasets import load_digits

    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    if pad_to is not None and (not isinstance(pad_to, int) or pad_to < 64):
        raise ValueError(f"pad_to must be None or an int >= 64, got {pad_to!r}")
    digits = load_digits()
    x = digits.data.astype(np.float32) / 16.0
    y = digits.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
    if permute:
        x = x[:, np.random.default_rng(12345).permutation(64)]  # one fixed pixel order for everyone
    mean, std = x.mean(), x.std()
    x = (x - mean) / std
    if pad_to is not None and pad_to > 64:  # the digit first, then silence: memory must span pad_to steps
        x = np.concatenate([x, np.zeros((len(x), pad_to - 64), dtype=np.float32)], axis=1)
    n_test = int(round(len(x) * test_fraction))
    t = torch.from_numpy
    return SequenceData(t(x[n_test:]).contiguous(), t(y[n_test:]), t(x[:n_test]).contiguous(), t(y[:n_test]))


def selective_copying(n: int, length: int, n_memorize: int = 4, vocab: int = 4,
                      generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Selective-copying batch: inputs (n, length) int64, targets (n, n_memorize) int64.

    Token 0 is blank, 1..vocab are data tokens, vocab+1 is the query marker. The first
    length - n_memorize positions hold n_memorize data tokens at random positions (in order),
    the last n_memorize positions are markers, where the model must emit the data tokens in order.
    """
    _check_int("n", n)
    _check_int("n_memorize", n_memorize)
    _check_int("vocab", vocab, 2)
    _check_int("length", length, 2 * n_memorize)
    body = length - n_memorize
    scores = torch.rand(n, body, generator=generator)
    positions = scores.topk(n_memorize, dim=1).indices.sort(dim=1).values
    tokens = torch.randint(1, vocab + 1, (n, n_memorize), generator=generator)
    inputs = torch.zeros(n, length, dtype=torch.long)
    inputs.scatter_(1, positions, tokens)
    inputs[:, body:] = vocab + 1
    return inputs, tokens


def legendre_basis(n: int, s: torch.Tensor) -> torch.Tensor:
    """Orthonormal shifted Legendre basis sqrt(2k+1) P_k(2s-1) for s in [0,1]: shape (n, len(s)), float64."""
    _check_int("n", n)
    s = _check_tensor("s", s, 1).to(torch.float64)
    z = 2 * s - 1
    p = [torch.ones_like(z), z]
    for k in range(1, n - 1):  # Bonnet's recursion
        p.append(((2 * k + 1) * z * p[k] - k * p[k - 1]) / (k + 1))
    scale = torch.sqrt(2 * torch.arange(n, dtype=torch.float64) + 1)[:, None]
    return scale * torch.stack(p[:n])


# --------------------------------------------------------------------------- model shells


def ssm_parameters(module: nn.Module) -> list[nn.Parameter]:
    """Parameters flagged `_ssm = True` (trained with their own learning rate and no weight decay)."""
    return [p for p in module.parameters() if getattr(p, "_ssm", False)]


class SequenceClassifier(nn.Module):
    """Encoder, n_layers residual blocks (LayerNorm, SSM, GELU, GLU), mean-pool or last-step readout."""

    def __init__(self, make_ssm: Callable[[int], nn.Module], d_model: int = 32, n_layers: int = 2,
                 n_classes: int = 10, d_input: int = 1, dropout: float = 0.0, readout: str = "mean"):
        super().__init__()
        _check_int("d_model", d_model)
        _check_int("n_layers", n_layers)
        if readout not in ("mean", "last"):
            raise ValueError(f"readout must be 'mean' or 'last', got {readout!r}")
        self.readout = readout
        self.encoder = nn.Linear(d_input, d_model)
        self.norms = nn.ModuleList(nn.LayerNorm(d_model) for _ in range(n_layers))
        self.ssms = nn.ModuleList(make_ssm(d_model) for _ in range(n_layers))
        self.mixers = nn.ModuleList(nn.Conv1d(d_model, 2 * d_model, 1) for _ in range(n_layers))
        self.dropout = nn.Dropout(dropout)
        self.decoder = nn.Linear(d_model, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, L) or (B, L, d_input) -> logits (B, n_classes)."""
        if x.dim() == 2:
            x = x.unsqueeze(-1)
        _check_tensor("x", x, 3)
        h = self.encoder(x)  # (B, L, H)
        for norm, ssm, mixer in zip(self.norms, self.ssms, self.mixers):
            z = norm(h).transpose(1, 2)  # (B, H, L)
            z = self.dropout(F.gelu(ssm(z)))
            z = F.glu(mixer(z), dim=1)
            h = h + z.transpose(1, 2)
        pooled = h.mean(dim=1) if self.readout == "mean" else h[:, -1]
        return self.decoder(pooled)


class MambaBlock(nn.Module):
    """A Mamba-style block around an injected scan: in-proj, causal depthwise conv, SiLU, SSM, gate, out-proj.

    With a `select_fn`, delta, B and C are computed from the input at every step (S6):
    `select_fn(x, x_proj_weight, dt_proj_weight, dt_proj_bias) -> (delta, B, C)` with x (batch, D, L),
    weights (1 + 2N, D), (D, 1) and (D,), giving (batch, D, L), (batch, N, L), (batch, N, L) (notebook
    01_ssm/03 has the student write it). Without one they are learned constants (an LTI diagonal SSM
    with the same shell).
    """

    def __init__(self, d_model: int, scan_fn: Callable[..., torch.Tensor], d_state: int = 8,
                 expand: int = 2, d_conv: int = 4,
                 select_fn: Callable[..., tuple[torch.Tensor, torch.Tensor, torch.Tensor]] | None = None):
        super().__init__()
        _check_int("d_model", d_model)
        _check_int("d_state", d_state)
        d_inner = expand * d_model
        selective = select_fn is not None
        self.d_inner, self.d_state, self.selective, self.scan_fn = d_inner, d_state, selective, scan_fn
        self.select_fn = select_fn
        self.in_proj = nn.Linear(d_model, 2 * d_inner)
        self.conv = nn.Conv1d(d_inner, d_inner, d_conv, groups=d_inner, padding=d_conv - 1)
        # A = -exp(A_log), S4D-Real init A_n = -(n+1) as in mamba_ssm's Mamba block
        a = torch.arange(1, d_state + 1, dtype=torch.float32).repeat(d_inner, 1)
        self.A_log = nn.Parameter(torch.log(a))
        self.D = nn.Parameter(torch.ones(d_inner))
        # dt initialised log-uniform in [1e-3, 1e-1] through the inverse softplus of its bias
        dt = torch.exp(torch.rand(d_inner) * (math.log(0.1) - math.log(1e-3)) + math.log(1e-3))
        dt_bias = dt + torch.log(-torch.expm1(-dt))
        if selective:
            self.x_proj = nn.Linear(d_inner, 1 + 2 * d_state, bias=False)  # rank-1 dt, then B, C
            self.dt_proj = nn.Linear(1, d_inner)
            with torch.no_grad():
                self.dt_proj.bias.copy_(dt_bias)
        else:
            self.dt_bias = nn.Parameter(dt_bias)
            self.B = nn.Parameter(torch.randn(d_state) / math.sqrt(d_state))
            self.C = nn.Parameter(torch.randn(d_state) / math.sqrt(d_state))
        self.out_proj = nn.Linear(d_inner, d_model)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """h: (B, L, d_model) -> (B, L, d_model)."""
        _check_tensor("h", h, 3)
        batch, length, _ = h.shape
        x, z = self.in_proj(h).chunk(2, dim=-1)  # (B, L, D) each
        x = F.silu(self.conv(x.transpose(1, 2))[..., :length])  # (B, D, L), causal
        A = -torch.exp(self.A_log)  # (D, N)
        if self.selective:
            delta, Bm, Cm = self.select_fn(x, self.x_proj.weight, self.dt_proj.weight, self.dt_proj.bias)
        else:
            delta = F.softplus(self.dt_bias)[None, :, None].expand(batch, -1, length)
            Bm = self.B[None, :, None].expand(batch, -1, length)
            Cm = self.C[None, :, None].expand(batch, -1, length)
        y = self.scan_fn(x, delta, A, Bm, Cm) + x * self.D[:, None]  # (B, D, L)
        y = y.transpose(1, 2) * F.silu(z)
        return self.out_proj(y)


class TokenModel(nn.Module):
    """Embedding, n_layers residual pre-norm Mamba blocks (selective with a `select_fn`, see MambaBlock),
    final norm, per-position logits."""

    def __init__(self, vocab_size: int, scan_fn: Callable[..., torch.Tensor], d_model: int = 32,
                 n_layers: int = 2, d_state: int = 8,
                 select_fn: Callable[..., tuple[torch.Tensor, torch.Tensor, torch.Tensor]] | None = None):
        super().__init__()
        _check_int("vocab_size", vocab_size, 2)
        _check_int("n_layers", n_layers)
        self.embed = nn.Embedding(vocab_size, d_model)
        self.norms = nn.ModuleList(nn.LayerNorm(d_model) for _ in range(n_layers))
        self.blocks = nn.ModuleList(MambaBlock(d_model, scan_fn, d_state=d_state, select_fn=select_fn)
                                    for _ in range(n_layers))
        self.norm_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens: (B, L) int64 -> logits (B, L, vocab_size)."""
        _check_tensor("tokens", tokens, 2)
        h = self.embed(tokens)
        for norm, block in zip(self.norms, self.blocks):
            h = h + block(norm(h))
        return self.head(self.norm_f(h))


# --------------------------------------------------------------------------- training


def _optimizer(model: nn.Module, lr: float, ssm_lr: float | None, weight_decay: float) -> torch.optim.Optimizer:
    special = {id(p) for p in ssm_parameters(model)}
    groups = [{"params": [p for p in model.parameters() if id(p) not in special], "weight_decay": weight_decay}]
    if special:
        groups.append({"params": ssm_parameters(model), "lr": ssm_lr if ssm_lr is not None else lr,
                       "weight_decay": 0.0})
    return torch.optim.AdamW(groups, lr=lr)


@torch.no_grad()
def evaluate_classifier(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 512) -> float:
    """Accuracy of `model` on (x, y), in [0, 1]."""
    _check_tensor("y", y, 1)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same length, got {x.shape[0]} and {y.shape[0]}")
    model.eval()
    correct = 0
    for i in range(0, len(x), batch_size):
        correct += (model(x[i:i + batch_size]).argmax(-1) == y[i:i + batch_size]).sum().item()
    model.train()
    return correct / len(x)


def train_classifier(model: nn.Module, data: SequenceData, epochs: int = 10, batch_size: int = 64,
                     lr: float = 3e-3, ssm_lr: float | None = 1e-3, weight_decay: float = 0.01,
                     generator: torch.Generator | None = None,
                     on_epoch: Callable[[int, float], None] | None = None) -> dict[str, list[float]]:
    """AdamW with a cosine schedule; returns {'loss': per epoch, 'test_acc': per epoch}."""
    _check_int("epochs", epochs)
    _check_int("batch_size", batch_size)
    opt = _optimizer(model, lr, ssm_lr, weight_decay)
    steps_per_epoch = math.ceil(len(data.x_train) / batch_size)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * steps_per_epoch)
    history: dict[str, list[float]] = {"loss": [], "test_acc": []}
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(len(data.x_train), generator=generator)
        total = 0.0
        for i in range(0, len(order), batch_size):
            idx = order[i:i + batch_size]
            loss = F.cross_entropy(model(data.x_train[idx]), data.y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        history["loss"].append(total / len(order))
        history["test_acc"].append(evaluate_classifier(model, data.x_test, data.y_test))
        if on_epoch is not None:
            on_epoch(epoch, history["test_acc"][-1])
    return history


@torch.no_grad()
def copying_accuracy(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Token accuracy on the last n_memorize positions of a selective-copying batch, in [0, 1]."""
    _check_tensor("inputs", inputs, 2)
    _check_tensor("targets", targets, 2)
    model.eval()
    logits = model(inputs)[:, -targets.shape[1]:]
    model.train()
    return (logits.argmax(-1) == targets).float().mean().item()


def train_copying(model: nn.Module, batch_fn: Callable[[], tuple[torch.Tensor, torch.Tensor]],
                  seconds: float | None = None, max_steps: int = 10_000, lr: float = 3e-3,
                  weight_decay: float = 0.0) -> dict[str, list[float]]:
    """Train on selective copying until `seconds` of wall time or `max_steps`; returns losses and steps."""
    _check_int("max_steps", max_steps)
    opt = _optimizer(model, lr, None, weight_decay)
    history: dict[str, list[float]] = {"loss": [], "seconds": []}
    start = time.perf_counter()
    model.train()
    for _ in range(max_steps):
        inputs, targets = batch_fn()
        logits = model(inputs)[:, -targets.shape[1]:]
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        history["loss"].append(loss.item())
        history["seconds"].append(time.perf_counter() - start)
        if seconds is not None and history["seconds"][-1] >= seconds:
            break
    return history
