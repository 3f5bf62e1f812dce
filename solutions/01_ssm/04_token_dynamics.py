# %% [markdown] id="card"
# # Token dynamics of deep selective SSMs: all tokens shrink, or all explode
#
# **Papers:** T. N. Vo, T. D. Pham, X. T. Tong, T. M. Nguyen, *Demystifying the Token Dynamics of Deep Selective State Space Models* (2024, ICLR 2025, arXiv:2410.03292); A. Gu, T. Dao, *Mamba* (2023, arXiv:2312.00752).
#
# **Learning objectives**
# - derive the continuous-time limit of a deep, one-dimensional selective SSM (depth becomes time);
# - implement its vector field and integrate it with Runge–Kutta;
# - predict from one number, $\mu = S_C^\top S_B$, whether every token converges to zero or diverges, and check the prediction on hundreds of random models;
# - solve the one-token case by hand and predict when a divergent token blows up.
#
# **Prerequisites:** notebook 3 of this module (the selective scan); ordinary differential equations (Euler and Runge–Kutta steps).
#
# **Read ahead:** `paperlab preview 01_ssm/04_token_dynamics` writes this lesson's experiments, executed, to `build/preview/` (answers and hidden tests removed), so you can see every figure before you solve anything.
#
# **Time:** 40 min
#
# **Points:** 12 (four autograded exercises, 9 points; three written answers, 1 point each, graded by hand)
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
# **Implement** `token_velocity(x, S_B, S_C, a, s_delta, b)` for a **batch** of $P$ independent models: `x` of shape `(P, L)`, `S_B`, `S_C` of shape `(P, N)`, `a`, `s_delta`, `b` of shape `(P,)`, all of one real dtype; return $dx/dt$ of shape `(P, L)` in that dtype, leaving the inputs unchanged. Use the general formula with $B_j$ and $C_\ell$ (not the $\mu$ shortcut), built as a `(P, L, L)` matrix of weights that is zero above the diagonal, with $\Delta = $ `F.softplus(s_delta x + b)`. It must stay finite for long sequences with strong decay: $a \sum_k \Delta_k$ may reach the thousands, so never form $e^{+a \sum \Delta}$ (not even above the diagonal, where it would be masked: `inf * 0` is `nan`); and for large arguments: the tests take $s_\Delta x + b$ beyond 709, where $e^{z}$ overflows in float64, so use `F.softplus` itself, not $\log(1 + e^{z})$.
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
from utils.testing import assert_unchanged, assert_values


def _softplus(z):  # log(1 + e^z) without overflow
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


def _via_scan(x, S_B, S_C, a, s_delta, b):  # independent: the selective recurrence h_l = e^{-a D_l} h_{l-1} + D_l B_l u_l, y_l = C_l . h_l
    P, L = x.shape
    out = torch.zeros(P, L, dtype=torch.float64)
    for p in range(P):
        h = [0.0] * S_B.shape[1]
        for l in range(L):
            xl = x[p, l].item()
            dl = _softplus(s_delta[p].item() * xl + b[p].item())
            h = [math.exp(-a[p].item() * dl) * hn + dl * sb * xl * xl for hn, sb in zip(h, S_B[p].tolist())]  # B_l u_l = S_B x_l x_l
            out[p, l] = sum(sc * xl * hn for sc, hn in zip(S_C[p].tolist(), h))
    return out


g = torch.Generator().manual_seed(31)
for P, L, N in [(1, 1, 1), (3, 5, 2), (2, 9, 4), (4, 2, 3)]:
    x = torch.randn(P, L, generator=g, dtype=torch.float64) * 1.5
    if L > 1:
        x[0, 1] = x[0, 0]  # a tie
    S_B, S_C = torch.randn(P, N, generator=g, dtype=torch.float64), torch.randn(P, N, generator=g, dtype=torch.float64)
    a = torch.rand(P, generator=g, dtype=torch.float64) * 2 + 0.1
    s_delta, b = torch.randn(P, generator=g, dtype=torch.float64), torch.randn(P, generator=g, dtype=torch.float64)
    v = assert_unchanged(token_velocity, x, S_B, S_C, a, s_delta, b)
    assert_values(v, _via_scan(x, S_B, S_C, a, s_delta, b), what=f"the velocity for P={P}, L={L}, N={N}")
    v32 = token_velocity(*(t.float() for t in (x, S_B, S_C, a, s_delta, b)))
    assert_values(v32, _via_scan(x, S_B, S_C, a, s_delta, b).float(), rtol=1e-4, atol=1e-5, what=f"float32 velocity, P={P}, L={L}")
# strong decay over a long sequence: a * sum(Delta) ~ 2 * 40 * 12 = 960 > log(float64 max) = 709
x = torch.rand(2, 40, generator=g, dtype=torch.float64) + 0.5
S_B, S_C = torch.randn(2, 3, generator=g, dtype=torch.float64), torch.randn(2, 3, generator=g, dtype=torch.float64)
params = (S_B, S_C, torch.tensor([2.0, 1.5], dtype=torch.float64), torch.tensor([1.0, -1.0], dtype=torch.float64),
          torch.tensor([11.0, 12.0], dtype=torch.float64))
