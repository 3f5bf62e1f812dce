# %% [markdown] id="title"
# # MiniCache: compressing the KV cache in depth
#
# **Papers:** Liu, Liu, Pan, He, Haffari, Zhuang, *MiniCache: KV Cache Compression in Depth Dimension for Large Language Models* (NeurIPS 2024, arXiv:2405.14366); for the quantisation axis, Liu et al., *KIVI: A Tuning-Free Asymmetric 2bit Quantization for KV Cache* (2024, arXiv:2402.02750).
#
# **Learning objectives**
# - measure the premise: how similar are the keys and values of adjacent layers, and where in depth;
# - implement MiniCache's merge: split each state into magnitude and direction, SLERP the directions of two layers, restore each layer's magnitude, and retain the tokens whose directions disagree most;
# - implement per-channel / per-token low-bit quantisation of the cache and combine it with merging;
# - compare methods by **compression counting every stored number** against quality (loss, KL, top-1 agreement, recall accuracy).
#
# **Prerequisites:** notebook `01_kv_cache`; vectors, norms and angles.
#
# **Time:** 45 min
#
# **Points:** 8
#
# **Headline claim:** KV states of adjacent middle-to-deep layers are so similar that one shared direction per token plus per-layer magnitudes (and a few retained tokens) can replace two layers' caches; with 4-bit quantisation MiniCache reaches up to 5.02x compression of the fp16 cache on LLaMA-2-7B, near-losslessly.

# %% id="parameters" tags=["parameters"]
SMOKE = False  # True: tiny sizes, runs in seconds
SEED = 0
N_DOCS = 48  # held-out documents (4 chunks of 64 characters each) scored for every method

# %% id="setup"
import math

import torch
import torch.nn.functional as F

from utils.common import above, at_least, below, claim, progress, setup_lesson
from utils.kv_cache import CHUNK_LEN, adjacent_cosine, heldout_batch, load_model, score_continuation
from utils.plotting import label, show, subplots

if SMOKE:
    N_DOCS = min(N_DOCS, 6)
generator = setup_lesson(SEED, SMOKE, N_DOCS=(N_DOCS, at_least(2)))
model = load_model()
cfg = model.cfg
L = cfg.n_layers
docs = heldout_batch(N_DOCS)  # (N_DOCS, 256): chunks 0-2 are the context, chunk 3 is scored
N_CONTEXT = 3 * CHUNK_LEN
with torch.no_grad():
    _, full_cache, hidden = model(docs[:, :N_CONTEXT], return_hidden=True)
reference = score_continuation(model, docs, N_CONTEXT, full_cache)
print(f"{N_DOCS} held-out documents; context {N_CONTEXT} tokens; full cache: loss {reference['loss']:.3f} nats/char, "
      f"recall accuracy on queried digits {reference['answer_acc']:.2f}")

# %% [markdown] id="premise-background"
# ## The premise: are adjacent layers' caches alike?
#
# MiniCache starts from an observation on LLaMA-2/3, Mistral and Mixtral: the per-token cosine similarity between the KV states of layer $l$ and layer $l-1$ is high in the middle-to-deep half of the network and low in the shallow layers. Then one layer's cache nearly predicts the next one's.
#
# **Honesty note about our model.** While this module was designed, a toy of the same architecture trained without help (on an earlier variant of the corpus) had adjacent-layer key similarity between $-0.16$ and $+0.05$ at every depth, and the trial model of the course's first attempt (8 layers, Python source) between $-0.14$ and $+0.08$: at this scale the premise does **not** emerge by itself. Large models get it from depth (each layer changes the residual stream only a little) and from shared structure we cannot reproduce in a few minutes of CPU training. So the shipped model was trained with a small extra loss, $0.05 \cdot \operatorname{mean}_{l \ge 2} (1 - \cos(k^{(l)}, k^{(l+1)}))$ (same for $v$), that pulls the caches of layers 2-5 towards each other (`utils.kv_cache.TrainConfig.align`). The premise below therefore holds **by construction** in the deep layers; the shallow layers (0-2, not aligned) show what plain training gives. What this notebook can test honestly is the *method*: given similar neighbours, how much does each merging rule lose?
#
# The residual stream $h^{(l)}$ entering each layer is shown too: it changes little from layer to layer in any pre-LN network, which is why large models' caches end up similar.

