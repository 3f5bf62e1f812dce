# %% [markdown] id="card"
# # Welcome to Paper Lab: how a lesson works
#
# **Papers:** none — this lesson is the course's orientation; the modules that follow each rebuild a paper.
#
# **Learning objectives**
# - read a lesson's anatomy: card, parameters, background, build, experiment, claim check, reflect;
# - implement an exercise, run its visible checks, and know that hidden tests grade it;
# - run any notebook headlessly and fast with `SMOKE=True`.
#
# **Prerequisites:** Python and NumPy; a first look at PyTorch tensors.
#
# **Read ahead:** `paperlab preview 00_welcome/welcome` writes this lesson's experiments, executed, to `build/preview/` (answers and hidden tests removed), so you can see every figure before you solve anything.
#
# **Time:** 15 min
#
# **Points:** 11 (four autograded exercises, 2 points each; three written answers, 1 point each, graded by hand)
#
# **Claim:** a causal moving average is a convolution — the step-by-step loop and the convolution compute the same numbers, and the convolution is much faster on long signals. The SSM module builds on exactly this duality.

# %% [markdown] id="how-it-works"
# ## How a lesson works
#
# Every notebook has the same shape, so you always know where you are:
#
# 1. **Title card** (above): the paper, what you will learn, how long it takes, how many points.
# 2. **Parameters**: the one cell tagged `parameters`. `SMOKE = True` shrinks every size so that the whole notebook runs in seconds — CI uses it, and so can you while debugging. `SEED` makes every figure reproducible.
# 3. **Setup**: imports and a check that the parameters make sense.
# 4. **Background**: the math, next to the code that uses it.
# 5. **Build**: exercises. Each has a statement, an *answer cell* where you replace `raise NotImplementedError()` with your code, and a locked *test cell*. The test cell's visible checks run in front of you; when your instructor grades, **hidden tests** run too (random cases, edge cases, an independent reference), so make your function correct, not just green.
# 6. **Experiment**: the paper's claim in miniature, with a plot.
# 7. **Claim check**: one line, `paper: … | here: …`, with the figure measured on your machine.
# 8. **Reflect**: questions to think about, and further reading.
#
# **Running headlessly.** From a terminal in the course folder:
#
# ```bash
# paperlab run --smoke 00_welcome                   # the solution notebooks, into build/executed/
# paperlab run --which lessons --smoke 00_welcome   # your lessons: unfinished exercises are reported as such
# ```
#
# `papermill` executes a copy of the notebook with the parameters you give (`-p SMOKE True`) and never writes over your file.

# %% id="parameters" tags=["parameters"]
SMOKE = False  # True: tiny sizes, runs in seconds
SEED = 0
LENGTH = 200_000  # longest signal in the timing experiment

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math

import torch
import torch.nn.functional as F

from utils.common import above, at_least, below, best_time, claim, progress, setup_lesson
from utils.plotting import label, show, subplots

if SMOKE:
    LENGTH = min(LENGTH, 4_000)
generator = setup_lesson(SEED, SMOKE, LENGTH=(LENGTH, at_least(1_000)))


# %% [markdown] id="lse-background"
# ## Exercise 1 — a numerically stable log-sum-exp (2 points)
#
# Probabilities in every module live in log space: a softmax normaliser, a log-partition function $\log Z$, a sequence log-likelihood. All of them need
#
# $$\operatorname{LSE}(x) = \log \sum_i e^{x_i} = m + \log \sum_i e^{x_i - m}, \qquad m = \max_i x_i .$$
#
# The left form overflows as soon as some $x_i > 88$ in float32 (`exp(89) = inf`); the right form never does, because every $e^{x_i - m} \le 1$ and the largest term is exactly 1.
#
# **Implement** `logsumexp(x, dim=-1)` for a float tensor `x` of any shape, reducing over `dim` (the output drops that dimension).
# It must return the exact value for large entries (e.g. `[1000, 1000]` → `1000 + log 2`) and `-inf` (not `nan`) when every entry along `dim` is `-inf`.
# The result has the dtype of `x` (compute in that precision), stays differentiable (losses are built from it: its gradient is the softmax along `dim`), and `x` itself is left unchanged.
# Do not call `torch.logsumexp` — that is what the hidden tests compare against.
#
# *Hint:* compute the max with `keepdim=True`; replace a max of `-inf` by 0 before subtracting it.

