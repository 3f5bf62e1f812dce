# %% [markdown] id="card"
# # Policy optimisation under a KL leash: REINFORCE, RLOO, PPO, RAFT, curated self-training and dataset resets
#
# **Papers:** A. Ahmadian et al., *Back to Basics: Revisiting REINFORCE Style Optimization for Learning from Human Feedback in LLMs* (RLOO, 2024, arXiv:2402.14740); K. Chen et al., *Reinforcement Learning for Long-Horizon Interactive LLM Agents* (LOOP, 2025, arXiv:2502.01600); H. Dong et al., *RAFT: Reward rAnked FineTuning for Generative Foundation Model Alignment* (2023, arXiv:2304.06767); D. Ferbach, Q. Bertrand, A. J. Bose, G. Gidel, *Self-Consuming Generative Models with Curated Data Provably Optimize Human Preferences* (2024, arXiv:2407.09499); J. D. Chang et al., *Dataset Reset Policy Optimization for RLHF* (DR-PO, 2024, arXiv:2404.08495); J. Schulman, F. Wolski, P. Dhariwal, A. Radford, O. Klimov, *Proximal Policy Optimization Algorithms* (PPO, 2017, arXiv:1707.06347).
#
# **Learning objectives**
# - write the KL-regularised RLHF objective and estimate its KL term from samples (two estimators);
# - implement the leave-one-out baseline of RLOO / LOOP, prove it unbiased, and measure how much it cuts gradient variance;
# - implement PPO's clipped surrogate with a value baseline and run it side by side with REINFORCE and RLOO;
# - implement RAFT's best-of-K selection and see its entropy collapse without a KL leash;
# - run curated self-training and dataset resets, and compare every method on one reward–KL plot with win rates.
#
# **Prerequisites:** notebook 01 (the toy world, Bradley–Terry); the score-function gradient $\nabla\mathbb{E}_{\pi}[r] = \mathbb{E}_\pi[r\,\nabla\log\pi]$.
#
# **Read ahead:** `paperlab preview 04_rlhf/02_policy_optimisation` writes this lesson's experiments, executed, to `build/preview/` (answers and hidden tests removed), so you can see every figure before you solve anything.
#
# **Time:** 60 min
#
# **Points:** 15 (five autograded exercises, 12 points; three written answers, 1 point each, graded by hand)
#
# **Claim:** with a reward in hand, simple REINFORCE-style methods with a leave-one-out baseline (RLOO, LOOP) raise the reward under a KL leash without a value network; reward-ranked fine-tuning (RAFT) and curated retraining also raise it, but without the leash RAFT collapses the policy's entropy.

# %% id="parameters" tags=["parameters"]
SMOKE = False  # True: tiny sizes, runs in seconds
SEED = 0
STEPS = 120  # optimisation steps per method
PROMPTS = 32  # prompts per step
K = 4  # completions per prompt
N_EVAL = 1000  # samples per evaluation

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math

import torch

from utils.common import above, at_least, below, claim, progress, setup_lesson
from utils.plotting import label, show, subplots
from utils.rlhf import (
    SEQ_LEN,
    GRUPolicy,
    PromptValue,
    ToyWorld,
    clone_policy,
    decode,
    frozen,
    reference_policy,
    true_reward,
)

if SMOKE:
    STEPS, PROMPTS, N_EVAL = min(STEPS, 8), min(PROMPTS, 8), min(N_EVAL, 200)
generator = setup_lesson(
    SEED, SMOKE,
    STEPS=(STEPS, at_least(4)),
    PROMPTS=(PROMPTS, at_least(1)),
    K=(K, at_least(2)),
    N_EVAL=(N_EVAL, at_least(50)),
)
PROMPT_LEN = 2  # a "prompt" is the first two tokens of a reference sample; the policy writes the other 8
BETA = 0.5  # strength of the KL leash
CLIP_EPS, PPO_EPOCHS, VALUE_LR = 0.2, 4, 0.05  # PPO: clip range, gradient steps per batch of rollouts, value step size
world = ToyWorld(SEED)
reference = frozen(reference_policy(world))
print(f"KL strength beta={BETA}")


# %% [markdown] id="objective"
# ## The KL-regularised objective
#
# Given prompts $x$ and a reward $r$, RLHF maximises
#
# $$J(\theta) = \mathbb{E}_{x}\,\mathbb{E}_{y\sim\pi_\theta(\cdot\mid x)}\Big[r(x, y) - \beta \log\frac{\pi_\theta(y\mid x)}{\pi_{\text{ref}}(y\mid x)}\Big] = \mathbb{E}[r] - \beta\,\mathrm{KL}(\pi_\theta\,\|\,\pi_{\text{ref}}).$$
#
# The KL term is the *leash*: it keeps the policy near the reference, where the reward can be trusted (notebook 01's Goodhart experiment showed what happens without it) and where the policy keeps its diversity. Here the reward is the true reward $r^\star$ of the toy world — notebook 01 showed how to learn one from preferences; here we study what happens once we have it.
#
# ## Exercise 1 — two Monte-Carlo estimators of the KL (3 points)
#
# We can only estimate the KL from samples $y\sim\pi_\theta$. With the log-ratio $\ell = \log\pi_\theta(y) - \log\pi_{\text{ref}}(y)$ and $\rho = \pi_{\text{ref}}(y)/\pi_\theta(y) = e^{-\ell}$:
#
# $$k_1 = \ell, \qquad k_3 = (\rho - 1) - \log\rho .$$
#
# Both are unbiased ($\mathbb{E}_{\pi_\theta}[\rho] = 1$), but $k_3$ is never negative (because $\log\rho \le \rho - 1$) and usually has lower variance; $k_1$ can be negative on single samples.
#
# **Implement** `kl_estimates(logp_policy, logp_ref)`: two `(N,)` float tensors of log-probabilities of $N$ samples drawn from the policy; return the tuple `(k1, k3)` of `(N,)` per-sample estimates (their means estimate $\mathrm{KL}(\pi_\theta\|\pi_{\text{ref}})$), in the dtype of the inputs (compute in that precision).
# Sequence log-probabilities can be very negative (e.g. −900), so never exponentiate a log-probability on its own: $k_3$ must stay finite wherever $\rho$ does, e.g. for $\ell = +800$ ($k_3 = 799$) or $\ell = -50$. Methods such as GRPO train through the KL term, so both estimates must stay differentiable with respect to `logp_policy`. Leave the inputs unchanged.
#
# *Hint:* compute $\log\rho = -\ell$ first; `torch.expm1(x) - x` is $e^x - 1 - x$, accurate for small $x$.

# %% id="kl-answer" nbgrader={"grade": false, "grade_id": "kl-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def kl_estimates(logp_policy: torch.Tensor, logp_ref: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample KL(policy || ref) estimates k1 = log(pi/ref) and k3 = (ref/pi - 1) - log(ref/pi)."""
    ### BEGIN SOLUTION
    log_ratio = logp_policy - logp_ref
    log_rho = -log_ratio
    return log_ratio, torch.expm1(log_rho) - log_rho
    ### END SOLUTION


# %% id="kl-tests" nbgrader={"grade": true, "grade_id": "kl-tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
k1, k3 = kl_estimates(torch.tensor([-1.0, -2.0]), torch.tensor([-1.0, -2.0]))
assert k1.shape == (2,) and k3.shape == (2,), f"per-sample estimates, shapes (2,) and (2,), got {tuple(k1.shape)}, {tuple(k3.shape)}"
assert torch.allclose(k1, torch.zeros(2)) and torch.allclose(k3, torch.zeros(2)), "policy = reference: both estimates are 0"
k1, k3 = kl_estimates(torch.tensor([math.log(0.5)]), torch.tensor([math.log(0.25)]))
assert abs(k1.item() - math.log(2)) < 1e-6, f"k1 = log(0.5 / 0.25) = log 2, got {k1.item()}"
assert abs(k3.item() - (0.5 - 1 - math.log(0.5))) < 1e-6, f"k3 = (0.5 - 1) - log 0.5, got {k3.item()}"
k1, k3 = kl_estimates(torch.tensor([-100.0], dtype=torch.float64), torch.tensor([-900.0], dtype=torch.float64))
assert torch.isfinite(k3).all() and abs(k3.item() - 799.0) < 1e-9, \
    f"log-ratio 800: k3 = (e^-800 - 1) + 800 = 799; work with log rho, never exp(log-probability); got {k3.item()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_grads_match, assert_unchanged, assert_values


