# %% [markdown] id="card"
# # Initialisation is critical: S4D-Lin, S4D-Inv and random diagonal SSMs
#
# **Papers:** A. Gu, A. Gupta, K. Goel, C. Ré, *On the Parameterization and Initialization of Diagonal State Space Models* (S4D, 2022, arXiv:2206.11893); A. Gu, I. Johnson, A. Timalsina, A. Rudra, C. Ré, *How to Train Your HiPPO* (2022, arXiv:2206.12037).
#
# **Learning objectives**
# - write the S4D-Lin and S4D-Inv initialisations, derive the period (in steps) each mode resolves, and see which frequencies each initialisation covers;
# - build a trainable S4D layer (log-parameterised $\Delta$ and $\mathrm{Re}\,A$, kernel, causal convolution, skip term);
# - train a small S4D classifier on sequential digits, and on their permuted variant, with three initialisations and report mean and spread over seeds;
# - relate the result to the spread of $\mathrm{Im}\,A$: frequency coverage is what the structured initialisations buy.
#
# **Prerequisites:** notebook 1 of this module (S4D kernel, FFT convolution).
#
# **Read ahead:** `paperlab preview 01_ssm/02_initialisation` writes this lesson's experiments, executed, to `build/preview/` (answers and hidden tests removed), so you can see every figure before you solve anything.
#
# **Time:** 45 min
#
# **Points:** 13 (four autograded exercises, 10 points; three written answers, 1 point each, graded by hand)
#
# **Claim:** with everything else equal, the structured initialisations S4D-Lin and S4D-Inv — whose imaginary parts spread over many frequencies — train clearly better than a random diagonal initialisation.

# %% id="parameters" tags=["parameters"]
SMOKE = False  # True: tiny sizes, runs in seconds
SEED = 0
EPOCHS = 8  # training epochs per run
N_SEEDS = 3  # runs per initialisation

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from utils.common import above, at_least, claim, progress, set_seed, setup_lesson, timer
from utils.plotting import label, show, subplots
from utils.ssm import SequenceClassifier, load_sequential_digits, train_classifier

if SMOKE:
    EPOCHS, N_SEEDS = min(EPOCHS, 1), min(N_SEEDS, 1)
generator = setup_lesson(SEED, SMOKE, EPOCHS=(EPOCHS, at_least(1)), N_SEEDS=(N_SEEDS, at_least(1)))
data = load_sequential_digits(seed=SEED)
if SMOKE:
    data = type(data)(data.x_train[:256], data.y_train[:256], data.x_test[:128], data.y_test[:128])
print(f"sequential digits: {len(data.x_train)} train / {len(data.x_test)} test sequences of length {data.length}; "
      f"SEED={SEED}, SMOKE={SMOKE}, EPOCHS={EPOCHS}, N_SEEDS={N_SEEDS}")


# %% [markdown] id="init-background"
# ## Where should the eigenvalues of $A$ start?
#
# A diagonal SSM channel is a sum of damped oscillators: mode $n$ contributes $e^{\Delta A_n \ell} = e^{\Delta\,\mathrm{Re}A_n\,\ell}\, e^{i \Delta\,\mathrm{Im}A_n\,\ell}$ to the kernel. $\mathrm{Re}\,A_n < 0$ sets how fast it forgets, $\mathrm{Im}\,A_n$ **which frequency it hears**. S4D fixes $\mathrm{Re}\,A_n = -\tfrac12$ and chooses the frequencies from HiPPO:
#
# - **S4D-Lin**: $A_n = -\tfrac12 + i\,\pi n$ — frequencies spaced evenly, like a Fourier basis;
# - **S4D-Inv**: $A_n = -\tfrac12 + i\,\frac{2N}{\pi}\left(\frac{2N}{2n+1} - 1\right)$ — an approximation of the eigenvalues of the (diagonal part of the) HiPPO-LegS matrix, with a few very high frequencies and many low ones;
# - **random** (the reference code's `rand` option): $A_n = -\tfrac12 + i\, e^{z_n}$, $z_n \sim \mathcal N(0, 1)$ — all frequencies of order 1.
#
# Here $n = 0, \dots, N-1$ counts the complex modes we keep (one of each conjugate pair, so the real state has size $2N$; the reference code calls that $2N$ its `N`). Formulas checked against `state-spaces/s4`, `src/models/sequence/kernels/dplr.py` (`init in ['linear', 'lin']`, `['inverse', 'inv']`, `['random', 'rand']`).
#
# ## Exercise 1 — S4D-Lin and S4D-Inv (3 points)
#
# **Implement** `s4d_lin(H, N)` and `s4d_inv(H, N)` for ints `H, N >= 1`: each returns `A` of shape `(H, N)`, dtype `torch.complex64`, the same row repeated for every channel, exact to float32 rounding (compute in float32 or float64, then store as complex64).
# The tests check: the real part is exactly $-\tfrac12$; $\mathrm{Im}\,A_n$ is within $4 \varepsilon\, |\mathrm{Im}\,A_n|$ (S4D-Lin) or $4 \varepsilon\, (|\mathrm{Im}\,A_n| + 2N/\pi)$ (S4D-Inv, whose $\frac{2N}{2n+1} - 1$ cancels) of the exact value, $\varepsilon = 2^{-23}$ — a few float32 roundings, but not a decimal $\pi$ such as `3.1416` (use `math.pi`).
#
# *Hint:* `n = torch.arange(N, dtype=torch.float32)`; build the imaginary part, then `torch.complex(real, imag)`; `.repeat(H, 1)`.

# %% id="init-answer" nbgrader={"grade": false, "grade_id": "init-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def s4d_lin(H: int, N: int) -> torch.Tensor:
    """S4D-Lin: A_n = -1/2 + i pi n, shape (H, N), complex64."""
    ### BEGIN SOLUTION
    n = torch.arange(N, dtype=torch.float32)
    return torch.complex(torch.full((N,), -0.5), math.pi * n).repeat(H, 1)
    ### END SOLUTION


def s4d_inv(H: int, N: int) -> torch.Tensor:
    """S4D-Inv: A_n = -1/2 + i (2N/pi) (2N/(2n+1) - 1), shape (H, N), complex64."""
    ### BEGIN SOLUTION
    n = torch.arange(N, dtype=torch.float32)
    imag = (2 * N / math.pi) * (2 * N / (2 * n + 1) - 1)
    return torch.complex(torch.full((N,), -0.5), imag).repeat(H, 1)
    ### END SOLUTION