# %% id="lse-answer" nbgrader={"grade": false, "grade_id": "lse-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def logsumexp(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """log(sum(exp(x))) over `dim`, stable for large and -inf entries; drops `dim`."""
    ### BEGIN SOLUTION
    m = x.max(dim=dim, keepdim=True).values
    m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))
    return (m + torch.log(torch.exp(x - m).sum(dim=dim, keepdim=True))).squeeze(dim)
    ### END SOLUTION


# %% id="lse-tests" nbgrader={"grade": true, "grade_id": "lse-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Visible checks: shapes and hand-computable values.
out = logsumexp(torch.zeros(3, 4))
assert out.shape == (3,), f"reduce over the last dimension: expected shape (3,), got {tuple(out.shape)}"
assert torch.allclose(out, torch.full((3,), math.log(4.0))), "LSE of four zeros is log 4"
big = logsumexp(torch.tensor([1000.0, 1000.0]))
assert torch.isfinite(big), "overflow: subtract the max before exponentiating"
assert abs(big.item() - (1000 + math.log(2))) < 1e-3, f"LSE([1000, 1000]) = 1000 + log 2, got {big.item()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_grads_match, assert_unchanged, assert_values, forbidden

with forbidden("torch.logsumexp", "torch.special.logsumexp"):  # the statement: do not call it
    logsumexp(torch.tensor([[0.5, -1.0, 2.0]], dtype=torch.float64), dim=1)
g = torch.Generator().manual_seed(1)
for shape, dim in [((5,), 0), ((1,), 0), ((4, 7), 1), ((4, 7), 0), ((2, 3, 5), 1), ((2, 3, 5), -1), ((3, 1), 1)]:
    x = torch.randn(*shape, generator=g, dtype=torch.float64) * 30
    got = assert_unchanged(logsumexp, x, dim=dim)  # must not write into x
    assert_values(got, torch.logsumexp(x, dim=dim), what=f"logsumexp of shape {shape} over dim={dim}")
    # differentiable: its gradient is the softmax along dim
    assert_grads_match(lambda t: logsumexp(t, dim=dim), lambda t: torch.logsumexp(t, dim=dim), x,
                       what=f"logsumexp over dim={dim}")
# the independent, exact formulation on moderate values, with ties and negative entries
x = torch.tensor([[0.5, -1.0, 2.0], [3.0, 3.0, -7.0]], dtype=torch.float64)
exact = torch.tensor([math.log(sum(math.exp(v) for v in row)) for row in x.tolist()], dtype=torch.float64)
assert_values(logsumexp(x, dim=1), exact, rtol=1e-12, atol=1e-12, what="logsumexp([[0.5, -1, 2], [3, 3, -7]])")
assert_values(logsumexp(-x * 40, dim=0), torch.logsumexp(-x * 40, dim=0), what="very negative entries")
ninf = logsumexp(torch.tensor([[-math.inf, -math.inf], [0.0, -math.inf]]), dim=1)
assert ninf[0].item() == -math.inf and ninf[1].item() == 0.0, f"all -inf gives -inf, got {ninf.tolist()}"
assert logsumexp(torch.tensor([88.0, 90.0, 95.0])).isfinite()
assert_values(logsumexp(torch.tensor([1.0, 2.0])), torch.logsumexp(torch.tensor([1.0, 2.0]), 0), what="float32 input")
# rows of very different scale: the max must be taken per row, along `dim`
rows = logsumexp(torch.tensor([[1000.0, 0.0], [-1000.0, -1001.0]], dtype=torch.float64), dim=1)
assert_values(rows, torch.tensor([1000.0, -1000.0 + math.log1p(math.exp(-1.0))], dtype=torch.float64),
              what="rows of very different scale")
