# %% [markdown] id="title"
# # The KV cache: the memory bill of inference
#
# **Papers:** background for Liu et al., *MiniCache: KV Cache Compression in Depth Dimension for Large Language Models* (2024, arXiv:2405.14366) and Agarwal et al., *Cache-Craft: Managing Chunk-Caches for Efficient Retrieval-Augmented Generation* (2025, arXiv:2502.15734); the cache itself goes back to Vaswani et al., *Attention Is All You Need* (2017, arXiv:1706.03762).
#
# **Learning objectives**
# - explain why autoregressive decoding without a cache recomputes every earlier token at every step, and count what the cache saves (token passes and query–key products);
# - implement one attention step against a cache, and greedy decoding that keeps and extends a per-layer KV cache;
# - account for the cache's memory as a function of layers, heads, head size, length, batch and dtype, and see what grouped-query attention and lower precision do to it.
#
# **Prerequisites:** scaled dot-product attention, a decoder-only transformer, PyTorch tensors.
#
# **Read ahead:** `paperlab preview 02_kv_cache/01_kv_cache` writes this lesson's experiments, executed, to `build/preview/` (answers and hidden tests removed), so you can see every figure before you solve anything.
#
# **Time:** 40 min
#
# **Points:** 13 (five autograded exercises, 2 points each; three written answers, 1 point each, graded by hand)
#
# **Headline claim:** caching keys and values turns each decoding step from a pass over the whole sequence into a pass over one token — the same tokens come out, several times faster — at the price of a memory bill $2 \cdot L \cdot H_{kv} \cdot d_h \cdot T \cdot B \cdot \text{bytes}$ that grows with every token.

# %% id="parameters" tags=["parameters"]
SMOKE = False  # True: tiny sizes, runs in seconds
SEED = 0
MAX_NEW = 256  # longest generation (new tokens) in the equality check and the timing experiment
N_CHECK = 4  # prompts whose cached and uncached generations are compared

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math
import time

import torch
import torch.nn.functional as F

from utils.common import above, at_least, between, claim, equal, progress, setup_lesson
from utils.kv_cache import CHUNK_LEN, decode, encode, heldout_batch, load_model, make_chunks
from utils.plotting import label, show, subplots

if SMOKE:
    MAX_NEW, N_CHECK = min(MAX_NEW, 48), min(N_CHECK, 2)
generator = setup_lesson(SEED, SMOKE, MAX_NEW=(MAX_NEW, between(16, 384)), N_CHECK=(N_CHECK, at_least(1)))
model = load_model()
cfg = model.cfg
n_params = sum(p.numel() for p in model.parameters())
print(f"model: {cfg.n_layers} layers, {cfg.n_heads} heads of size {cfg.head_dim}, d_model={cfg.d_model}, "
      f"{n_params / 1e6:.2f}M parameters, trained on 256-character documents; SMOKE={SMOKE}")

# %% [markdown] id="model-intro"
# ## The model and its data
#
# `utils.kv_cache` ships a small decoder-only transformer trained on characters: pre-LayerNorm blocks, rotary position embeddings (RoPE), 6 layers. Its training documents are built from 64-character *chunks* that define variables (`ab=42;`), alias them in a later chunk (`cd=ab;`) and query them further on (`?cd=42;`), mixed with simple generated sentences. Answering a query means attending tens or hundreds of characters back — so this model's cache is not a formality: it holds the facts.
#
# `model(idx, past=None)` returns `(logits, present)`: `present[l] = (K_l, V_l)`, each of shape `(batch, heads, length, head_dim)`, the keys already rotated by RoPE. Pass `present` back as `past` with the next tokens and the model attends to the cached tokens instead of recomputing them.

# %% id="model-demo"
doc = "".join(make_chunks(__import__("random").Random(SEED), 3))
print(doc.replace("\n", " "))
x = encode(doc)[None]
with torch.no_grad():
    logits, present = model(x)
print(f"logits {tuple(logits.shape)}; cache: {len(present)} layers of K {tuple(present[0][0].shape)} and V {tuple(present[0][1].shape)}")


# %% [markdown] id="attn-background"
# ## Background: why decoding recomputes
#
# A causal self-attention layer maps the hidden states $h_1..h_T$ to queries, keys and values $q_t = W_Q h_t$, $k_t = W_K h_t$, $v_t = W_V h_t$ (per head, with RoPE rotating $q_t, k_t$ by the position $t$), and
#
# $$o_t = \sum_{s \le t} \alpha_{ts} v_s, \qquad \alpha_{ts} = \operatorname{softmax}_s\!\left(\frac{q_t^\top k_s}{\sqrt{d_h}}\right).$$
#
# Generating token $T+1$ needs only $o_T$ at every layer. Nothing about tokens $s < T$ changes when a new token arrives (the mask hides the future), so $k_s, v_s$ computed at an earlier step are still right. Without a cache a decoder recomputes them all — step $t$ costs a forward pass over $t$ tokens, $O(T^2)$ token-passes for $T$ tokens. With a cache, step $t$ runs the network on **one** token, appends its $k_t, v_t$ to the cache, and attends over the cache: $O(T)$ token-passes (attention itself still reads all $t$ cached keys).
#
# ## Exercise 1 — one attention step against the cache (2 points)
#
# **Implement** `attend_step(q, k_cache, v_cache)`: the new token's query `q` of shape `(B, H, 1, d)` attends to all `S` cached keys and values `(B, H, S, d)` (the new token's own key already appended, `S >= 1`). Return `(B, H, 1, d)` in the inputs' dtype (float64 in, float64 out: compute in that precision). No mask is needed: every cached token is in the past.
#
# The result must stay finite for large scores (e.g. $q^\top k/\sqrt{d} = 1000$), stay differentiable (gradients flow to `q`, `k_cache` and `v_cache`: the model is trained through this attention), and leave its three arguments unchanged (do not scale `q` in place, e.g. `q /= ...`, even when it does not require grad). Do not call `F.scaled_dot_product_attention`: the hidden tests compare against it, and make it raise while your function runs.
#
# *Hint:* `q @ k_cache.transpose(-2, -1)` gives the `(B, H, 1, S)` scores; scale by $1/\sqrt{d}$ before `torch.softmax` over the last axis (it subtracts the max for you).

# %% id="attend-step-answer" nbgrader={"grade": false, "grade_id": "attend-step-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def attend_step(q: torch.Tensor, k_cache: torch.Tensor, v_cache: torch.Tensor) -> torch.Tensor:
    """Attention output (B, H, 1, d) of one new query over S cached keys/values (B, H, S, d)."""
    ### BEGIN SOLUTION
    scores = q @ k_cache.transpose(-2, -1) / math.sqrt(q.shape[-1])
    return torch.softmax(scores, dim=-1) @ v_cache
    ### END SOLUTION