# %% id="init-tests" nbgrader={"grade": true, "grade_id": "init-tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
lin = s4d_lin(2, 3)
assert lin.shape == (2, 3) and lin.dtype == torch.complex64, f"expected (2, 3) complex64, got {tuple(lin.shape)} {lin.dtype}"
assert torch.allclose(lin[0], torch.tensor([-0.5 + 0j, -0.5 + 1j * math.pi, -0.5 + 2j * math.pi], dtype=torch.complex64)), f"got {lin[0]}"
inv = s4d_inv(1, 2)
expected = torch.tensor([-0.5 + 1j * 12 / math.pi, -0.5 + 1j * 4 / (3 * math.pi)], dtype=torch.complex64)
assert inv.shape == (1, 2) and torch.allclose(inv[0], expected), f"for N=2 expected {expected}, got {inv[0]}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_values

_EPS32 = 2.0 ** -23  # float32 machine epsilon: the statement's tolerance is 4 of them
for H, N in [(1, 1), (1, 2), (3, 8), (2, 32), (4, 64), (1, 256)]:
    n_ref = 2 * N  # the reference's state size counts both members of each conjugate pair
    k = torch.arange(N, dtype=torch.float64)
    refs = {"s4d_lin": (math.pi * k, 0.0),  # dplr.py: imag_part = pi * arange(N // 2)
            "s4d_inv": (1 / math.pi * n_ref * (n_ref / (1 + 2 * k) - 1), n_ref / math.pi)}  # dplr.py: 1/pi * N * (N / (1 + 2 arange) - 1)
    for fn in (s4d_lin, s4d_inv):
        A = fn(H, N)
        imag, scale = refs[fn.__name__]
        assert isinstance(A, torch.Tensor) and A.dtype == torch.complex64 and A.shape == (H, N), (
            f"{fn.__name__}(H={H}, N={N}): expected a complex64 tensor of shape {(H, N)}, got {getattr(A, 'dtype', type(A))} "
            f"{tuple(getattr(A, 'shape', ()))}")
        assert_values(A.real, torch.full((H, N), -0.5), rtol=0.0, atol=0.0, what=f"Re A of {fn.__name__}(H={H}, N={N})")
        # a few float32 roundings of the exact (float64) value, no more: pi to 4 decimals is ~20 of them
        assert_values(A.imag.double(), imag.repeat(H, 1), rtol=4 * _EPS32, atol=4 * _EPS32 * scale,
                      what=f"Im A of {fn.__name__}(H={H}, N={N}) (use math.pi; tolerance 4 * 2^-23 relative)")
        assert all(torch.equal(A[h], A[0]) for h in range(H)), f"{fn.__name__}: every channel gets the same row"
### END HIDDEN TESTS

# %% [markdown] id="period-background"
# ## Exercise 2 — which period does each mode resolve? (derive, then predict; 2 points)
#
# No code in the hint this time: derive the formula on paper first. Sampled once per step, mode $n$ of channel $h$ enters the kernel as $e^{\Delta_h A_{hn} \ell}$: its magnitude decays (notebook 1's half-life) while its phase turns. Its **period** $T_{hn}$ is the number of steps the oscillation $e^{\Delta_h A_{hn} t}$ takes for its phase to make one full turn, the smallest real $T > 0$ with $e^{i\,\Delta_h \mathrm{Im}A_{hn}\, T} = 1$: a real number, not rounded to whole steps. It is positive whatever the sign of $\mathrm{Im}\,A$ (a mode and its conjugate share it), and `+inf` for a mode that does not oscillate ($\mathrm{Im}\,A = 0$, e.g. S4D-Lin's $n = 0$; $-0.0$ counts as 0).
#
# **Implement** `mode_period(A, dt)`: `A` complex of shape `(H, N)`, `dt` real positive of shape `(H,)` (the step of each channel); return a new real tensor of periods in steps, shape `(H, N)`. The result has the real dtype of `A` whatever the dtype of `dt` (a float64 `dt` with complex64 `A` gives float32 periods), and the inputs stay unchanged. The tests compare with a scalar reference within relative $10^{-9}$ for complex128 `A` and $10^{-5}$ for complex64, check that the phase makes exactly one turn in $T$ and half a turn in $T/2$, and include negative $\mathrm{Im}\,A$, $\mathrm{Im}\,A = \pm 0$, any $\mathrm{Re}\,A < 0$, $H \ne N$, $H = N$ and $H = N = 1$.
#
# *Hint:* by how many radians does the phase of $e^{\Delta A \ell}$ advance from step $\ell$ to step $\ell + 1$, and which part of $A$ sets it?
#
# **Predict, then check.** A kernel of length $L = 64$ can only use an oscillation whose period lies between 2 steps (one sample per step shows nothing faster) and 64 steps (anything slower never completes a cycle within the sequence): that is the band $[2\pi/64, \pi]$ radians per step of the frequency-coverage section below. Before you run the picture, predict with your formula, for $N = 32$ at the layer's largest step $\Delta = 0.1$: the periods of S4D-Inv's fastest mode ($n = 0$) and slowest mode ($n = 31$), and of a random mode with $z = 0$ ($\mathrm{Im}\,A = 1$). Which are in the band? Where is that random mode at the smallest step, $\Delta = 10^{-3}$? The picture cell prints all four.

# %% id="period-answer" nbgrader={"grade": false, "grade_id": "period-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def mode_period(A: torch.Tensor, dt: torch.Tensor) -> torch.Tensor:
    """Steps per full turn of the phase of exp(dt_h A_hn l), for every mode: (H, N) real, +inf where Im A = 0."""
    ### BEGIN SOLUTION
    # the phase of e^{dt A l} advances by dt Im(A) radians per step; a full turn, 2 pi, takes 2 pi / |dt Im A| steps
    turn_per_step = (A.imag * dt.to(A.real.dtype)[:, None]).abs()
    return 2 * math.pi / turn_per_step
    ### END SOLUTION


# %% id="period-tests" nbgrader={"grade": true, "grade_id": "period-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
T = mode_period(torch.tensor([[-0.5 + math.pi * 1j, -0.5 - math.pi * 1j, -0.5 + 0j, -2.0 + 0.25j]], dtype=torch.complex128), torch.tensor([1.0], dtype=torch.float64))
assert T.shape == (1, 4), f"expected shape (H, N) = (1, 4), got {tuple(T.shape)}"
assert T.dtype == torch.float64 and not T.is_complex(), f"a real float64 tensor for complex128 A, got {T.dtype}"
assert abs(T[0, 0].item() - 2.0) < 1e-12, f"Im A = pi, dt = 1: the phase turns by pi per step, a full turn in 2 steps; got {T[0, 0].item()}"
assert abs(T[0, 1].item() - 2.0) < 1e-12, f"Im A = -pi turns the other way, with the same period 2; got {T[0, 1].item()}"
assert T[0, 2].item() == math.inf, f"Im A = 0 does not oscillate: the period is +inf, got {T[0, 2].item()}"
assert abs(T[0, 3].item() - 8 * math.pi) < 1e-12, f"Im A = 0.25, dt = 1: 2 pi / 0.25 = 25.13 steps (Re A does not matter), got {T[0, 3].item()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
import cmath

