# %% [markdown] id="title"
# # Cache-Craft: reusing chunk caches across retrieval requests
#
# **Papers:** Agarwal, Sundaresan, Mitra, Mahapatra, Gupta, Sharma, Kapu, Yu, Saini, *Cache-Craft: Managing Chunk-Caches for Efficient Retrieval-Augmented Generation* (SIGMOD 2025, arXiv:2502.15734); for selective recomputation also Yao et al., *CacheBlend* (2024, arXiv:2405.16444).
#
# **Learning objectives**
# - precompute a chunk's KV cache in isolation and reuse it at another position, re-rotating its RoPE keys;
# - measure where the reused cache is wrong (by layer, by position in the chunk) and how much quality the missing cross-chunk attention costs;
# - recompute a small, well-chosen fraction of a chunk's tokens to win most of the quality back;
# - manage chunk caches under a memory budget for a skewed stream of requests, compare an eviction policy with LRU, and count the prefill that chunk caches save against prefix caching.
#
# **Prerequisites:** notebooks `01_kv_cache` and `02_minicache`; rotary position embeddings.
#
# **Read ahead:** `paperlab preview 02_kv_cache/03_cache_craft` writes this lesson's experiments, executed, to `build/preview/` (answers and hidden tests removed), so you can see every figure before you solve anything.
#
# **Time:** 50 min
#
# **Points:** 14 (five autograded exercises, 11 points; three written answers, 1 point each, graded by hand)
#
# **Headline claim:** in retrieval-augmented generation the same chunks recur across requests; reusing their precomputed caches and recomputing only a small fraction of tokens keeps quality while cutting redundant prefill computation by 51% over prefix caching and 75% over full recomputation.

# %% id="parameters" tags=["parameters"]
SMOKE = False  # True: tiny sizes, runs in seconds
SEED = 0
N_DOCS = 48  # held-out requests (3 retrieved chunks + 1 question chunk) for the quality experiments
N_REQUESTS = 4000  # requests in the cache-manager simulation

# %% id="setup"
import math
import random
from collections import OrderedDict

import torch
import torch.nn.functional as F

from utils.common import above, at_least, claim, progress, setup_lesson
from utils.kv_cache import (
    CHUNK_LEN,
    apply_rope,
    heldout_batch,
    load_model,
    score_continuation,
    selective_recompute,
)
from utils.plotting import label, show, subplots

if SMOKE:
    N_DOCS, N_REQUESTS = min(N_DOCS, 6), min(N_REQUESTS, 400)
generator = setup_lesson(SEED, SMOKE, N_DOCS=(N_DOCS, at_least(2)), N_REQUESTS=(N_REQUESTS, at_least(100)))
model = load_model()
cfg = model.cfg
L = cfg.n_layers
docs = heldout_batch(N_DOCS)  # chunks 0-2: the retrieved context, chunk 3: the question part
N_CONTEXT = 3 * CHUNK_LEN
with torch.no_grad():
    _, full_cache = model(docs[:, :N_CONTEXT])
reference = score_continuation(model, docs, N_CONTEXT, full_cache)
print(f"{N_DOCS} requests of 3 chunks x {CHUNK_LEN} characters + a question chunk; full prefill: "
      f"loss {reference['loss']:.3f} nats/char, recall of queried digits {reference['answer_acc']:.2f}")


# %% [markdown] id="rope-background"
# ## Chunk caches and positions
#
# In retrieval-augmented generation a request is *(retrieved chunk 1, chunk 2, chunk 3, question)*. Popular chunks come back again and again, each time at a different position and after different neighbours. A **chunk cache** is the K/V of one chunk computed once, in isolation, at positions $0..63$, and stored.
#
# Two things are wrong with pasting it at position $p$ of a new request:
#
# 1. **Position.** Our model stores keys *after* RoPE: pair $i$ of a key at position $s$ is rotated by the angle $s\,\theta_i$ with $\theta_i = 10000^{-2i/d}$. A query at position $t$ then scores $q_t^\top k_s$, which depends only on $t - s$ — *if* $k_s$ was rotated for its true position. The cached key was rotated for $s - p$.
# 2. **Context.** In the full prefill, the chunk's tokens attended to the chunks before them; in isolation they could not. From layer 1 on, their hidden states — hence their K and V — differ. Our data makes this matter: an alias `cd=ab;` in chunk 2 means nothing without chunk 1's `ab=42;`.
#
# The first is exact to fix, because rotations compose: rotating by $s\,\theta_i$ and then by $p\,\theta_i$ is rotating by $(s+p)\,\theta_i$. The second is not.
#
# ### RoPE is a rotation, and rotations compose
#
# Split a head's $d$ key coordinates into $d/2$ pairs. Before RoPE, pair $i$ of the key of the token at position $s$ is a vector $x_i = (u, w)$ computed from that token's hidden state ($k = W_K\,\mathrm{LN}(h_s)$). RoPE turns it by the angle *position × frequency*:
#
# $$k_{s,i} = R(s\,\theta_i)\,x_i, \qquad R(\phi) = \begin{pmatrix}\cos\phi & -\sin\phi\\ \sin\phi & \cos\phi\end{pmatrix}, \qquad \theta_i = \beta^{-2i/d}.$$
#
# The product of two rotations of the plane is the rotation by the sum of their angles (the angle-addition formulas; or read the pair as the complex number $u + \mathrm{i}\,w$, which RoPE multiplies by $e^{\mathrm{i}\phi}$, and $e^{\mathrm{i}a}e^{\mathrm{i}b} = e^{\mathrm{i}(a+b)}$):
#
# $$R(a)\,R(b) = R(a+b), \qquad R(a)^\top = R(-a).$$
#
# Two consequences. A score depends only on the distance between query and key: with $y_i$ the query's pair before RoPE, $q_t^\top k_s = \sum_i y_i^\top R(t\theta_i)^\top R(s\theta_i)\,x_i = \sum_i y_i^\top R\big((s-t)\,\theta_i\big)\,x_i$. And a chunk cached at local positions $s = 0..63$ and pasted $\Delta$ positions later is fixed by one more rotation per pair, by $\Delta\,\theta_i$:
#
# $$R(\Delta\,\theta_i)\,k_{s,i} = R(\Delta\,\theta_i)\,R(s\,\theta_i)\,x_i = R\big((s+\Delta)\,\theta_i\big)\,x_i,$$
#
# exactly the key RoPE produces at position $s + \Delta$ **from the same $x_i$**. That is Exercise 1. Values are never rotated, so they need no fix.
#
# **What re-rotation does not fix.** It corrects the angle, not $x_i$. From layer 1 on, $x_i$ comes from a hidden state that, when the chunk was cached alone, attended only to the chunk's own tokens; in the new request it should also have attended to the chunks before it. The re-rotated keys, and the values, still describe the old context (problem 2), and only running those tokens through the network again changes them. That is why Cache-Craft recomputes a small fraction of each reused chunk's tokens, chosen where the missing context matters most (Exercises 2 and 3).
#
# ## Exercise 1 — re-rotating cached keys (2 points)
#
# **Implement** `rerotate_keys(k, delta)`: `k` of shape `(..., T, d)` (`d` even) holds keys rotated by RoPE for some positions; return them rotated as if every position were `delta` larger (an int: positive, zero or negative). Each consecutive pair $(k_{2i}, k_{2i+1})$ is rotated by the angle $\phi_i = \delta\,\theta_i$, with $\theta_i = \beta^{-2i/d}$ and the model's base $\beta$ = `cfg.rope_base` $= 10000$:
# $(u, w) \mapsto (u\cos\phi_i - w\sin\phi_i,\ u\sin\phi_i + w\cos\phi_i)$.
#
# Return a new tensor of `k`'s shape and dtype — one that shares no memory with `k`: not `k` itself or a view of it, also for `delta = 0` (then a copy) — with the angles computed in that dtype (float64 keys: float64 angles), and leave `k` unchanged.
#
# *Hint:* rotations compose, so `apply_rope(k, torch.full((T,), delta), cfg.rope_base)` (from `utils.kv_cache`, imported above) does it for the model's float32 keys. But `apply_rope` takes its angles from `utils.kv_cache.rope_angles`, which returns them in float32 — too coarse for float64 keys (an angle of 64 radians can come out $4 \cdot 10^{-6}$ off). So build the angles in `k`'s dtype yourself, `delta * cfg.rope_base ** (-torch.arange(0, d, 2, dtype=k.dtype) / d)`, and rotate the pairs `k[..., 0::2]`, `k[..., 1::2]`; `torch.stack((..., ...), dim=-1).flatten(-2)` interleaves them back.