# %% id="attend-step-tests" nbgrader={"grade": true, "grade_id": "attend-step-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Visible checks: the shape; a zero query averages the values; a case by hand (two keys, one-dimensional heads).
q = torch.zeros(1, 1, 1, 4)
out = attend_step(q, torch.randn(1, 1, 3, 4, generator=generator), torch.arange(12.0).view(1, 1, 3, 4))
assert out.shape == (1, 1, 1, 4), f"expected shape (1, 1, 1, 4), got {tuple(out.shape)}"
assert torch.allclose(out, torch.tensor([4.0, 5.0, 6.0, 7.0]).view(1, 1, 1, 4)), "a zero query weights all keys equally: the output is the mean of the values"
q1, k1, v1 = torch.tensor([[[[2.0]]]]), torch.tensor([[[[0.0], [1.0]]]]), torch.tensor([[[[0.0], [1.0]]]])
w = math.exp(2.0) / (1 + math.exp(2.0))  # scores 0 and 2/sqrt(1)
assert torch.allclose(attend_step(q1, k1, v1), torch.tensor(w).view(1, 1, 1, 1)), "softmax(q k / sqrt(d)) weights the values"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_grads_match, assert_unchanged, assert_values, forbidden

_SDPA = "torch.nn.functional.scaled_dot_product_attention"


def _loop_attention(q, k, v):  # independent: Python floats, one head and one key at a time
    B, H, S, d = k.shape
    out = torch.zeros(B, H, 1, d, dtype=torch.float64)
    for b in range(B):
        for h in range(H):
            s = [float(q[b, h, 0] @ k[b, h, j]) / math.sqrt(d) for j in range(S)]
            e = [math.exp(x - max(s)) for x in s]
            out[b, h, 0] = sum(e[j] / sum(e) * v[b, h, j] for j in range(S))
    return out


g = torch.Generator().manual_seed(11)
for B, H, S, d, scale in [(1, 1, 1, 1, 1.0), (1, 1, 1, 2, 3.0), (2, 3, 5, 8, 2.0), (1, 4, 17, 32, 1.0), (3, 2, 40, 16, 2.0),
                          (2, 2, 6, 4, 40.0)]:  # the last one: scores in the thousands, naive exp overflows
    q, k, v = (torch.randn(B, H, n, d, generator=g, dtype=torch.float64) * scale for n in (1, S, S))
    want = F.scaled_dot_product_attention(q, k, v)
    with forbidden(_SDPA):  # the statement: do not call F.scaled_dot_product_attention
        got = assert_unchanged(attend_step, q, k, v)  # q, k, v do not require grad: an in-place q /= ... shows here
    what = f"attend_step with (B, H, S, d) = {(B, H, S, d)}, scale {scale}"
    assert_values(got, want, what=what)
    assert_values(got, _loop_attention(q, k, v), what=what + " (against a loop over keys)")
    assert_grads_match(attend_step, F.scaled_dot_product_attention, q, k, v, what=what)
# ties: identical keys get equal weights, whatever the query (negative entries included)
k = torch.tensor([[-1.0, 2.0], [-1.0, 2.0], [-1.0, 2.0]], dtype=torch.float64).view(1, 1, 3, 2)
v = torch.tensor([[1.0, -2.0], [4.0, 0.0], [-2.0, 5.0]], dtype=torch.float64).view(1, 1, 3, 2)
assert_values(assert_unchanged(attend_step, torch.tensor([[[[-3.0, 0.5]]]], dtype=torch.float64), k, v),
              torch.tensor([[[[1.0, 1.0]]]], dtype=torch.float64), what="three equal keys: the mean of the values")
# one very large score: all the weight on that key, and no nan
k = torch.tensor([[0.0], [1.0], [-1.0]], dtype=torch.float64).view(1, 1, 3, 1)
v = torch.tensor([[5.0], [7.0], [-3.0]], dtype=torch.float64).view(1, 1, 3, 1)
assert_values(assert_unchanged(attend_step, torch.tensor([[[[1000.0]]]], dtype=torch.float64), k, v),
              torch.tensor([[[[7.0]]]], dtype=torch.float64), what="a score of 1000 (finite: subtract the max)")
q32, k32, v32 = (torch.randn(2, 2, n, 8, generator=g) for n in (1, 5, 5))
want32 = F.scaled_dot_product_attention(q32, k32, v32)
with forbidden(_SDPA):
    assert_values(assert_unchanged(attend_step, q32, k32, v32), want32, what="float32 inputs")
### END HIDDEN TESTS

# %% [markdown] id="attention-picture-intro"
# ### What the cache is read for: where the answer's attention goes
#
# Your `attend_step` is what every layer does at every decoding step. Here it is on the trained model, at the moment that matters in this corpus: answering a query. We take the first held-out document whose first query asks for an **alias** (`F=L;` after `L=79;`, then `?F=`) and that the model answers right, and recompute, layer by layer, the attention weights $\alpha_{ts} = \operatorname{softmax}_s(q_t^\top k_s/\sqrt{d_h})$ of the two tokens that produce the answer: the `=` of the query (it predicts the first digit) and the first digit (it predicts the second). The queries come from the model's own modules (`block.qkv_heads` on the hidden state entering each layer), the keys from the cache `present` the forward pass returns; the cell checks that these weights reproduce your `attend_step` output.
#
# **What to look at.** Each row of a heatmap is one layer, each column an earlier position (its character below it); colour is the attention weight, averaged over the 4 heads (a square-root colour scale, so that small weights stay visible). The definition's two digits are outlined in red, the alias in orange. Which layer finds the digits, and does any layer look at the alias?

# %% id="attention-picture"
import re

import matplotlib.colors

seen = heldout_batch(16)
with torch.no_grad():
    seen_logits, seen_cache, seen_hidden = model(seen, return_hidden=True)
for doc_i, text in enumerate(decode(row) for row in seen):  # the first document whose first query asks for an alias
    query = re.search(r"\?([A-Z])=\d\d;", text)
    alias = re.search(rf"(?<!\?)\b{query.group(1)}=([A-Z]);", text[: query.start()]) if query else None
    defn = re.search(rf"(?<!\?)\b{alias.group(1)}=\d\d;", text) if alias else None
    eq = query.start() + 2 if query else 0  # the "=" predicts the first digit, the first digit the second
    if defn and torch.equal(seen_logits[doc_i, eq : eq + 2].argmax(-1), seen[doc_i, eq + 1 : eq + 3]):
        break
digits, alias_span = slice(defn.start() + 2, defn.start() + 4), slice(alias.start(), alias.start() + 3)
attn = torch.zeros(2, cfg.n_layers, eq + 2)  # (answer token, layer, earlier position), mean over heads
best_head = torch.zeros(2, cfg.n_layers)  # the largest single head's mass on the definition's digits
for l, block in enumerate(model.blocks):
    with torch.no_grad():
        q_all = block.qkv_heads(seen_hidden[l][doc_i : doc_i + 1], torch.arange(seen.shape[1]))[0]
    for j, t in enumerate((eq, eq + 1)):
        q_t, (k_t, v_t) = q_all[:, :, t : t + 1], (c[doc_i : doc_i + 1, :, : t + 1] for c in seen_cache[l])
        w_t = torch.softmax(q_t @ k_t.transpose(-2, -1) / math.sqrt(cfg.head_dim), dim=-1)  # (1, H, 1, t + 1)
        assert torch.allclose(w_t @ v_t, attend_step(q_t, k_t, v_t), atol=1e-5), "the weights of your attend_step"
        attn[j, l, : t + 1], best_head[j, l] = w_t[0, :, 0].mean(0), w_t[0, :, 0, digits].sum(-1).max()