### END HIDDEN TESTS

# %% [markdown] id="ma-background"
# ## Exercise 2 — a causal moving average, step by step (2 points)
#
# A causal filter sees only the past. The moving average with window $w$ is
#
# $$y_t = \frac{1}{n_t} \sum_{s=\max(0,\,t-w+1)}^{t} x_s, \qquad n_t = \min(t+1,\ w),$$
#
# i.e. the mean of the last $w$ values, or of all values so far while fewer than $w$ have arrived. A recurrence keeps a running sum: add $x_t$, subtract $x_{t-w}$ once it leaves the window. This is how an RNN — and an SSM in recurrent mode — consumes a sequence: one step at a time, constant memory.
#
# **Implement** `moving_average_loop(x, window)` for a 1-D float tensor `x` of length $L \ge 0$ and an int `window >= 1`; return a new tensor of the same shape and dtype (leave `x` unchanged; $L = 0$ gives an empty tensor). Use a Python loop over $t$ with a running sum.
# Raise a `ValueError` if `window < 1`.
#
# *Hint:* $y_0 = x_0$; with `window = 2`, $y = (x_0,\ (x_0+x_1)/2,\ (x_1+x_2)/2, \dots)$.

# %% id="ma-loop-answer" nbgrader={"grade": false, "grade_id": "ma-loop-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def moving_average_loop(x: torch.Tensor, window: int) -> torch.Tensor:
    """Causal moving average of a 1-D tensor with a running sum; same shape and dtype as `x`."""
    ### BEGIN SOLUTION
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    values = x.tolist()
    out = []
    running = 0.0
    for t, v in enumerate(values):
        running += v
        if t >= window:
            running -= values[t - window]
        out.append(running / min(t + 1, window))
    return torch.tensor(out, dtype=x.dtype)
    ### END SOLUTION


# %% id="ma-loop-tests" nbgrader={"grade": true, "grade_id": "ma-loop-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
y = moving_average_loop(torch.tensor([1.0, 3.0, 5.0, 7.0]), window=2)
assert y.shape == (4,) and y.dtype == torch.float32, f"same shape and dtype as x, got {tuple(y.shape)}, {y.dtype}"
assert torch.allclose(y, torch.tensor([1.0, 2.0, 4.0, 6.0])), f"window 2 of [1,3,5,7] is [1,2,4,6], got {y.tolist()}"
assert torch.allclose(moving_average_loop(torch.tensor([2.0, 4.0, 9.0]), 1), torch.tensor([2.0, 4.0, 9.0])), "window 1 is the identity"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_raises, assert_unchanged, assert_values


def _reference(values, w):  # direct definition: slice and mean, no running sum
    return [sum(values[max(0, t - w + 1): t + 1]) / len(values[max(0, t - w + 1): t + 1]) for t in range(len(values))]
g = torch.Generator().manual_seed(2)
for n, w in [(0, 1), (0, 3), (1, 1), (1, 5), (10, 3), (10, 10), (10, 25), (50, 7)]:  # L = 0 too: an empty result
    x = torch.randn(n, generator=g, dtype=torch.float64) * 100  # negative values, large enough that float32 shows
    got = assert_unchanged(moving_average_loop, x, w)
    assert_values(got, torch.tensor(_reference(x.tolist(), w), dtype=torch.float64), what=f"L={n}, window={w}")
ties = torch.tensor([2.0, 2.0, -2.0, -2.0, 2.0], dtype=torch.float64)
assert_values(moving_average_loop(ties, 2), torch.tensor([2.0, 2.0, 0.0, -2.0, 0.0], dtype=torch.float64), what="ties")
for bad in (0, -3):
    assert_raises(ValueError, moving_average_loop, torch.ones(3), bad)