def _kl_exact(lp, lr):
    """Independent formulation, in Python floats: k1 = l, k3 = expm1(-l) + l."""
    ell = [a - b for a, b in zip(lp.tolist(), lr.tolist())]
    return (torch.tensor(ell, dtype=torch.float64), torch.tensor([math.expm1(-v) + v for v in ell], dtype=torch.float64))


def _kl_torch(lp, lr):
    """Independent formulation for gradients: rho = exp(-l), k3 = rho - 1 + l."""
    ell = lp - lr
    return ell, torch.exp(-ell) - 1 + ell


_g = torch.Generator().manual_seed(21)
_cases = [(torch.randn(n, generator=_g, dtype=torch.float64) * s - 20, torch.randn(n, generator=_g, dtype=torch.float64) * s - 20)
          for n, s in ((1, 1.0), (7, 3.0), (200, 0.5), (5, 1e-4))]
_t = torch.round(torch.randn(8, generator=_g, dtype=torch.float64) * 2) / 2 - 3
_cases += [(_t, _t.clone()), (_t, _t.flip(0)),  # ties: l = 0 exactly
           (torch.tensor([-100.0, -900.0, -850.0, -3.0], dtype=torch.float64),  # l = 800, -50 (rho = e^50), 0, 47
            torch.tensor([-900.0, -850.0, -850.0, -50.0], dtype=torch.float64))]
for _lp, _lr in _cases:
    _got = assert_unchanged(kl_estimates, _lp, _lr)  # must not write into its arguments
    assert isinstance(_got, tuple) and len(_got) == 2, "return the tuple (k1, k3)"
    _want = _kl_exact(_lp, _lr)
    assert_values(_got[0], _want[0], what=f"k1 for N={_lp.shape[0]}")
    assert_values(_got[1], _want[1], what=f"k3 for N={_lp.shape[0]}")
    assert (_got[1] >= 0).all(), "k3 is never negative"
    # the policy is trained through the KL term: gradients with respect to logp_policy
    assert_grads_match(kl_estimates, _kl_torch, _lp, _lr, argnums=(0,), what=f"kl_estimates (N={_lp.shape[0]})")
_f = kl_estimates(_t.float(), _t.flip(0).float())
assert_values(_f[0], _kl_exact(_t, _t.flip(0))[0].float(), what="k1 for float32 inputs")
assert_values(_f[1], _kl_exact(_t, _t.flip(0))[1].float(), what="k3 for float32 inputs")
# independent formulation: exact KL of two categorical distributions by enumeration, against sample means
for _trial in range(3):
    _p = torch.softmax(torch.randn(6, generator=_g, dtype=torch.float64), 0)
    _q = torch.softmax(torch.randn(6, generator=_g, dtype=torch.float64), 0)
    _exact = (_p * (_p / _q).log()).sum().item()
    _idx = torch.multinomial(_p, 400_000, replacement=True, generator=_g)
    _e1, _e3 = kl_estimates(_p.log()[_idx], _q.log()[_idx])
    assert abs(_e1.mean().item() - _exact) < 0.02 and abs(_e3.mean().item() - _exact) < 0.02, (_trial, _exact, _e1.mean(), _e3.mean())
### END HIDDEN TESTS

# %% [markdown] id="rollouts"
# ## Rollouts
#
# A step of every method starts the same way: `PROMPTS` prompts (the first `PROMPT_LEN` tokens of reference samples), `K` completions each, rewards from $r^\star$. Only the generated tokens (positions $\ge$ `PROMPT_LEN`) belong to the policy, so log-probabilities and the KL are summed over those positions only: the `mask` below.

# %% id="rollout-helpers"
def sample_prompts(n: int) -> torch.Tensor:
    """n prompts, stored as full-length rows whose first PROMPT_LEN tokens are the prompt."""
    return reference.sample(n, generator)


def rollout(policy: GRUPolicy, starts: torch.Tensor, start_len: torch.Tensor):
    """Complete each row of `starts` after its first start_len[i] tokens; return (tokens, mask of generated positions)."""
    tokens = policy.sample(starts.shape[0], generator, prefix=starts, prefix_len=start_len)
    mask = (torch.arange(SEQ_LEN)[None, :] >= start_len[:, None]).float()
    return tokens, mask


def evaluate(policy: GRUPolicy) -> dict:
    """True reward, KL (k1 and k3), entropy and win rate against the reference, from N_EVAL fresh prompts."""
    starts = sample_prompts(N_EVAL)
    lens = torch.full((N_EVAL,), PROMPT_LEN)
    y, mask = rollout(policy, starts, lens)
    y_ref, _ = rollout(reference, starts, lens)
    with torch.no_grad():
        k1, k3 = kl_estimates((policy.token_logprobs(y) * mask).sum(1), (reference.token_logprobs(y) * mask).sum(1))
        entropy = policy.entropy(y).mean().item()
    r, r_ref = true_reward(y), true_reward(y_ref)
    win = ((r > r_ref).float() + 0.5 * (r == r_ref).float()).mean().item()
    return {"reward": r.mean().item(), "kl": k1.mean().item(), "kl_k3": k3.mean().item(), "entropy": entropy, "win": win}


base = evaluate(reference)
print(f"reference: true reward {base['reward']:+.2f}, entropy {base['entropy']:.1f} nats/sequence, "
      f"KL estimates {base['kl']:.3f} / {base['kl_k3']:.3f} (0 by construction)")


# %% [markdown] id="rloo-background"
# ## Exercise 2 — the leave-one-out baseline (2 points)
#
# REINFORCE, $\hat g = \frac{1}{N}\sum_i R_i\,\nabla\log\pi_\theta(y_i)$ with $R_i = r_i - \beta\,\ell_i$ (the KL-penalised reward), is unbiased but noisy. Subtracting a baseline $b_i$ keeps it unbiased as long as $b_i$ does not depend on $y_i$. RLOO (Ahmadian et al., 2024) and LOOP (Chen et al., 2025) draw $K$ completions per prompt and use the mean reward of the **other** $K-1$:
#
# $$A_{i} = R_{i} - \frac{1}{K-1}\sum_{j\ne i} R_{j} \qquad\text{(within one prompt's group)} .$$
#
# No value network is needed — the other samples *are* the value estimate.
#
# **Why the baseline adds no bias.** Fix a prompt. Its $K$ completions are drawn independently, so $b_i = \frac{1}{K-1}\sum_{j\ne i} R_j$ is a function of the *other* samples only and is independent of $y_i$. The expectation of a product of independent factors factorises (all expectations given the prompt):
#
# $$\mathbb{E}\big[(R_i - b_i)\,\nabla\log\pi_\theta(y_i)\big] = \mathbb{E}\big[R_i\,\nabla\log\pi_\theta(y_i)\big] - \mathbb{E}[b_i]\;\mathbb{E}\big[\nabla\log\pi_\theta(y_i)\big],$$
#
# and the score has mean zero: $\mathbb{E}_{y\sim\pi_\theta}[\nabla\log\pi_\theta(y)] = \sum_y \pi_\theta(y)\,\frac{\nabla\pi_\theta(y)}{\pi_\theta(y)} = \nabla\sum_y\pi_\theta(y) = \nabla 1 = 0$. So the second term vanishes and the estimator keeps the REINFORCE mean; only its variance changes. (Including $R_i$ in its own baseline, as the plain group mean does, breaks the independence: it scales the expected gradient by $(K-1)/K$.) Here the $R_j$ enter the loss as constants: the KL part $-\beta\ell_j$ is computed without gradient.
#
# **Implement** `rloo_advantages(rewards)`: `rewards` is a float tensor `(P, K)` (row = prompt, column = completion); return the `(P, K)` advantages, in the dtype of `rewards` (compute in that precision). Raise `ValueError` if `K < 2`. The advantages must stay differentiable with respect to `rewards` (its KL part $-\beta\ell_i$ can carry gradients); leave `rewards` unchanged.
#
# *Hint:* the sum of the others is `row_sum - R_i`.

# %% id="rloo-answer" nbgrader={"grade": false, "grade_id": "rloo-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rloo_advantages(rewards: torch.Tensor) -> torch.Tensor:
    """Leave-one-out advantages within each row of a (P, K) reward tensor."""
    # Checked against huggingface/trl, trl/trainer/rloo_trainer.py ("vectorized RLOO advantages"):
    # baseline = (sum over the k samples - own reward) / (k - 1); trl lays rewards out as (k, P).
    ### BEGIN SOLUTION
    k = rewards.shape[1]
    if k < 2:
        raise ValueError(f"rewards must have K >= 2 completions per prompt (shape (P, K)), got {tuple(rewards.shape)}")
    baseline = (rewards.sum(dim=1, keepdim=True) - rewards) / (k - 1)
    return rewards - baseline
    ### END SOLUTION