# %% id="premise-run"
cos_kv = adjacent_cosine(full_cache)  # (L-1, 2)
cos_h = torch.stack([F.cosine_similarity(hidden[l], hidden[l + 1], dim=-1).mean() for l in range(1, L)])
print("layers      cos K    cos V    cos residual (entering l, l+1)")
for l in range(L - 1):
    print(f"{l} -> {l + 1}    {cos_kv[l, 0]:+.3f}   {cos_kv[l, 1]:+.3f}   {cos_h[l]:+.3f}")
fig, ax = subplots()
pairs = [f"{l}-{l + 1}" for l in range(L - 1)]
ax.plot(pairs, cos_kv[:, 0], marker="o", label="keys")
ax.plot(pairs, cos_kv[:, 1], marker="s", label="values")
ax.plot(pairs, cos_h, marker="^", ls="--", label="residual stream")
ax.axvspan(1.5, L - 1.5, color="C2", alpha=0.08, label="trained to align (layers 2-5)")
label(ax, "Adjacent-layer similarity on held-out text", "layer pair", "mean per-token cosine similarity")
show(fig)
deep_sim = cos_kv[2:].mean().item()
shallow_sim = cos_kv[:2].mean().item()


# %% [markdown] id="slerp-background"
# ## Exercise 1 — SLERP of directions (3 points)
#
# MiniCache writes each token's state (one head's key or value, a vector in $\mathbb{R}^d$) as magnitude times direction, $x = \lVert x \rVert \cdot \hat x$, and merges the **directions** of layers $l$ and $l+1$ by spherical linear interpolation:
#
# $$e = \frac{\sin((1-t)\,\Omega)}{\sin \Omega}\,\hat x^{(l)} + \frac{\sin(t\,\Omega)}{\sin \Omega}\,\hat x^{(l+1)}, \qquad \Omega = \arccos\big(\hat x^{(l)} \cdot \hat x^{(l+1)}\big).$$
#
# $e$ is a unit vector on the great circle between the two directions, at angle $t\Omega$ from $\hat x^{(l)}$. (Plain averaging of two vectors would shrink the result when they disagree, and mix their lengths.) We use $t = 0.6$, MiniCache's default as we read the paper ($t = 0.5$ would be the symmetric midpoint).
#
# **Implement** `slerp_directions(xa, xb, t)` for tensors of the same shape `(..., d)`: normalise both along the last axis, compute $\Omega$ per vector, and return the unit directions `(..., d)`. When $\Omega$ is tiny ($\sin\Omega < 10^{-6}$) the formula is $0/0$: fall back to the normalised linear interpolation.
#
# *Hint:* clamp the cosine to $[-1, 1]$ before `torch.acos`; keep a trailing axis (`keepdim=True`) so the weights broadcast over `d`.

# %% id="slerp-answer" nbgrader={"grade": false, "grade_id": "slerp-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def slerp_directions(xa: torch.Tensor, xb: torch.Tensor, t: float) -> torch.Tensor:
    """Unit vectors (..., d) at fraction t of the great-circle arc from xa's direction to xb's."""
    ### BEGIN SOLUTION
    a = xa / xa.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    b = xb / xb.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    cos = (a * b).sum(-1, keepdim=True).clamp(-1.0, 1.0)
    omega = torch.acos(cos)
    sin = torch.sin(omega)
    small = sin < 1e-6
    safe = torch.where(small, torch.ones_like(sin), sin)
    wa = torch.where(small, torch.full_like(sin, 1 - t), torch.sin((1 - t) * omega) / safe)
    wb = torch.where(small, torch.full_like(sin, t), torch.sin(t * omega) / safe)
    e = wa * a + wb * b
    return e / e.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    ### END SOLUTION