print(f"document {doc_i}: {text[: eq + 3]!r}")
fig, axes = subplots(1, 2, width=10, height=3.4)
for j, ax in enumerate(axes):
    im = ax.imshow(attn[j], aspect="auto", cmap="viridis", norm=matplotlib.colors.PowerNorm(0.5, 0, float(attn.max())))
    ax.axvspan(digits.start - 0.5, digits.stop - 0.5, fill=False, edgecolor="red", lw=1.5, label="definition digits")
    ax.axvspan(alias_span.start - 0.5, alias_span.stop - 0.5, fill=False, edgecolor="orange", lw=1.5, label="alias")
    ax.set_xticks(range(eq + 2), list(text[: eq + 2]), fontsize=5)
    ax.grid(False)
    label(ax, f"Attention of the token that predicts answer digit {j + 1}", "earlier position (its character)", "layer")
fig.colorbar(im, ax=axes, label="attention weight, mean over heads")
show(fig)
other_digits = torch.tensor([c.isdigit() for c in text[: eq + 2]]).index_fill(0, torch.arange(digits.start, digits.stop), False)
for l in range(cfg.n_layers):
    print(f"layer {l}: on the definition's digits {attn[0, l, digits].sum():.2f} (best head {best_head[0, l]:.2f}) and "
          f"{attn[1, l, digits].sum():.2f} (best head {best_head[1, l]:.2f}); on other digits {attn[0, l, other_digits].sum():.2f}; "
          f"on the alias {attn[:, l, alias_span].sum(-1).max():.2f}")

# %% [markdown] id="attention-picture-observations"
# **What we see.** (Document 4 of the held-out set: `L=79;` at position 6, the alias `F=L;` at 56, the query `?F=` at 75.) The answer is read straight from the cache, 70 positions back: in the **last layer**, 0.45 of the `=` token's attention (averaged over heads) lands on the definition's digits `79`, and one head puts 0.96 there; for the second digit, 0.42 and 0.85. Layer 0 also looks at digits (0.31 on these two), but it spreads as much again over the other digits of the document (0.33): it finds *digits*, not *the* digits. Layers 1-4 put at most 0.06 on them and most of their weight on the query's own `?` (the bright column on the right). The alias gets at most 0.03 in every layer: the answer tokens never look at it, so the hop from `F` to `L` was made earlier, by other tokens whose states the answer reads. Whatever the mechanism, every fact the answer needs lives in K and V of tokens tens of positions back — which is why evicting or approximating cache entries (the next two notebooks) can cost exactly these answers.

# %% [markdown] id="decode-background"
# ## Exercise 2 — greedy decoding with a KV cache (2 points)
#
# Greedy decoding picks $\arg\max$ of the next-token logits, appends it, and repeats. **Implement** `greedy_generate(model, prompt, n_new, use_cache=True)` (keep the signature: `use_cache` defaults to `True`, so a call without it decodes with the cache) for a prompt of shape `(B, T)` (long, `T >= 1`), returning the `(B, n_new)` new tokens as a long tensor (`n_new = 0`: an empty `(B, 0)` tensor). Leave `prompt` unchanged.
#
# - `use_cache=False`: at every step run `model(seq)` on the whole sequence so far and take the last position's logits.
# - `use_cache=True`: *prefill* once, `logits, cache = model(prompt)`; then at every step feed **only the newest token**, `logits, cache = model(next_token[:, None], past=cache)`, which appends one position to every layer's K and V.
#
# Both must produce exactly the same tokens. When several tokens share the largest logit, pick the lowest token id (what `torch.argmax` returns).
#
# *Hint:* the first new token comes from the prefill's last logits; you need `n_new - 1` more cached steps.

# %% id="greedy-answer" nbgrader={"grade": false, "grade_id": "greedy-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
@torch.no_grad()
def greedy_generate(model, prompt: torch.Tensor, n_new: int, use_cache: bool = True) -> torch.Tensor:
    """The (B, n_new) tokens greedy decoding appends to `prompt` (B, T), with or without a KV cache."""
    ### BEGIN SOLUTION
    if n_new == 0:
        return prompt.new_empty((prompt.shape[0], 0))
    if not use_cache:
        seq = prompt
        for _ in range(n_new):
            logits, _ = model(seq)
            seq = torch.cat([seq, logits[:, -1].argmax(-1, keepdim=True)], dim=1)
        return seq[:, prompt.shape[1]:]
    logits, cache = model(prompt)
    out = [logits[:, -1].argmax(-1)]
    for _ in range(n_new - 1):
        logits, cache = model(out[-1][:, None], past=cache)
        out.append(logits[:, -1].argmax(-1))
    return torch.stack(out, dim=1)
    ### END SOLUTION


# %% id="greedy-tests" nbgrader={"grade": true, "grade_id": "greedy-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
prompt = heldout_batch(2)[:, :40]
a = greedy_generate(model, prompt, 12, use_cache=True)
b = greedy_generate(model, prompt, 12, use_cache=False)
assert a.shape == (2, 12) and a.dtype == torch.long, f"expected a (2, 12) long tensor, got {tuple(a.shape)} {a.dtype}"
assert torch.equal(a, b), f"cached and uncached decoding differ:\n{decode(a[0])!r}\n{decode(b[0])!r}"
print("visible checks passed:", repr(decode(prompt[0])), "->", repr(decode(a[0])))
### BEGIN HIDDEN TESTS
from utils.testing import assert_defaults, assert_unchanged, assert_values


class _Spy(torch.nn.Module):
    """Wraps the model and records the length of every input and of the cache it came with."""
    def __init__(self, inner):
        super().__init__()
        self.inner, self.lengths, self.pasts = inner, [], []
    def forward(self, idx, past=None, **kw):
        self.lengths.append(idx.shape[1])
        self.pasts.append(0 if past is None else past[0][0].shape[2])
        return self.inner(idx, past=past, **kw)


class _TiedCounter(torch.nn.Module):
    """A fake model with a one-layer cache of the tokens seen: after tokens x_0..x_t, the logits are largest,
    and tied, at (sum x) % 11 and (sum x + 4) % 11, so greedy decoding must take the lower of the two."""
    def forward(self, idx, past=None):
        seen = idx.to(torch.float64)[:, None, :, None]
        if past is not None:
            seen = torch.cat([past[0][0], seen], dim=2)
        total = seen[:, 0, :, 0].cumsum(1)[:, -idx.shape[1]:].long()  # (B, T): sum of the tokens so far
        logits = torch.zeros(*idx.shape, 11, dtype=torch.float64)
        logits.scatter_(2, (total % 11)[..., None], 1.0).scatter_(2, ((total + 4) % 11)[..., None], 1.0)
        return logits, [(seen, seen)]