# %% id="rloo-tests" nbgrader={"grade": true, "grade_id": "rloo-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
adv = rloo_advantages(torch.tensor([[1.0, 2.0, 6.0]]))
assert adv.shape == (1, 3), f"same shape as rewards, got {tuple(adv.shape)}"
assert torch.allclose(adv, torch.tensor([[1 - 4.0, 2 - 3.5, 6 - 1.5]])), f"baselines are 4, 3.5, 1.5 (mean of the others), got {adv.tolist()}"
assert torch.allclose(rloo_advantages(torch.full((2, 4), 3.0)), torch.zeros(2, 4)), "equal rewards: zero advantages"
try:
    rloo_advantages(torch.ones(3, 1))
except ValueError:
    pass
else:
    raise AssertionError("K = 1 must raise ValueError")
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_grads_match, assert_raises, assert_unchanged, assert_values


def _rloo_loop(r):
    """Independent formulation: loop over the others explicitly, in Python floats."""
    out = [[v - math.fsum(row[:j] + row[j + 1:]) / (len(row) - 1) for j, v in enumerate(row)] for row in r.tolist()]
    return torch.tensor(out, dtype=torch.float64)


def _rloo_rescaled(r):
    """Independent formulation for gradients: K/(K-1) times the rewards minus their mean."""
    k = r.shape[1]
    return k / (k - 1) * (r - r.mean(dim=1, keepdim=True))


_g = torch.Generator().manual_seed(22)
_cases = [torch.randn(p, k, generator=_g, dtype=torch.float64) * 2 for p, k in ((1, 2), (5, 4), (3, 7), (1, 16))]
_cases.append(torch.round(torch.randn(4, 5, generator=_g, dtype=torch.float64)) - 2)  # negative rewards with ties
_cases.append(torch.full((2, 3), -1.5, dtype=torch.float64))  # a whole row tied: zero advantages
_cases.append(torch.randn(3, 4, generator=_g, dtype=torch.float64) + 1000.0)  # a large common offset: float32 loses it
for _r in _cases:
    _got = assert_unchanged(rloo_advantages, _r)  # must not write into rewards
    assert_values(_got, _rloo_loop(_r), what=f"advantages of a {tuple(_r.shape)} reward table")
    assert_grads_match(rloo_advantages, _rloo_rescaled, _r, what=f"rloo_advantages {tuple(_r.shape)}")
assert_values(rloo_advantages(_cases[1].float()), _rloo_loop(_cases[1]).float(), what="advantages of float32 rewards")
for _bad in (torch.ones(3, 1, dtype=torch.float64), torch.ones(2, 0)):
    assert_raises(ValueError, rloo_advantages, _bad)
### END HIDDEN TESTS

# %% [markdown] id="variance-experiment"
# ### How much does the baseline buy?
#
# *Where the paper says it:* this measures, in miniature, the reason Ahmadian et al. (2024) give for RLOO's baseline (their discussion of variance reduction without a learned critic, as we read it), in the form of Kool et al. (2019): the other samples of a prompt are a free baseline.
#
# At the reference policy, we draw 20 independent batches and compute the policy-gradient estimate of each, with and without the leave-one-out baseline. The total variance of the estimate (summed over all parameters) is the noise each method must average out.

# %% id="variance-run"
def gradient_samples(advantage_fn, n_batches: int = 20 if not SMOKE else 4) -> torch.Tensor:
    """n_batches policy-gradient estimates at the reference, flattened: (n_batches, n_params)."""
    policy = clone_policy(reference)
    grads = []
    for _ in range(n_batches):
        starts = sample_prompts(PROMPTS).repeat_interleave(K, dim=0)
        y, mask = rollout(policy, starts, torch.full((PROMPTS * K,), PROMPT_LEN))
        logp = (policy.token_logprobs(y) * mask).sum(1)
        adv = advantage_fn(true_reward(y).view(PROMPTS, K)).flatten()
        policy.zero_grad()
        (-(adv * logp).mean()).backward()
        grads.append(torch.cat([p.grad.flatten() for p in policy.parameters()]))
    return torch.stack(grads)


var_plain = gradient_samples(lambda r: r).var(dim=0).sum().item()
var_rloo = gradient_samples(rloo_advantages).var(dim=0).sum().item()
variance_ratio = var_plain / var_rloo
print(f"total gradient variance: REINFORCE {var_plain:.3f}, RLOO {var_rloo:.3f} -> {variance_ratio:.1f}x lower with leave-one-out")


# %% [markdown] id="raft-background"
# ## Exercise 3 — RAFT: keep the best, fine-tune on it (2 points)
#
# RAFT (Dong et al., 2023) needs no policy gradient at all. Each round: sample $K$ completions per prompt, **keep the best one by reward**, and take a supervised fine-tuning step on the kept samples. It is best-of-$K$ sampling distilled into the policy — and nothing pulls it back towards the reference.
#
# **Implement** `raft_select(tokens, rewards, group_size)`: `tokens` is a long tensor `(P * K, L)` whose rows come in consecutive groups of `group_size = K` completions of the same prompt (rows `0..K-1` for prompt 0, and so on); `rewards` is `(P * K,)`. Return the `(P, L)` tensor of the best completion of each group. Rewards are compared exactly, in their own dtype (they may be `-inf`); **on ties keep the first** (lowest-index) row of the group with the maximal reward. Raise `ValueError` if `group_size < 1` or the rows do not split into groups of `group_size`. Leave both inputs unchanged.
#
# *Hint:* `rewards.view(P, K).argmax(dim=1)`.

# %% id="raft-answer" nbgrader={"grade": false, "grade_id": "raft-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def raft_select(tokens: torch.Tensor, rewards: torch.Tensor, group_size: int) -> torch.Tensor:
    """The highest-reward row of each consecutive group of `group_size` rows: (P * K, L) -> (P, L)."""
    ### BEGIN SOLUTION
    n = tokens.shape[0]
    if group_size < 1 or n % group_size:
        raise ValueError(f"tokens must have P * group_size rows, got {n} rows for group_size={group_size}")
    groups = n // group_size
    best = rewards.view(groups, group_size).argmax(dim=1)
    return tokens.view(groups, group_size, -1)[torch.arange(groups), best]
    ### END SOLUTION


# %% id="raft-tests" nbgrader={"grade": true, "grade_id": "raft-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
_t = torch.tensor([[0, 0], [1, 1], [2, 2], [3, 3], [4, 4], [5, 5]])
_r = torch.tensor([0.1, 0.9, 0.5, 3.0, -1.0, 2.0])
best = raft_select(_t, _r, group_size=3)
assert best.shape == (2, 2), f"one row per group: expected (2, 2), got {tuple(best.shape)}"
assert best.tolist() == [[1, 1], [3, 3]], f"groups are consecutive rows {{0,1,2}} and {{3,4,5}}: expected [[1,1],[3,3]], got {best.tolist()}"
assert raft_select(_t, torch.tensor([1.0, 2.0, 2.0, 0.0, 0.0, 0.0]), 3).tolist() == [[1, 1], [3, 3]], \
    "on ties keep the first row of the group with the maximal reward"
try:
    raft_select(_t, _r, group_size=4)
except ValueError:
    pass
else:
    raise AssertionError("6 rows do not split into groups of 4: raise ValueError")
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_raises, assert_unchanged, assert_values


def _raft_loop(toks, rews, k):
    """Independent formulation: a loop with max over (reward, -index), rewards as Python floats."""
    values, kept = rews.tolist(), []
    for start in range(0, len(values), k):
        j = max(range(k), key=lambda m: (values[start + m], -m))
        kept.append(toks[start + j].tolist())
    return torch.tensor(kept, dtype=toks.dtype).reshape(len(kept), toks.shape[1])


_g = torch.Generator().manual_seed(23)
_cases = []
for _p, _k in ((1, 5), (7, 3), (4, 1), (3, 2), (1, 1)):
    _cases.append((torch.randint(0, 16, (_p * _k, 10), generator=_g), torch.randn(_p * _k, generator=_g, dtype=torch.float64)))