# %% id="slerp-tests" nbgrader={"grade": true, "grade_id": "slerp-tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
e = slerp_directions(torch.tensor([[2.0, 0.0]]), torch.tensor([[0.0, 5.0]]), 0.5)
assert e.shape == (1, 2), f"expected shape (1, 2), got {tuple(e.shape)}"
assert torch.allclose(e, torch.tensor([[1.0, 1.0]]) / math.sqrt(2), atol=1e-6), f"halfway between x and y axes is (1,1)/sqrt2, got {e.tolist()}"
e = slerp_directions(torch.tensor([[3.0, 0.0]]), torch.tensor([[0.0, 1.0]]), 0.6)
assert torch.allclose(e, torch.tensor([[math.cos(0.3 * math.pi), math.sin(0.3 * math.pi)]]), atol=1e-6), "t=0.6 of a right angle is 54 degrees from the first vector"
print("visible checks passed")
### BEGIN HIDDEN TESTS
g = torch.Generator().manual_seed(21)
xa = torch.randn(3, 4, 10, 16, generator=g, dtype=torch.float64) * 3
xb = torch.randn(3, 4, 10, 16, generator=g, dtype=torch.float64) * 0.5
for t in (0.0, 0.25, 0.6, 1.0):
    e = slerp_directions(xa, xb, t)
    assert e.shape == xa.shape
    assert torch.allclose(e.norm(dim=-1), torch.ones(3, 4, 10, dtype=torch.float64), atol=1e-9), "directions are unit vectors"
    a, b = F.normalize(xa, dim=-1), F.normalize(xb, dim=-1)
    omega = torch.acos((a * b).sum(-1).clamp(-1, 1))
    # independent: e lies in span(a, b) at angle t*omega from a and (1-t)*omega from b
    ang_a = torch.acos((e * a).sum(-1).clamp(-1, 1))
    ang_b = torch.acos((e * b).sum(-1).clamp(-1, 1))
    assert torch.allclose(ang_a, t * omega, atol=1e-6), f"angle to xa must be t*Omega (t={t})"
    assert torch.allclose(ang_b, (1 - t) * omega, atol=1e-6), f"angle to xb must be (1-t)*Omega (t={t})"
# 2-D case by rotation: from angle p to angle q
p, q = 0.3, 2.1
e = slerp_directions(torch.tensor([[math.cos(p), math.sin(p)]]) * 7, torch.tensor([[math.cos(q), math.sin(q)]]) * 0.1, 0.3)
r = p + 0.3 * (q - p)
assert torch.allclose(e, torch.tensor([[math.cos(r), math.sin(r)]]), atol=1e-6)
# parallel vectors: no nan
e = slerp_directions(torch.tensor([[1.0, 2.0, 2.0]]), torch.tensor([[2.0, 4.0, 4.0]]), 0.6)
assert torch.isfinite(e).all() and torch.allclose(e, torch.tensor([[1.0, 2.0, 2.0]]) / 3, atol=1e-5), "parallel inputs: the common direction, no nan"
### END HIDDEN TESTS

# %% [markdown] id="retain-background"
# ## Exercise 2 — which tokens not to merge (2 points)
#
# Some token pairs disagree: their directions in layers $l$ and $l+1$ point far apart, and any shared direction misrepresents at least one of them. MiniCache measures the normalised angular distance
#
# $$d_i = \frac{1}{\pi} \arccos\!\left(\frac{x_i^{(l)} \cdot x_i^{(l+1)}}{\lVert x_i^{(l)} \rVert \, \lVert x_i^{(l+1)} \rVert}\right) \in [0, 1]$$
#
# and keeps the most distant tokens **unmerged**, storing both original vectors. (The paper thresholds $d$ relative to its range with a parameter $\gamma$; we retain a fixed *fraction* of tokens instead, so that methods can be compared at a known size.)
#
# **Implement** `retention_mask(xa, xb, fraction)` for states `(B, H, T, d)`: return a bool tensor `(B, H, T)` that is True for the $\lceil \text{fraction} \cdot T \rceil$ tokens of each `(b, h)` with the largest $d_i$ (none when `fraction == 0`).
#
# *Hint:* `torch.topk(distance, k, dim=-1).indices` and `scatter_` into a zeros mask.

# %% id="retain-answer" nbgrader={"grade": false, "grade_id": "retain-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def retention_mask(xa: torch.Tensor, xb: torch.Tensor, fraction: float) -> torch.Tensor:
    """Bool (B, H, T): the ceil(fraction*T) tokens per (b, h) whose directions in xa and xb differ most."""
    ### BEGIN SOLUTION
    T = xa.shape[-2]
    k = math.ceil(fraction * T)
    mask = torch.zeros(xa.shape[:-1], dtype=torch.bool)
    if k == 0:
        return mask
    dist = torch.acos(F.cosine_similarity(xa, xb, dim=-1).clamp(-1, 1)) / math.pi
    return mask.scatter_(-1, dist.topk(k, dim=-1).indices, True)
    ### END SOLUTION