v = token_velocity(x, *params)
assert torch.isfinite(v).all(), "strong decay: the velocity must stay finite (never form exp(+a sum Delta))"
assert_values(v, _via_scan(x, *params), what="the velocity with strong decay (a sum Delta in the hundreds)")
# large softplus arguments: s_delta x + b > 709, where exp overflows in float64 (softplus(z) = z there), of each sign
x = torch.tensor([[0.9, -1.1, 0.4, 1.3], [1.0, -0.6, 0.8, -1.2], [0.7, 0.5, -0.9, 1.1]], dtype=torch.float64)
S_B, S_C = torch.randn(3, 2, generator=g, dtype=torch.float64), torch.randn(3, 2, generator=g, dtype=torch.float64)
params = (S_B, S_C, torch.tensor([0.002, 0.5, 0.001], dtype=torch.float64), torch.tensor([0.0, 1000.0, -900.0], dtype=torch.float64),
          torch.tensor([720.0, 0.0, 5.0], dtype=torch.float64))
v = assert_unchanged(token_velocity, x, *params)
assert torch.isfinite(v).all(), "softplus(z) for z > 709: log(1 + exp(z)) overflows to inf; use F.softplus"
assert_values(v, _via_scan(x, *params), what="the velocity with softplus arguments beyond 709")
### END HIDDEN TESTS

# %% [markdown] id="rk4-background"
# ## Exercise 2 — integrate with Runge–Kutta (2 points)
#
# The classical fourth-order Runge–Kutta step for $x' = f(x)$ with step $h$:
#
# $$k_1 = f(x), \quad k_2 = f(x + \tfrac h2 k_1), \quad k_3 = f(x + \tfrac h2 k_2), \quad k_4 = f(x + h k_3), \qquad x \leftarrow x + \tfrac h6 (k_1 + 2k_2 + 2k_3 + k_4).$$
#
# Divergent tokens may blow up in finite time, so the integrator must stop touching a model once it has escaped. A row (one model) is **escaped** when one of its entries is not finite (±inf or NaN) or its largest $|x_\ell|$ exceeds `cap` (strictly); an escaped row is **frozen**: it keeps its value for the rest of the trajectory.
#
# **Implement** `integrate(f, x0, t_end, h, cap=1e6)`: `f` maps a `(P, L)` state to its `(P, L)` velocity, row by row (the rows are independent models). Return the trajectory, shape `(steps + 1, P, L)`, dtype of `x0`, with `x0` first; leave `x0` unchanged.
#
# - **steps:** `steps = round(t_end / h)`, Python's `round` of the float quotient (`0.7 / 0.1 = 6.999…` gives 7 steps, `1.0 / 0.3` gives 3; an exact tie goes to the even number, as `round` does: `0.625 / 0.25 = 2.5` gives 2 steps, `0.5 / 1.0` gives 0), each of size exactly `h`: the last time is `steps * h`, not always `t_end`; `steps = 0` returns `x0` alone.
# - **after each step:** entries that came out non-finite (an overflow: ±inf or NaN) are stored as `+inf`; then every escaped row is frozen.
# - **at the start:** rows of `x0` that are already escaped (past `cap`, or with ±inf or NaN) are frozen from the start: every later step repeats them exactly, NaN included.
# - **calling `f`:** always on the whole `(P, L)` state, with every frozen row replaced by zeros first, so `f` never sees a frozen row's ±inf or NaN (one test's `f` raises on any non-finite input).
#
# *Hint:* keep a boolean `frozen` of shape `(P,)`; `torch.where(frozen[:, None], x, x_new)`.

# %% id="rk4-answer" nbgrader={"grade": false, "grade_id": "rk4-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def integrate(f, x0: torch.Tensor, t_end: float, h: float, cap: float = 1e6) -> torch.Tensor:
    """RK4 for x' = f(x) on a batch of rows; rows whose max |x| exceeds `cap` are frozen. Returns (steps + 1, P, L)."""
    ### BEGIN SOLUTION
    steps = round(t_end / h)
    x = x0.clone()
    frozen = ~torch.isfinite(x).all(-1) | (x.abs().amax(-1) > cap)
    out = [x]
    for _ in range(steps):
        z = torch.where(frozen[:, None], torch.zeros_like(x), x)
        k1 = f(z)
        k2 = f(z + h / 2 * k1)
        k3 = f(z + h / 2 * k2)
        k4 = f(z + h * k3)
        new = z + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        new = torch.where(torch.isfinite(new), new, torch.full_like(new, math.inf))
        x = torch.where(frozen[:, None], x, new)
        frozen = frozen | ~torch.isfinite(x).all(-1) | (x.abs().amax(-1) > cap)
        out.append(x)
    return torch.stack(out)
    ### END SOLUTION