_cases.append((torch.randint(0, 16, (12, 4), generator=_g),  # ties, near-ties (float32 would merge them) and -inf
               torch.tensor([1.0, 1.0, 0.0, -2.0, 1 + 1e-12, 1.0, -math.inf, -math.inf, -math.inf, -5.0, -math.inf, -5.0],
                            dtype=torch.float64)))
_cases.append((torch.randint(0, 16, (8, 3), generator=_g), torch.round(torch.randn(8, generator=_g, dtype=torch.float64)) - 1))
_cases.append((torch.randint(0, 16, (6, 5), generator=_g), torch.tensor([0.5, 0.5 - 1e-13, 0.5 + 1e-13, -3.0, -3.0, -3.0],
                                                                       dtype=torch.float64)))
for _toks, _rews in _cases:
    for _k in sorted({d for d in range(1, _toks.shape[0] + 1) if _toks.shape[0] % d == 0}):
        _kept = _rews.clone()
        _got = assert_unchanged(raft_select, _toks, _rews, _k)  # must not write into tokens or rewards
        assert torch.equal(_rews, _kept), "raft_select changed `rewards` in place (e.g. replaced -inf): work on a copy"
        assert_values(_got, _raft_loop(_toks, _rews, _k), what=f"raft_select of {_toks.shape[0]} rows, group_size={_k}")
assert_values(raft_select(_cases[-1][0], _cases[-1][1].float(), 3), _raft_loop(_cases[-1][0], _cases[-1][1].float(), 3),
              what="float32 rewards, tied after rounding: keep the first")
for _bad in (0, -3, 4, 5, 7):
    assert_raises(ValueError, raft_select, _t, _r, _bad)
### END HIDDEN TESTS

# %% [markdown] id="drpo-background"
# ## Exercise 4 — dataset resets (2 points)
#
# DR-PO (Chang et al., 2024) notices that an offline preference data set holds *good states* for free: the preferred responses. Instead of always rolling out from the prompt, it **resets** the policy to a random prefix of a preferred response and lets it complete from there. The policy then practises on states it would rarely reach by itself. The policy gradient only sees the generated tokens, and with $K$ completions from the same reset state the leave-one-out baseline cancels the reward already earned by the prefix.
#
# **Implement** `reset_starts(preferred, n, min_len, max_len, generator)`: `preferred` is a long tensor `(M, L)` of preferred responses; draw `n` independent reset states, each a uniformly random row of `preferred` (**with** replacement: the same row may come back) and, independently, a uniformly random prefix length in `{min_len, ..., max_len}` (both included). Return `(starts, lengths)`: the chosen rows `(n, L)` and the lengths `(n,)` (long).
# Use `generator` for all randomness, in this order (the tests replay it): first all `n` row indices with `torch.randint(0, M, (n,), generator=generator)`, then all `n` lengths with `torch.randint(min_len, max_len + 1, (n,), generator=generator)`. Make exactly these two draws, always — also when `min_len == max_len` (every length is then `min_len`, but draw them anyway): the tests compare `generator.get_state()` after your call with the replay's. Raise `ValueError` if `min_len > max_len`. Any `min_len <= max_len` is valid, also `max_len >= L`: the lengths are returned as drawn, never clipped to `L` or `L - 1` (the caller clips). Leave `preferred` unchanged.
#
# *Hint:* `torch.randint(low, high, size, generator=...)` excludes `high`.

# %% id="reset-answer" nbgrader={"grade": false, "grade_id": "reset-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def reset_starts(preferred: torch.Tensor, n: int, min_len: int, max_len: int,
                 generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n random (preferred row, prefix length in [min_len, max_len]) reset states: ((n, L), (n,))."""
    ### BEGIN SOLUTION
    if min_len > max_len:
        raise ValueError(f"min_len must be <= max_len, got min_len={min_len}, max_len={max_len}")
    rows = torch.randint(0, preferred.shape[0], (n,), generator=generator)
    lengths = torch.randint(min_len, max_len + 1, (n,), generator=generator)
    return preferred[rows], lengths
    ### END SOLUTION


# %% id="reset-tests" nbgrader={"grade": true, "grade_id": "reset-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
_pref = torch.arange(30).view(3, 10)
starts, lengths = reset_starts(_pref, 5, 2, 9, torch.Generator().manual_seed(0))
assert starts.shape == (5, 10) and lengths.shape == (5,), f"expected (5, 10) and (5,), got {tuple(starts.shape)}, {tuple(lengths.shape)}"
assert lengths.dtype == torch.long, f"lengths are integers (torch.long), got {lengths.dtype}"
assert all(row in _pref.tolist() for row in starts.tolist()), "every start is a row of `preferred`"
assert ((lengths >= 2) & (lengths <= 9)).all(), f"lengths must lie in [min_len, max_len], got {lengths.tolist()}"
_replay = torch.Generator().manual_seed(0)
_rows = torch.randint(0, 3, (5,), generator=_replay)
assert torch.equal(starts, _pref[_rows]) and torch.equal(lengths, torch.randint(2, 10, (5,), generator=_replay)), \
    "draw the n rows first, then the n lengths, with torch.randint and the generator, as the statement says"
print("visible checks passed")
### BEGIN HIDDEN TESTS
import itertools as _it

from utils.testing import assert_raises, assert_samples_follow, assert_unchanged, assert_values


def _replayed(preferred, n, lo, hi, seed):
    """The draws the statement prescribes, replayed on a fresh generator."""
    gen = torch.Generator().manual_seed(seed)
    rows = torch.randint(0, preferred.shape[0], (n,), generator=gen)
    return preferred[rows], torch.randint(lo, hi + 1, (n,), generator=gen)


_g = torch.Generator().manual_seed(24)
_big = torch.randint(0, 16, (7, 10), generator=_g)
# max_len >= L (= 10) is allowed: lengths as drawn, never clipped; min_len == max_len still draws the lengths
for _pf, _n, _lo, _hi, _seed in ((_pref, 50, 0, 4, 7), (_pref, 1, 3, 3, 8), (_big, 20, 2, 9, 9), (_big[:1], 6, 0, 10, 10),
                                 (_pref, 12, 5, 5, 11), (_pref, 200, 8, 10, 12), (_big, 100, 6, 14, 13), (_pref, 5, 10, 10, 14),
                                 (_big, 7, 13, 13, 15), (_big[:1], 1, 0, 0, 16)):
    _gen = torch.Generator().manual_seed(_seed)
    _got = assert_unchanged(reset_starts, _pf, _n, _lo, _hi, _gen)  # leave preferred unchanged
    _want = _replayed(_pf, _n, _lo, _hi, _seed)
    assert_values(_got[0], _want[0], what=f"starts (n={_n}, lengths {_lo}..{_hi}): draw the rows first, with replacement")
    assert_values(_got[1], _want[1], what=f"lengths (n={_n}, lengths {_lo}..{_hi}, L={_pf.shape[1]}): then the lengths, "
                                          "both ends included, never clipped to L")
    _replay = torch.Generator().manual_seed(_seed)
    _replayed_draws = (torch.randint(0, _pf.shape[0], (_n,), generator=_replay), torch.randint(_lo, _hi + 1, (_n,), generator=_replay))
    assert torch.equal(_gen.get_state(), _replay.get_state()), \
        (f"reset_starts(n={_n}, min_len={_lo}, max_len={_hi}) left the generator in another state than the two draws the "
         "statement prescribes (draw the lengths with torch.randint even when min_len == max_len, and draw nothing else)")
# the joint distribution of two consecutive reset states: independent, uniform rows (with replacement) and lengths
_s, _ln = reset_starts(_pref, 40_000, 2, 4, torch.Generator().manual_seed(1))
_states = list(zip((_s[:, 0] // 10).tolist(), _ln.tolist()))
_pairs = [_states[i] + _states[i + 1] for i in range(0, len(_states), 2)]
_outcomes = list(_it.product(range(3), range(2, 5), range(3), range(2, 5)))
assert_samples_follow(_pairs, {o: 1 / len(_outcomes) for o in _outcomes},
                      what="pairs of consecutive (row, length) reset states")
assert_samples_follow(_states, {o: 1 / 9 for o in _it.product(range(3), range(2, 5))}, what="(row, length) reset states")
for _lo, _hi in ((5, 4), (9, 2)):
    assert_raises(ValueError, reset_starts, _pref, 4, _lo, _hi, torch.Generator().manual_seed(0))
### END HIDDEN TESTS

# %% [markdown] id="ppo-background"
# ## Exercise 5 — PPO's clipped surrogate with a value baseline (3 points)
#
# PPO (Schulman et al., 2017) is the method RLOO was written against. It differs from REINFORCE in two ways. First, a learned **value** $V(x)$ replaces the leave-one-out baseline: the advantage is $A = R - V(x)$. Second, it reuses each batch of rollouts for several gradient steps. After the first step the samples no longer come from the current policy $\pi_\theta$ but from the policy $\pi_{\text{old}}$ that generated them, so the gradient is weighted by the ratio $\rho = \pi_\theta(y)/\pi_{\text{old}}(y)$. To stop the policy from drifting far from the data in one batch, the surrogate is **clipped**:
#
# $$\mathcal{L}(\theta, \phi) = -\frac{1}{N}\sum_{i}\min\big(\rho_i A_i,\ \mathrm{clip}(\rho_i, 1-\varepsilon, 1+\varepsilon)\,A_i\big) \;+\; c\,\frac{1}{N}\sum_i \big(V_\phi(x_i) - R_i\big)^2 .$$
#
# **Implement** `ppo_loss(logp, logp_old, rewards, values, clip_eps=0.2, value_coef=0.5)`: four `(N,)` float tensors. `logp` holds $\log\pi_\theta(y_i)$ (with gradients), `logp_old` holds $\log\pi_{\text{old}}(y_i)$, `rewards` holds $R_i$ and `values` holds $V_\phi(x_i)$ (with gradients). Return the scalar $\mathcal{L}$ above, in the inputs' dtype (compute in that precision). The rules the tests check:
# - $\rho_i = \exp(\log\pi_\theta(y_i) - \log\pi_{\text{old}}(y_i))$, computed from that difference;
# - the advantage $A_i = R_i - V_\phi(x_i)$ is a constant of the policy term: the policy term sends no gradient to `values`, which are trained by the value term only;
# - `logp_old` is a constant: no gradient may reach it, even if it requires one;
# - gradients must reach `logp` (through the policy term) and `values` (through the value term), and they must be exactly those of $\mathcal{L}$ as written. Where $\rho_i$ equals $1-\varepsilon$ or $1+\varepsilon$ exactly, the two terms of the min are equal, and the gradient is that of $\rho_i A_i$. The clip removes a sample's gradient only strictly outside $[1-\varepsilon, 1+\varepsilon]$;
# - raise `ValueError` unless $0 < \varepsilon < 1$; leave the inputs unchanged.
#
# *Hint (no code here):* for $A > 0$ and for $A < 0$ separately, work out which of the two terms the min picks when $\rho$ is above $1+\varepsilon$, inside the interval, and below $1-\varepsilon$. For each case, ask whether that term still depends on $\theta$. You will see that the clip is one-sided, and that it only ever removes the incentive to move further.

# %% id="ppo-answer" nbgrader={"grade": false, "grade_id": "ppo-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def ppo_loss(logp: torch.Tensor, logp_old: torch.Tensor, rewards: torch.Tensor, values: torch.Tensor,
             clip_eps: float = 0.2, value_coef: float = 0.5) -> torch.Tensor:
    """PPO's clipped surrogate (advantage = rewards - values, constant) plus value_coef times the value MSE."""
    ### BEGIN SOLUTION
    if not 0 < clip_eps < 1:
        raise ValueError(f"clip_eps must lie in (0, 1), got {clip_eps}")
    advantages = (rewards - values).detach()
    ratio = torch.exp(logp - logp_old.detach())
    surrogate = torch.minimum(ratio * advantages, torch.clamp(ratio, 1 - clip_eps, 1 + clip_eps) * advantages)
    return -surrogate.mean() + value_coef * (values - rewards).square().mean()
    ### END SOLUTION