### END HIDDEN TESTS

# %% [markdown] id="conv-background"
# ## Exercise 3 — the same filter as a convolution (2 points)
#
# The loop is inherently sequential. But the filter is *linear and time-invariant*: $y = k * x$ with the kernel $k = (1, 1, \dots, 1)$ of length $w$ (then divided by $n_t$). A convolution computes every output at once — the whole sequence in parallel. This duality, **recurrence for inference, convolution for training**, is the heart of S4 and its successors (module `01_ssm`).
#
# A causal convolution must not see the future: pad $w-1$ zeros on the **left** only, then slide the kernel. `torch.nn.functional.conv1d` computes a cross-correlation over inputs shaped `(batch, channels, length)`.
#
# **Implement** `moving_average_conv(x, window)` with the same contract as Exercise 2 ($L = 0$ included: `F.conv1d` refuses an input shorter than its kernel, so return an empty tensor first), but no Python loop over time: use `F.conv1d` (or a cumulative sum). Divide by $n_t = \min(t+1, w)$. Unlike the loop, this version stays differentiable: gradients flow from the output back to `x` (module 1 trains its SSM layers this way), and `x` is left unchanged.
#
# *Hint:* `F.pad(x[None, None], (window - 1, 0))` pads on the left; `torch.arange(1, L + 1).clamp(max=window)` gives $n_t$.

# %% id="ma-conv-answer" nbgrader={"grade": false, "grade_id": "ma-conv-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def moving_average_conv(x: torch.Tensor, window: int) -> torch.Tensor:
    """Causal moving average of a 1-D tensor computed as one convolution; same shape and dtype as `x`."""
    ### BEGIN SOLUTION
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    if x.shape[0] == 0:
        return x.clone()
    kernel = torch.ones(1, 1, window, dtype=x.dtype)
    sums = F.conv1d(F.pad(x[None, None], (window - 1, 0)), kernel)[0, 0]
    counts = torch.arange(1, x.shape[0] + 1, dtype=x.dtype).clamp(max=window)
    return sums / counts
    ### END SOLUTION


# %% id="ma-conv-tests" nbgrader={"grade": true, "grade_id": "ma-conv-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
y = moving_average_conv(torch.tensor([1.0, 3.0, 5.0, 7.0]), window=2)
assert y.shape == (4,) and y.dtype == torch.float32, f"same shape and dtype as x, got {tuple(y.shape)}, {y.dtype}"
assert torch.allclose(y, torch.tensor([1.0, 2.0, 4.0, 6.0])), f"window 2 of [1,3,5,7] is [1,2,4,6], got {y.tolist()}"
assert torch.allclose(moving_average_conv(torch.tensor([4.0, 0.0, 0.0, 0.0]), 3), torch.tensor([4.0, 2.0, 4 / 3, 0.0])), "causal: an impulse must only affect later outputs"
print("visible checks passed")
### BEGIN HIDDEN TESTS
import numpy as _np

from utils.testing import assert_grads_match, assert_raises, assert_unchanged, assert_values


def _cumsum_reference(x, w):  # independent formulation: differences of cumulative sums
    c = torch.cat([x.new_zeros(1), torch.cumsum(x, 0)])
    t = torch.arange(x.shape[0])
    lo = (t - w + 1).clamp(min=0)
    return (c[t + 1] - c[lo]) / (t + 1 - lo).to(x.dtype)
