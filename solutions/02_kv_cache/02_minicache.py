# %% [markdown] id="title"
# # MiniCache: compressing the KV cache in depth
#
# **Papers:** Liu, Liu, Pan, He, Haffari, Zhuang, *MiniCache: KV Cache Compression in Depth Dimension for Large Language Models* (NeurIPS 2024, arXiv:2405.14366); for the quantisation axis, Liu et al., *KIVI: A Tuning-Free Asymmetric 2bit Quantization for KV Cache* (2024, arXiv:2402.02750).
#
# **Learning objectives**
# - measure the premise: how similar are the keys and values of adjacent layers, and where in depth;
# - implement MiniCache's merge: split each state into magnitude and direction, SLERP the directions of two layers, restore each layer's magnitude, and retain the tokens whose directions disagree most;
# - implement per-channel / per-token low-bit quantisation of the cache and combine it with merging;
# - derive MiniCache's compression ratio from what it stores, and compare methods by **compression counting every stored number** against quality (loss, KL, top-1 agreement, recall accuracy).
#
# **Prerequisites:** notebook `01_kv_cache`; vectors, norms and angles.
#
# **Read ahead:** `paperlab preview 02_kv_cache/02_minicache` writes this lesson's experiments, executed, to `build/preview/` (answers and hidden tests removed), so you can see every figure before you solve anything.
#
# **Time:** 45 min
#
# **Points:** 13 (four autograded exercises, 10 points; three written answers, 1 point each, graded by hand)
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
# **Where the paper says it.** The premise is the observation MiniCache is built on (its abstract: KV states of adjacent layers are highly similar in the middle-to-deep portion of LLMs); the paper plots this similarity layer by layer for LLaMA-class models (as we read it), and the cell below draws the same curve for our model.
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
# **Implement** `slerp_directions(xa, xb, t)` for tensors of the same shape `(..., d)` (no zero vectors) and a float $0 \le t \le 1$: normalise both along the last axis, compute $\Omega$ per vector, and return the unit directions `(..., d)` in the inputs' dtype (float64 in, float64 out: compute in that precision). Leave `xa` and `xb` unchanged.
#
# **Where the formula is $0/0$.** For every vector with $\sin\Omega < 10^{-6}$ — directions (nearly) equal, $\Omega \approx 0$, *or* (nearly) opposite, $\Omega \approx \pi$ — return instead the normalised linear interpolation $\big((1-t)\,\hat x^{(l)} + t\,\hat x^{(l+1)}\big) / \lVert\cdot\rVert$. For equal directions that is their common direction; for exactly opposite ones it is $\hat x^{(l)}$ when $t < 1/2$ and $\hat x^{(l+1)}$ when $t > 1/2$ (opposite directions at $t = 1/2$ have no answer and are not tested). The other vectors of the same tensor keep the SLERP formula.
#
# *Hint:* clamp the cosine to $[-1, 1]$ before `torch.acos`; keep a trailing axis (`keepdim=True`) so the weights broadcast over `d`; compute both branches on safe values and pick with `torch.where` (divide by 1 where $\sin\Omega$ is tiny).

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
from utils.testing import assert_unchanged, assert_values


def _rotate_towards(xa, xb, t):  # independent: rotate a towards b in their common plane (Gram-Schmidt, atan2)
    a, b = xa / xa.norm(dim=-1, keepdim=True), xb / xb.norm(dim=-1, keepdim=True)
    c = (a * b).sum(-1, keepdim=True)
    perp = b - c * a
    omega = torch.atan2(perp.norm(dim=-1, keepdim=True), c)
    return torch.cos(t * omega) * a + torch.sin(t * omega) * perp / perp.norm(dim=-1, keepdim=True)


g = torch.Generator().manual_seed(21)
xa = torch.randn(3, 4, 10, 16, generator=g, dtype=torch.float64) * 3
xb = torch.randn(3, 4, 10, 16, generator=g, dtype=torch.float64) * 0.5
for t in (0.0, 0.25, 0.5, 0.6, 1.0):
    e = assert_unchanged(slerp_directions, xa, xb, t)
    assert_values(e, _rotate_towards(xa, xb, t), what=f"slerp_directions of random vectors, t={t}")
    assert_values(slerp_directions(xa * 7.5, xb * 0.01, t), e, what=f"magnitudes must not matter (t={t})")
