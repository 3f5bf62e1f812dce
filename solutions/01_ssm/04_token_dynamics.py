# %% [markdown] id="card"
# # Token dynamics of deep selective SSMs: all tokens shrink, or all explode
#
# **Papers:** T. N. Vo, T. D. Pham, X. T. Tong, T. M. Nguyen, *Demystifying the Token Dynamics of Deep Selective State Space Models* (2024, ICLR 2025, arXiv:2410.03292); A. Gu, T. Dao, *Mamba* (2023, arXiv:2312.00752).
#
# **Learning objectives**
# - derive the continuous-time limit of a deep, one-dimensional selective SSM (depth becomes time);
# - implement its vector field and integrate it with Runge–Kutta;
# - predict from one number, $\mu = S_C^\top S_B$, whether every token converges to zero or diverges, and check the prediction on hundreds of random models.
#
# **Prerequisites:** notebook 3 of this module (the selective scan); ordinary differential equations (Euler and Runge–Kutta steps).
#
# **Time:** 40 min
#
# **Points:** 7 (three autograded exercises)
#
# **Claim:** in the one-dimensional continuous-time limit of a deep selective SSM, exactly one of two things happens — all tokens converge to zero, or all tokens diverge — and the sign of $S_C^\top S_B$ decides which.

# %% id="parameters" tags=["parameters"]
SMOKE = False  # True: tiny sizes, runs in seconds
SEED = 0
N_MODELS = 300  # random parameter settings checked against the criterion
T_END = 200.0  # integration horizon (depth, in continuous time)

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math

import torch
import torch.nn.functional as F

from utils.common import at_least, claim, equal, positive_number, setup_lesson, timer
from utils.plotting import label, show, subplots

if SMOKE:
    N_MODELS, T_END = min(N_MODELS, 40), min(T_END, 20.0)
generator = setup_lesson(SEED, SMOKE, N_MODELS=(N_MODELS, at_least(10)), T_END=(T_END, positive_number()))
torch.set_default_dtype(torch.float64)  # ODE integration: float64 keeps round-off out of the verdicts


# %% [markdown] id="limit-background"
# ## Depth as time
#
# Stack many Mamba layers with residual connections, keep only the selective SSM (no normalisation, no convolution, no gate), share the weights across layers, and give every token a single feature $x_\ell \in \mathbb{R}$, $\ell = 1, \dots, L$. One layer maps $x \mapsto x + \varepsilon\, \mathrm{S6}(x)$; with $\varepsilon \to 0$ and the layer index read as time $t$, the tokens follow an ODE. In one dimension, S6's input-dependent parameters are linear in the token:
#
# $$B_j = S_B\, x_j \in \mathbb{R}^N, \quad C_\ell = S_C\, x_\ell \in \mathbb{R}^N, \quad \Delta_j = \mathrm{softplus}(s_\Delta x_j + b), \quad A = -a\, I \ (a > 0),$$
#
# and unrolling the selective scan of notebook 3 (with $\bar B = \Delta B$) gives
#
# $$\frac{dx_\ell}{dt} = \sum_{j=1}^{\ell} \big(C_\ell^\top B_j\big)\, \Delta_j\, \exp\!\Big(-a \sum_{k=j+1}^{\ell} \Delta_k\Big)\, x_j .$$
#
# Because $C_\ell^\top B_j = \mu\, x_\ell x_j$ with $\mu = S_C^\top S_B$, this is $\frac{dx_\ell}{dt} = \mu\, x_\ell\, W_\ell(x)$ with $W_\ell = \sum_{j \le \ell} x_j^2 \Delta_j e^{-a \sum \Delta} \ge 0$. So $\frac{d}{dt} x_\ell^2 = 2 \mu\, x_\ell^2 W_\ell$: **every** token's magnitude shrinks when $\mu < 0$ and grows when $\mu > 0$. Vo et al. prove more — convergence to zero at rate $O(1/\sqrt{t})$ in the first case, divergence (sometimes in finite time) in the second — and show that the convergent regime hurts a trained Mamba.
#
# ## Exercise 1 — the vector field (3 points)
#
# **Implement** `token_velocity(x, S_B, S_C, a, s_delta, b)` for a **batch** of $P$ independent models: `x` of shape `(P, L)`, `S_B`, `S_C` of shape `(P, N)`, `a`, `s_delta`, `b` of shape `(P,)`; return $dx/dt$ of shape `(P, L)`. Use the general formula with $B_j$ and $C_\ell$ (not the $\mu$ shortcut), built as a `(P, L, L)` matrix of weights that is zero above the diagonal.
#
# *Hint:* `cum = Delta.cumsum(-1)`; then $\sum_{k=j+1}^{\ell} \Delta_k$ is `cum[:, l] - cum[:, j]`; mask with `torch.tril`.