g = torch.Generator().manual_seed(3)
for n, w in [(0, 1), (0, 4), (1, 1), (1, 4), (12, 1), (12, 5), (12, 12), (12, 40), (300, 17)]:  # L = 0 too: an empty result
    x = torch.randn(n, generator=g, dtype=torch.float64) * 100
    c = _np.concatenate([[0.0], _np.cumsum(x.numpy())])  # and the same in NumPy, outside torch
    t = _np.arange(n)
    lo = _np.maximum(0, t - w + 1)
    got = assert_unchanged(moving_average_conv, x, w)
    assert_values(got, torch.from_numpy((c[t + 1] - c[lo]) / (t + 1 - lo)), what=f"L={n}, window={w}")
    assert_grads_match(lambda v: moving_average_conv(v, w), lambda v: _cumsum_reference(v, w), x,
                       what=f"moving_average_conv(L={n}, window={w})")
for bad in (0, -3):
    assert_raises(ValueError, moving_average_conv, torch.ones(3), bad)
### END HIDDEN TESTS

# %% [markdown] id="bug-background"
# ## Exercise 4 — find the bugs (2 points)
#
# A colleague wrote the moving average with cumulative sums, $y_t = (c_{t+1} - c_{\max(0,\,t-w+1)}) / n_t$ with $c_0 = 0$ and $c_{i} = x_0 + \dots + x_{i-1}$: no loop, no kernel, $O(L)$ work. It is below. It runs without an error, and it is wrong.
#
# **Find** what is wrong by trying it on cases you can compute by hand and by comparing it with your `moving_average_loop`, then **write** `moving_average_cumsum(x, window)`: a corrected version with this contract (same shape and dtype as `x`, computed in the dtype of `x`, differentiable with respect to `x`, `x` left unchanged, $L = 0$ gives an empty tensor, `ValueError` if `window < 1`). Keep the cumulative sums (the point is to repair this code; a loop would be correct but is not what is asked, and the tests do not time it). The hidden tests compare it with the definition on random float64 signals of up to 100,000 values of magnitude about 100, where float32 arithmetic shows.
#
# *Hint:* there is more than one bug. A window of 1 must give back `x`; try it.

# %% id="bug-given" nbgrader={"grade": false, "grade_id": "bug-given", "locked": true, "schema_version": 3, "solution": false, "task": false}
def moving_average_cumsum_buggy(x: torch.Tensor, window: int) -> torch.Tensor:
    """A colleague's causal moving average by cumulative sums (it has bugs: see Exercise 4)."""
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    c = torch.cat([x.new_zeros(1), torch.cumsum(x.float(), 0).to(x.dtype)])
    t = torch.arange(x.shape[0])
    lo = (t - window + 1).clamp(min=0)
    return (c[t] - c[lo]) / (t + 1 - lo).to(x.dtype)


print(moving_average_cumsum_buggy(torch.tensor([1.0, 3.0, 5.0, 7.0]), 2))  # compare: [1, 2, 4, 6]

# %% id="bug-answer" nbgrader={"grade": false, "grade_id": "bug-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def moving_average_cumsum(x: torch.Tensor, window: int) -> torch.Tensor:
    """Causal moving average of a 1-D tensor by cumulative sums, corrected; same shape and dtype as `x`."""
    ### BEGIN SOLUTION
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    c = torch.cat([x.new_zeros(1), torch.cumsum(x, 0)])
    t = torch.arange(x.shape[0])
    lo = (t - window + 1).clamp(min=0)
    return (c[t + 1] - c[lo]) / (t + 1 - lo).to(x.dtype)
    ### END SOLUTION


# %% id="bug-tests" nbgrader={"grade": true, "grade_id": "bug-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
y = moving_average_cumsum(torch.tensor([1.0, 3.0, 5.0, 7.0]), 2)
assert y.shape == (4,) and y.dtype == torch.float32, f"same shape and dtype as x, got {tuple(y.shape)}, {y.dtype}"
assert torch.allclose(y, torch.tensor([1.0, 2.0, 4.0, 6.0])), f"window 2 of [1,3,5,7] is [1,2,4,6], got {y.tolist()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from fractions import Fraction

from utils.testing import assert_grads_match, assert_raises, assert_unchanged, assert_values


