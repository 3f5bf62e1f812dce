# %% [markdown] id="card"
# # Reward models from preferences: Bradley–Terry, how many pairs, and Goodhart
#
# **Papers:** R. A. Bradley & M. E. Terry, *Rank analysis of incomplete block designs* (Biometrika, 1952); L. Ouyang et al., *Training language models to follow instructions with human feedback* (2022, arXiv:2203.02155); L. Gao, J. Schulman, J. Hilton, *Scaling Laws for Reward Model Overoptimization* (2022, arXiv:2210.10760); G. Zhang, H. Gao, Z. Jiang, H. Zhao, Z. Zheng, *Ctrl-U: Robust Conditional Image Generation via Uncertainty-aware Reward Modeling* (2024, arXiv:2410.11236); T. Coste et al., *Reward Model Ensembles Help Mitigate Overoptimization* (2023, arXiv:2310.02743).
#
# **Learning objectives**
# - turn pairwise preferences into a reward with the Bradley–Terry likelihood;
# - measure how a reward model's accuracy grows with the number of pairs, and where label noise caps it;
# - watch Goodhart's law happen: a policy optimised hard against a weak reward model raises the *learned* reward while the *true* reward peaks and falls;
# - try an uncertainty penalty from an ensemble of reward models, and judge it honestly.
#
# **Prerequisites:** logistic regression; PyTorch autograd; the REINFORCE gradient $\nabla \mathbb{E}[r] = \mathbb{E}[r\, \nabla \log \pi]$ (met again in notebook 02).
#
# **Read ahead:** `paperlab preview 04_rlhf/01_reward_models` writes this lesson's experiments, executed, to `build/preview/` (answers and hidden tests removed), so you can see every figure before you solve anything.
#
# **Time:** 40 min
#
# **Points:** 12 (four autograded exercises, 9 points; three written answers, 1 point each, graded by hand)
#
# **Claim:** a reward model fitted to preferences by Bradley–Terry orders held-out pairs well once it has enough pairs, but "when a measure becomes a target, it ceases to be a good measure": optimising a policy against a *proxy* reward first raises and then lowers the true reward, while the proxy keeps rising (Gao et al., 2022).

# %% id="parameters" tags=["parameters"]
SMOKE = False  # True: tiny sizes, runs in seconds
SEED = 0
N_TEST_PAIRS = 5000  # held-out preference pairs
RM_STEPS = 300  # full-batch Adam steps per reward model
RL_STEPS = 150  # policy-gradient steps in the over-optimisation runs
RL_BATCH = 256  # sequences per policy-gradient step

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math

import torch
import torch.nn.functional as F

from utils.common import above, at_least, below, claim, progress, setup_lesson
from utils.plotting import label, show, subplots
from utils.rlhf import (
    VOCAB_SIZE,
    ToyWorld,
    clone_policy,
    decode,
    frozen,
    reference_policy,
    true_reward,
)

if SMOKE:
    N_TEST_PAIRS, RM_STEPS, RL_STEPS, RL_BATCH = min(N_TEST_PAIRS, 1000), min(RM_STEPS, 60), min(RL_STEPS, 12), min(RL_BATCH, 64)
generator = setup_lesson(
    SEED, SMOKE,
    N_TEST_PAIRS=(N_TEST_PAIRS, at_least(100)),
    RM_STEPS=(RM_STEPS, at_least(1)),
    RL_STEPS=(RL_STEPS, at_least(5)),
    RL_BATCH=(RL_BATCH, at_least(8)),
)

# %% [markdown] id="world"
# ## The toy preference world
#
# Every notebook of this module shares one small world (`utils/rlhf.py`): sequences $y = (y_1, \dots, y_{10})$ over 16 tokens, drawn by a *base distribution* (a Markov chain that likes to repeat itself), and a reference policy $\pi_{\text{ref}}$ — a one-layer GRU fitted to base samples by supervised fine-tuning (SFT). A **hidden true reward** plays the human:
#
# $$r^\star(y) = \underbrace{\sum_t \big[\,\mathbb{1}(y_t \in \{2,5,9\}) - 3\cdot\mathbb{1}(y_t = 13)\,\big]}_{\text{good tokens, the bad token } X} \;+\; \underbrace{1.5\,\#\{t: (y_t, y_{t+1}) = (4, 7)\}}_{\text{a pattern}} \;-\; \underbrace{2.5\,\#\{t : y_{t+1} = y_t\}}_{\text{stutter}}.$$
#
# The first part is a *bag of tokens*: it only counts. The last two depend on **order** — a reward model that only counts tokens cannot see them. Below, `+k` marks a good token, `X` the bad one, `[4 7]` the pattern.

# %% id="world-demo"
world = ToyWorld(SEED)
reference = frozen(reference_policy(world))  # trained in seconds the first time, then cached under build/
samples = reference.sample(6, generator)
for text, r in zip(decode(samples), true_reward(samples).tolist(), strict=True):
    print(f"r* = {r:+5.1f}   {text}")