from utils.testing import assert_fresh, assert_unchanged, assert_values


def _period_scalar(a, d):  # independent: one mode at a time, Python floats; +inf where Im A = 0
    turn = abs(float(d) * complex(a).imag)
    return math.inf if turn == 0.0 else 2 * math.pi / turn


def _reference(A, dt):
    H, N = A.shape
    return torch.tensor([[_period_scalar(A[h, n], dt[h]) for n in range(N)] for h in range(H)], dtype=torch.float64)


def _check_turns(T, A, dt, what):  # the definition itself: one full turn in T, half a turn (to -1) in T/2
    for h in range(A.shape[0]):
        for n in range(A.shape[1]):
            w, t = float(dt[h]) * complex(A[h, n]).imag, T[h, n].item()
            if w == 0.0:
                continue
            assert abs(cmath.exp(1j * w * t) - 1) < 1e-6 and abs(cmath.exp(0.5j * w * t) + 1) < 1e-6, (
                f"{what}: mode ({h}, {n}) with dt Im A = {w:.4g} rad/step: in T = {t:.6g} steps its phase does not make exactly one turn")


g = torch.Generator().manual_seed(21)
for H, N in [(1, 1), (3, 5), (4, 4), (2, 7)]:
    re = -torch.exp(torch.randn(H, N, generator=g, dtype=torch.float64))  # any Re A < 0
    im = torch.randn(H, N, generator=g, dtype=torch.float64) * torch.exp(torch.randn(H, N, generator=g, dtype=torch.float64) * 2)
    if H * N > 1:
        im[0, -1], im[-1, 0] = 0.0, -0.0  # modes that do not oscillate
    A = torch.complex(re, im)
    dt = torch.exp(torch.rand(H, generator=g, dtype=torch.float64) * math.log(1e3) - math.log(1e3))  # log-uniform in [1e-3, 1]
    T = assert_unchanged(mode_period, A, dt)
    assert_fresh(T, A, dt, what=f"mode_period (H={H}, N={N})")
    expected = _reference(A, dt)
    assert_values(T, expected, rtol=1e-9, atol=0.0, what=f"periods for complex128 A, H={H}, N={N}")
    _check_turns(T, A, dt, f"complex128, H={H}, N={N}")
    # complex64 A: float32 periods, whether dt is float32 or float64
    A32 = A.to(torch.complex64)
    for dt_any in (dt.float(), dt):
        T32 = assert_unchanged(mode_period, A32, dt_any)
        assert T32.dtype == torch.float32, f"complex64 A with {dt_any.dtype} dt: the periods must be float32, got {T32.dtype}"
        assert_values(T32, _reference(A32, dt.float()).float(), rtol=1e-5, atol=0.0,
                      what=f"periods for complex64 A and {dt_any.dtype} dt, H={H}, N={N}")
# the initialisations of Exercise 1, written out here (not through your s4d_lin / s4d_inv)
k = torch.arange(32, dtype=torch.float64)
for imag in (math.pi * k, 64 / math.pi * (64 / (2 * k + 1) - 1)):
    A = torch.complex(torch.full((2, 32), -0.5, dtype=torch.float64), imag.repeat(2, 1))
    dt = torch.tensor([1e-3, 1e-1], dtype=torch.float64)
    assert_values(mode_period(A, dt), _reference(A, dt), rtol=1e-9, atol=0.0, what="periods of S4D-Lin / S4D-Inv modes")
### END HIDDEN TESTS

# %% [markdown] id="init-picture-intro"
# ## Picture: which frequencies each initialisation starts with
#
# Below, each dot is one mode of a layer like the model's first one ($H = 32$ channels × $N = 32$ modes) **at initialisation**: $A$ from your `s4d_lin` and `s4d_inv` (and the random rule above), $\Delta_h$ drawn log-uniform in $[10^{-3}, 10^{-1}]$ as the layer does (from a generator of its own, so this draw is not the model's). Each panel is the complex plane of the discretised eigenvalues $\Delta A_n$, on log axes: horizontally the decay per step $-\mathrm{Re}(\Delta A) = \Delta/2$, vertically the frequency $\mathrm{Im}(\Delta A) = \Delta\,\mathrm{Im}A$ in radians per step. The shaded strip is the band $[2\pi/64, \pi]$ (periods of 2 to 64 steps); the legend gives the share of modes whose period, from your `mode_period`, lies in it. Look at how many dots of each panel sit in the strip, and at which steps $\Delta$.

# %% id="init-picture"
g_picture = torch.Generator().manual_seed(SEED)  # its own draws: the global RNG, and so every later cell, is untouched
H_pic = N_pic = 32
dt_pic = torch.exp(torch.rand(H_pic, generator=g_picture) * math.log(100) + math.log(1e-3))
A_pic = {"lin": s4d_lin(H_pic, N_pic), "inv": s4d_inv(H_pic, N_pic),
         "random": torch.complex(torch.full((H_pic, N_pic), -0.5), torch.exp(torch.randn(H_pic, N_pic, generator=g_picture)))}
fig, axes = subplots(ncols=3, width=4.6, sharey=True)
for ax, (init, A) in zip(axes, A_pic.items()):
    dtA = A * dt_pic[:, None]
    period = mode_period(A, dt_pic)
    in_band = (period >= 2) & (period <= 64)
    ax.axhspan(2 * math.pi / 64, math.pi, color="tab:green", alpha=0.15, label="band [2π/64, π]")
    for mask, colour, where in ((in_band, "tab:blue", "in the band"), (~in_band, "tab:grey", "outside")):
        shown = mask & (dtA.imag > 0)  # frequency 0 (S4D-Lin's n = 0) is off the log scale
        ax.scatter(-dtA.real[shown], dtA.imag[shown], s=5, c=colour, label=f"{where}: {mask.float().mean().item():.0%} of modes")
    ax.set_xscale("log")
    ax.set_yscale("log")
    label(ax, f"S4D-{init} at initialisation", "decay per step  −Re(ΔA) = Δ/2", "frequency  Im(ΔA) = Δ Im A (rad/step)")