def _counter_reference(prompt, n_new):  # the same rule in plain Python
    out = []
    for row in prompt.tolist():
        seq, new = list(row), []
        for _ in range(n_new):
            s = sum(seq)
            new.append(min(s % 11, (s + 4) % 11))
            seq.append(new[-1])
        out.append(new)
    return torch.tensor(out, dtype=torch.long).view(len(out), n_new)


assert_defaults(greedy_generate, use_cache=True)  # the signature the statement gives
# independent reference: recompute from scratch, appending by hand
p = heldout_batch(3)[:, 7:50]
seq = p.clone()
with torch.no_grad():
    for _ in range(9):
        seq = torch.cat([seq, model(seq)[0][:, -1:].argmax(-1)], dim=1)
ref = seq[:, p.shape[1]:]
for use_cache in (True, False):
    spy = _Spy(model)
    got = assert_unchanged(greedy_generate, spy, p, 9, use_cache=use_cache)  # must not write into the prompt
    assert_values(got, ref, what=f"greedy_generate(use_cache={use_cache}): the tokens of recomputing from scratch")
    if use_cache:
        assert spy.lengths == [p.shape[1]] + [1] * 8, f"prefill once, then one token per step; inputs had lengths {spy.lengths}"
        assert spy.pasts == [0] + list(range(p.shape[1], p.shape[1] + 8)), f"the cache must grow by one each step: {spy.pasts}"
    else:
        assert spy.lengths == list(range(p.shape[1], p.shape[1] + 9)) and set(spy.pasts) == {0}, \
            f"without a cache, feed the whole sequence each step; inputs had lengths {spy.lengths}"
spy = _Spy(model)  # no use_cache argument: the default decodes with the cache
assert_values(assert_unchanged(greedy_generate, spy, p, 9), ref, what="greedy_generate(model, prompt, 9) (default use_cache)")
assert spy.lengths == [p.shape[1]] + [1] * 8, \
    f"called without use_cache, greedy_generate must use the cache (the default is True); inputs had lengths {spy.lengths}"
# edge cases: one new token, a one-token prompt, no new tokens
for use_cache in (True, False):
    one = greedy_generate(model, p, 1, use_cache=use_cache)
    assert_values(one, ref[:, :1], what=f"n_new=1 (use_cache={use_cache})")
    short = p[:2, :1]
    with torch.no_grad():
        first = model(short)[0][:, -1].argmax(-1)
        second = model(torch.cat([short, first[:, None]], 1))[0][:, -1].argmax(-1)
    assert_values(greedy_generate(model, short, 2, use_cache=use_cache), torch.stack([first, second], 1),
                  what=f"a prompt of length 1 (use_cache={use_cache})")
    assert_values(greedy_generate(model, p, 0, use_cache=use_cache), torch.zeros(3, 0, dtype=torch.long),
                  what=f"n_new=0 (use_cache={use_cache}): an empty (B, 0) long tensor")
# ties go to the lowest token id, and the cache must carry every earlier token
fake_prompt = torch.tensor([[3, 1, 4], [1, 5, 9], [0, 0, 0]])
for use_cache in (True, False):
    got = assert_unchanged(greedy_generate, _TiedCounter(), fake_prompt, 12, use_cache=use_cache)
    assert_values(got, _counter_reference(fake_prompt, 12),
                  what=f"tied logits (use_cache={use_cache}): pick the lowest token id, as torch.argmax does")
### END HIDDEN TESTS

# %% [markdown] id="cost-background"
# ## Exercise 3 — what the cache saves, counted (derive, then predict; 2 points)
#
# This one has no code in its hint: derive the two formulas on paper first. Decode exactly as in Exercise 2, with a batch of one: a prompt of $P \ge 1$ tokens, $n \ge 0$ new tokens. **Without the cache** there are $n$ forward calls, on $P, P+1, \dots, P+n-1$ tokens. **With the cache** there is one prefill call on the $P$ prompt tokens, then $n - 1$ calls on one token each, each after a cache holding every earlier token ($n = 0$: no call at all). Count, summed over all calls:
#
# - **token passes**: the tokens fed through the network (a call on $m$ tokens counts $m$, whatever the cache holds);
# - **query–key products**, per layer and per head: a call computes, for each token it feeds, at position $t$ (counting from 0), one product $q_t^\top k_s$ with the key of every position $s \le t$ (cached or new; the causal pairs only, the masked ones are not counted).
#
# **Implement** `decode_cost(prompt_len, n_new, use_cache)` returning the pair `(token_passes, qk_products)` as a tuple of two Python `int`s, exact. The tests use sizes up to $10^{12}$ (where a loop over the decoding steps would run for hours and a float loses the last digits: use integer arithmetic), as well as $P = 1$ and $n \in \{0, 1\}$. Raise a `ValueError` if `prompt_len < 1` or `n_new < 0`.
#
# *Hint:* count one call first — $m$ new tokens after $c$ cached ones — as a sum over its tokens; then sum over the calls and look for sums of consecutive integers. Check your formulas by hand on $P = 1, n = 2$ (no cache: calls on 1 and 2 tokens) before you code them.
#
# **Predict, then check.** For Experiment 1's setting ($P = 128$, 256 new tokens), by what factor does the cache cut the token passes, and the query–key products? Is the measured speed-up as large? The cell after the timing prints your counts next to it.

# %% id="cost-answer" nbgrader={"grade": false, "grade_id": "cost-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def decode_cost(prompt_len: int, n_new: int, use_cache: bool) -> tuple[int, int]:
    """(token passes, query-key products per layer and head) of greedy decoding n_new tokens after prompt_len."""
    ### BEGIN SOLUTION
    if prompt_len < 1 or n_new < 0:
        raise ValueError(f"prompt_len must be >= 1 and n_new >= 0, got {prompt_len}, {n_new}")
    if n_new == 0:
        return 0, 0
    last = prompt_len + n_new - 1  # the longest sequence ever fed: the last new token is never fed back
    if use_cache:
        # every position 0..last-1 is fed exactly once and attends to itself and all before it
        return last, last * (last + 1) // 2
    # call i feeds P + i tokens (sum of an arithmetic series); a call on m tokens has m (m + 1) / 2 causal pairs,
    # and sum_{m=1}^{M} m (m + 1) / 2 = M (M + 1) (M + 2) / 6
    passes = n_new * prompt_len + n_new * (n_new - 1) // 2
    tetra = lambda m: m * (m + 1) * (m + 2) // 6
    return passes, tetra(last) - tetra(prompt_len - 1)
    ### END SOLUTION


# %% id="cost-tests" nbgrader={"grade": true, "grade_id": "cost-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
got = decode_cost(1, 2, use_cache=False)
assert isinstance(got, tuple) and len(got) == 2 and all(type(x) is int for x in got), f"return a tuple of two ints, got {got!r}"
assert got == (3, 4), f"P = 1, n = 2 without the cache: calls on 1 and 2 tokens = 3 passes, 1 + (1 + 2) = 4 products; got {got}"
assert decode_cost(1, 2, use_cache=True) == (2, 3), "P = 1, n = 2 with the cache: prefill 1 token (1 product), then 1 token at position 1 (2 products)"
print("visible checks passed")
### BEGIN HIDDEN TESTS
import signal as _signal

