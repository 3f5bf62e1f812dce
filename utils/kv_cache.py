"""Module 02_kv_cache: a tiny decoder-only transformer with a per-layer KV cache, its corpus and training.

The corpus is generated on the fly and forces attention far back: documents are made of fixed-size
chunks holding variable bindings (``ab=42;``), aliases that refer to a binding made in an earlier
chunk (``cd=ab;``) and queries answered only by looking back (``?cd=42;``), mixed with simple
generated sentences. Run ``python -m utils.kv_cache train`` to retrain the shipped checkpoint.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

DATA_DIR = Path(__file__).resolve().parent / "data"
CHECKPOINT = DATA_DIR / "kv_model.pt"

ALPHABET = " abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789=;?.,\n"
STOI = {ch: i for i, ch in enumerate(ALPHABET)}
VOCAB_SIZE = len(ALPHABET)
CHUNK_LEN = 64

KVCache = list[tuple[torch.Tensor, torch.Tensor]]

# ---------------------------------------------------------------- text and corpus

_ADJ = ["old", "red", "small", "big", "quiet", "green", "dark", "bright", "cold", "warm", "slow", "quick"]
_NOUN = ["man", "dog", "cat", "bird", "house", "tree", "river", "road", "child", "ship", "king", "stone", "girl", "horse"]
_VERB = ["saw", "found", "made", "took", "left", "heard", "kept", "met"]
_PLACE = ["near the hill", "by the sea", "in the town", "under the bridge", "at the gate"]


def encode(text: str) -> torch.Tensor:
    """Characters to a 1-D long tensor of token ids."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    bad = sorted({c for c in text if c not in STOI})
    if bad:
        raise ValueError(f"text holds characters outside the alphabet: {bad}")
    return torch.tensor([STOI[c] for c in text], dtype=torch.long)


def decode(ids: torch.Tensor | list[int]) -> str:
    """Token ids back to text."""
    ids = ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)
    return "".join(ALPHABET[i] for i in ids)


def _sentence(rng: random.Random) -> str:
    a, b = rng.sample(_NOUN, 2)
    s = f"the {rng.choice(_ADJ)} {a} {rng.choice(_VERB)} the {b}"
    if rng.random() < 0.5:
        s += " " + rng.choice(_PLACE)
    return s + ". "


_NAMES = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def make_chunks(rng: random.Random, n_chunks: int, chunk_len: int = CHUNK_LEN,
                queries: bool = True) -> list[str]:
    """A document as `n_chunks` strings of exactly `chunk_len` characters (bindings, aliases, queries, text)."""
    if n_chunks < 1 or chunk_len < 16:
        raise ValueError(f"n_chunks must be >= 1 and chunk_len >= 16, got {n_chunks}, {chunk_len}")
    values: dict[str, str] = {}
    born: dict[str, int] = {}
    chunks = []
    for c in range(n_chunks):
        text = ""
        while True:
            old = [n for n in values if born[n] < c]
            free = [n for n in _NAMES if n not in values]
            r = rng.random()
            new: tuple[str, str] | None = None  # (name, value) bound by this item, if it fits
            if r < 0.3:
                item = _sentence(rng)
            elif r < 0.6 or not values:
                if not free:
                    continue
                new = (rng.choice(free), f"{rng.randrange(100):02d}")
                item = f"{new[0]}={new[1]}; "
            elif r < 0.75:
                if not free:
                    continue
                src = rng.choice(old or list(values))
                new = (rng.choice(free), values[src])
                item = f"{new[0]}={src}; "
            else:
                if not queries:
                    continue
                n = rng.choice(old or list(values))
                item = f"?{n}={values[n]}; "
            if len(text) + len(item) > chunk_len:
                break
            text += item
            if new is not None:
                values[new[0]], born[new[0]] = new[1], c
        chunks.append(text.ljust(chunk_len))
    return chunks


def make_batch(batch: int, n_chunks: int = 4, chunk_len: int = CHUNK_LEN, seed: int = 0) -> torch.Tensor:
    """A (batch, n_chunks * chunk_len) long tensor of generated documents, deterministic in `seed`."""
    if batch < 1:
        raise ValueError(f"batch must be >= 1, got {batch}")
    rng = random.Random(seed)
    return torch.stack([encode("".join(make_chunks(rng, n_chunks, chunk_len))) for _ in range(batch)])