show(fig)
inv_row = s4d_inv(1, 32)[0]
T_pred = mode_period(torch.stack([inv_row[0], inv_row[31], torch.tensor(-0.5 + 1j, dtype=torch.complex64)]).repeat(2, 1), torch.tensor([0.1, 1e-3]))
print(f"periods at Δ = 0.1: S4D-Inv n=0 {T_pred[0, 0]:.3f} steps, n=31 {T_pred[0, 1]:.0f} steps, random Im A = 1 {T_pred[0, 2]:.1f} steps; "
      f"at Δ = 0.001: random Im A = 1 {T_pred[1, 2]:.0f} steps")

# %% [markdown] id="init-picture-reading"
# **What the picture shows** (SEED = 0). S4D-Lin's modes form a ladder $\pi n \Delta$ that slides up with $\Delta$: near $\Delta = 10^{-3}$ only its top rungs reach the band, in the middle of the range most of the ladder is in it, and at the largest steps its upper rungs turn faster than $\pi$ per step (Reflect question 2 asks which rungs); 68% of all modes are in the band. S4D-Inv spreads every channel over more than three decades, $0.32\,\Delta$ to $1283\,\Delta$ radians per step: at $\Delta = 0.1$ its fastest mode has a period of 0.049 steps, far too fast to see, its slowest one of 194 steps, too slow, and the modes between cover the band, 51% in all. The random modes, $\mathrm{Im}\,A = e^{z}$ with $z$ of order 1, sit near $\Delta\,\mathrm{Im}A \approx \Delta$, below the band for most steps: the $z = 0$ mode has a period of 62.8 steps at $\Delta = 0.1$, just inside, but 6283 steps at $\Delta = 10^{-3}$; only 8% of the random modes start in the band. The coverage section below measures the same shares on the model's own first layer (another draw of $\Delta$): 64%, 53% and 5%.

# %% [markdown] id="layer-background"
# ## A trainable S4D layer
#
# Training needs unconstrained parameters. As in the reference `S4DKernel`, each of the $H$ channels stores $\log \Delta$ (so $\Delta > 0$), $\log(-\mathrm{Re}\,A)$ (so $\mathrm{Re}\,A < 0$: the layer stays stable whatever the optimiser does), $\mathrm{Im}\,A$ and complex $C$ (with $B = 1$ absorbed). The kernel is notebook 1's:
#
# $$\Delta = e^{\log\Delta}, \quad A = -e^{\log(-\mathrm{Re}A)} + i\,\mathrm{Im}A, \quad K_\ell = 2\,\mathrm{Re}\sum_n C_n \frac{e^{\Delta A_n}-1}{A_n} e^{\Delta A_n \ell} .$$
#
# ## Exercise 3 — the kernel from trainable parameters (3 points)
#
# **Implement** `s4d_layer_kernel(log_dt, log_A_real, A_imag, C, L)`: `log_dt` of shape `(H,)`, `log_A_real` and `A_imag` real of shape `(H, N)`, `C` complex of shape `(H, N)`, an int `L >= 1`; return the real kernel `(H, L)`.
#
# - **dtype:** `log_A_real` and `A_imag` have the real dtype of `C` (float32 with complex64, float64 with complex128), and so does the kernel, *whatever the dtype of `log_dt`*: a float64 `log_dt` with float32/complex64 parameters still gives a float32 kernel (cast $\Delta$ to that dtype).
# - **gradients:** the optimiser trains all four through this kernel, so gradients must flow to each of them, and they must be right (the tests compare them with a reference); leave the inputs unchanged.
#
# *Hint:* `torch.complex(-torch.exp(log_A_real), A_imag)`; then exactly the formula of notebook 1.

# %% id="kernel-answer" nbgrader={"grade": false, "grade_id": "kernel-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def s4d_layer_kernel(log_dt: torch.Tensor, log_A_real: torch.Tensor, A_imag: torch.Tensor, C: torch.Tensor, L: int) -> torch.Tensor:
    """S4D kernel (H, L) from log-parameterised dt and Re A, Im A and complex C (ZOH, B = 1)."""
    ### BEGIN SOLUTION
    dt = torch.exp(log_dt)
    A = torch.complex(-torch.exp(log_A_real), A_imag)
    dtA = A * dt.to(A_imag.dtype)[:, None]
    weights = C * (torch.exp(dtA) - 1.0) / A
    return 2 * torch.einsum("hn,hnl->hl", weights, torch.exp(dtA[:, :, None] * torch.arange(L))).real
    ### END SOLUTION


# %% id="kernel-tests" nbgrader={"grade": true, "grade_id": "kernel-tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
K = s4d_layer_kernel(torch.zeros(1), torch.log(torch.tensor([[0.5]])), torch.zeros(1, 1), torch.ones(1, 1, dtype=torch.complex64), 3)
assert K.shape == (1, 3) and not K.is_complex(), f"expected a real (H, L) = (1, 3) kernel, got {tuple(K.shape)} {K.dtype}"
b = (math.exp(-0.5) - 1) / -0.5
assert torch.allclose(K[0], torch.tensor([2 * b, 2 * b * math.exp(-0.5), 2 * b * math.exp(-1.0)]), atol=1e-6), f"got {K[0].tolist()}"
K_mixed = s4d_layer_kernel(torch.zeros(1, dtype=torch.float64), torch.log(torch.tensor([[0.5]])), torch.zeros(1, 1), torch.ones(1, 1, dtype=torch.complex64), 3)
assert K_mixed.dtype == torch.float32, f"a float64 log_dt must not promote the float32 kernel, got {K_mixed.dtype}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_grads_match, assert_unchanged, assert_values


def _loop(log_dt, log_A_real, A_imag, C, L):  # independent: complex scalars in Python, repeated multiplication, float64
    H, N = A_imag.shape
    K = torch.zeros(H, L, dtype=torch.float64)
    for h in range(H):
        dt = math.exp(log_dt[h].item())
        for n in range(N):
            a = complex(-math.exp(log_A_real[h, n].item()), A_imag[h, n].item())
            abar = complex(torch.exp(torch.tensor(a * dt, dtype=torch.complex128)))
            w = complex(C[h, n]) * (abar - 1) / a
            for l in range(L):
                K[h, l] += 2 * w.real
                w *= abar
    return K