# %% id="rerotate-answer" nbgrader={"grade": false, "grade_id": "rerotate-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rerotate_keys(k: torch.Tensor, delta: int) -> torch.Tensor:
    """Keys (..., T, d) rotated by RoPE for positions s, returned as if rotated for s + delta."""
    ### BEGIN SOLUTION
    T, d = k.shape[-2], k.shape[-1]
    freqs = cfg.rope_base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    ang = (torch.full((T,), delta, dtype=torch.float64)[:, None] * freqs).to(k.dtype)  # (T, d/2) in k's precision
    cos, sin = ang.cos(), ang.sin()
    u, w = k[..., 0::2], k[..., 1::2]
    return torch.stack((u * cos - w * sin, u * sin + w * cos), dim=-1).flatten(-2)
    ### END SOLUTION


# %% id="rerotate-tests" nbgrader={"grade": true, "grade_id": "rerotate-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
k = torch.tensor([[1.0, 0.0, 1.0, 0.0]])  # one key, d = 4, at position 0
r = rerotate_keys(k, 1)
assert r.shape == (1, 4), f"expected shape (1, 4), got {tuple(r.shape)}"
assert torch.allclose(r[0, :2], torch.tensor([math.cos(1.0), math.sin(1.0)]), atol=1e-6), "pair 0 turns by delta * 1 radian"
assert torch.allclose(r[0, 2:], torch.tensor([math.cos(0.01), math.sin(0.01)]), atol=1e-6), "pair 1 turns by delta * 10000^(-2/4) = 0.01 radian"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_fresh, assert_unchanged, assert_values