# %% id="ppo-tests" nbgrader={"grade": true, "grade_id": "ppo-tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
_z = torch.zeros(3)
_loss = ppo_loss(_z, _z, torch.tensor([1.0, -2.0, 4.0]), _z)
assert _loss.dim() == 0, f"return a scalar, got shape {tuple(_loss.shape)}"
assert abs(_loss.item() - (-1.0 + 0.5 * 7.0)) < 1e-6, \
    f"ratio 1, V = 0: -mean(A) + 0.5 * mean(R^2) = -1 + 3.5, got {_loss.item()}"
_two = torch.tensor([math.log(2.0)])  # ratio 2, far above 1 + eps
_up = ppo_loss(_two, torch.zeros(1), torch.ones(1), torch.zeros(1), clip_eps=0.2, value_coef=0.0)
assert abs(_up.item() + 1.2) < 1e-6, f"A = +1, ratio 2: min(2, 1.2) = 1.2, loss -1.2; got {_up.item()}"
_down = ppo_loss(_two, torch.zeros(1), -torch.ones(1), torch.zeros(1), clip_eps=0.2, value_coef=0.0)
assert abs(_down.item() - 2.0) < 1e-6, f"A = -1, ratio 2: min(-2, -1.2) = -2, loss +2 (clip the ratio, not the advantage); got {_down.item()}"
_lp, _old = torch.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
_v = torch.tensor([0.5, -0.5], requires_grad=True)
ppo_loss(_lp, _old, torch.tensor([1.0, 1.0]), _v).backward()
assert _old.grad is None or not _old.grad.any(), "logp_old is a constant: no gradient may reach it"
assert _lp.grad is not None and _lp.grad.abs().sum() > 0, "gradients must reach logp"
assert torch.allclose(_v.grad, torch.tensor([-0.25, -0.75])), \
    f"values get the gradient of the value term only (A is a constant): 0.5 * 2 (V - R) / N, got {_v.grad.tolist()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_grads_match, assert_raises, assert_unchanged, assert_values


def _ppo_exact(lp, lo, r, v, eps, c):
    """Independent formulation, sample by sample in Python floats: the case analysis of the min."""
    terms, sq = [], []
    for a, b, rew, val in zip(lp.tolist(), lo.tolist(), r.tolist(), v.tolist()):
        ratio, adv = math.exp(a - b), rew - val
        if adv > 0 and ratio > 1 + eps:
            terms.append(-(1 + eps) * adv)
        elif adv < 0 and ratio < 1 - eps:
            terms.append(-(1 - eps) * adv)
        else:
            terms.append(-ratio * adv)
        sq.append((val - rew) ** 2)
    return torch.tensor(math.fsum(terms) / len(terms) + c * math.fsum(sq) / len(sq), dtype=torch.float64)


def _ppo_masked(lp, lo, r, v, eps, c):
    """Independent formulation for gradients: a mask of the clipped samples, whose gradient is exactly 0."""
    adv = (r - v).detach()
    ratio = torch.exp(lp - lo.detach())
    clipped = ((adv > 0) & (ratio.detach() > 1 + eps)) | ((adv < 0) & (ratio.detach() < 1 - eps))
    bound = torch.where(adv > 0, torch.full_like(adv, 1 + eps), torch.full_like(adv, 1 - eps))
    policy = torch.where(clipped, -bound * adv, -ratio * adv)
    return policy.mean() + c * ((v - r) ** 2).mean()


def _check(lp, lo, r, v, eps, c, what):
    _got = assert_unchanged(ppo_loss, lp, lo, r, v, eps, c)  # must not write into its arguments
    assert_values(_got, _ppo_exact(lp, lo, r, v, eps, c).to(lp.dtype), what=f"the PPO loss ({what})")
    assert_grads_match(lambda a, b, d: ppo_loss(a, lo, b, d, eps, c), lambda a, b, d: _ppo_masked(a, lo, b, d, eps, c),
                       lp, r, v, argnums=(0, 2), what=f"ppo_loss ({what}): gradients to logp and values")
    _old = lo.clone().requires_grad_()
    _lp = lp.clone().requires_grad_()
    ppo_loss(_lp, _old, r, v, eps, c).backward()
    assert _old.grad is None or not _old.grad.any(), f"{what}: logp_old is a constant, but a gradient reached it"


_g = torch.Generator().manual_seed(25)
for _n, _spread, _eps, _c in ((1, 0.1, 0.2, 0.5), (9, 0.3, 0.2, 0.5), (64, 1.0, 0.1, 1.0), (40, 0.05, 0.3, 0.0), (12, 2.0, 0.5, 2.0)):
    _lo = torch.randn(_n, generator=_g, dtype=torch.float64) * 3 - 20  # negative sequence log-probs
    _lp = _lo + torch.randn(_n, generator=_g, dtype=torch.float64) * _spread  # ratios inside and outside the interval
    _r = torch.randn(_n, generator=_g, dtype=torch.float64) * 2  # negative and positive advantages
    _v = torch.randn(_n, generator=_g, dtype=torch.float64)
    _check(_lp, _lo, _r, _v, _eps, _c, f"N={_n}, eps={_eps}, c={_c}")