def _powers(log_dt, log_A_real, A_imag, C, L):  # differentiable reference: A built as a sum, a running product for the powers
    A = -torch.exp(log_A_real) + 1j * A_imag
    abar = torch.exp(A * torch.exp(log_dt)[:, None])
    w = C * (abar - 1) / A
    out = []
    for _ in range(L):
        out.append(2 * w.real.sum(-1))
        w = w * abar
    return torch.stack(out, dim=-1)


g = torch.Generator().manual_seed(12)
for H, N, L in [(1, 1, 1), (2, 3, 10), (3, 4, 25), (1, 2, 2)]:
    log_dt = torch.rand(H, generator=g, dtype=torch.float64) * 3 - 4
    log_A_real = torch.randn(H, N, generator=g, dtype=torch.float64) * 0.5
    A_imag = torch.randn(H, N, generator=g, dtype=torch.float64) * 5
    C = torch.randn(H, N, generator=g, dtype=torch.complex128)
    # float64 / complex128: tight values and gradients for all four parameters
    K = assert_unchanged(s4d_layer_kernel, log_dt, log_A_real, A_imag, C, L)
    assert_values(K, _loop(log_dt, log_A_real, A_imag, C, L), what=f"the kernel for float64 parameters, H={H}, N={N}, L={L}")
    assert_grads_match(lambda *p: s4d_layer_kernel(*p, L), lambda *p: _powers(*p, L), log_dt, log_A_real, A_imag, C,
                       what=f"s4d_layer_kernel (H={H}, N={N}, L={L})")
    # float32 / complex64, as in the model: a float32 kernel
    p32 = (log_dt.float(), log_A_real.float(), A_imag.float(), C.to(torch.complex64))
    K32 = assert_unchanged(s4d_layer_kernel, *p32, L)
    assert_values(K32, _loop(*p32, L).float(), rtol=1e-4, atol=1e-4, what=f"the kernel for float32 parameters, H={H}, N={N}, L={L}")
    # the dtype rule: a float64 log_dt does not promote the kernel
    K_mixed = s4d_layer_kernel(log_dt, *p32[1:], L)
    assert K_mixed.dtype == torch.float32, f"float64 log_dt with complex64 C: the kernel must be float32, got {K_mixed.dtype}"
    assert_values(K_mixed, _loop(log_dt, *p32[1:], L).float(), rtol=1e-4, atol=1e-4, what="the kernel for a float64 log_dt")
### END HIDDEN TESTS

# %% [markdown] id="conv-background"
# ## Exercise 4 — the layer's output: convolution plus skip (2 points)
#
# The layer's output adds a skip term $D u$ (the SSM's "$D$" matrix, one scalar per channel) to the causal convolution:
#
# $$y_{b,h,\ell} = \sum_{j=0}^{\ell} K_{h,j}\, u_{b,h,\ell-j} + D_h\, u_{b,h,\ell} .$$
#
# **Implement** `ssm_conv(u, K, D)`: `u` of shape `(B, H, L)`, `K` of shape `(H, L)`, `D` of shape `(H,)`, all of one real dtype, `L >= 1`; return a new `y` of shape `(B, H, L)` and that dtype, with an FFT padded to $2L$ as in notebook 1. The model trains `K` (through its parameters), `D` and the layers below `u` through this output, so gradients must flow to all three; leave `u`, `K` and `D` unchanged (e.g. do not add `D` into `K[:, 0]` in place).

# %% id="conv-answer" nbgrader={"grade": false, "grade_id": "conv-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def ssm_conv(u: torch.Tensor, K: torch.Tensor, D: torch.Tensor) -> torch.Tensor:
    """Causal FFT convolution of u (B, H, L) with K (H, L), plus the skip term D (H,) * u."""
    ### BEGIN SOLUTION
    L = u.shape[-1]
    y = torch.fft.irfft(torch.fft.rfft(u, n=2 * L) * torch.fft.rfft(K, n=2 * L), n=2 * L)[..., :L]
    return y + D[:, None] * u
    ### END SOLUTION


# %% id="conv-tests" nbgrader={"grade": true, "grade_id": "conv-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
y = ssm_conv(torch.tensor([[[1.0, 0.0, 0.0]]]), torch.tensor([[3.0, 2.0, 1.0]]), torch.tensor([10.0]))
assert y.shape == (1, 1, 3), f"expected (B, H, L) = (1, 1, 3), got {tuple(y.shape)}"
assert torch.allclose(y.flatten(), torch.tensor([13.0, 2.0, 1.0]), atol=1e-5), f"impulse: K plus D at l=0, expected [13, 2, 1], got {y.flatten().tolist()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_grads_match, assert_unchanged, assert_values


def _direct(u, K, D):  # independent: grouped conv1d over a left-padded input with the flipped kernel, plus the skip
    L = u.shape[-1]
    return F.conv1d(F.pad(u, (L - 1, 0)), K.flip(-1)[:, None, :], groups=K.shape[0]) + D[:, None] * u


g = torch.Generator().manual_seed(13)
for Bsz, H, L in [(1, 1, 1), (2, 3, 7), (4, 2, 64), (1, 2, 2)]:
    u = torch.randn(Bsz, H, L, generator=g, dtype=torch.float64) * 3
    K = torch.randn(H, L, generator=g, dtype=torch.float64)
    D = torch.randn(H, generator=g, dtype=torch.float64)  # negative entries too
    y = assert_unchanged(ssm_conv, u, K, D)
    assert_values(y, _direct(u, K, D), atol=1e-10, what=f"y for B={Bsz}, H={H}, L={L}")
    assert_grads_match(ssm_conv, _direct, u, K, D, atol=1e-10, what=f"ssm_conv (B={Bsz}, H={H}, L={L})")
    y32 = assert_unchanged(ssm_conv, u.float(), K.float(), D.float())
    assert_values(y32, _direct(u, K, D).float(), rtol=1e-4, atol=1e-4, what=f"float32 y for B={Bsz}, H={H}, L={L}")
### END HIDDEN TESTS

# %% [markdown] id="model-intro"
# ## The model
#
# `S4DConv` wires your three functions into an `nn.Module` (no exercise here). The SSM parameters $\log\Delta$, $\log(-\mathrm{Re}A)$ and $\mathrm{Im}A$ are flagged `_ssm` so that the training loop gives them a smaller learning rate ($10^{-3}$) and no weight decay, as the reference does; $\Delta$ starts log-uniform in $[10^{-3}, 10^{-1}]$. `utils.ssm.SequenceClassifier` stacks two residual blocks (LayerNorm, S4D, GELU, a 1×1 convolution with GLU) of width 32 between a linear encoder and a mean-pooled linear decoder. Every run uses the same architecture, optimiser and data; only `init` changes.

