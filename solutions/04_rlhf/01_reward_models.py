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
# **Time:** 40 min
#
# **Points:** 9 (four autograded exercises)
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
# **Implement** `bradley_terry_loss(r_chosen, r_rejected)`: two float tensors of shape `(N,)` (rewards of the chosen and the rejected answers), returning the scalar mean loss. It must stay finite for large reward gaps in either direction (e.g. a gap of −200).
#
# *Hint:* `torch.log(torch.sigmoid(x))` underflows to `-inf` for `x = -200`; `F.logsigmoid` does not.

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
print("visible checks passed")
### BEGIN HIDDEN TESTS
g = torch.Generator().manual_seed(11)
for n in (1, 7, 300):
    a = torch.randn(n, generator=g, dtype=torch.float64) * 4
    b = torch.randn(n, generator=g, dtype=torch.float64) * 4
    # independent formulation: the softmax over the two answers, via logsumexp
    ref = (torch.logsumexp(torch.stack([a, b]), dim=0) - a).mean()
    got = bradley_terry_loss(a, b)
    assert got.dim() == 0 and torch.allclose(got, ref, atol=1e-9), (n, got, ref)
big = bradley_terry_loss(torch.tensor([-200.0, 300.0], dtype=torch.float64), torch.tensor([0.0, 0.0], dtype=torch.float64))
assert abs(big.item() - 100.0) < 1e-6, f"gaps -200 and +300: losses 200 and 0, mean 100, got {big.item()}"
# gradient: d loss / d r_chosen_i = -(1 - sigmoid(gap_i)) / N
a = torch.tensor([0.3, -1.2, 2.0], requires_grad=True)
b = torch.tensor([0.0, 0.5, -1.0])
bradley_terry_loss(a, b).backward()
assert torch.allclose(a.grad, -(1 - torch.sigmoid(a.detach() - b)) / 3, atol=1e-6), "wrong gradient: is it the mean?"
### END HIDDEN TESTS

# %% [markdown] id="features-background"
# ## Exercise 2 — what a reward model can see: n-gram features (3 points)
#
# Our reward models are linear, $r_\phi(y) = \phi^\top f(y)$, and everything depends on the features $f$. Two choices:
#
# - **bag of tokens** (weak): $f(y)_v = \#\{t : y_t = v\}$, 16 counts;
# - **tokens and bigrams** (stronger): the 16 counts, followed by $16 \times 16$ bigram counts $f(y)_{16 + 16a + b} = \#\{t : (y_t, y_{t+1}) = (a, b)\}$.
#
# **Implement** `ngram_features(tokens, bigrams)`: `tokens` is a long tensor `(N, L)` of ids in `[0, 16)`; return a float32 tensor `(N, 16)` of token counts, or `(N, 16 + 256)` with the bigram counts appended when `bigrams=True`. A sequence of length $L$ has $L-1$ bigrams.
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
g = torch.Generator().manual_seed(12)
for n, length in ((1, 2), (5, 10), (40, 7)):
    toks = torch.randint(0, VOCAB_SIZE, (n, length), generator=g)
    toks[0, :2] = torch.tensor([4, 9])  # an asymmetric bigram, so a transposed index is caught
    expected = torch.zeros(n, VOCAB_SIZE + VOCAB_SIZE ** 2)
    for i, row in enumerate(toks.tolist()):  # independent formulation: a plain loop
        for t, v in enumerate(row):
            expected[i, v] += 1
            if t + 1 < len(row):
                expected[i, VOCAB_SIZE + 16 * v + row[t + 1]] += 1
    got = ngram_features(toks, bigrams=True)
    assert got.dtype == torch.float32 and got.shape == expected.shape
    assert torch.equal(got, expected), f"wrong counts for a batch of shape {(n, length)}"
    assert torch.equal(ngram_features(toks, bigrams=False), expected[:, :VOCAB_SIZE])
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
# ## Exercise 3 — the ceiling set by label noise (2 points)
#
# The labels are coin flips: even the *true* reward predicts a label only with probability $\sigma(|r^\star(y_a) - r^\star(y_b)|)$ (it bets on the better answer, and the coin agrees that often). No model can beat the true reward on noisy labels, so the best achievable label accuracy is
#
# $$\text{ceiling} = \frac{1}{N}\sum_{i} \sigma\!\left(\frac{|r^\star(y_w^{(i)}) - r^\star(y_l^{(i)})|}{T}\right),$$
#
# where $T$ is the labelling temperature ($P(a \succ b) = \sigma((r_a - r_b)/T)$; our data uses $T = 1$).
#
# **Implement** `label_noise_ceiling(true_chosen, true_rejected, temperature=1.0)`: two `(N,)` float tensors of true rewards; return the ceiling as a Python float. It must not depend on which answer was labelled "chosen".
#
# *Hint:* pairs with equal rewards contribute $\sigma(0) = 1/2$.