from utils.testing import assert_raises


def _cost_by_calls(P, n, use_cache):  # independent: list the forward calls, count every (t, s) pair one by one
    calls = [(0, P + i) for i in range(n)] if not use_cache else ([(0, P)] if n else []) + [(P + j - 1, 1) for j in range(1, n)]
    passes = sum(m for _, m in calls)
    products = sum(1 for c, m in calls for t in range(c, c + m) for _ in range(t + 1))
    return passes, products


def _cost_by_comb(P, n, use_cache):  # independent closed form: binomial coefficients, exact ints
    if n == 0:
        return 0, 0
    T = P + n - 1
    if use_cache:
        return T, math.comb(T + 1, 2)
    return math.comb(T + 1, 2) - math.comb(P, 2), math.comb(T + 2, 3) - math.comb(P + 1, 3)


def _in_time(fn, *args, seconds=3):  # a loop over 10**12 steps must fail, not hang the grader
    if not hasattr(_signal, "SIGALRM"):
        return fn(*args)
    def _stop(*_):
        raise AssertionError(f"decode_cost{args} takes longer than {seconds} s: derive the closed form, do not loop over the steps")
    old = _signal.signal(_signal.SIGALRM, _stop)
    _signal.alarm(seconds)
    try:
        return fn(*args)
    finally:
        _signal.alarm(0)
        _signal.signal(_signal.SIGALRM, old)


def _check(P, n, use_cache, want):
    got = _in_time(decode_cost, P, n, use_cache)
    assert isinstance(got, tuple) and len(got) == 2 and all(type(x) is int for x in got), \
        f"decode_cost({P}, {n}, use_cache={use_cache}) must return a tuple of two ints, got {got!r}"
    assert got == want, f"decode_cost({P}, {n}, use_cache={use_cache}): expected (passes, products) = {want}, got {got}"


for P in (1, 2, 3, 7, 40):
    for n in (0, 1, 2, 3, 5, 17):
        for use_cache in (True, False):
            _check(P, n, use_cache, _cost_by_calls(P, n, use_cache))
for P, n in [(128, 256), (1, 10**12), (10**12, 1), (10**12, 10**12), (999_999_999_989, 123_456_789_013), (2, 10**6 + 1)]:
    for use_cache in (True, False):
        _check(P, n, use_cache, _cost_by_comb(P, n, use_cache))
# the counts follow the model's own calls: spy on a cached decode of the real model (6 new tokens after 9)
_calls = []
_spy_model = lambda idx, past=None: (_calls.append((0 if past is None else past[0][0].shape[2], idx.shape[1])), model(idx, past=past))[1]
_prompt = heldout_batch(1)[:, :9]
with torch.no_grad():
    _logits, _cache = _spy_model(_prompt)
    for _ in range(5):
        _logits, _cache = _spy_model(_logits[:, -1:].argmax(-1), past=_cache)
assert _calls == [(0, 9)] + [(9 + j, 1) for j in range(5)], _calls
assert decode_cost(9, 6, True) == (sum(m for _, m in _calls), sum(t + 1 for c, m in _calls for t in range(c, c + m)))
for bad in [(0, 3), (-2, 3), (5, -1), (0, 0)]:
    for use_cache in (True, False):
        assert_raises(ValueError, decode_cost, *bad, use_cache)
### END HIDDEN TESTS

# %% [markdown] id="equal-intro"
# ## Experiment 1 — the same tokens, faster
#
# **Where the paper says it.** This experiment reproduces no figure: both papers of the module take the cache for granted. It checks the two facts they build on: caching keys and values changes the cost of decoding and not its result (the reason the cache exists at all), and each cached step still reads every earlier key (why the cache's size sets the speed, which MiniCache's abstract puts as the cache growing linearly with sequence length).
#
# First the correctness claim on held-out documents: for each prompt (the first two chunks of a document, 128 characters), decode `MAX_NEW` characters with and without the cache and compare token by token. Then time both as the number of new tokens grows. Without the cache step $t$ is a forward pass over $128 + t$ tokens; with it, over one.

# %% id="equal-run"
prompts = heldout_batch(N_CHECK)[:, : 2 * CHUNK_LEN]
a = greedy_generate(model, prompts, MAX_NEW, use_cache=True)  # the whole batch at once
b = greedy_generate(model, prompts, MAX_NEW, use_cache=False)
n_equal = int((a == b).all(dim=1).sum())
print(f"{n_equal}/{N_CHECK} prompts: identical {MAX_NEW}-token generations")
print("sample continuation:", repr(decode(a[0, :120])))

# %% id="timing-run"
lengths = [n for n in (16, 32, 64, 128, 256, 384) if n <= MAX_NEW]
prompt = prompts[:1]
seconds = {"no cache": [], "KV cache": []}
for n in progress(lengths, desc="timing"):
    for name, flag in (("no cache", False), ("KV cache", True)):
        best = math.inf
        for _ in range(2 if n <= 128 else 1):
            t0 = time.perf_counter()
            greedy_generate(model, prompt, n, use_cache=flag)
            best = min(best, time.perf_counter() - t0)
        seconds[name].append(best)
speedup = {n: a / b for n, a, b in zip(lengths, seconds["no cache"], seconds["KV cache"])}
for n in lengths:
    i = lengths.index(n)
    print(f"{n:4d} new tokens: no cache {n / seconds['no cache'][i]:7.0f} tok/s   KV cache {n / seconds['KV cache'][i]:7.0f} tok/s   speed-up {speedup[n]:5.1f}x")

fig, ax = subplots()
for name, ys in seconds.items():
    ax.plot(lengths, [n / s for n, s in zip(lengths, ys)], marker="o", label=name)
label(ax, "Greedy decoding throughput (prompt of 128 characters, 1 thread)", "new tokens generated", "tokens per second")
show(fig)


# %% [markdown] id="timing-observations"
# **What we see.** The cached decoder's throughput stays flat as the sequence grows — every step is one token through the network — while the uncached one slows down, because step $t$ re-runs all $128 + t$ tokens. The ratio therefore grows with length: in our runs about 3x at 16 new tokens and about 5x at 256 (one thread, a shared machine; your figures will differ). It is smaller than the 8x of the module's first trial because our model is tiny: a one-token step is dominated by Python and kernel-launch overhead, not arithmetic, which caps the cached speed.

# %% [markdown] id="cost-check-intro"
# **Check your prediction** (Exercise 3): the counts for the prompt of 128 characters, next to the speed-up just measured.

# %% id="cost-check"
n_show = 256 if 256 in speedup else lengths[-1]
(pass_none, qk_none), (pass_cache, qk_cache) = (decode_cost(prompt.shape[1], n_show, flag) for flag in (False, True))
print(f"{n_show} new tokens after {prompt.shape[1]}: token passes {pass_none:,} without the cache, {pass_cache:,} with it "
      f"({pass_none / pass_cache:.0f}x fewer); query-key products per layer and head {qk_none:,} and {qk_cache:,} "
      f"({qk_none / qk_cache:.0f}x fewer); measured speed-up {speedup[n_show]:.1f}x")