# %% id="rk4-tests" nbgrader={"grade": true, "grade_id": "rk4-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
traj = integrate(lambda x: -x, torch.tensor([[1.0, 2.0]]), t_end=1.0, h=0.1)
assert traj.shape == (11, 1, 2), f"expected (steps + 1, P, L) = (11, 1, 2), got {tuple(traj.shape)}"
assert torch.allclose(traj[0], torch.tensor([[1.0, 2.0]])), "the trajectory starts with x0"
assert torch.allclose(traj[-1], math.exp(-1) * torch.tensor([[1.0, 2.0]]), atol=1e-6), f"x' = -x: x(1) = x0 / e, got {traj[-1].tolist()}"
traj = integrate(lambda x: -x, torch.tensor([[1.0]]), t_end=0.7, h=0.1)
assert traj.shape == (8, 1, 1), f"0.7 / 0.1 = 6.999... rounds to 7 steps (use round, not int): expected (8, 1, 1), got {tuple(traj.shape)}"
traj = integrate(lambda x: -x, torch.tensor([[1.0]]), t_end=0.625, h=0.25)
assert traj.shape == (3, 1, 1), f"0.625 / 0.25 = 2.5 exactly: round gives 2 steps (half to even), expected (3, 1, 1), got {tuple(traj.shape)}"
traj = integrate(lambda x: -x, torch.tensor([[1.0], [5.0]]), t_end=0.3, h=0.1, cap=2.0)
assert traj[-1, 1, 0] == 5.0, f"a row of x0 already past cap is frozen from the start, got {traj[:, 1, 0].tolist()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_unchanged, assert_values


def _rk4_rows(f_row, x0, t_end, h, cap):  # independent: one row at a time, with its own escape bookkeeping
    steps = round(t_end / h)
    traj = x0[None].repeat(steps + 1, 1, 1)
    for p in range(x0.shape[0]):
        x = x0[p].clone()
        for n in range(1, steps + 1):
            if torch.isfinite(x).all() and not x.abs().max() > cap:
                k1 = f_row(p, x)
                k2 = f_row(p, x + 0.5 * h * k1)
                k3 = f_row(p, x + 0.5 * h * k2)
                k4 = f_row(p, x + h * k3)
                x = x + (k1 + 2 * k2 + 2 * k3 + k4) * (h / 6)
                x = torch.nan_to_num(x, nan=math.inf, posinf=math.inf, neginf=math.inf)
            traj[n, p] = x
    return traj


# a linear system x' = x M^T: one RK4 step is exactly x -> x R^T with R = I + hM + (hM)^2/2 + (hM)^3/6 + (hM)^4/24
g = torch.Generator().manual_seed(43)
M = torch.randn(3, 3, generator=g, dtype=torch.float64) - 1.2 * torch.eye(3, dtype=torch.float64)
x0 = torch.randn(4, 3, generator=g, dtype=torch.float64)
for t_end, h, steps in [(0.7, 0.1, 7), (2.1, 0.3, 7), (1.0, 0.3, 3), (2.0, 0.25, 8), (0.04, 0.1, 0), (0.3, 0.3, 1),
                        (0.625, 0.25, 2), (1.125, 0.25, 4), (0.5, 1.0, 0), (0.875, 0.25, 4), (2.5, 1.0, 2)]:  # exact ties: round half to even
    traj = assert_unchanged(integrate, lambda x: x @ M.T, x0, t_end, h)
    hM = h * M
    R = torch.eye(3, dtype=torch.float64) + hM + hM @ hM / 2 + hM @ hM @ hM / 6 + hM @ hM @ hM @ hM / 24
    expected = [x0]
    for _ in range(steps):
        expected.append(expected[-1] @ R.T)
    assert_values(traj, torch.stack(expected), what=f"the RK4 trajectory of a linear system, t_end={t_end}, h={h} ({steps} steps of exactly h)")
# x' = -x^3 with rows of each sign and a zero row, several step sizes; closed form x0 / sqrt(1 + 2 x0^2 t)
x0 = torch.tensor([[0.5, -0.3], [-1.2, 2.0], [0.0, 0.7]], dtype=torch.float64)
for t_end, h in [(2.0, 0.2), (2.0, 0.1), (0.7, 0.1), (1.0, 0.3)]:
    traj = integrate(lambda x: -x ** 3, x0, t_end, h)
    assert_values(traj, _rk4_rows(lambda p, x: -x ** 3, x0, t_end, h, 1e6), what=f"RK4 for x' = -x^3, t_end={t_end}, h={h}")