# %% [markdown] id="bt-background"
# ## Exercise 1 — the Bradley–Terry loss (2 points)
#
# Nobody can write $r^\star$ down; people can only say which of two answers they prefer. Bradley–Terry models that choice as a coin whose bias depends on a reward difference:
#
# $$P(y_w \succ y_l) = \frac{e^{r(y_w)}}{e^{r(y_w)} + e^{r(y_l)}} = \sigma\big(r(y_w) - r(y_l)\big).$$
#
# Our preference pairs are sampled exactly this way from $r^\star$ (`world.preference_pairs`). A reward model $r_\phi$ is fitted by maximum likelihood: minimise the mean negative log-likelihood of the observed choices,
#
# $$\mathcal{L}(\phi) = -\frac{1}{N}\sum_{i=1}^{N} \log \sigma\big(r_\phi(y_w^{(i)}) - r_\phi(y_l^{(i)})\big).$$
#
# **Implement** `bradley_terry_loss(r_chosen, r_rejected)`: two float tensors of shape `(N,)` (rewards of the chosen and the rejected answers), returning the scalar mean loss in their dtype (float64 in, float64 out: compute in that precision).
# The reward model is trained through this loss, so gradients must flow to **both** `r_chosen` and `r_rejected`, and the loss and its gradients must stay finite for large reward gaps in either direction (e.g. gaps of ±200, or ±800 in float64). Leave the inputs unchanged.
#
# *Hint:* `torch.log(torch.sigmoid(x))` underflows to `-inf` for `x = -200`; `F.logsigmoid` does not. A `torch.where` that picks a "stable branch" still back-propagates through the other one, which can be `inf`: its gradient is then NaN.

# %% id="bt-answer" nbgrader={"grade": false, "grade_id": "bt-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def bradley_terry_loss(r_chosen: torch.Tensor, r_rejected: torch.Tensor) -> torch.Tensor:
    """Mean of -log sigmoid(r_chosen - r_rejected) over N pairs; a scalar tensor."""
    ### BEGIN SOLUTION
    return -F.logsigmoid(r_chosen - r_rejected).mean()
    ### END SOLUTION


# %% id="bt-tests" nbgrader={"grade": true, "grade_id": "bt-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
loss = bradley_terry_loss(torch.zeros(4), torch.zeros(4))
assert loss.dim() == 0, f"return a scalar (the mean over pairs), got shape {tuple(loss.shape)}"
assert abs(loss.item() - math.log(2)) < 1e-6, f"equal rewards: P = 1/2, loss = log 2, got {loss.item():.4f}"
assert abs(bradley_terry_loss(torch.tensor([1.0]), torch.tensor([0.0])).item() - math.log(1 + math.exp(-1))) < 1e-6, \
    "one pair with gap 1: loss = log(1 + e^-1)"
assert bradley_terry_loss(torch.tensor([2.0]), torch.tensor([0.0])) < bradley_terry_loss(torch.tensor([0.0]), torch.tensor([2.0])), \
    "preferring the chosen answer must lower the loss"
assert torch.isfinite(bradley_terry_loss(torch.tensor([-200.0]), torch.tensor([0.0]))), "large negative gaps must stay finite"
_a = torch.tensor([0.0, -200.0], requires_grad=True)
_loss = bradley_terry_loss(_a, torch.zeros(2))
assert _loss.requires_grad, "the loss must stay differentiable: no .detach(), torch.no_grad() or torch.tensor(...) on computed values"
_loss.backward()
assert torch.isfinite(_a.grad).all(), f"the gradient must stay finite for large gaps, got {_a.grad.tolist()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_grads_match, assert_unchanged, assert_values


def _bt_exact(a, b):
    """Independent formulation: -log sigmoid(d) = max(-d, 0) + log1p(exp(-|d|)), pair by pair in Python floats."""
    gaps = [x - y for x, y in zip(a.tolist(), b.tolist())]
    return math.fsum(max(-d, 0.0) + math.log1p(math.exp(-abs(d))) for d in gaps) / len(gaps)


def _bt_softmax(a, b):
    """Independent formulation for gradients: the negative log-probability of a two-way softmax."""
    return (torch.logaddexp(a, b) - a).mean()


_g = torch.Generator().manual_seed(11)
_cases = []
for _n in (1, 2, 7, 300):
    _cases.append((torch.randn(_n, generator=_g, dtype=torch.float64) * 4, torch.randn(_n, generator=_g, dtype=torch.float64) * 4))
_t = torch.randn(6, generator=_g, dtype=torch.float64)
_cases.append((_t, _t.clone()))  # ties: every gap is 0
_cases.append((torch.round(_t * 2) / 2, torch.round(_t.flip(0) * 2) / 2))  # some ties among negative rewards
_big = torch.tensor([50.0, -50.0, 800.0, -800.0, 0.0, 3.0], dtype=torch.float64)
_cases.append((_big, torch.zeros(6, dtype=torch.float64)))  # large gaps in both directions
_cases.append((torch.full((3,), -5.0, dtype=torch.float64), torch.tensor([795.0, -805.0, 45.0], dtype=torch.float64)))
for _ca, _cb in _cases:
    _got = assert_unchanged(bradley_terry_loss, _ca, _cb)  # must not write into its arguments
    assert_values(_got, torch.tensor(_bt_exact(_ca, _cb), dtype=torch.float64), what=f"the loss for N={_ca.shape[0]}")
    # both rewards come from the trained reward model: gradients to both, finite, exact
    assert_grads_match(bradley_terry_loss, _bt_softmax, _ca, _cb, what=f"bradley_terry_loss (N={_ca.shape[0]})")
