# %% [markdown] id="card"
# # DPO, and why your language model is secretly a Q-function
#
# **Papers:** R. Rafailov, A. Sharma, E. Mitchell, S. Ermon, C. D. Manning, C. Finn, *Direct Preference Optimization: Your Language Model is Secretly a Reward Model* (2023, arXiv:2305.18290); R. Rafailov, J. Hejna, R. Park, C. Finn, *From r to Q\*: Your Language Model is Secretly a Q-Function* (2024, arXiv:2404.12358); E. Mitchell, *A note on DPO with noisy preferences and relationship to IPO* (2023, the "conservative DPO" label smoothing).
#
# **Learning objectives**
# - derive the DPO loss from the KL-regularised reward objective (the Gibbs variational argument) and implement it, with label smoothing;
# - compute the optimal KL-regularised policy and its value in closed form, stably;
# - train a policy straight from preference pairs — no reward model, no sampling — and watch it overfit when pairs are few;
# - read the *implicit reward* $\beta \log \pi/\pi_{\text{ref}}$ token by token and see it assign credit to the token that deserves it;
# - search the DPO policy by likelihood (beam search) and compare with sampling.
#
# **Prerequisites:** notebook 01 (Bradley–Terry); log-probabilities of an autoregressive model.
#
# **Read ahead:** `paperlab preview 04_rlhf/03_dpo_token_level` writes this lesson's experiments, executed, to `build/preview/` (answers and hidden tests removed), so you can see every figure before you solve anything.
#
# **Time:** 55 min
#
# **Points:** 15 (five autograded exercises, 12 points; three written answers, 1 point each, graded by hand)
#
# **Claim:** DPO optimises the same KL-regularised objective as RLHF without a reward model, and its log-ratio $\beta\log\pi_\theta(y_t\mid y_{<t})/\pi_{\text{ref}}(y_t\mid y_{<t})$ is a per-token credit (an optimal advantage) that sums to the sequence's implicit reward — so the bad token gets the blame, and searching the policy by likelihood improves the reward (Rafailov et al., 2024).

# %% id="parameters" tags=["parameters"]
SMOKE = False  # True: tiny sizes, runs in seconds
SEED = 0
N_PAIRS = 3000  # preference pairs for the main DPO run
DPO_STEPS = 300  # Adam steps per DPO run
N_PROMPTS = 100  # prompts for the beam-search comparison

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math

import torch
import torch.nn.functional as F

from utils.common import above, at_least, below, claim, progress, setup_lesson
from utils.plotting import label, show, subplots
from utils.rlhf import (
    BAD_TOKEN,
    SEQ_LEN,
    GRUPolicy,
    ToyWorld,
    clone_policy,
    decode,
    frozen,
    reference_policy,
    true_reward,
)

if SMOKE:
    N_PAIRS, DPO_STEPS, N_PROMPTS = min(N_PAIRS, 500), min(DPO_STEPS, 20), min(N_PROMPTS, 10)
generator = setup_lesson(
    SEED, SMOKE,
    N_PAIRS=(N_PAIRS, at_least(200)),
    DPO_STEPS=(DPO_STEPS, at_least(10)),
    N_PROMPTS=(N_PROMPTS, at_least(1)),
)
BETA = 0.3  # KL strength of the DPO objective
N_SAMPLES = 4000 if not SMOKE else 600  # samples per policy when measuring rewards
N_EVALS = 12 if not SMOKE else 2  # pair-accuracy evaluations per DPO run
world = ToyWorld(SEED)
reference = frozen(reference_policy(world))
print(f"KL strength beta={BETA}")


# %% [markdown] id="derivation"
# ## From the RLHF objective to a loss on pairs
#
# RLHF maximises reward under a KL leash to the reference policy:
#
# $$\max_\pi\; \mathbb{E}_{y\sim\pi}\,[r(y)] - \beta\,\mathrm{KL}(\pi\,\|\,\pi_{\text{ref}}).$$
#
# Its maximiser has a closed form, $\pi^\star(y) = \pi_{\text{ref}}(y)\,e^{r(y)/\beta}/Z$ with $Z = \sum_y \pi_{\text{ref}}(y)\,e^{r(y)/\beta}$.
#
# **Why (the Gibbs variational argument).** Take any distribution $\pi$ over the answers that is 0 wherever $\pi_{\text{ref}}$ is (any other $\pi$ has an infinite KL). Sums below run over the answers with $\pi_{\text{ref}}(y) > 0$. By the definition of $\pi^\star$, $r(y) = \beta\log\frac{\pi^\star(y)}{\pi_{\text{ref}}(y)} + \beta\log Z$ for every $y$. Substitute this into the objective and write the KL term as a sum:
#
# $$\mathbb{E}_{\pi}[r] - \beta\,\mathrm{KL}(\pi\,\|\,\pi_{\text{ref}}) = \sum_y \pi(y)\Big[\beta\log\frac{\pi^\star(y)}{\pi_{\text{ref}}(y)} + \beta\log Z - \beta\log\frac{\pi(y)}{\pi_{\text{ref}}(y)}\Big] = -\beta\sum_y \pi(y)\log\frac{\pi(y)}{\pi^\star(y)} + \beta\log Z$$
#
# $$\qquad = -\beta\,\mathrm{KL}\Big(\pi\;\Big\|\;\frac{\pi_{\text{ref}}\,e^{r/\beta}}{Z}\Big) + \beta\log Z .$$
#
# The last term does not depend on $\pi$. A KL divergence is $\ge 0$, with equality only when its two arguments are the same distribution. So $\pi = \pi^\star$ is the unique maximiser, and the maximum value is $\beta\log Z$.
#
# Turn it around: *any* policy defines the reward it is optimal for,
#
# $$r(y) = \beta \log\frac{\pi(y)}{\pi_{\text{ref}}(y)} + \beta\log Z .$$
#
# Put that into the Bradley–Terry likelihood of notebook 01: $\log Z$ cancels in the difference $r(y_w) - r(y_l)$, and the reward model disappears. With the margin
#
# $$h = \Big(\log\pi_\theta(y_w) - \log\pi_{\text{ref}}(y_w)\Big) - \Big(\log\pi_\theta(y_l) - \log\pi_{\text{ref}}(y_l)\Big),$$
#
# DPO minimises $-\log\sigma(\beta h)$ over the pairs. When labels may be flipped with probability $\varepsilon$, the *conservative* DPO loss (Mitchell, 2023) mixes in the flipped label:
#
# $$\mathcal{L}_\varepsilon = -(1-\varepsilon)\log\sigma(\beta h) - \varepsilon \log\sigma(-\beta h).$$
#
# ## Exercise 1 — the DPO loss (3 points)
#
# **Implement** `dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta, label_smoothing=0.0)`. The four inputs are `(N,)` float tensors of *sequence* log-probabilities ($\log\pi_\theta(y_w)$, $\log\pi_\theta(y_l)$, $\log\pi_{\text{ref}}(y_w)$, $\log\pi_{\text{ref}}(y_l)$); return the scalar mean of $\mathcal{L}_\varepsilon$ over the batch, in the inputs' dtype (compute in that precision). The policy is trained through this loss: gradients must flow to `policy_chosen` and `policy_rejected`, and the loss and its gradients must stay finite for large margins (e.g. $\beta h = \pm 800$ in float64). Leave the inputs unchanged.
#
# *Hint:* `F.logsigmoid`; with $\varepsilon = 0$ it is notebook 01's Bradley–Terry loss on the rewards $\beta\log\pi_\theta/\pi_{\text{ref}}$. A `torch.where` between two "stable branches" back-propagates through both, and an `inf` branch makes the gradient NaN.

# %% id="dpo-answer" nbgrader={"grade": false, "grade_id": "dpo-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def dpo_loss(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor, ref_chosen: torch.Tensor,
             ref_rejected: torch.Tensor, beta: float, label_smoothing: float = 0.0) -> torch.Tensor:
    """Mean conservative-DPO loss -(1-eps) log sigmoid(beta h) - eps log sigmoid(-beta h); a scalar."""
    # Checked against huggingface/trl, trl/trainer/dpo_trainer.py, loss_type "sigmoid": the same two
    # logsigmoid terms weighted by (1 - label_smoothing) and label_smoothing, averaged over the batch.
    ### BEGIN SOLUTION
    margin = (policy_chosen - ref_chosen) - (policy_rejected - ref_rejected)
    logits = beta * margin
    losses = -(1 - label_smoothing) * F.logsigmoid(logits) - label_smoothing * F.logsigmoid(-logits)
    return losses.mean()
    ### END SOLUTION