x_small = torch.tensor([[0.5], [-0.3]], dtype=torch.float64)  # where h = 0.2 and 0.1 are in RK4's asymptotic regime
e1 = (integrate(lambda x: -x ** 3, x_small, 2.0, 0.2)[-1] - x_small / torch.sqrt(1 + 4 * x_small ** 2)).abs().max().item()
e2 = (integrate(lambda x: -x ** 3, x_small, 2.0, 0.1)[-1] - x_small / torch.sqrt(1 + 4 * x_small ** 2)).abs().max().item()
assert e1 < 1e-5 and 10 < e1 / e2 < 25, f"not fourth order: errors {e1:.2e} (h=0.2), {e2:.2e} (h=0.1), ratio {e1 / e2:.1f} (expected ~16)"
# float32 in, float32 out
traj32 = integrate(lambda x: -x ** 3, x0.float(), 1.0, 0.1)
assert traj32.dtype == torch.float32, f"keep the dtype of x0, got {traj32.dtype}"
assert_values(traj32, _rk4_rows(lambda p, x: -x ** 3, x0.float(), 1.0, 0.1, 1e6), what="float32 trajectory")
# blow-up: x' = c x^2 explodes at t = 1 / (c x0); rows escape at different steps, or never; x0 rows of each sign
c = torch.tensor([[1.0], [0.0], [2.0], [-1.0], [0.5]], dtype=torch.float64)
x0 = torch.tensor([[1.0], [1.0], [0.8], [-1.5], [1.0]], dtype=torch.float64)
for cap, h in [(1e4, 0.01), (10.0, 0.05), (1e6, 0.02)]:
    traj = assert_unchanged(integrate, lambda x: c * x ** 2, x0, 2.0, h, cap)
    assert not torch.isnan(traj).any(), "frozen rows must not produce nan"
    assert_values(traj, _rk4_rows(lambda p, x: c[p] * x ** 2, x0, 2.0, h, cap), rtol=1e-8,
                  what=f"blow-up with cap={cap}, h={h} (freeze a row right after the step that takes it past cap)")
assert traj[-1, 1, 0] == 1.0 and 1e6 < traj[-1, 0, 0] < math.inf, "x' = 0 stays put; x' = x^2 escapes and is frozen"
# x0 rows already escaped (past cap, +inf, -inf, NaN) are repeated exactly; a row exactly at cap is not escaped
x0 = torch.tensor([[0.5, -0.5], [3.0, 0.1], [math.inf, 0.0], [0.2, -math.inf], [math.nan, 0.3], [-2.0, 1.0]], dtype=torch.float64)
traj = assert_unchanged(integrate, lambda x: -x, x0, 0.5, 0.1, 2.0)
assert traj.shape == (6, 6, 2), f"expected (6, 6, 2), got {tuple(traj.shape)}"
for row in (1, 2, 3, 4):
    assert_values(traj[:, row], x0[row].expand(6, 2), equal_nan=True, what=f"escaped row {x0[row].tolist()} of x0 (frozen from the start)")
assert_values(traj[:, [0, 5]], _rk4_rows(lambda p, x: -x, x0[[0, 5]], 0.5, 0.1, 2.0), what="rows of x0 within cap (|x| = cap is not past it)")
# f never sees a frozen row's inf or NaN: frozen rows are replaced by zeros before f is called
def _finite_only(f):
    def checked(x):
        if not torch.isfinite(x).all():
            raise AssertionError("integrate passed a frozen row's inf/NaN to f: replace frozen rows by zeros before calling f")
        return f(x)
    return checked
traj = assert_unchanged(integrate, _finite_only(lambda x: -x), x0, 0.5, 0.1, 2.0)
for row in (1, 2, 3, 4):
    assert_values(traj[:, row], x0[row].expand(6, 2), equal_nan=True, what=f"escaped row {x0[row].tolist()} of x0, with an f that refuses inf/NaN")
assert_values(traj[:, [0, 5]], _rk4_rows(lambda p, x: -x, x0[[0, 5]], 0.5, 0.1, 2.0), what="live rows next to frozen inf/NaN rows")
c = torch.tensor([[1.0], [0.0], [3.0]], dtype=torch.float64)
x_blow = torch.tensor([[1.0], [2.0], [math.nan]], dtype=torch.float64)
traj = integrate(_finite_only(lambda x: c * x ** 2), x_blow, 1.5, 0.01, 1e3)  # row 0 escapes past cap (finite), row 2 is NaN
assert_values(traj, _rk4_rows(lambda p, x: c[p] * x ** 2, x_blow, 1.5, 0.01, 1e3), rtol=1e-8, equal_nan=True,
              what="blow-up past cap next to a NaN row, with an f that refuses inf/NaN")
# an overflow inside a step (inf - inf in the stages) is stored as +inf, never nan; -inf too becomes +inf
traj = integrate(lambda x: x ** 4 - 0.5 * x ** 4, torch.tensor([[1.0, 0.5]], dtype=torch.float64), 3.0, 0.25, cap=math.inf)
assert not torch.isnan(traj).any() and torch.isinf(traj[-1]).any(), "store non-finite values as inf"
traj = integrate(lambda x: -(x ** 4), torch.tensor([[-1e80, 1.0]], dtype=torch.float64), 0.2, 0.1, cap=math.inf)
assert_values(traj[1:, 0, 0], torch.full((2,), math.inf, dtype=torch.float64), what="an overflow to -inf (stored as +inf)")
assert traj[-1, 0, 1] == traj[1, 0, 1], "a row with an inf entry is frozen, all of it"
### END HIDDEN TESTS