def _rope_complex(x, positions):  # independent: pairs as complex numbers times exp(i * position * theta)
    d = x.shape[-1]
    theta = torch.tensor([cfg.rope_base ** (-2 * i / d) for i in range(d // 2)], dtype=torch.float64)
    z = torch.view_as_complex(x.to(torch.float64).reshape(*x.shape[:-1], d // 2, 2).contiguous())
    turn = torch.polar(torch.ones(len(positions), d // 2, dtype=torch.float64),
                       torch.tensor(positions, dtype=torch.float64)[:, None] * theta)
    return torch.view_as_real(z * turn).flatten(-2)


g = torch.Generator().manual_seed(8)
for shape, start, delta in [((2, 4, 9, cfg.head_dim), 0, 64), ((2, 4, 9, cfg.head_dim), 5, 128), ((3, 9, 8), 100, -37),
                            ((2, 3, 6), 0, 0), ((1, 1, 1, 2), 7, 1), ((5, 4), 3, 1000), ((1, 2, 3, 16), 0, -1)]:
    raw = torch.randn(*shape, generator=g, dtype=torch.float64)
    T = shape[-2]
    k = _rope_complex(raw, list(range(start, start + T)))
    got = assert_unchanged(rerotate_keys, k, delta)
    assert_values(got, _rope_complex(k, [delta] * T), what=f"rerotate_keys(k of shape {shape}, delta={delta})")
    assert_fresh(got, k, what=f"rerotate_keys(k, delta={delta}) (a new tensor, also for delta = 0)")
    assert_values(got, _rope_complex(raw, list(range(start + delta, start + delta + T))),
                  what=f"re-rotating by {delta} must equal rotating at the new positions (shape {shape})")
# moving queries and keys together does not change the scores q.k
raw = torch.randn(2, 4, 9, cfg.head_dim, generator=g, dtype=torch.float64)
q = _rope_complex(raw[:, :, :1], [200])
k = _rope_complex(raw, list(range(9)))
assert_values(_rope_complex(raw[:, :, :1], [264]) @ rerotate_keys(k, 64).transpose(-2, -1), q @ k.transpose(-2, -1),
              what="scores after moving queries and keys by 64")
assert_values(rerotate_keys(k, 7).norm(dim=-1), k.norm(dim=-1), what="a rotation keeps norms")
k32 = torch.randn(2, 5, 8, generator=g)
assert_values(rerotate_keys(k32, 3), _rope_complex(k32, [3] * 5).float(), rtol=1e-5, atol=1e-5, what="float32 keys (dtype kept)")
# the model's own keys: float32, re-rotated from positions 0..63 to 64..127, as the experiment below does
k_model = apply_rope(torch.randn(1, cfg.n_heads, CHUNK_LEN, cfg.head_dim, generator=g), torch.arange(CHUNK_LEN), cfg.rope_base)
assert_values(rerotate_keys(k_model, CHUNK_LEN), apply_rope(k_model, torch.full((CHUNK_LEN,), CHUNK_LEN), cfg.rope_base),
              rtol=1e-5, atol=1e-5, what="the model's float32 keys moved by one chunk")
### END HIDDEN TESTS

# %% [markdown] id="rope-picture-intro"
# ### RoPE as a rotation, and what re-rotation does to a chunk
#
# Two pictures of the same pair of coordinates of the model's layer-0 keys (head 0, pair $i = 7$, $\theta_7 = 10000^{-14/32} \approx 0.018$ rad per position: a slow pair, so that the turns are visible). **Left:** one token's key at positions $s = 0, 32, \dots, 256$: the same vector $x_7$, turned by $s\,\theta_7$ (the point labelled $s$). **Right:** the 64 keys of chunk 2 of the first request, cached alone at positions $0..63$ (blue), after your `rerotate_keys` by its true offset $p = 128$ (orange), and computed by the full prefill at their true positions $128..191$ (black crosses).
#
# **What to look at.** On the left, the length stays and only the angle changes. On the right, does the whole cloud turn rigidly, every key by the same angle $p\,\theta_7$ whatever its own position $s$ — and do the orange points land on the crosses?

# %% id="rope-picture"
PAIR, offset = 7, 2 * CHUNK_LEN  # head 0, coordinates (14, 15); chunk 2 sits at positions 128..191
theta = cfg.rope_base ** (-2 * PAIR / cfg.head_dim)
with torch.no_grad():
    _, alone = model(docs[:1, offset : offset + CHUNK_LEN])  # the chunk's cache computed in isolation, positions 0..63
    q_question = model.blocks[0].qkv_heads(model.embed(docs[:1]), torch.arange(docs.shape[1]))[0][0, :, N_CONTEXT:]
k_stored = alone[0][0][0]  # layer 0, (H, 64, d)
k_moved, k_true = rerotate_keys(k_stored, offset), full_cache[0][0][0, :, offset : offset + CHUNK_LEN]
pair = lambda k: k[0, :, 2 * PAIR : 2 * PAIR + 2]  # head 0, pair 7: (64, 2)
fig, axes = subplots(2, width=5, height=4.6)
for s in range(0, 257, 32):  # rotating the position-0 key by s is the key at position s
    u, w = pair(rerotate_keys(k_stored[:, :1], s))[0].tolist()
    axes[0].plot([0, u], [0, w], color="C0", marker="o", markevery=[1], alpha=0.3 + 0.7 * s / 256)
    axes[0].annotate(f"s={s}", (u, w), fontsize=7)
axes[1].scatter(*pair(k_stored).T, s=12, color="C0", label="cached alone, positions 0..63")
axes[1].scatter(*pair(k_moved).T, s=36, color="C1", label=f"re-rotated by p = {offset}")
axes[1].scatter(*pair(k_true).T, s=16, color="k", marker="x", lw=0.7, label=f"full prefill, positions {offset}..{offset + 63}")
for ax, title in zip(axes, ["One key, pair 7, at positions s", f"A chunk's keys moved by p = {offset}"]):
    ax.set_aspect("equal", "datalim")
    label(ax, title, "coordinate 2i", "coordinate 2i + 1")
show(fig)
turn = (torch.atan2(*pair(k_moved).T.flip(0)) - torch.atan2(*pair(k_stored).T.flip(0))) % (2 * math.pi)
print(f"every key of the chunk turns by {turn.min():.4f} to {turn.max():.4f} rad; p theta_7 mod 2 pi = {offset * theta % (2 * math.pi):.4f}")
score = lambda k: q_question @ k.transpose(-2, -1)  # (H, 64 question tokens, 64 chunk keys), unscaled
print(f"layer 0, all heads and pairs: |re-rotated - true-position keys| <= {(k_moved - k_true).abs().max():.1e}; scores q.k with the "
      f"question's queries differ from the true ones by <= {(score(k_moved) - score(k_true)).abs().max():.1e} re-rotated, "
      f"{(score(k_stored) - score(k_true)).abs().max():.2f} as stored (the largest score: {score(k_true).abs().max():.2f})")

# %% [markdown] id="rope-picture-observations"
# **What it shows.** Left: RoPE moves a key around a circle, $\theta_7 \approx 0.018$ rad per position, without changing its length. Right: the chunk's keys, cached at 64 different positions, all turn by the same angle — the cell measured 2.2762 rad for every one of them, $128\,\theta_7 \bmod 2\pi$ — so the cloud turns rigidly; the turn depends only on the offset, not on where in the chunk a key sits. (The arc of blue points is the chunk's 17 trailing spaces: one token at successive positions, so one vector turned by $\theta_7$ per step.) The orange points land on the crosses: in layer 0 the re-rotated keys equal the full prefill's to within $1.5 \cdot 10^{-5}$ (float32 rounding), and so do their scores $q^\top k$ with the question chunk's queries ($5 \cdot 10^{-5}$), while the keys as stored get scores off by up to 117 — more than the largest score itself, 68. That is the whole fix for position. From layer 1 on, the re-rotated keys still miss their cross-chunk context (problem 2): Experiment 1 measures what that costs.

# %% [markdown] id="stitch-intro"
# ## Experiment 1 — stitching chunk caches
#
# **Where the paper says it.** Reproduces, in miniature, the problem Agarwal et al. (2025) start from (their abstract: existing methods cannot reuse KV caches when chunks appear at arbitrary positions with arbitrary contexts, and naive reuse degrades output quality), split into its two causes, position and context (the paper's analysis of chunk-cache reuse, as we read it).
#
# For every request we compute each context chunk's cache in isolation (positions 0..63) and stitch the three into one context cache, either **re-rotated** to their true positions 0, 64, 128 or **as stored**. Chunk 0's isolated cache is exact once in place (nothing precedes it); chunks 1 and 2 miss their cross-chunk attention. To separate the two kinds of error we also stitch with only one chunk reused and the others exact.

# %% id="stitch-run"
@torch.no_grad()
def chunk_caches(x: torch.Tensor) -> list:
    """Each of the 3 context chunks' caches, computed in isolation at positions 0..63."""
    return [model(x[:, c * CHUNK_LEN : (c + 1) * CHUNK_LEN])[1] for c in range(3)]


def stitch(isolated: list, rotate: bool = True, reuse=(0, 1, 2)):
    """A context cache from isolated chunk caches (chunks not in `reuse` taken from the exact prefill)."""
    cache = []
    for l in range(L):
        ks, vs = [], []
        for c in range(3):
            sl = slice(c * CHUNK_LEN, (c + 1) * CHUNK_LEN)
            if c in reuse:
                k, v = isolated[c][l]
                ks.append(rerotate_keys(k, c * CHUNK_LEN) if rotate else k)
                vs.append(v)
            else:
                ks.append(full_cache[l][0][:, :, sl])
                vs.append(full_cache[l][1][:, :, sl])
        cache.append((torch.cat(ks, dim=2), torch.cat(vs, dim=2)))
    return cache


isolated = chunk_caches(docs)
variants = {
    "full prefill": full_cache,
    "reuse all 3, re-rotated": stitch(isolated, rotate=True),
    "reuse all 3, NOT re-rotated": stitch(isolated, rotate=False),
    "reuse chunk 0 only, re-rotated": stitch(isolated, reuse=(0,)),
    "reuse chunk 1 only, re-rotated": stitch(isolated, reuse=(1,)),
    "reuse chunk 2 only, re-rotated": stitch(isolated, reuse=(2,)),
}
stitched = {}
print(f"{'context cache':32s}  loss    KL      top-1  recall")
for name, cache in variants.items():
    s = score_continuation(model, docs, N_CONTEXT, cache, ref_logits=reference["logits"])
    stitched[name] = s
    print(f"{name:32s}  {s['loss']:.3f}  {s['kl']:.4f}  {s['top1']:.3f}  {s['answer_acc']:.3f}")
kl_cross = stitched["reuse all 3, re-rotated"]["kl"]
kl_position = stitched["reuse all 3, NOT re-rotated"]["kl"] - kl_cross
print(f"missing cross-chunk attention costs KL {kl_cross:.4f}; stale positions add {kl_position:.4f} on top")

# %% [markdown] id="where-intro"
# ## Where the error sits
#
# **Where the paper says it.** Cache-Craft decides how much of a chunk to recompute from how strongly its tokens attended to other chunks (inter-chunk attention, one of the reuse metrics it defines; as we read it); this cell shows where, in depth and inside a chunk, the missing context leaves its trace.
#
# Compare the re-rotated stitched cache with the exact one, token by token: the relative deviation $\lVert K^{\text{reuse}} - K^{\text{full}} \rVert / \lVert K^{\text{full}} \rVert$ (keys and values together) for each layer and each position inside chunks 1 and 2.

# %% id="where-run"
reused = variants["reuse all 3, re-rotated"]
dev = torch.zeros(L, CHUNK_LEN)
for l in range(L):
    (kr, vr), (kf, vf) = reused[l], full_cache[l]
    num = ((kr - kf) ** 2).sum(-1) + ((vr - vf) ** 2).sum(-1)  # (B, H, T)
    den = (kf**2).sum(-1) + (vf**2).sum(-1)
    rel = (num.sum(1) / den.sum(1)).sqrt()[:, CHUNK_LEN:]  # chunks 1 and 2 only
    dev[l] = rel.reshape(N_DOCS, 2, CHUNK_LEN).mean(dim=(0, 1))
by_layer = dev.mean(1)
print("relative K/V deviation by layer:", " ".join(f"{d:.3f}" for d in by_layer.tolist()))
print(f"by position in chunk (mean over layers): first 8 tokens {dev[:, :8].mean():.3f}, "
      f"middle {dev[:, 8:56].mean():.3f}, last 8 {dev[:, 56:].mean():.3f}")
fig, axes = subplots(2)
axes[0].bar(range(L), by_layer.tolist(), label="chunks 1-2, re-rotated")
label(axes[0], "Reused-cache error by layer", "layer", "relative K/V deviation")
for l in range(1, L):
    axes[1].plot(range(CHUNK_LEN), dev[l].tolist(), lw=1, label=f"layer {l}")
label(axes[1], "Reused-cache error by position inside the chunk", "position in chunk", "relative K/V deviation")
show(fig)


# %% [markdown] id="stitch-observations"
# **What we see** (figures from our full run):
#
# - **Positions matter most.** Keys left at their stored positions cost about 16 times more KL than the missing cross-chunk attention (about 0.012 against 0.0007), and recall drops; after re-rotation the question chunk barely notices that its context was stitched.
# - **Cross-chunk error is real but small here.** From layer 1 on, the reused K/V differ from the exact ones by 12-16% (layer 0 is exact: its keys depend only on the token and its position), and the first tokens of each chunk — the ones that lost the most context — deviate about three times more than the rest. Yet the quality cost is small (KL below 0.001, recall unchanged within noise): our model answers a query by attending straight to the binding, whose own K/V are mostly local. In LLMs, where meaning is built from context everywhere, the same gap is larger — that is what Cache-Craft fixes.

# %% [markdown] id="score-background"
# ## Exercise 2 — a deviation score (2 points)
#
# To fix a reused chunk cheaply we recompute only some of its tokens. Which ones? Cache-Craft ranks tokens by how much they depended on context outside their chunk (it records inter-chunk attention when a chunk cache is created; we compute that score for you below); CacheBlend runs the **first layers** of the new request in full and picks the tokens whose K/V moved most. You implement the second: run layer 0 over the whole request (1/6 of a prefill), compute layer 1's K and V from it, and compare with the reused layer-1 K and V.
#
# **Implement** `deviation_score(k_reused, v_reused, k_fresh, v_fresh)` for tensors `(B, H, T, d)`: return `(B, T)`, for each token
#
# $$\text{score} = \sqrt{\frac{\sum_{h,j} (k^{r}-k^{f})^2 + (v^{r}-v^{f})^2}{\sum_{h,j} (k^{f})^2 + (v^{f})^2}}$$
#
# (sums over heads $h$ and head dimensions $j$): the relative deviation of the token's whole layer state. Every token's fresh state is nonzero. Return the scores in the inputs' dtype (computed in it) and leave the four arguments unchanged.
#
# *Hint:* sum over the last axis, then over the heads axis, before dividing.

# %% id="score-answer" nbgrader={"grade": false, "grade_id": "score-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def deviation_score(k_reused: torch.Tensor, v_reused: torch.Tensor, k_fresh: torch.Tensor,
                    v_fresh: torch.Tensor) -> torch.Tensor:
    """Relative deviation (B, T) of each token's reused K/V from the fresh ones, over heads and dims."""
    ### BEGIN SOLUTION
    num = ((k_reused - k_fresh) ** 2).sum(dim=(1, 3)) + ((v_reused - v_fresh) ** 2).sum(dim=(1, 3))
    den = (k_fresh**2).sum(dim=(1, 3)) + (v_fresh**2).sum(dim=(1, 3))
    return (num / den.clamp_min(1e-12)).sqrt()
    ### END SOLUTION


# %% id="score-tests" nbgrader={"grade": true, "grade_id": "score-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
kf = torch.ones(1, 2, 3, 2)
vf = torch.ones(1, 2, 3, 2)
kr = kf.clone()
kr[0, 0, 1] = 3.0  # token 1, head 0: both key dims off by 2
sc = deviation_score(kr, vf, kf, vf)
assert sc.shape == (1, 3), f"expected shape (B, T) = (1, 3), got {tuple(sc.shape)}"
assert torch.allclose(sc, torch.tensor([[0.0, 1.0, 0.0]])), f"token 1: sqrt((4+4) / 8) = 1, others 0; got {sc.tolist()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_unchanged, assert_values


def _flat_ratio(kr, vr, kf, vf):  # independent: each token's state over all heads as one vector, in Python floats
    B, H, T, d = kf.shape
    out = torch.zeros(B, T, dtype=torch.float64)
    for b in range(B):
        for t in range(T):
            fresh = torch.cat([kf[b, :, t], vf[b, :, t]], dim=-1).flatten().tolist()
            reuse = torch.cat([kr[b, :, t], vr[b, :, t]], dim=-1).flatten().tolist()
            out[b, t] = math.sqrt(sum((r - f) ** 2 for r, f in zip(reuse, fresh)) / sum(f * f for f in fresh))
    return out


g = torch.Generator().manual_seed(4)
for B, H, T, d in [(1, 1, 1, 1), (1, 1, 1, 2), (2, 3, 7, 4), (3, 4, 11, 8), (1, 2, 5, 1)]:
    kf, vf = torch.randn(B, H, T, d, generator=g, dtype=torch.float64), torch.randn(B, H, T, d, generator=g, dtype=torch.float64) * 3
    kr, vr = kf + torch.randn(B, H, T, d, generator=g, dtype=torch.float64) * 0.1, vf + torch.randn(B, H, T, d, generator=g, dtype=torch.float64)
    got = assert_unchanged(deviation_score, kr, vr, kf, vf)
    assert_values(got, _flat_ratio(kr, vr, kf, vf), what=f"deviation_score for (B, H, T, d) = {(B, H, T, d)}")
    assert_values(deviation_score(kr * 5, vr * 5, kf * 5, vf * 5), got, what="the score is relative: scale-free")
    assert_values(deviation_score(kf, vf, kf, vf), torch.zeros(B, T, dtype=torch.float64), what="reused == fresh scores 0")
# keys and values both count, and the denominator is the fresh state (not the reused one)
kf, vf = torch.ones(1, 2, 1, 2, dtype=torch.float64), torch.full((1, 2, 1, 2), -2.0, dtype=torch.float64)
kr, vr = torch.zeros(1, 2, 1, 2, dtype=torch.float64), vf.clone()
assert_values(deviation_score(kr, vr, kf, vf), torch.tensor([[math.sqrt(4 / 20)]], dtype=torch.float64),
              what="keys off by 1, values exact: sqrt(4 / (4 + 16))")
assert_values(deviation_score(kf.clone(), vf + 2, kf, vf), torch.tensor([[math.sqrt(16 / 20)]], dtype=torch.float64),
              what="values off by 2, keys exact: sqrt(16 / (4 + 16))")
k32 = [torch.randn(2, 2, 3, 4, generator=g) for _ in range(4)]
assert_values(deviation_score(*k32), _flat_ratio(*[t.double() for t in k32]).float(), what="float32 inputs (dtype kept)")
### END HIDDEN TESTS

# %% [markdown] id="select-background"
# ## Exercise 3 — choosing what to recompute (2 points)
#
# **Implement** `choose_recompute(score, fraction, eligible)`: `score` (float, shape `(T,)`, any values including $\pm\infty$, e.g. for padding) and `eligible` (bool, `(T,)`: the reused tokens that may be recomputed). Return a bool mask `(T,)` selecting the $k = \lceil \text{fraction} \cdot n \rceil$ eligible tokens with the highest score, where $n$ is the number of eligible tokens and $0 \le \text{fraction} \le 1$. Exactly:
#
# - compute $k$ exactly, reading `fraction` as the decimal it prints as: 7% of 100 tokens is $k = 7$, although `math.ceil(0.07 * 100)` is 8 (`math.ceil(Fraction(str(fraction)) * n)`, with `from fractions import Fraction`, does it). $k = 0$ (fraction 0, or no eligible token) selects nothing;
# - never select an ineligible token, whatever its score; an eligible token scored $-\infty$ still counts, and is selected once $k$ reaches it;
# - among equal scores take the **later** token (higher index) first: it sits further into the request and missed more context;
# - compare the scores in their own dtype (float64 scores that differ in the twelfth digit are different), and leave `score` and `eligible` unchanged (do not write $-\infty$ into `score`).
#
# *Hint:* work on the eligible indices only, `idx = eligible.nonzero().flatten()`; flip them so that later tokens come first, then `torch.sort(score[idx], descending=True, stable=True)` keeps that order among ties (`torch.topk` promises no order for ties).

# %% id="select-answer" nbgrader={"grade": false, "grade_id": "select-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
from fractions import Fraction


def choose_recompute(score: torch.Tensor, fraction: float, eligible: torch.Tensor) -> torch.Tensor:
    """Bool (T,): the ceil(fraction * n_eligible) eligible tokens with the highest score (ties: later token)."""
    ### BEGIN SOLUTION
    k = math.ceil(Fraction(str(fraction)) * int(eligible.sum()))
    mask = torch.zeros_like(eligible, dtype=torch.bool)
    if k == 0:
        return mask
    idx = eligible.nonzero().flatten().flip(0)  # later tokens first: the stable sort keeps them first among ties
    order = torch.sort(score[idx], descending=True, stable=True).indices
    mask[idx[order[:k]]] = True
    return mask
    ### END SOLUTION


# %% id="select-tests" nbgrader={"grade": true, "grade_id": "select-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
sc = torch.tensor([0.9, 0.1, 0.8, 0.3, 0.5])
el = torch.tensor([False, True, True, True, True])
m = choose_recompute(sc, 0.5, el)
assert m.dtype == torch.bool and m.shape == (5,), f"expected a bool (5,) mask, got {m.dtype} {tuple(m.shape)}"
assert m.tolist() == [False, False, True, False, True], f"half of 4 eligible = 2 best eligible tokens (2 and 4); got {m.tolist()}"
assert not choose_recompute(sc, 0.0, el).any(), "fraction 0 selects nothing"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_unchanged, assert_values


def _reference_select(score, p, q, eligible):  # fraction = p/q: k by integer arithmetic; rank by (-score, -index)
    values, ok = score.tolist(), eligible.tolist()
    pool = [i for i in range(len(values)) if ok[i]]
    k = -(-p * len(pool) // q)
    out = torch.zeros(len(values), dtype=torch.bool)
    for i in sorted(pool, key=lambda i: (-values[i], -i))[:k]:
        out[i] = True
    return out


def _check(score, p, q, eligible, what):
    got = assert_unchanged(choose_recompute, score, p / q, eligible)  # must not write into score or eligible
    n = int(eligible.sum())
    assert_values(got, _reference_select(score, p, q, eligible),
                  what=f"{what}: fraction {p / q} of {n} eligible (k = {-(-p * n // q)})")


g = torch.Generator().manual_seed(9)
# random signed scores, and the same rounded to a grid (ties); boundaries where ceil differs from round and floor,
# and from math.ceil(fraction * n) in floating point
for T, (p, q) in [(10, (1, 10)), (64, (25, 100)), (128, (5, 100)), (50, (1, 1)), (33, (33, 100)), (12, (5, 10)),
                  (40, (3, 10)), (7, (1, 2)), (1, (1, 2)), (1, (1, 1)), (9, (0, 1))]:
    sc = torch.randn(T, generator=g, dtype=torch.float64) * 3
    el = torch.rand(T, generator=g) < 0.6
    el[0] = True
    _check(sc, p, q, el, f"random scores, T={T}")
    _check(torch.round(sc), p, q, el, f"scores with ties, T={T}")
for n, (p, q) in [(100, (7, 100)), (25, (28, 100)), (100, (14, 100)), (10, (5, 100)), (10, (25, 100)), (7, (3, 10)), (4, (1, 2))]:
    sc = torch.round(torch.randn(n + 3, generator=g, dtype=torch.float64) * 4) / 4
    el = torch.ones(n + 3, dtype=torch.bool)
    el[[0, n // 2, n + 2]] = False
    _check(sc, p, q, el, f"k at a rounding boundary, n={n}")
# all eligible, none eligible
sc = torch.tensor([0.5, -1.0, 0.5, 2.0, -1.0, 0.5], dtype=torch.float64)
for p, q in [(1, 10), (3, 10), (5, 10), (6, 10), (8, 10), (1, 1), (0, 1)]:  # fractions with exact decimals
    _check(sc, p, q, torch.ones(6, dtype=torch.bool), "all tokens eligible, ties")
    _check(sc, p, q, torch.zeros(6, dtype=torch.bool), "no token eligible")
# +-inf: an ineligible +inf is never chosen; an eligible -inf is chosen before any ineligible token
inf = math.inf
sc = torch.tensor([inf, -inf, 1.0, -inf, inf, -3.0, -inf, 0.0], dtype=torch.float64)
el = torch.tensor([False, True, True, False, True, True, True, False])
for p, q in [(1, 5), (2, 5), (3, 5), (4, 5), (1, 1)]:
    _check(sc, p, q, el, "scores with +-inf")
want = torch.tensor([False, True, True, False, True, True, True, False])
assert_values(choose_recompute(sc, 1.0, el), want, what="fraction 1 selects every eligible token, -inf ones included")
# scores 1e-12 apart: float64 tells them apart, float32 cannot
sc = torch.tensor([0.3, 0.3 + 1e-12, 0.1, 0.3 - 1e-12, 0.3], dtype=torch.float64)
_check(sc, 1, 5, torch.ones(5, dtype=torch.bool), "nearly equal float64 scores")
_check(sc, 2, 5, torch.ones(5, dtype=torch.bool), "nearly equal float64 scores")
sc32 = torch.tensor([0.2, 0.7, 0.7, 0.1], dtype=torch.float32)
assert_values(choose_recompute(sc32, 0.5, torch.ones(4, dtype=torch.bool)), torch.tensor([False, True, True, False]),
              what="float32 scores")
### END HIDDEN TESTS

# %% [markdown] id="recompute-intro"
# ## Experiment 2 — quality against the recomputed fraction
#
# **Where the paper says it.** Reproduces, in miniature, the second contribution of the abstract of Agarwal et al. (2025): perform a small fraction of recomputation to fix a reused cache and keep output quality; which tokens to choose compares Cache-Craft's attention metadata with CacheBlend's KV-deviation check (Yao et al. 2024) and two naive choices (the paper's quality-versus-recomputation evaluation, as we read it).
#
# For each request: stitch the re-rotated chunk caches, compute the deviation score of chunks 1-2's tokens from layer 0 run in full, choose a fraction of them, recompute those tokens through all layers (`utils.kv_cache.selective_recompute`: selected tokens get fresh K/V, attending to the cache as patched so far; the others keep the reused K/V), and score the question chunk. Four selections at each fraction: by **inter-chunk attention** (Cache-Craft's metadata: how much attention each token paid to earlier chunks when the chunk was prefilled in context — here recorded from this very request's full prefill, an optimistic stand-in for an earlier request with the same chunk), by the **deviation score** (CacheBlend's layer-1 check, computable at request time), **random** (mean of three seeds), and the **first** tokens of each chunk (the tokens that lost the most context, a natural guess). We report the share of the reuse gap recovered, $(\text{KL}_{\text{reuse}} - \text{KL}_{f}) / \text{KL}_{\text{reuse}}$.

# %% id="recompute-run"
@torch.no_grad()
def layer1_fresh(x: torch.Tensor):
    """Layer-1 K/V from running layer 0 over the whole context (the cheap part of a prefill)."""
    pos = torch.arange(x.shape[1])
    b0, b1 = model.blocks[0], model.blocks[1]
    h = model.embed(x)
    q, k, v = b0.qkv_heads(h, pos)
    h = b0.finish(h, F.scaled_dot_product_attention(q, k, v, is_causal=True))
    _, k1, v1 = b1.qkv_heads(h, pos)
    return k1, v1


@torch.no_grad()
def inter_chunk_attention(x: torch.Tensor) -> torch.Tensor:
    """(B, T): attention mass each token puts on tokens before its own chunk, mean over layers and heads."""
    T = x.shape[1]
    pos = torch.arange(T)
    causal = pos[None, :] <= pos[:, None]
    before = pos[None, :] < (pos[:, None] // CHUNK_LEN) * CHUNK_LEN  # key j precedes query i's chunk
    h, total = model.embed(x), torch.zeros(x.shape[0], T)
    for block in model.blocks:
        q, k, v = block.qkv_heads(h, pos)
        att = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).masked_fill(~causal, -math.inf).softmax(-1)
        total += (att * before).sum(-1).mean(1)
        h = block.finish(h, att @ v)
    return total / L


ctx = docs[:, :N_CONTEXT]
k1f, v1f = layer1_fresh(ctx)
inter = inter_chunk_attention(ctx)  # Cache-Craft's metadata, recorded when the chunk was prefilled in context
scores = deviation_score(reused[1][0], reused[1][1], k1f, v1f)  # (N_DOCS, N_CONTEXT)
eligible = torch.arange(N_CONTEXT) >= CHUNK_LEN  # chunk 0 is exact once re-rotated
first_k_rank = -(torch.arange(N_CONTEXT) % CHUNK_LEN).float()  # earlier in the chunk ranks higher

fractions = [0.0, 0.05, 0.1, 0.2, 0.3, 0.5] if not SMOKE else [0.0, 0.1, 0.3]
selectors = ["inter-chunk attention", "deviation score", "random", "random (seed 2)", "random (seed 3)", "first tokens"]
curves = {name: [] for name in selectors}
recall = {name: [] for name in selectors}
for frac in progress(fractions, desc="recompute fractions"):
    for name in selectors:
        rand_gen = torch.Generator().manual_seed(SEED + selectors.index(name))
        per_layer = [[[], []] for _ in range(L)]
        for i in range(N_DOCS):
            if name == "deviation score":
                s = scores[i]
            elif name == "inter-chunk attention":
                s = inter[i]
            elif name.startswith("random"):
                s = torch.rand(N_CONTEXT, generator=rand_gen)
            else:
                s = first_k_rank
            sel = choose_recompute(s, frac, eligible)
            one = [(k[i : i + 1], v[i : i + 1]) for k, v in reused]
            fixed = selective_recompute(model, ctx[i : i + 1], one, sel)
            for l in range(L):
                per_layer[l][0].append(fixed[l][0])
                per_layer[l][1].append(fixed[l][1])
        cache = [(torch.cat(k), torch.cat(v)) for k, v in per_layer]
        s = score_continuation(model, docs, N_CONTEXT, cache, ref_logits=reference["logits"])
        curves[name].append(s["kl"])
        recall[name].append(s["answer_acc"])
randoms = [n for n in selectors if n.startswith("random")]
for store in (curves, recall):
    store["random (mean of 3)"] = [sum(store[n][j] for n in randoms) / 3 for j in range(len(fractions))]
    for n in randoms:
        del store[n]
kl_reuse = curves["deviation score"][0]
recovered = {name: [(kl_reuse - kl) / kl_reuse for kl in ys] for name, ys in curves.items()}
print("KL(full || reused) x 1000 (share of the reuse gap recovered), recall accuracy")
print("fraction  " + "  ".join(f"{n:>28s}" for n in curves))
for j, f in enumerate(fractions):
    print(f"{f:8.2f}  " + "  ".join(f"{1000 * curves[n][j]:6.3f} ({recovered[n][j]:4.0%}) acc {recall[n][j]:.2f}" for n in curves))

fig, axes = subplots(2)
for name in curves:
    axes[0].plot(fractions, curves[name], marker="o", label=name)
    axes[1].plot(fractions, recall[name], marker="o", label=name)
axes[0].axhline(stitched["reuse all 3, NOT re-rotated"]["kl"], color="C3", ls=":", label="no re-rotation, no recompute")
axes[1].axhline(reference["answer_acc"], color="gray", ls="--", lw=1, label="full prefill")
label(axes[0], "Quality against recomputation", "fraction of reused tokens recomputed", "KL(full || reused), nats")
label(axes[1], "Recall of queried digits", "fraction of reused tokens recomputed", "accuracy")
show(fig)


# %% [markdown] id="recompute-observations"
# **What we see.** Every informed choice beats random at every fraction we tried: recomputing 10% of the reused tokens chosen by the deviation score recovers about 40% of the (small) gap, random about 8%. The first tokens of each chunk are a good cheap guess at low fractions. Cache-Craft's inter-chunk attention ranks a few decisive tokens last at small fractions but overtakes everything from 30% on (about 70% recovered): the tokens that attended across chunks are exactly the ones whose state was wrong. The gap itself is tiny at this scale, so read the curve's shape, not the absolute numbers.

# %% [markdown] id="evict-background"
# ## Managing chunk caches under a memory budget
#
# A server cannot keep every chunk's cache: it holds `capacity` of them and must evict one when a new chunk arrives. LRU evicts the least recently used. But chunk popularity in RAG is very skewed, and chunks differ in what a hit saves: a chunk that depends heavily on its neighbours needs more of its tokens recomputed, so a hit on it saves less. Cache-Craft's eviction weighs **how often** a chunk is reused (a frequency that decays with time, so yesterday's favourites fade) by **how much** its reuse saves.
#
# ## Exercise 4 — a frequency-and-savings eviction policy (3 points)
#
# **Implement** `choose_victim(entries, now, half_life)`. `entries` maps a chunk id to a dict with `"freq"` (its decayed frequency as of time `"t"`), `"t"` (when `freq` was last updated, `t <= now`) and `"saving"` (the fraction of its prefill a hit saves, in $[0, 1]$). The frequency decays by half every `half_life > 0` steps (`math.inf`: no decay): at time `now` it is $f \cdot 2^{-(\text{now} - t)/\text{half\_life}}$. Return the id with the smallest $\text{value} = f_{\text{now}} \cdot \text{saving}$; break ties by the oldest `"t"` (least recently used), and remaining ties by the order of `entries` (the first one). Raise a `ValueError` if `entries` is empty. Leave `entries` and its dicts unchanged: the caller updates them (do not write the decayed frequency back).
#
# *Hint:* `min(entries, key=lambda c: (value(c), entries[c]["t"]))` — `min` returns the first of equal keys.

# %% id="evict-answer" nbgrader={"grade": false, "grade_id": "evict-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def choose_victim(entries: dict, now: int, half_life: float) -> object:
    """The cached chunk to evict: smallest decayed frequency x saving, ties to the least recently used."""
    ### BEGIN SOLUTION
    def value(c):
        e = entries[c]
        return e["freq"] * 2.0 ** (-(now - e["t"]) / half_life) * e["saving"]
    return min(entries, key=lambda c: (value(c), entries[c]["t"]))
    ### END SOLUTION


# %% id="evict-tests" nbgrader={"grade": true, "grade_id": "evict-tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
entries = {"a": {"freq": 4.0, "t": 10, "saving": 0.5}, "b": {"freq": 3.0, "t": 10, "saving": 1.0},
           "c": {"freq": 1.0, "t": 12, "saving": 1.0}}
assert choose_victim(entries, now=12, half_life=1e9) == "c", "c has the least frequency x saving"
entries["c"]["freq"] = 8.0
assert choose_victim(entries, now=12, half_life=1e9) == "a", "a: 4 x 0.5 = 2 < 3"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_raises, assert_unchanged


def _victim_by_sorting(e, now, hl):  # independent: exp/log form of the decay, a full sort over (value, t, position)
    rows = [(v["freq"] * math.exp(-math.log(2) * (now - v["t"]) / hl) * v["saving"], v["t"], pos, c)
            for pos, (c, v) in enumerate(e.items())]
    return sorted(rows)[0][3]


def _check(e, now, hl, want, why):
    got = assert_unchanged(choose_victim, e, now, hl)  # must not write decayed frequencies back into entries
    assert got == want, f"{why}: expected {want!r}, got {got!r}"


# decay: an old favourite fades below a recent, less frequent chunk
e = {"old": {"freq": 8.0, "t": 0, "saving": 1.0}, "new": {"freq": 3.0, "t": 100, "saving": 1.0}}
_check(e, 100, 25, "old", "8 * 2^-4 = 0.5 < 3: the old chunk decayed")
_check(e, 100, 1000, "new", "8 * 2^-0.1 > 3: with a long half-life the old chunk stays")
_check(e, 100, 100, "new", "8 * 2^-1 = 4 > 3 (the half-life is in steps: halves once per half_life)")
_check(e, 100, 50, "old", "8 * 2^-2 = 2 < 3")
# the saving weighs the frequency
_check({"a": {"freq": 4.0, "t": 3, "saving": 0.2}, "b": {"freq": 1.0, "t": 3, "saving": 1.0}}, 3, 10.0, "a", "4 x 0.2 = 0.8 < 1 x 1")
_check({"a": {"freq": 4.0, "t": 3, "saving": 0.2}, "b": {"freq": 1.0, "t": 3, "saving": 0.5}}, 3, 10.0, "b", "1 x 0.5 < 4 x 0.2 = 0.8")
# ties go to the least recently updated, then to the first in the order of entries
e = {"x": {"freq": 2.0, "t": 5, "saving": 0.5}, "y": {"freq": 1.0, "t": 3, "saving": 1.0}, "z": {"freq": 1.0, "t": 5, "saving": 1.0}}
_check(e, 5, math.inf, "y", "equal value: evict the least recently used")
_check({"p": {"freq": 1.0, "t": 9, "saving": 1.0}, "q": {"freq": 1.0, "t": 2, "saving": 1.0}}, 9, math.inf, "q", "LRU tie-break")
e = {"m": {"freq": 2.0, "t": 4, "saving": 0.5}, "k": {"freq": 1.0, "t": 4, "saving": 1.0}, "j": {"freq": 4.0, "t": 4, "saving": 0.25}}
_check(e, 4, 7.0, "m", "equal value and equal t: the first in the order of entries")
_check(dict(reversed(list(e.items()))), 4, 7.0, "j", "equal value and equal t: the first in the order of entries")
_check({"zero": {"freq": 9.0, "t": 8, "saving": 0.0}, "old0": {"freq": 0.0, "t": 1, "saving": 1.0}}, 8, 3.0, "old0",
       "both worth 0: the least recently used")
_check({"only": {"freq": 1.0, "t": 0, "saving": 0.5}}, 10, 2.0, "only", "a single entry")
assert_raises(ValueError, choose_victim, {}, 0, 10.0)
# independent enumeration on random entries
rng = random.Random(2)
for _ in range(200):
    e = {i: {"freq": rng.uniform(0, 5), "t": rng.randrange(100), "saving": rng.uniform(0.1, 1)} for i in range(rng.randrange(1, 12))}
    now, hl = 100 + rng.randrange(50), rng.uniform(5, 100)
    _check(e, now, hl, _victim_by_sorting(e, now, hl), f"random entries, now={now}, half_life={hl:.1f}")
### END HIDDEN TESTS

# %% [markdown] id="manager-intro"
# ## Experiment 3 — a chunk-cache manager against LRU
#
# **Where the paper says it.** The third contribution of the abstract of Agarwal et al. (2025): store and evict chunk caches so as to maximise reuse. The headline figures (51% less redundant computation than prefix caching, 75% less than full recomputation) come from real production and synthetic workloads on LLaMA-3-8B and -70B; our stream is synthetic and only mirrors the mechanism (as we read it, not a reproduction of a specific figure).
#
# A knowledge base of 300 chunks; each request retrieves 3 of them, drawn with Zipf-skewed popularity ($p(i) \propto i^{-1}$, the popular ranks reshuffled twice during the stream so that popularity drifts). Each chunk's *saving* comes from our model: we measured above how many of a reused chunk's tokens are worth recomputing (the deviation-selected tokens); chunks whose deviation score is high need more. A hit saves $\text{saving} \times 64$ tokens of prefill; a miss computes the chunk in full and caches it. Both policies see the same stream and the same capacity. The frequency policy keeps the decayed request count of every chunk it has seen (a few bytes each, also for chunks not in the cache), and lets a newcomer compete with the residents: if it is worth least, it is served but not cached. Without that history a frequency policy starves: every newcomer starts at frequency 1, is the first to go, and never accumulates the count that would keep it — LRU then wins.

# %% id="manager-run"
# per-chunk saving from the model: fraction of tokens whose deviation exceeds the median score, recomputed on a hit
threshold = scores[:, eligible].median()
need = (scores[:, eligible].reshape(-1, CHUNK_LEN) > threshold).float().mean(1)  # one value per reused chunk seen
N_KB, CAPACITY, HALF_LIFE = 300, 40, 300.0
rng = random.Random(SEED)
saving = {c: 1.0 - float(need[rng.randrange(len(need))]) for c in range(N_KB)}


def request_stream(n: int, seed: int):
    """Requests of 3 distinct chunk ids, Zipf(1) popularity, ranks reshuffled at 1/3 and 2/3 of the stream."""
    r = random.Random(seed)
    ranks = list(range(N_KB))
    weights = [1 / (i + 1) for i in range(N_KB)]
    for step in range(n):
        if step in (n // 3, 2 * n // 3):
            r.shuffle(ranks)
        picked = set()
        while len(picked) < 3:
            picked.add(ranks[r.choices(range(N_KB), weights)[0]])
        yield sorted(picked)


def simulate(policy: str) -> dict:
    """Serve the stream with `policy` in {lru, craft}; hit rate and prefill tokens saved."""
    resident = OrderedDict()  # chunk id -> True, in least-recently-used order
    stats = {}  # decayed request frequency of every chunk ever requested (tiny metadata, kept for all)
    hits = lookups = 0
    saved = 0.0
    for now, req in enumerate(request_stream(N_REQUESTS, SEED + 1)):
        for c in req:
            lookups += 1
            e = stats.setdefault(c, {"freq": 0.0, "t": now, "saving": saving[c]})
            e["freq"] = e["freq"] * 2.0 ** (-(now - e["t"]) / HALF_LIFE) + 1
            e["t"] = now
            if c in resident:
                hits += 1
                saved += saving[c] * CHUNK_LEN
                resident.move_to_end(c)
                continue
            if len(resident) >= CAPACITY:
                if policy == "lru":
                    victim = next(iter(resident))
                else:  # the newcomer competes too: if it is worth least, it is not cached
                    victim = choose_victim({x: stats[x] for x in (*resident, c)}, now, HALF_LIFE)
                    if victim == c:
                        continue
                del resident[victim]
            resident[c] = True
    return {"hit_rate": hits / lookups, "saved": saved / (lookups * CHUNK_LEN)}


sim = {p: simulate(p) for p in progress(["lru", "craft"], desc="policies")}
for p, r in sim.items():
    print(f"{p:6s}: hit rate {r['hit_rate']:.3f}, prefill computation saved {r['saved']:.3f} of all chunk tokens")

fig, ax = subplots()
xs = range(2)
ax.bar([x - 0.2 for x in xs], [sim["lru"]["hit_rate"], sim["lru"]["saved"]], width=0.4, label="LRU")
ax.bar([x + 0.2 for x in xs], [sim["craft"]["hit_rate"], sim["craft"]["saved"]], width=0.4, label="frequency x saving")
ax.set_xticks(list(xs), ["hit rate", "prefill saved"])
label(ax, f"Chunk-cache manager, capacity {CAPACITY} of {N_KB} chunks", "metric", "fraction")
show(fig)

# %% [markdown] id="manager-observations"
# **What we see.** On the same stream, the frequency-and-savings policy keeps the popular chunks that LRU keeps evicting under a burst of one-off requests: a higher hit rate (about 0.60 against 0.53 in our run) and more prefill saved (about 0.32 against 0.27 of all chunk tokens). The simulation is synthetic — popularity, drift and capacity are our choices, and only the per-chunk savings come from the model — so this shows the mechanism, not the paper's production numbers (51% less computation than prefix caching, 75% less than full recomputation).

# %% [markdown] id="savings-background"
# ## Exercise 5 — what chunk caches save over prefix caching, counted (2 points)
#
# Cache-Craft's headline figures (51% less redundant computation than prefix caching, 75% less than full recomputation) count the prefill tokens each way of serving a stream of requests computes. Count them yourself; there is no code in the hint. A request is a list of distinct chunk ids (ints or strings), each chunk `chunk_len` tokens. Requests arrive in the order of the list, and every cache is unlimited (nothing is evicted); a chunk's cache is available from the **next** request on. For a request $c_0, \dots, c_{m-1}$:
#
# - **full recomputation** computes all $m \cdot$ `chunk_len` tokens;
# - **prefix caching** reuses, exactly and for free, the longest prefix $c_0..c_{j-1}$ that is also a prefix of some earlier request ($j = 0$ if none; $j = m$ when the request is itself a prefix of an earlier one), and computes the other $(m - j) \cdot$ `chunk_len` tokens;
# - **chunk caching** reuses the same prefix for free; each later chunk $c_i$ ($i \ge j$) that appeared anywhere in an earlier request is reused, re-rotated, with `recompute` of its tokens recomputed; every other chunk is computed in full (`chunk_len` tokens).
#
# **Implement** `prefill_tokens(requests, chunk_len, recompute)` returning the three totals over the stream, `(full, prefix, chunk)`, as a tuple of Python `int`s. `chunk_len >= 1` and `recompute` ($0 \le$ `recompute` $\le$ `chunk_len`) are ints; an empty stream, or an empty request, computes 0 tokens. Raise a `ValueError` if `chunk_len < 1`, if `recompute` is outside $[0, \text{chunk\_len}]$, or if a request repeats a chunk id. Leave `requests` and its lists unchanged.
#
# *Hint:* go request by request and decide what the earlier ones leave behind for the later ones. Check by hand first: `[["a", "b"], ["b", "a"], ["a", "b", "c"]]` with `chunk_len = 10`, `recompute = 2` gives full 70, prefix 20 + 20 + 10 = 50 (`["b", "a"]` shares no prefix; `["a", "b", "c"]` reuses `["a", "b"]`), chunk 20 + 4 + 10 = 34.

# %% id="savings-answer" nbgrader={"grade": false, "grade_id": "savings-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def prefill_tokens(requests: list, chunk_len: int, recompute: int) -> tuple[int, int, int]:
    """Prefill tokens computed over a stream by (full recomputation, prefix caching, chunk caching)."""
    ### BEGIN SOLUTION
    if chunk_len < 1 or not 0 <= recompute <= chunk_len:
        raise ValueError(f"need chunk_len >= 1 and 0 <= recompute <= chunk_len, got {chunk_len}, {recompute}")
    prefixes, seen = set(), set()  # every prefix of an earlier request; every chunk of an earlier request
    full = prefix = chunk = 0
    for req in map(tuple, requests):
        if len(set(req)) != len(req):
            raise ValueError(f"a request repeats a chunk id: {list(req)}")
        j = max((k for k in range(1, len(req) + 1) if req[:k] in prefixes), default=0)  # prefixes are nested
        full += len(req) * chunk_len
        prefix += (len(req) - j) * chunk_len
        chunk += sum(recompute if c in seen else chunk_len for c in req[j:])
        prefixes.update(req[:k] for k in range(1, len(req) + 1))
        seen.update(req)
    return full, prefix, chunk
    ### END SOLUTION


# %% id="savings-tests" nbgrader={"grade": true, "grade_id": "savings-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
got = prefill_tokens([["a", "b"], ["b", "a"], ["a", "b", "c"]], 10, 2)
assert isinstance(got, tuple) and len(got) == 3 and all(type(x) is int for x in got), f"return a tuple of three ints, got {got!r}"
assert got == (70, 50, 34), f"the example of the statement: expected (70, 50, 34), got {got}"
assert prefill_tokens([], 64, 13) == (0, 0, 0), "an empty stream computes nothing"
print("visible checks passed")
### BEGIN HIDDEN TESTS
import random as _random

from utils.testing import assert_raises, assert_unchanged


def _tokens_by_comparison(requests, chunk_len, recompute):  # independent: compare with every earlier request, chunk by chunk
    full = prefix = chunk = 0
    for r, req in enumerate(requests):
        j = 0
        for old in requests[:r]:
            n = 0
            while n < min(len(req), len(old)) and req[n] == old[n]:
                n += 1
            j = max(j, n)
        earlier = [c for old in requests[:r] for c in old]
        full += chunk_len * len(req)
        prefix += chunk_len * (len(req) - j)
        chunk += sum(recompute if earlier.count(c) > 0 else chunk_len for c in req[j:])
    return full, prefix, chunk


def _check(requests, chunk_len, recompute, what, want=None):
    got = assert_unchanged(prefill_tokens, requests, chunk_len, recompute)  # must not reorder or extend the requests
    want = _tokens_by_comparison(requests, chunk_len, recompute) if want is None else want
    assert isinstance(got, tuple) and len(got) == 3 and all(type(x) is int for x in got), \
        f"{what}: return a tuple of three Python ints, got {got!r}"
    assert got == want, f"{what}: expected (full, prefix, chunk) = {want}, got {got} (requests {requests}, chunk_len {chunk_len}, recompute {recompute})"


# by hand
_check([[1, 2, 3], [1, 2, 3]], 64, 13, "the same request twice: the whole second one is a prefix hit", (384, 192, 192))
_check([[1, 2, 3], [1, 2]], 64, 13, "a request that is a prefix of an earlier one is free", (320, 192, 192))
_check([[1, 2], [1, 2, 3]], 64, 13, "a longer request reuses an earlier one as its prefix", (320, 192, 192))
_check([[1, 2, 3], [3, 2, 1]], 64, 13, "the same chunks reordered: no prefix, every chunk reused", (384, 384, 192 + 39))
_check([[1, 2, 3], [9, 2, 3]], 10, 2, "a different first chunk breaks the prefix, even if the rest matches", (60, 60, 30 + 10 + 4))
_check([[1, 5], [2, 6], [1, 6, 7]], 10, 0, "the prefix of one earlier request, chunks of another", (70, 60, 40 + 0 + 0 + 10))
_check([[1, 2, 3]], 8, 8, "one request: everything computed", (24, 24, 24))
_check([[1, 2, 3], [4, 1, 2]], 8, 8, "recompute = chunk_len: reuse saves nothing", (48, 48, 48))
_check([[], [1], [], [1]], 4, 1, "empty requests compute nothing", (8, 4, 4))
_check([["x"], ["x"], ["y", "x"], ["x", "y"]], 5, 1, "string ids and length-1 requests")
_check([[1, 2], ["1", "2"]], 10, 2, "ints and strings are different ids: 1 is not '1'", (40, 40, 40))
_check([[1, "1"], ["1", 1], [1, "1", 2]], 10, 2, "1 and '1' in one request are two distinct ids")
_check([["a|b"], ["a", "b"], ["a", "b|c"]], 10, 2, "ids are compared whole, never as joined text")
_check([[0, 1, 2], [0, 3], [0, 1, 4], [0, 1, 2, 5]], 7, 3, "nested prefixes of several earlier requests")
# random streams over a few chunk ids, so that prefixes and reuse are frequent
rng = _random.Random(5)
for _ in range(150):
    pool = list(range(rng.randrange(2, 9)))
    stream = [rng.sample(pool, rng.randrange(0, min(5, len(pool)) + 1)) for _ in range(rng.randrange(0, 12))]
    n = rng.randrange(1, 70)
    _check(stream, n, rng.randrange(0, n + 1), "a random stream")
for bad in [([[1, 2]], 0, 0), ([[1, 2]], 10, -1), ([[1, 2]], 10, 11), ([[1, 2], [3, 3]], 10, 2), ([[4, 1, 4]], 5, 1)]:
    assert_raises(ValueError, prefill_tokens, *bad)
### END HIDDEN TESTS

# %% [markdown] id="savings-intro"
# **The stream of Experiment 3, counted** (Exercise 5): the same 4000 requests with unlimited caches, each reused chunk recomputing 20% of its tokens (13 of 64, inside the 10-30% Cache-Craft recomputes). Requests list their chunks in ascending id order, so that prefix caching gets its best chance: two requests share a prefix whenever they share their smallest ids.

# %% id="savings-run"
stream = list(request_stream(N_REQUESTS, SEED + 1))
full_t, prefix_t, chunk_t = prefill_tokens(stream, CHUNK_LEN, math.ceil(0.2 * CHUNK_LEN))
print(f"prefill tokens over {len(stream)} requests: full {full_t:,}, prefix caching {prefix_t:,}, chunk caching {chunk_t:,}")
print(f"chunk caching computes {1 - chunk_t / prefix_t:.0%} less than prefix caching and {1 - chunk_t / full_t:.0%} less than "
      f"full recomputation (paper, real workloads: 51% and 75%)")

# %% [markdown] id="savings-observations"
# **What we see.** In our full run (4000 requests): 768,000 prefill tokens with full recomputation, 390,912 with prefix caching, 94,704 with chunk caching — 76% less than prefix caching and 88% less than full recomputation. The order is the paper's, the sizes are larger: with unlimited caches and only 300 chunks, almost every chunk has been seen after the first few hundred requests, so chunk caching pays 13 tokens for nearly every chunk, while prefix caching pays 64 for every chunk after the first one that differs from all earlier prefixes. Real knowledge bases are far larger than the cache, and with 40 of them in cache the simulation above saves 0.32 of the chunk tokens, not 0.88. The gap between the two policies comes from chunks that recur *behind* a different first chunk, which prefix caching can never reuse.

# %% [markdown] id="claim-intro"
# ## Claim check

# %% id="claim-check" tags=["claim-check"]
rot, norot = stitched["reuse all 3, re-rotated"], stitched["reuse all 3, NOT re-rotated"]
claim("re-rotation", paper="chunk caches must be moved to their new positions before reuse",
      here=f"KL {rot['kl']:.3f} re-rotated vs {norot['kl']:.3f} as stored; recall {rot['answer_acc']:.2f} vs {norot['answer_acc']:.2f} (full {reference['answer_acc']:.2f})",
      checks=[above(norot["kl"], 2 * rot["kl"])])
js = [fractions.index(f) for f in (0.1, 0.2) if f in fractions] or [1]
rec = lambda name: ", ".join(f"{recovered[name][j]:.0%}" for j in js)
at = " and ".join(f"{fractions[j]:.0%}" for j in js)
claim("selective-recompute", paper="recomputing a few well-chosen tokens restores quality (Cache-Craft recomputes 10-30%)",
      here=f"recomputing {at} of the reused tokens recovers {rec('deviation score')} of the KL gap (deviation score), "
           f"{rec('inter-chunk attention')} (inter-chunk attention), {rec('random (mean of 3)')} (random); gap itself {1000 * kl_reuse:.2f}e-3 nats",
      checks=[above(min(recovered["deviation score"][j], recovered["inter-chunk attention"][j]), recovered["random (mean of 3)"][j]) for j in js],
      smoke=SMOKE)
claim("eviction", paper="reuse- and cost-aware eviction beats LRU",
      here=f"hit rate {sim['craft']['hit_rate']:.3f} vs LRU {sim['lru']['hit_rate']:.3f}; prefill saved {sim['craft']['saved']:.3f} vs {sim['lru']['saved']:.3f}",
      checks=[above(sim["craft"]["hit_rate"], sim["lru"]["hit_rate"]), above(sim["craft"]["saved"], sim["lru"]["saved"])], smoke=SMOKE)

# %% [markdown] id="reflect"
# ## Reflect
#
# Answer each question in the cell below it, in a few sentences. These answers are graded by hand (1 point each).
#
# 1. Layer 0's keys of a reused chunk are exact after re-rotation, yet its deeper layers are not. Why, and what does that say about where recomputation must start?

# %% [markdown] id="reflect-depth" nbgrader={"grade": true, "grade_id": "reflect-depth", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** Layer 0's input is the token embedding alone (the model has no absolute position embedding; position enters only through RoPE on $q$ and $k$). So layer 0's $x_i = W_K\,\mathrm{LN}(\text{embedding})$ and its values depend on the token only, and re-rotation makes its keys exactly those of the full prefill (deviation 0.000 in the table). Layer 0's *output* already mixes in the context through attention, and in isolation that context was missing, so every later layer's input, hence its K and V, differs (0.117 at layer 1 growing to 0.156 at layer 5), most for the first tokens of a chunk (0.290 against 0.091), which lost the largest share of their context. Recomputation must therefore start at layer 1 and, for a recomputed token, run through all the layers above (each layer's error feeds the next), which is what `selective_recompute` does; layer 0 never needs it, which also makes it a cheap place to measure what changed (the deviation score).
#
# **Rubric (1 point).** 0.5: layer 0's K/V are a function of the token (and of its position, fixed exactly by re-rotation), while deeper layers' inputs contain the attention output over a different context. 0.5: hence recompute from layer 1 upward through every later layer (citing the growth with depth or the first-token effect is a plus). "Because RoPE is only applied in layer 0" earns 0: it is applied in every layer.
# ### END SOLUTION

# %% [markdown] id="reflect-metadata-question"
# 2. Our deviation score needs layer 0 to run over the whole request. Cache-Craft instead stores, with each chunk cache, how much each token attended outside its chunk when it was first computed. What does each approach cost at request time, and when would the stored score be wrong?

# %% [markdown] id="reflect-metadata" nbgrader={"grade": true, "grade_id": "reflect-metadata", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** The deviation score costs a layer-0 pass plus layer 1's K/V projection over every token of the request, about 1/6 of a prefill in our 6-layer model (a smaller share in a 32-layer LLM), before anything is saved; in exchange it measures the actual request, with its actual neighbours. The stored score costs nothing at request time (a lookup, and a few bytes per token kept with the cache) but was measured in the context the chunk had when it was first prefilled. It is wrong when the context changes: different or reordered preceding chunks, a chunk that depended on a neighbour now absent, or one that now follows chunks it would attend to strongly. Our experiment is optimistic for it (recorded from the same request), and still the deviation score was better at low fractions (41% of the gap recovered at 10% against 29%), while the attention score won from 30% on (71% against 51%).
#
# **Rubric (1 point).** 0.5: the costs (extra partial prefill over all tokens, versus a free lookup plus stored metadata). 0.5: the stored score goes stale when neighbours or order differ from when it was recorded. An answer that calls the stored score "always accurate because it is exact attention" earns 0.5 at most.
# ### END SOLUTION

# %% [markdown] id="reflect-lru-question"
# 3. In the simulation, when would LRU beat the frequency-based policy? (Think of popularity that shifts faster than the half-life.)

# %% [markdown] id="reflect-lru" nbgrader={"grade": true, "grade_id": "reflect-lru", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** The decayed frequency remembers about one half-life (300 requests here) of history. If popularity changes much faster than that, yesterday's favourites keep high counts and stay resident for several half-lives, while the new hot chunks start from a count of 1 and, because a newcomer worth least is not cached, are refused again and again until their counts catch up: the cache holds the wrong chunks. LRU reacts at once, since one use makes a chunk most recent. So LRU wins when the reshuffles come every few hundred requests or faster (our stream reshuffles only twice in 4000, so frequency won, 0.605 against 0.534 hit rate), when the stream has recency but little skew, or when the working set fits in the capacity and eviction hardly matters. A shorter half-life narrows the gap but makes the counts noisier.
#
# **Rubric (1 point).** 0.5: the mechanism (stale decayed counts protect formerly popular chunks; newcomers lose the admission test) compared with LRU's immediate adaptation. 0.5: the condition stated against the half-life (popularity shifting within about a half-life, or little skew). "LRU is always worse" earns 0.
# ### END SOLUTION

# %% [markdown] id="further-reading"
# **Further reading:** Yao et al., *CacheBlend* (2024, arXiv:2405.16444); Jin et al., *RAGCache* (2024, arXiv:2404.12457); Gim et al., *Prompt Cache* (2023, arXiv:2311.04934).