# %% id="retain-tests" nbgrader={"grade": true, "grade_id": "retain-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
xa = torch.tensor([[[[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]]])
xb = torch.tensor([[[[1.0, 0.1], [-1.0, 0.0], [0.0, 1.0], [2.0, 0.0]]]])
m = retention_mask(xa, xb, 0.5)
assert m.shape == (1, 1, 4) and m.dtype == torch.bool, f"expected a bool (1, 1, 4) mask, got {m.dtype} {tuple(m.shape)}"
assert m[0, 0].tolist() == [False, True, True, False], f"the opposite and the orthogonal tokens are the most distinct; got {m[0, 0].tolist()}"
assert not retention_mask(xa, xb, 0.0).any(), "fraction 0 retains nothing"
print("visible checks passed")
### BEGIN HIDDEN TESTS
g = torch.Generator().manual_seed(3)
for B, H, T, d, frac in [(2, 3, 10, 8, 0.05), (1, 2, 7, 4, 0.3), (2, 1, 16, 6, 1.0), (1, 4, 33, 8, 0.2)]:
    xa = torch.randn(B, H, T, d, generator=g, dtype=torch.float64)
    xb = torch.randn(B, H, T, d, generator=g, dtype=torch.float64) * 5
    m = retention_mask(xa, xb, frac)
    k = math.ceil(frac * T)
    assert m.shape == (B, H, T) and m.dtype == torch.bool
    assert (m.sum(-1) == k).all(), f"retain exactly ceil({frac}*{T}) = {k} tokens per head, got {m.sum(-1).tolist()}"
    # independent: rank by the angle computed with numpy-style arithmetic, per (b, h)
    for b in range(B):
        for h in range(H):
            ang = [math.acos(max(-1.0, min(1.0, float(xa[b, h, i] @ xb[b, h, i]) / float(xa[b, h, i].norm() * xb[b, h, i].norm())))) for i in range(T)]
            top = sorted(range(T), key=lambda i: -ang[i])[:k]
            assert sorted(m[b, h].nonzero().flatten().tolist()) == sorted(top), f"wrong tokens for (b, h) = {(b, h)}"
# scale-invariance: the distance is an angle, not a Euclidean distance
xa = torch.randn(1, 1, 12, 4, generator=g)
xb = torch.randn(1, 1, 12, 4, generator=g)
scale = torch.rand(1, 1, 12, 1, generator=g) * 100 + 0.01
assert torch.equal(retention_mask(xa, xb, 0.25), retention_mask(xa * scale, xb, 0.25)), "distance must ignore magnitudes"
### END HIDDEN TESTS

# %% [markdown] id="merge-background"
# ## Merging a whole cache
#
# With both pieces, MiniCache compresses layers $(S, S+1), (S+2, S+3), \dots$ from a start layer $S$ on. For each pair and for K and V separately it stores
#
# - one shared direction per token, $e_i$ ($d$ numbers),
# - both magnitudes $\lVert x_i^{(l)}\rVert, \lVert x_i^{(l+1)}\rVert$ (2 numbers),
# - for the retained tokens, both original vectors and their index ($2d + 1$ numbers),
#
# and restores layer $l$ as $\hat x_i^{(l)} = \lVert x_i^{(l)} \rVert\, e_i$ (retained tokens: the original). The cell below implements this, the baselines, and the accounting — **every stored number counts**, magnitudes and retained tokens included. Compression is measured against the same cache in fp16, the dtype a real server keeps it in.
#
# Baselines at comparable size: **average** the pair (one vector per token, no magnitudes); **reuse** layer $l$'s cache for layer $l+1$ (what cross-layer attention sharing does); **drop the prefix**, i.e. evict the oldest context tokens in every layer until the cache is as small as MiniCache's.

# %% id="merge-impl"
FP16 = 2  # bytes per stored number before quantisation


def pairs_from(start: int) -> list[tuple[int, int]]:
    """Adjacent layer pairs merged from `start` on."""
    return [(l, l + 1) for l in range(start, L - 1, 2)]


def merge_cache(cache, start: int, method: str, t: float = 0.6, retain: float = 0.0):
    """Restored cache and the number of stored numbers, for method in {minicache, average, reuse}."""
    out = [[k, v] for k, v in cache]
    B, H, T, d = cache[0][0].shape
    stored = 2 * L * B * H * T * d  # the full cache, then subtract what merging saves
    for la, lb in pairs_from(start):
        for j in (0, 1):  # keys, then values
            xa, xb = cache[la][j], cache[lb][j]
            if method == "minicache":
                e = slerp_directions(xa, xb, t)
                ra, rb = e * xa.norm(dim=-1, keepdim=True), e * xb.norm(dim=-1, keepdim=True)
                keep = retention_mask(xa, xb, retain)[..., None]
                out[la][j], out[lb][j] = torch.where(keep, xa, ra), torch.where(keep, xb, rb)
                n_keep = int(keep.sum())
                stored += -B * H * T * d + 2 * B * H * T + n_keep * (2 * d + 1)
            elif method == "average":
                out[la][j] = out[lb][j] = (xa + xb) / 2
                stored -= B * H * T * d
            elif method == "reuse":
                out[lb][j] = xa
                stored -= B * H * T * d
            else:
                raise ValueError(f"unknown method {method!r}")
    return [tuple(kv) for kv in out], stored


def full_numbers(cache) -> int:
    """Numbers in an uncompressed cache."""
    return sum(k.numel() + v.numel() for k, v in cache)


def drop_prefix(cache, keep_tokens: int):
    """Evict the oldest tokens of every layer, keeping the last `keep_tokens`."""
    return [(k[:, :, -keep_tokens:], v[:, :, -keep_tokens:]) for k, v in cache]


def evaluate(cache, stored: float) -> dict:
    """Compression (fp16 full cache / stored bytes) and quality on the scored chunk."""
    s = score_continuation(model, docs, N_CONTEXT, cache, ref_logits=reference["logits"])
    return {"ratio": full_numbers(full_cache) * FP16 / stored, "loss": s["loss"], "kl": s["kl"],
            "top1": s["top1"], "recall": s["answer_acc"]}


mc, n = merge_cache(full_cache, 2, "minicache", retain=0.05)
print(f"MiniCache from layer 2, 5% retained: {evaluate(mc, n * FP16)}")

# %% [markdown] id="merge-experiment-intro"
# ## Experiment 1 — merging methods at equal compression
#
# For each start layer $S$ we merge with SLERP ($t = 0.6$) and retention fractions 0 to 20%, and compare with averaging, reuse and dropping the prefix. $S = 0$ merges all three pairs (about 2x), $S = 2$ two pairs (about 1.5x), $S = 4$ one pair (about 1.2x). Quality is measured on the fourth chunk of each document: its loss, its KL divergence from the full-cache predictions, the top-1 agreement with them, and the accuracy on the queried digits (which need the context cache).

# %% id="merge-experiment"
rows = []  # collected first, published as `results` only when every method ran
for start in progress([0, 2, 4], desc="start layers"):
    for retain in (0.0, 0.05, 0.1, 0.2):
        c, n = merge_cache(full_cache, start, "minicache", retain=retain)
        rows.append({"method": f"MiniCache (retain {retain:.0%})", "start": start, **evaluate(c, n * FP16)})
    for method in ("average", "reuse"):
        c, n = merge_cache(full_cache, start, method)
        rows.append({"method": method, "start": start, **evaluate(c, n * FP16)})
    # drop the prefix to MiniCache's size (no retention)
    _, n_mc = merge_cache(full_cache, start, "minicache")
    keep = round(N_CONTEXT * n_mc / full_numbers(full_cache))
    rows.append({"method": "drop prefix", "start": start, **evaluate(drop_prefix(full_cache, keep), n_mc * FP16)})
results = rows
print(f"{'method':26s} start  ratio   loss    KL       top-1  recall")
print(f"{'full cache':26s}   -    {1.0:5.2f}  {reference['loss']:.3f}  0.0000   1.000  {reference['answer_acc']:.3f}")
for r in results:
    print(f"{r['method']:26s}   {r['start']}    {r['ratio']:5.2f}  {r['loss']:.3f}  {r['kl']:.4f}   {r['top1']:.3f}  {r['recall']:.3f}")

fig, axes = subplots(2)
for name, marker in [("MiniCache (retain 0%)", "o"), ("MiniCache (retain 5%)", "o"), ("MiniCache (retain 20%)", "o"),
                     ("average", "s"), ("reuse", "^"), ("drop prefix", "x")]:
    rows = [r for r in results if r["method"] == name]
    axes[0].plot([r["ratio"] for r in rows], [r["kl"] for r in rows], marker=marker, label=name)
    axes[1].plot([r["ratio"] for r in rows], [r["recall"] for r in rows], marker=marker, label=name)
axes[1].axhline(reference["answer_acc"], color="gray", ls="--", lw=1, label="full cache")
label(axes[0], "Quality lost versus compression", "compression ratio (fp16 cache / stored bytes)", "KL(full || compressed), nats")
label(axes[1], "Recall of queried digits", "compression ratio (fp16 cache / stored bytes)", "accuracy")
show(fig)


# %% [markdown] id="merge-observations"
# **What we see** (the figures are from our full run; the KL column is the reliable one — the recall column counts about 120 queried digits, so differences of a few points are noise):
#
# - **Inside the similar layers** (start 2 or 4), SLERP with per-layer magnitudes loses less than averaging or reusing one layer at the same size (from layer 2: KL about 0.0008 against 0.0025 and 0.0018), and retaining the 5% most distinct tokens cuts the loss by another factor of about 8, for a slightly lower ratio (1.38x instead of 1.45x). Dropping the oldest context at the same size is the worst option (KL about 0.011): it throws away bindings that later queries need.
# - **Where the premise fails** (start 0 merges layers 0-1, which are *not* similar), SLERP is an order of magnitude worse than simply reusing layer 0's cache: a shared direction halfway between two unrelated vectors is wrong for both layers. This is why MiniCache merges only from the middle of the network on, and why the premise must be measured before the method is used.

# %% [markdown] id="quant-background"
# ## Exercise 3 — low-bit quantisation of the cache (3 points)
#
# The other axis: store each number in $b$ bits. Asymmetric uniform quantisation of a group of numbers with minimum $m$ and maximum $M$ uses $2^b$ levels,
#
# $$s = \frac{M - m}{2^b - 1}, \qquad q = \operatorname{round}\!\Big(\frac{x - m}{s}\Big) \in \{0, \dots, 2^b - 1\}, \qquad \hat x = m + s\, q,$$
#
# so the error is at most $s/2$, and each group stores $m$ and $s$ besides its $b$-bit codes. Which numbers form a group matters: KIVI observed that keys have a few large *channels* (quantise keys per channel, statistics over the tokens), while values are better quantised per *token* (statistics over the channels).
#
# **Implement** `fake_quantize(x, bits, dim)`: quantise and immediately dequantise `x`, with one $(m, s)$ per slice along `dim` — the statistics are taken **over** `dim` (`dim=-2`: over tokens, one group per channel; `dim=-1`: over channels, one group per token). Return a tensor of `x`'s shape and dtype. A group whose values are all equal is returned unchanged.
#
# *Hint:* `amin`/`amax` with `keepdim=True`; guard $s = 0$ before dividing.

# %% id="quant-answer" nbgrader={"grade": false, "grade_id": "quant-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def fake_quantize(x: torch.Tensor, bits: int, dim: int) -> torch.Tensor:
    """Quantise x to `bits` bits with min/scale taken over `dim`, then dequantise; same shape and dtype."""
    ### BEGIN SOLUTION
    lo = x.amin(dim=dim, keepdim=True)
    hi = x.amax(dim=dim, keepdim=True)
    scale = (hi - lo) / (2**bits - 1)
    safe = torch.where(scale > 0, scale, torch.ones_like(scale))
    q = torch.round((x - lo) / safe).clamp(0, 2**bits - 1)
    return torch.where(scale > 0, lo + q * scale, x)
    ### END SOLUTION


# %% id="quant-tests" nbgrader={"grade": true, "grade_id": "quant-tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
x = torch.tensor([[0.0, 1.0, 2.0, 3.0]])
assert torch.equal(fake_quantize(x, 2, dim=-1), x), "4 evenly spaced values are exact with 2 bits"
y = fake_quantize(torch.tensor([[0.0, 0.4, 1.0]]), 1, dim=-1)
assert y.shape == (1, 3) and torch.allclose(y, torch.tensor([[0.0, 0.0, 1.0]])), f"1 bit keeps only min and max, got {y.tolist()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
g = torch.Generator().manual_seed(7)
x = torch.randn(2, 3, 20, 8, generator=g, dtype=torch.float64) * torch.linspace(0.1, 10, 8, dtype=torch.float64)
for bits in (2, 3, 4, 8):
    for dim in (-1, -2):
        y = fake_quantize(x, bits, dim)
        assert y.shape == x.shape and y.dtype == x.dtype
        lo, hi = x.amin(dim, keepdim=True), x.amax(dim, keepdim=True)
        s = (hi - lo) / (2**bits - 1)
        assert ((y - x).abs() <= s / 2 + 1e-9).all(), f"error must be <= scale/2 (bits={bits}, dim={dim})"
        assert torch.allclose(y.amin(dim), x.amin(dim)) and torch.allclose(y.amax(dim), x.amax(dim)), "min and max are exact"
        # independent loop over the groups
        xt = x.movedim(dim, -1).reshape(-1, x.shape[dim])
        yt = y.movedim(dim, -1).reshape(-1, x.shape[dim])
        for row, out in zip(xt[:7], yt[:7]):
            m, M = float(row.min()), float(row.max())
            step = (M - m) / (2**bits - 1)
            ref = [m + step * round((v - m) / step) for v in row.tolist()]
            assert max(abs(a - b) for a, b in zip(out.tolist(), ref)) < 1e-9, f"wrong levels (bits={bits}, dim={dim})"
            assert len(set(round(v, 9) for v in out.tolist())) <= 2**bits
const = torch.full((2, 5), 3.5)
assert torch.equal(fake_quantize(const, 4, -1), const), "an all-equal group is returned unchanged (no nan)"
assert fake_quantize(x.float(), 4, -2).dtype == torch.float32
### END HIDDEN TESTS

# %% [markdown] id="quant-experiment-intro"
# ## Experiment 2 — quantisation, and quantisation plus merging
#
# We quantise keys per channel and values per token (KIVI's choice), and also the opposite, at 8, 4, 3 and 2 bits. Every group stores its minimum and scale in fp16. Then the combination the paper headlines: MiniCache's merged directions and kept layers stored in 4 bits, magnitudes and retained tokens in fp16.

# %% id="quant-experiment"
def quantize_cache(cache, bits: int, key_dim: int = -2, value_dim: int = -1):
    """Fake-quantised cache and its stored bytes (codes plus an fp16 min and scale per group)."""
    out, nbytes = [], 0.0
    for k, v in cache:
        qk, qv = fake_quantize(k, bits, key_dim), fake_quantize(v, bits, value_dim)
        out.append((qk, qv))
        for x, dim in ((k, key_dim), (v, value_dim)):
            groups = x.numel() // x.shape[dim]
            nbytes += x.numel() * bits / 8 + groups * 2 * FP16
    return out, nbytes


rows = []
for bits in progress((8, 4, 3, 2), desc="bits"):
    for name, kd, vd in (("K per-channel, V per-token", -2, -1), ("K per-token, V per-channel", -1, -2)):
        c, nb = quantize_cache(full_cache, bits, kd, vd)
        rows.append({"method": f"{bits}-bit {name}", "bits": bits, **evaluate(c, nb)})
quant_rows = rows


def minicache_quantized(cache, start: int, bits: int, retain: float, t: float = 0.6):
    """MiniCache from `start`, then the merged directions and unmerged layers in `bits` bits (KIVI grouping)."""
    merged, _ = merge_cache(cache, start, "minicache", t=t, retain=retain)
    B, H, T, d = cache[0][0].shape
    code_bytes = B * H * T * d * bits / 8  # one tensor's b-bit codes
    group_bytes = {-2: B * H * d * 2 * FP16, -1: B * H * T * 2 * FP16}  # min and scale per channel / per token
    merged_layers = {l for p in pairs_from(start) for l in p}
    out, nbytes = [], 0.0
    for l, (k, v) in enumerate(merged):
        if l in merged_layers and l % 2 == start % 2:  # first layer of a pair holds the shared directions
            la, lb = l, l + 1
            new = []
            for j, dim in ((0, -2), (1, -1)):
                xa, xb = cache[la][j], cache[lb][j]
                e = fake_quantize(slerp_directions(xa, xb, t), bits, dim)
                keep = retention_mask(xa, xb, retain)[..., None]
                new.append((torch.where(keep, xa, e * xa.norm(dim=-1, keepdim=True)),
                            torch.where(keep, xb, e * xb.norm(dim=-1, keepdim=True))))
                n_keep = int(keep.sum())
                nbytes += code_bytes + group_bytes[dim] + 2 * B * H * T * FP16 + n_keep * (2 * d + 1) * FP16
            out.append((new[0][0], new[1][0]))
            out.append((new[0][1], new[1][1]))
        elif l not in merged_layers:
            out.append((fake_quantize(k, bits, -2), fake_quantize(v, bits, -1)))
            nbytes += 2 * code_bytes + group_bytes[-2] + group_bytes[-1]
    return out, nbytes


rows = []
for start in (0, 2):
    for retain in (0.0, 0.05):
        c, nb = minicache_quantized(full_cache, start, 4, retain)
        rows.append({"method": f"4-bit + MiniCache from {start}, retain {retain:.0%}", "start": start, **evaluate(c, nb)})
combo_rows = rows
print(f"{'method':42s} ratio   loss    KL       top-1  recall")
for r in quant_rows + combo_rows:
    print(f"{r['method']:42s} {r['ratio']:5.2f}  {r['loss']:.3f}  {r['kl']:.4f}   {r['top1']:.3f}  {r['recall']:.3f}")

fig, ax = subplots()
for name in ("K per-channel, V per-token", "K per-token, V per-channel"):
    rows = [r for r in quant_rows if name in r["method"]]
    ax.plot([r["ratio"] for r in rows], [r["kl"] for r in rows], marker="o", label=f"quantised: {name}")
mc_rows = [r for r in results if r["method"] == "MiniCache (retain 5%)"]
ax.plot([r["ratio"] for r in mc_rows], [r["kl"] for r in mc_rows], marker="s", label="MiniCache only (retain 5%)")
ax.plot([r["ratio"] for r in combo_rows], [r["kl"] for r in combo_rows], marker="*", ms=10, ls="none", label="4-bit + MiniCache")
ax.set_yscale("log")
label(ax, "Two axes of compression", "compression ratio (fp16 cache / stored bytes)", "KL(full || compressed), nats (log)")
show(fig)

# %% [markdown] id="quant-observations"
# **What we see.** Down to 3 bits, quantisation costs almost nothing here (KL below 0.001), and 2 bits begins to hurt. The two groupings perform alike: KIVI's reason for per-channel keys — a few key channels with very large values — does not arise in our small model. Merging and quantising compound in size as expected: 4 bits after merging layers 2-5 gives about 4.7x with a KL still below 0.001, close to the paper's 5.02x; merging from layer 0 reaches 5.7x but carries the large error of merging dissimilar layers.

# %% [markdown] id="claim-intro"
# ## Claim check
#
# The equal-compression comparison uses MiniCache **without** retention (the same one-vector-per-token budget as reuse, plus its magnitudes, which make it slightly *larger* — the comparison is not in its favour), and with 5% retention against reuse at the same start layer.

# %% id="claim-check" tags=["claim-check"]
by = {(r["method"], r["start"]): r for r in results}
claim("premise", paper="adjacent-layer KV similarity is high in the middle-to-deep layers, low in shallow ones",
      here=f"mean cos K/V: layers 0-2 {shallow_sim:+.2f}, layers 2-5 {deep_sim:+.2f} (deep layers aligned in training; plain training gave about 0)",
      checks=[above(deep_sim, shallow_sim + 0.3)], smoke=SMOKE)
mc0, mc5, reuse = by[("MiniCache (retain 0%)", 2)], by[("MiniCache (retain 5%)", 2)], by[("reuse", 2)]
claim("slerp-vs-reuse", paper="magnitude-preserving SLERP (+ retention) beats sharing one layer's cache at equal size",
      here=f"merging the similar layers 2-5: KL {mc0['kl']:.4f} (SLERP, {mc0['ratio']:.2f}x), {mc5['kl']:.4f} (+5% retained, {mc5['ratio']:.2f}x) "
           f"vs reuse {reuse['kl']:.4f} ({reuse['ratio']:.2f}x); from layer 0 (dissimilar layers) SLERP {by[('MiniCache (retain 0%)', 0)]['kl']:.4f} vs reuse {by[('reuse', 0)]['kl']:.4f}",
      checks=[below(mc0["kl"], reuse["kl"]), below(mc5["kl"], reuse["kl"])], smoke=SMOKE)
best = max((r for r in combo_rows if r["start"] == 2), key=lambda r: r["ratio"])
claim("4bit-plus-merge", paper="4-bit + MiniCache: up to 5.02x compression of the fp16 cache, near-lossless (LLaMA-2-7B)",
      here=f"{best['ratio']:.2f}x ({best['method']}): loss {reference['loss']:.3f} -> {best['loss']:.3f} nats/char, KL {best['kl']:.4f}, "
           f"top-1 agreement {best['top1']:.3f}, recall {reference['answer_acc']:.2f} -> {best['recall']:.2f}",
      checks=[above(best["ratio"], 4.0), above(best["top1"], 0.95)], smoke=SMOKE)

# %% [markdown] id="reflect"
# ## Reflect
#
# 1. Our deep layers were *trained* to be similar; in a plainly trained toy they are not. What property of a large pre-LN model (look at the residual-stream column) makes its neighbouring caches similar without being asked?
# 2. Retention costs $2d+1$ numbers per retained token, merging saves $d - 2$ per token. At what retention fraction does merging stop saving memory at all?
# 3. Quantisation and merging compound multiplicatively in size. Do their errors compound too? Compare the KL of 4-bit alone, MiniCache alone, and both.
#
# **Further reading:** Brandon et al., *Reducing Transformer KV Cache Size with Cross-Layer Attention* (2024, arXiv:2405.12981); Hooper et al., *KVQuant* (2024, arXiv:2401.18079); Zhang et al., *H2O: Heavy-Hitter Oracle* (2023, arXiv:2306.14048).