# %% id="dpo-tests" nbgrader={"grade": true, "grade_id": "dpo-tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
z = torch.zeros(3)
loss = dpo_loss(z, z, z, z, beta=0.5)
assert loss.dim() == 0, f"return a scalar, got shape {tuple(loss.shape)}"
assert abs(loss.item() - math.log(2)) < 1e-6, "policy = reference: margin 0, loss log 2"
one = dpo_loss(torch.tensor([-1.0]), torch.tensor([-3.0]), torch.tensor([-2.0]), torch.tensor([-2.0]), beta=0.5)
assert abs(one.item() - math.log(1 + math.exp(-1.0))) < 1e-6, "margin (-1+2) - (-3+2) = 2, beta 0.5: loss log(1 + e^-1)"
shifted = dpo_loss(torch.tensor([-1.0]), torch.tensor([-3.0]), torch.tensor([-1.0]), torch.tensor([-3.0]), beta=0.5)
assert abs(shifted.item() - math.log(2)) < 1e-6, "the reference's log-ratio is subtracted: same ratios as the reference give log 2"
_pc = torch.tensor([-900.0, -1.0], dtype=torch.float64, requires_grad=True)
_loss = dpo_loss(_pc, torch.tensor([-100.0, -1.0], dtype=torch.float64), torch.zeros(2, dtype=torch.float64),
                 torch.zeros(2, dtype=torch.float64), beta=1.0, label_smoothing=0.1)
assert _loss.requires_grad, "the loss must stay differentiable in the policy's log-probabilities (no .detach(), torch.no_grad(), torch.tensor(...))"
_loss.backward()
assert torch.isfinite(_loss) and torch.isfinite(_pc.grad).all(), f"a margin of -800 must give a finite loss and gradient, got {_loss.item()}, {_pc.grad.tolist()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_grads_match, assert_unchanged, assert_values


def _softplus(x):
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _dpo_exact(pc, pr, rc, rr, beta, eps):
    """Independent formulation, pair by pair in Python floats: (1 - eps) softplus(-z) + eps softplus(z), z = beta h."""
    zs = [beta * ((a - c) - (b - d)) for a, b, c, d in zip(pc.tolist(), pr.tolist(), rc.tolist(), rr.tolist())]
    return torch.tensor(math.fsum((1 - eps) * _softplus(-z) + eps * _softplus(z) for z in zs) / len(zs), dtype=torch.float64)


def _dpo_softmax(pc, pr, rc, rr, beta, eps):
    """Independent formulation for gradients: cross-entropy of a two-way softmax over the implicit rewards, target (1 - eps, eps)."""
    rewards = torch.stack([beta * (pc - rc), beta * (pr - rr)])
    log_probs = rewards - torch.logsumexp(rewards, dim=0)
    return (-(1 - eps) * log_probs[0] - eps * log_probs[1]).mean()


_g = torch.Generator().manual_seed(31)
_cases = []
for _n, _beta, _eps in ((1, 0.1, 0.0), (6, 0.5, 0.1), (50, 2.0, 0.3), (8, 1.0, 0.5), (3, 0.7, 1.0)):
    _cases.append(([torch.randn(_n, generator=_g, dtype=torch.float64) * 5 - 10 for _ in range(4)], _beta, _eps))
_t = torch.round(torch.randn(5, generator=_g, dtype=torch.float64) * 2) - 6
_cases.append(([_t, _t.flip(0), _t.flip(0), _t], 0.5, 0.2))  # negative log-probabilities with ties: some margins 0
_big = torch.tensor([-900.0, -100.0, -51.0, -1.0, -850.0, -3.0], dtype=torch.float64)
_cases.append(([_big, _big.flip(0), torch.zeros(6, dtype=torch.float64), torch.full((6,), -2.0, dtype=torch.float64)], 1.0, 0.0))
_cases.append(([_big, _big.flip(0), torch.zeros(6, dtype=torch.float64), torch.full((6,), -2.0, dtype=torch.float64)], 1.0, 0.25))
_cases.append(([_big * 0.1, _big.flip(0) * 0.1, torch.full((6,), -3.0, dtype=torch.float64), torch.zeros(6, dtype=torch.float64)], 7.0, 0.1))
for _args, _beta, _eps in _cases:
    _got = assert_unchanged(dpo_loss, *_args, _beta, _eps)  # must not write into its arguments
    assert_values(_got, _dpo_exact(*_args, _beta, _eps), what=f"the DPO loss (N={_args[0].shape[0]}, beta={_beta}, eps={_eps})")
    # the policy's log-probabilities are trained: exact, finite gradients to both
    assert_grads_match(lambda a, b, c, d: dpo_loss(a, b, c, d, _beta, _eps), lambda a, b, c, d: _dpo_softmax(a, b, c, d, _beta, _eps),
                       *_args, argnums=(0, 1), what=f"dpo_loss (N={_args[0].shape[0]}, beta={_beta}, eps={_eps})")
_args, _beta, _eps = _cases[2]
assert_values(dpo_loss(*[a.float() for a in _args], _beta, _eps), _dpo_exact(*_args, _beta, _eps).float(), what="float32 inputs")
_default = dpo_loss(*_cases[1][0], 0.5)
assert_values(_default, _dpo_exact(*_cases[1][0], 0.5, 0.0), what="the default label_smoothing = 0")
### END HIDDEN TESTS

# %% [markdown] id="closed-form-background"
# ## Exercise 2 — the optimal policy and its value, in closed form (2 points)
#
# The derivation above holds on any finite set of answers. On such a set we can check it numerically.
#
# **Implement** `kl_optimal_policy(ref_logprobs, rewards, beta)`. The inputs are two `(M,)` float tensors over $M \ge 1$ answers: `ref_logprobs` holds $\log\pi_{\text{ref}}(y)$ (a normalised distribution; an entry may be $-\infty$ for an answer the reference never gives), and `rewards` holds finite rewards $r(y)$. Return the tuple `(log_pi, value)`:
# - `log_pi` is the `(M,)` tensor of $\log\pi^\star(y)$ for the maximiser $\pi^\star$ of $\mathbb{E}_\pi[r] - \beta\,\mathrm{KL}(\pi\|\pi_{\text{ref}})$;
# - `value` is the 0-dim tensor of the maximum of that objective.
#
# Both are in the inputs' dtype (compute in that precision). Both must stay finite and accurate when $|r|/\beta$ is large (e.g. $r/\beta = \pm 1000$). `log_pi` is $-\infty$ exactly where $\pi_{\text{ref}}$ is 0. Both must be differentiable with respect to `rewards` and `ref_logprobs`, with finite gradients also where $\pi_{\text{ref}}$ is 0. Raise `ValueError` if `beta <= 0` or if the two shapes differ. Leave the inputs unchanged.
#
# *Hint (no code here):* the derivation names $\pi^\star$ and the value of the maximum. The work is to compute them without ever forming $e^{r/\beta}$ or $\log 0$ on its own.

# %% id="closed-form-answer" nbgrader={"grade": false, "grade_id": "closed-form-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def kl_optimal_policy(ref_logprobs: torch.Tensor, rewards: torch.Tensor, beta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """log pi* = log pi_ref + r / beta - log Z and the optimal value beta log Z of E[r] - beta KL(pi || pi_ref)."""
    ### BEGIN SOLUTION
    if beta <= 0:
        raise ValueError(f"beta must be > 0, got {beta}")
    if ref_logprobs.shape != rewards.shape:
        raise ValueError(f"ref_logprobs and rewards must have the same shape, got {tuple(ref_logprobs.shape)} and {tuple(rewards.shape)}")
    logits = ref_logprobs + rewards / beta
    log_z = torch.logsumexp(logits, dim=0)
    return logits - log_z, beta * log_z
    ### END SOLUTION