assert_values(bradley_terry_loss(_big.float(), torch.zeros(6)), torch.tensor(_bt_exact(_big, torch.zeros(6)), dtype=torch.float32),
              what="the loss for float32 inputs")
### END HIDDEN TESTS

# %% [markdown] id="features-background"
# ## Exercise 2 — what a reward model can see: n-gram features (3 points)
#
# Our reward models are linear, $r_\phi(y) = \phi^\top f(y)$, and everything depends on the features $f$. Two choices:
#
# - **bag of tokens** (weak): $f(y)_v = \#\{t : y_t = v\}$, 16 counts;
# - **tokens and bigrams** (stronger): the 16 counts, followed by $16 \times 16$ bigram counts $f(y)_{16 + 16a + b} = \#\{t : (y_t, y_{t+1}) = (a, b)\}$.
#
# **Implement** `ngram_features(tokens, bigrams)`: `tokens` is a long tensor `(N, L)` of ids in `[0, 16)`; return a float32 tensor `(N, 16)` of token counts, or `(N, 16 + 256)` with the bigram counts appended when `bigrams=True`. A sequence of length $L$ has $L-1$ bigrams ($L = 1$ is allowed: no bigrams, all bigram counts 0). Leave `tokens` unchanged.
#
# *Hint:* `F.one_hot(tokens, VOCAB_SIZE).sum(dim=1)` counts tokens; a bigram $(a, b)$ is the single id $16a + b$.

# %% id="features-answer" nbgrader={"grade": false, "grade_id": "features-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def ngram_features(tokens: torch.Tensor, bigrams: bool) -> torch.Tensor:
    """Token counts (N, 16), then bigram counts (N, 256) when `bigrams`; float32."""
    ### BEGIN SOLUTION
    counts = F.one_hot(tokens, VOCAB_SIZE).sum(dim=1).float()
    if not bigrams:
        return counts
    pair_ids = tokens[:, :-1] * VOCAB_SIZE + tokens[:, 1:]
    pair_counts = F.one_hot(pair_ids, VOCAB_SIZE * VOCAB_SIZE).sum(dim=1).float()
    return torch.cat([counts, pair_counts], dim=1)
    ### END SOLUTION


# %% id="features-tests" nbgrader={"grade": true, "grade_id": "features-tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
x = torch.tensor([[3, 3, 5, 0]])
uni = ngram_features(x, bigrams=False)
assert uni.shape == (1, VOCAB_SIZE) and uni.dtype == torch.float32, f"expected (1, 16) float32, got {tuple(uni.shape)} {uni.dtype}"
assert uni[0, 3] == 2 and uni[0, 5] == 1 and uni[0, 0] == 1 and uni.sum() == 4, "count every token: [3, 3, 5, 0] has two 3s"
both = ngram_features(x, bigrams=True)
assert both.shape == (1, VOCAB_SIZE + VOCAB_SIZE ** 2), f"expected (1, 272), got {tuple(both.shape)}"
assert torch.equal(both[:, :VOCAB_SIZE], uni), "the first 16 columns are the token counts"
assert both[0, VOCAB_SIZE + 3 * 16 + 3] == 1 and both[0, VOCAB_SIZE + 3 * 16 + 5] == 1 and both[0, VOCAB_SIZE + 5 * 16 + 0] == 1, \
    "bigrams (3,3), (3,5), (5,0) sit at 16 + 16a + b"
assert both[:, VOCAB_SIZE:].sum() == 3, "a sequence of length 4 has 3 bigrams"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_unchanged, assert_values


def _features_loop(toks):
    """Independent formulation: a plain loop over positions."""
    out = torch.zeros(toks.shape[0], VOCAB_SIZE + VOCAB_SIZE ** 2)
    for i, row in enumerate(toks.tolist()):
        for t, v in enumerate(row):
            out[i, v] += 1
            if t + 1 < len(row):
                out[i, VOCAB_SIZE + VOCAB_SIZE * v + row[t + 1]] += 1
    return out


_g = torch.Generator().manual_seed(12)
_batches = [torch.randint(0, VOCAB_SIZE, (n, length), generator=_g) for n, length in ((1, 2), (5, 10), (40, 7), (3, 1), (1, 1))]
_batches[1][0, :2] = torch.tensor([4, 9])  # an asymmetric bigram, so a transposed index is caught
_batches.append(torch.tensor([[15, 15, 15, 0], [0, 15, 0, 15], [7, 7, 7, 7]]))  # the extreme ids, repeats, stutters
for _toks in _batches:
    _expected = _features_loop(_toks)
    for _flag, _cols in ((True, _expected.shape[1]), (False, VOCAB_SIZE)):
        _got = assert_unchanged(ngram_features, _toks, bigrams=_flag)  # must not write into tokens
        assert_values(_got, _expected[:, :_cols], rtol=0, atol=0,
                      what=f"ngram_features(bigrams={_flag}) of a batch of shape {tuple(_toks.shape)}")
### END HIDDEN TESTS

# %% [markdown] id="fit-background"
# ## Fitting reward models
#
# With the loss and the features, fitting is ten lines: full-batch Adam on $\phi$, with a small $\ell_2$ penalty so that features never seen in the data keep weight 0. We score a reward model two ways on held-out pairs:
#
# - **label accuracy** — how often it agrees with the (noisy) human label;
# - **ordering accuracy** — how often it orders the pair like the true reward $r^\star$ does (ties excluded). This is what we actually want.