# ties: A = 0 exactly, ratio = 1 exactly, rewards tied
_t = torch.tensor([-3.0, -3.0, -1.5, -1.5, -7.0], dtype=torch.float64)
_check(_t, _t.clone(), torch.tensor([1.0, 1.0, -2.0, 0.5, 0.5], dtype=torch.float64),
       torch.tensor([1.0, 0.0, -2.0, 0.5, 1.5], dtype=torch.float64), 0.2, 0.5, "ties: ratio 1, some A = 0")


def _boundary_case(sign, lo):
    """logp whose first ratio exp(logp - lo) is exactly 1 + eps (sign > 0) or 1 - eps (sign < 0), and that eps."""
    for _d in (0.1, 0.2, 0.15, 0.25, 0.3, 0.05, 0.12, 0.18):
        _lp = lo + sign * torch.tensor([_d, _d, _d / 2, -_d, 3 * _d], dtype=torch.float64)
        _edge = torch.exp(_lp - lo)[0].item()
        _eps = abs(_edge - 1)
        if _edge == math.exp(_lp[0].item() - lo[0].item()) and (1 + _eps if sign > 0 else 1 - _eps) == _edge:
            return _lp, _eps
    raise RuntimeError("no exact boundary case")


_lo = torch.tensor([-4.0, -9.0, -2.0, -6.0, -3.0], dtype=torch.float64)
for _sign in (1, -1):
    _lp, _eps = _boundary_case(_sign, _lo)
    for _adv_sign in (1.0, -1.0):  # positive and negative advantages on the boundary (samples 0 and 1: same ratio, both signs)
        _r = torch.tensor([_adv_sign * 1.5, -_adv_sign * 0.5, 0.7, -0.3, _adv_sign * 2.0], dtype=torch.float64)
        _check(_lp, _lo, _r, torch.zeros(5, dtype=torch.float64), _eps, 0.5,
               f"ratio exactly 1 {'+' if _sign > 0 else '-'} eps, advantage sign {_adv_sign:+.0f}")
_args = [torch.randn(6, generator=_g, dtype=torch.float64) - 5 for _ in range(4)]
assert_values(ppo_loss(*[a.float() for a in _args], 0.2, 0.5), _ppo_exact(*_args, 0.2, 0.5).float(), what="float32 inputs")
assert_values(ppo_loss(*_args), _ppo_exact(*_args, 0.2, 0.5), what="the defaults clip_eps=0.2, value_coef=0.5")
for _bad in (0.0, 1.0, -0.1, 1.5):
    assert_raises(ValueError, ppo_loss, *_args, _bad)
### END HIDDEN TESTS

# %% [markdown] id="methods"
# ## Six ways to use a reward
#
# All methods start from $\pi_{\text{ref}}$, take `STEPS` Adam steps on batches of `PROMPTS` prompts, and are evaluated every few steps on fresh prompts.
#
# | method | one step | leash |
# |---|---|---|
# | REINFORCE | $K$ completions per prompt, gradient $\frac{1}{N}\sum R_i \nabla\log\pi(y_i)$, no baseline | $\beta$ in $R$ |
# | RLOO / LOOP | the same with leave-one-out advantages (Exercise 2) | $\beta$ in $R$ |
# | DR-PO | RLOO, but each group of $K$ starts from a reset state: a prefix of a preferred response (Exercise 4) | $\beta$ in $R$ |
# | PPO | $K$ completions per prompt, then `PPO_EPOCHS` steps of the clipped surrogate (Exercise 5) on the same batch, with a learned value $V(x)$ of the prompt (a linear model of its tokens, `PromptValue`) as the baseline | $\beta$ in $R$, and the clip |
# | RAFT | best of $K$ per prompt (Exercise 3), one SFT step on the kept samples | none |
# | curated self-training | 2 completions per prompt, a simulated user keeps one with Bradley–Terry probability $\sigma(r_a - r_b)$, one SFT step | none |
#
# Ferbach et al. (2024) prove that retraining on curated samples maximises the expected reward, like an implicit preference optimisation, and that mixing in real data keeps it stable; we run the pure loop.
#
# *Where the papers say it:* this is, in miniature, the head-to-head comparison of Ahmadian et al. (2024): RLOO against vanilla policy gradient, PPO and RAFT under one KL-penalised reward. Their abstract states that the REINFORCE-style variants beat PPO and the "RL-free" methods; their figures are GPT-4 win rates on TL;DR and Anthropic-HH (as we read it), and we replace them with win rates against the reference under $r^\star$. RAFT's best-of-$K$-then-SFT loop is the algorithm of Dong et al. (2023), whose LLaMA-7B / HH-RLHF experiment compares it with PPO on reward, as we read it. The DR-PO row repeats the comparison of Chang et al. (2024) (DR-PO against PPO and DPO on TL;DR and HH, by GPT-4 win rate, per their abstract) with RLOO in PPO's place. PPO itself is run in the next experiment.

# %% id="train"
preferred = world.preference_pairs(3000, generator).chosen  # the offline data set DR-PO resets to
ppo_clipped = []  # per PPO gradient step: the fraction of samples whose ratio the clip removed


def sft_step(policy, opt, tokens, mask):
    """One supervised step on the generated positions of `tokens`."""
    loss = -(policy.token_logprobs(tokens) * mask).sum() / mask.sum()
    opt.zero_grad()
    loss.backward()
    opt.step()


def train(method: str, beta: float = BETA, steps: int = STEPS, lr: float = 1e-3, n_evals: int = 6):
    """Optimise a copy of the reference with `method`; returns (policy, history of n_evals + 1 evaluations)."""
    policy = clone_policy(reference)
    opt = torch.optim.Adam(policy.parameters(), lr=lr)
    if method == "PPO":  # the value baseline V(x) is trained with the policy, by the value term of the loss
        value = PromptValue(PROMPT_LEN)
        opt.add_param_group({"params": list(value.parameters()), "lr": VALUE_LR})
    eval_steps = {round(i * steps / n_evals) for i in range(n_evals + 1)} if n_evals else set()
    history = []
    for step in progress(range(steps + 1), desc=method):
        if step in eval_steps:
            history.append({"step": step, **evaluate(policy)})
        if step == steps:
            break
        if method in ("RAFT", "curated"):
            k = K if method == "RAFT" else 2
            starts = sample_prompts(PROMPTS).repeat_interleave(k, dim=0)
            y, mask = rollout(policy, starts, torch.full((PROMPTS * k,), PROMPT_LEN))
            r = true_reward(y)
            if method == "RAFT":
                kept = raft_select(y, r, k)
            else:  # a simulated user picks one of two, with Bradley-Terry probabilities
                pair = r.view(PROMPTS, 2)
                second = (torch.rand(PROMPTS, generator=generator) >= torch.sigmoid(pair[:, 0] - pair[:, 1])).long()
                kept = y.view(PROMPTS, 2, -1)[torch.arange(PROMPTS), second]
            sft_step(policy, opt, kept, mask[: PROMPTS])
            continue
        if method == "PPO":  # one batch of rollouts, PPO_EPOCHS clipped steps on it
            starts = sample_prompts(PROMPTS).repeat_interleave(K, dim=0)
            y, mask = rollout(policy, starts, torch.full((PROMPTS * K,), PROMPT_LEN))
            with torch.no_grad():
                logp_old = (policy.token_logprobs(y) * mask).sum(1)
                k1, _ = kl_estimates(logp_old, (reference.token_logprobs(y) * mask).sum(1))
            penalised = true_reward(y) - beta * k1
            for _ in range(PPO_EPOCHS):
                logp, values = (policy.token_logprobs(y) * mask).sum(1), value(y)
                with torch.no_grad():  # how often the clip binds: the sample's gradient is then exactly 0
                    ratio, adv = torch.exp(logp - logp_old), penalised - values
                    ppo_clipped.append((((adv > 0) & (ratio > 1 + CLIP_EPS)) | ((adv < 0) & (ratio < 1 - CLIP_EPS))).float().mean().item())
                loss = ppo_loss(logp, logp_old, penalised, values, CLIP_EPS)
                opt.zero_grad()
                loss.backward()
                opt.step()
            continue
        if method == "DR-PO":
            starts, lens = reset_starts(preferred, PROMPTS, PROMPT_LEN, SEQ_LEN - 1, generator)
        else:
            starts, lens = sample_prompts(PROMPTS), torch.full((PROMPTS,), PROMPT_LEN)
        y, mask = rollout(policy, starts.repeat_interleave(K, dim=0), lens.repeat_interleave(K))
        logp = (policy.token_logprobs(y) * mask).sum(1)
        with torch.no_grad():
            k1, _ = kl_estimates(logp, (reference.token_logprobs(y) * mask).sum(1))
        penalised = true_reward(y) - beta * k1  # R = r - beta * log(pi / pi_ref)
        adv = penalised if method == "REINFORCE" else rloo_advantages(penalised.view(PROMPTS, K)).flatten()
        loss = -(adv * logp).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return policy, history