def answer_mask(x: torch.Tensor) -> torch.Tensor:
    """Bool mask (same shape as `x`) of the positions whose *next* token is a queried digit."""
    if x.dim() != 2:
        raise ValueError(f"x must be (batch, length), got shape {tuple(x.shape)}")
    text = [decode(row) for row in x]
    mask = torch.zeros_like(x, dtype=torch.bool)
    for b, s in enumerate(text):
        i = s.find("?")
        while i >= 0:
            eq = s.find("=", i)
            for j in (eq, eq + 1):  # positions predicting the two digits
                if 0 <= j < len(s) - 1:
                    mask[b, j] = True
            i = s.find("?", i + 1)
    return mask


# ---------------------------------------------------------------- the model


@dataclass
class Config:
    """Model sizes."""

    vocab: int = VOCAB_SIZE
    d_model: int = 128
    n_layers: int = 6
    n_heads: int = 4
    max_len: int = 1024  # a bound on positions (RoPE has no learned table); training uses 256
    rope_base: float = 10000.0

    @property
    def head_dim(self) -> int:
        """Size of one attention head."""
        return self.d_model // self.n_heads


def rope_angles(positions: torch.Tensor, head_dim: int, base: float = 10000.0) -> torch.Tensor:
    """Rotation angles (len(positions), head_dim // 2): position times each pair's frequency."""
    if head_dim % 2:
        raise ValueError(f"head_dim must be even, got {head_dim}")
    freqs = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    return (positions.to(torch.float64)[:, None] * freqs[None, :]).float()


def apply_rope(x: torch.Tensor, positions: torch.Tensor, base: float = 10000.0) -> torch.Tensor:
    """Rotate pairs (x[..., 2i], x[..., 2i+1]) of x (..., T, head_dim) by position * freq_i."""
    if x.shape[-2] != positions.shape[-1]:
        raise ValueError(f"positions must have length {x.shape[-2]} (x.shape[-2]), got {tuple(positions.shape)}")
    ang = rope_angles(positions, x.shape[-1], base).to(x.dtype)
    cos, sin = ang.cos(), ang.sin()
    x1, x2 = x[..., 0::2], x[..., 1::2]
    out = torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)
    return out.flatten(-2)