# 2-D by angle: from angle p to angle q (negative coordinates, an obtuse angle, nearly opposite)
for p, q, t in [(0.3, 2.1, 0.3), (-2.5, 0.4, 0.6), (1.0, 1.0 + math.pi - 1e-3, 0.6), (0.2, 0.2 + 1e-3, 0.3)]:
    e = slerp_directions(torch.tensor([[math.cos(p), math.sin(p)]], dtype=torch.float64) * 7,
                         torch.tensor([[math.cos(q), math.sin(q)]], dtype=torch.float64) * 0.1, t)
    r = p + t * (q - p)
    assert_values(e, torch.tensor([[math.cos(r), math.sin(r)]], dtype=torch.float64), what=f"from angle {p} to {q}, t={t}")
# the fallback, sin(Omega) < 1e-6: equal, nearly equal and opposite directions, mixed with ordinary ones in one tensor
a = torch.tensor([[1.0, -2.0, 2.0], [3.0, 0.0, -4.0], [0.0, 1.0, 0.0], [2.0, 1.0, -2.0], [1.0, 0.0, 0.0]], dtype=torch.float64)
eps = 1e-9
b = torch.tensor([[2.0, -4.0, 4.0], [-0.6, 0.0, 0.8], [0.0, -5.0, 0.0], [2.0, 1.0, 2.0], [math.cos(eps), math.sin(eps), 0.0]],
                 dtype=torch.float64)
unit = lambda v: v / v.norm(dim=-1, keepdim=True)
for t in (0.0, 0.3, 0.6, 1.0):
    want = torch.stack([unit(a[0]), unit(a[1]) if t < 0.5 else unit(b[1]), unit(a[2]) if t < 0.5 else unit(b[2]),
                        _rotate_towards(a[3:4], b[3:4], t)[0],
                        torch.tensor([math.cos(t * eps), math.sin(t * eps), 0.0], dtype=torch.float64)])
    got = assert_unchanged(slerp_directions, a, b, t)
    assert_values(got, want, what=f"parallel, opposite, ordinary and nearly parallel rows (t={t}): "
                                  "where sin(Omega) < 1e-6 use the normalised linear interpolation")
# d = 1: every pair is parallel or opposite
x1 = torch.tensor([[2.0], [-3.0], [0.5], [-1.0]], dtype=torch.float64)
y1 = torch.tensor([[5.0], [-0.1], [-2.0], [4.0]], dtype=torch.float64)
assert_values(slerp_directions(x1, y1, 0.25), torch.tensor([[1.0], [-1.0], [1.0], [-1.0]], dtype=torch.float64), what="d=1, t=0.25")
assert_values(slerp_directions(x1, y1, 0.75), torch.tensor([[1.0], [-1.0], [-1.0], [1.0]], dtype=torch.float64), what="d=1, t=0.75")
x32, y32 = torch.randn(5, 8, generator=g), torch.randn(5, 8, generator=g)
assert_values(slerp_directions(x32, y32, 0.6), _rotate_towards(x32.double(), y32.double(), 0.6).float(), what="float32 inputs")
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
# **Implement** `retention_mask(xa, xb, fraction)` for states `(B, H, T, d)` (no zero vectors) and a float $0 \le \text{fraction} \le 1$: return a bool tensor `(B, H, T)` that is True for the $k = \lceil \text{fraction} \cdot T \rceil$ tokens of each `(b, h)` with the largest $d_i$ (none when $k = 0$). Exactly:
#
# - compute $k$ exactly, reading `fraction` as the decimal it prints as: 7% of 100 tokens is $k = 7$, although `0.07 * 100` is `7.000000000000001` in floating point (`math.ceil(Fraction(str(fraction)) * T)`, with `from fractions import Fraction`, does it);
# - compute $d_i$ as written, in the inputs' dtype: the cosine, **clamped to $[-1, 1]$**, then $\arccos$ (two float64 distances that differ in the tenth digit are different). Rounding can push the cosine of two parallel vectors (a vector and a positive multiple of it) just past 1; the clamp then gives $d_i = 0$ exactly, for all of them alike. Ranking by the raw cosine instead is not the same: it splits such ties by rounding noise;
# - tokens with equal $d_i$ are taken in index order (the earlier token first);
# - leave `xa` and `xb` unchanged.
#
# *Hint:* `torch.sort(distance, dim=-1, descending=True, stable=True).indices` keeps tied tokens in index order (`torch.topk` does not promise any order); `scatter` the first $k$ of them into a zeros mask.

# %% id="retain-answer" nbgrader={"grade": false, "grade_id": "retain-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
from fractions import Fraction