# %% id="ceiling-answer" nbgrader={"grade": false, "grade_id": "ceiling-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def label_noise_ceiling(true_chosen: torch.Tensor, true_rejected: torch.Tensor, temperature: float = 1.0) -> float:
    """Best achievable accuracy on Bradley-Terry labels: mean sigmoid(|gap| / temperature)."""
    ### BEGIN SOLUTION
    return torch.sigmoid((true_chosen - true_rejected).abs() / temperature).mean().item()
    ### END SOLUTION


# %% id="ceiling-tests" nbgrader={"grade": true, "grade_id": "ceiling-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
c = label_noise_ceiling(torch.tensor([1.0, 0.0]), torch.tensor([1.0, 0.0]))
assert isinstance(c, float), f"return a Python float, got {type(c).__name__}"
assert abs(c - 0.5) < 1e-9, "equal rewards: the label is a fair coin, the ceiling is 1/2"
assert abs(label_noise_ceiling(torch.tensor([2.0]), torch.tensor([0.0])) - 1 / (1 + math.exp(-2))) < 1e-6, "gap 2: sigmoid(2)"
assert abs(label_noise_ceiling(torch.tensor([0.0]), torch.tensor([2.0])) - 1 / (1 + math.exp(-2))) < 1e-6, \
    "the ceiling must not depend on which answer was chosen"
print("visible checks passed")
### BEGIN HIDDEN TESTS
assert abs(label_noise_ceiling(torch.tensor([3.0]), torch.tensor([1.0]), temperature=2.0) - 1 / (1 + math.exp(-1))) < 1e-6, "divide the gap by T"
# independent formulation: simulate the labels and score the oracle that bets on the larger true reward
g = torch.Generator().manual_seed(13)
ra = torch.randn(200_000, generator=g) * 2
rb = torch.randn(200_000, generator=g) * 2
for temp in (0.5, 1.0, 3.0):
    a_wins = torch.rand(200_000, generator=g) < torch.sigmoid((ra - rb) / temp)
    oracle = ((ra > rb) == a_wins).float().mean().item()
    got = label_noise_ceiling(ra, rb, temperature=temp)
    assert abs(got - oracle) < 0.005, f"T={temp}: simulated oracle accuracy {oracle:.4f}, got {got:.4f}"
    got_swapped = label_noise_ceiling(rb, ra, temperature=temp)
    assert abs(got - got_swapped) < 1e-6
### END HIDDEN TESTS

# %% [markdown] id="accuracy-experiment"
# ## Experiment 1 — accuracy against the number of pairs
#
# We fit both kinds of reward model on the first 100, 300, 1000 and 5000 training pairs and score them on the held-out pairs.

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
# **Implement** `ensemble_penalised_reward(rewards, penalty)`: `rewards` is a float tensor `(K, N)` — the reward of $N$ sequences under each of $K$ models; return the `(N,)` penalised rewards, using the *population* standard deviation (divide by $K$, so that $K = 1$ gives std 0).
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
print("visible checks passed")
### BEGIN HIDDEN TESTS
g = torch.Generator().manual_seed(14)
for k, n, lam in ((1, 4, 2.0), (5, 9, 0.5), (3, 1, 3.0), (4, 6, 1.0)):
    rr = torch.randn(k, n, generator=g, dtype=torch.float64)
    expected = []
    for j in range(n):  # independent formulation: the definitions, one column at a time
        col = rr[:, j].tolist()
        mean = sum(col) / k
        std = math.sqrt(sum((v - mean) ** 2 for v in col) / k)
        expected.append(mean - lam * std)
    got = ensemble_penalised_reward(rr, lam)
    assert got.shape == (n,), (k, n, got.shape)
    assert torch.allclose(got, torch.tensor(expected, dtype=torch.float64), atol=1e-9), (k, n, lam)
### END HIDDEN TESTS

# %% [markdown] id="ensemble-experiment"
# ## Experiment 3 — does the penalty help here?
#
# Five bag-of-tokens models, each fitted on a bootstrap resample of the same 300 pairs, and the same optimisation against their penalised mean ($\lambda = 1$). We compare the true reward where each run ends and at its peak. (Whether this helps depends on the scale and the seed; the claim check below reports what this run measured.)

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
      checks=[above(pen_true[-1], true_curve[-1] + 1.0)], smoke=SMOKE)

# %% [markdown] id="reflect"
# ## Reflect
#
# 1. The bag-of-tokens model cannot see the stutter penalty. Which token weights did it learn, and why does pushing them to the limit produce exactly the sequences the true reward hates?
# 2. The label-noise ceiling is below 1 even for a perfect model. Why is *ordering accuracy* against $r^\star$ the better yardstick here — and why can't a real lab measure it?
# 3. All five ensemble members share the same blind spot (none can see order). What kind of uncertainty can an ensemble detect, and what kind can it never detect?
#
# **Further reading:** Gao, Schulman & Hilton (2022) for the functional form of over-optimisation; Coste et al. (2023) and Eisenstein et al., *Helping or Herding? Reward Model Ensembles Mitigate but do not Eliminate Reward Hacking* (2023, arXiv:2312.09244); Zhang et al., *Ctrl-U* (2024).