# %% id="velocity-answer" nbgrader={"grade": false, "grade_id": "velocity-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def token_velocity(x: torch.Tensor, S_B: torch.Tensor, S_C: torch.Tensor, a: torch.Tensor, s_delta: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """dx_l/dt = sum_{j<=l} (C_l . B_j) Delta_j exp(-a sum_{k=j+1}^{l} Delta_k) x_j for P models: x (P, L) -> (P, L)."""
    ### BEGIN SOLUTION
    B = x[:, :, None] * S_B[:, None, :]  # (P, L, N)
    C = x[:, :, None] * S_C[:, None, :]
    delta = F.softplus(s_delta[:, None] * x + b[:, None])  # (P, L)
    cum = delta.cumsum(-1)
    gap = cum[:, :, None] - cum[:, None, :]  # sum_{k=j+1}^{l} Delta_k at [l, j]
    causal = torch.tril(torch.ones(x.shape[1], x.shape[1], dtype=torch.bool))
    decay = torch.exp(-a[:, None, None] * gap.clamp(min=0)) * causal
    weights = torch.einsum("pln,pjn->plj", C, B) * delta[:, None, :] * decay
    return torch.einsum("plj,pj->pl", weights, x)
    ### END SOLUTION


# %% id="velocity-tests" nbgrader={"grade": true, "grade_id": "velocity-tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
one = torch.ones(1)
v = token_velocity(torch.tensor([[2.0]]), torch.tensor([[1.0]]), torch.tensor([[1.0]]), one, torch.zeros(1), torch.zeros(1))
assert v.shape == (1, 1), f"expected (P, L) = (1, 1), got {tuple(v.shape)}"
assert abs(v.item() - 8 * math.log(2)) < 1e-9, f"one token: mu x^3 softplus(b) = 8 log 2, got {v.item()}"
v = token_velocity(torch.tensor([[1.0, 1.0]]), torch.tensor([[1.0]]), torch.tensor([[-1.0]]), one, torch.zeros(1), torch.zeros(1))
d = math.log(2)
expected = [-d, -(d + d * math.exp(-d))]
assert torch.allclose(v, torch.tensor([expected])), f"two tokens: expected {expected}, got {v.tolist()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
def _via_scan(x, S_B, S_C, a, s_delta, b):  # independent: the selective recurrence h_l = e^{-a D_l} h_{l-1} + D_l B_l u_l, y_l = C_l . h_l
    P, L = x.shape
    out = torch.zeros(P, L, dtype=torch.float64)
    for p in range(P):
        h = torch.zeros(S_B.shape[1], dtype=torch.float64)
        for l in range(L):
            dl = math.log1p(math.exp(s_delta[p].item() * x[p, l].item() + b[p].item()))
            h = math.exp(-a[p].item() * dl) * h + dl * (S_B[p] * x[p, l]) * x[p, l]  # B_l u_l with B_l = S_B x_l, u_l = x_l
            out[p, l] = (S_C[p] * x[p, l] * h).sum()
    return out
g = torch.Generator().manual_seed(31)
for P, L, N in [(1, 1, 1), (3, 5, 2), (2, 9, 4)]:
    x = torch.randn(P, L, generator=g, dtype=torch.float64)
    S_B, S_C = torch.randn(P, N, generator=g, dtype=torch.float64), torch.randn(P, N, generator=g, dtype=torch.float64)
    a = torch.rand(P, generator=g, dtype=torch.float64) * 2 + 0.1
    s_delta, b = torch.randn(P, generator=g, dtype=torch.float64), torch.randn(P, generator=g, dtype=torch.float64)
    v = token_velocity(x, S_B, S_C, a, s_delta, b)
    assert v.shape == (P, L), f"shape {tuple(v.shape)} for P={P}, L={L}"
    assert torch.allclose(v, _via_scan(x, S_B, S_C, a, s_delta, b), atol=1e-9), f"wrong velocity for P={P}, L={L}, N={N}"
### END HIDDEN TESTS