# %% [markdown] id="cost-check-observations"
# **What it shows.** At 256 new tokens the cache feeds 383 tokens through the network instead of 65,408 (171x fewer) and computes 73,536 query–key products per layer and head instead of 9,087,616 (124x fewer), yet decoding is only a few times faster here (between 4x and 8x in our full runs of seeds 0-4 on a shared machine; the claim check prints yours). A one-token step of this 1.2M-parameter model costs far more than its arithmetic: Python, the layer-by-layer dispatch of small kernels and the growing `torch.cat` of the cache dominate, and those do not shrink with the cache. On a large model the arithmetic (and the memory traffic it implies) dominates and the saving comes much closer to the counts.

# %% [markdown] id="memory-background"
# ## The memory bill
#
# Each layer stores one key and one value vector per head per token. For $L$ layers, $H_{kv}$ key/value heads of size $d_h$, $T$ tokens, a batch of $B$ sequences and $b$ bytes per number:
#
# $$M = 2 \cdot L \cdot H_{kv} \cdot d_h \cdot T \cdot B \cdot b \ \text{bytes}.$$
#
# For LLaMA-2-7B ($L=32$, $H_{kv}=32$, $d_h=128$) in fp16 that is 0.5 MB per token — 2 GiB for one 4096-token sequence, a sixth of the 12.6 GiB of weights. The cache grows with every token and every concurrent request, which is why the rest of this module compresses it (MiniCache: across depth, and in precision) and reuses it (Cache-Craft: across requests).
#
# ## Exercise 4 — cache memory accounting (2 points)
#
# **Implement** `kv_cache_bytes(n_layers, n_kv_heads, head_dim, seq_len, batch=1, bytes_per_value=2.0)` returning $M$ as a Python `float` (a fractional `bytes_per_value` such as 0.5 for 4-bit must work). The five sizes are ints; 0 is allowed (an empty cache holds 0 bytes). Raise a `ValueError` if any of the five sizes is negative or if `bytes_per_value <= 0`.
#
# *Hint:* don't forget that there is a K **and** a V.

# %% id="bytes-answer" nbgrader={"grade": false, "grade_id": "bytes-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def kv_cache_bytes(n_layers: int, n_kv_heads: int, head_dim: int, seq_len: int, batch: int = 1,
                   bytes_per_value: float = 2.0) -> float:
    """Bytes held by a KV cache: 2 (K and V) x layers x kv-heads x head size x tokens x batch x bytes."""
    ### BEGIN SOLUTION
    if min(n_layers, n_kv_heads, head_dim, seq_len, batch) < 0 or bytes_per_value <= 0:
        raise ValueError("sizes must be >= 0 and bytes_per_value > 0")
    return float(2 * n_layers * n_kv_heads * head_dim * seq_len * batch * bytes_per_value)
    ### END SOLUTION


# %% id="bytes-tests" nbgrader={"grade": true, "grade_id": "bytes-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
assert kv_cache_bytes(1, 1, 1, 1, 1, 1) == 2.0, "one layer, one head, one number, one token: a key and a value = 2 bytes"
llama = kv_cache_bytes(32, 32, 128, 4096, 1, 2)
assert llama == 2 * 1024**3, f"LLaMA-2-7B, 4096 tokens, fp16 is 2 GiB, got {llama / 1024**3:.3f} GiB"
print("visible checks passed")
### BEGIN HIDDEN TESTS
import random as _random
from fractions import Fraction

from utils.testing import assert_raises, assert_values

# independent: count the bytes of a real cache from the model, in fp32 and in fp16
for B, T in [(1, 1), (1, 5), (3, 20)]:
    with torch.no_grad():
        _, pres = model(heldout_batch(B)[:, :T])
    real = sum(t.numel() * t.element_size() for kv in pres for t in kv)
    assert_values(kv_cache_bytes(cfg.n_layers, cfg.n_heads, cfg.head_dim, T, B, 4), float(real),
                  what=f"the bytes of the model's fp32 cache for B={B}, T={T}")
    half = sum(t.half().numel() * t.half().element_size() for kv in pres for t in kv)
    assert_values(kv_cache_bytes(cfg.n_layers, cfg.n_heads, cfg.head_dim, T, B, 2), float(half),
                  what=f"the bytes of the model's fp16 cache for B={B}, T={T}")
# exact arithmetic: the product of the counts, times the bytes per value
rng = _random.Random(12)
for _ in range(40):
    sizes = [rng.randrange(0, 200) for _ in range(5)]
    b = rng.choice([0.25, 0.5, 1, 1.5, 2, 4, 0.3, 0.7])
    exact = float(2 * math.prod(sizes) * Fraction(b))
    got = kv_cache_bytes(*sizes, bytes_per_value=b)
    assert isinstance(got, float), f"return a float, got {type(got).__name__}"
    assert_values(got, exact, rtol=1e-13, atol=0.0, what=f"kv_cache_bytes{(*sizes, b)}")
assert_values(kv_cache_bytes(32, 8, 128, 1000, 2, 0.5), 2.0 * 32 * 8 * 128 * 1000 * 2 * 0.5, rtol=0.0, atol=0.0,
              what="32 layers, 8 kv-heads, 128 dims, 1000 tokens, batch 2, 4-bit")
assert_values(kv_cache_bytes(2, 3, 4, 5), 2.0 * 2 * 3 * 4 * 5 * 2, rtol=0.0, atol=0.0, what="defaults batch=1, fp16")
for i in range(5):  # 0 is a valid size for each of them
    sizes = [2, 3, 4, 5, 6]
    sizes[i] = 0
    got = kv_cache_bytes(*sizes)
    assert isinstance(got, float) and got == 0.0, f"a size of 0 gives 0.0 bytes, got {got!r} for {sizes}"
names = ["n_layers", "n_kv_heads", "head_dim", "seq_len", "batch"]
for name in names:  # every size is validated
    kw = dict(n_layers=2, n_kv_heads=2, head_dim=4, seq_len=3, batch=2, bytes_per_value=2.0)
    kw[name] = -1
    assert_raises(ValueError, kv_cache_bytes, **kw)
for bad in (0, 0.0, -0.5, -2):
    assert_raises(ValueError, kv_cache_bytes, 2, 2, 4, 3, 1, bad)
### END HIDDEN TESTS