# %% id="model"
class S4DConv(nn.Module):
    """A trainable S4D layer: (B, H, L) -> (B, H, L), with A initialised by `init` in {'lin', 'inv', 'random'}."""

    def __init__(self, H: int, N: int = 32, init: str = "lin", dt_min: float = 1e-3, dt_max: float = 1e-1):
        super().__init__()
        if init == "lin":
            A = s4d_lin(H, N)
        elif init == "inv":
            A = s4d_inv(H, N)
        elif init == "random":
            A = torch.complex(torch.full((H, N), -0.5), torch.exp(torch.randn(H, N)))
        else:
            raise ValueError(f"init must be 'lin', 'inv' or 'random', got {init!r}")
        self.log_dt = nn.Parameter(torch.rand(H) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min))
        self.log_A_real = nn.Parameter(torch.log(-A.real))
        self.A_imag = nn.Parameter(A.imag.clone())
        for p in (self.log_dt, self.log_A_real, self.A_imag):
            p._ssm = True
        self.C = nn.Parameter(torch.view_as_real(torch.randn(H, N, dtype=torch.complex64)))
        self.D = nn.Parameter(torch.randn(H))

    def kernel(self, L: int) -> torch.Tensor:
        """The current kernel, (H, L)."""
        return s4d_layer_kernel(self.log_dt, self.log_A_real, self.A_imag, torch.view_as_complex(self.C), L)

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        return ssm_conv(u, self.kernel(u.shape[-1]), self.D)


def make_model(init: str, seed: int) -> SequenceClassifier:
    """The classifier with S4D layers initialised by `init`, its random draws fixed by `seed`."""
    set_seed(seed)
    return SequenceClassifier(lambda H: S4DConv(H, N=32, init=init), d_model=32, n_layers=2, n_classes=10)


probe = make_model("lin", SEED)
print(f"{sum(p.numel() for p in probe.parameters())} parameters; logits shape {tuple(probe(data.x_test[:4]).shape)}")

# %% [markdown] id="experiment-intro"
# ## Experiment — three initialisations, several seeds
#
# **Where the paper says it.** Reproduces, in miniature, the initialisation ablations of Gu, Gupta, Goel & Ré (2022), which train S4D with S4D-Lin, S4D-Inv and random diagonal initialisations, everything else fixed, on long-sequence benchmarks such as sequential CIFAR (their ablation section and tables, as we read it; we did not check the table numbers). Sequential 8×8 digits stand in for sequential CIFAR.
#
# Each run trains for `EPOCHS` epochs (AdamW, learning rate $10^{-2}$ and $10^{-3}$ for the SSM parameters, cosine schedule, batch 64) and reports the test accuracy at the end. Sequential digits read an 8×8 image one pixel at a time ($L = 64$, one input channel), so the model must combine pixels that are up to 64 steps apart.

# %% id="experiment"
INITS = ["lin", "inv", "random"]
results = {init: [] for init in INITS}
curves = {init: [] for init in INITS}
trained = {}
with timer() as total:
    for init in INITS:
        for s in progress(range(N_SEEDS), desc=f"S4D-{init}"):
            model = make_model(init, SEED + s)
            history = train_classifier(model, data, epochs=EPOCHS, batch_size=64, lr=1e-2, ssm_lr=1e-3,
                                       generator=torch.Generator().manual_seed(SEED + s))
            results[init].append(history["test_acc"][-1])
            curves[init].append(history["test_acc"])
            trained.setdefault(init, model)
stats = {init: (torch.tensor(acc).mean().item(), torch.tensor(acc).std().item() if len(acc) > 1 else 0.0) for init, acc in results.items()}
for init in INITS:
    mean, std = stats[init]
    print(f"S4D-{init:<6}: test accuracy {100 * mean:5.1f} ± {100 * std:4.1f} %  over {N_SEEDS} seeds  {[round(100 * a, 1) for a in results[init]]}")
print(f"({total['seconds']:.0f} s of training in all)")

fig, axes = subplots(ncols=3, width=4.6)
epochs_axis = range(1, EPOCHS + 1)
for init in INITS:
    acc = torch.tensor(curves[init])
    mean = acc.mean(0)
    axes[0].plot(epochs_axis, 100 * mean, marker="o", ms=3, label=f"S4D-{init}")
    if N_SEEDS > 1:
        axes[0].fill_between(epochs_axis, 100 * acc.min(0).values, 100 * acc.max(0).values, alpha=0.2)
label(axes[0], "Sequential digits (L=64): test accuracy", "epoch", "test accuracy (%)")
for init in INITS:
    layer = trained[init].ssms[0]
    freq = (torch.exp(layer.log_dt)[:, None] * layer.A_imag).detach().abs().flatten()  # radians per step
    axes[1].hist(torch.log10(freq + 1e-6).numpy(), bins=30, alpha=0.5, label=f"S4D-{init}")
label(axes[1], "Frequencies after training, layer 1", "log10 |dt Im A| (radians per step)", "number of modes")
with torch.no_grad():
    for init in INITS:
        K = trained[init].ssms[0].kernel(data.length)
        axes[2].plot(K[0] / K[0].abs().max(), lw=1.2, label=f"S4D-{init}, channel 0")
label(axes[2], "Learned kernels, layer 1 (normalised)", "lag l", "K_l / max |K|")
show(fig)

# %% [markdown] id="permuted-intro"
# ## Experiment — permuted digits
#
# **Where the paper says it.** Permuted sequential images are a standard long-memory benchmark of this line of work: HiPPO-LegS reached 98.3% on permuted MNIST (checked: HiPPO's abstract, arXiv:2008.07669). The S4D paper does not, as far as we read it, run permuted digits with these three initialisations; this is our stress test of its claim.
#
# Reading the pixels row by row keeps some locality: neighbouring pixels of a stroke are often neighbours in time. The **permuted** variant (`load_sequential_digits(permute=True)`) shuffles the 64 pixel positions with one fixed permutation, the same for every image, so that no locality is left and any useful pattern may span the whole sequence. We train the same three initialisations, with the same architecture, optimiser, seeds and number of epochs, and put the accuracies next to the unpermuted ones.

# %% id="permuted"
data_perm = load_sequential_digits(permute=True, seed=SEED)
if SMOKE:
    data_perm = type(data_perm)(data_perm.x_train[:256], data_perm.y_train[:256], data_perm.x_test[:128], data_perm.y_test[:128])