# %% [markdown] id="classify-background"
# ## Exercise 3 — read the verdict off a trajectory (2 points)
#
# **Implement** `classify(traj)` for a trajectory of shape `(steps + 1, P, L)`: with $m_0$ and $m_T$ the largest $|x_\ell|$ of each model at the first and last time, return a list of `P` strings: `"diverge"` if $m_T > 2 m_0$ (this includes frozen, escaped rows, where $m_T$ may be `inf`), `"converge"` if $m_T < m_0 / 2$, else `"undecided"`. The inequalities are strict and exact on the values of `traj` (the tests probe one float step either side of $2 m_0$ and $m_0 / 2$: exactly $m_T = 2 m_0$ is `"undecided"`); a NaN in a model's first or last state makes it `"undecided"`. Leave `traj` unchanged.

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
from fractions import Fraction

from utils.testing import assert_unchanged


def _verdicts(traj):  # exact: Python's max over |x| as Fractions, NaN first
    out = []
    for p in range(traj.shape[1]):
        first, last = traj[0, p].tolist(), traj[-1, p].tolist()
        if any(math.isnan(v) for v in first + last):
            out.append("undecided")
            continue
        big = lambda row: math.inf if any(math.isinf(v) for v in row) else max(Fraction(abs(v)) for v in row)
        s, e = big(first), big(last)
        out.append("diverge" if e > 2 * s else "converge" if e < s / 2 else "undecided")
    return out


g = torch.Generator().manual_seed(41)
for _ in range(5):
    traj = torch.randn(7, 20, 4, generator=g, dtype=torch.float64) * torch.exp(torch.randn(1, 20, 1, generator=g, dtype=torch.float64) * torch.linspace(0, 1.5, 7)[:, None, None])
    assert assert_unchanged(classify, traj) == _verdicts(traj), "uses the largest |x| at the first and the last time"
# right at the boundaries, one float step either side, in float64 and float32
for dtype in (torch.float64, torch.float32):
    rows = []
    for m0 in (0.7, 1.1, 0.37, 3.3, 1e-3):
        m = torch.tensor(m0, dtype=dtype)
        for target in (2 * m, m / 2):
            for end in (torch.nextafter(target, torch.tensor(math.inf, dtype=dtype)), target,
                        torch.nextafter(target, torch.tensor(-math.inf, dtype=dtype))):
                rows.append(([-m.item(), 0.25 * m.item()], [0.0, -end.item()]))
    traj = torch.tensor([[r[0] for r in rows], [r[1] for r in rows]], dtype=dtype)
    got, expected = assert_unchanged(classify, traj), _verdicts(traj)
    wrong = [i for i in range(len(rows)) if got[i] != expected[i]]
    assert not wrong, (f"{dtype}: at the boundary m_T = 2 m_0 or m_0 / 2 (or one float step away), expected {expected[wrong[0]]!r}, "
                       f"got {got[wrong[0]]!r} for m_0 = {traj[0, wrong[0]].abs().max().item()!r}, m_T = {traj[1, wrong[0]].abs().max().item()!r} "
                       "(strict inequalities, exactly on the values)")
# escaped (inf), NaN, zeros, one time only, negative entries, ties
cases = [([[1.0]], [[math.inf]], "diverge"), ([[-4.0, 1.0]], [[1.9, 0.0]], "converge"), ([[1.0]], [[2.0]], "undecided"),
         ([[1.0]], [[0.5]], "undecided"), ([[0.0, 0.0]], [[0.0, 0.0]], "undecided"), ([[0.0]], [[1e-300]], "diverge"),
         ([[1.0, math.nan]], [[5.0, 5.0]], "undecided"), ([[1.0, 1.0]], [[math.nan, 0.0]], "undecided"),
         ([[-3.0, 3.0]], [[-7.0, 7.0]], "diverge"), ([[math.inf]], [[math.inf]], "undecided")]
for first, last, verdict in cases:
    traj = torch.tensor([first, last], dtype=torch.float64)
    assert classify(traj) == [verdict], f"m_0 from {first[0]}, m_T from {last[0]}: expected {verdict!r}, got {classify(traj)}"
assert classify(torch.tensor([[[1.0, -2.0], [0.5, 0.5]]], dtype=torch.float64)) == ["undecided", "undecided"], "one time only: m_T = m_0"
### END HIDDEN TESTS