def _slices(x, w):  # the definition: the mean of each window slice, differentiable, no cumulative sum
    n = x.shape[0]
    return torch.stack([x[max(0, t - w + 1): t + 1].mean() for t in range(n)]) if n else x.new_zeros(0)
g = torch.Generator().manual_seed(4)
for n, w in [(0, 1), (0, 3), (1, 1), (1, 6), (9, 1), (9, 4), (9, 9), (9, 30), (200, 13)]:
    x = torch.randn(n, generator=g, dtype=torch.float64) * 100
    got = assert_unchanged(moving_average_cumsum, x, w)
    assert_values(got, _slices(x, w), what=f"L={n}, window={w}")
    if n:
        assert_grads_match(lambda v: moving_average_cumsum(v, w), lambda v: _slices(v, w), x,
                           what=f"moving_average_cumsum(L={n}, window={w})")
# a long float64 signal: a float32 cumulative sum loses about 1e-7 of every partial sum here
x = torch.randn(100_000, generator=g, dtype=torch.float64) * 100 + 50
c = torch.cat([x.new_zeros(1), torch.cumsum(x, 0)])  # float64 reference, checked against exact fractions below
t = torch.arange(100_000)
lo = (t - 50 + 1).clamp(min=0)
assert_values(moving_average_cumsum(x, 50), (c[t + 1] - c[lo]) / (t + 1 - lo).to(x.dtype), rtol=1e-9, atol=1e-9,
              what="L=100,000, window=50")
few = x[:7].tolist()
exact = [float(sum(map(Fraction, few[max(0, i - 2): i + 1])) / len(few[max(0, i - 2): i + 1])) for i in range(7)]
assert_values(moving_average_cumsum(x[:7], 3), torch.tensor(exact, dtype=torch.float64), what="window 3, exact")
for bad in (0, -1):
    assert_raises(ValueError, moving_average_cumsum, torch.ones(3), bad)
### END HIDDEN TESTS

# %% [markdown] id="experiment-intro"
# ## Experiment — one filter, two algorithms
#
# Both functions compute the same numbers; they differ in *how*. We check that they agree on a noisy signal, look at the result, and then time both as the signal grows. The loop costs $O(L)$ Python steps; the convolution costs $O(Lw)$ arithmetic but runs as one vectorised call.

# %% id="experiment-agree"
t = torch.linspace(0, 6 * math.pi, 600, dtype=torch.float64)
signal = torch.sin(t) + 0.4 * torch.randn(600, generator=generator, dtype=torch.float64)
smooth_loop = moving_average_loop(signal, 25)
smooth_conv = moving_average_conv(signal, 25)
max_error = (smooth_loop - smooth_conv).abs().max().item()
print(f"max |loop - conv| = {max_error:.2e}")

fig, ax = subplots()
ax.plot(t, signal, lw=0.7, alpha=0.5, label="noisy signal")
ax.plot(t, smooth_loop, lw=2, label="moving average (loop)")
ax.plot(t, smooth_conv, "--", lw=1.5, label="moving average (convolution)")
label(ax, "A causal moving average, window 25", "time", "value")
show(fig)

# %% id="experiment-timing"
lengths = [n for n in (1_000, 4_000, 20_000, 50_000, 200_000) if n <= LENGTH]
seconds = {"loop": [], "convolution": []}
for n in progress(lengths, desc="timing"):
    x = torch.randn(n, generator=generator)
    seconds["loop"].append(best_time(lambda: moving_average_loop(x, 25), repeat=2))
    seconds["convolution"].append(best_time(lambda: moving_average_conv(x, 25), repeat=5))
speedup = seconds["loop"][-1] / seconds["convolution"][-1]

fig, ax = subplots()
for name, ys in seconds.items():
    ax.loglog(lengths, ys, marker="o", label=name)
label(ax, "Loop versus convolution, window 25", "signal length L", "seconds per call")
show(fig)
for n, a, b in zip(lengths, seconds["loop"], seconds["convolution"]):
    print(f"L={n:>7}: loop {a * 1e3:8.2f} ms   convolution {b * 1e3:7.3f} ms   ratio {a / b:6.1f}x")