results_perm = {init: [] for init in INITS}
with timer() as total_perm:
    for init in INITS:
        for s in progress(range(N_SEEDS), desc=f"permuted, S4D-{init}"):
            model = make_model(init, SEED + s)
            history = train_classifier(model, data_perm, epochs=EPOCHS, batch_size=64, lr=1e-2, ssm_lr=1e-3,
                                       generator=torch.Generator().manual_seed(SEED + s))
            results_perm[init].append(history["test_acc"][-1])
stats_perm = {init: (torch.tensor(acc).mean().item(), torch.tensor(acc).std().item() if len(acc) > 1 else 0.0)
              for init, acc in results_perm.items()}
print(f"{'init':<11}{'sequential':>16}{'permuted':>16}   (test accuracy %, mean ± std over {N_SEEDS} seeds, {EPOCHS} epochs)")
for init in INITS:
    (m, sd), (mp, sdp) = stats[init], stats_perm[init]
    print(f"S4D-{init:<7}{100 * m:10.1f} ± {100 * sd:3.1f}{100 * mp:10.1f} ± {100 * sdp:3.1f}   permuted runs {[round(100 * a, 1) for a in results_perm[init]]}")
print(f"({total_perm['seconds']:.0f} s of training on permuted digits)")

fig, ax = subplots(width=6.4)
xs = torch.arange(len(INITS), dtype=torch.float32)
for offset, name, st in ((-0.2, "sequential", stats), (0.2, "permuted", stats_perm)):
    ax.bar(xs + offset, [100 * st[i][0] for i in INITS], width=0.4, yerr=[100 * st[i][1] for i in INITS], capsize=3, label=name)
ax.set_xticks(xs.tolist(), [f"S4D-{init}" for init in INITS])
label(ax, "Test accuracy by initialisation: sequential vs permuted digits", "initialisation", "test accuracy (%), mean ± std over seeds")
show(fig)


# %% [markdown] id="permuted-discussion"
# **Reading the result.** In our run (SEED = 0, 3 seeds, 8 epochs) removing locality costs every initialisation 17 to 22 points (Lin 86 → 69 %, Inv 82 → 62 %, random 70 → 48 %), but the ranking does not change and the structured initialisations keep a lead of 14 (Inv) to 21 (Lin) points over random — about as large as on sequential digits (13 to 17 points), well above the spread over seeds. That is what frequency coverage predicts: once a digit's strokes are scattered over all 64 steps, the kernel needs both slow modes (to link pixels far apart in time) and fast ones, and the random initialisation starts with almost none of its modes in that band.

# %% [markdown] id="coverage-intro"
# ## Why: frequency coverage
#
# **Where the paper says it.** The S4D paper explains its initialisations by the frequencies of the basis kernels they produce, and *How to Train Your HiPPO* by which basis each approximates (as we read them); the band fraction below is our own, simpler measure of that idea.
#
# A mode with $\Delta\,\mathrm{Im}A_n$ radians per step can only represent patterns of that frequency. A kernel of length $L = 64$ needs frequencies from about $2\pi/64 \approx 0.1$ (slow trends across the image) up to $\pi$ (pixel-to-pixel changes). Below we measure, at initialisation and after training, the fraction of all modes ($H = 32$ channels × $N = 32$ modes, first layer) whose frequency lies in that band.

# %% id="coverage"
def band_fraction(layer: S4DConv, lo: float = 2 * math.pi / 64, hi: float = math.pi) -> float:
    """Fraction of the layer's modes whose frequency |dt Im A| (radians per step) lies in [lo, hi]."""
    freq = (torch.exp(layer.log_dt)[:, None] * layer.A_imag).detach().abs()
    return ((freq >= lo) & (freq <= hi)).float().mean().item()

coverage = {init: band_fraction(make_model(init, SEED).ssms[0]) for init in INITS}
coverage_trained = {init: band_fraction(trained[init].ssms[0]) for init in INITS}
for init in INITS:
    print(f"S4D-{init:<6}: {coverage[init]:5.1%} of modes in the band [2π/64, π] at initialisation, {coverage_trained[init]:5.1%} after training")

# %% [markdown] id="claim-intro"
# ## Claim check
#
# In a full run the structured initialisations must beat the random one by a clear margin (threshold set from the measurements in this notebook: a gap of at least 5 points of mean accuracy, and larger than the spread over seeds). On permuted digits the gap must hold too: at least 10 points of mean accuracy between the weaker of Lin and Inv and random, and larger than the spread over seeds. SMOKE runs only report.

# %% id="claim-check" tags=["claim-check"]
margin_lin = stats["lin"][0] - stats["random"][0]
margin_inv = stats["inv"][0] - stats["random"][0]
spread = max(s for _, s in stats.values())
claim("initialisation", paper="S4D-Lin and S4D-Inv clearly outperform a random diagonal initialisation",
      here=f"Lin {100 * stats['lin'][0]:.1f}±{100 * stats['lin'][1]:.1f}%, Inv {100 * stats['inv'][0]:.1f}±{100 * stats['inv'][1]:.1f}%, "
           f"random {100 * stats['random'][0]:.1f}±{100 * stats['random'][1]:.1f}% (n={N_SEEDS} seeds, {EPOCHS} epochs)",
      checks=[above(min(margin_lin, margin_inv), 0.05), above(min(margin_lin, margin_inv), spread)], smoke=SMOKE)
claim("frequency coverage", paper="what matters is the spread of the imaginary parts",
      here=f"modes in the useful band at init: Lin {coverage['lin']:.0%}, Inv {coverage['inv']:.0%}, random {coverage['random']:.0%}",
      checks=[above(min(coverage["lin"], coverage["inv"]), coverage["random"])], smoke=SMOKE)
margin_perm = min(stats_perm["lin"][0], stats_perm["inv"][0]) - stats_perm["random"][0]
spread_perm = max(s for _, s in stats_perm.values())
claim("initialisation, permuted digits", paper="S4D-Lin and S4D-Inv clearly outperform a random initialisation (tested here with no locality: permuted pixels)",
      here=f"Lin {100 * stats_perm['lin'][0]:.1f}±{100 * stats_perm['lin'][1]:.1f}%, Inv {100 * stats_perm['inv'][0]:.1f}±{100 * stats_perm['inv'][1]:.1f}%, "
           f"random {100 * stats_perm['random'][0]:.1f}±{100 * stats_perm['random'][1]:.1f}%; smallest gap {100 * margin_perm:.1f} points (n={N_SEEDS} seeds, {EPOCHS} epochs)",
      checks=[above(margin_perm, 0.10), above(margin_perm, spread_perm)], smoke=SMOKE)