# %% [markdown] id="rk4-background"
# ## Exercise 2 — integrate with Runge–Kutta (2 points)
#
# The classical fourth-order Runge–Kutta step for $x' = f(x)$ with step $h$:
#
# $$k_1 = f(x), \quad k_2 = f(x + \tfrac h2 k_1), \quad k_3 = f(x + \tfrac h2 k_2), \quad k_4 = f(x + h k_3), \qquad x \leftarrow x + \tfrac h6 (k_1 + 2k_2 + 2k_3 + k_4).$$
#
# Divergent tokens may blow up in finite time, so the integrator must stop touching a model once it has escaped: after each step, non-finite entries (a step that overflowed) are stored as `inf`, and every model (row) whose largest $|x_\ell|$ exceeds `cap` is **frozen** (its row is never updated again).
#
# **Implement** `integrate(f, x0, t_end, h, cap=1e6)`: `f` maps `(P, L)` to `(P, L)`; take `round(t_end / h)` steps; return the trajectory of shape `(steps + 1, P, L)` (the initial state first).
#
# *Hint:* keep a boolean `frozen` of shape `(P,)`; `torch.where(frozen[:, None], x, x_new)`; compute `f` only on finite states (replace frozen rows by zeros before calling `f`, so no `inf` or `nan` appears).

# %% id="rk4-answer" nbgrader={"grade": false, "grade_id": "rk4-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def integrate(f, x0: torch.Tensor, t_end: float, h: float, cap: float = 1e6) -> torch.Tensor:
    """RK4 for x' = f(x) on a batch of rows; rows whose max |x| exceeds `cap` are frozen. Returns (steps + 1, P, L)."""
    ### BEGIN SOLUTION
    steps = round(t_end / h)
    x = x0.clone()
    frozen = x.abs().amax(-1) > cap
    out = [x]
    for _ in range(steps):
        z = torch.where(frozen[:, None], torch.zeros_like(x), x)
        k1 = f(z)
        k2 = f(z + h / 2 * k1)
        k3 = f(z + h / 2 * k2)
        k4 = f(z + h * k3)
        x = torch.where(frozen[:, None], x, z + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4))
        x = torch.where(torch.isfinite(x), x, torch.full_like(x, math.inf))
        frozen = frozen | (x.abs().amax(-1) > cap)
        out.append(x)
    return torch.stack(out)
    ### END SOLUTION


# %% id="rk4-tests" nbgrader={"grade": true, "grade_id": "rk4-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
traj = integrate(lambda x: -x, torch.tensor([[1.0, 2.0]]), t_end=1.0, h=0.1)
assert traj.shape == (11, 1, 2), f"expected (steps + 1, P, L) = (11, 1, 2), got {tuple(traj.shape)}"
assert torch.allclose(traj[0], torch.tensor([[1.0, 2.0]])), "the trajectory starts with x0"
assert torch.allclose(traj[-1], math.exp(-1) * torch.tensor([[1.0, 2.0]]), atol=1e-6), f"x' = -x: x(1) = x0 / e, got {traj[-1].tolist()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
# RK4 is exact to 4th order: error ratio for halving h is about 16
x0 = torch.tensor([[0.5], [-0.3]])
exact = x0 / torch.sqrt(1 + 2 * x0 ** 2 * 2.0)  # x' = -x^3, t = 2
e1 = (integrate(lambda x: -x ** 3, x0, 2.0, 0.2)[-1] - exact).abs().max().item()
e2 = (integrate(lambda x: -x ** 3, x0, 2.0, 0.1)[-1] - exact).abs().max().item()
assert e1 < 1e-5 and 8 < e1 / e2 < 40, f"not fourth order: errors {e1:.2e} (h=0.2), {e2:.2e} (h=0.1)"
# blow-up: x' = x^2 from x0 = 1 explodes at t = 1; the second row stays finite
traj = integrate(lambda x: x ** 2 * torch.tensor([[1.0], [0.0]]), torch.tensor([[1.0], [1.0]]), 2.0, 0.01, cap=1e6)
assert traj.shape == (201, 2, 1)
assert not torch.isnan(traj).any(), "frozen rows must not produce nan"
assert traj[-1, 0, 0].abs() > 1e6 and traj[-1, 0, 0] == traj[-2, 0, 0], "an escaped row must be frozen, not updated"
assert torch.allclose(traj[:, 1, 0], torch.ones(201)), "other rows are unaffected"
# frozen means frozen: the first value past the cap is kept, finite
traj = integrate(lambda x: x ** 2, torch.tensor([[1.0]]), 2.0, 0.01, cap=10.0)
assert 10.0 < traj[-1, 0, 0] < 20.0, f"freeze the row at the first step past the cap, got {traj[-1, 0, 0].item()}"
# an overflow inside one step (inf - inf in the stages) must be stored as inf, never nan
traj = integrate(lambda x: x ** 4 - 0.5 * x ** 4, torch.tensor([[1.0, 0.5]]), 3.0, 0.25, cap=math.inf)
assert not torch.isnan(traj).any() and torch.isinf(traj[-1]).any(), "store non-finite values as inf"
### END HIDDEN TESTS