# %% id="closed-form-tests" nbgrader={"grade": true, "grade_id": "closed-form-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
_ref = torch.log(torch.tensor([0.5, 0.25, 0.25]))
_lp, _val = kl_optimal_policy(_ref, torch.zeros(3), beta=0.7)
assert _lp.shape == (3,) and _val.dim() == 0, f"expected shapes (3,) and (), got {tuple(_lp.shape)} and {tuple(_val.shape)}"
assert torch.allclose(_lp, _ref, atol=1e-6) and abs(_val.item()) < 1e-6, "zero reward: pi* = pi_ref and the value is 0"
_lp, _val = kl_optimal_policy(_ref, torch.tensor([0.0, math.log(2.0), 0.0]), beta=1.0)  # Z = 0.5 + 0.5 + 0.25
assert torch.allclose(_lp.exp(), torch.tensor([0.4, 0.4, 0.2]), atol=1e-6), f"pi* = pi_ref e^(r / beta) / Z: got {_lp.exp().tolist()}"
assert abs(_val.item() - math.log(1.25)) < 1e-6, f"the optimal value is beta log Z = log 1.25, got {_val.item()}"
_lp, _val = kl_optimal_policy(_ref.double(), torch.tensor([1000.0, 0.0, -1000.0], dtype=torch.float64), beta=1.0)
assert torch.isfinite(_lp).all() and torch.isfinite(_val), f"r / beta = 1000 must stay finite, got {_lp.tolist()}, {_val.item()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_grads_match, assert_raises, assert_unchanged, assert_values


def _closed_exact(ref, r, beta):
    """Independent formulation in Python floats: a max-shifted sum over the answers the reference can give."""
    logits = [a + b / beta if a != -math.inf else -math.inf for a, b in zip(ref.tolist(), r.tolist())]
    top = max(logits)
    log_z = top + math.log(math.fsum(math.exp(v - top) for v in logits if v != -math.inf))
    return torch.tensor([v - log_z for v in logits], dtype=torch.float64), torch.tensor(beta * log_z, dtype=torch.float64)


def _closed_softmax(ref, r, beta):
    """Independent formulation for gradients: log_softmax of the tilted logits, and the value as E_pi*[r] - beta KL(pi* || pi_ref)."""
    log_pi = torch.log_softmax(ref + r / beta, dim=0)
    pi = log_pi.exp()
    finite = torch.isfinite(ref)
    gap = torch.where(finite, log_pi - torch.where(finite, ref, torch.zeros_like(ref)), torch.zeros_like(ref))
    return log_pi, (pi * r).sum() - beta * (pi * gap).sum()


def _objective(log_pi, ref, r, beta):
    """E_pi[r] - beta KL(pi || pi_ref) of a distribution, in Python floats (0 log 0 = 0)."""
    total = 0.0
    for lp, lr, rew in zip(log_pi.tolist(), ref.tolist(), r.tolist()):
        if lp != -math.inf:
            total += math.exp(lp) * (rew - beta * (lp - lr))
    return total


_g = torch.Generator().manual_seed(35)
_cases = []
for _m, _beta, _scale in ((1, 0.5, 1.0), (2, 0.3, 2.0), (7, 1.0, 3.0), (40, 0.1, 1.0), (5, 4.0, 0.01)):
    _cases.append((torch.log_softmax(torch.randn(_m, generator=_g, dtype=torch.float64) * 2, 0),
                   torch.randn(_m, generator=_g, dtype=torch.float64) * _scale - 1.0, _beta))  # negative rewards too
_tied = torch.log(torch.full((4,), 0.25, dtype=torch.float64))
_cases.append((_tied, torch.tensor([2.0, 2.0, -1.0, 2.0], dtype=torch.float64), 0.5))  # ties
_cases.append((torch.log_softmax(torch.randn(4, generator=_g, dtype=torch.float64), 0),
               torch.tensor([300.0, -300.0, 299.0, 0.0], dtype=torch.float64), 0.3))  # r / beta = +-1000
_cases.append((torch.log_softmax(torch.randn(3, generator=_g, dtype=torch.float64), 0),
               torch.tensor([-5.0, -5.0, -5.0], dtype=torch.float64), 2.0))  # equal rewards: pi* = pi_ref
_cases.append((torch.log_softmax(torch.tensor([0.0, -800.0], dtype=torch.float64), 0),
               torch.tensor([0.0, 1000.0], dtype=torch.float64), 1.0))  # the best answer is the one the reference almost never gives
for _ref, _r, _beta in _cases:
    _got = assert_unchanged(kl_optimal_policy, _ref, _r, _beta)  # must not write into its arguments
    assert isinstance(_got, tuple) and len(_got) == 2, "return the tuple (log_pi, value)"
    _want = _closed_exact(_ref, _r, _beta)
    assert_values(_got[0], _want[0], rtol=1e-9, atol=1e-9, what=f"log pi* (M={_ref.shape[0]}, beta={_beta})")
    assert_values(_got[1], _want[1], rtol=1e-9, atol=1e-9, what=f"the optimal value (M={_ref.shape[0]}, beta={_beta})")
    # the value is the objective at pi*, and no other distribution does better
    _at_star = _objective(_want[0], _ref, _r, _beta)
    assert abs(_at_star - _got[1].item()) < 1e-8 * max(1.0, abs(_at_star)), (_at_star, _got[1].item())
    for _trial in range(5):
        _other = torch.log_softmax(torch.log_softmax(_ref, 0) + torch.randn(_ref.shape[0], generator=_g, dtype=torch.float64), 0)
        assert _objective(_other, _ref, _r, _beta) <= _got[1].item() + 1e-9, "another distribution beat the returned value"
    assert_grads_match(lambda a, b: kl_optimal_policy(a, b, _beta), lambda a, b: _closed_softmax(a, b, _beta), _ref, _r,
                       argnums=(0, 1), rtol=1e-9, atol=1e-9, what=f"kl_optimal_policy (M={_ref.shape[0]}, beta={_beta})")
# answers the reference never gives: pi* is 0 there too, every value and gradient stays finite
_ref = torch.log(torch.tensor([0.5, 0.0, 0.3, 0.0, 0.2], dtype=torch.float64))
_r = torch.tensor([1.0, 50.0, -2.0, -3.0, 0.5], dtype=torch.float64)
_lp, _val = assert_unchanged(kl_optimal_policy, _ref, _r, 0.5)
_want = _closed_exact(_ref, _r, 0.5)
assert_values(_lp, _want[0], rtol=1e-9, atol=1e-9, what="log pi* with zero-probability answers (-inf there, exactly)")
assert_values(_val, _want[1], rtol=1e-9, atol=1e-9, what="the optimal value with zero-probability answers")
for _ref0 in (torch.log(torch.tensor([0.0, 0.6, 0.4], dtype=torch.float64)),  # the first answer impossible
              torch.log(torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64))):  # only one answer possible
    _r0 = torch.tensor([3.0, 1.0, -1.0], dtype=torch.float64)
    _lp0, _val0 = kl_optimal_policy(_ref0, _r0, 0.7)
    _want0 = _closed_exact(_ref0, _r0, 0.7)
    assert_values(_lp0, _want0[0], rtol=1e-9, atol=1e-9, what=f"log pi* for pi_ref = {_ref0.exp().tolist()}")
    assert_values(_val0, _want0[1], rtol=1e-9, atol=1e-9, what=f"the optimal value for pi_ref = {_ref0.exp().tolist()}")
_rg = _r.clone().requires_grad_()
_fin = torch.isfinite(_ref)
_out = kl_optimal_policy(_ref, _rg, 0.5)
(_out[0][_fin].sum() + _out[1]).backward()
_pi = _want[0].exp()
assert _rg.grad is not None and torch.isfinite(_rg.grad).all(), f"gradients must stay finite where pi_ref = 0, got {_rg.grad}"
assert_values(_rg.grad, (torch.where(_fin, 1.0, 0.0).double() - 3 * _pi) / 0.5 + _pi, rtol=1e-9, atol=1e-9,
              what="the gradient with respect to rewards with zero-probability answers")
_ref, _r, _beta = _cases[2]
_f = kl_optimal_policy(_ref.float(), _r.float(), _beta)
assert_values(_f[0], _closed_exact(_ref.float().double(), _r.float().double(), _beta)[0].float(), what="float32 inputs: log pi*")
assert_values(_f[1], _closed_exact(_ref.float().double(), _r.float().double(), _beta)[1].float(), what="float32 inputs: the value")
for _bad in (0.0, -1.0):
    assert_raises(ValueError, kl_optimal_policy, _cases[2][0], _cases[2][1], _bad)
assert_raises(ValueError, kl_optimal_policy, torch.zeros(3, dtype=torch.float64), torch.zeros(4, dtype=torch.float64), 1.0)
### END HIDDEN TESTS