# %% [markdown] id="claim-intro"
# ## Claim check
#
# The figure measured above, next to the claim. In a full run the cell asserts the claim; with `SMOKE=True` the sizes are too small to assert speed, so it only reports.

# %% id="claim-check" tags=["claim-check"]
claim("equal", paper="the loop and the convolution are the same filter",
      here=f"max error {max_error:.1e} (float64)", checks=[below(max_error, 1e-9)])
claim("faster", paper="the convolution is much faster on long signals",
      here=f"{speedup:.0f}x faster at L={lengths[-1]:,}", checks=[above(speedup, 2)], smoke=SMOKE)  # 3x-48x over 5 seeds x 2 thread counts, under load

# %% [markdown] id="reflect"
# ## Reflect
#
# Answer each question in the cell below it, in a few sentences. These answers are graded by hand (1 point each).
#
# 1. The loop needs $O(1)$ memory per step and the convolution needs the whole signal. Which would you use to filter a live audio stream, and which to train on a dataset of recordings? Say why for each.

# %% [markdown] id="reflect-stream" nbgrader={"grade": true, "grade_id": "reflect-stream", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** A live stream arrives one sample at a time and never ends, so the loop (recurrence) fits: it keeps only the last $w$ samples (here a running sum), costs $O(1)$ per new sample and emits each output as soon as its input arrives. On a stored dataset the whole signal is available at once, so the convolution fits: all outputs are computed in parallel by vectorised (or FFT) kernels, which is what made it 3x to 48x faster here.
#
# **Rubric (1 point).** 0.5: the loop for the stream, because of constant memory/latency per sample and no access to the future; 0.5: the convolution for training, because the whole sequence is known and the computation parallelises. An answer that picks the right tools without a reason gets 0.5.
# ### END SOLUTION

# %% [markdown] id="reflect-kernel-question"
# 2. The moving average has a kernel of length $w$. What if the kernel were as long as the sequence, with a different weight at every lag — how would the convolution's cost grow, and how could an FFT help? (Module `01_ssm` answers this.)

# %% [markdown] id="reflect-kernel" nbgrader={"grade": true, "grade_id": "reflect-kernel", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** A direct convolution with a kernel of length $L$ over a sequence of length $L$ costs $O(L^2)$: each of the $L$ outputs sums over up to $L$ lags. The convolution theorem turns it into a pointwise product of Fourier transforms: zero-pad both to length $2L$ (so the circular convolution equals the linear, causal one), transform, multiply and invert, in $O(L \log L)$.
#
# **Rubric (1 point).** 0.5: the cost becomes quadratic in $L$; 0.5: the FFT makes it $O(L\log L)$ through a pointwise product in the frequency domain. Mentioning the zero-padding needed to avoid wrap-around is a plus, not required.
# ### END SOLUTION

# %% [markdown] id="reflect-tests-question"
# 3. Why do the hidden tests compare against a formulation *different* from the one in the hint?

# %% [markdown] id="reflect-tests" nbgrader={"grade": true, "grade_id": "reflect-tests", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** A reference written the same way as the hint would share its mistakes: an off-by-one in the window, a wrong normalisation or a dtype slip would appear in both and cancel. An independent formulation (a loop against a convolution, a closed form against an enumeration) agrees with a correct answer only because both are right, so a wrong answer that happens to resemble the hint still fails.
#
# **Rubric (1 point).** 1: the idea that a same-formula reference repeats the same mistakes and so cannot catch them (independence of the check); 0.5: only "to test more cases" or "to be stricter" without the independence argument.
# ### END SOLUTION

# %% [markdown] id="further-reading"
# **Further reading:** A. Rush, *The Annotated S4* (2022); the nbgrader documentation, "Creating and grading assignments".