# %% [markdown] id="gqa-background"
# ## Exercise 5 — grouped-query attention (2 points)
#
# Grouped-query attention (GQA, Ainslie et al. 2023, arXiv:2305.13245) keeps all $H$ query heads but only $H_{kv} = H / g$ key/value heads: query heads $h = j g, \dots, j g + g - 1$ share K/V head $j$. The cache shrinks by the group size $g$. At attention time each K/V head is expanded to serve its group.
#
# **Implement** `repeat_kv(kv, n_rep)` for an int `n_rep >= 1`: from `(B, H_kv, T, d)` to `(B, H_kv * n_rep, T, d)` where output head `h` is input head `h // n_rep`. Return a new tensor of `kv`'s dtype that shares no memory with `kv` — not `kv` itself and not a view of it, also for `n_rep = 1` (then a copy) — leave `kv` unchanged, and keep it differentiable (gradients flow back to `kv`: GQA layers are trained through it).
#
# *Hint:* `torch.repeat_interleave` along dim 1 — not `tensor.repeat`, which tiles the heads in the wrong order.

# %% id="gqa-answer" nbgrader={"grade": false, "grade_id": "gqa-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def repeat_kv(kv: torch.Tensor, n_rep: int) -> torch.Tensor:
    """Expand (B, H_kv, T, d) to (B, H_kv * n_rep, T, d): query head h reads K/V head h // n_rep."""
    ### BEGIN SOLUTION
    return torch.repeat_interleave(kv, n_rep, dim=1)
    ### END SOLUTION


# %% id="gqa-tests" nbgrader={"grade": true, "grade_id": "gqa-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
kv = torch.arange(2.0).view(1, 2, 1, 1)
r = repeat_kv(kv, 3)
assert r.shape == (1, 6, 1, 1), f"expected shape (1, 6, 1, 1), got {tuple(r.shape)}"
assert r.flatten().tolist() == [0, 0, 0, 1, 1, 1], f"heads 0-2 read kv head 0, heads 3-5 kv head 1; got {r.flatten().tolist()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_fresh, assert_grads_match, assert_unchanged, assert_values