# %% [markdown] id="blowup-statement"
# ## Exercise 4 — when does a lone token blow up? (derive; 2 points)
#
# No code in the hint this time: derive the answer on paper first. Take a single token ($L = 1$) and $s_\Delta = 0$, so that $\Delta = \mathrm{softplus}(b) =: \delta > 0$ is a constant.
# (a) Specialise the vector field of Exercise 1 to this case (the sum has one term and its decay factor is $e^0 = 1$). (b) Solve the ODE for $x(t)$ with $x(0) = x_0$. (c) Read off the time $t^*$ at which $|x(t)|$ becomes infinite.
#
# **Implement** `blowup_time(x0, mu, delta)`: `x0`, `mu` ($= S_C^\top S_B$) and `delta` ($> 0$) of shape `(P,)`, all of one real dtype, one model per entry; return a new tensor of shape `(P,)` in that dtype holding $t^*$ for each model, and `+inf` where the solution stays finite for all $t \ge 0$. Leave the inputs unchanged. The tests compare with exact rational arithmetic (relative $10^{-9}$ in float64, $10^{-5}$ in float32), integrate the ODE numerically to $\tfrac34 t^*$, and include both signs of `x0` and `mu`, zeros of each, and ties.
#
# *Hint:* the ODE for $1/x^2$ is simpler than the one for $x$.

# %% id="blowup-answer" nbgrader={"grade": false, "grade_id": "blowup-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def blowup_time(x0: torch.Tensor, mu: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """Blow-up time of one token under dx/dt = mu * delta * x^3, or +inf where it never blows up: (P,)."""
    ### BEGIN SOLUTION
    # d(1/x^2)/dt = -2 mu delta: 1/x^2 falls linearly from 1/x0^2 and reaches 0 at t* = 1 / (2 mu delta x0^2)
    rate = 2 * mu * delta * x0 ** 2
    return torch.where(rate > 0, 1 / rate, torch.full_like(rate, math.inf))
    ### END SOLUTION


# %% id="blowup-tests" nbgrader={"grade": true, "grade_id": "blowup-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
t_star = blowup_time(torch.tensor([1.0, 2.0, 1.0]), torch.tensor([0.5, 0.5, -0.5]), torch.tensor([1.0, 1.0, 1.0]))
assert t_star.shape == (3,) and t_star.dtype == torch.float64, f"expected shape (3,) in the dtype of x0 (float64), got {tuple(t_star.shape)} {t_star.dtype}"
assert abs(t_star[0].item() - 1.0) < 1e-12, f"x0 = 1, mu = 1/2, delta = 1 blows up at t* = 1, got {t_star[0].item()}"
assert abs(t_star[1].item() - 0.25) < 1e-12, f"doubling x0 makes the blow-up four times earlier: expected 0.25, got {t_star[1].item()}"
assert t_star[2].item() == math.inf, f"mu < 0: the token shrinks and never blows up (+inf), got {t_star[2].item()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
import fractions

from utils.testing import assert_unchanged, assert_values


def _exact(x0, mu, delta):  # exact rationals: d(1/x^2)/dt = -2 mu delta, so t* = 1 / (2 mu delta x0^2) when mu > 0 and x0 != 0
    out = []
    for x, m, d in zip(x0.tolist(), mu.tolist(), delta.tolist()):
        fx, fm, fd = fractions.Fraction(x), fractions.Fraction(m), fractions.Fraction(d)
        out.append(float(1 / (2 * fm * fd * fx * fx)) if fm > 0 and fx != 0 else math.inf)
    return torch.tensor(out, dtype=x0.dtype)


def _rk4_lone(x, m, d, t_end, steps=2000):  # independent: integrate dx/dt = m d x^3 numerically, Python floats
    f = lambda v: m * d * v ** 3
    h = t_end / steps
    for _ in range(steps):
        k1 = f(x)
        k2 = f(x + h / 2 * k1)
        k3 = f(x + h / 2 * k2)
        k4 = f(x + h * k3)
        x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return x


g = torch.Generator().manual_seed(47)
for P in (1, 5, 40):
    x0 = torch.randn(P, generator=g, dtype=torch.float64) * 2
    mu = torch.randn(P, generator=g, dtype=torch.float64)
    delta = torch.rand(P, generator=g, dtype=torch.float64) * 3 + 0.01
    if P > 1:
        x0[1], mu[1] = -x0[0], mu[0]  # a tie in |x0|, opposite signs: the same t*
    t_star = assert_unchanged(blowup_time, x0, mu, delta)
    assert_values(t_star, _exact(x0, mu, delta), what=f"blow-up times for P={P} random models (float64)")
    x32, mu32, d32 = x0.float(), mu.float(), delta.float()
    assert_values(assert_unchanged(blowup_time, x32, mu32, d32), _exact(x32, mu32, d32), rtol=1e-5, atol=0.0,
                  what=f"blow-up times for P={P} random models (float32)")