# %% id="fit"
def fit_reward_model(pairs, bigrams: bool, steps: int = RM_STEPS, l2: float = 1e-3) -> torch.Tensor:
    """Weights phi of a linear Bradley-Terry reward model r(y) = phi . f(y)."""
    f_chosen, f_rejected = ngram_features(pairs.chosen, bigrams), ngram_features(pairs.rejected, bigrams)
    phi = torch.zeros(f_chosen.shape[1], requires_grad=True)
    opt = torch.optim.Adam([phi], lr=0.05)
    for _ in range(steps):
        loss = bradley_terry_loss(f_chosen @ phi, f_rejected @ phi) + l2 * phi.square().sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return phi.detach()


def reward_of(phi: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """The learned reward of each sequence."""
    return ngram_features(tokens, bigrams=phi.shape[0] > VOCAB_SIZE) @ phi


def accuracies(phi: torch.Tensor, pairs) -> tuple[float, float]:
    """(label accuracy, ordering accuracy against the true reward) on `pairs`."""
    gap = reward_of(phi, pairs.chosen) - reward_of(phi, pairs.rejected)
    true_gap = pairs.reward_chosen - pairs.reward_rejected
    untied = true_gap != 0
    return (gap > 0).float().mean().item(), ((gap > 0) == (true_gap > 0))[untied].float().mean().item()


test_pairs = world.preference_pairs(N_TEST_PAIRS, generator)
train_pairs = world.preference_pairs(5000, generator)
phi = fit_reward_model(train_pairs.subset(slice(0, 1000)), bigrams=False)
print("bag-of-tokens weights:", " ".join(f"{v}:{w:+.2f}" for v, w in enumerate(phi.tolist())))


# %% [markdown] id="ceiling-background"
# ## Exercise 3 — derive the ceiling set by label noise (2 points)
#
# The labels are coin flips. A pair $(y_a, y_b)$ is labelled "$y_a$ preferred" with probability $P(a \succ b) = \sigma\big((r^\star(y_a) - r^\star(y_b))/T\big)$, independently of everything else. $T$ is the labelling temperature; our data uses $T = 1$. A reward model can do no better than a predictor that knows $r^\star$ exactly, sees both answers of a pair (but not which one was labelled chosen) and guesses the label. The best expected accuracy of such a predictor, averaged over the pairs, is the **ceiling** on label accuracy that no reward model can beat.
#
# This exercise gives no formula: derive it. **Implement** `label_noise_ceiling(true_chosen, true_rejected, temperature=1.0)`. The inputs are two `(N,)` float tensors of the true rewards of the two answers of each pair (any sign, possibly equal) and a temperature $T > 0$. Return the mean over the $N$ pairs of the best achievable probability of guessing the label correctly, as a Python float, computed in the dtype of the inputs (float64 inputs: a float64-accurate result). The answer must not depend on which answer was labelled "chosen". Leave the inputs unchanged.
#
# *Hint (no code here):* for one pair, which label should a predictor that knows $P(a \succ b)$ guess, and how often is that guess right? Check your answer on a pair with equal rewards, and on a pair whose gap is huge.

# %% id="ceiling-answer" nbgrader={"grade": false, "grade_id": "ceiling-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def label_noise_ceiling(true_chosen: torch.Tensor, true_rejected: torch.Tensor, temperature: float = 1.0) -> float:
    """The best achievable expected accuracy on Bradley-Terry labels at `temperature`, averaged over the pairs."""
    ### BEGIN SOLUTION
    return torch.sigmoid((true_chosen - true_rejected).abs() / temperature).mean().item()
    ### END SOLUTION


# %% id="ceiling-tests" nbgrader={"grade": true, "grade_id": "ceiling-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
c = label_noise_ceiling(torch.tensor([1.0, 0.0]), torch.tensor([1.0, 0.0]))
assert isinstance(c, float), f"return a Python float, got {type(c).__name__}"
assert abs(c - 0.5) < 1e-9, "equal rewards: the label is a fair coin, the ceiling is 1/2"
_gap2 = 1 / (1 + math.exp(-2))
assert abs(label_noise_ceiling(torch.tensor([2.0]), torch.tensor([0.0])) - _gap2) < 1e-6, f"a gap of 2 at T = 1: expected {_gap2:.4f}"
assert abs(label_noise_ceiling(torch.tensor([0.0]), torch.tensor([2.0])) - _gap2) < 1e-6, \
    "the ceiling must not depend on which answer was chosen"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_unchanged, assert_values


def _ceiling_exact(a, b, temp):
    """Independent formulation: 1 / (1 + exp(-|gap| / T)) pair by pair in Python floats, an exact sum."""
    return math.fsum(1 / (1 + math.exp(-abs(x - y) / temp)) for x, y in zip(a.tolist(), b.tolist())) / a.shape[0]


assert abs(label_noise_ceiling(torch.tensor([3.0]), torch.tensor([1.0]), temperature=2.0) - 1 / (1 + math.exp(-1))) < 1e-6, "divide the gap by T"
_g = torch.Generator().manual_seed(13)
_cases = [(torch.randn(n, generator=_g, dtype=torch.float64) * 3, torch.randn(n, generator=_g, dtype=torch.float64) * 3) for n in (1, 5, 400)]
_t = torch.round(torch.randn(9, generator=_g, dtype=torch.float64) * 2) / 2 - 4  # negative rewards, many ties
_cases += [(_t, _t.flip(0)), (_t, _t.clone()), (torch.tensor([800.0, -800.0, 0.1], dtype=torch.float64), torch.zeros(3, dtype=torch.float64))]
for _ca, _cb in _cases:
    for _temp in (0.5, 1.0, 3.0):
        _got = assert_unchanged(label_noise_ceiling, _ca, _cb, temperature=_temp)  # must not write into its arguments
        assert isinstance(_got, float), f"return a Python float, got {type(_got).__name__}"
        _want = _ceiling_exact(_ca, _cb, _temp)
        assert_values(_got, _want, rtol=1e-12, atol=1e-13, what=f"the ceiling for N={_ca.shape[0]}, T={_temp} (compute in float64)")
        assert_values(label_noise_ceiling(_cb, _ca, temperature=_temp), _want, rtol=1e-12, atol=1e-13,
                      what="the ceiling with chosen and rejected swapped")
assert_values(label_noise_ceiling(_t.float(), _t.flip(0).float()), _ceiling_exact(_t, _t.flip(0), 1.0), rtol=1e-6, atol=1e-7,
              what="the ceiling for float32 inputs")
# independent formulation: simulate the labels and score the oracle that bets on the larger true reward
_ra = torch.randn(200_000, generator=_g, dtype=torch.float64) * 2
_rb = torch.randn(200_000, generator=_g, dtype=torch.float64) * 2
for _temp in (0.5, 1.0, 3.0):
    _a_wins = torch.rand(200_000, generator=_g, dtype=torch.float64) < torch.sigmoid((_ra - _rb) / _temp)
    _oracle = ((_ra > _rb) == _a_wins).double().mean().item()
    _got = label_noise_ceiling(_ra, _rb, temperature=_temp)
    assert abs(_got - _oracle) < 0.005, f"T={_temp}: simulated oracle accuracy {_oracle:.4f}, got {_got:.4f}"
### END HIDDEN TESTS

# %% [markdown] id="accuracy-experiment"
# ## Experiment 1 — accuracy against the number of pairs
#
# We fit both kinds of reward model on the first 100, 300, 1000 and 5000 training pairs and score them on the held-out pairs.
#
# *Where the papers say it:* Gao et al. (2022) vary the size of the reward model's training set in their synthetic setup, where a fixed "gold" reward model labels the pairs. We play the same game with $r^\star$ as the gold model. Ouyang et al. (2022) report the reward model's held-out agreement with labellers, which is what our label accuracy measures (as we read it). The label-noise ceiling plays the role of inter-annotator agreement.

# %% id="accuracy-run"
pair_counts = [100, 300, 1000, 5000] if not SMOKE else [100, 300, 1000]
ceiling = label_noise_ceiling(test_pairs.reward_chosen, test_pairs.reward_rejected)
results = {}  # (features, n) -> (label accuracy, ordering accuracy)
for bigrams in progress([False, True], desc="feature sets"):
    for n in pair_counts:
        results[(bigrams, n)] = accuracies(fit_reward_model(train_pairs.subset(slice(0, n)), bigrams), test_pairs)

fig, axes = subplots(ncols=2)
for bigrams, name in ((False, "bag of tokens"), (True, "tokens + bigrams")):
    axes[0].plot(pair_counts, [results[(bigrams, n)][0] for n in pair_counts], marker="o", label=name)
    axes[1].plot(pair_counts, [results[(bigrams, n)][1] for n in pair_counts], marker="o", label=name)
axes[0].axhline(ceiling, color="k", ls="--", label=f"label-noise ceiling {ceiling:.3f}")
for ax in axes:
    ax.set_xscale("log")
label(axes[0], "Agreement with noisy labels", "preference pairs", "held-out label accuracy")
label(axes[1], "Agreement with the true reward", "preference pairs", "held-out ordering accuracy")
show(fig)
print(f"label-noise ceiling: {ceiling:.3f}")
for (bigrams, n), (lab, order) in results.items():
    print(f"{'bigram' if bigrams else 'bag   '} n={n:>5}: label acc {lab:.3f}   ordering acc {order:.3f}")


# %% [markdown] id="goodhart-background"
# ## Experiment 2 — Goodhart: optimising against a weak reward model
#
# Now we treat a reward model as the target. Take the weak bag-of-tokens model fitted on 300 pairs and push a copy of $\pi_{\text{ref}}$ to maximise it, with plain REINFORCE and **no KL penalty**:
#
# $$\nabla_\theta\, \mathbb{E}_{y\sim\pi_\theta}[r_\phi(y)] = \mathbb{E}\big[(r_\phi(y) - b)\,\nabla_\theta \log \pi_\theta(y)\big], \qquad b = \text{batch mean}.$$
#
# As it trains we record how far it has moved from the reference, $\mathrm{KL}(\pi_\theta \,\|\, \pi_{\text{ref}}) \approx \frac{1}{n}\sum_i \log\frac{\pi_\theta(y_i)}{\pi_{\text{ref}}(y_i)}$ on its own samples, and both rewards. Gao et al. plot exactly this: reward against KL.
#
# *Where the paper says it:* this is, in miniature, the central measurement of Gao et al. (2022). They plot the gold reward model's score and the proxy's score against the distance $d = \sqrt{\mathrm{KL}(\pi\,\|\,\pi_{\text{init}})}$ for RL and for best-of-$n$. The proxy keeps rising while the gold score rises, peaks and falls, following their fitted form $R_{\text{RL}}(d) = d(\alpha - \beta\log d)$ for RL. We plot against the KL itself, and our gold model is $r^\star$.

# %% id="goodhart-run"
def optimise_against(reward_fn, steps: int = RL_STEPS, lr: float = 1e-3, desc: str = "REINFORCE"):
    """REINFORCE (mean baseline, no KL penalty) on reward_fn from the reference; returns (history, policy)."""
    policy = clone_policy(reference)
    opt = torch.optim.Adam(policy.parameters(), lr=lr)
    history = []
    for step in progress(range(steps + 1), desc=desc):
        y = policy.sample(RL_BATCH, generator)
        logp = policy.token_logprobs(y).sum(dim=1)
        with torch.no_grad():
            proxy = reward_fn(y)
            kl = (logp - reference.token_logprobs(y).sum(dim=1)).mean().item()
        history.append({"step": step, "kl": kl, "proxy": proxy.mean().item(), "true": true_reward(y).mean().item()})
        loss = -((proxy - proxy.mean()) * logp).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return history, policy


weak_phi = fit_reward_model(train_pairs.subset(slice(0, 300)), bigrams=False)
goodhart, hacked = optimise_against(lambda y: reward_of(weak_phi, y), desc="vs weak RM")
kls = [h["kl"] for h in goodhart]
true_curve = [h["true"] for h in goodhart]
proxy_curve = [h["proxy"] for h in goodhart]
peak = max(range(len(true_curve)), key=true_curve.__getitem__)

fig, ax = subplots()
ax.plot(kls, proxy_curve, marker=".", label="learned reward $r_\\phi$ (bag of tokens, 300 pairs)")
ax.plot(kls, true_curve, marker=".", label="true reward $r^\\star$")
ax.axvline(kls[peak], color="gray", ls=":", label=f"true reward peaks at KL {kls[peak]:.1f}")
label(ax, "Reward over-optimisation (Goodhart)", "KL(policy || reference), nats", "mean reward of samples")
show(fig)
print(f"true reward: start {true_curve[0]:+.2f}, peak {true_curve[peak]:+.2f} (KL {kls[peak]:.2f}), end {true_curve[-1]:+.2f} (KL {kls[-1]:.2f})")
print(f"learned reward: at the true peak {proxy_curve[peak]:+.2f}, end {proxy_curve[-1]:+.2f}")
for text in decode(hacked.sample(3, generator)):
    print("over-optimised sample:", text)


# %% [markdown] id="ensemble-background"
# ## Exercise 4 — an uncertainty penalty from an ensemble (2 points)
#
# Where a reward model has seen little data, it is *uncertain*, and over-optimisation lives exactly there. Ctrl-U (Zhang et al., 2024) measures a reward model's uncertainty by the variance of its predictions and down-weights uncertain rewards; Coste et al. (2023) do it with an ensemble of $K$ reward models and optimise a conservative reward
#
# $$\tilde r(y) = \operatorname{mean}_k\, r_k(y) - \lambda\, \operatorname{std}_k\, r_k(y).$$
#
# **Implement** `ensemble_penalised_reward(rewards, penalty)`: `rewards` is a float tensor `(K, N)` — the reward of $N$ sequences under each of $K$ models; return the `(N,)` penalised rewards in the dtype of `rewards` (compute in that precision), using the *population* standard deviation (divide by $K$, so that $K = 1$ gives std 0). $K = 1$ and $N = 1$ are allowed; leave `rewards` unchanged.
#
# *Hint:* `tensor.std(dim=0, unbiased=False)`.

# %% id="ensemble-answer" nbgrader={"grade": false, "grade_id": "ensemble-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def ensemble_penalised_reward(rewards: torch.Tensor, penalty: float) -> torch.Tensor:
    """Mean over the K models minus penalty times their population std: (K, N) -> (N,)."""
    ### BEGIN SOLUTION
    return rewards.mean(dim=0) - penalty * rewards.std(dim=0, unbiased=False)
    ### END SOLUTION


# %% id="ensemble-tests" nbgrader={"grade": true, "grade_id": "ensemble-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
r = torch.tensor([[1.0, 2.0, 0.0], [3.0, 2.0, 0.0]])
out = ensemble_penalised_reward(r, penalty=1.0)
assert out.shape == (3,), f"one reward per sequence: expected (3,), got {tuple(out.shape)}"
assert torch.allclose(out, torch.tensor([1.0, 2.0, 0.0])), f"means 2, 2, 0 and population stds 1, 0, 0 give [1, 2, 0], got {out.tolist()}"
assert torch.allclose(ensemble_penalised_reward(r, 0.0), r.mean(0)), "penalty 0 is the plain ensemble mean"
assert torch.equal(ensemble_penalised_reward(r[:1], 2.0), r[0]), "K = 1: the std is 0, the result is the single model's reward"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_unchanged, assert_values


def _penalised_loop(rewards, lam):
    """Independent formulation: the definitions, one column at a time, in Python floats."""
    k, out = rewards.shape[0], []
    for col in rewards.T.tolist():
        mean = math.fsum(col) / k
        out.append(mean - lam * math.sqrt(math.fsum((v - mean) ** 2 for v in col) / k))
    return torch.tensor(out, dtype=torch.float64)


_g = torch.Generator().manual_seed(14)
for _k, _n, _lam in ((1, 4, 2.0), (5, 9, 0.5), (3, 1, 3.0), (4, 6, 1.0), (2, 300, 0.0), (7, 3, 1.0)):
    _rr = torch.randn(_k, _n, generator=_g, dtype=torch.float64) * 3 - 1  # mostly negative, some positive
    _rr[:, 0] = -2.5  # a column on which all K models agree: std 0
    _got = assert_unchanged(ensemble_penalised_reward, _rr, _lam)  # must not write into rewards
    assert_values(_got, _penalised_loop(_rr, _lam), what=f"K={_k}, N={_n}, penalty={_lam}")
_rr = torch.randn(4, 5, generator=_g, dtype=torch.float64) + 100.0  # a large common offset: float32 would lose digits
assert_values(ensemble_penalised_reward(_rr, 1.5), _penalised_loop(_rr, 1.5), what="rewards near 100")
assert_values(ensemble_penalised_reward(_rr.float(), 1.5), _penalised_loop(_rr, 1.5).float(), what="float32 rewards")
### END HIDDEN TESTS

# %% [markdown] id="ensemble-experiment"
# ## Experiment 3 — does the penalty help here?
#
# *Where the paper says it:* Coste et al. (2023) repeat Gao et al.'s setup with ensembles of reward models and conservative objectives: the worst case over the ensemble (WCO), and uncertainty-weighted optimisation (UWO), which subtracts $\lambda$ times the variance across the members (as we read it; we subtract the standard deviation). For best-of-$n$ and PPO they report that these objectives reduce over-optimisation. This is our experiment with one objective, one optimiser and no KL penalty.
#
# Five bag-of-tokens models, each fitted on a bootstrap resample of the same 300 pairs, and the same optimisation against their penalised mean ($\lambda = 1$). We compare the true reward where each run ends and at its peak. (Whether this helps depends on the scale and the seed: over seeds 0-4 it stopped the collapse for three and not for two, so the claim check below reports what this run measured and does not assert it.)

# %% id="ensemble-run"
n_members = 5 if not SMOKE else 2
members = []
for _ in progress(range(n_members), desc="ensemble"):
    idx = torch.randint(0, 300, (300,), generator=generator)
    members.append(fit_reward_model(train_pairs.subset(slice(0, 300)).subset(idx), bigrams=False))
penalised, _ = optimise_against(
    lambda y: ensemble_penalised_reward(torch.stack([reward_of(p, y) for p in members]), penalty=1.0),
    desc="vs penalised ensemble")

fig, ax = subplots()
ax.plot(kls, true_curve, marker=".", label="true reward, single weak RM")
ax.plot([h["kl"] for h in penalised], [h["true"] for h in penalised], marker=".", label="true reward, ensemble mean - std")
label(ax, "An uncertainty penalty against over-optimisation", "KL(policy || reference), nats", "mean true reward")
show(fig)
pen_true = [h["true"] for h in penalised]
print(f"single RM : true reward peak {max(true_curve):+.2f}, end {true_curve[-1]:+.2f}, final KL {kls[-1]:.1f}")
print(f"ensemble  : true reward peak {max(pen_true):+.2f}, end {pen_true[-1]:+.2f}, final KL {penalised[-1]['kl']:.1f}")

# %% [markdown] id="claim-intro"
# ## Claim check
#
# The figures measured above, next to the papers' claims. In a full run each claim is asserted; with `SMOKE=True` the runs are too short, so the cell only reports.

# %% id="claim-check" tags=["claim-check"]
order = [results[(True, n)][1] for n in pair_counts]
claim("rm-accuracy", paper="reward-model accuracy grows with the number of comparisons (Ouyang et al.; Gao et al.)",
      here="ordering accuracy " + " -> ".join(f"{a:.3f}" for a in order) + f" for {pair_counts} pairs (bigram RM)",
      checks=[above(min(b - a for a, b in zip(order, order[1:])), -0.01), above(order[-1], order[0] + 0.05)], smoke=SMOKE)
acc_1000 = results[(True, 1000)][1]
claim("rm-1000", paper="a reward model from ~1000 pairs orders held-out pairs well (target >= 0.8)",
      here=f"{acc_1000:.3f} ordering accuracy with 1000 pairs (label accuracy {results[(True, 1000)][0]:.3f}, noise ceiling {ceiling:.3f})",
      checks=[above(acc_1000, 0.8)], smoke=SMOKE)
claim("goodhart", paper="the true reward peaks and falls while the proxy reward keeps rising (Gao et al., 2022)",
      here=f"true {true_curve[peak]:+.2f} at KL {kls[peak]:.1f} -> {true_curve[-1]:+.2f} at KL {kls[-1]:.1f}; "
           f"proxy {proxy_curve[peak]:+.2f} -> {proxy_curve[-1]:+.2f}",
      checks=[below(true_curve[-1], true_curve[peak] - 1.0), above(proxy_curve[-1], proxy_curve[peak] + 0.5)], smoke=SMOKE)
claim("ensemble", paper="an uncertainty penalty from an ensemble mitigates over-optimisation (Coste et al.; Ctrl-U)",
      here=f"final true reward {pen_true[-1]:+.2f} with mean - std vs {true_curve[-1]:+.2f} with one RM "
           f"(peaks {max(pen_true):+.2f} vs {max(true_curve):+.2f}: it stops the collapse, it does not raise the peak)",
      checks=[above(pen_true[-1], true_curve[-1] + 1.0)], smoke=SMOKE,
      asserted=False, why_reported="it holds for some seeds only")  # 3 of 5 seeds in our sweep (final true reward -12.4 vs -12.4 on the other two)

# %% [markdown] id="reflect"
# ## Reflect
#
# Answer each question in the cell below it, in a few sentences. These answers are graded by hand (1 point each).
#
# 1. The bag-of-tokens model cannot see the stutter penalty. Which token weights did it learn, and why does pushing them to the limit produce exactly the sequences the true reward hates?

# %% [markdown] id="reflect-weights" nbgrader={"grade": true, "grade_id": "reflect-weights", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** It learned what counts can show: positive weights on the good tokens 2, 5 and 9 (about $+0.3$ each with 1000 pairs) and a large negative weight on X (about $-1.1$), with small weights elsewhere. A linear reward on token counts is maximised by spending all 10 positions on the single highest-weighted token, and its reward grows linearly with each repeat. Nothing in the model can say that repeats are bad, because the stutter penalty depends on *order* (a token equal to the one before it), and counts cannot see order. The optimised policy duly writes `+2 +2 +2 ... +2`. The true reward of that sequence is $10 \times 1 - 9 \times 2.5 = -12.5$: nine stutters outweigh ten good tokens. That is where the run ended (true reward about $-11.9$), while the learned reward was at its highest.
#
# **Rubric (1 point).** 0.5: the learned weights (good tokens positive, X strongly negative) and that counts cannot represent order; 0.5: the maximiser of a linear count reward repeats the best token, which is exactly the stutter $r^\star$ penalises (a number for its true reward is a plus). "The model overfits" without the order argument earns 0.
# ### END SOLUTION

# %% [markdown] id="reflect-yardstick-question"
# 2. The label-noise ceiling is below 1 even for a perfect model. Why is *ordering accuracy* against $r^\star$ the better yardstick here, and why can't a real lab measure it?

# %% [markdown] id="reflect-yardstick" nbgrader={"grade": true, "grade_id": "reflect-yardstick", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** Label accuracy mixes two things: the model's errors and the coin flips in the labels. Even $r^\star$ itself scores only the ceiling, 0.910 here. A model near the ceiling (the bigram model with 5000 pairs: label accuracy 0.903) is therefore almost perfect, but the number does not say so, and differences between good models shrink into the noise. Ordering accuracy compares the model with $r^\star$ directly on untied pairs, so a perfect model scores 1: the same model scores 0.972, and the gap to 1 is its own error. It measures what we actually want, the reward the labels were noisy samples of. A real lab has no $r^\star$, only more noisy human labels. It can measure agreement with held-out labels and estimate the ceiling from how often annotators agree with each other, but never the ordering against the latent preference itself.
#
# **Rubric (1 point).** 0.5: label accuracy is capped by label noise (even the true reward reaches only the ceiling), while ordering accuracy isolates the model's error; 0.5: a real lab lacks the true reward, so it can only compare with noisy labels (inter-annotator agreement as the ceiling). Saying only "ordering accuracy is higher" earns 0.
# ### END SOLUTION

# %% [markdown] id="reflect-ensemble-question"
# 3. All five ensemble members share the same blind spot (none can see order). What kind of uncertainty can an ensemble detect, and what kind can it never detect?

# %% [markdown] id="reflect-ensemble" nbgrader={"grade": true, "grade_id": "reflect-ensemble", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** An ensemble detects *epistemic* uncertainty that comes from limited data. Where the 300 pairs say little, for instance about rare tokens or about sequences unlike the training data, the bootstrap fits disagree and the std penalty pushes the policy away from those sequences. It can never detect an error that every member makes in the same way: a *systematic* error of the shared model class (misspecification). No bag-of-tokens member can see order, so all five agree that `+2 +2 +2 ...` is excellent: every member's mean says so. The penalty can only scale with their disagreement about the *weight* of token 2. That disagreement grows with how often the token is repeated, since the std of a count-weighted sum scales with the count, but it carries no information about order. Whatever protection the penalty gave in this run (final true reward about $-2.2$ against $-11.9$ for one model) came from that disagreement, not from seeing the stutter. That is why it held for only some seeds and the claim is reported, not asserted. Fixing a shared blind spot needs a richer model class (bigrams), a KL leash, or more diverse members.
#
# **Rubric (1 point).** 0.5: detects disagreement from limited or bootstrap-varied data (epistemic, variance); 0.5: cannot detect a bias shared by all members (misspecification or a common blind spot: here order), because the members agree about it. "Ensembles detect all uncertainty" or "aleatoric label noise" as the detectable kind earns 0.
# ### END SOLUTION

# %% [markdown] id="further-reading"
# **Further reading:** Gao, Schulman & Hilton (2022) for the functional form of over-optimisation; Coste et al. (2023) and Eisenstein et al., *Helping or Herding? Reward Model Ensembles Mitigate but do not Eliminate Reward Hacking* (2023, arXiv:2312.09244); Zhang et al., *Ctrl-U* (2024).