# %% [markdown] id="train-background"
# ## Training DPO on preference pairs
#
# The same kind of Bradley–Terry pairs as in notebook 01. A DPO step needs no sampling at all: the log-probabilities of the two answers under the policy (with gradients) and under the frozen reference (computed once). We train two policies from $\pi_{\text{ref}}$:
#
# - on `N_PAIRS` pairs (3000), and
# - on only 100 pairs, for the same number of steps — a recipe for overfitting.
#
# As they train we track the **pair accuracy** of the implicit reward, $\mathbb{1}[h > 0]$, on the training pairs and on held-out pairs.
#
# *Where the paper says it:* Rafailov et al. (2023) show that DPO, trained on preference pairs alone, reaches a reward at least as good as PPO's for a given KL from the reference (their reward-KL frontier on controlled sentiment generation, as we read it). The 3000-pair run reproduces this in miniature: the true reward rises at a measured KL. The 100-pair run is our own stress test, not a figure of the paper. Azar et al. (2023, IPO) argue that DPO can overfit when preferences are (near-)deterministic, as we read it.

# %% id="train"
train_pairs = world.preference_pairs(N_PAIRS, generator)
test_pairs = world.preference_pairs(1000, generator)


def sequence_logprobs(policy: GRUPolicy, tokens: torch.Tensor) -> torch.Tensor:
    """log pi(y) of each sequence: the sum of its token log-probabilities."""
    return policy.token_logprobs(tokens).sum(dim=1)


def pair_accuracy(policy: GRUPolicy, pairs) -> float:
    """How often the implicit reward prefers the chosen answer (margin h > 0)."""
    with torch.no_grad():
        h = (sequence_logprobs(policy, pairs.chosen) - sequence_logprobs(reference, pairs.chosen)
             - sequence_logprobs(policy, pairs.rejected) + sequence_logprobs(reference, pairs.rejected))
    return (h > 0).float().mean().item()


def train_dpo(pairs, steps: int = DPO_STEPS, beta: float = BETA, label_smoothing: float = 0.0,
              batch_size: int = 128, desc: str = "DPO", n_evals: int = N_EVALS):
    """DPO from the reference on `pairs`; returns (policy, history of (step, train acc, held-out acc))."""
    policy = clone_policy(reference)
    opt = torch.optim.Adam(policy.parameters(), lr=1e-3)
    with torch.no_grad():
        ref_c, ref_r = sequence_logprobs(reference, pairs.chosen), sequence_logprobs(reference, pairs.rejected)
    eval_steps = {round(i * steps / n_evals) for i in range(n_evals + 1)} if n_evals else set()
    history = []
    for step in progress(range(steps + 1), desc=desc):
        if step in eval_steps:
            history.append((step, pair_accuracy(policy, pairs.subset(slice(0, 1000))), pair_accuracy(policy, test_pairs)))
        if step == steps:
            break
        idx = torch.randint(0, len(pairs), (min(batch_size, len(pairs)),), generator=generator)
        loss = dpo_loss(sequence_logprobs(policy, pairs.chosen[idx]), sequence_logprobs(policy, pairs.rejected[idx]),
                        ref_c[idx], ref_r[idx], beta, label_smoothing)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return policy, history


# %% id="train-run"
dpo_policy, hist_many = train_dpo(train_pairs, desc=f"DPO, {N_PAIRS} pairs")
few_policy, hist_few = train_dpo(train_pairs.subset(slice(0, 100)), desc="DPO, 100 pairs")

fig, ax = subplots()
for hist, name in ((hist_many, f"{N_PAIRS} pairs"), (hist_few, "100 pairs")):
    steps_ = [h[0] for h in hist]
    line, = ax.plot(steps_, [h[1] for h in hist], marker="o", ms=3, label=f"{name}: training pairs")
    ax.plot(steps_, [h[2] for h in hist], ls="--", color=line.get_color(), label=f"{name}: held-out pairs")
label(ax, "DPO pair accuracy of the implicit reward", "DPO step", "pair accuracy")
show(fig)

policy_samples = dpo_policy.sample(N_SAMPLES, generator)
ref_samples = reference.sample(N_SAMPLES, generator)
few_samples = few_policy.sample(N_SAMPLES, generator)
with torch.no_grad():
    kl = (sequence_logprobs(dpo_policy, policy_samples) - sequence_logprobs(reference, policy_samples)).mean().item()
r_dpo, r_ref, r_few = (true_reward(s).mean().item() for s in (policy_samples, ref_samples, few_samples))
print(f"{N_PAIRS} pairs: train acc {hist_many[-1][1]:.3f}, held-out acc {hist_many[-1][2]:.3f}")
print(f"  100 pairs: train acc {hist_few[-1][1]:.3f}, held-out acc {hist_few[-1][2]:.3f}")
print(f"true reward of samples: reference {r_ref:+.2f}, DPO ({N_PAIRS} pairs) {r_dpo:+.2f} at KL {kl:.1f}, DPO (100 pairs) {r_few:+.2f}")
for text in decode(policy_samples[:4]):
    print("DPO sample:", text)


# %% [markdown] id="token-background"
# ## The token-level view
#
# An autoregressive policy factorises, $\log\pi(y) = \sum_t \log\pi(y_t\mid y_{<t})$, so the sequence-level implicit reward splits into **per-token** terms:
#
# $$\beta\log\frac{\pi_\theta(y)}{\pi_{\text{ref}}(y)} = \sum_{t=1}^{L} \underbrace{\beta \log\frac{\pi_\theta(y_t\mid y_{<t})}{\pi_{\text{ref}}(y_t\mid y_{<t})}}_{\hat r_t}.$$
#
# *From r to Q\** shows that DPO, trained on sequence-level preferences, learns in the token MDP $\beta\log\pi^\star/\pi_{\text{ref}} = Q^\star(s_t, a_t) - V^\star(s_t)$: each $\hat r_t$ is the optimal **advantage** of choosing token $y_t$ in context $y_{<t}$. A policy that learned only "sequences with an X are worse" should therefore put the blame on the X itself.
#
# *Where the paper says it:* credit assignment is the first of the three empirical insights in the abstract of Rafailov et al. (2024). They show it in their §5.1 and Figure 1: a Reddit TL;DR summary and a copy with two errors introduced (salary and position level), each token coloured by the DPO implicit reward of Pythia 2.8B; the erroneous tokens stand out while the other tokens keep comparable values (checked: §5.1 and Figure 1 of arXiv:2404.12358). Our heat map and hit rate below are the same measurement in miniature, on a world where we know which token is bad.
#
# ## Exercise 3 — per-token implicit rewards (2 points)
#
# **Implement** `implicit_token_rewards(policy, reference, tokens, beta)`: `tokens` is a long tensor `(N, L)`; return the float tensor `(N, L)` of $\hat r_t$, without gradients, leaving `tokens` and both models unchanged: their weights, their parameters' `requires_grad` flags (no `requires_grad_(False)`) and their train/eval mode (a model that came in training mode leaves in training mode: no `.eval()` left behind). Both models are `GRUPolicy`s: `model.token_logprobs(tokens)` gives the `(N, L)` log-probabilities $\log\pi(y_t\mid y_{<t})$.
#
# *Hint:* wrap the computation in `torch.no_grad()`: it turns off gradients without touching the models.

# %% id="token-answer" nbgrader={"grade": false, "grade_id": "token-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def implicit_token_rewards(policy: GRUPolicy, reference: GRUPolicy, tokens: torch.Tensor, beta: float) -> torch.Tensor:
    """beta * log(pi(y_t | y_<t) / pi_ref(y_t | y_<t)) at every position: (N, L), no gradient."""
    ### BEGIN SOLUTION
    with torch.no_grad():
        return beta * (policy.token_logprobs(tokens) - reference.token_logprobs(tokens))
    ### END SOLUTION


# %% id="token-tests" nbgrader={"grade": true, "grade_id": "token-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
with torch.random.fork_rng():
    torch.manual_seed(5)
    _p, _q = GRUPolicy(8, 16), GRUPolicy(8, 16)
_x = torch.tensor([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [13, 13, 0, 0, 2, 5, 9, 4, 7, 1]])
rt = implicit_token_rewards(_p, _q, _x, beta=0.5)
assert rt.shape == (2, SEQ_LEN), f"one reward per token: expected (2, {SEQ_LEN}), got {tuple(rt.shape)}"
assert not rt.requires_grad, "return it without gradients (torch.no_grad)"
assert torch.allclose(implicit_token_rewards(_p, _p, _x, 0.5), torch.zeros(2, SEQ_LEN)), "a policy against itself: all zeros"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_unchanged, assert_values