class Block(nn.Module):
    """Pre-LN transformer block: x + attn(LN(x)), then x + mlp(LN(x))."""

    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model, bias=False)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model, bias=False)
        self.ln2 = nn.LayerNorm(cfg.d_model)
        self.mlp = nn.Sequential(nn.Linear(cfg.d_model, 4 * cfg.d_model), nn.GELU(),
                                 nn.Linear(4 * cfg.d_model, cfg.d_model))

    def qkv_heads(self, x: torch.Tensor, positions: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """q, k, v as (B, H, T, Dh) with RoPE applied to q and k at `positions`."""
        B, T, _ = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(self.cfg.d_model, dim=-1)
        q, k, v = (t.view(B, T, self.cfg.n_heads, self.cfg.head_dim).transpose(1, 2) for t in (q, k, v))
        return apply_rope(q, positions, self.cfg.rope_base), apply_rope(k, positions, self.cfg.rope_base), v

    def finish(self, x: torch.Tensor, att: torch.Tensor) -> torch.Tensor:
        """Add the attention output (B, H, T, Dh) to x, then the MLP."""
        B, _, T, _ = att.shape
        x = x + self.proj(att.transpose(1, 2).reshape(B, T, self.cfg.d_model))
        return x + self.mlp(self.ln2(x))


def attention_mask(q_pos: torch.Tensor, k_pos: torch.Tensor) -> torch.Tensor:
    """Bool (Tq, Tk) mask: query i may see key j when k_pos[j] <= q_pos[i]."""
    return k_pos[None, :] <= q_pos[:, None]


class TinyDecoder(nn.Module):
    """A small pre-LN, RoPE, decoder-only transformer over characters whose forward takes and returns a KV cache."""

    def __init__(self, cfg: Config | None = None):
        super().__init__()
        self.cfg = cfg or Config()
        self.embed = nn.Embedding(self.cfg.vocab, self.cfg.d_model)
        self.blocks = nn.ModuleList(Block(self.cfg) for _ in range(self.cfg.n_layers))
        self.ln_f = nn.LayerNorm(self.cfg.d_model)
        self.head = nn.Linear(self.cfg.d_model, self.cfg.vocab, bias=False)
        self.apply(self._init)

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)

    def forward(self, idx: torch.Tensor, past: KVCache | None = None, start_pos: int | None = None,
                return_hidden: bool = False):
        """Logits (B, T, vocab) and the updated per-layer cache [(k, v)] of shape (B, H, T_past + T, Dh).

        `past` holds keys already rotated by RoPE; new tokens sit at positions start_pos.. (default:
        right after the cache). With `return_hidden=True` also returns the residual stream entering
        each layer and after the last one (n_layers + 1 tensors of shape (B, T, d_model)).
        """
        if idx.dim() != 2:
            raise ValueError(f"idx must be (batch, length), got shape {tuple(idx.shape)}")
        if past is not None and len(past) != self.cfg.n_layers:
            raise ValueError(f"past must hold {self.cfg.n_layers} layers, got {len(past)}")
        B, T = idx.shape
        t_past = 0 if past is None else past[0][0].shape[2]
        start = t_past if start_pos is None else start_pos
        if start + T > self.cfg.max_len:
            raise ValueError(f"positions up to {start + T} exceed max_len={self.cfg.max_len}")
        positions = torch.arange(start, start + T, device=idx.device)
        x = self.embed(idx)
        hidden = [x]
        present: KVCache = []
        # the cache's tokens come before the new ones; causal within the new block
        mask = None if T == 1 else torch.ones(T, t_past + T, dtype=torch.bool, device=idx.device).tril(t_past)
        for i, block in enumerate(self.blocks):
            q, k, v = block.qkv_heads(x, positions)
            if past is not None:
                k = torch.cat([past[i][0], k], dim=2)
                v = torch.cat([past[i][1], v], dim=2)
            present.append((k, v))
            att = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
            x = block.finish(x, att)
            hidden.append(x)
        logits = self.head(self.ln_f(x))
        if return_hidden:
            return logits, present, hidden
        return logits, present


def selective_recompute(model: TinyDecoder, idx: torch.Tensor, cache: KVCache,
                        recompute: torch.Tensor) -> KVCache:
    """Refresh a stitched cache: tokens where `recompute` (bool, length T) is True get fresh K/V layer by layer.

    `idx` (B, T) is the whole sequence the cache (B, H, T, Dh per layer) covers, at positions 0..T-1.
    Selected tokens attend, causally, to the cache as patched so far (fresh K/V at selected
    positions, reused K/V elsewhere); the others keep their reused K/V at every layer.
    """
    if recompute.dtype != torch.bool or recompute.shape != (idx.shape[1],):
        raise ValueError(f"recompute must be a bool tensor of shape ({idx.shape[1]},), got "
                         f"{recompute.dtype} {tuple(recompute.shape)}")
    sel = recompute.nonzero().squeeze(1)
    if sel.numel() == 0:
        return [(k.clone(), v.clone()) for k, v in cache]
    T = idx.shape[1]
    mask = attention_mask(sel, torch.arange(T))
    x = model.embed(idx[:, sel])
    out: KVCache = []
    for i, block in enumerate(model.blocks):
        q, k_new, v_new = block.qkv_heads(x, sel)
        k, v = cache[i][0].clone(), cache[i][1].clone()
        k[:, :, sel], v[:, :, sel] = k_new, v_new
        out.append((k, v))
        att = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        x = block.finish(x, att)
    return out


# ---------------------------------------------------------------- training and evaluation


