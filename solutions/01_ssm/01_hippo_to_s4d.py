# %% [markdown] id="card"
# # From HiPPO to S4D: a sequence layer that is a linear ODE
#
# **Papers:** A. Gu, T. Dao, S. Ermon, A. Rudra, C. Ré, *HiPPO: Recurrent Memory with Optimal Polynomial Projections* (2020, arXiv:2008.07669); A. Gu, I. Johnson, A. Timalsina, A. Rudra, C. Ré, *How to Train Your HiPPO* (2022, arXiv:2206.12037); A. Gu, A. Gupta, K. Goel, C. Ré, *On the Parameterization and Initialization of Diagonal State Space Models* (S4D, 2022, arXiv:2206.11893).
#
# **Learning objectives**
# - build the HiPPO-LegS matrices and watch a 32-number state remember a whole signal;
# - discretise a continuous SSM with zero-order hold and with the bilinear transform, and see what each does to the kernel;
# - compute the diagonal S4D kernel and apply it as a causal FFT convolution, and check it against the recurrence;
# - measure the speed of each as the sequence grows, including the pitfall of materialising the Vandermonde matrix.
#
# **Prerequisites:** linear algebra (matrix exponential, eigenvalues), complex numbers, the welcome lesson (loop vs convolution).
#
# **Read ahead:** `paperlab preview 01_ssm/01_hippo_to_s4d` writes this lesson's experiments, executed, to `build/preview/` (answers and hidden tests removed), so you can see every figure before you solve anything.
#
# **Time:** 60 min
#
# **Points:** 17 (six autograded exercises, 14 points; three written answers, 1 point each, graded by hand)
#
# **Claim:** a diagonal SSM is one layer with two faces — a convolution with kernel $K_\ell = 2\,\mathrm{Re}\sum_n C_n \frac{e^{\Delta A_n}-1}{A_n} e^{\Delta A_n \ell}$ for training and a recurrence for inference — and the two agree to floating-point rounding while the convolution is far faster on long sequences.

# %% id="parameters" tags=["parameters"]
SMOKE = False  # True: tiny sizes, runs in seconds
SEED = 0
N_HIPPO = 32  # HiPPO state size in the reconstruction demo
STREAM_STEPS = 1000  # samples of the streamed signal
MAX_LEN = 16384  # longest sequence in the timing experiment

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math

import torch
import torch.nn.functional as F

from utils.common import above, at_least, below, best_time, claim, progress, setup_lesson
from utils.plotting import label, show, subplots
from utils.ssm import legendre_basis

if SMOKE:
    N_HIPPO, STREAM_STEPS, MAX_LEN = min(N_HIPPO, 16), min(STREAM_STEPS, 200), min(MAX_LEN, 1024)
generator = setup_lesson(
    SEED, SMOKE,
    N_HIPPO=(N_HIPPO, at_least(4)),
    STREAM_STEPS=(STREAM_STEPS, at_least(50)),
    MAX_LEN=(MAX_LEN, at_least(256)),
)


# %% [markdown] id="ssm-background"
# ## A sequence layer as a linear ODE
#
# A state space model (SSM) maps an input signal $u(t)$ to an output $y(t)$ through a hidden state $x(t) \in \mathbb{R}^N$:
#
# $$x'(t) = A\,x(t) + B\,u(t), \qquad y(t) = C\,x(t) .$$
#
# Everything interesting is in $A$. A random $A$ forgets the past quickly or blows up. **HiPPO** asks: which $A$ makes $x(t)$ the best summary of the *whole history* $u(s), s \le t$? For the *scaled Legendre* measure (LegS), which weighs all of $[0, t]$ uniformly, $x_n(t)$ is the coefficient of $u$ on the $n$-th Legendre polynomial stretched over $[0, t]$, and those coefficients obey
#
# $$x'(t) = \frac{1}{t} A\, x(t) + \frac{1}{t} B\, u(t), \qquad
# A_{nk} = -\begin{cases} \sqrt{2n+1}\,\sqrt{2k+1} & n > k \\ n + 1 & n = k \\ 0 & n < k \end{cases}, \qquad B_n = \sqrt{2n+1},$$
#
# for $n, k = 0, \dots, N-1$. (S4 drops the $1/t$ and uses the same $A$ as a time-invariant system; *How to Train Your HiPPO* explains why that still works.)
#
# **Where $A$ and $B$ come from.** Expand the history on Legendre polynomials stretched to $[0, t]$, orthonormal for the uniform measure $ds/t$: $g_n(t, s) = \sqrt{2n+1}\,P_n(z)$ with $z = 2s/t - 1$, and
# $$x_n(t) = \frac1t \int_0^t u(s)\, g_n(t, s)\, ds .$$
# Differentiate in $t$ (Leibniz's rule) and collect three terms: the prefactor $1/t$ gives $-x_n/t$; the moving upper limit gives $u(t)\,g_n(t, t)/t = \sqrt{2n+1}\,u(t)/t$, because $P_n(1) = 1$; the stretching gives $\partial_t g_n = -\frac1t \sqrt{2n+1}\,(1+z)\,P_n'(z)$.
# Adding the Legendre identities $P_n' = \sum_{k<n,\ n-k \text{ odd}} (2k+1) P_k$ and $z P_n' = n P_n + \sum_{k<n,\ n-k \text{ even}} (2k+1) P_k$ gives $(1+z) P_n' = n P_n + \sum_{k<n} (2k+1) P_k$, and $\frac1t\int_0^t u\,P_k\,ds = x_k/\sqrt{2k+1}$, so the third term is $-\frac1t\big(n\,x_n + \sum_{k<n} \sqrt{2n+1}\sqrt{2k+1}\,x_k\big)$. In all,
# $$x_n'(t) = -\frac1t\Big((n+1)\,x_n + \sum_{k<n} \sqrt{2n+1}\,\sqrt{2k+1}\,x_k\Big) + \frac1t\,\sqrt{2n+1}\;u(t),$$
# which is $x' = \frac1t A x + \frac1t B u$ with exactly the $A$ (minus sign included) and $B$ above: Exercise 1 builds them, and the reconstruction further down is the same expansion read backwards, $u(s) \approx \sum_n x_n\, g_n(t, s)$.

# %% [markdown] id="ex1-statement"
# ## Exercise 1 — the HiPPO-LegS matrices (2 points)
#
# **Implement** `hippo_legs(N)` for an int `N >= 1`, returning `(A, B)`: `A` of shape `(N, N)` and `B` of shape `(N,)`, both `torch.float64` and computed in float64 throughout (a float32 step loses digits the tests see), following the formula above (note the minus sign in front of the whole case split: $A$ is lower triangular with diagonal $-1, -2, \dots, -N$, and zero above the diagonal).
#
# *Hint:* `r = torch.sqrt(2 * n + 1)` for `n = torch.arange(N)`; `torch.tril(M, diagonal=-1)` keeps the strictly lower part.

# %% id="hippo-answer" nbgrader={"grade": false, "grade_id": "hippo-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def hippo_legs(N: int) -> tuple[torch.Tensor, torch.Tensor]:
    """HiPPO-LegS state matrix A (N, N) and input vector B (N,), float64."""
    ### BEGIN SOLUTION
    n = torch.arange(N, dtype=torch.float64)
    r = torch.sqrt(2 * n + 1)
    A = -torch.tril(r[:, None] * r[None, :], diagonal=-1) - torch.diag(n + 1)
    return A, r.clone()
    ### END SOLUTION