def _token_loop(p, q, toks, beta):
    """Independent formulation: one next-token distribution at a time."""
    out = torch.zeros(toks.shape)
    for t in range(toks.shape[1]):
        lp = p.next_logprobs(toks[:, :t]).gather(1, toks[:, t:t + 1])[:, 0]
        lq = q.next_logprobs(toks[:, :t]).gather(1, toks[:, t:t + 1])[:, 0]
        out[:, t] = beta * (lp - lq)
    return out


_weights = {k: v.clone() for k, v in list(_p.state_dict().items()) + [("q." + k, v) for k, v in _q.state_dict().items()]}
_g = torch.Generator().manual_seed(32)
for _toks, _beta in ((_x, 0.5), (torch.randint(0, 16, (7, SEQ_LEN), generator=_g), 2.0), (torch.randint(0, 16, (1, 3), generator=_g), 0.3),
                     (torch.randint(0, 16, (4, 1), generator=_g), 1.0), (torch.full((2, 5), 13), -0.7)):
    _got = assert_unchanged(implicit_token_rewards, _p, _q, _toks, _beta)  # must not write into tokens
    assert not _got.requires_grad, "return it without gradients (torch.no_grad)"
    assert_values(_got, _token_loop(_p, _q, _toks, _beta), rtol=1e-5, atol=1e-5,
                  what=f"per-token rewards of a {tuple(_toks.shape)} batch, beta={_beta} (position, sign or beta?)")
    # the per-token rewards sum to the sequence-level implicit reward
    with torch.no_grad():
        _seq = _beta * (_p.token_logprobs(_toks).sum(1) - _q.token_logprobs(_toks).sum(1))
    assert_values(_got.sum(1), _seq, rtol=1e-5, atol=1e-5, what="the sum over positions (the sequence-level implicit reward)")
_now = {k: v for k, v in list(_p.state_dict().items()) + [("q." + k, v) for k, v in _q.state_dict().items()]}
assert all(torch.equal(_weights[k], _now[k]) for k in _weights), "implicit_token_rewards changed a model's weights"
# fresh models, one in training mode and one in eval mode (the calls above may have changed _p and _q already):
# assert_unchanged also compares the models' weights, requires_grad flags and train/eval modes
with torch.random.fork_rng():
    torch.manual_seed(6)
    _p2, _q2 = GRUPolicy(8, 16), GRUPolicy(8, 16)
_toks = torch.randint(0, 16, (3, SEQ_LEN), generator=_g)
for _train_p in (True, False):
    _p2.train(_train_p)
    _q2.train(not _train_p)
    _got = assert_unchanged(implicit_token_rewards, _p2, _q2, _toks, 0.8)
    assert all(p.requires_grad for m in (_p2, _q2) for p in m.parameters()), "leave the parameters' requires_grad flags as they were"
    assert (_p2.training, _q2.training) == (_train_p, not _train_p), "leave each model in the train/eval mode it came in"
    assert not _got.requires_grad, "return it without gradients (torch.no_grad)"
    assert_values(_got, _token_loop(_p2, _q2, _toks, 0.8), rtol=1e-5, atol=1e-5, what="per-token rewards of fresh models")
    _loss = _p2.token_logprobs(_toks).sum()  # the policy is still trainable afterwards
    assert _loss.requires_grad, "after the call, the policy must still be trainable (gradients on)"
### END HIDDEN TESTS

# %% [markdown] id="credit-background"
# ## Exercise 4 — does the blame land on the bad token? (2 points)
#
# For each sequence that contains the bad token $X$, find the position with the most negative $\hat r_t$. The credit assignment is right when that position holds an $X$ (any of them, if there are several). With 10 positions, a blind guess would be right about 10% of the time.
#
# **Implement** `bad_token_hit_rate(token_rewards, tokens, bad_token)`: `token_rewards` float `(N, L)`, `tokens` long `(N, L)`; return the fraction of the sequences **containing** `bad_token` whose arg-min position holds `bad_token`, as a Python float computed exactly: the number of hits divided by the number of such sequences (two integer counts). Raise `ValueError` if no sequence contains it.
# Rewards are compared exactly, in their own dtype (they may be `-inf`); **on ties the first** (smallest) position with the minimal reward is the arg-min. A row may hold several bad tokens. Leave the inputs unchanged.
#
# *Hint:* `token_rewards.argmin(dim=1)`, then `tokens.gather(1, ...)`.

# %% id="credit-answer" nbgrader={"grade": false, "grade_id": "credit-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def bad_token_hit_rate(token_rewards: torch.Tensor, tokens: torch.Tensor, bad_token: int) -> float:
    """Among sequences containing bad_token, the fraction whose most negative reward sits on a bad_token."""
    ### BEGIN SOLUTION
    contains = (tokens == bad_token).any(dim=1)
    if not contains.any():
        raise ValueError(f"no sequence contains bad_token={bad_token}")
    worst = token_rewards.argmin(dim=1, keepdim=True)
    hit = tokens.gather(1, worst)[:, 0] == bad_token
    return int(hit[contains].sum()) / int(contains.sum())
    ### END SOLUTION


# %% id="credit-tests" nbgrader={"grade": true, "grade_id": "credit-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
_tok = torch.tensor([[1, 13, 2], [13, 4, 5], [6, 7, 8]])
_rew = torch.tensor([[0.0, -2.0, -1.0], [-0.5, -1.0, 0.0], [-9.0, 0.0, 0.0]])
rate = bad_token_hit_rate(_rew, _tok, bad_token=13)
assert isinstance(rate, float), f"return a Python float, got {type(rate).__name__}"
assert abs(rate - 0.5) < 1e-9, f"row 0 is a hit, row 1 a miss, row 2 has no 13 and does not count: 0.5, got {rate}"
_tied = bad_token_hit_rate(torch.tensor([[-1.0, -1.0, 0.0], [0.0, -1.0, -1.0]]), torch.tensor([[13, 4, 5], [6, 7, 13]]), 13)
assert _tied == 0.5, f"ties: the first position with the minimal reward is the arg-min (row 0 a hit, row 1 a miss), got {_tied}"
try:
    bad_token_hit_rate(_rew, _tok, bad_token=15)
except ValueError:
    pass
else:
    raise AssertionError("no sequence contains the token: raise ValueError")
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_raises, assert_unchanged, assert_values


def _hit_rate_loop(rews, toks, bad):
    """Independent formulation: a loop; Python's min keeps the first of equal keys; an exact ratio."""
    hits = count = 0
    for row_t, row_r in zip(toks.tolist(), rews.tolist(), strict=True):
        if bad in row_t:
            count += 1
            hits += row_t[min(range(len(row_r)), key=row_r.__getitem__)] == bad
    return hits / count


_g = torch.Generator().manual_seed(33)
_toks = torch.randint(0, 6, (300, 7), generator=_g)
_rews = torch.randn(300, 7, generator=_g, dtype=torch.float64)
_toks[0], _rews[0] = torch.tensor([3, 0, 0, 3, 1, 1, 1]), torch.tensor([-1.0, 0, 0, -2.0, 0, 0, 0], dtype=torch.float64)  # two X, minimum on the second
_toks[1], _rews[1] = torch.tensor([3, 3, 3, 0, 3, 1, 3]), torch.tensor([0.5, -1.0, 2.0, 0, -1.0, 0, -3.0], dtype=torch.float64)  # five X
_toks[2], _rews[2] = torch.tensor([0, 3, 1, 3, 2, 3, 4]), torch.tensor([-1.0, -1.0, 0, -1.0, 0, 0, 0], dtype=torch.float64)  # tie: first is not an X
_toks[3], _rews[3] = torch.tensor([3, 0, 1, 3, 2, 3, 4]), torch.tensor([-1.0, -1.0, 0, -1.0, 0, 0, 0], dtype=torch.float64)  # tie: first is an X
_toks[4], _rews[4] = torch.tensor([0, 3, 1, 1, 2, 3, 4]), torch.tensor([-1.0, -1 - 1e-12, 0, 0, 0, 0, 0], dtype=torch.float64)  # near-tie
_toks[5], _rews[5] = torch.tensor([3, 0, 3, 1, 2, 2, 4]), torch.tensor([-2.0, -2 - 1e-12, 0, 0, 0, 0, 0], dtype=torch.float64)  # near-tie, the other way
_toks[6], _rews[6] = torch.tensor([0, 3, 3, 1, 2, 2, 4]), torch.tensor([0.0, -math.inf, -math.inf, -math.inf, 0, 0, 0], dtype=torch.float64)  # -inf ties
_toks[7], _rews[7] = torch.tensor([1, 3, 3, 3, 3, 3, 3]), torch.tensor([-5.0, -5.0, -5.0, -5.0, -5.0, -5.0, -5.0], dtype=torch.float64)  # all tied
_cases = [(_rews, _toks), (_rews[:8], _toks[:8]), (_rews[2:3], _toks[2:3]), (_rews[3:4], _toks[3:4]), (_rews[4:5], _toks[4:5]), (_rews[5:6], _toks[5:6]),
          (_rews[:3], _toks[:3]), (torch.tensor([[-1.0], [2.0], [0.0]], dtype=torch.float64), torch.tensor([[3], [0], [3]]))]