# %% [markdown] id="classify-background"
# ## Exercise 3 — read the verdict off a trajectory (2 points)
#
# **Implement** `classify(traj)` for a trajectory of shape `(steps + 1, P, L)`: with $m_0$ and $m_T$ the largest $|x_\ell|$ of each model at the first and last time, return a list of `P` strings: `"diverge"` if $m_T > 2 m_0$ (this includes frozen, escaped rows), `"converge"` if $m_T < m_0 / 2$, else `"undecided"`.

# %% id="classify-answer" nbgrader={"grade": false, "grade_id": "classify-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def classify(traj: torch.Tensor) -> list[str]:
    """'converge' / 'diverge' / 'undecided' per model from the largest |token| at the start and the end."""
    ### BEGIN SOLUTION
    m0 = traj[0].abs().amax(-1)
    mT = traj[-1].abs().amax(-1)
    return ["diverge" if e > 2 * s else "converge" if e < s / 2 else "undecided" for s, e in zip(m0.tolist(), mT.tolist())]
    ### END SOLUTION


# %% id="classify-tests" nbgrader={"grade": true, "grade_id": "classify-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
traj = torch.tensor([[[1.0, -2.0], [1.0, 1.0], [1.0, 1.0]],
                     [[0.5, 0.5], [1.0, 1.0], [3.0, -0.5]]])  # (2 times, 3 models, 2 tokens)
verdicts = classify(traj)
assert verdicts == ["converge", "undecided", "diverge"], f"expected ['converge', 'undecided', 'diverge'], got {verdicts}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
g = torch.Generator().manual_seed(41)
for _ in range(5):
    traj = torch.randn(7, 20, 4, generator=g) * torch.exp(torch.randn(1, 20, 1, generator=g) * torch.linspace(0, 1.5, 7)[:, None, None])
    m0, mT = traj[0].abs().max(-1).values, traj[-1].abs().max(-1).values
    expected = ["diverge" if e > 2 * s else ("converge" if e < 0.5 * s else "undecided") for s, e in zip(m0, mT)]
    assert classify(traj) == expected, "uses the largest |x| at the first and the last time"
assert classify(torch.tensor([[[1.0]], [[math.inf]]])) == ["diverge"]
assert classify(torch.tensor([[[-4.0, 1.0]], [[1.9, 0.0]]])) == ["converge"], "use |x|, not x"
assert classify(torch.tensor([[[1.0]], [[2.0]]])) == ["undecided"] and classify(torch.tensor([[[1.0]], [[0.5]]])) == ["undecided"], "strict inequalities"
### END HIDDEN TESTS

# %% [markdown] id="regimes-intro"
# ## Experiment 1 — the two regimes
#
# Two models with the same parameters except the sign of $S_C$ (so $\mu$ flips), $L = 8$ tokens, $N = 4$. We plot $|x_\ell(t)|$ on a log scale.

# %% id="regimes"
def velocity_of(params):
    return lambda x: token_velocity(x, *params)

L_TOKENS, N_STATE = 8, 4
S_B = torch.randn(1, N_STATE, generator=generator) / math.sqrt(N_STATE)
S_C = torch.randn(1, N_STATE, generator=generator) / math.sqrt(N_STATE)
S_C = S_C * torch.sign((S_C * S_B).sum())  # mu > 0 for S_C, mu < 0 for -S_C
shared = (torch.tensor([1.0]), torch.tensor([0.5]), torch.tensor([0.0]))
x0 = torch.randn(1, L_TOKENS, generator=generator)
fig, axes = subplots(ncols=2, width=5.0)
for ax, sign, name in zip(axes, (-1.0, 1.0), ("mu < 0: convergence", "mu > 0: divergence")):
    params = (S_B, sign * S_C, *shared)
    traj = integrate(velocity_of(params), x0, t_end=min(T_END, 30.0), h=0.02, cap=1e4)
    times = torch.linspace(0, min(T_END, 30.0), traj.shape[0])
    escaped = (traj[:, 0].abs().amax(-1) > 1e4).nonzero()
    stop = int(escaped[0]) + 1 if len(escaped) else traj.shape[0]  # plot up to the blow-up, not the frozen tail
    for l in range(L_TOKENS):
        ax.semilogy(times[:stop], traj[:stop, 0, l].abs().clamp(min=1e-8), lw=1, label=f"token {l + 1}" if l < 4 else None)
    mu = (sign * S_C * S_B).sum().item()
    ending = f", blow-up at t={times[stop - 1]:.2f}" if len(escaped) else ""
    ax.set_ylim(top=1e5)
    label(ax, f"{name} (mu = {mu:+.2f}{ending})", "depth t", "|x_l(t)|")