@dataclass
class TrainConfig:
    """Training hyper-parameters of the shipped checkpoint."""

    steps: int = 1200
    batch: int = 8
    n_chunks: int = 4
    lr: float = 3e-3
    warmup: int = 100
    weight_decay: float = 0.05
    align: float = 0.05  # weight of the cross-layer K/V alignment term (0 = plain language modelling)
    align_from: int = 2  # first layer whose cache is pulled towards the next layer's
    answer_weight: float = 8.0  # extra loss weight on the queried digits (they need the far context)
    seed: int = 0


def lm_loss(model: TinyDecoder, x: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy (nats/char) of `model` on a (B, T) batch."""
    logits, _ = model(x[:, :-1])
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1))


def adjacent_cosine(cache: KVCache) -> torch.Tensor:
    """(n_layers - 1, 2) mean per-token cosine similarity of K and V between layers l and l + 1."""
    if len(cache) < 2:
        raise ValueError(f"cache must hold at least 2 layers, got {len(cache)}")
    rows = []
    for (k0, v0), (k1, v1) in zip(cache[:-1], cache[1:]):
        rows.append(torch.stack([F.cosine_similarity(k0, k1, dim=-1).mean(),
                                 F.cosine_similarity(v0, v1, dim=-1).mean()]))
    return torch.stack(rows)


def train_loss(model: TinyDecoder, x: torch.Tensor, tcfg: TrainConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Language-modelling loss plus the optional alignment term; returns (total, lm)."""
    logits, cache = model(x[:, :-1])
    nll = F.cross_entropy(logits.transpose(1, 2), x[:, 1:], reduction="none")
    lm = nll.mean()
    total = lm
    if tcfg.answer_weight > 0:
        total = total + tcfg.answer_weight * (nll * answer_mask(x)[:, :-1]).sum() / nll.numel()
    if tcfg.align > 0 and len(cache) - tcfg.align_from > 1:
        total = total + tcfg.align * (1 - adjacent_cosine(cache[tcfg.align_from:])).mean()
    return total, lm


def heldout_batch(n: int = 64, n_chunks: int = 4) -> torch.Tensor:
    """The fixed held-out documents (seed far from any training seed)."""
    return make_batch(n, n_chunks=n_chunks, seed=10_000_019)


@torch.no_grad()
def evaluate(model: TinyDecoder, x: torch.Tensor | None = None) -> dict[str, float]:
    """Held-out loss (nats/char), loss on queried digits and their top-1 accuracy."""
    model.eval()
    x = heldout_batch() if x is None else x
    logits, _ = model(x[:, :-1])
    nll = F.cross_entropy(logits.transpose(1, 2), x[:, 1:], reduction="none")
    m = answer_mask(x)[:, :-1]
    acc = (logits.argmax(-1) == x[:, 1:])[m].float().mean().item()
    return {"loss": nll.mean().item(), "answer_loss": nll[m].mean().item(), "answer_acc": acc}


def train(cfg: Config | None = None, tcfg: TrainConfig | None = None, out: Path | None = CHECKPOINT,
          threads: int = 1, log_every: int = 100) -> TinyDecoder:
    """Train the model from scratch on freshly generated documents; save to `out` unless None."""
    cfg, tcfg = cfg or Config(), tcfg or TrainConfig()
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    torch.manual_seed(tcfg.seed)
    model = TinyDecoder(cfg)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    other = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": tcfg.weight_decay},
                             {"params": other, "weight_decay": 0.0}], lr=tcfg.lr, betas=(0.9, 0.98))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / tcfg.warmup) * 0.5 * (
        1 + math.cos(math.pi * min(1.0, s / tcfg.steps))))
    start = time.time()
    for step in range(tcfg.steps):
        model.train()
        x = make_batch(tcfg.batch, tcfg.n_chunks, seed=tcfg.seed * 1_000_003 + step)
        total, loss = train_loss(model, x, tcfg)
        opt.zero_grad(set_to_none=True)
        total.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if log_every and (step % log_every == 0 or step == tcfg.steps - 1):
            ev = evaluate(model, heldout_batch(32))
            with torch.no_grad():
                cos = adjacent_cosine(model(heldout_batch(8)[:, :-1])[1])
            print(f"step {step:5d}  train {loss.item():.3f}  heldout {ev['loss']:.3f}  "
                  f"cosK {' '.join(f'{c:.2f}' for c in cos[:, 0].tolist())}  "
                  f"answer acc {ev['answer_acc']:.2f}  {time.time() - start:6.0f}s", flush=True)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"config": asdict(cfg), "train": asdict(tcfg), "state": model.state_dict(),
                    "heldout": evaluate(model)}, out)
    torch.set_num_threads(previous_threads)
    return model