# %% id="hippo-tests" nbgrader={"grade": true, "grade_id": "hippo-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
A3, B3 = hippo_legs(3)
assert A3.shape == (3, 3) and B3.shape == (3,), f"expected (3, 3) and (3,), got {tuple(A3.shape)} and {tuple(B3.shape)}"
assert A3.dtype == torch.float64 and B3.dtype == torch.float64, "use float64"
expected = torch.tensor([[-1.0, 0.0, 0.0], [-math.sqrt(3), -2.0, 0.0], [-math.sqrt(5), -math.sqrt(15), -3.0]], dtype=torch.float64)
assert torch.allclose(A3, expected), f"A for N=3 should be\n{expected}\ngot\n{A3}"
assert torch.allclose(B3, torch.sqrt(torch.tensor([1.0, 3.0, 5.0], dtype=torch.float64))), f"B_n = sqrt(2n+1), got {B3}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_values

# Independent construction (as in state-spaces/s4 src/models/hippo/hippo.py, measure 'legs'):
# A = -T M T^{-1} with M_nk = (2k+1) for n >= k minus n on the diagonal, T = diag(sqrt(2n+1)).
for N in (1, 2, 3, 7, 32, 65):
    A, B = hippo_legs(N)
    q = torch.arange(N, dtype=torch.float64)
    M = torch.where(q[:, None] >= q[None, :], (2 * q + 1)[None, :].expand(N, N), torch.zeros(N, N, dtype=torch.float64)) - torch.diag(q)
    T = torch.diag(torch.sqrt(2 * q + 1))
    assert_values(A, -(T @ M @ torch.linalg.inv(T)), what=f"A for N={N}")
    # and entry by entry from the formula, in Python floats
    exact = torch.tensor([[-math.sqrt((2 * n + 1) * (2 * k + 1)) if n > k else -(n + 1.0) if n == k else 0.0
                           for k in range(N)] for n in range(N)], dtype=torch.float64)
    assert_values(A, exact, what=f"A for N={N} (entries -sqrt((2n+1)(2k+1)) below, -(n+1) on the diagonal)")
    assert torch.equal(torch.triu(A, 1), torch.zeros(N, N, dtype=torch.float64)), f"A must be zero above the diagonal (N={N})"
    assert_values(B, torch.tensor([math.sqrt(2 * n + 1) for n in range(N)], dtype=torch.float64), what=f"B for N={N}")
### END HIDDEN TESTS

# %% [markdown] id="disc-background"
# ## From continuous to discrete time
#
# Data arrive as samples $u_0, u_1, \dots$ spaced by a step $\Delta$. A *discretisation* turns $(A, B)$ into $(\bar A, \bar B)$ with $x_k = \bar A x_{k-1} + \bar B u_k$.
#
# - **Zero-order hold (ZOH)** assumes $u$ is constant over each step and solves the ODE exactly:
#   $$\bar A = e^{\Delta A}, \qquad \bar B = A^{-1}\left(e^{\Delta A} - I\right) B .$$
# - **Bilinear** (Tustin, the trapezoid rule) is the approximation S4 used first:
#   $$\bar A = \left(I - \tfrac{\Delta}{2} A\right)^{-1}\left(I + \tfrac{\Delta}{2} A\right), \qquad \bar B = \left(I - \tfrac{\Delta}{2} A\right)^{-1} \Delta B .$$
#
# Both agree to second order in $\Delta$; they part ways when $\Delta\,|A|$ is large: ZOH maps a very negative eigenvalue to $\approx 0$ (forget at once), bilinear maps it to $\approx -1$ (an oscillating memory).
#
# ## Exercise 2 — ZOH and bilinear discretisation (3 points)
#
# **Implement** `discretize_zoh(A, B, dt)` and `discretize_bilinear(A, B, dt)` for a dense, invertible `A` of shape `(N, N)`, `B` of shape `(N,)` (same float dtype) and a Python float `dt > 0`; each returns new tensors `(A_bar, B_bar)` with the same shapes and dtype, computed in that dtype, and leaves `A` and `B` unchanged.
#
# *Hint:* `torch.linalg.matrix_exp`; prefer `torch.linalg.solve(M, X)` to `inv(M) @ X`.

# %% id="disc-answer" nbgrader={"grade": false, "grade_id": "disc-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def discretize_zoh(A: torch.Tensor, B: torch.Tensor, dt: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-order hold: A_bar = exp(dt A), B_bar = A^{-1} (exp(dt A) - I) B."""
    ### BEGIN SOLUTION
    I = torch.eye(A.shape[0], dtype=A.dtype)
    A_bar = torch.linalg.matrix_exp(dt * A)
    B_bar = torch.linalg.solve(A, (A_bar - I) @ B)
    return A_bar, B_bar
    ### END SOLUTION