def retention_mask(xa: torch.Tensor, xb: torch.Tensor, fraction: float) -> torch.Tensor:
    """Bool (B, H, T): the ceil(fraction*T) tokens per (b, h) whose directions in xa and xb differ most (ties: earlier)."""
    ### BEGIN SOLUTION
    T = xa.shape[-2]
    k = math.ceil(Fraction(str(fraction)) * T)
    mask = torch.zeros(xa.shape[:-1], dtype=torch.bool)
    if k == 0:
        return mask
    dist = torch.acos(F.cosine_similarity(xa, xb, dim=-1).clamp(-1, 1)) / math.pi
    order = torch.sort(dist, dim=-1, descending=True, stable=True).indices
    return mask.scatter_(-1, order[..., :k], True)
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
from utils.testing import assert_unchanged, assert_values


def _reference_mask(xa, xb, p, q):  # fraction = p/q; k by integer arithmetic, ranking by (-angle, index) in Python
    B, H, T, _ = xa.shape
    k = -(-p * T // q)
    out = torch.zeros(B, H, T, dtype=torch.bool)
    for b in range(B):
        for h in range(H):
            ang = [math.atan2(float(torch.linalg.norm(xb[b, h, i] / xb[b, h, i].norm() - xa[b, h, i] / xa[b, h, i].norm())),
                              float(torch.linalg.norm(xb[b, h, i] / xb[b, h, i].norm() + xa[b, h, i] / xa[b, h, i].norm())))
                   for i in range(T)]  # half the angle between the directions: the same order as d_i
            for i in sorted(range(T), key=lambda i: (-ang[i], i))[:k]:
                out[b, h, i] = True
    return out


g = torch.Generator().manual_seed(3)
# fraction as (p, q): boundaries where ceil differs from round, floor, and from math.ceil(fraction * T) in floating point
for B, H, T, d, (p, q) in [(2, 3, 10, 8, (5, 100)), (1, 2, 7, 4, (3, 10)), (2, 1, 16, 6, (1, 1)), (1, 4, 33, 8, (2, 10)),
                           (1, 2, 10, 3, (3, 10)), (1, 1, 30, 5, (1, 10)), (2, 1, 10, 4, (7, 10)), (1, 1, 100, 3, (7, 100)),
                           (1, 2, 25, 3, (28, 100)), (1, 3, 10, 2, (25, 100)), (1, 1, 1, 4, (5, 10)), (1, 1, 1, 1, (1, 1)), (2, 2, 5, 3, (0, 1)),
                           (1, 2, 3, 1, (5, 10))]:
    xa = torch.randn(B, H, T, d, generator=g, dtype=torch.float64)
    xb = torch.randn(B, H, T, d, generator=g, dtype=torch.float64) * 5
    m = assert_unchanged(retention_mask, xa, xb, p / q)
    assert_values(m, _reference_mask(xa, xb, p, q),
                  what=f"retention_mask with T={T}, fraction={p / q} (k = ceil({p}/{q} * {T}) = {-(-p * T // q)} per head)")
# ties in d: exactly parallel (d = 0), orthogonal (d = 1/2) and opposite (d = 1) pairs, negative entries; earlier token first
xa = torch.tensor([[1.0, 0.0], [0.0, -2.0], [1.0, 0.0], [-3.0, 0.0], [1.0, 0.0], [0.0, 1.0], [2.0, 0.0], [0.0, 4.0]], dtype=torch.float64)
xb = torch.tensor([[0.0, 2.0], [0.0, 3.0], [0.0, -1.0], [-1.0, 0.0], [-5.0, 0.0], [1.0, 0.0], [4.0, 0.0], [0.0, -1.0]], dtype=torch.float64)
# d = [1/2, 1, 1/2, 0, 1, 1/2, 0, 1]
for (p, q), want in [((1, 8), [1]), ((2, 8), [1, 4]), ((4, 8), [0, 1, 4, 7]), ((5, 8), [0, 1, 2, 4, 7]),
                     ((6, 8), [0, 1, 2, 4, 5, 7]), ((7, 8), [0, 1, 2, 3, 4, 5, 7]), ((3, 10), [1, 4, 7])]:
    mask = torch.zeros(1, 1, 8, dtype=torch.bool)
    mask[0, 0, want] = True
    assert_values(retention_mask(xa[None, None], xb[None, None], p / q), mask,
                  what=f"tied distances with fraction {p / q}: equal d_i are taken in index order")
# identical token pairs tie as well
row_a, row_b = torch.randn(1, 1, 1, 6, generator=g, dtype=torch.float64), torch.randn(1, 1, 1, 6, generator=g, dtype=torch.float64)
assert_values(retention_mask(row_a.expand(1, 1, 5, 6).clone(), row_b.expand(1, 1, 5, 6).clone(), 0.4),
              torch.tensor([[[True, True, False, False, False]]]), what="five identical token pairs, fraction 0.4")
# distances 1e-10 apart: float64 tells them apart, float32 cannot
phi = torch.tensor([1.2, 1.2 + 3e-10, 0.3, 1.2 + 1e-10], dtype=torch.float64)
xa = torch.tensor([[1.0, 0.0]] * 4, dtype=torch.float64)[None, None]
xb = torch.stack([phi.cos(), phi.sin()], -1)[None, None]
assert_values(retention_mask(xa, xb, 0.25), torch.tensor([[[False, True, False, False]]]),
              what="distances that differ in the tenth digit (compute d_i in the inputs' float64)")
assert_values(retention_mask(xa, xb, 0.5), torch.tensor([[[False, True, False, True]]]), what="the two largest of nearly equal distances")
# parallel pairs: xa_i and xb_i are positive multiples of one vector, so every d_i is 0 (a tie, index order decides).
# Their computed cosines round to 1 or to 1 + 2.2e-16 (checked for F.cosine_similarity, x.y / (|x| |y|),
# normalise-then-dot and x.y / sqrt(x.x y.y)); clamped to 1 they all give d_i = 0 exactly.
_v = torch.tensor([-2.6, -2.0, 2.0, -2.0], dtype=torch.float64)
_sc = [(6.5, 0.1), (1.7, 5.0), (1.7, 2.5), (6.5, 7.0), (0.9, 1.1), (6.5, 0.1), (1.7, 5.0), (0.9, 1.1)]
xa = torch.stack([a * _v for a, _ in _sc])[None, None]
xb = torch.stack([b * _v for _, b in _sc])[None, None]
xa, xb = torch.cat([xa, xa.flip(2)], 1), torch.cat([xb, xb.flip(2)], 1)  # a second head, tokens in reverse order
for p, q in [(1, 8), (2, 8), (4, 8), (5, 8)]:
    want = torch.zeros(1, 2, 8, dtype=torch.bool)
    want[..., : p * 8 // q] = True
    assert_values(assert_unchanged(retention_mask, xa, xb, p / q), want,
                  what=f"parallel pairs (all d_i = 0, cosines rounded just past 1), fraction {p / q}: clamp the cosine, "
                       "then equal d_i are taken in index order")
# the same parallel pairs after a token that is really distant: it comes first, then the ties in index order
xa1 = torch.cat([torch.tensor([[[[1.0, 0.0, 0.0, 0.0]]]], dtype=torch.float64), xa[:, :1]], 2)
xb1 = torch.cat([torch.tensor([[[[0.0, 1.0, 0.0, 0.0]]]], dtype=torch.float64), xb[:, :1]], 2)
assert_values(retention_mask(xa1, xb1, 3 / 9), torch.tensor([[[True, True, True] + [False] * 6]]),
              what="an orthogonal token, then parallel pairs with rounding noise (fraction 1/3)")
# scale-invariance: the distance is an angle, not a Euclidean distance
xa = torch.randn(1, 1, 12, 4, generator=g, dtype=torch.float64)
xb = torch.randn(1, 1, 12, 4, generator=g, dtype=torch.float64)
scale = torch.rand(1, 1, 12, 1, generator=g, dtype=torch.float64) * 100 + 0.01
assert_values(retention_mask(xa * scale, xb, 0.25), retention_mask(xa, xb, 0.25), what="magnitudes must not matter")
m32 = retention_mask(xa.float(), xb.float(), 0.25)
assert_values(m32, _reference_mask(xa.float().double(), xb.float().double(), 1, 4), what="float32 inputs")
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

# %% [markdown] id="ratio-background"
# ## Exercise 3 — derive the compression ratio (2 points)
#
# `merge_cache` counts what it stores on real tensors. A server has to size its memory *before* a request arrives, so the count should come from a formula. Derive it yourself from the list of stored pieces above; the hint only tells you how to check it.
#
# **Implement** `minicache_ratio(n_layers, start, seq_len, head_dim, retain)`: the compression ratio $	ext{(numbers in the full cache)} / 	ext{(numbers MiniCache stores)}$ that `full_numbers(cache) / merge_cache(cache, start, "minicache", retain=retain)[1]` gives for a cache of `n_layers` layers, `seq_len` tokens $T$ and head size `head_dim` $d$ (with any batch size and number of heads) — without building a cache and without calling `merge_cache`. Exactly:
#
# - the merged pairs are $(S, S+1), (S+2, S+3), \dots$ for as long as both layers of a pair exist among the `n_layers` layers (what `pairs_from` does for our model's $L$); every other layer is stored in full. `start` may be any integer $\ge 0$ (from $S \ge$ `n_layers` - 1 on, nothing is merged);
# - for K and for V, per batch row and head, a merged pair stores one direction per token, two magnitudes per token, and $2d + 1$ numbers for each of its $k = \lceil \text{retain} \cdot T \rceil$ retained tokens, with $k$ computed exactly as in Exercise 2 (`math.ceil(Fraction(str(retain)) * seq_len)`);
# - count with integers and divide once, at the end; return a Python `float`. It may be below 1: retention and magnitudes can cost more than merging saves;
# - raise a `ValueError` if `n_layers`, `seq_len` or `head_dim` is below 1, if `start` is negative, or if `retain` is not in $[0, 1]$.
#
# *Hint:* write down what one batch row, one head and one of K/V stores with and without merging; batch, heads and the factor 2 cancel in the ratio. Check your formula by hand before you run it: two layers merged from layer 0, $T = 10$, $d = 4$, 10% retained give $80/69$. Then **predict** our model's ratio from layer 2 with 5% retained ($L = 6$, $T = 192$, $d = 32$) and compare it with the ratio the cell above printed.

# %% id="ratio-answer" nbgrader={"grade": false, "grade_id": "ratio-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def minicache_ratio(n_layers: int, start: int, seq_len: int, head_dim: int, retain: float) -> float:
    """Full-cache numbers / numbers MiniCache stores, merging pairs (start, start+1), ... with `retain` kept."""
    ### BEGIN SOLUTION
    if min(n_layers, seq_len, head_dim) < 1 or start < 0 or not 0 <= retain <= 1:
        raise ValueError("n_layers, seq_len, head_dim must be >= 1, start >= 0 and 0 <= retain <= 1")
    pairs = max(0, (n_layers - start) // 2)
    k = math.ceil(Fraction(str(retain)) * seq_len)
    full = n_layers * seq_len * head_dim
    saved_per_pair = seq_len * head_dim - 2 * seq_len - k * (2 * head_dim + 1)
    return full / (full - pairs * saved_per_pair)
    ### END SOLUTION


# %% id="ratio-tests" nbgrader={"grade": true, "grade_id": "ratio-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
ratio_check = minicache_ratio(2, 0, 10, 4, 0.1)
assert isinstance(ratio_check, float), f"return a Python float, got {type(ratio_check).__name__}"
assert abs(ratio_check - 80 / 69) < 1e-12, (
    "two layers merged from layer 0, T=10, d=4, 10% retained: per batch row, head and K/V the full cache holds "
    f"80 numbers and MiniCache stores 69, so the ratio is 80/69; got {ratio_check!r}")
assert minicache_ratio(6, 5, 10, 4, 0.5) == 1.0, "from layer 5 of 6 no pair is complete: nothing is merged"
print("visible checks passed; our model from layer 2 with 5% retained: predicted "
      f"{minicache_ratio(L, 2, N_CONTEXT, cfg.head_dim, 0.05):.4f}x (compare the ratio printed above)")
### BEGIN HIDDEN TESTS
import random as _random

from utils.testing import assert_raises


def _ratio_by_layers(n_layers, start, T, d, p, q):  # independent: walk the layers; k = ceil(p/q * T) in integers
    k = -(-p * T // q)
    stored, layer = 0, 0
    while layer < n_layers:
        if layer >= start and (layer - start) % 2 == 0 and layer + 1 < n_layers:
            stored += T * d + 2 * T + k * (2 * d + 1)  # shared direction, two magnitudes, retained pairs + index
            layer += 2
        else:
            stored += T * d
            layer += 1
    return Fraction(n_layers * T * d, stored)


def _check_ratio(n_layers, start, T, d, p, q, what):
    got = minicache_ratio(n_layers, start, T, d, p / q)
    assert isinstance(got, float), f"{what}: return a Python float, got {type(got).__name__}"
    exact = float(_ratio_by_layers(n_layers, start, T, d, p, q))  # one correctly rounded division, as stated
    assert got == exact, f"{what}: minicache_ratio({n_layers}, {start}, {T}, {d}, {p / q}) = {got!r}, expected {exact!r}"


# our model at the experiment's settings, and LLaMA-2-7B merged from its middle layer
for _start in range(0, 7):
    for _p, _q in [(0, 1), (5, 100), (1, 10), (2, 10), (1, 1)]:
        _check_ratio(6, _start, 192, 32, _p, _q, f"L=6, from layer {_start}")
_check_ratio(32, 16, 4096, 128, 5, 100, "LLaMA-2-7B shape, from layer 16")
# k exactly: 7% of 100, 28% of 25 and 14% of 100 are 7, 7 and 14 (the float products are just above)
for _T, (_p, _q) in [(100, (7, 100)), (25, (28, 100)), (100, (14, 100)), (10, (3, 10)), (7, (1, 2)), (1, (1, 2))]:
    _check_ratio(4, 0, _T, 8, _p, _q, f"k = ceil({_p}/{_q} * {_T}) = {-(-_p * _T // _q)}")
# edge cases: one layer, an odd number of layers, odd start, T = 1, d = 1 and d = 2 (merging saves nothing or costs)
for _args in [(1, 0, 5, 4), (3, 0, 5, 4), (5, 1, 9, 6), (7, 3, 1, 16), (4, 0, 12, 1), (4, 0, 12, 2), (2, 1, 8, 8), (9, 20, 4, 4)]:
    for _p, _q in [(0, 1), (3, 10), (1, 1)]:
        _check_ratio(*_args, _p, _q, f"n_layers, start, T, d = {_args}")
# random sizes
_rng = _random.Random(14)
for _ in range(300):
    _q = _rng.choice([1, 2, 4, 5, 10, 20, 100])
    _check_ratio(_rng.randrange(1, 40), _rng.randrange(0, 42), _rng.randrange(1, 3000), _rng.randrange(1, 300),
                 _rng.randrange(0, _q + 1), _q, "random sizes")
# every validated argument
for _bad in [(0, 0, 10, 4, 0.1), (6, -1, 10, 4, 0.1), (6, 0, 0, 4, 0.1), (6, 0, 10, 0, 0.1), (6, 0, 10, 4, -0.05),
             (6, 0, 10, 4, 1.5), (6, 0, 10, 4, float("nan"))]:
    assert_raises(ValueError, minicache_ratio, *_bad)
### END HIDDEN TESTS

# %% [markdown] id="merge-experiment-intro"
# ## Experiment 1 — merging methods at equal compression
#
# **Where the paper says it.** Reproduces, in miniature, the method of Liu et al. (2024) as its Figure 3 draws it (merge two layers' directions, keep each layer's magnitude and the retained tokens, restore) against its simple baseline that averages the two layers' caches (as we read it, the paper's comparison of MiniCache with that mean baseline), plus two baselines of our own (reuse one layer, drop the prefix).
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
# ## Exercise 4 — low-bit quantisation of the cache (3 points)
#
# The other axis: store each number in $b$ bits. Asymmetric uniform quantisation of a group of numbers with minimum $m$ and maximum $M$ uses $2^b$ levels,
#
# $$s = \frac{M - m}{2^b - 1}, \qquad q = \operatorname{round}\!\Big(\frac{x - m}{s}\Big) \in \{0, \dots, 2^b - 1\}, \qquad \hat x = m + s\, q,$$
#
# so the error is at most $s/2$, and each group stores $m$ and $s$ besides its $b$-bit codes. Which numbers form a group matters: KIVI observed that keys have a few large *channels* (quantise keys per channel, statistics over the tokens), while values are better quantised per *token* (statistics over the channels).
#
# **Implement** `fake_quantize(x, bits, dim)` for an int `bits >= 1`: quantise and immediately dequantise `x`. A **group** is a slice along `dim`: the numbers of `x` whose indices agree in every dimension except `dim`. Each group gets its own $m$ and $M$, its minimum and maximum (`x.amin(dim, keepdim=True)` and `x.amax(dim, keepdim=True)`). For a cache `(B, H, T, d)`, `dim=-2` makes one group of $T$ numbers per channel of each head (per-channel quantisation), and `dim=-1` one group of $d$ numbers per token of each head (per-token quantisation).
#
# Round to the nearest level with halves to even, as `torch.round` does ($2.5 \to 2$, $3.5 \to 4$). Return a tensor of `x`'s shape and dtype, computed in that dtype, and leave `x` unchanged. A group whose values are all equal ($s = 0$, e.g. a group of one number) is returned unchanged, with no `nan`.
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
from utils.testing import assert_unchanged, assert_values


def _loop_quantize(x, bits, dim):  # independent: one group at a time in Python floats (round() rounds halves to even)
    xt = x.movedim(dim, -1)
    out = []
    for row in xt.reshape(-1, xt.shape[-1]).tolist():
        m, M = min(row), max(row)
        step = (M - m) / (2**bits - 1)
        out.append(row if step == 0 else [m + step * min(round((v - m) / step), 2**bits - 1) for v in row])
    return torch.tensor(out, dtype=x.dtype).reshape(xt.shape).movedim(-1, dim)


g = torch.Generator().manual_seed(7)
x = torch.randn(2, 3, 20, 8, generator=g, dtype=torch.float64) * torch.linspace(0.1, 10, 8, dtype=torch.float64)
for bits in (1, 2, 3, 4, 8):
    for dim in (-1, -2, 3, 2, 0):
        y = assert_unchanged(fake_quantize, x, bits, dim)
        assert_values(y, _loop_quantize(x, bits, dim), what=f"fake_quantize(bits={bits}, dim={dim}) against a loop over the groups")
        lo, hi = x.amin(dim, keepdim=True), x.amax(dim, keepdim=True)
        assert ((y - x).abs() <= (hi - lo) / (2**bits - 1) / 2 + 1e-12).all(), f"error must be <= scale/2 (bits={bits}, dim={dim})"
# ties, constant groups and groups of one number
x = torch.tensor([[[1.0, 1.0, 1.0], [-2.0, 0.5, 0.5], [4.0, -4.0, 4.0]], [[0.0, 0.0, 0.0], [3.0, 3.0, -3.0], [7.5, 7.5, 7.5]]],
                 dtype=torch.float64)
for dim in (-1, -2, 0):
    assert_values(fake_quantize(x, 3, dim), _loop_quantize(x, 3, dim), what=f"ties and constant groups (dim={dim}), no nan")
one = torch.randn(4, 1, 5, generator=g, dtype=torch.float64)
assert_values(fake_quantize(one, 2, 1), one, what="groups of one number are returned unchanged")
tiny = (torch.tensor([[0.0, 3.0, 1.0, 2.0], [5.0, 5.0, 5.0, 5.0]], dtype=torch.float64) - 1.5) * 1e-10
assert_values(fake_quantize(tiny, 2, -1), _loop_quantize(tiny, 2, -1), what="a group spanning 3e-10 (s > 0: no epsilon in s)")
# halves round to even: levels -1.5, -0.5, 0.5, 1.5 (s = 1), and 1 bit with the midpoint
x = torch.tensor([[-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5]], dtype=torch.float64)
assert_values(fake_quantize(x, 2, -1), torch.tensor([[-1.5, -1.5, -0.5, 0.5, 0.5, 0.5, 1.5]], dtype=torch.float64),
              what="(x - m)/s = 0.5, 1.5, 2.5 round to 0, 2, 2 (halves to even)")
assert_values(fake_quantize(torch.tensor([[-2.0], [0.0], [2.0]], dtype=torch.float64), 1, 0),
              torch.tensor([[-2.0], [-2.0], [2.0]], dtype=torch.float64), what="1 bit: the midpoint rounds to 0, the minimum")
x32 = torch.randn(3, 6, 5, generator=g) * 3
assert_values(fake_quantize(x32, 4, -2), _loop_quantize(x32.double(), 4, -2).float(), what="float32 input (dtype kept)")
### END HIDDEN TESTS

# %% [markdown] id="quant-experiment-intro"
# ## Experiment 2 — quantisation, and quantisation plus merging
#
# **Where the paper says it.** Reproduces, in miniature, the headline of the abstract of Liu et al. (2024): on ShareGPT, LLaMA-2-7B with 4-bit MiniCache reaches a compression ratio of up to 5.02x against the fp16 full cache, near-losslessly (the paper's evaluation of MiniCache combined with 4-bit KV quantisation, as we read it; we checked the figure in the abstract, not the table that holds it). The grouping (keys per channel, values per token) is KIVI's (Liu et al. 2024).
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
      checks=[above(best["ratio"], 4.0), above(best["top1"], 0.93)], smoke=SMOKE)

# %% [markdown] id="reflect"
# ## Reflect
#
# Answer each question in the cell below it, in a few sentences. These answers are graded by hand (1 point each).
#
# 1. The residual stream entering adjacent layers is very similar at every depth of our model (cosine 0.88-0.97 in the table of the premise), yet the keys and values of layers 0-2 are not (cosine about 0). Why does the residual stream of a pre-LN network change little from one layer to the next, and why is that alone not enough to make two layers' caches similar?

# %% [markdown] id="reflect-premise" nbgrader={"grade": true, "grade_id": "reflect-premise", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** In a pre-LN block the stream is only added to, $h^{(l+1)} = h^{(l)} + \text{attn}(\text{LN}(h^{(l)})) + \text{mlp}(\dots)$, and each block's update is small next to everything accumulated so far, so consecutive $h^{(l)}$ point in nearly the same direction (0.88-0.97 here, even in the shallow layers). But each layer reads the stream through its *own* projections, $k^{(l)} = W_K^{(l)}\,\text{LN}(h^{(l)})$: two layers with unrelated $W_K^{(l)}, W_K^{(l+1)}$ map almost the same input to unrelated keys, which is what layers 0-2 of our model show (cosine about 0). Similar caches need similar inputs *and* neighbouring layers whose projections act alike on them; in large models that appears in the middle-to-deep layers, in ours only where training was asked for it (the alignment loss on layers 2-5).
#
# **Rubric (1 point).** 0.5: the residual argument (pre-LN blocks add small updates to a stream that carries everything before, so adjacent inputs are nearly parallel). 0.5: similar inputs are not sufficient because each layer has its own $W_K, W_V$ (citing layers 0-2: residual cosine high, K/V cosine near 0). "Because the layers were trained to align" alone earns 0: it answers for our toy, not for a large model.
# ### END SOLUTION

# %% [markdown] id="reflect-retain-question"
# 2. Use your `minicache_ratio` (or the list of stored pieces): up to which retention fraction does merging a pair still save memory, for our head size $d = 32$? Does the answer depend on the start layer or on the number of layers?

# %% [markdown] id="reflect-retain" nbgrader={"grade": true, "grade_id": "reflect-retain", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** Per token, batch row, head and K/V, a merged pair replaces $2d$ numbers by $d + 2$ (one direction, two magnitudes), saving $d - 2$, and each retained token costs $2d + 1$. Merging saves memory as long as $k(2d+1) < T(d-2)$, i.e. for a retained fraction below $(d-2)/(2d+1) = 30/65 \approx 0.46$ at $d = 32$ (with $T = 192$: up to $k = 88$ tokens, 46%; at $k = 89$ the pair stores more than the full cache). The threshold is the same for every pair, so it does not depend on the start layer or on $L$: those only decide how many pairs are merged, i.e. how far the ratio moves from 1. At the 5-20% the notebook uses, the ratio stays above 1 (1.38x and 1.21x from layer 2).
#
# **Rubric (1 point).** 0.5: the per-token accounting (saving $d - 2$, cost $2d + 1$ per retained token) and the threshold $(d-2)/(2d+1) \approx 46\%$. 0.5: independent of the start layer and of $L$ (they scale the number of pairs, not the per-pair balance). A threshold of 50% from "a retained token stores both layers" (forgetting the magnitudes and the index) earns 0.5 at most.
# ### END SOLUTION

# %% [markdown] id="reflect-compound-question"
# 3. Quantisation and merging compound multiplicatively in size. Do their errors compound too? Compare the KL of 4-bit alone, MiniCache alone, and both, from layer 2 and from layer 0.

# %% [markdown] id="reflect-compound" nbgrader={"grade": true, "grade_id": "reflect-compound", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** In our run the errors roughly *add*, they do not multiply. From layer 2 without retention: 4-bit alone (keys per channel, values per token) KL 0.0001, MiniCache alone 0.0008, both 0.0009; with 5% retained, 0.0001 + 0.0001 against 0.0002 combined. From layer 0 the merge error of dissimilar layers dominates: 0.0195 alone, 0.0207 with 4 bits. Both perturbations are small and nearly independent (rounding noise of at most half a step on top of a direction error), so to first order their effects on the log-probabilities add. The sizes compound less than multiplicatively too: 1.45x times 3.49x would be 5.1x, the measured combination is 4.72x, because magnitudes, retained tokens and each group's minimum and scale stay in fp16.
#
# **Rubric (1 point).** 0.5: the comparison with the notebook's figures (combined KL about the sum of the two, from layer 2; from layer 0 the merge error dominates). 0.5: the reason (small, independent errors add to first order) or the observation that the size gain is below the product because of the fp16 overheads. "Errors multiply like the sizes" earns 0.
# ### END SOLUTION

# %% [markdown] id="further-reading"
# **Further reading:** Brandon et al., *Reducing Transformer KV Cache Size with Cross-Layer Attention* (2024, arXiv:2405.12981); Hooper et al., *KVQuant* (2024, arXiv:2401.18079); Zhang et al., *H2O: Heavy-Hitter Oracle* (2023, arXiv:2306.14048).