@torch.no_grad()
def score_continuation(model: TinyDecoder, x: torch.Tensor, n_context: int, cache: KVCache | None = None,
                       ref_logits: torch.Tensor | None = None) -> dict[str, float | torch.Tensor]:
    """Quality of predicting x[:, n_context + 1:] when the first `n_context` tokens are served from `cache`.

    `cache` (default: the exact prefill cache) stands for positions 0..n_context-1 (it may hold
    fewer tokens, e.g. after eviction); the continuation sits at positions n_context.. and its own
    K/V are computed fresh. Returns the loss (nats/char), the loss and top-1 accuracy on queried
    digits, and, given the full-cache `ref_logits`, the mean KL(full || this) and top-1 agreement.
    """
    if x.dim() != 2 or not 0 < n_context < x.shape[1] - 1:
        raise ValueError(f"x must be (batch, length > n_context + 1) with n_context > 0, got {tuple(x.shape)}, {n_context}")
    if cache is None:
        _, cache = model(x[:, :n_context])
    if cache[0][0].shape[2] > n_context:
        raise ValueError(f"cache must hold at most {n_context} tokens, got {cache[0][0].shape[2]}")
    logits, _ = model(x[:, n_context:-1], past=cache, start_pos=n_context)
    target = x[:, n_context + 1:]
    nll = F.cross_entropy(logits.transpose(1, 2), target, reduction="none")
    m = answer_mask(x)[:, n_context:-1]
    out: dict[str, float | torch.Tensor] = {
        "loss": nll.mean().item(),
        "answer_loss": nll[m].mean().item() if m.any() else float("nan"),
        "answer_acc": (logits.argmax(-1) == target)[m].float().mean().item() if m.any() else float("nan"),
        "logits": logits,
    }
    if ref_logits is not None:
        lp, lq = ref_logits.log_softmax(-1), logits.log_softmax(-1)
        out["kl"] = (lp.exp() * (lp - lq)).sum(-1).mean().item()
        out["top1"] = (ref_logits.argmax(-1) == logits.argmax(-1)).float().mean().item()
    return out


def load_model(path: Path | str = CHECKPOINT) -> TinyDecoder:
    """The shipped trained model, in eval mode."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}: run `python -m utils.kv_cache train`")
    blob = torch.load(path, map_location="cpu", weights_only=True)
    model = TinyDecoder(Config(**blob["config"]))
    model.load_state_dict(blob["state"])
    return model.eval()


def main(argv: list[str] | None = None) -> None:
    """CLI: `python -m utils.kv_cache train [--steps N]` or `python -m utils.kv_cache eval`."""
    p = argparse.ArgumentParser(prog="python -m utils.kv_cache")
    p.add_argument("command", choices=["train", "eval"])
    p.add_argument("--steps", type=int, default=TrainConfig.steps)
    p.add_argument("--out", type=Path, default=CHECKPOINT)
    p.add_argument("--align", type=float, default=TrainConfig.align)
    p.add_argument("--lr", type=float, default=TrainConfig.lr)
    p.add_argument("--answer-weight", type=float, default=TrainConfig.answer_weight)
    p.add_argument("--d-model", type=int, default=Config.d_model)
    p.add_argument("--heads", type=int, default=Config.n_heads)
    p.add_argument("--log-every", type=int, default=100)
    a = p.parse_args(argv)
    if a.command == "train":
        train(cfg=Config(d_model=a.d_model, n_heads=a.heads), tcfg=TrainConfig(steps=a.steps, align=a.align, lr=a.lr, answer_weight=a.answer_weight), out=a.out, log_every=a.log_every)
    print(evaluate(load_model(a.out)))


if __name__ == "__main__":
    main()