# %% id="train-run"
runs = {}
for method in ("REINFORCE", "RLOO", "DR-PO", "RAFT", "curated"):
    runs[method] = train(method)
for beta in (0.2, 1.0):  # two more leashes trace RLOO's reward-KL frontier
    runs[f"RLOO beta={beta}"] = train("RLOO", beta=beta)

# %% id="frontier-plot"
fig, axes = subplots(ncols=2)
for name, (_, hist) in runs.items():
    style = ":" if "beta=" in name else "-"
    line, = axes[0].plot([h["kl"] for h in hist], [h["reward"] for h in hist], style, marker="o", ms=3, label=name)
    axes[0].annotate(f"win {hist[-1]['win']:.2f}", (hist[-1]["kl"], hist[-1]["reward"]), fontsize=7,
                     color=line.get_color(), xytext=(4, -10), textcoords="offset points")
    axes[1].plot([h["step"] for h in hist], [h["entropy"] for h in hist], style, marker="o", ms=3, label=name)
axes[0].axhline(base["reward"], color="k", lw=0.8, ls="--", label="reference")
label(axes[0], "Reward-KL trajectories, final win rate vs reference", "KL(policy || reference), nats", "mean true reward")
label(axes[1], "Policy entropy during training", "step", "entropy, nats per sequence")
show(fig)

final = {name: hist[-1] for name, (_, hist) in runs.items()}
print(f"{'method':>16} {'reward':>7} {'KL k1':>6} {'KL k3':>6} {'entropy':>7} {'win rate':>8}")
print(f"{'reference':>16} {base['reward']:+7.2f} {0:6.2f} {0:6.2f} {base['entropy']:7.1f} {0.5:8.2f}")
for name, f in final.items():
    print(f"{name:>16} {f['reward']:+7.2f} {f['kl']:6.2f} {f['kl_k3']:6.2f} {f['entropy']:7.1f} {f['win']:8.2f}")
for name in ("RLOO", "RAFT"):
    print(f"{name} samples:", *decode(runs[name][0].sample(2, generator)), sep="\n  ")

# %% [markdown] id="ppo-experiment"
# ## Experiment — PPO side by side with REINFORCE and RLOO
#
# *Where the paper says it:* Ahmadian et al. (2024) compare PPO with vanilla policy gradient and RLOO on the same reward, by GPT-4 win rate (as we read it). Their abstract argues that many of PPO's components are unnecessary in RLHF, where the policy starts from a good SFT model. Here PPO gets the same rollouts per step as RLOO: `PROMPTS` prompts and `K` completions each. It takes `PPO_EPOCHS` = 4 clipped steps on each batch where RLOO takes one, and its baseline is a learned value of the prompt instead of the other completions. We compare the three on the KL-regularised objective $\mathbb{E}[r] - \beta\,\mathrm{KL}$ that all of them maximise. (PPO runs after every other method, so the figures above do not depend on it.)

# %% id="ppo-run"
runs["PPO"] = train("PPO")
final["PPO"] = runs["PPO"][1][-1]
objective = {name: final[name]["reward"] - BETA * final[name]["kl"] for name in ("REINFORCE", "RLOO", "PPO")}

fig, axes = subplots(ncols=2)
for name in ("REINFORCE", "RLOO", "PPO"):
    hist = runs[name][1]
    axes[0].plot([h["step"] for h in hist], [h["reward"] - BETA * h["kl"] for h in hist], marker="o", ms=3, label=name)
    axes[1].plot([h["kl"] for h in hist], [h["reward"] for h in hist], marker="o", ms=3, label=name)
axes[0].axhline(base["reward"], color="k", lw=0.8, ls="--", label="reference")
axes[1].axhline(base["reward"], color="k", lw=0.8, ls="--", label="reference")
label(axes[0], "The KL-regularised objective during training", "step", r"mean true reward $- \beta\,$KL")
label(axes[1], "Reward-KL trajectories", "KL(policy || reference), nats", "mean true reward")
show(fig)
print(f"{'method':>10} {'reward':>7} {'KL k1':>6} {'r - beta KL':>11} {'entropy':>7} {'win rate':>8}")
for name in ("REINFORCE", "RLOO", "PPO"):
    f = final[name]
    print(f"{name:>10} {f['reward']:+7.2f} {f['kl']:6.2f} {objective[name]:+11.2f} {f['entropy']:7.1f} {f['win']:8.2f}")
clip_share = sum(ppo_clipped) / len(ppo_clipped)
late_share = sum(ppo_clipped[PPO_EPOCHS - 1::PPO_EPOCHS]) / len(ppo_clipped[PPO_EPOCHS - 1::PPO_EPOCHS])
print(f"PPO: the clip removed the gradient of {clip_share:.1%} of the samples per step on average "
      f"({late_share:.1%} on the last of the {PPO_EPOCHS} steps on each batch; 0% on the first, where the ratio is 1)")

# %% [markdown] id="claim-intro"
# ## Claim check
#
# The figures measured above, next to the papers' claims. In a full run each claim is asserted; with `SMOKE=True` the runs are too short, so the cell only reports. Win rates are against the reference on the same prompts (ties count one half).
#
# Two comparisons are reported, not asserted. DR-PO against RLOO is one. The other is RLOO against PPO: Ahmadian et al. find that RLOO beats PPO, but here it does not. Over seeds 0-4, PPO ended 0.11 to 0.27 *ahead* of RLOO on $\mathbb{E}[r] - \beta\,\mathrm{KL}$ in every seed, with four gradient steps per batch of rollouts where RLOO takes one. Those steps make PPO faster per rollout (in the plot above it levels off by step 40, RLOO by about step 100), but the final gap is small next to what either method gained over the reference (5 to 6 on the same scale), so we report it and do not claim either ordering. PPO beating the reference held with a wide margin in all five seeds (true reward at least 5.5 above the threshold, win rate 0.98 or more), and is asserted.

# %% id="claim-check" tags=["claim-check"]
leashed = ("REINFORCE", "RLOO", "DR-PO")
claim("rloo-variance", paper="a leave-one-out baseline reduces the variance of REINFORCE without a value network (RLOO; LOOP)",
      here=f"{variance_ratio:.1f}x lower total gradient variance at the reference (threshold 1.3x; about 1 + mean^2/var of the reward)",
      checks=[above(variance_ratio, 1.3)], smoke=SMOKE)
claim("rloo-beats-reference", paper="RLOO improves the reward over the SFT reference under a KL penalty (Ahmadian et al., 2024)",
      here=f"true reward {final['RLOO']['reward']:+.2f} vs {base['reward']:+.2f}, win rate {final['RLOO']['win']:.2f} at KL {final['RLOO']['kl']:.1f}",
      checks=[above(final["RLOO"]["reward"], base["reward"] + 2), above(final["RLOO"]["win"], 0.8)], smoke=SMOKE)
claim("raft-beats-reference", paper="RAFT (best-of-K then fine-tune) improves the reward (Dong et al., 2023)",
      here=f"true reward {final['RAFT']['reward']:+.2f} vs {base['reward']:+.2f}, win rate {final['RAFT']['win']:.2f}",
      checks=[above(final["RAFT"]["reward"], base["reward"] + 2), above(final["RAFT"]["win"], 0.8)], smoke=SMOKE)
others = min(final[m]["entropy"] for m in leashed)
claim("raft-entropy-collapse", paper="without a KL leash, reward-ranked fine-tuning collapses the policy's diversity",
      here=f"entropy {final['RAFT']['entropy']:.1f} nats (RAFT) vs >= {others:.1f} (KL-leashed methods), reference {base['entropy']:.1f}",
      checks=[below(final["RAFT"]["entropy"], 0.5 * others)], smoke=SMOKE)