for _r, _tk in _cases:
    _kept = _r.clone()
    _got = assert_unchanged(bad_token_hit_rate, _r, _tk, 3)  # must not write into its arguments
    assert torch.equal(_r, _kept), "bad_token_hit_rate changed `token_rewards` in place (e.g. replaced -inf): work on a copy"
    assert isinstance(_got, float), f"return a Python float, got {type(_got).__name__}"
    assert_values(_got, _hit_rate_loop(_r, _tk, 3), rtol=0, atol=0,
                  what=f"the hit rate of {_r.shape[0]} sequences (first position on ties; hits / count, exactly)")
assert bad_token_hit_rate(_rews[:1], _toks[:1], 3) == 1.0, "any bad position counts, not only the first"
assert bad_token_hit_rate(-_rews[:1], _toks[:1], 3) == 0.0, "the most NEGATIVE reward, not the largest"
assert_values(bad_token_hit_rate(_rews[:8].float(), _toks[:8], 3), _hit_rate_loop(_rews[:8].float(), _toks[:8], 3), rtol=0, atol=0,
              what="float32 rewards (ties after rounding: the first position)")
assert_raises(ValueError, bad_token_hit_rate, _rews, _toks, 9)
assert_raises(ValueError, bad_token_hit_rate, _rews[:1], torch.zeros(1, 7, dtype=torch.long), 3)
### END HIDDEN TESTS

# %% id="credit-run"
probe = ref_samples[(ref_samples == BAD_TOKEN).any(dim=1)]  # reference samples that contain X
token_rewards = implicit_token_rewards(dpo_policy, reference, probe, BETA)
hit_rate = bad_token_hit_rate(token_rewards, probe, BAD_TOKEN)
with torch.no_grad():
    sequence_level = BETA * (sequence_logprobs(dpo_policy, probe) - sequence_logprobs(reference, probe))
sum_error = (token_rewards.sum(dim=1) - sequence_level).abs().max().item()
chance = (probe == BAD_TOKEN).float().sum(1).div(SEQ_LEN).mean().item()

fig, axes = subplots(ncols=2, width=6.0)
show_rows = token_rewards[:8]
im = axes[0].imshow(show_rows, cmap="RdBu", vmin=-show_rows.abs().max(), vmax=show_rows.abs().max())
for i, row in enumerate(probe[:8].tolist()):
    for t, tok in enumerate(row):
        axes[0].text(t, i, "X" if tok == BAD_TOKEN else str(tok), ha="center", va="center", fontsize=7)
fig.colorbar(im, ax=axes[0], label=r"$\hat r_t$")
axes[0].grid(False)
label(axes[0], "Per-token implicit reward (red = blame)", "position t", "sequence")
is_bad = probe == BAD_TOKEN
axes[1].hist(token_rewards[~is_bad].flatten(), bins=40, alpha=0.6, density=True, label="other tokens")
axes[1].hist(token_rewards[is_bad].flatten(), bins=40, alpha=0.6, density=True, label="the bad token X")
label(axes[1], "Where the credit goes", r"$\hat r_t = \beta \log \pi/\pi_{ref}$", "density")
show(fig)
print(f"{len(probe)} reference samples contain X; the most negative token reward is on an X in {hit_rate:.1%} of them "
      f"(a random position would be an X {chance:.1%} of the time)")
print(f"per-token rewards sum to the sequence-level implicit reward: max |difference| = {sum_error:.1e}")


# %% [markdown] id="beam-background"
# ## Exercise 5 — likelihood search: beam search (3 points)
#
# If $\beta\log\pi_\theta/\pi_{\text{ref}}$ is a Q-function, then searching for likely sequences under $\pi_\theta$ is searching for high reward (plus reference likelihood): $\log\pi_\theta(y) = \log\pi_{\text{ref}}(y) + r(y)/\beta - \log Z$. *From r to Q\** shows beam search over a DPO policy improving on sampling from it.
#
# Beam search keeps the `width` best partial sequences, best first. At each step it extends every beam by every token, scores each extension by its **cumulative** log-probability, and keeps the `width` best extensions over **all** beams. Scores are accumulated in float64 (convert each step's log-probabilities with `.double()`). **Ties** keep the candidates' order: beam by beam (in the kept order), token by token (smaller id first) — that is, a *stable* descending sort of the flattened `(B, V)` table of scores. The result is the first kept beam at the end.
#
# **Implement** `beam_search(next_logprobs, prefix, width, length)`:
# - `next_logprobs`: a function from a long tensor `(B, t)` of partial sequences to the float tensor `(B, V)` of next-token log-probabilities (for us, `policy.next_logprobs`; $t$ may be 0);
# - `prefix`: a 1-D long tensor of the given first tokens (possibly empty; leave it unchanged); `length`: the total length;
# - return `(tokens, score)`: the best complete sequence (1-D long, `length` tokens, starting with `prefix`) and its score, the sum of the log-probabilities of the **generated** tokens (a Python float; `length == len(prefix)` gives the prefix and 0.0);
# - raise `ValueError` if `width < 1` or `length < len(prefix)`.
#
# *Hint:* flatten the `(B, V)` table of cumulative scores and sort it with `torch.sort(..., descending=True, stable=True)` (`topk` promises no order among ties); keep the first `width` indices `i`: beam `i // V`, token `i % V`.