# %% [markdown] id="reflect"
# ## Reflect
#
# Answer each question in the cell below it, in a few sentences. These answers are graded by hand (1 point each).
#
# 1. The SSM parameters, $\mathrm{Im}\,A$ included, are trained. Why does the random initialisation not simply learn its way to good frequencies? (Look at the learning rate of the SSM parameters, the number of optimiser steps, and the coverage before and after training.)

# %% [markdown] id="reflect-learn" nbgrader={"grade": true, "grade_id": "reflect-learn", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** The SSM parameters train with learning rate $10^{-3}$ (decayed by the cosine schedule), and AdamW moves a parameter by roughly one learning rate per step at most. A run has about $22$ batches per epoch ($1348 / 64$) times 8 epochs, some 176 steps, so $\mathrm{Im}\,A_n$ and $\log\Delta$ can move by about $0.18$ at most. The random $\mathrm{Im}\,A_n = e^{z_n}$ are of order 1, while with $\Delta \sim 10^{-2}$ a mode needs $\mathrm{Im}\,A_n$ of order 10 to 300 to reach the band $[2\pi/64, \pi]$ radians per step: a change a hundred times larger than the budget. The measurements agree: the random layer has about 5% of its modes in the band before training and still about 5% after (Lin 64% → 65%, Inv 53% → 53%), and its histogram after training barely moves. The small learning rate is deliberate (it keeps the SSM stable), so the initialisation decides which frequencies the layer will ever use.
#
# **Rubric (1 point).** 0.5: the SSM learning rate and the number of steps bound how far $\mathrm{Im}\,A$ can move (an estimate of that distance earns this half). 0.5: the distance needed (order 1 to order 10-300) is far larger, with the evidence of the coverage numbers or the histogram. "The gradients of $\mathrm{Im}\,A$ are zero" earns 0.
# ### END SOLUTION

# %% [markdown] id="reflect-coverage-question"
# 2. Do by hand what the coverage cell measures. For S4D-Lin with $N = 32$, which modes $n$ have $\Delta\pi n$ in the band $[2\pi/64, \pi]$ at $\Delta = 0.01$, and at $\Delta = 0.1$? For the random initialisation, $\mathrm{Im}\,A = e^{z}$ with $z \sim \mathcal N(0, 1)$, what fraction of modes is in the band at each of those steps? Compare with the fractions printed (the steps of the layer are log-uniform in $[10^{-3}, 10^{-1}]$).

# %% [markdown] id="reflect-coverage" nbgrader={"grade": true, "grade_id": "reflect-coverage", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** For S4D-Lin the condition is $2\pi/64 \le \Delta\pi n \le \pi$, i.e. $\frac{1}{32\Delta} \le n \le \frac1\Delta$. At $\Delta = 0.01$: $3.125 \le n \le 100$, so $n = 4, \dots, 31$, 28 of the 32 modes (88%). At $\Delta = 0.1$: $0.3125 \le n \le 10$, so $n = 1, \dots, 10$, 10 modes (31%). (At $\Delta = 10^{-3}$ none: $n$ would have to be at least 31.25.) For random, the condition is $\frac{2\pi/64}{\Delta} \le e^{z} \le \frac{\pi}{\Delta}$: at $\Delta = 0.01$, $z \ge \ln 9.8 \approx 2.28$, probability about 1%; at $\Delta = 0.1$, $z \ge \ln 0.98 \approx -0.02$ (the upper end, $z \le \ln 31.4 \approx 3.4$, hardly binds), about 51%. Averaged over log-uniform steps that gives roughly two thirds of the modes for Lin and under a tenth for random, in line with the printed 64% and 5% (the layer has only 32 sampled steps). Lin covers the band at almost every step, random only at the largest steps.
#
# **Rubric (1 point).** 0.5: the Lin mode ranges (4 to 31, and 1 to 10) from $1/(32\Delta) \le n \le 1/\Delta$. 0.5: the random fractions (about 1% and about 50%) from the normal distribution of $z$, and the link to the printed coverage. Arithmetic slips that keep the right orders of magnitude cost at most 0.25.
# ### END SOLUTION

# %% [markdown] id="reflect-param-question"
# 3. The layer stores $\log\Delta$ and $\log(-\mathrm{Re}\,A)$ instead of $\Delta$ and $\mathrm{Re}\,A$. What could one optimiser step do to the kernel of this notebook if it stored $\mathrm{Re}\,A$ directly, and what does the logarithm buy for $\Delta$?

# %% [markdown] id="reflect-param" nbgrader={"grade": true, "grade_id": "reflect-param", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** A mode contributes $e^{\Delta A_n \ell}$ with magnitude $e^{\Delta\,\mathrm{Re}A_n\,\ell}$. If $\mathrm{Re}\,A$ were a free parameter, a step that pushes it above 0 makes that mode grow exponentially with the lag: with $\Delta\,\mathrm{Re}A = +0.5$ the kernel entry at $\ell = 63$ is $e^{31.5} \approx 5 \cdot 10^{13}$ times the first, the outputs and the loss overflow or turn NaN, and training is lost. With $\mathrm{Re}\,A = -e^{\theta}$ it is negative for every value of $\theta$, so the layer stays stable whatever the optimiser does. For $\Delta = e^{\log\Delta}$ the same trick keeps the step positive (a negative step would also make the modes grow), and it makes updates multiplicative: a step changes $\Delta$ by a factor, which suits a quantity initialised log-uniformly over two orders of magnitude, $[10^{-3}, 10^{-1}]$.
#
# **Rubric (1 point).** 0.5: $\mathrm{Re}\,A > 0$ (or $\Delta \le 0$) makes the kernel grow exponentially in $\ell$ (instability, overflow), which the exponential parameterisation rules out. 0.5: what the logarithm buys for $\Delta$: positivity and scale-invariant (multiplicative) updates over orders of magnitude. "It makes the gradients smaller" alone earns 0.
# ### END SOLUTION

# %% [markdown] id="further-reading"
# **Going further:** `load_sequential_digits(pad_to=512)` with `SequenceClassifier(..., readout="last")` gives a longer-memory variant where the digit must be remembered across 448 silent steps; it is left out of the timed run (it costs several times the experiments above).
#
# **Further reading:** the S4D paper's section on initialisation and its ablations; *How to Train Your HiPPO* (why S4D-Inv approximates HiPPO-LegS); the reference `S4DKernel` in `state-spaces/s4` (`models/s4/s4d.py`) and its initialisations in `src/models/sequence/kernels/dplr.py`.