claim("curation-optimises", paper="retraining on curated samples increases the expected reward (Ferbach et al., 2024)",
      here=f"true reward {final['curated']['reward']:+.2f} vs {base['reward']:+.2f}, win rate {final['curated']['win']:.2f}",
      checks=[above(final["curated"]["reward"], base["reward"] + 1)], smoke=SMOKE)
print(f"[dr-po] paper: resets to preferred prefixes improve sample efficiency over PPO/RLOO (Chang et al., 2024) | here: "
      f"DR-PO {final['DR-PO']['reward']:+.2f} vs RLOO {final['RLOO']['reward']:+.2f} true reward after {STEPS} steps "
      "(reported, not asserted: in this 16-token world good completions are easy to find by sampling)")
claim("ppo-beats-reference", paper="PPO with a learned value baseline and a clipped surrogate raises the reward under a KL penalty (Schulman et al., 2017)",
      here=f"true reward {final['PPO']['reward']:+.2f} vs {base['reward']:+.2f}, win rate {final['PPO']['win']:.2f} at KL {final['PPO']['kl']:.1f}",
      checks=[above(final["PPO"]["reward"], base["reward"] + 2), above(final["PPO"]["win"], 0.8)], smoke=SMOKE)
claim("rloo-vs-ppo", paper="RLOO outperforms PPO without a value network (Ahmadian et al., 2024)",
      here=f"KL-regularised objective r - beta KL: RLOO {objective['RLOO']:+.2f}, PPO {objective['PPO']:+.2f}, "
           f"REINFORCE {objective['REINFORCE']:+.2f} (reward {final['RLOO']['reward']:+.2f} / {final['PPO']['reward']:+.2f} "
           f"/ {final['REINFORCE']['reward']:+.2f}); the clip removed {clip_share:.1%} of the sample gradients per PPO step",
      checks=[above(objective["RLOO"], objective["PPO"])], smoke=SMOKE,
      asserted=False, why_reported="the paper's ordering did not reproduce in our seed sweep, see the note above")

# %% [markdown] id="reflect"
# ## Reflect
#
# Answer each question in the cell below it, in a few sentences. These answers are graded by hand (1 point each).
#
# 1. REINFORCE without a baseline still learned here, about as well as RLOO. Why does Adam hide part of the variance problem, and what would you expect with plain SGD, or with rewards that are all large and positive?

# %% [markdown] id="reflect-adam" nbgrader={"grade": true, "grade_id": "reflect-adam", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** Adam divides each parameter's step by a running root-mean-square of its gradients. The step size is therefore about the learning rate whatever the gradient's scale, and the momentum averages the noise over many batches. A noisier gradient mostly makes the steps less well aimed; it does not make them larger. With plain SGD the step is the learning rate times the raw noisy estimate. The learning rate must then shrink with the noise to stay stable, and without a baseline learning would be visibly slower. If every reward is shifted up by a large constant $c$, the no-baseline estimate gains the term $c\sum_i\nabla\log\pi(y_i)$. Its mean is zero, but its variance grows like $c^2$: every sampled sequence is pushed up, and only the small differences between the pushes carry signal. The variance experiment shows the effect at the reference, where the mean reward is about $-4$: the leave-one-out baseline cuts the total variance by about $1.8\times$, roughly $1 + \text{mean}^2/\text{var}$. A baseline removes exactly this offset, and with large rewards the ratio would grow like $c^2$.
#
# **Rubric (1 point).** 0.5: Adam's per-parameter normalisation (and momentum) makes the step size insensitive to the gradient's scale, so the extra variance costs less than with SGD; 0.5: a common reward offset adds a zero-mean term whose variance grows with the square of the offset, which a baseline removes (citing the measured ratio is a plus). Saying that the baseline "changes the expected gradient" earns 0: it does not, by the derivation above.
# ### END SOLUTION

# %% [markdown] id="reflect-ppo-question"
# 2. PPO took `PPO_EPOCHS` = 4 clipped steps on every batch where RLOO took one, and it learned a value baseline. Yet it ended close to RLOO. Using the case analysis of Exercise 5, say what the clip does to a sample once its ratio has left $[1-\varepsilon, 1+\varepsilon]$ in the direction its advantage pushes. Then say why, in this task, neither the extra steps nor the critic buy much (the argument of Ahmadian et al.).

# %% [markdown] id="reflect-ppo" nbgrader={"grade": true, "grade_id": "reflect-ppo", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** For $A > 0$ the min picks the clipped term $(1+\varepsilon)A$ once $\rho > 1+\varepsilon$. For $A < 0$ it picks $(1-\varepsilon)A$ once $\rho < 1-\varepsilon$. Both are constants in $\theta$, so that sample's gradient becomes exactly zero. In the other direction the unclipped term $\rho A$ stays in force, so a step that made a sample worse can always be undone. The clip therefore caps how much each batch can move the policy: after the first steps of an epoch the samples that moved the most stop contributing, and the remaining epochs add only a bounded amount. Our task is a bandit: one reward per completed sequence, rollouts from a policy that starts at a good reference and moves a few nats of KL per run. The policy stays near its data, so the ratios rarely leave the interval: the clip removed the gradient of only about 2-3% of the samples per step (8-9% on the last of the four steps). What the four steps per batch do buy is speed per rollout: in the plot (seed 0) PPO is near its final objective by step 40, where RLOO needs about 100 steps. Both then level off at almost the same value, as expected when both approach the maximiser of the same KL-regularised objective. A learned $V(x)$ of a two-token prompt is also no better a baseline than the other $K-1$ completions of the *same* prompt, which RLOO gets for free. So PPO ended only slightly ahead of RLOO on $\mathbb{E}[r] - \beta\,\mathrm{KL}$ (0.11 to 0.27 over seeds 0-4, against a gain of 5 to 6 over the reference), and the paper's ordering (RLOO ahead) does not show here. This is the paper's point that PPO's machinery was built for a harder regime than RLHF.
#
# **Rubric (1 point).** 0.5: the clip zeroes the gradient of a sample only when its ratio has moved past $1\pm\varepsilon$ in the direction its advantage favours (one-sided; the other direction is not clipped); 0.5: in this near-on-policy, one-reward-per-sequence setting the clip rarely binds and the group of $K$ completions is already a good baseline, so PPO's extras change the speed (reuse of each batch) more than the end point. "PPO is worse because it clips the advantage" earns 0: it clips the ratio.
# ### END SOLUTION

# %% [markdown] id="reflect-leash-question"
# 3. RAFT and curated self-training optimise the reward without any KL term, and RAFT's entropy collapsed. Which part of the loop would you change to put a leash back? (Hint: Ferbach et al. mix in real data.)

# %% [markdown] id="reflect-leash" nbgrader={"grade": true, "grade_id": "reflect-leash", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** The fine-tuning step is where the policy is pulled, so the leash goes there or into the selection. (a) Mix data into each SFT batch that does not come from the current policy: reference samples or the original real data. This is the stabilisation Ferbach et al. prove for retraining on curated data. The policy is then pulled back towards the reference distribution every step, and cannot collapse onto the best-of-$K$ mode. (b) Add a penalty to the SFT loss: a KL term to $\pi_{\text{ref}}$ estimated on the kept samples ($k_1$ or $k_3$ of Exercise 1), or a weight-space penalty to the reference weights. (c) Rank the $K$ completions by the penalised reward $r - \beta\log\pi/\pi_{\text{ref}}$ instead of $r$, so that completions the reference finds unlikely are kept less often. Without any of these, RAFT here reached KL 16 nats and an entropy of 6 nats per sequence, against about 19 or more for the leashed methods.
#
# **Rubric (1 point).** 0.5: names a concrete change to the SFT data (mix in real or reference data) or to the SFT loss (a KL or weight penalty to the reference); 0.5: says why it restores the leash (a pull towards $\pi_{\text{ref}}$ at every step, or selection that discounts unlikely samples) or ties it to the measured entropy or KL collapse. "Train for fewer steps" alone earns 0.5 at most: it is early stopping, not a leash.
# ### END SOLUTION

# %% [markdown] id="further-reading"
# **Further reading:** Williams (1992), *Simple statistical gradient-following algorithms*; Kool, van Hoof & Welling, *Buy 4 REINFORCE Samples, Get a Baseline for Free!* (2019); Schulman's note *Approximating KL Divergence* (2020) for $k_1, k_2, k_3$; Schulman et al., *High-Dimensional Continuous Control Using Generalized Advantage Estimation* (2015, arXiv:1506.02438) for the value baseline PPO normally uses; Chang et al. (2024) on when dataset resets matter (long responses, sparse rewards).