# %% id="beam-answer" nbgrader={"grade": false, "grade_id": "beam-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def beam_search(next_logprobs, prefix: torch.Tensor, width: int, length: int) -> tuple[torch.Tensor, float]:
    """The highest-scoring completion of `prefix` to `length` tokens found with `width` beams, and its score."""
    ### BEGIN SOLUTION
    if width < 1:
        raise ValueError(f"width must be >= 1, got {width}")
    if length < prefix.shape[0]:
        raise ValueError(f"length must be >= len(prefix) = {prefix.shape[0]}, got {length}")
    beams = prefix[None].clone()
    scores = torch.zeros(1, dtype=torch.float64)
    for _ in range(length - prefix.shape[0]):
        logp = next_logprobs(beams).double()
        n_tokens = logp.shape[1]
        total = (scores[:, None] + logp).flatten()
        keep = total.sort(descending=True, stable=True).indices[:width]
        beams = torch.cat([beams[keep // n_tokens], (keep % n_tokens)[:, None]], dim=1)
        scores = total[keep]
    return beams[0], scores[0].item()
    ### END SOLUTION


# %% id="beam-tests" nbgrader={"grade": true, "grade_id": "beam-tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def _markov_scorer(n_tokens: int, seed: int, scale: float = 2.0):
    """Next-token log-probs that depend on the last token only (a start row for t = 0)."""
    table = torch.log_softmax(torch.randn(n_tokens + 1, n_tokens, generator=torch.Generator().manual_seed(seed)) * scale, dim=1)
    def next_lp(seqs):
        last = seqs[:, -1] if seqs.shape[1] else torch.full((seqs.shape[0],), n_tokens, dtype=torch.long)
        return table[last]
    return next_lp, table

_next, _table = _markov_scorer(3, seed=1)
out, score = beam_search(_next, torch.tensor([], dtype=torch.long), width=1, length=4)
assert out.shape == (4,) and out.dtype == torch.long, f"expected 4 long tokens, got {tuple(out.shape)} {out.dtype}"
assert isinstance(score, float), f"the score is a Python float, got {type(score).__name__}"
greedy, prev = [], 3
for _ in range(4):  # width 1 is greedy decoding
    greedy.append(int(_table[prev].argmax()))
    prev = greedy[-1]
assert out.tolist() == greedy, f"width 1 must be greedy: expected {greedy}, got {out.tolist()}"
out2, _ = beam_search(_next, torch.tensor([2, 0]), width=3, length=5)
assert out2.shape == (5,) and out2[:2].tolist() == [2, 0], "keep the prefix and return `length` tokens in total"
_flat_next = lambda seqs: torch.zeros(seqs.shape[0], 3)  # every continuation equally likely: every score ties
assert beam_search(_flat_next, torch.tensor([], dtype=torch.long), width=2, length=3)[0].tolist() == [0, 0, 0], \
    "ties keep the candidates' order (beam by beam, smaller token first): a stable descending sort"
print("visible checks passed")
### BEGIN HIDDEN TESTS
import itertools as _it

from utils.testing import assert_raises, assert_unchanged, assert_values


def _table_scorer(table):
    """Next-token log-probs from a (V + 1, V) table, by the last token (row V at t = 0)."""
    n_tokens = table.shape[1]
    def next_lp(seqs):
        prev = seqs[:, -1] if seqs.shape[1] else torch.full((seqs.shape[0],), n_tokens, dtype=torch.long)
        return table[prev]
    return next_lp


def _score(next_lp, seq, start):
    """Cumulative float64 log-probability of the tokens of `seq` from position `start`."""
    seq, total = torch.tensor(seq, dtype=torch.long), 0.0
    for t in range(start, len(seq)):
        total += next_lp(seq[None, :t])[0, seq[t]].item()
    return total


def _beam_reference(next_lp, prefix, width, length):
    """Beam search with Python lists and Python's stable sort: an independent formulation of the same rule."""
    beams = [(0.0, list(prefix))]
    for _ in range(length - len(prefix)):
        candidates = []
        for sc, seq in beams:
            lp = next_lp(torch.tensor([seq], dtype=torch.long).reshape(1, len(seq)))[0].tolist()
            candidates += [(sc + v, seq + [k]) for k, v in enumerate(lp)]
        beams = sorted(candidates, key=lambda c: -c[0])[:width]
    return beams[0][1], beams[0][0]


def _check(next_lp, prefix, width, length, what):
    pre = torch.tensor(prefix, dtype=torch.long)
    seq, sc = assert_unchanged(beam_search, next_lp, pre, width, length)  # must not write into prefix
    ref_seq, ref_sc = _beam_reference(next_lp, prefix, width, length)
    assert isinstance(sc, float), f"{what}: the score is a Python float, got {type(sc).__name__}"
    assert_values(seq, torch.tensor(ref_seq, dtype=torch.long), what=f"{what}: the sequence")
    assert_values(sc, ref_sc, rtol=1e-12, atol=1e-12, what=f"{what}: the score (float64 sum of the generated tokens)")
    return seq, sc


_g = torch.Generator().manual_seed(34)
for _n_tok, _length in ((3, 4), (4, 3), (2, 6)):  # exhaustive width: exact search, against enumeration
    _nl = _table_scorer(torch.log_softmax(torch.randn(_n_tok + 1, _n_tok, generator=_g, dtype=torch.float64) * 2, dim=1))
    _best = max(_it.product(range(_n_tok), repeat=_length), key=lambda s: _score(_nl, list(s), 0))
    _seq, _sc = _check(_nl, [], _n_tok ** _length, _length, f"exhaustive width, V={_n_tok}, length={_length}")
    assert _seq.tolist() == list(_best), f"an exhaustive width must find the argmax {list(_best)}, got {_seq.tolist()}"
    for _w in (1, 2, 3):
        assert _check(_nl, [], _w, _length, f"width {_w}")[1] <= _sc + 1e-12
for _seed in range(8):  # continuous scores, and scores on a coarse grid (many exact ties, across beams too)
    _cont = torch.log_softmax(torch.randn(6, 5, generator=_g, dtype=torch.float64) * 0.7, dim=1)
    _grid = -torch.randint(0, 3, (6, 5), generator=_g).double()
    for _table, _kind in ((_cont, "continuous"), (_grid, "tied")):
        for _w in (1, 2, 3, 7):
            for _pre in ([], [1], [4, 4, 0]):
                _check(_table_scorer(_table), _pre, _w, 6, f"{_kind} table {_seed}, width {_w}, prefix {_pre}")
# accumulate in float64: in float32, -0.5 + -(0.75 + 2^-24) rounds to -1.25 and ties with the better path [0, 0]
_t32 = torch.tensor([[-0.25, -10.0], [-(0.75 + 2.0 ** -24), -10.0], [-1.0, -0.5]], dtype=torch.float32)
_seq, _sc = _check(_table_scorer(_t32), [], 2, 2, "float32 log-probabilities")
assert _seq.tolist() == [0, 0] and _sc == -1.25, f"accumulate the scores in float64: expected [0, 0] with -1.25, got {_seq.tolist()}, {_sc}"
# a trap for greedy: the best first token leads nowhere, width 2 must escape it
_trap = torch.log(torch.tensor([[1 / 3, 1 / 3, 1 / 3], [1e-9, 1e-9, 1.0], [1 / 3, 1 / 3, 1 / 3], [0.55, 0.45, 1e-9]], dtype=torch.float64))
_trap = _trap - torch.logsumexp(_trap, dim=1, keepdim=True)
assert beam_search(_table_scorer(_trap), torch.tensor([], dtype=torch.long), width=1, length=2)[0].tolist()[0] == 0
assert _check(_table_scorer(_trap), [], 2, 2, "the greedy trap")[0].tolist() == [1, 2], "width 2 must find [1, 2] (p = 0.45 > 0.55 / 3)"
# prefix tokens are not scored; a complete prefix is returned as it is, with score 0
_seq, _sc = _check(_table_scorer(_trap), [0, 1], 4, 3, "prefix [0, 1]")
assert _seq.tolist() == [0, 1, 2] and abs(_sc - _trap[1, 2].item()) < 1e-12, (_seq.tolist(), _sc)
_seq, _sc = _check(_table_scorer(_trap), [2, 0, 1], 3, 3, "a complete prefix")
assert _seq.tolist() == [2, 0, 1] and _sc == 0.0, f"length == len(prefix): the prefix and score 0.0, got {_seq.tolist()}, {_sc}"
assert _check(_table_scorer(_trap), [], 2, 0, "length 0")[0].shape == (0,)
# a real policy
with torch.random.fork_rng():
    torch.manual_seed(6)
    _pol = GRUPolicy(8, 16)
for _pre in ([], [13, 2]):  # its float32 outputs depend slightly on the batch: the score only to float32 accuracy
    _seq, _sc = assert_unchanged(beam_search, _pol.next_logprobs, torch.tensor(_pre, dtype=torch.long), 3, 5)
    _ref_seq, _ref_sc = _beam_reference(_pol.next_logprobs, _pre, 3, 5)
    assert _seq.tolist() == _ref_seq and abs(_sc - _ref_sc) < 1e-4, (_pre, _seq.tolist(), _ref_seq, _sc, _ref_sc)
for _w, _ln, _pre in ((0, 4, []), (-1, 4, [1]), (2, 1, [1, 2]), (2, 2, [0, 1, 2])):
    assert_raises(ValueError, beam_search, _table_scorer(_trap), torch.tensor(_pre, dtype=torch.long), _w, _ln)
### END HIDDEN TESTS

# %% [markdown] id="beam-experiment"
# ## Experiment — beam search against sampling
#
# `N_PROMPTS` prompts: the first two tokens of reference samples. For each, we complete it with the DPO policy (and, for comparison, the reference) by sampling and by beam search (widths 1 and 4).
#
# *Where the paper says it:* this is the second insight in the abstract of Rafailov et al. (2024). Under the token-level view, search algorithms are equivalent to likelihood search on a DPO policy, and "a simple beam search yields meaningful improvement over the base DPO policy". They measure it in their §5.2 and Figure 2 as GPT-4 win rates of the generated summaries over the preferred summary of the test set (256 held-out TL;DR prompts, DPO models at three values of $\beta$): 5 beams improve the win rate by 10–15% over 1 beam, and more beams degrade it as answers grow longer (checked: §5.2 and Figure 2 of arXiv:2404.12358). We measure the true reward instead.

# %% id="beam-run"
prompts = reference.sample(N_PROMPTS, generator)[:, :2]
padded = torch.cat([prompts, torch.zeros(N_PROMPTS, SEQ_LEN - 2, dtype=torch.long)], dim=1)
prompt_len = torch.full((N_PROMPTS,), 2)
results = {}
for name, model in (("reference", reference), ("DPO", dpo_policy)):
    sampled = model.sample(N_PROMPTS, generator, prefix=padded, prefix_len=prompt_len)
    results[(name, "sampling")] = true_reward(sampled).mean().item()
    for width in (1, 4):
        searched = torch.stack([beam_search(model.next_logprobs, p, width, SEQ_LEN)[0]
                                for p in progress(prompts, desc=f"{name} beam {width}")])
        results[(name, f"beam {width}")] = true_reward(searched).mean().item()
    if name == "DPO":
        beam_examples = decode(searched[:4])

fig, ax = subplots()
methods = ["sampling", "beam 1", "beam 4"]
for k, name in enumerate(("reference", "DPO")):
    ax.bar([i + 0.38 * k for i in range(3)], [results[(name, m)] for m in methods], width=0.36, label=name)
ax.set_xticks([i + 0.19 for i in range(3)], methods)
ax.axhline(0, color="k", lw=0.8)
label(ax, "Decoding the DPO policy", "decoding", "mean true reward")
show(fig)
for (name, method), value in results.items():
    print(f"{name:>9} {method:>8}: true reward {value:+.2f}")
for text in beam_examples:
    print("DPO beam-4 completion:", text)

# %% [markdown] id="claim-intro"
# ## Claim check
#
# The figures measured above, next to the papers' claims. In a full run each claim is asserted; with `SMOKE=True` the runs are too short, so the cell only reports.

# %% id="claim-check" tags=["claim-check"]
claim("dpo-beats-reference", paper="DPO improves the reward over the SFT reference without a reward model (Rafailov et al., 2023)",
      here=f"true reward {r_dpo:+.2f} (DPO, {N_PAIRS} pairs, KL {kl:.1f}) vs {r_ref:+.2f} (reference)",
      checks=[above(r_dpo, r_ref + 1.0)], smoke=SMOKE)
gap_few = hist_few[-1][1] - hist_few[-1][2]
gap_many = hist_many[-1][1] - hist_many[-1][2]
claim("dpo-overfits", paper="with few pairs DPO fits its training pairs but not held-out ones",
      here=f"100 pairs: train {hist_few[-1][1]:.3f} vs held-out {hist_few[-1][2]:.3f}; "
           f"{N_PAIRS} pairs: {hist_many[-1][1]:.3f} vs {hist_many[-1][2]:.3f}",
      checks=[above(gap_few, 0.1), above(gap_few, gap_many + 0.05)], smoke=SMOKE)
claim("token-credit", paper="DPO's per-token log-ratio assigns credit to the responsible token (From r to Q*)",
      here=f"most negative token reward on the bad token in {hit_rate:.1%} of {len(probe)} sequences (chance {chance:.1%}); "
           f"per-token sums match the sequence reward to {sum_error:.0e}",
      checks=[above(hit_rate, 0.8), below(sum_error, 1e-4)], smoke=SMOKE)
claim("beam-search", paper="likelihood search (beam search) over the DPO policy beats sampling from it (From r to Q*)",
      here=f"true reward {results[('DPO', 'beam 4')]:+.2f} (beam 4) vs {results[('DPO', 'sampling')]:+.2f} (sampling); "
           f"reference: {results[('reference', 'beam 4')]:+.2f} vs {results[('reference', 'sampling')]:+.2f}",
      checks=[above(results[("DPO", "beam 4")], results[("DPO", "sampling")])], smoke=SMOKE)

# %% [markdown] id="reflect"
# ## Reflect
#
# Answer each question in the cell below it, in a few sentences. These answers are graded by hand (1 point each).
#
# 1. Beam search over the *reference* policy is far worse than sampling from it, yet over the DPO policy it is better. What does the reference's most likely sequence look like, and what in the DPO policy's log-ratio fixes it?

# %% [markdown] id="reflect-beam" nbgrader={"grade": true, "grade_id": "reflect-beam", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** The reference's base chain repeats the previous token with extra probability (its "stickiness"). So its single most likely continuation is one token repeated to the end, e.g. `10 10 10 ... 10`. Each repeat is a stutter worth $-2.5$, which is why beam search over the reference scores about $-21$ against $-4.3$ for sampling: the mode of $\pi_{\text{ref}}$ is a bad sequence, and sampling rarely lands on it. The DPO policy is (approximately) $\pi_{\text{ref}}\,e^{r/\beta}/Z$, so its log-likelihood is $\log\pi_{\text{ref}} + r/\beta$ up to a constant. Its log-ratio is strongly negative on repeated tokens and on X, and positive on the good tokens and on the $[4\ 7]$ pattern. Maximising the likelihood therefore trades reference likelihood against reward, and the beam finds alternations such as `+9 +5 +2 +5` (about $+7.4$ against $+3.6$ for sampling).
#
# **Rubric (1 point).** 0.5: the reference's mode is a stutter (a repeated token), which the true reward penalises at every position; 0.5: DPO's likelihood contains $r/\beta$ (the log-ratio is the implicit reward), so likelihood search is reward search. Saying only "beam search finds likely sequences" without why the reference's likely sequences are bad gets 0.
# ### END SOLUTION

# %% [markdown] id="reflect-heatmap-question"
# 2. The hit rate counts only the most negative token. Look at the heat map: which *other* tokens get blamed, and does the true reward agree that they deserve it? (Hint: the stutter.)

# %% [markdown] id="reflect-heatmap" nbgrader={"grade": true, "grade_id": "reflect-heatmap", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** Besides the X, the red cells sit on the second token of a repeated pair, a stutter such as `14 14` or `10 10`. The true reward charges exactly that token: $-2.5$ for each token equal to the one before it. The darkest cells of all are an X that repeats an X (`X X`), which $r^\star$ charges twice ($-3$ for the X, $-2.5$ for the stutter). The blame lands on the repeat, not on the first token of the pair, because the first token was a fine choice when it was made: only the repeat is a mistake in its context. That is the advantage interpretation at work: $\hat r_t$ depends on the context $y_{<t}$, which a bag-of-tokens reward cannot see. Good tokens get light blue (credit), and neutral tokens sit near 0, slightly negative (the histogram's blue bulk). The per-token values are KL-regularised advantages, not $r^\star$ itself, so they agree with the reward in sign and ranking rather than in size.
#
# **Rubric (1 point).** 0.5: names the repeated token (the second of a stutter pair) as the other blamed token; 0.5: checks it against $r^\star$ (the stutter penalty is charged to that token) and notes that this needs the context, i.e. a per-token *advantage*. Naming "the token before the X" or random neutral tokens earns 0.
# ### END SOLUTION

# %% [markdown] id="reflect-smoothing-question"
# 3. Label smoothing $\varepsilon$ caps how far DPO pushes a pair: what is the minimiser of $\mathcal{L}_\varepsilon$ in $h$, and why might it help in the 100-pair run?

# %% [markdown] id="reflect-smoothing" nbgrader={"grade": true, "grade_id": "reflect-smoothing", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** With $z = \beta h$, $\frac{d}{dz}\mathcal{L}_\varepsilon = -(1-\varepsilon)(1-\sigma(z)) + \varepsilon\,\sigma(z) = \sigma(z) - (1-\varepsilon)$. It vanishes at $\sigma(z) = 1-\varepsilon$, so $h^\star = \frac{1}{\beta}\log\frac{1-\varepsilon}{\varepsilon}$. The loss is convex in $z$, so this is the minimum. For $\varepsilon = 0$ there is no finite minimiser: the loss keeps pushing every margin towards $+\infty$, which is how the 100-pair run fits its training pairs perfectly (train accuracy 1.000) while held-out accuracy stays at 0.702. With $\varepsilon > 0$ each pair stops pulling once its margin reaches $h^\star$. This bounds how far a handful of pairs can move the policy away from the reference, a regulariser against memorising noisy or accidental features of 100 pairs. It cannot add information, so it narrows the train/held-out gap rather than reaching the 3000-pair accuracy.
#
# **Rubric (1 point).** 0.5: the minimiser $h^\star = \log((1-\varepsilon)/\varepsilon)/\beta$ (or $\sigma(\beta h^\star) = 1-\varepsilon$), with a correct derivation; 0.5: the link to overfitting (without smoothing the margins grow without bound on few pairs; smoothing caps them). Stating only "it regularises" without the minimiser gets at most 0.5.
# ### END SOLUTION

# %% [markdown] id="further-reading"
# **Further reading:** Rafailov et al. (2024), sections 4–5 (credit assignment and search); Azar et al., *A General Theoretical Paradigm to Understand Learning from Human Preferences* (IPO, 2023, arXiv:2310.12036); Mitchell (2023) on conservative DPO.