# the edge cases: mu = 0 (of either sign), x0 = 0 (of either sign) with mu of each sign, a negative x0, very fast and very slow
x0 = torch.tensor([1.0, 1.0, 0.0, -0.0, 0.0, -0.7, 3.0, 1e-3, 1.5], dtype=torch.float64)
mu = torch.tensor([0.0, -0.0, 1.0, 2.0, -1.0, 0.8, 5.0, 0.5, -1e-9], dtype=torch.float64)
delta = torch.tensor([1.0, 0.5, 1.0, 1.0, 1.0, 0.3, 10.0, 0.2, 2.0], dtype=torch.float64)
t_star = assert_unchanged(blowup_time, x0, mu, delta)
assert not torch.isnan(t_star).any() and (t_star > 0).all(), f"t* must be positive or +inf (never NaN, 0, negative or -inf), got {t_star.tolist()}"
assert_values(t_star, _exact(x0, mu, delta), what="edge cases: mu = 0, x0 = 0 (+inf), negative x0, fast and slow blow-ups")
# numerically: at 3/4 of the predicted t*, the solution x0 / sqrt(1 - t / t*) has doubled
x0 = torch.tensor([0.9, -1.3, 0.4], dtype=torch.float64)
mu, delta = torch.tensor([0.7, 0.2, 1.5], dtype=torch.float64), torch.tensor([0.5, 2.0, 0.8], dtype=torch.float64)
t_star = blowup_time(x0, mu, delta)
x_late = torch.tensor([_rk4_lone(x, m, d, 0.75 * t) for x, m, d, t in zip(x0.tolist(), mu.tolist(), delta.tolist(), t_star.tolist())], dtype=torch.float64)
assert_values(x_late, 2 * x0, rtol=1e-6, atol=0.0, what="x(3 t*/4) from integrating dx/dt = mu delta x^3 (should be 2 x0)")
### END HIDDEN TESTS

# %% [markdown] id="blowup-check-intro"
# **Predict, then check.** Three lone tokens ($s_\Delta = b = 0$, so $\delta = \ln 2$) with $(x_0, \mu) = (1, \tfrac12)$, $(-\tfrac12, 1)$ and $(1, -1)$. Before running the cell, write down your $t^*$ for each; the cell integrates your vector field with your RK4 ($h = 0.005$, escape at $|x| > 10^6$) and prints when each token actually escaped. For the convergent token it compares $x(4)$ with your solution of (b): it shrinks like $1/\sqrt t$, the rate Vo et al. prove for the convergent regime.

# %% id="blowup-check"
lone_x0 = torch.tensor([[1.0], [-0.5], [1.0]])
lone_params = (torch.ones(3, 1), torch.tensor([[0.5], [1.0], [-1.0]]), torch.ones(3), torch.zeros(3), torch.zeros(3))
lone_mu, lone_delta = (lone_params[0] * lone_params[1]).sum(-1), F.softplus(lone_params[4])
LONE_H = 0.005
lone_traj = integrate(lambda x: token_velocity(x, *lone_params), lone_x0, t_end=4.0, h=LONE_H)
lone_pred = blowup_time(lone_x0[:, 0], lone_mu, lone_delta)
for p in range(3):
    escaped = (lone_traj[:, p, 0].abs() > 1e6).nonzero()
    seen = f"escaped at t = {LONE_H * int(escaped[0]):.3f}" if len(escaped) else f"finite at t = 4: x = {lone_traj[-1, p, 0].item():+.4f}"
    print(f"x0 = {lone_x0[p, 0].item():+.1f}, mu = {lone_mu[p].item():+.1f}: predicted t* = {lone_pred[p].item():.3f}; {seen}")
print(f"convergent token: x(4) = {lone_traj[-1, 2, 0].item():.5f} vs x0 / sqrt(1 + 2 |mu| delta x0^2 t) = {1 / math.sqrt(1 + 2 * math.log(2) * 4.0):.5f}")

# %% [markdown] id="regimes-intro"
# ## Experiment 1 — the two regimes
#
# Two models with the same parameters except the sign of $S_C$ (so $\mu$ flips), $L = 8$ tokens, $N = 4$. We plot $|x_\ell(t)|$ on a log scale.
#
# **Where the paper says it.** Vo et al. illustrate these token trajectories with figures of their own; the closest we could check is their Figure 6, the same picture in two dimensions (all tokens diverge when $S_C^\top S_B$ has a positive eigenvalue, all converge when both are negative; checked against a summary of the paper, not its text). This experiment is the one-dimensional version of that picture.

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
# **Where the paper says it.** Reproduces, in miniature, the one-dimensional theorems of Vo et al. (their section on the one-dimensional case, summarised in their Table 1, as we read it): either all tokens converge to zero or all diverge, and $\mu = S_C^\top S_B$ decides which. Their theorems also give the rates (convergence like $O(1/\sqrt t)$, slow or finite-time divergence); here we check only the dichotomy and the criterion, on random models.
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
# Answer each question in the cell below it, in a few sentences. These answers are graded by hand (1 point each).
#
# 1. The argument for "all tokens move together" used only $C_\ell^\top B_j = \mu\, x_\ell x_j$. Which part of that breaks when tokens have $d > 1$ features, and what replaces the sign of $\mu$? (The paper's two-dimensional experiments look at the signs of the eigenvalues of $S_C^\top S_B$.)