def _gather_heads(kv, n):  # independent: index the heads with h // n
    return kv[:, torch.arange(kv.shape[1] * n) // n]


g = torch.Generator().manual_seed(5)
for B, Hkv, T, d, n in [(1, 1, 1, 1, 1), (1, 1, 3, 2, 5), (2, 2, 5, 4, 4), (1, 4, 7, 8, 2), (3, 3, 2, 6, 3), (2, 3, 4, 2, 1)]:
    kv = torch.randn(B, Hkv, T, d, generator=g, dtype=torch.float64)
    got = assert_unchanged(repeat_kv, kv, n)
    assert_values(got, _gather_heads(kv, n), what=f"repeat_kv of shape {(B, Hkv, T, d)} with n_rep={n}")
    assert_fresh(got, kv, what=f"repeat_kv(kv, n_rep={n}) (a new tensor: not kv, not a view of it)")
    for h in range(Hkv * n):
        assert torch.equal(got[:, h], kv[:, h // n]), f"head {h} must read kv head {h // n}"
    assert_grads_match(lambda x: repeat_kv(x, n), lambda x: _gather_heads(x, n), kv, what=f"repeat_kv(n_rep={n})")
# GQA attention equals per-group attention computed head by head
q = torch.randn(1, 4, 1, 8, generator=g, dtype=torch.float64)
k, v = (torch.randn(1, 2, 6, 8, generator=g, dtype=torch.float64) for _ in range(2))
out = F.scaled_dot_product_attention(q, repeat_kv(k, 2), repeat_kv(v, 2))
for h in range(4):
    ref = F.scaled_dot_product_attention(q[:, h : h + 1], k[:, h // 2 : h // 2 + 1], v[:, h // 2 : h // 2 + 1])
    assert_values(out[:, h : h + 1], ref, what=f"GQA attention of query head {h}")
kv32 = torch.randn(2, 2, 3, 4, generator=g)
assert_values(repeat_kv(kv32, 3), _gather_heads(kv32, 3), what="float32 input")
for n in (1, 2):  # a non-contiguous kv (a transposed view) must give a fresh tensor too
    kvt = torch.randn(2, 5, 3, 4, generator=g, dtype=torch.float64).transpose(1, 2)
    got = assert_unchanged(repeat_kv, kvt, n)
    assert_values(got, _gather_heads(kvt, n), what=f"a non-contiguous kv, n_rep={n}")
    assert_fresh(got, kvt, what=f"repeat_kv of a non-contiguous kv, n_rep={n}")
### END HIDDEN TESTS

# %% [markdown] id="memory-intro"
# ## Experiment 2 — where the bytes go
#
# **Where the paper says it.** No figure of a paper either: this is the arithmetic behind the motivation of both papers (MiniCache's abstract: the cache grows linearly with sequence length and limits long contexts; its 5.02x is measured against the fp16 full cache of LLaMA-2-7B, the second line below). The GQA line is the cache reduction of Ainslie et al. (2023), whose point is that $H_{kv} < H$ divides the cache by the group size (as we read it).
#
# We check the formula against the bytes our model's cache really holds, then compare a few configurations as the context grows: our model in fp32, LLaMA-2-7B (multi-head attention) in fp16, the same shape with grouped-query attention (8 K/V heads, as in LLaMA-2-70B and LLaMA-3) and with a 4-bit cache.

# %% id="memory-run"
with torch.no_grad():
    _, pres = model(prompts[:1])
real_bytes = sum(t.numel() * t.element_size() for kv in pres for t in kv)
formula_bytes = kv_cache_bytes(cfg.n_layers, cfg.n_heads, cfg.head_dim, prompts.shape[1], 1, 4)
print(f"our model, {prompts.shape[1]} tokens, fp32: measured {real_bytes:,} bytes, formula {formula_bytes:,.0f} bytes")
print(f"  per token: {real_bytes / prompts.shape[1] / 1024:.1f} KiB; weights: {n_params * 4 / 1024**2:.1f} MiB")

configs = {
    "LLaMA-2-7B, MHA, fp16": (32, 32, 128, 2.0),
    "same, GQA 8 kv-heads, fp16": (32, 8, 128, 2.0),
    "same, MHA, 4-bit (= GQA 8, fp16)": (32, 32, 128, 0.5),
    "same, GQA 8, 4-bit": (32, 8, 128, 0.5),
}
tokens = [2**k for k in range(8, 18)]
fig, ax = subplots()
# two of the four lines coincide (8 kv-heads x 2 bytes = 32 heads x 0.5 bytes): distinct markers and
# dashes keep both visible
for (name, (L_, H_, D_, b_)), style in zip(configs.items(), [("o", "-"), ("s", "-"), ("x", "--"), ("^", "-")]):
    ax.loglog(tokens, [kv_cache_bytes(L_, H_, D_, t, 1, b_) / 1024**3 for t in tokens], marker=style[0],
              ls=style[1], ms=5, mfc="none", label=name)
weights_7b = 6.74e9 * 2  # LLaMA-2-7B parameters in fp16, bytes
ax.axhline(weights_7b / 1024**3, color="gray", ls="--", lw=1, label="LLaMA-2-7B weights (fp16)")
label(ax, "KV cache size for one sequence", "context length (tokens)", "GiB")
show(fig)
for name, (L_, H_, D_, b_) in configs.items():
    print(f"{name:28s}: {kv_cache_bytes(L_, H_, D_, 4096, 1, b_) / 1024**3:6.3f} GiB at 4096 tokens, "
          f"as large as the weights at {weights_7b / kv_cache_bytes(L_, H_, D_, 1, 1, b_):,.0f} tokens")
gqa_ratio = kv_cache_bytes(32, 32, 128, 4096) / kv_cache_bytes(32, 8, 128, 4096)

# %% [markdown] id="claim-intro"
# ## Claim check
#
# Measured above, next to the claims. Identity and memory are asserted. Speed is **reported, not asserted**: with one torch thread (the course's default) the cache was 4.1x-8.7x faster at 256 tokens over seeds 0-4 in one sweep and 5.6x-5.9x in a later one (4.0x-4.3x with two threads on a quiet machine), but with two threads on a busy two-core machine one run measured 0.9x, because one-token steps are so small that a waiting thread pool costs more than the cache saves. The trial run that motivated this module measured about 8x at 256 tokens.

# %% id="claim-check" tags=["claim-check"]
claim("identical", paper="a KV cache changes the cost of decoding, not its result",
      here=f"{n_equal}/{N_CHECK} greedy generations of {MAX_NEW} tokens identical", checks=[equal(n_equal, N_CHECK)])
n_fast = 256 if 256 in speedup else lengths[-1]
claim("faster", paper="several times faster at a few hundred tokens (about 8x at 256 in our first trial)",
      here=f"{speedup[n_fast]:.1f}x at {n_fast} new tokens"
      + (f", {speedup[lengths[-1]]:.1f}x at {lengths[-1]}" if lengths[-1] != n_fast else ""),
      checks=[above(speedup[n_fast], 3.0)], smoke=SMOKE, asserted=False,
      why_reported="a speed-up depends on the machine and its load, see the note above")
claim("memory", paper="M = 2 L H_kv d_h T B bytes; GQA with 8 of 32 heads divides it by 4",
      here=f"formula {formula_bytes:,.0f} B = measured {real_bytes:,} B; GQA ratio {gqa_ratio:.0f}x",
      checks=[equal(formula_bytes, real_bytes), equal(gqa_ratio, 4)])

# %% [markdown] id="reflect"
# ## Reflect
#
# Answer each question in the cell below it, in a few sentences. These answers are graded by hand (1 point each).
#
# 1. From Experiment 2: how many tokens does it take for our model's fp32 cache to be as large as its weights, and for LLaMA-2-7B's fp16 cache of one sequence? What changes when a server decodes 16 sequences at once, and what do 8 K/V heads and a 4-bit cache buy?

# %% [markdown] id="reflect-bill" nbgrader={"grade": true, "grade_id": "reflect-bill", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** Our model stores $2 \cdot 6 \cdot 4 \cdot 32 \cdot 4 = 6144$ bytes (6.0 KiB) per token against 4.6 MiB of weights (1.2M fp32 parameters), so its cache outgrows the weights at about 780 tokens, three times the documents it was trained on. LLaMA-2-7B in fp16 stores $2 \cdot 32 \cdot 32 \cdot 128 \cdot 2$ bytes = 0.5 MiB per token: 2 GiB at 4096 tokens, as large as the 12.6 GiB of weights at about 25,700 tokens. The bill is linear in the batch: 16 sequences of 4096 tokens hold 32 GiB, far more than the weights, which are shared by all sequences while every sequence brings its own cache. GQA with 8 of 32 K/V heads and a 4-bit cache each divide it by 4 (0.5 GiB at 4096 tokens, weights reached at about 103,000 tokens); together by 16 (0.125 GiB, about 411,000 tokens).
#
# **Rubric (1 point).** 0.5: both crossover lengths from the formula or the printed table (about 780 and about 25,700 tokens). 0.5: the batch multiplies the cache but not the weights, and GQA-8 and 4 bits each divide it by 4 (16 together). Confusing bits with bytes (a factor 8) or forgetting the K *and* V factor 2 costs 0.5.
# ### END SOLUTION

# %% [markdown] id="reflect-bandwidth-question"
# 2. Prefill (the prompt) is processed in parallel, decoding one token at a time. Which of the two is limited by arithmetic and which by memory bandwidth, and why does the cache's size therefore matter for *speed*, not only capacity?

# %% [markdown] id="reflect-bandwidth" nbgrader={"grade": true, "grade_id": "reflect-bandwidth", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** Prefill multiplies every weight matrix by all $T$ prompt tokens at once (matrix-matrix products): each weight read from memory is used $T$ times, so it is limited by arithmetic. A decoding step processes one token per sequence (matrix-vector products): every weight and the whole cache are read once per step for about two floating-point operations per number read, so it is limited by memory bandwidth. The step time is then roughly (bytes of weights + bytes of cache) / bandwidth: a larger cache makes every step slower, and since the cache also caps how many sequences fit in memory, it limits the batch size that would share one read of the weights among many tokens. Compressing the cache (MiniCache) therefore buys throughput as well as capacity. Our tiny model on a CPU does not show this regime: its one-token steps are dominated by Python and kernel overhead.
#
# **Rubric (1 point).** 0.5: prefill compute-bound (matrix-matrix, weights reused across tokens), decoding memory-bound (matrix-vector, every weight and cached number read for a few operations). 0.5: each step reads the whole cache, so cache bytes add to step time, and the cache limits the batch that amortises the weight reads. Saying "decoding is slow because it is sequential" without the bandwidth argument earns 0.
# ### END SOLUTION

# %% [markdown] id="reflect-tradeoff-question"
# 3. GQA shrinks the cache at training time (the model is trained with fewer K/V heads). MiniCache and quantisation shrink it after training. What does each give up?

# %% [markdown] id="reflect-tradeoff" nbgrader={"grade": true, "grade_id": "reflect-tradeoff", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** GQA is part of the architecture: query heads of a group must share one key/value head, which removes some capacity (fewer distinct key/value subspaces), and it needs training (or uptraining an existing model) with that constraint. In exchange it is exact at inference: the model was trained with the small cache, so nothing is approximated when it runs. MiniCache and quantisation are training-free and apply to any trained model, but they approximate the cache the model was trained to read: merging assumes neighbouring layers are similar (wrong where they are not, as merging layers 0-1 shows in the next notebook), quantisation adds rounding error that grows as bits fall, and both store overheads (magnitudes, retained tokens, scales) and cost compute to restore or dequantise. They can also be stacked on a GQA model.
#
# **Rubric (1 point).** 0.5: GQA gives up capacity/quality and needs (re)training, but adds no inference-time error. 0.5: post-training methods need no training but introduce approximation error the model never saw (premise-dependent for merging, bit-dependent for quantisation), plus metadata or compute overhead. An answer that says GQA "loses nothing" earns 0.5 at most.
# ### END SOLUTION

# %% [markdown] id="further-reading"
# **Further reading:** Pope et al., *Efficiently Scaling Transformer Inference* (2022, arXiv:2211.05102); Ainslie et al., *GQA* (2023, arXiv:2305.13245); Kwon et al., *PagedAttention / vLLM* (2023, arXiv:2309.06180).