def discretize_bilinear(A: torch.Tensor, B: torch.Tensor, dt: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Bilinear: A_bar = (I - dt/2 A)^{-1} (I + dt/2 A), B_bar = (I - dt/2 A)^{-1} dt B."""
    ### BEGIN SOLUTION
    I = torch.eye(A.shape[0], dtype=A.dtype)
    M = I - dt / 2 * A
    return torch.linalg.solve(M, I + dt / 2 * A), torch.linalg.solve(M, dt * B)
    ### END SOLUTION


# %% id="disc-tests" nbgrader={"grade": true, "grade_id": "disc-tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
a = torch.tensor([[-2.0]], dtype=torch.float64)
b = torch.tensor([1.0], dtype=torch.float64)
Az, Bz = discretize_zoh(a, b, 0.5)
assert Az.shape == (1, 1) and Bz.shape == (1,), f"shapes (N, N) and (N,), got {tuple(Az.shape)}, {tuple(Bz.shape)}"
assert abs(Az.item() - math.exp(-1.0)) < 1e-12, f"ZOH A_bar = exp(dt a) = exp(-1), got {Az.item()}"
assert abs(Bz.item() - (math.exp(-1.0) - 1) / -2.0) < 1e-12, f"ZOH B_bar = (exp(dt a) - 1) / a * b, got {Bz.item()}"
Ab, Bb = discretize_bilinear(a, b, 0.5)
assert abs(Ab.item() - (1 - 0.5) / (1 + 0.5)) < 1e-12, f"bilinear A_bar = (1 + dt a / 2) / (1 - dt a / 2) = 1/3, got {Ab.item()}"
assert abs(Bb.item() - 0.5 / 1.5) < 1e-12, f"bilinear B_bar = dt b / (1 - dt a / 2) = 1/3, got {Bb.item()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_unchanged, assert_values

g = torch.Generator().manual_seed(11)
for N, dt in [(1, 0.5), (2, 0.1), (5, 0.7), (8, 0.03), (6, 2.5)]:
    A = -torch.eye(N, dtype=torch.float64) + 0.4 * torch.randn(N, N, generator=g, dtype=torch.float64)
    B = torch.randn(N, generator=g, dtype=torch.float64)
    # ZOH, independently: Van Loan's block exponential exp(dt [[A, B], [0, 0]]) = [[A_bar, B_bar], [0, 1]]
    blk = torch.zeros(N + 1, N + 1, dtype=torch.float64)
    blk[:N, :N], blk[:N, N] = A, B
    E = torch.linalg.matrix_exp(dt * blk)
    Az, Bz = assert_unchanged(discretize_zoh, A, B, dt)
    assert_values(Az, E[:N, :N], what=f"ZOH A_bar (N={N}, dt={dt})")
    assert_values(Bz, E[:N, N], what=f"ZOH B_bar (N={N}, dt={dt})")
    # bilinear, independently: one trapezoid step of the ODE, x1 - x0 = dt/2 A (x0 + x1) + dt B u, solved for x1
    Ab, Bb = assert_unchanged(discretize_bilinear, A, B, dt)
    assert Ab.shape == (N, N) and Bb.shape == (N,) and Ab.dtype == Bb.dtype == torch.float64, (Ab.shape, Bb.shape, Ab.dtype)
    for x0, u in [(torch.randn(N, generator=g, dtype=torch.float64), 0.0), (torch.zeros(N, dtype=torch.float64), -1.3),
                  (torch.randn(N, generator=g, dtype=torch.float64), 0.8)]:
        x1 = Ab @ x0 + Bb * u
        residual = x1 - x0 - dt / 2 * (A @ x0 + A @ x1) - dt * B * u
        assert_values(residual, torch.zeros(N, dtype=torch.float64), rtol=0.0, atol=1e-12,
                      what=f"bilinear: the trapezoid residual x1 - x0 - dt/2 A (x0 + x1) - dt B u (N={N}, dt={dt}, u={u})")
# float32 in, float32 out
A32, B32 = -2 * torch.eye(3) + 0.1 * torch.randn(3, 3, generator=g), torch.randn(3, generator=g)
for fn in (discretize_zoh, discretize_bilinear):
    out = fn(A32, B32, 0.3)
    assert out[0].dtype == out[1].dtype == torch.float32, f"{fn.__name__}: keep the dtype of A and B, got {out[0].dtype}"
# the two agree for small steps and part ways for large ones
A, B = -torch.diag(torch.arange(1.0, 5.0, dtype=torch.float64)) - torch.tril(torch.ones(4, 4, dtype=torch.float64), -1), torch.ones(4, dtype=torch.float64)
assert_values(discretize_zoh(A, B, 1e-4)[0], discretize_bilinear(A, B, 1e-4)[0], rtol=0.0, atol=1e-8, what="ZOH and bilinear for a tiny step")
### END HIDDEN TESTS

# %% [markdown] id="stream-intro"
# ## HiPPO remembers: reconstruct a signal from its state, as it streams in
#
# LegS is time-varying ($A/t$), so we discretise step by step: at sample $k$ (time $t = k$), use the bilinear rule with step $1/k$. After $k$ samples, the signal seen so far is approximately
# $$u(s) \approx \sum_{n<N} x_n \, \sqrt{2n+1}\, P_n\!\left(2 s / t - 1\right), \qquad 0 \le s \le t,$$
# a Legendre series stretched over the whole history (`utils.ssm.legendre_basis` gives the orthonormal polynomials). The state has only $N$ numbers, yet it summarises all of the past at once.
#
# **Where the paper says it.** This is, in miniature, the online function approximation of HiPPO-LegS in Gu et al. (2020): the LegS dynamics are their Section 3 (Theorem 2), and reconstructing the signal from the state is the task their function-approximation experiments score (as we read it; the section and theorem numbers are from our reading of arXiv:2008.07669, not checked against the text here).

# %% id="stream"
def hippo_stream(signal: torch.Tensor, N: int) -> list[torch.Tensor]:
    """Run HiPPO-LegS (bilinear, step 1/k) over a 1-D signal; return the state after every sample."""
    A, B = hippo_legs(N)
    x, states = torch.zeros(N, dtype=torch.float64), []
    for k, u in enumerate(signal.tolist(), start=1):
        A_bar, B_bar = discretize_bilinear(A, B, 1.0 / k)
        x = A_bar @ x + B_bar * u
        states.append(x)
    return states

t_grid = torch.linspace(0, 1, STREAM_STEPS, dtype=torch.float64)
signal = torch.sin(12 * t_grid) * torch.exp(-t_grid) + 0.6 * (t_grid > 0.55) + 0.05 * torch.randn(STREAM_STEPS, generator=generator, dtype=torch.float64)
states = hippo_stream(signal, N_HIPPO)

fig, axes = subplots(ncols=3, width=4.2)
for ax, frac in zip(axes, (0.3, 0.6, 1.0)):
    k = int(frac * STREAM_STEPS)
    seen = torch.linspace(0, 1, k, dtype=torch.float64)
    recon = states[k - 1] @ legendre_basis(N_HIPPO, seen)
    ax.plot(t_grid[:k], signal[:k], lw=0.8, alpha=0.6, label="signal so far")
    ax.plot(t_grid[:k], recon, lw=1.8, label=f"from {N_HIPPO} state numbers")
    label(ax, f"after {k} samples", "time", "value")
show(fig)

recon_err = {}
for N in (4, 8, 16, 32, 64):
    if N <= 2 * N_HIPPO:
        x_final = hippo_stream(signal, N)[-1]
        recon_err[N] = (x_final @ legendre_basis(N, t_grid) - signal).abs().mean().item()
print("mean |reconstruction error| by state size:", {n: round(e, 4) for n, e in recon_err.items()})


# %% [markdown] id="kernel-background"
# ## The S4D kernel: diagonal $A$, one convolution
#
# Unroll the recurrence from $x_{-1} = 0$: $y_\ell = \sum_{j \le \ell} C \bar A^{j} \bar B\, u_{\ell - j}$, i.e. $y = K * u$ with kernel $K_j = C \bar A^j \bar B$. For a dense $A$ the powers are expensive. S4D makes $A$ **diagonal and complex**, $A = \mathrm{diag}(A_0, \dots, A_{N-1})$ with $\mathrm{Re}\,A_n < 0$, takes $B = 1$ (absorbed into $C$), keeps one of each conjugate pair (so the real state has size $2N$ and the output is twice the real part), and uses ZOH:
#
# $$K_\ell = 2\,\mathrm{Re} \sum_{n=0}^{N-1} C_n \,\frac{e^{\Delta A_n} - 1}{A_n}\, e^{\Delta A_n \ell}, \qquad \ell = 0, \dots, L-1 .$$
#
# The matrix $V_{n\ell} = e^{\Delta A_n \ell}$ is a *Vandermonde* matrix. A layer has $H$ independent channels, each with its own $\Delta$, $A$, $C$. Initialisations (notebook 2): **S4D-Lin** $A_n = -\tfrac12 + i\pi n$; **S4D-Inv** $A_n = -\tfrac12 + i\tfrac{2N}{\pi}\left(\tfrac{2N}{2n+1} - 1\right)$.
#
# ## Exercise 3 — the S4D kernel (3 points)
#
# **Implement** `s4d_kernel(A, C, dt, L)`: `A`, `C` complex of one dtype and shape `(H, N)` (with $\mathrm{Re}\,A < 0$), `dt` real positive of shape `(H,)`, an int `L >= 1`; return the real kernel `K` of shape `(H, L)`. Materialise the Vandermonde matrix `exp(dtA[..., None] * arange(L))` of shape `(H, N, L)`.
#
# - **dtype:** `K` has the real dtype of `A` (`complex64 → float32`, `complex128 → float64`), *whatever the dtype of `dt`*: a float64 `dt` with a complex64 `A` still gives a float32 kernel (cast `dt` to `A.real.dtype` first; PyTorch would otherwise promote everything to complex128).
# - **gradients:** a layer trains `A`, `C` and `dt` through this kernel, so gradients must flow to all three (stay in PyTorch: no NumPy, no `.detach()`); leave the inputs unchanged.
#
# *Hint:* `dtA = A * dt[:, None]`; `torch.einsum("hn,hnl->hl", ...)`; `.real`, and do not forget the factor 2.

# %% id="kernel-answer" nbgrader={"grade": false, "grade_id": "kernel-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def s4d_kernel(A: torch.Tensor, C: torch.Tensor, dt: torch.Tensor, L: int) -> torch.Tensor:
    """Diagonal SSM kernel K (H, L) = 2 Re sum_n C_n (exp(dt A_n) - 1) / A_n * exp(dt A_n l), ZOH."""
    ### BEGIN SOLUTION
    # as S4DKernel.forward in state-spaces/s4 models/s4/s4d.py (B = 1, conjugate pairs halved)
    dtA = A * dt.to(A.real.dtype)[:, None]
    vandermonde = torch.exp(dtA[:, :, None] * torch.arange(L, device=A.device))
    weights = C * (torch.exp(dtA) - 1.0) / A
    return 2 * torch.einsum("hn,hnl->hl", weights, vandermonde).real
    ### END SOLUTION


# %% id="kernel-tests" nbgrader={"grade": true, "grade_id": "kernel-tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
A1 = torch.tensor([[-0.5 + 0.0j]], dtype=torch.complex64)
C1 = torch.tensor([[1.0 + 0.0j]], dtype=torch.complex64)
K1 = s4d_kernel(A1, C1, torch.tensor([1.0]), 3)
assert K1.shape == (1, 3), f"expected shape (H, L) = (1, 3), got {tuple(K1.shape)}"
assert K1.dtype == torch.float32, f"a real float32 kernel from complex64 inputs, got {K1.dtype}"
b = (math.exp(-0.5) - 1) / -0.5  # (e^{dt A} - 1) / A
expected = [2 * b, 2 * b * math.exp(-0.5), 2 * b * math.exp(-1.0)]
assert torch.allclose(K1[0], torch.tensor(expected), atol=1e-6), f"for A=-0.5, C=1, dt=1 expected {expected}, got {K1[0].tolist()}"
K1_mixed = s4d_kernel(A1, C1, torch.tensor([1.0], dtype=torch.float64), 3)
assert K1_mixed.dtype == torch.float32, f"a float64 dt must not promote a complex64 A: expected float32, got {K1_mixed.dtype}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_grads_match, assert_unchanged, assert_values


def _kernel_loop(A, C, dt, L):  # independent: powers by repeated multiplication, Python complex numbers, one mode at a time
    A, C, dt = A.to(torch.complex128), C.to(torch.complex128), dt.to(torch.float64)
    H, N = A.shape
    K = torch.zeros(H, L, dtype=torch.float64)
    for h in range(H):
        for n in range(N):
            a_bar = complex(torch.exp(A[h, n] * dt[h]))
            w = complex(C[h, n]) * (a_bar - 1) / complex(A[h, n])
            for l in range(L):
                K[h, l] += 2 * w.real
                w *= a_bar
    return K


def _kernel_powers(A, C, dt, L):  # differentiable reference: a running product instead of the Vandermonde matrix
    a_bar = torch.exp(A * dt[:, None])
    w = C * (a_bar - 1) / A
    out = []
    for _ in range(L):
        out.append(2 * w.sum(-1).real)
        w = w * a_bar
    return torch.stack(out, dim=-1)


def _modes(H, N, g, scale=1.0):
    A = (-torch.rand(H, N, generator=g, dtype=torch.float64) * 2 - 0.05) + 1j * torch.randn(H, N, generator=g, dtype=torch.float64) * 3
    C = torch.randn(H, N, generator=g, dtype=torch.float64) + 1j * torch.randn(H, N, generator=g, dtype=torch.float64)
    return A, C, torch.rand(H, generator=g, dtype=torch.float64) * scale + 0.01


g = torch.Generator().manual_seed(5)
for H, N, L, scale in [(1, 1, 1, 1.0), (2, 3, 17, 0.5), (3, 4, 40, 0.05), (1, 6, 64, 1.5)]:
    A, C, dt = _modes(H, N, g, scale)
    # complex128 / float64: tight
    K = assert_unchanged(s4d_kernel, A, C, dt, L)
    assert_values(K, _kernel_loop(A, C, dt, L), what=f"the kernel for complex128 inputs, H={H}, N={N}, L={L}")
    # complex64 / float32: float32 kernel, float32 accuracy
    A32, C32, dt32 = A.to(torch.complex64), C.to(torch.complex64), dt.float()
    K32 = assert_unchanged(s4d_kernel, A32, C32, dt32, L)
    assert_values(K32, _kernel_loop(A32, C32, dt32, L).float(), rtol=1e-4, atol=1e-4,
                  what=f"the kernel for complex64 inputs, H={H}, N={N}, L={L}")
    # the dtype rule: a float64 dt does not promote a complex64 A
    K_mixed = s4d_kernel(A32, C32, dt, L)
    assert K_mixed.dtype == torch.float32, f"complex64 A with a float64 dt: K must be float32 (the real dtype of A), got {K_mixed.dtype}"
    assert_values(K_mixed, _kernel_loop(A32, C32, dt.float(), L).float(), rtol=1e-4, atol=1e-4, what="the kernel for a float64 dt")
    # gradients with respect to A, C and dt, against the running-product reference
    assert_grads_match(lambda a, c, d: s4d_kernel(a, c, d, L), lambda a, c, d: _kernel_powers(a, c, d, L), A, C, dt,
                       what=f"s4d_kernel (H={H}, N={N}, L={L})")
assert s4d_kernel(*_modes(2, 2, g), 5).dtype == torch.float64
### END HIDDEN TESTS

# %% [markdown] id="conv-background"
# ## Exercise 4 — causal convolution with the FFT (2 points)
#
# With $K$ as long as the sequence, a direct convolution costs $O(L^2)$. The FFT costs $O(L \log L)$, but it computes a **circular** convolution: the end of the sequence would wrap around into its beginning. Zero-padding both $u$ and $K$ to length $2L$ makes the circular convolution equal the linear one on its first $L$ outputs, which are exactly the causal outputs:
#
# $$y = \mathrm{irfft}\big(\mathrm{rfft}(u, 2L) \cdot \mathrm{rfft}(K, 2L),\ 2L\big)[\,:L\,] .$$
#
# **Implement** `causal_fft_conv(u, K)`: `u` real of shape `(B, H, L)`, `K` real of shape `(H, L)` (same dtype, `L >= 1`); returns a new `y` of shape `(B, H, L)` and the dtype of `u`, with $y_{b,h,\ell} = \sum_{j=0}^{\ell} K_{h,j}\, u_{b,h,\ell-j}$. This is how the layer trains, so gradients must flow to `u` and `K`; leave both unchanged.
# Use FFTs, padded to any length $\ge 2L - 1$ (the formula's $2L$, or the next power of two): the timing experiment below relies on the $O(L \log L)$ cost. The tests check the values (within $10^{-10}$ in float64), the dtype and the gradients, not the method.
#
# *Hint:* `torch.fft.rfft(x, n=2 * L)` pads for you; broadcasting `(B, H, F) * (H, F)` does the rest.

# %% id="conv-answer" nbgrader={"grade": false, "grade_id": "conv-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def causal_fft_conv(u: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Causal convolution y[b, h, l] = sum_{j <= l} K[h, j] u[b, h, l - j] via FFTs padded to 2L."""
    ### BEGIN SOLUTION
    L = u.shape[-1]
    u_f = torch.fft.rfft(u, n=2 * L)
    k_f = torch.fft.rfft(K, n=2 * L)
    return torch.fft.irfft(u_f * k_f, n=2 * L)[..., :L]
    ### END SOLUTION


# %% id="conv-tests" nbgrader={"grade": true, "grade_id": "conv-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
u1 = torch.tensor([[[1.0, 0.0, 0.0, 0.0]]])
K1 = torch.tensor([[3.0, 2.0, 1.0, 0.5]])
y1 = causal_fft_conv(u1, K1)
assert y1.shape == (1, 1, 4), f"expected shape (B, H, L) = (1, 1, 4), got {tuple(y1.shape)}"
assert torch.allclose(y1, K1[None], atol=1e-5), f"an impulse at l=0 returns the kernel, got {y1.flatten().tolist()}"
y2 = causal_fft_conv(torch.tensor([[[0.0, 0.0, 1.0, 1.0]]]), K1)
assert torch.allclose(y2.flatten(), torch.tensor([0.0, 0.0, 3.0, 5.0]), atol=1e-5), f"causal: nothing before the input arrives and no wrap-around, got {y2.flatten().tolist()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_grads_match, assert_unchanged, assert_values


def _direct_conv(u, K):  # independent: grouped conv1d over a left-padded input with the flipped kernel
    L = u.shape[-1]
    return F.conv1d(F.pad(u, (L - 1, 0)), K.flip(-1)[:, None, :], groups=K.shape[0])


g = torch.Generator().manual_seed(7)
for Bsz, H, L in [(1, 1, 1), (2, 3, 5), (3, 2, 33), (1, 4, 128), (2, 1, 2)]:
    u = torch.randn(Bsz, H, L, generator=g, dtype=torch.float64) * 3
    K = torch.randn(H, L, generator=g, dtype=torch.float64)
    y = assert_unchanged(causal_fft_conv, u, K)
    assert_values(y, _direct_conv(u, K), atol=1e-10, what=f"y for B={Bsz}, H={H}, L={L}")
    assert_grads_match(causal_fft_conv, _direct_conv, u, K, atol=1e-10, what=f"causal_fft_conv (B={Bsz}, H={H}, L={L})")
    y32 = causal_fft_conv(u.float(), K.float())
    assert_values(y32, _direct_conv(u, K).float(), rtol=1e-4, atol=1e-4, what=f"float32 y for B={Bsz}, H={H}, L={L}")
# a late impulse: nothing before it, the kernel after it, no wrap-around from the end
u = torch.zeros(1, 1, 8, dtype=torch.float64)
u[..., 5] = 1.0
K = torch.arange(1.0, 9.0, dtype=torch.float64)[None]
assert_values(causal_fft_conv(u, K), torch.tensor([[[0, 0, 0, 0, 0, 1, 2, 3.0]]], dtype=torch.float64), atol=1e-12,
              what="an impulse at l=5")
### END HIDDEN TESTS

# %% [markdown] id="rec-background"
# ## Exercise 5 — the same layer as a recurrence (2 points)
#
# At inference time a token arrives, and we want its output without recomputing anything: carry the complex state $x \in \mathbb{C}^{B \times H \times N}$ and update it, mode by mode (everything is diagonal):
#
# $$x_\ell = \bar A \odot x_{\ell-1} + \bar B \odot u_\ell, \qquad y_\ell = 2\,\mathrm{Re}\sum_n C_n x_{\ell,n}, \qquad \bar A = e^{\Delta A},\ \bar B = \frac{e^{\Delta A} - 1}{A},\ x_{-1} = 0 .$$
#
# **Implement** `s4d_recurrence(u, A, C, dt)`: `u` real `(B, H, L)`, `A`, `C` complex `(H, N)` of one dtype, `dt` `(H,)`; returns real `y` of shape `(B, H, L)` computed with a Python loop over $\ell$. It must match `causal_fft_conv(u, s4d_kernel(A, C, dt, L))`. As for the kernel, `y` has the real dtype of `A` whatever the dtypes of `u` and `dt` (cast them to `A.real.dtype`: float64 `u` with complex64 `A` gives float32 `y`); leave the inputs unchanged.
#
# *Hint:* the state has shape `(B, H, N)`; `u[:, :, l, None]` broadcasts over the modes; collect outputs in a list and `torch.stack(..., dim=-1)`.

# %% id="rec-answer" nbgrader={"grade": false, "grade_id": "rec-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def s4d_recurrence(u: torch.Tensor, A: torch.Tensor, C: torch.Tensor, dt: torch.Tensor) -> torch.Tensor:
    """Run the ZOH-discretised diagonal SSM step by step: u (B, H, L) -> y (B, H, L)."""
    ### BEGIN SOLUTION
    u, dt = u.to(A.real.dtype), dt.to(A.real.dtype)
    dtA = A * dt[:, None]
    A_bar = torch.exp(dtA)
    B_bar = (A_bar - 1.0) / A
    x = torch.zeros(u.shape[0], *A.shape, dtype=A.dtype)
    ys = []
    for l in range(u.shape[-1]):
        x = A_bar * x + B_bar * u[:, :, l, None]
        ys.append(2 * (C * x).sum(-1).real)
    return torch.stack(ys, dim=-1)
    ### END SOLUTION


# %% id="rec-tests" nbgrader={"grade": true, "grade_id": "rec-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
A1 = torch.tensor([[-0.5 + 0.0j]], dtype=torch.complex64)
C1 = torch.tensor([[1.0 + 0.0j]], dtype=torch.complex64)
y1 = s4d_recurrence(torch.tensor([[[1.0, 0.0, 0.0]]]), A1, C1, torch.tensor([1.0]))
assert y1.shape == (1, 1, 3), f"expected shape (B, H, L) = (1, 1, 3), got {tuple(y1.shape)}"
assert not y1.is_complex(), "return the real output 2 Re(C x)"
b = (math.exp(-0.5) - 1) / -0.5
expected = [2 * b, 2 * b * math.exp(-0.5), 2 * b * math.exp(-1.0)]
assert torch.allclose(y1.flatten(), torch.tensor(expected), atol=1e-6), f"impulse response should be {expected}, got {y1.flatten().tolist()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_unchanged, assert_values


def _direct(u, A, C, dt):  # independent: kernel by explicit powers, then the O(L^2) causal sum, complex128
    dtA = (A * dt[:, None]).to(torch.complex128)
    w = C.to(torch.complex128) * (torch.exp(dtA) - 1) / A.to(torch.complex128)
    L = u.shape[-1]
    K = torch.stack([2 * (w * torch.exp(dtA) ** l).sum(-1).real for l in range(L)], dim=-1)
    y = torch.zeros(u.shape, dtype=torch.float64)
    for l in range(L):
        y[..., l] = (K[:, : l + 1].flip(-1) * u[..., : l + 1].double()).sum(-1)
    return y


g = torch.Generator().manual_seed(9)
for Bsz, H, N, L in [(1, 1, 1, 1), (2, 3, 4, 12), (3, 2, 5, 30), (1, 1, 3, 2)]:
    A = (-torch.rand(H, N, generator=g, dtype=torch.float64) - 0.1) + 1j * torch.randn(H, N, generator=g, dtype=torch.float64) * 3
    C = torch.randn(H, N, generator=g, dtype=torch.float64) + 1j * torch.randn(H, N, generator=g, dtype=torch.float64)
    dt = torch.rand(H, generator=g, dtype=torch.float64) * 0.8 + 0.05
    u = torch.randn(Bsz, H, L, generator=g, dtype=torch.float64) * 2
    y = assert_unchanged(s4d_recurrence, u, A, C, dt)
    assert_values(y, _direct(u, A, C, dt), what=f"y for complex128 inputs, B={Bsz}, H={H}, N={N}, L={L}")
    A32, C32 = A.to(torch.complex64), C.to(torch.complex64)
    y32 = assert_unchanged(s4d_recurrence, u.float(), A32, C32, dt.float())
    assert_values(y32, _direct(u.float(), A32, C32, dt.float()).float(), rtol=1e-4, atol=1e-4,
                  what=f"y for complex64 inputs, B={Bsz}, H={H}, N={N}, L={L}")
    y_mixed = assert_unchanged(s4d_recurrence, u, A32, C32, dt)
    assert y_mixed.dtype == torch.float32, f"float64 u and dt with complex64 A: y must be float32 (the real dtype of A), got {y_mixed.dtype}"
    assert_values(y_mixed, _direct(u.float(), A32, C32, dt.float()).float(), rtol=1e-4, atol=1e-4, what="y for float64 u and dt")
### END HIDDEN TESTS

# %% [markdown] id="halflife-statement"
# ## Exercise 6 — how long does a mode remember? (derive, then predict; 2 points)
#
# This one has no code in its hint: derive the formula on paper first. In the kernel (and in the recurrence), mode $n$ of channel $h$ enters as $w_{hn}\, e^{\Delta_h A_{hn} \ell}$. Its **half-life** $\ell_{1/2} > 0$ is the number of steps (a real number, generally not an integer) after which the magnitude $|e^{\Delta_h A_{hn} \ell}|$ has fallen to half its value at $\ell = 0$.
#
# **Implement** `mode_half_life(A, dt)`: `A` complex of shape `(H, N)` with $\mathrm{Re}\,A < 0$ everywhere, `dt` real positive of shape `(H,)`; return a new real tensor of half-lives, shape `(H, N)`, in steps. As in Exercise 3, the result has the real dtype of `A` whatever the dtype of `dt` (cast `dt` to `A.real.dtype`), and the inputs stay unchanged. The tests compare with a numerical solution of $|e^{\Delta A \ell}| = \tfrac12$ found by bisection: within relative $10^{-9}$ for complex128 `A`, $10^{-3}$ for complex64, also for modes so fast that $e^{\Delta A}$ itself underflows to 0 in the dtype of `A` (e.g. $\Delta\,\mathrm{Re}\,A = -800$ in complex128): their half-life is tiny but not 0.
#
# *Hint:* what does $\mathrm{Im}\,A$ do to the magnitude? Write $|e^{z}|$ in terms of $z$.
#
# **Predict, then check.** Before you run Experiment 2, use your formula to predict the shortest and the longest half-life in its layer ($\mathrm{Re}\,A = -\tfrac12$, $\Delta$ between $10^{-3}$ and $10^{-1}$) and compare them with its sequence length, 1024. The cell after the experiment prints them.

# %% id="halflife-answer" nbgrader={"grade": false, "grade_id": "halflife-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def mode_half_life(A: torch.Tensor, dt: torch.Tensor) -> torch.Tensor:
    """Steps after which |exp(dt_h A_hn l)| falls to 1/2, for every mode: (H, N) real."""
    ### BEGIN SOLUTION
    # |e^{dt A l}| = e^{dt Re(A) l}: the imaginary part only rotates; solve e^{dt Re(A) l} = 1/2 for l
    decay_rate = -A.real * dt.to(A.real.dtype)[:, None]
    return math.log(2) / decay_rate
    ### END SOLUTION


# %% id="halflife-tests" nbgrader={"grade": true, "grade_id": "halflife-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
hl = mode_half_life(torch.tensor([[-0.5 + 0.0j, -0.5 + 40.0j, -2.0 + 1.0j]], dtype=torch.complex128), torch.tensor([math.log(2)], dtype=torch.float64))
assert hl.shape == (1, 3), f"expected shape (H, N) = (1, 3), got {tuple(hl.shape)}"
assert hl.dtype == torch.float64 and not hl.is_complex(), f"a real float64 tensor for complex128 A, got {hl.dtype}"
assert abs(hl[0, 0].item() - 2.0) < 1e-12, f"Re A = -1/2, dt = ln 2: |exp(dt A l)| = 2^(-l/2) halves at l = 2, got {hl[0, 0].item()}"
assert abs(hl[0, 1].item() - 2.0) < 1e-12, f"the imaginary part rotates without shrinking: A = -1/2 + 40i has the same half-life as -1/2, got {hl[0, 1].item()}"
assert abs(hl[0, 2].item() - 0.5) < 1e-12, f"Re A = -2, dt = ln 2: half-life 0.5 steps, got {hl[0, 2].item()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
import cmath

from utils.testing import assert_unchanged, assert_values


def _half_life_bisect(a, d):  # independent: bisection on the complex magnitude |exp(d a l)| = 1/2, Python complex numbers
    mag = lambda l: abs(cmath.exp(complex(a) * float(d) * l))
    lo, hi = 0.0, 1.0
    while mag(hi) > 0.5:
        lo, hi = hi, 2 * hi
    for _ in range(400):
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if mag(mid) > 0.5 else (lo, mid)
    return (lo + hi) / 2


def _reference(A, dt):
    H, N = A.shape
    return torch.tensor([[_half_life_bisect(A[h, n].item(), dt[h].item()) for n in range(N)] for h in range(H)], dtype=torch.float64)


g = torch.Generator().manual_seed(13)
for H, N in [(1, 1), (2, 3), (3, 8), (1, 16)]:
    re = -(torch.rand(H, N, generator=g, dtype=torch.float64) * 2 + 0.05)
    im = torch.randn(H, N, generator=g, dtype=torch.float64) * 30  # large imaginary parts, of either sign
    if N > 1:
        im[:, 0] = 0.0  # a real mode
        re[:, -1] = re[:, 0]  # a tie in Re A with a different Im A
    A = torch.complex(re, im)
    dt = torch.rand(H, generator=g, dtype=torch.float64) * 0.9 + 0.01
    hl = assert_unchanged(mode_half_life, A, dt)
    assert_values(hl, _reference(A, dt), what=f"half-lives for complex128 A, H={H}, N={N}")
    # complex64 A: float32 half-lives, also for a float64 dt
    A32, dt32 = A.to(torch.complex64), dt.float()
    ref32 = _reference(A32.to(torch.complex128), dt32.double()).float()
    assert_values(assert_unchanged(mode_half_life, A32, dt32), ref32, rtol=1e-3, atol=0.0, what=f"half-lives for complex64 A, H={H}, N={N}")
    hl_mixed = assert_unchanged(mode_half_life, A32, dt32.double())
    assert hl_mixed.dtype == torch.float32, f"complex64 A with a float64 dt: the half-lives must be float32 (the real dtype of A), got {hl_mixed.dtype}"
    assert_values(hl_mixed, ref32, rtol=1e-3, atol=0.0, what="half-lives for complex64 A and a float64 dt")
# the S4D-Lin modes of Experiment 2 (Re A = -1/2) at the extreme steps: ln 2 / (dt / 2)
A_lin_test = (-0.5 + 1j * math.pi * torch.arange(4, dtype=torch.float64)).repeat(2, 1)
dt_ends = torch.tensor([1e-3, 1e-1], dtype=torch.float64)
assert_values(mode_half_life(A_lin_test, dt_ends), _reference(A_lin_test, dt_ends), what="S4D-Lin half-lives at dt = 1e-3 and 1e-1")
# slow and fast modes in one channel: the half-life scales as 1 / (dt |Re A|)
A_range = torch.tensor([[-1e-3 + 2.0j, -1.0 + 0.0j, -50.0 - 7.0j]], dtype=torch.complex128)
dt_one = torch.tensor([0.2], dtype=torch.float64)
assert_values(mode_half_life(A_range, dt_one), _reference(A_range, dt_one), what="slow and fast modes (Re A = -1e-3, -1, -50)")
# very fast modes: exp(dt A) underflows to 0 in the dtype of A, the half-life does not
fast = mode_half_life(torch.tensor([[-800.0 + 3.0j, -1e4 + 0.0j]], dtype=torch.complex128), torch.tensor([1.0], dtype=torch.float64))
assert_values(fast, torch.tensor([[math.log(2) / 800, math.log(2) / 1e4]], dtype=torch.float64), what="very fast modes (exp(dt A) underflows)")
fast32 = mode_half_life(torch.tensor([[-200.0 + 1.0j]], dtype=torch.complex64), torch.tensor([1.0]))
assert_values(fast32, torch.tensor([[math.log(2) / 200]]), rtol=1e-6, atol=0.0, what="a very fast complex64 mode")
### END HIDDEN TESTS

# %% [markdown] id="disc-kernel-intro"
# ## Experiment 1 — what the discretisation does to the kernel
#
# For a dense $A$ the kernel is $K_\ell = C \bar A^\ell \bar B$. We take the HiPPO-LegS $A$ (as S4 does, time-invariant) with a fixed random $C$, and compare ZOH with bilinear at a small and a large step. For small $\Delta$ they are the same kernel; for large $\Delta$ ZOH decays monotonically where the bilinear rule rings, because it maps fast modes near $-1$.
#
# **Where the paper says it.** The S4D paper discusses both discretisations of the diagonal SSM (their section on parameterisation, as we read it). This experiment shows what separates the two for a large step; it does not reproduce a figure of the paper.

# %% id="disc-kernel"
def dense_kernel(A_bar: torch.Tensor, B_bar: torch.Tensor, C: torch.Tensor, L: int) -> torch.Tensor:
    """K_l = C A_bar^l B_bar for l < L, by repeated multiplication."""
    out, v = [], B_bar.clone()
    for _ in range(L):
        out.append(C @ v)
        v = A_bar @ v
    return torch.stack(out)

A_legs, B_legs = hippo_legs(16)
C_rand = torch.randn(16, generator=torch.Generator().manual_seed(SEED), dtype=torch.float64) / 4
fig, axes = subplots(ncols=2, width=5.0)
kernel_gap = {}
for ax, dt in zip(axes, (0.001, 0.5)):
    Kz = dense_kernel(*discretize_zoh(A_legs, B_legs, dt), C_rand, 60)
    Kb = dense_kernel(*discretize_bilinear(A_legs, B_legs, dt), C_rand, 60)
    kernel_gap[dt] = ((Kz - Kb).norm() / Kz.norm()).item()
    ax.plot(Kz, marker="o", ms=2.5, label="ZOH")
    ax.plot(Kb, marker="x", ms=2.5, label="bilinear")
    label(ax, f"LegS kernel, step dt={dt}", "lag l", "K_l")
show(fig)
print("relative kernel difference ZOH vs bilinear:", {dt: f"{g:.2e}" for dt, g in kernel_gap.items()})

# %% [markdown] id="agree-intro"
# ## Experiment 2 — convolution and recurrence agree
#
# One S4D layer: $H = 32$ channels, $N = 32$ complex modes with the S4D-Lin initialisation, steps $\Delta$ log-uniform in $[10^{-3}, 10^{-1}]$ (the defaults of the reference `S4DKernel`), random complex $C$, all in float32. The two algorithms must agree to float32 rounding.
#
# **Where the paper says it.** Reproduces, in miniature, Figure 1 of Gu, Gupta, Goel & Ré (2022): a diagonal SSM seen as a convolution whose kernel, $2\,\mathrm{Re}\sum_n C_n \frac{e^{\Delta A_n}-1}{A_n} e^{\Delta A_n \ell}$, takes two lines of code, next to the view of the layer as a collection of independent one-dimensional SSMs, i.e. the recurrence (checked against the figure's caption). The S4D-Lin initialisation is theirs too (their section on initialisation).

# %% id="agree"
H, N_MODES = 32, 32
A_lin = (-0.5 + 1j * math.pi * torch.arange(N_MODES)).to(torch.complex64).repeat(H, 1)
C_layer = torch.randn(H, N_MODES, generator=generator, dtype=torch.complex64) * 0.5 ** 0.5
dt_layer = torch.exp(torch.rand(H, generator=generator) * (math.log(0.1) - math.log(1e-3)) + math.log(1e-3))
u_test = torch.randn(2, H, 1024, generator=generator)
y_conv = causal_fft_conv(u_test, s4d_kernel(A_lin, C_layer, dt_layer, 1024))
y_rec = s4d_recurrence(u_test, A_lin, C_layer, dt_layer)
max_err = (y_conv - y_rec).abs().max().item()
rel_err = max_err / y_rec.abs().max().item()
print(f"max |conv - recurrence| = {max_err:.2e}  (relative to max |y|: {rel_err:.2e}; float32 eps = {torch.finfo(torch.float32).eps:.1e})")

# %% [markdown] id="memory-intro"
# **Check your prediction** (Exercise 6): the half-lives of this layer's modes, against its sequence length.

# %% id="memory"
layer_half_lives = mode_half_life(A_lin, dt_layer)
print(f"half-lives of the layer's {layer_half_lives.numel()} modes: {layer_half_lives.min().item():.1f} to {layer_half_lives.max().item():.0f} steps "
      f"(sequence length 1024; all modes of a channel share one half-life, since Re A = -1/2 for all of them)")


# %% [markdown] id="speed-intro"
# ## Experiment 3 — speed as $L$ grows, and the Vandermonde pitfall
#
# **Where the paper says it.** The S4D paper computes the kernel as a Vandermonde matrix–vector product and notes that it need not be materialised (its section on computing the kernel, as we read it); the timing below is our CPU version of that point, not a figure of the paper.
#
# The recurrence costs $L$ small Python steps. The convolution needs the kernel (once per parameter update in training) and then one FFT convolution. Materialising $e^{\Delta A_n \ell}$ for every $(h, n, \ell)$ means $H N L$ **complex exponentials**, which are slow on a CPU: that alone can cost more than the whole recurrence. The fix is to *factorise the powers*: write $\ell = a m + b$ with $m \approx \sqrt{L}$, so that
#
# $$K_{am+b} = 2\,\mathrm{Re}\sum_n \big(w_n\, e^{\Delta A_n m a}\big)\, e^{\Delta A_n b},$$
#
# a batched complex **matrix product** of an $(a \times N)$ by an $(N \times m)$ Vandermonde factor, with only $N(a + m) \approx 2N\sqrt{L}$ exponentials. (The GPU code of the reference repository fuses this instead; on a CPU, BLAS does the work.)

# %% id="factored"
def s4d_kernel_factored(A: torch.Tensor, C: torch.Tensor, dt: torch.Tensor, L: int) -> torch.Tensor:
    """The S4D kernel with the Vandermonde powers factorised: l = a*m + b, one batched matmul."""
    dtA = A * dt[:, None]
    m = max(1, math.isqrt(L - 1) + 1)
    n_blocks = -(-L // m)
    low = torch.exp(dtA[:, :, None] * torch.arange(m))  # (H, N, m): e^{dtA b}
    high = torch.exp(dtA[:, :, None] * (m * torch.arange(n_blocks)))  # (H, N, a): e^{dtA m a}
    w = C * (torch.exp(dtA) - 1.0) / A
    K = torch.bmm((w[:, :, None] * high).transpose(1, 2), low)  # (H, a, m)
    return 2 * K.reshape(A.shape[0], -1)[:, :L].real

factored_err = (s4d_kernel_factored(A_lin, C_layer, dt_layer, 1000) - s4d_kernel(A_lin, C_layer, dt_layer, 1000)).abs().max().item()
print(f"factorised vs materialised kernel: max difference {factored_err:.1e}")

# %% id="speed"
lengths = [n for n in (256, 1024, 4096, 16384) if n <= MAX_LEN]
timings = {"recurrence": [], "kernel: materialised Vandermonde": [], "kernel: factorised powers": [],
           "FFT conv (kernel cached)": [], "FFT conv + factorised kernel": []}
for L in progress(lengths, desc="timing"):
    u = torch.randn(2, H, L, generator=generator)
    K = s4d_kernel_factored(A_lin, C_layer, dt_layer, L)
    timings["recurrence"].append(best_time(lambda: s4d_recurrence(u, A_lin, C_layer, dt_layer), repeat=2) if L <= 4096 else float("nan"))
    timings["kernel: materialised Vandermonde"].append(best_time(lambda: s4d_kernel(A_lin, C_layer, dt_layer, L), repeat=2))
    timings["kernel: factorised powers"].append(best_time(lambda: s4d_kernel_factored(A_lin, C_layer, dt_layer, L), repeat=3))
    timings["FFT conv (kernel cached)"].append(best_time(lambda: causal_fft_conv(u, K), repeat=3))
    timings["FFT conv + factorised kernel"].append(best_time(lambda: causal_fft_conv(u, s4d_kernel_factored(A_lin, C_layer, dt_layer, L)), repeat=3))

fig, ax = subplots()
for name, ys in timings.items():
    ax.loglog(lengths, ys, marker="o", label=name)
label(ax, f"One S4D layer (B=2, H={H}, N={N_MODES}), one CPU thread", "sequence length L", "seconds per call")
show(fig)
short = ["recurrence", "Vandermonde K", "factorised K", "conv (cached K)", "conv + fact. K"]
print(f"{'L':>6} " + " ".join(f"{k:>16}" for k in short))
for i, L in enumerate(lengths):
    print(f"{L:>6} " + " ".join(f"{v[i] * 1e3:>13.2f} ms" for v in timings.values()))
L_cmp = max(n for n in lengths if n <= 4096)
i_cmp = lengths.index(L_cmp)
rec_s = timings["recurrence"][i_cmp]
speedup_conv = rec_s / timings["FFT conv + factorised kernel"][i_cmp]
speedup_cached = rec_s / timings["FFT conv (kernel cached)"][i_cmp]
vandermonde_vs_rec = timings["kernel: materialised Vandermonde"][i_cmp] / rec_s
factor_gain = timings["kernel: materialised Vandermonde"][i_cmp] / timings["kernel: factorised powers"][i_cmp]

# %% [markdown] id="claim-intro"
# ## Claim check
#
# The figures measured above, next to the claims. With `SMOKE=True` the sequences are too short to assert speed, so those lines only report. (Timings are single-threaded and inflated when other programs share the CPU; the ratios are what matter.)

# %% id="claim-check" tags=["claim-check"]
claim("conv = recurrence", paper="the convolution and the recurrence are the same layer",
      here=f"max abs error {max_err:.1e}, relative {rel_err:.1e} in float32 at L=1024", checks=[below(rel_err, 2e-5)])
claim("discretisations", paper="ZOH and bilinear agree for small steps and differ for large ones",
      here=f"relative kernel gap {kernel_gap[0.001]:.1e} at dt=0.001 vs {kernel_gap[0.5]:.1e} at dt=0.5",
      checks=[below(kernel_gap[0.001], 1e-2), above(kernel_gap[0.5], 0.5)])
claim("hippo memory", paper="the LegS state reconstructs the whole history; more state, less error",
      here=f"mean error {recon_err[min(recon_err)]:.3f} (N={min(recon_err)}) -> {recon_err[max(recon_err)]:.3f} (N={max(recon_err)})",
      checks=[below(recon_err[max(recon_err)], 0.5 * recon_err[min(recon_err)])])
claim("convolution is fast", paper="train with the convolution: parallel over the sequence",
      here=f"FFT conv incl. kernel {speedup_conv:.1f}x, with cached kernel {speedup_cached:.0f}x faster than the recurrence at L={L_cmp}",
      checks=[above(speedup_conv, 1.5)], smoke=SMOKE)  # 2.2x-8.6x over 5 seeds x 2 thread counts, under load
claim("Vandermonde pitfall", paper="materialising the complex Vandermonde matrix is slow on a CPU; factorise it",
      here=f"materialised kernel takes {vandermonde_vs_rec:.1f}x the recurrence's time; factorising is {factor_gain:.0f}x faster at L={L_cmp}",
      checks=[above(factor_gain, 5)], smoke=SMOKE)

# %% [markdown] id="reflect"
# ## Reflect
#
# Answer each question in the cell below it, in a few sentences. These answers are graded by hand (1 point each).
#
# 1. The FFT convolution needs the whole input sequence; the recurrence needs only the last state. When generating text token by token, which one would you use, and what would it cost per token?

# %% [markdown] id="reflect-generate" nbgrader={"grade": true, "grade_id": "reflect-generate", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** The recurrence. Each new token needs one update $x_\ell = \bar A \odot x_{\ell-1} + \bar B \odot u_\ell$ and one readout $2\,\mathrm{Re}\sum_n C_n x_{\ell,n}$: $O(HN)$ work and $O(HN)$ memory per token (here $32 \times 32$ complex numbers), the same at token 10 as at token 10,000. The convolution would have to recompute the output from the whole prefix for every new token: $O(L \log L)$ per token with the FFT (or $O(L)$ for a direct sum over the cached inputs), so generating $L$ tokens costs $O(L^2 \log L)$ instead of $O(L)$. The convolution is the tool for training, where the whole sequence is known in advance; Experiment 2 shows the two give the same outputs, so one can train with one and generate with the other.
#
# **Rubric (1 point).** 0.5: the recurrence, with a constant cost per token ($O(HN)$, independent of the position). 0.5: why not the convolution (it needs the whole prefix each time, so its per-token cost grows with the position). "The convolution, because it is faster" (true only for a whole known sequence) earns 0.
# ### END SOLUTION

# %% [markdown] id="reflect-zoh-question"
# 2. ZOH maps an eigenvalue $\lambda$ to $e^{\Delta\lambda}$, bilinear to $\frac{1 + \Delta\lambda/2}{1 - \Delta\lambda/2}$. What happens to each as $\Delta\lambda \to -\infty$, and which behaviour would you want for a mode that should forget fast? Point to what Experiment 1 showed.

# %% [markdown] id="reflect-zoh" nbgrader={"grade": true, "grade_id": "reflect-zoh", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** ZOH: $e^{\Delta\lambda} \to 0$, so a very fast mode forgets its state within one step, as the continuous system does. Bilinear: $\frac{1 + \Delta\lambda/2}{1 - \Delta\lambda/2} \to -1$, so the mode keeps almost all of its magnitude and flips sign every step: instead of forgetting, it rings at the Nyquist frequency and decays slowly. For a mode that should forget fast ZOH is the right behaviour. Experiment 1 shows it: at $\Delta = 0.5$ the LegS eigenvalues $-1, \dots, -16$ give $\Delta\lambda$ down to $-8$, where bilinear maps to $(1-4)/(1+4) = -0.6$ while ZOH maps to $e^{-8} \approx 3 \cdot 10^{-4}$; the bilinear kernel oscillates from lag to lag and differs from the ZOH kernel by a relative 1.6, against $4 \cdot 10^{-4}$ at $\Delta = 0.001$.
#
# **Rubric (1 point).** 0.5: both limits right ($0$ and $-1$). 0.5: ZOH preferred for fast forgetting, because bilinear's $-1$ means an oscillating, barely decaying memory (a reference to the ringing kernel in Experiment 1 or to the kernel gap is expected for full marks). Saying bilinear "also goes to 0" earns 0 for the first half.
# ### END SOLUTION

# %% [markdown] id="reflect-factor-question"
# 3. The factorised kernel still does $H N L$ complex multiply-adds. Why is it nevertheless so much faster than the materialised version?

# %% [markdown] id="reflect-factor" nbgrader={"grade": true, "grade_id": "reflect-factor", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** The cost of the materialised version is not the multiply-adds but the $HNL$ complex exponentials (each a call to `exp`, `cos` and `sin`, tens of floating-point operations) and the $(H, N, L)$ complex tensor they fill, which is written to memory and read back (about 33 MB in complex64 for $H = N = 32$, $L = 4096$). Factorising $\ell = am + b$ needs only $HN(a + m) \approx 2HN\sqrt{L}$ exponentials, $L / (2\sqrt L) = 32$ times fewer at $L = 4096$, and the multiply-adds become one batched matrix product that BLAS runs at close to the machine's peak with good cache use. That is why the printed table shows the factorised kernel many times faster (24x to 34x at $L = 4096$ in our runs; the claim asserts at least 5x), and cheaper even than the recurrence.
#
# **Rubric (1 point).** 0.5: the exponentials, not the multiply-adds, dominate the materialised version (with their count, $HNL$ against about $2HN\sqrt L$). 0.5: the remaining work is a matrix product (BLAS, vectorised, cache-friendly) and no $(H, N, L)$ tensor is materialised. "Fewer operations" without saying which operations earns 0.
# ### END SOLUTION

# %% [markdown] id="further-reading"
# **Further reading:** A. Rush and S. Karamcheti, *The Annotated S4* (2022); A. Gu, *Efficiently Modeling Long Sequences with Structured State Spaces* (S4, arXiv:2111.00396); the reference `S4DKernel` in `state-spaces/s4`, `models/s4/s4d.py`.