show(fig)

# %% [markdown] id="criterion-intro"
# ## Experiment 2 — does the sign of $\mu$ predict the regime, every time?
#
# We draw `N_MODELS` random models — $S_B, S_C \sim \mathcal N(0, I/N)$ rescaled so that $|\mu| \in [0.2, 1]$, $a \sim U[0.5, 2]$, $s_\Delta, b \sim \mathcal N(0, 0.5^2)$, $L = 6$ tokens from $U[-1.5, 1.5]$ — integrate all of them at once to `T_END` with RK4 ($h = 0.04$, escaped models frozen at $10^6$), classify each trajectory, and compare with the prediction "$\mu < 0 \Rightarrow$ converge, $\mu > 0 \Rightarrow$ diverge".

# %% id="criterion"
P, L_RAND, N_RAND = N_MODELS, 6, 4
S_B = torch.randn(P, N_RAND, generator=generator) / math.sqrt(N_RAND)
S_C = torch.randn(P, N_RAND, generator=generator) / math.sqrt(N_RAND)
mu = (S_B * S_C).sum(-1)
target = torch.sign(mu) * (0.2 + 0.8 * torch.rand(P, generator=generator))  # |mu| in [0.2, 1]
S_C = S_C * (target / mu)[:, None]
mu = (S_B * S_C).sum(-1)
params = (S_B, S_C, 0.5 + 1.5 * torch.rand(P, generator=generator), 0.5 * torch.randn(P, generator=generator), 0.5 * torch.randn(P, generator=generator))
x0 = 3 * torch.rand(P, L_RAND, generator=generator) - 1.5
with timer() as t:
    traj = integrate(velocity_of(params), x0, t_end=T_END, h=0.04)
verdicts = classify(traj)
predicted = ["converge" if m < 0 else "diverge" for m in mu.tolist()]
correct = sum(v == p for v, p in zip(verdicts, predicted))
undecided = verdicts.count("undecided")
print(f"{P} models integrated to t={T_END:g} in {t['seconds']:.1f} s: {verdicts.count('converge')} converge, "
      f"{verdicts.count('diverge')} diverge, {undecided} undecided; criterion correct for {correct}/{P}")

ratio = (traj[-1].abs().amax(-1) / traj[0].abs().amax(-1)).clamp(1e-3, 1e3)
print(f"closest calls: largest ratio among mu < 0 = {ratio[mu < 0].max().item():.3f} (threshold 0.5), "
      f"smallest among mu > 0 = {ratio[mu > 0].min().item():.3f} (threshold 2)")
fig, ax = subplots()
ax.scatter(mu, ratio, s=8, c=["tab:blue" if v == "converge" else "tab:red" if v == "diverge" else "gray" for v in verdicts])
ax.set_yscale("log")
ax.axvline(0, color="black", lw=0.8)
ax.scatter([], [], c="tab:blue", label="converged (max |x| halved)")
ax.scatter([], [], c="tab:red", label="diverged (max |x| doubled)")
label(ax, "The sign of mu = S_C . S_B decides", "mu", "max|x(T)| / max|x(0)|  (clipped)")
show(fig)

# %% [markdown] id="claim-intro"
# ## Claim check

# %% id="claim-check" tags=["claim-check"]
claim("criterion", paper="mu < 0: all tokens converge to zero; mu > 0: all tokens diverge (1-D case)",
      here=f"sign of mu predicts the regime for {correct}/{P} random models ({undecided} undecided at t={T_END:g})",
      checks=[equal(correct, P)], smoke=SMOKE)

# %% [markdown] id="reflect"
# ## Reflect
#
# 1. The argument for "all tokens move together" used only $C_\ell^\top B_j = \mu\, x_\ell x_j$. Which part of that breaks when tokens have $d > 1$ features, and what replaces the sign of $\mu$ (the paper's higher-dimensional experiments look at the signs of the eigenvalues of $S_C^\top S_B$)?
# 2. In the convergent regime every token tends to zero, whatever the input. Why would that hurt a trained model, and how would you keep training out of it?
# 3. Real Mamba layers include normalisation. What does a LayerNorm do to the divergent regime?
#
# **Further reading:** Vo et al. (2024): the one-dimensional theorems (convergence rate, slow and fast divergence) and the two refinements they motivate (excluding the convergent regime, reordering tokens by importance); B. Geshkovski et al., *A mathematical perspective on Transformers* (2023), the analogous study of attention.