# %% [markdown] id="reflect-dimension" nbgrader={"grade": true, "grade_id": "reflect-dimension", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** With $x_\ell \in \mathbb{R}^d$, $B_j = S_B x_j$ and $C_\ell = S_C x_\ell$ give $C_\ell^\top B_j = x_\ell^\top M x_j$ with the $d \times d$ matrix $M = S_C^\top S_B$: a bilinear form in two *different* vectors, not a product $\mu\, x_\ell x_j$. Its sign depends on the directions of the tokens, so the one-dimensional step $\frac{d}{dt} x_\ell^2 = 2\mu\, x_\ell^2 W_\ell$ has no analogue: $\frac{d}{dt}\lVert x_\ell\rVert^2$ picks up cross terms $x_\ell^\top M x_j$ whose signs vary from pair to pair, so there is no longer one sign shared by all tokens. The one number $\mu$ is replaced by the spectrum of $M$, the signs of its eigenvalues: in the paper's two-dimensional experiments (as we read them) all tokens diverge when $M$ has a positive eigenvalue (one is enough) and all converge when both eigenvalues are negative.
#
# **Rubric (1 point).** 0.5: the factorisation $C_\ell^\top B_j = \mu x_\ell x_j$ fails because $x_\ell^\top M x_j$ is a bilinear form whose sign depends on the tokens' directions. 0.5: the sign of $\mu$ is replaced by the signs of the eigenvalues (definiteness) of $S_C^\top S_B$. "Use the sign of each entry of $S_C^\top S_B$" earns 0 for the second half.
# ### END SOLUTION

# %% [markdown] id="reflect-collapse-question"
# 2. In the convergent regime every token tends to zero, whatever the input. Why would that hurt a trained model, and how would you keep training out of it?

# %% [markdown] id="reflect-collapse" nbgrader={"grade": true, "grade_id": "reflect-collapse", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** If every token goes to zero whatever the input, the representation after many layers carries less and less information about the sequence: different inputs are mapped close to the same point, the output head sees nearly nothing to tell them apart, and the gradients that reach early layers through these shrinking states get small too. (In the criterion experiment all 155 models with $\mu < 0$ ended with their largest token under $0.19$ of its start.) Vo et al. observe that this regime hurts performance and propose excluding it: constrain the parameters so that $\mu = S_C^\top S_B > 0$ (in $d$ dimensions, keep $S_C^\top S_B$ away from negative definite), for instance by parameterising one projection from the other or by a penalty on $-\mu$.
#
# **Rubric (1 point).** 0.5: the harm (information about the input is lost: tokens collapse to the same point, representations and gradients vanish). 0.5: a concrete way to exclude the regime (a constraint, parameterisation or penalty that keeps $\mu > 0$ or $S_C^\top S_B$ positive definite). "Use a larger learning rate" or "train longer" earns 0 for the second half.
# ### END SOLUTION

# %% [markdown] id="reflect-norm-question"
# 3. Real Mamba layers include normalisation. What does a pre-norm LayerNorm, $x \leftarrow x + \varepsilon\, \mathrm{S6}(\mathrm{LN}(x))$, do to the divergent regime? (Exercise 4's blow-up is the extreme case.)

# %% [markdown] id="reflect-norm" nbgrader={"grade": true, "grade_id": "reflect-norm", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** The layer's input is then normalised: $\mathrm{LN}(x)$ has a fixed scale (zero mean and unit variance across the features of each token, times the learned gain), so the velocity $\mathrm{S6}(\mathrm{LN}(x))$ stays bounded however large $x$ grows. The residual stream can still grow, but at most linearly in depth, $\lVert x(t)\rVert \le \lVert x(0)\rVert + c\,t$: the cubic self-reinforcement $\dot x = \mu\delta x^3$ behind Exercise 4's finite-time blow-up is gone, and the dynamics is about directions rather than magnitudes. (In the one-feature model of this notebook LayerNorm would even be degenerate: a single feature minus its mean is 0, so the output would be the bias alone.)
#
# **Rubric (1 point).** 0.5: LayerNorm removes the dependence of the velocity on the token's magnitude (bounded input to S6). 0.5: consequence for divergence: no finite-time blow-up, growth at most linear in depth, or the dynamics move to the sphere of directions. "LayerNorm makes all tokens converge" earns 0.
# ### END SOLUTION

# %% [markdown] id="further-reading"
# **Further reading:** Vo et al. (2024): the one-dimensional theorems (convergence rate, slow and fast divergence) and the two refinements they motivate (excluding the convergent regime, reordering tokens by importance); B. Geshkovski et al., *A mathematical perspective on Transformers* (2023), the analogous study of attention.
