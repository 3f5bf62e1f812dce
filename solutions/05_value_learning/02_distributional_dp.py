# %% [markdown] id="card"
# # Distributional dynamic programming: the return distribution has its own Bellman equation
#
# **Papers:** M. G. Bellemare, W. Dabney, R. Munos, *A Distributional Perspective on Reinforcement Learning* (C51, 2017, arXiv:1707.06887); M. Rowland, M. G. Bellemare, W. Dabney, R. Munos, Y. W. Teh, *An Analysis of Categorical Distributional Reinforcement Learning* (2018, arXiv:1802.08163); B. Ávila Pires, M. Rowland, D. Borsa, Z. D. Guo, K. Khetarpal, A. Barreto, D. Abel, R. Munos, W. Dabney, *Optimizing Return Distributions with Distributional Dynamic Programming* (2025, arXiv:2501.13028).
#
# **Learning objectives**
# - write the distributional Bellman equation $Z(s) \overset{D}{=} R + \gamma Z(S')$ and compute its categorical (C51) backup exactly, for all states at once;
# - implement the categorical projection $\Pi$ and the Cramér distance, and check that $\Pi\mathcal T$ contracts at least as fast as $\sqrt\gamma^{\,k}$;
# - verify a fixed point against Monte Carlo returns and its mean against ordinary (expected-value) DP;
# - see why a risk-sensitive objective needs the accrued return (the *stock*) in the state, and beat the expected-return-optimal policy on it.
#
# **Prerequisites:** notebook 01 of this module (atoms, two-hot); the Bellman equation; cumulative distribution functions and quantiles.
#
# **Time:** 50 min
#
# **Points:** 11 (four autograded exercises, 9 points; two written answers, 1 point each, graded by hand)
#
# **Claim:** the projected distributional Bellman operator $\Pi\mathcal T^\pi$ is a $\sqrt\gamma$-contraction in the (supremum) Cramér distance, so categorical distributional DP converges to a unique fixed point that approximates the return distribution and keeps its mean exactly (Rowland et al., 2018); with the accrued return added to the state, distributional DP optimises objectives beyond the expected return, such as a probability of success or CVaR (Ávila Pires et al., 2025).

# %% id="parameters" tags=["parameters"]
SMOKE = False  # True: tiny sizes, runs in seconds
SEED = 0
N_STATES = 8  # states of the random reward chain
N_ATOMS = 51  # atoms of the categorical representation (C51's number)
MC_RETURNS = 20000  # Monte Carlo returns per start state

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math

import torch

from utils.common import above, at_least, below, claim, setup_lesson
from utils.plotting import label, show, subplots
from utils.value_learning import random_reward_chain, two_route_game

if SMOKE:
    N_STATES, N_ATOMS, MC_RETURNS = min(N_STATES, 4), min(N_ATOMS, 21), min(MC_RETURNS, 2000)
generator = setup_lesson(
    SEED, SMOKE,
    N_STATES=(N_STATES, at_least(3)),
    N_ATOMS=(N_ATOMS, at_least(5)),
    MC_RETURNS=(MC_RETURNS, at_least(100)),
)
chain = random_reward_chain(N_STATES, n_rewards=3, gamma=0.8, generator=generator)
low, high = chain.return_bounds()
print(f"reward chain: {chain.n_states} states, 3 random rewards per state, gamma={chain.gamma}, "
      f"every return in [{low:.2f}, {high:.2f}]")


# %% [markdown] id="background"
# ## Background: the distributional Bellman equation
#
# **The return is a random variable.** Under a fixed policy, state $s$ leads to a random reward $R$ and a random next state $S'$; the *return* $G = \sum_t \gamma^t R_t$ from $s$ is random too. Its expectation is the value $V(s)$; its *distribution* $\eta(s)$ says how likely every outcome is — a near-certain 3 and a coin flip between $-7$ and $13$ have the same value. Splitting off the first step gives the **distributional Bellman equation** (Bellemare et al., 2017), an equality of distributions:
#
# $$Z(s) \overset{D}{=} R(s) + \gamma\, Z(S'), \qquad S' \sim P(s, \cdot), \quad R(s) \perp S', \quad Z(S') \text{ independent of both}.$$
#
# The right-hand side defines the operator $\mathcal T^\pi$: mix the next states' distributions with weights $P(s, s')$, scale by $\gamma$, and shift by every possible reward. Its expectation is the ordinary Bellman equation $V = \bar r + \gamma P V$.
#
# **Categorical representation (C51).** Fix $K$ atoms $z_1 < \dots < z_K$ and store $\eta(s)$ as probabilities $p_1(s), \dots, p_K(s)$. One backup sends each atom to $r + \gamma z_j$ — which is not an atom. The **categorical projection** $\Pi$ puts every shifted atom back: a mass $m$ at $x$, clipped to $[z_1, z_K]$, with $z_i \le x \le z_{i+1}$, goes to the two neighbours by linear interpolation,
#
# $$m\,\frac{z_{i+1} - x}{z_{i+1} - z_i} \ \text{to } z_i, \qquad m\,\frac{x - z_i}{z_{i+1} - z_i} \ \text{to } z_{i+1}.$$
#
# It conserves mass and, inside $[z_1, z_K]$, the mean. The **categorical backup** is $\Pi\mathcal T^\pi$; categorical distributional DP iterates it.
#
# **Why it converges: the Cramér distance.** For two distributions with CDFs $F, G$ the Cramér distance is $\ell_2(F, G) = \big(\int (F(x) - G(x))^2\,dx\big)^{1/2}$, and $\bar\ell_2$ is its supremum over states. Scaling a return by $\gamma$ stretches the $x$-axis, so $\ell_2^2$ shrinks by $\gamma$: $\ell_2(\gamma X, \gamma Y) = \sqrt\gamma\,\ell_2(X, Y)$; adding an independent reward and mixing over next states does not increase it. So $\mathcal T^\pi$ is a $\sqrt\gamma$-contraction in $\bar\ell_2$. The projection is the orthogonal projection, in this $\ell_2$ geometry, onto the distributions on the atoms (a Pythagorean identity — Rowland et al., 2018), hence non-expansive, and
#
# $$\bar\ell_2(\Pi\mathcal T^\pi \eta, \Pi\mathcal T^\pi \eta') \le \sqrt\gamma\ \bar\ell_2(\eta, \eta') \quad\Longrightarrow\quad \bar\ell_2(\eta_k, \eta_C) \le \sqrt\gamma^{\,k}\, \bar\ell_2(\eta_0, \eta_C)$$
#
# for the iterates $\eta_{k+1} = \Pi\mathcal T^\pi\eta_k$ and the unique fixed point $\eta_C$. The fixed point is not the true return distribution $\eta_\pi$, only close to it: Rowland et al. bound $\bar\ell_2(\eta_C, \eta_\pi) \le (1-\gamma)^{-1/2}\,\bar\ell_2(\Pi\eta_\pi, \eta_\pi)$, the projection error magnified by the horizon (as we read their analysis).

# %% [markdown] id="projection-background"
# ## Exercise 1 — the categorical projection (2 points)
#
# **Implement** `categorical_projection(values, probs, support)`. `values` and `probs` are float tensors of the same shape `(..., N)` and dtype: along the last axis, $N$ masses `probs[..., j]` sitting at arbitrary real locations `values[..., j]` (not necessarily sorted, possibly equal, possibly outside the atoms). `support` is a 1-D tensor of $K \ge 1$ strictly increasing atoms (not necessarily evenly spaced), same dtype. Return the `(..., K)` projected masses, in that dtype:
# - **clip** every location to $[z_1, z_K]$ first (mass beyond the ends lands entirely on the end atom), then split each mass between its two neighbouring atoms by the linear interpolation above; a location exactly on an atom puts all its mass there;
# - masses landing on the same atom **add up**; `probs` need not sum to 1 (the projection is linear in `probs`), and may contain zeros;
# - with a single atom ($K = 1$) all the mass goes to it;
# - raise a `ValueError` if `support` is not 1-D, is empty or is not strictly increasing, or if `values` and `probs` differ in shape or are 0-d;
# - leave the inputs unchanged. The result is a DP target: no gradient needs to flow.
#
# *Hint:* notebook 01's `two_hot` is the projection of a single point; here each row holds $N$ points with weights, so accumulate with `scatter_add_` (or `index_add_`) instead of writing with `scatter_`.

# %% id="projection-answer" nbgrader={"grade": false, "grade_id": "projection-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def categorical_projection(values: torch.Tensor, probs: torch.Tensor, support: torch.Tensor) -> torch.Tensor:
    """Project masses `probs` at locations `values` ((..., N) each) onto the atoms `support` (K,): (..., K)."""
    ### BEGIN SOLUTION
    if support.dim() != 1 or support.numel() < 1:
        raise ValueError(f"support must be 1-D with K >= 1 atoms, got shape {tuple(support.shape)}")
    if not bool((support[1:] > support[:-1]).all()):
        raise ValueError("support must be strictly increasing")
    if values.shape != probs.shape or values.dim() == 0:
        raise ValueError(f"values and probs must have the same shape (..., N), got {tuple(values.shape)} and {tuple(probs.shape)}")
    k = support.numel()
    if k == 1:
        return probs.sum(dim=-1, keepdim=True)
    x = values.clamp(support[0], support[-1])
    upper = torch.searchsorted(support, x.contiguous(), right=True).clamp(1, k - 1)
    lower = upper - 1
    w_hi = (x - support[lower]) / (support[upper] - support[lower])
    out = torch.zeros(*probs.shape[:-1], k, dtype=probs.dtype)
    out.scatter_add_(-1, lower, probs * (1 - w_hi))
    out.scatter_add_(-1, upper, probs * w_hi)
    return out
    ### END SOLUTION


# %% id="projection-tests" nbgrader={"grade": true, "grade_id": "projection-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
_z = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64)
_p = categorical_projection(torch.tensor([0.25, 1.0, 1.5, 7.0], dtype=torch.float64),
                            torch.tensor([0.4, 0.1, 0.2, 0.3], dtype=torch.float64), _z)
assert _p.shape == (3,) and _p.dtype == torch.float64, f"expected shape (3,) float64, got {tuple(_p.shape)} {_p.dtype}"
assert torch.allclose(_p, torch.tensor([0.3, 0.1 + 0.1 + 0.1, 0.1 + 0.3], dtype=torch.float64)), \
    f"0.25 -> 0.75/0.25 on atoms 0/1, 1.0 on atom 1, 1.5 halves, 7 clipped to atom 2: expected [0.3, 0.3, 0.4], got {_p.tolist()}"
_q = categorical_projection(torch.tensor([[0.5, 0.5]], dtype=torch.float64), torch.tensor([[0.5, 0.5]], dtype=torch.float64), _z)
assert torch.allclose(_q, torch.tensor([[0.5, 0.5, 0.0]], dtype=torch.float64)), \
    f"two masses on the same atoms must add up (scatter_add_, not scatter_), got {_q.tolist()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from fractions import Fraction as _Fraction

from utils.testing import assert_raises, assert_unchanged, assert_values


def _hat(x, zs, k):
    """Independent formulation: atom k's piecewise-linear hat function at x (already clipped), exactly."""
    if len(zs) == 1 or x == zs[k]:
        return _Fraction(1)
    if k > 0 and zs[k - 1] < x < zs[k]:
        return (x - zs[k - 1]) / (zs[k] - zs[k - 1])
    if k < len(zs) - 1 and zs[k] < x < zs[k + 1]:
        return (zs[k + 1] - x) / (zs[k + 1] - zs[k])
    return _Fraction(0)


def _project_exact(values, probs, atoms):
    """Per atom, sum over the masses of mass * hat(clipped location), in rational arithmetic."""
    zs = [_Fraction(a) for a in atoms]
    xs = [min(max(_Fraction(v), zs[0]), zs[-1]) for v in values]
    return [float(sum((_Fraction(p) * _hat(x, zs, k) for x, p in zip(xs, probs)), _Fraction(0))) for k in range(len(zs))]


def _expected(values, probs, z):
    n = values.shape[-1]
    rows = [_project_exact(v, p, z.tolist()) for v, p in zip(values.reshape(-1, n).tolist(), probs.reshape(-1, n).tolist())]
    return torch.tensor(rows, dtype=probs.dtype).reshape(*values.shape[:-1], len(z))


_g = torch.Generator().manual_seed(52)
_supports = [torch.linspace(-2, 3, 6, dtype=torch.float64),  # evenly spaced
             torch.tensor([-3.0, -2.5, 0.0, 0.125, 4.0], dtype=torch.float64),  # uneven spacing
             torch.tensor([-1.0, 1.0], dtype=torch.float64),  # K = 2
             torch.tensor([0.5], dtype=torch.float64)]  # a single atom
for _sup in _supports:
    _lo, _hi = _sup[0].item(), _sup[-1].item()
    _cases = [(torch.rand(3, 7, generator=_g, dtype=torch.float64) * (_hi - _lo + 6) + _lo - 3,  # inside and beyond both ends
               torch.rand(3, 7, generator=_g, dtype=torch.float64)),  # masses not summing to 1
              (_sup.clone(), torch.rand(len(_sup), generator=_g, dtype=torch.float64)),  # exactly on every atom, ends included
              (torch.tensor([_lo - 50.0, _hi + 50.0, _lo, _hi, _lo - 1e-3], dtype=torch.float64),  # far outside; boundary atoms
               torch.tensor([0.1, 0.2, 0.3, 0.15, 0.25], dtype=torch.float64)),
              (1.25 + 0.8 * _sup, torch.full((len(_sup),), 1 / len(_sup), dtype=torch.float64)),  # shifted and scaled atoms
              (torch.full((2, 4), 0.3, dtype=torch.float64), torch.rand(2, 4, generator=_g, dtype=torch.float64)),  # ties: all equal
              (torch.randn(2, 2, 3, generator=_g, dtype=torch.float64), torch.tensor([[[0.5, 0.0, 0.5], [0.0, 0.0, 1.0]]] * 2, dtype=torch.float64)),
              (torch.tensor([-0.7], dtype=torch.float64), torch.tensor([1.0], dtype=torch.float64))]  # N = 1, a point mass
    for _v, _m in _cases:
        _got = assert_unchanged(categorical_projection, _v, _m, _sup)  # must not write into its arguments
        assert_values(_got, _expected(_v, _m, _sup), what=f"categorical_projection of shape {tuple(_v.shape)} on atoms {_sup.tolist()}")
        assert_values(_got.sum(-1), _m.sum(-1), rtol=1e-12, atol=1e-12, what="the total mass (conserved)")
_v32, _m32, _z32 = torch.randn(4, 9, generator=_g) * 3, torch.rand(4, 9, generator=_g), torch.linspace(-4, 4, 11)
assert_values(categorical_projection(_v32, _m32, _z32), _expected(_v32, _m32, _z32), what="float32 inputs (keep float32)")
_ok = torch.tensor([0.5], dtype=torch.float64)
for _bad in (torch.zeros(0, dtype=torch.float64), torch.zeros(2, 3, dtype=torch.float64),
             torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64), torch.tensor([1.0, 0.0], dtype=torch.float64)):
    assert_raises(ValueError, categorical_projection, _ok, _ok, _bad)
assert_raises(ValueError, categorical_projection, torch.zeros(2, 3, dtype=torch.float64), torch.zeros(3, 2, dtype=torch.float64), _z)
assert_raises(ValueError, categorical_projection, torch.zeros(3, dtype=torch.float64), torch.zeros(4, dtype=torch.float64), _z)
assert_raises(ValueError, categorical_projection, torch.tensor(0.5, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64), _z)
### END HIDDEN TESTS

# %% [markdown] id="idea-intro"
# **A picture of the idea.** One backup of one state: the next state's distribution on $K = 11$ atoms (left) is scaled by $\gamma = 0.8$ and shifted by a reward $r = 1.3$, so its atoms land between the grid points (the stems on the right); the projection splits each stem onto its two neighbouring atoms (the bars). The mean moves from $\bar z$ to exactly $r + \gamma \bar z$.

# %% id="idea-plot"
_atoms = torch.linspace(-5, 5, 11, dtype=torch.float64)
_eta = torch.exp(-0.5 * ((_atoms - 2.5) / 1.0) ** 2) + 0.6 * torch.exp(-0.5 * ((_atoms + 2.5) / 0.8) ** 2)
_eta = _eta / _eta.sum()
_shifted = 1.3 + 0.8 * _atoms
_projected = categorical_projection(_shifted, _eta, _atoms)
fig, axes = subplots(ncols=2)
axes[0].bar(_atoms, _eta, width=0.8, color="C0", alpha=0.7, label="eta(s') on the atoms")
label(axes[0], "Before: the next state's distribution", "return", "probability")
axes[1].bar(_atoms, _projected, width=0.8, color="C1", alpha=0.6, label="projected onto the atoms")
axes[1].stem(_shifted, _eta, linefmt="C0-", markerfmt="C0o", basefmt=" ", label="r + gamma z_j (off the grid)")
for _z_j in _atoms:
    axes[1].axvline(_z_j, color="grey", lw=0.4)
label(axes[1], "After: shift by r = 1.3, scale by gamma = 0.8, project", "return", "probability")
show(fig)
print(f"mean before {(_eta * _atoms).sum():.4f}; r + gamma * mean = {1.3 + 0.8 * (_eta * _atoms).sum():.4f}; "
      f"mean after projection {(_projected * _atoms).sum():.4f}")

# %% [markdown] id="backup-background"
# ## Exercise 2 — the categorical Bellman backup, all states at once (3 points)
#
# **Implement** `distributional_backup(probs, support, transitions, reward_values, reward_probs, gamma)`, one application of $\Pi\mathcal T^\pi$ to a table of categorical distributions:
# - `probs` `(S, K)`: row $s$ holds $\eta(s)$ on the `support` `(K,)` (rules as in Exercise 1);
# - `transitions` `(S, S)`: `transitions[s, s2]` $= P(s, s_2)$;
# - `reward_values`, `reward_probs` `(S, R)`: on leaving $s$ the reward is `reward_values[s, i]` with probability `reward_probs[s, i]`, independently of the next state;
# - `gamma` a Python number in $[0, 1]$.
#
# Return the `(S, K)` table whose row $s$ is $\Pi$ applied to the law of $R(s) + \gamma Z(S')$: each triple (reward $i$, next state $s_2$, atom $j$) is a mass `reward_probs[s, i] * transitions[s, s2] * probs[s2, j]` at `reward_values[s, i] + gamma * support[j]`, projected (with clipping) by Exercise 1's rules. All tensors share one float dtype; return that dtype. Raise a `ValueError` for shapes that do not fit together (name the argument). Leave the inputs unchanged. Vectorise over states: the module's benchmark times your backup against a per-state loop (a loop gives the same values and full marks here, only slowly).
#
# *Hint:* mix first: the law of $Z(S')$ on the atoms is `transitions @ probs`; then build the `(S, R, K)` locations and masses, flatten the last two axes and call `categorical_projection`.

# %% id="backup-answer" nbgrader={"grade": false, "grade_id": "backup-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def distributional_backup(probs: torch.Tensor, support: torch.Tensor, transitions: torch.Tensor,
                          reward_values: torch.Tensor, reward_probs: torch.Tensor, gamma: float) -> torch.Tensor:
    """One categorical distributional Bellman backup Pi T for every state: (S, K) -> (S, K)."""
    ### BEGIN SOLUTION
    n_states, n_atoms = probs.shape if probs.dim() == 2 else (None, None)
    if n_states is None or support.shape != (n_atoms,):
        raise ValueError(f"probs must have shape (S, K) and support (K,), got {tuple(probs.shape)} and {tuple(support.shape)}")
    if transitions.shape != (n_states, n_states):
        raise ValueError(f"transitions must have shape ({n_states}, {n_states}), got {tuple(transitions.shape)}")
    if reward_values.dim() != 2 or reward_values.shape[0] != n_states or reward_probs.shape != reward_values.shape:
        raise ValueError(f"reward_values and reward_probs must have the same shape ({n_states}, R), "
                         f"got {tuple(reward_values.shape)} and {tuple(reward_probs.shape)}")
    mixture = transitions @ probs  # (S, K): the law of Z(S') given s, on the atoms
    locations = reward_values[:, :, None] + gamma * support  # (S, R, K)
    masses = reward_probs[:, :, None] * mixture[:, None, :]
    return categorical_projection(locations.flatten(1), masses.flatten(1), support)
    ### END SOLUTION


# %% id="backup-tests" nbgrader={"grade": true, "grade_id": "backup-tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
_z = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64)
_P = torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=torch.float64)
_eta = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64)  # state 0: return 0 surely, state 1: 2 surely
_rv = torch.tensor([[0.0, 1.0], [0.5, 0.5]], dtype=torch.float64)
_rp = torch.tensor([[0.5, 0.5], [1.0, 0.0]], dtype=torch.float64)
_b = distributional_backup(_eta, _z, _P, _rv, _rp, 0.5)
assert _b.shape == (2, 3) and _b.dtype == torch.float64, f"expected shape (2, 3) float64, got {tuple(_b.shape)} {_b.dtype}"
assert torch.allclose(_b[0], torch.tensor([0.0, 0.5, 0.5], dtype=torch.float64)), \
    f"state 0 moves to state 1 (return 2): R + 0.5 * 2 is 1 or 2 with probability 1/2 each, got {_b[0].tolist()}"
assert torch.allclose(_b[1], torch.tensor([0.5, 0.5, 0.0], dtype=torch.float64)), \
    f"state 1 moves to state 0 (return 0): 0.5 + 0.5 * 0 = 0.5, half on atom 0 and half on atom 1, got {_b[1].tolist()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from fractions import Fraction as _Fraction  # noqa: F811

from utils.testing import assert_raises, assert_unchanged, assert_values


def _backup_exact(probs, atoms, transitions, reward_values, reward_probs, gamma):
    """Independent formulation: per state, enumerate every (next state, reward, atom) mass in rational
    arithmetic and split it onto the atoms around its clipped location by the hat functions."""
    zs = [_Fraction(a) for a in atoms.tolist()]
    g = _Fraction(gamma)
    rows = []
    for s in range(probs.shape[0]):
        row = [_Fraction(0)] * len(zs)
        for s2 in range(probs.shape[0]):
            for r, pr in zip(reward_values[s].tolist(), reward_probs[s].tolist()):
                for z, pz in zip(zs, probs[s2].tolist()):
                    mass = _Fraction(transitions[s, s2].item()) * _Fraction(pr) * _Fraction(pz)
                    if mass == 0:
                        continue
                    x = min(max(_Fraction(r) + g * z, zs[0]), zs[-1])
                    for k in range(len(zs)):
                        if len(zs) == 1 or x == zs[k]:
                            row[k] += mass
                        elif k > 0 and zs[k - 1] < x < zs[k]:
                            row[k] += mass * (x - zs[k - 1]) / (zs[k] - zs[k - 1])
                        elif k < len(zs) - 1 and zs[k] < x < zs[k + 1]:
                            row[k] += mass * (zs[k + 1] - x) / (zs[k + 1] - zs[k])
        rows.append([float(v) for v in row])
    return torch.tensor(rows, dtype=probs.dtype)


def _random_case(g, n_states, n_rewards, atoms, reward_scale=1.0):
    p = torch.rand(n_states, n_states, generator=g, dtype=torch.float64) * (torch.rand(n_states, n_states, generator=g) < 0.6)
    p[:, 0] += 1e-3  # every row has some mass
    eta = torch.rand(n_states, len(atoms), generator=g, dtype=torch.float64)
    rp = torch.rand(n_states, n_rewards, generator=g, dtype=torch.float64)
    rv = torch.randn(n_states, n_rewards, generator=g, dtype=torch.float64) * reward_scale
    return eta / eta.sum(1, keepdim=True), p / p.sum(1, keepdim=True), rv, rp / rp.sum(1, keepdim=True)


_g = torch.Generator().manual_seed(53)
_cases = []
for _atoms, _gamma, _scale in ((torch.linspace(-4, 4, 9, dtype=torch.float64), 0.9, 1.0),
                               (torch.tensor([-3.0, -1.0, -0.5, 0.0, 2.0, 3.5], dtype=torch.float64), 0.7, 1.5),  # uneven atoms
                               (torch.linspace(-1, 1, 5, dtype=torch.float64), 0.95, 3.0),  # much mass outside: clipped
                               (torch.linspace(-2, 2, 7, dtype=torch.float64), 0.0, 1.0),  # gamma = 0: only the reward
                               (torch.linspace(0, 3, 4, dtype=torch.float64), 1.0, 0.5),  # gamma = 1
                               (torch.tensor([0.25], dtype=torch.float64), 0.5, 1.0)):  # a single atom
    for _n_states, _n_rewards in ((4, 2), (1, 1), (3, 3)):
        _cases.append((*_random_case(_g, _n_states, _n_rewards, _atoms, _scale), _atoms, _gamma))
_eta, _P, _rv, _rp = _random_case(_g, 3, 2, torch.arange(5.0))
_rv = torch.tensor([[0.0, 1.0], [2.0, 3.0], [4.0, 1.0]], dtype=torch.float64)  # rewards on atoms: shifted atoms on the grid
_cases.append((_eta, _P, _rv, _rp, torch.arange(5, dtype=torch.float64), 1.0))
for _eta, _P, _rv, _rp, _atoms, _gamma in _cases:
    _got = assert_unchanged(distributional_backup, _eta, _atoms, _P, _rv, _rp, _gamma)
    assert_values(_got, _backup_exact(_eta, _atoms, _P, _rv, _rp, _gamma),
                  what=f"distributional_backup with S={_eta.shape[0]}, K={len(_atoms)}, gamma={_gamma}")
_eta, _P, _rv, _rp = _random_case(_g, 5, 2, torch.linspace(-8, 8, 33))
_atoms = torch.linspace(-8, 8, 33, dtype=torch.float64)
_rv = _rv.clamp(-0.8, 0.8)  # every return inside the atoms: the mean obeys the ordinary Bellman equation exactly
_mean = (distributional_backup(_eta, _atoms, _P, _rv, _rp, 0.9) * _atoms).sum(1)
assert_values(_mean, (_rv * _rp).sum(1) + 0.9 * _P @ (_eta * _atoms).sum(1), rtol=1e-12, atol=1e-12,
              what="the mean of the backup (r_bar + gamma P V when nothing is clipped)")
_f = [t.float() for t in _random_case(_g, 3, 2, torch.linspace(-2, 2, 6))]
_atoms32 = torch.linspace(-2, 2, 6)
assert_values(distributional_backup(_f[0], _atoms32, _f[1], _f[2], _f[3], 0.8),
              _backup_exact(_f[0], _atoms32, _f[1], _f[2], _f[3], 0.8), what="float32 inputs (keep float32)")
_eta, _P, _rv, _rp = _random_case(_g, 3, 2, torch.arange(4.0))
_atoms = torch.arange(4, dtype=torch.float64)
assert_raises(ValueError, distributional_backup, _eta, _atoms[:3], _P, _rv, _rp, 0.5)
assert_raises(ValueError, distributional_backup, _eta, _atoms, _P[:2], _rv, _rp, 0.5)
assert_raises(ValueError, distributional_backup, _eta, _atoms, _P, _rv[:2], _rp[:2], 0.5)
assert_raises(ValueError, distributional_backup, _eta, _atoms, _P, _rv, _rp[:, :1], 0.5)
assert_raises(ValueError, distributional_backup, _eta[0], _atoms, _P, _rv, _rp, 0.5)
### END HIDDEN TESTS

# %% [markdown] id="cramer-background"
# ## Exercise 3 — the Cramér distance (2 points)
#
# For two distributions on the same atoms, both CDFs are step functions: constant, equal to $F_k = \sum_{i \le k} p_i$, on $[z_k, z_{k+1})$, and equal (0 before $z_1$, 1 from $z_K$ on) outside $[z_1, z_K)$. So the integral is a finite sum:
#
# $$\ell_2(p, q) = \Big(\sum_{k=1}^{K-1} \big(F_k - G_k\big)^2\,(z_{k+1} - z_k)\Big)^{1/2}, \qquad F_k = \sum_{i \le k} p_i, \quad G_k = \sum_{i \le k} q_i .$$
#
# **Implement** `cramer_distance(p, q, support)`: `p` and `q` are `(..., K)` float tensors of the same shape and dtype (each row a distribution on the atoms), `support` `(K,)` strictly increasing atoms (not necessarily evenly spaced). Return the `(...)` distances (a 0-d tensor for 1-D inputs) in that dtype; with $K = 1$ the distance is 0. Raise a `ValueError` if `p` and `q` differ in shape or their last axis is not $K$. Leave the inputs unchanged; no gradient needs to flow.
#
# *Hint:* `torch.cumsum` along the last axis gives every $F_k$ at once; the gaps are `support.diff()`.

# %% id="cramer-answer" nbgrader={"grade": false, "grade_id": "cramer-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def cramer_distance(p: torch.Tensor, q: torch.Tensor, support: torch.Tensor) -> torch.Tensor:
    """The Cramér distance (L2 between CDFs) of categorical distributions on `support`: (..., K) -> (...)."""
    ### BEGIN SOLUTION
    if p.shape != q.shape or p.dim() == 0 or support.dim() != 1 or p.shape[-1] != support.numel():
        raise ValueError(f"p and q must have the same shape (..., K) with K = len(support), got {tuple(p.shape)}, "
                         f"{tuple(q.shape)} and support {tuple(support.shape)}")
    gap = (p.cumsum(dim=-1) - q.cumsum(dim=-1))[..., :-1]
    return (gap.pow(2) * support.diff()).sum(dim=-1).sqrt()
    ### END SOLUTION


# %% id="cramer-tests" nbgrader={"grade": true, "grade_id": "cramer-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
_z = torch.tensor([0.0, 1.0, 3.0], dtype=torch.float64)
_d = cramer_distance(torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64), torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64), _z)
assert _d.shape == () and _d.dtype == torch.float64, f"expected a 0-d float64 tensor, got {tuple(_d.shape)} {_d.dtype}"
assert abs(_d.item() - math.sqrt(3.0)) < 1e-12, \
    f"point masses at 0 and 3: the CDFs differ by 1 on [0, 3), so the distance is sqrt(3), got {_d.item()}"
_d = cramer_distance(torch.tensor([[0.5, 0.5, 0.0]], dtype=torch.float64), torch.tensor([[0.5, 0.0, 0.5]], dtype=torch.float64), _z)
assert _d.shape == (1,) and abs(_d.item() - math.sqrt(0.25 * 2.0)) < 1e-12, \
    f"CDFs differ by 0.5 on [1, 3) (length 2): sqrt(0.25 * 2), got {_d.tolist()} (weight each step by its gap)"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from fractions import Fraction as _Fraction  # noqa: F811

from utils.testing import assert_raises, assert_unchanged, assert_values


def _cramer_energy(p, q, atoms):
    """Independent formulation: l2^2 = E|X - Y| - E|X - X'| / 2 - E|Y - Y'| / 2 (half the energy distance),
    X, X' ~ p and Y, Y' ~ q independent, in rational arithmetic."""
    zs = [_Fraction(a) for a in atoms]
    ps, qs = [_Fraction(v) for v in p], [_Fraction(v) for v in q]

    def mean_gap(a, b):
        return sum((ai * bj * abs(zi - zj) for ai, zi in zip(a, zs) for bj, zj in zip(b, zs)), _Fraction(0))
    return math.sqrt(max(0.0, float(mean_gap(ps, qs) - mean_gap(ps, ps) / 2 - mean_gap(qs, qs) / 2)))


def _expected(p, q, z):
    k = p.shape[-1]
    rows = [_cramer_energy(a, b, z.tolist()) for a, b in zip(p.reshape(-1, k).tolist(), q.reshape(-1, k).tolist())]
    return torch.tensor(rows, dtype=p.dtype).reshape(p.shape[:-1])


_g = torch.Generator().manual_seed(54)


def _dist(*shape, g=_g, dtype=torch.float64):
    d = torch.rand(*shape, generator=g, dtype=dtype) * (torch.rand(*shape, generator=g) < 0.7)
    d[..., -1] += 1e-3
    return d / d.sum(-1, keepdim=True)


for _sup in (torch.linspace(-3, 5, 9, dtype=torch.float64), torch.tensor([-2.0, -1.75, 0.0, 0.5, 4.0], dtype=torch.float64),
             torch.tensor([-1.0, 2.0], dtype=torch.float64), torch.tensor([0.5], dtype=torch.float64),
             torch.linspace(-1.3, 2.9, 11, dtype=torch.float64),  # gaps that float32 cannot hold exactly
             torch.sort(torch.randn(6, generator=torch.Generator().manual_seed(36), dtype=torch.float64) * 3).values):
    _k = len(_sup)
    _cases = [(_dist(6, _k), _dist(6, _k)), (_dist(_k), _dist(_k)), (_dist(2, 3, _k), _dist(2, 3, _k)),
              (_dist(1, _k), _dist(1, _k))]
    _same = _dist(4, _k)
    _cases.append((_same, _same.clone()))  # identical distributions: distance 0
    _point = torch.zeros(2, _k, dtype=torch.float64)
    _point[0, 0], _point[1, -1] = 1.0, 1.0
    _cases.append((_point, _point.flip(0)))  # point masses at the two ends
    for _a, _b in _cases:
        _got = assert_unchanged(cramer_distance, _a, _b, _sup)
        assert_values(_got, _expected(_a, _b, _sup), rtol=1e-9, atol=1e-9, what=f"cramer_distance of shape {tuple(_a.shape)} on {_sup.tolist()}")
        assert_values(cramer_distance(_b, _a, _sup), _got, rtol=1e-12, atol=1e-12, what="the distance is symmetric")
_a32, _b32, _z32 = _dist(5, 7, dtype=torch.float32), _dist(5, 7, dtype=torch.float32), torch.linspace(-1, 2, 7)
assert_values(cramer_distance(_a32, _b32, _z32), _expected(_a32, _b32, _z32), what="float32 inputs (keep float32)")
_z = torch.arange(4, dtype=torch.float64)
assert_raises(ValueError, cramer_distance, _dist(2, 4), _dist(3, 4), _z)
assert_raises(ValueError, cramer_distance, _dist(2, 5), _dist(2, 5), _z)
assert_raises(ValueError, cramer_distance, _dist(4), _dist(2, 4), _z)
### END HIDDEN TESTS

# %% [markdown] id="cvar-background"
# ## Exercise 4 — a risk objective: CVaR of a categorical distribution (2 points, derive it yourself)
#
# The expected return ignores how bad the bad outcomes are. The **conditional value-at-risk** at level $\alpha \in (0, 1]$ is the mean of the worst $\alpha$ fraction of the outcomes, defined through the quantile function $F^{-1}(u) = \min\{z_k : F_k \ge u\}$:
#
# $$\operatorname{CVaR}_\alpha(Z) = \frac{1}{\alpha}\int_0^\alpha F^{-1}(u)\,du .$$
#
# $\operatorname{CVaR}_1$ is the mean; as $\alpha \to 0$ it tends to the lowest atom with positive probability. When $\alpha$ falls inside an atom's probability, only the part of that atom's mass below level $\alpha$ counts — the definition above says exactly how much; when $\alpha$ equals a cumulative probability $F_k$ exactly, no partial atom is involved.
#
# **Implement** `cvar(probs, support, alpha)`: `probs` `(..., K)` float (each row a distribution on the atoms, summing to 1 up to rounding; zeros allowed), `support` `(K,)` strictly increasing, `alpha` a Python number. Return the `(...)` lower-tail CVaR in the dtype of `probs`. Raise a `ValueError` unless $0 < \alpha \le 1$, or if the last axis of `probs` is not $K$. Leave the inputs unchanged; no gradient needs to flow. Work out from the integral how much of each atom's mass enters, as a closed form in $F_{k-1}$, $p_k$ and $\alpha$ — the hint gives no code here.
#
# *Hint:* draw $F^{-1}$ on $[0, 1]$: a staircase whose step $k$ has height $z_k$ and width $p_k$, starting at $u = F_{k-1}$. The integral up to $\alpha$ is an area under that staircase.

# %% id="cvar-answer" nbgrader={"grade": false, "grade_id": "cvar-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def cvar(probs: torch.Tensor, support: torch.Tensor, alpha: float) -> torch.Tensor:
    """Lower-tail CVaR_alpha of categorical distributions on `support`: (..., K) -> (...)."""
    ### BEGIN SOLUTION
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha <= 1:
        raise ValueError(f"alpha must be a number in (0, 1], got {alpha!r}")
    if support.dim() != 1 or probs.dim() == 0 or probs.shape[-1] != support.numel():
        raise ValueError(f"probs must have shape (..., {support.numel()}), got {tuple(probs.shape)}")
    below = probs.cumsum(dim=-1) - probs  # F_{k-1}: the mass strictly below atom k
    taken = torch.minimum(probs, (alpha - below).clamp(min=0))  # the part of atom k's mass under level alpha
    return (taken * support).sum(dim=-1) / alpha
    ### END SOLUTION


# %% id="cvar-tests" nbgrader={"grade": true, "grade_id": "cvar-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
_z = torch.tensor([-2.0, 0.0, 4.0], dtype=torch.float64)
_p = torch.tensor([0.25, 0.5, 0.25], dtype=torch.float64)
_c = cvar(_p, _z, 1.0)
assert _c.shape == () and _c.dtype == torch.float64, f"expected a 0-d float64 tensor, got {tuple(_c.shape)} {_c.dtype}"
assert abs(_c.item() - 0.5) < 1e-12, f"CVaR_1 is the mean, 0.5, got {_c.item()}"
assert abs(cvar(_p, _z, 0.1).item() + 2.0) < 1e-12, f"the worst 10% all sit on the atom -2, got {cvar(_p, _z, 0.1).item()}"
assert abs(cvar(_p, _z, 0.5).item() + 1.0) < 1e-12, \
    f"the worst half: 0.25 at -2 and 0.25 (part of atom 0's mass) at 0, mean -1, got {cvar(_p, _z, 0.5).item()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from fractions import Fraction as _Fraction  # noqa: F811

from utils.testing import assert_raises, assert_unchanged, assert_values


def _cvar_ru(p, atoms, alpha):
    """Independent formulation (Rockafellar-Uryasev): CVaR_a = max_b { b - E[(b - Z)_+] / a }; the objective is
    concave and piecewise linear with kinks at the atoms, so its maximum is attained at an atom. Exact."""
    zs, ps, a = [_Fraction(v) for v in atoms], [_Fraction(v) for v in p], _Fraction(alpha)
    return float(max(b - sum((pi * max(b - zi, 0) for pi, zi in zip(ps, zs)), _Fraction(0)) / a for b in zs))


def _expected(p, z, alpha):
    k = p.shape[-1]
    return torch.tensor([_cvar_ru(row, z.tolist(), alpha) for row in p.reshape(-1, k).tolist()], dtype=p.dtype).reshape(p.shape[:-1])


_g = torch.Generator().manual_seed(55)
_dyadic = torch.tensor([[0.125, 0.375, 0.0, 0.25, 0.25], [0.0, 0.5, 0.25, 0.0, 0.25], [0.0, 0.0, 0.0, 0.0, 1.0],
                        [1.0, 0.0, 0.0, 0.0, 0.0], [0.0625, 0.0625, 0.125, 0.25, 0.5]], dtype=torch.float64)  # exact cumulative sums
for _sup in (torch.linspace(-4, 4, 5, dtype=torch.float64), torch.tensor([-10.0, -3.5, -1.0, 0.25, 7.0], dtype=torch.float64)):
    _rand = torch.rand(6, 5, generator=_g, dtype=torch.float64) * (torch.rand(6, 5, generator=_g) < 0.7)
    _rand[:, 2] += 1e-3
    _rand = _rand / _rand.sum(-1, keepdim=True)
    for _alpha in (1.0, 1, 0.999, 0.75, 0.5, 0.375, 0.3, 0.125, 0.0625, 0.01, 1e-6):  # 0.125, 0.375, 0.5, 0.75: on F_k
        for _p in (_dyadic, _rand, _dyadic[1], _rand[:1], _dyadic.view(5, 1, 5)):
            _got = assert_unchanged(cvar, _p, _sup, _alpha)
            assert_values(_got, _expected(_p, _sup, _alpha), rtol=1e-9, atol=1e-9,
                          what=f"cvar at alpha={_alpha} of shape {tuple(_p.shape)} on {_sup.tolist()}")
assert_values(cvar(_rand, _sup, 1.0), (_rand * _sup).sum(-1), rtol=1e-12, atol=1e-12, what="CVaR_1 = the mean")
assert_values(cvar(torch.tensor([[1.0]], dtype=torch.float64), torch.tensor([2.5], dtype=torch.float64), 0.3),
              torch.tensor([2.5], dtype=torch.float64), what="a single atom")
_p32 = torch.softmax(torch.randn(4, 6, generator=_g), -1)
assert_values(cvar(_p32, torch.linspace(-1, 1, 6), 0.3), _expected(_p32, torch.linspace(-1, 1, 6), 0.3), what="float32 inputs (keep float32)")
for _bad in (0, 0.0, -0.1, 1.5, float("nan")):
    assert_raises(ValueError, cvar, _dyadic, torch.arange(5, dtype=torch.float64), _bad)
assert_raises(ValueError, cvar, _dyadic, torch.arange(4, dtype=torch.float64), 0.5)
### END HIDDEN TESTS

# %% [markdown] id="experiment-intro"
# ## Experiment 1 — categorical DP on a random reward chain
#
# Reproduces, in miniature, the analysis of Rowland et al. (2018) (their convergence and fixed-point results for categorical policy evaluation, as we read them), on a setting of our own: a random Markov reward process of `N_STATES` states under a fixed policy (each state moves to 3 random successors and pays one of 3 random rewards in $[-1, 1]$), $\gamma = 0.8$, and $K$ = `N_ATOMS` evenly spaced atoms spanning exactly the possible returns $[\min r/(1-\gamma), \max r/(1-\gamma)]$, so no backup ever clips.
#
# (a) **The fixed point against Monte Carlo.** We iterate $\eta \leftarrow \Pi\mathcal T^\pi\eta$ until it stops changing and compare each state's fixed point with `MC_RETURNS` sampled returns, projected onto the same atoms. Two things differ: the fixed point is only close to $\Pi\eta_\pi$ (the bound above), and the samples are noisy — so we also print the distance between two independent halves of the samples, the noise floor. Its mean must equal the exact value $V = (I - \gamma P)^{-1}\bar r$ of ordinary DP.
#
# (b) **Convergence.** From $\eta_0$ = all mass on the lowest atom, the supremum Cramér distance to the fixed point must stay under $\sqrt\gamma^{\,k}\,\bar\ell_2(\eta_0, \eta_C)$.

# %% id="experiment-dp"
support = torch.linspace(low, high, N_ATOMS, dtype=torch.float64)
backup = lambda eta: distributional_backup(eta, support, chain.transitions, chain.reward_values,  # noqa: E731
                                           chain.reward_probs, chain.gamma)
start = torch.zeros(chain.n_states, N_ATOMS, dtype=torch.float64)
start[:, 0] = 1.0
iterates = [start]
for _ in range(60):
    iterates.append(backup(iterates[-1]))
fixed, n_backups, change = iterates[-1], len(iterates) - 1, math.inf
while change >= 1e-15 and n_backups < 2000:  # to machine precision: sqrt(0.8)^k reaches 1e-16 within ~330 backups
    new = backup(fixed)
    change = cramer_distance(new, fixed, support).max().item()
    fixed, n_backups = new, n_backups + 1
print(f"fixed point after {n_backups} backups (last change {change:.1e})")

returns = chain.sample_returns(MC_RETURNS, generator)  # (S, MC_RETURNS)
uniform = torch.full_like(returns, 1 / MC_RETURNS)
monte_carlo = categorical_projection(returns, uniform, support)
half = MC_RETURNS // 2
noise_floor = cramer_distance(categorical_projection(returns[:, :half], uniform[:, :half] * 2, support),
                              categorical_projection(returns[:, half:2 * half], uniform[:, half:2 * half] * 2, support), support)
mc_gap = cramer_distance(fixed, monte_carlo, support)
values = chain.exact_values()
mean_gap = ((fixed * support).sum(1) - values).abs().max().item()
point_mass = categorical_projection(values[:, None], torch.ones(chain.n_states, 1, dtype=torch.float64), support)
spread = cramer_distance(fixed, point_mass, support)  # how far the distribution is from "just its mean"
print(f"{'state':>5} {'V (DP)':>8} {'mean(eta_C)':>12} {'CVaR_0.1':>9} {'l2 to MC':>9} {'MC halves':>10} {'l2 to delta_V':>14}")
for s in range(chain.n_states):
    print(f"{s:>5} {values[s]:8.4f} {(fixed[s] * support).sum():12.4f} {cvar(fixed[s], support, 0.1):9.3f} "
          f"{mc_gap[s]:9.4f} {noise_floor[s]:10.4f} {spread[s]:14.3f}")

distances = torch.stack([cramer_distance(eta, fixed, support).max() for eta in iterates])
steps = torch.arange(len(iterates), dtype=torch.float64)
bound = distances[0] * math.sqrt(chain.gamma) ** steps
worst_ratio = (distances[1:] / bound[1:]).max().item()  # <= 1 is the theorem
rate = (distances[-1] / distances[0]).item() ** (1 / (len(iterates) - 1))

# %% id="experiment-dp-plot"
fig, axes = subplots(ncols=2)
width = (support[1] - support[0]).item()
for s, colour in ((0, "C0"), (1, "C1")):
    axes[0].bar(support, monte_carlo[s], width=width, color=colour, alpha=0.35, label=f"state {s}: Monte Carlo, projected")
    axes[0].plot(support, fixed[s], color=colour, marker=".", label=f"state {s}: fixed point of Pi T")
    axes[0].axvline(values[s], color=colour, ls=":", lw=1)
label(axes[0], "Return distributions (dotted: the value V)", "return", "probability per atom")
axes[1].semilogy(steps, distances, marker=".", label="sup_s l2(eta_k, eta_C), measured")
axes[1].semilogy(steps, bound, "k--", label="sqrt(gamma)^k bound")
axes[1].semilogy(steps, distances[0] * chain.gamma ** steps, "k:", label="gamma^k, for comparison")
label(axes[1], f"Convergence of categorical DP, gamma = {chain.gamma}", "backups k", "Cramér distance to the fixed point")
show(fig)
print(f"measured rate per backup {rate:.3f}; sqrt(gamma) = {math.sqrt(chain.gamma):.3f}, gamma = {chain.gamma}")

# %% [markdown] id="results-dp"
# ### What the measurement says
#
# Over seeds 0–4 (a different random chain each) the fixed point sits within 0.006–0.009 (the largest over states) of the projected Monte Carlo distributions in Cramér distance. That is the size of the sampling noise itself — two independent halves of the samples differ by up to 0.011–0.014 — while a point mass at the value is 0.34–0.52 away: at this resolution the categorical fixed point is a faithful picture of the whole return distribution, and its own approximation error hides under the noise of 20 000 returns. The mean matches ordinary DP to round-off ($10^{-14}$), as the theory says when nothing is clipped. The distance to the fixed point falls by 0.80 per backup on every chain — $\gamma$, not $\sqrt\gamma = 0.894$ — so the measured curve stays inside the bound (at most 0.92–0.955 of it over the 60 backups). The bound is a worst case over all pairs of distributions; on these chains the mixing over next states and rewards shrinks the difference faster.
#
# **Where the toy differs from the papers.** C51 learns from sampled transitions with a neural network and a cross-entropy loss; here the model is known and the backup is exact, so only the projection and the representation are tested, not learning. Our atoms cover every possible return, so the mean is exact; with a narrower support (as in C51's Atari setting) clipping biases it.

# %% [markdown] id="stock-intro"
# ## Experiment 2 — a risk-sensitive objective needs the accrued return in the state
#
# Reproduces, in miniature, the central idea of Ávila Pires et al. (2025): *stock augmentation* — adding to the state the return accrued so far — lets dynamic programming optimise objectives of the return distribution that ordinary DP cannot. Their setting is discounted, with a general stock update and general objectives; ours is the simplest instance (as we read it): a finite horizon without discount and integer rewards, so the stock takes finitely many exact values and no projection is needed.
#
# **The game.** In each of $T = 10$ rounds the agent takes the **safe** route (reward $+1$ surely) or the **risky** one ($+4$ or $-1$ with probability $\tfrac12$ each, mean $1.5$). The **objective** is $P(G \ge 13)$, the probability that the total return reaches a target. The expected-return-optimal policy takes the risky route every round (1.5 > 1), whatever has happened. But the best action for the target depends on how much has already been earned: ahead of schedule, the safe route locks the target in; behind, only the risky one can still reach it. No policy of the round alone can express that.
#
# **DP over (round, stock).** Let $W_t(c)$ be the best probability of reaching the target from round $t$ with accrued return $c$. Then $W_T(c) = \mathbb 1[c \ge 13]$ and
#
# $$W_t(c) = \max_{a \in \{\text{safe}, \text{risky}\}} \ \sum_i p_{a,i}\, W_{t+1}(c + r_{a,i}),$$
#
# an ordinary Bellman recursion on the augmented state $(t, c)$ — the objective is the expectation of a function of the final stock. Ties go to the safe route.

# %% id="experiment-stock"
game = two_route_game(horizon=10, safe=1, win=4, loss=-1, p_win=0.5)
TARGET, ALPHA = 13, 0.1
stocks, lowest = game.stocks, int(game.stocks[0])
n_stocks = stocks.numel()
shifted = (torch.arange(n_stocks)[None, None, :] + game.rewards[:, :, None]).clamp(0, n_stocks - 1)  # (A, R, C) next stock index


def stock_dp(terminal: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Backward DP over (round, stock) for the expected terminal utility `terminal` (C,): (policy (T, C), W_0 (C,))."""
    w = terminal
    policy = torch.zeros(game.horizon, n_stocks, dtype=torch.long)
    for t in reversed(range(game.horizon)):
        q = (game.probs[:, :, None] * w[shifted]).sum(1)  # (A, C); unreachable stocks are clamped, never used
        policy[t] = q.argmax(0)  # first maximum: the safe route on ties
        w = q.max(0).values
    return policy, w


def return_distribution(policy: torch.Tensor) -> torch.Tensor:
    """The exact law of the final return under (round, stock) policies, by forward propagation: (..., T, C) -> (..., C)."""
    law = torch.zeros(*policy.shape[:-2], n_stocks, dtype=torch.float64)
    law[..., -lowest] = 1.0  # the stock starts at 0
    for t in range(game.horizon):
        new = torch.zeros_like(law)
        for a in range(2):
            for i in range(game.rewards.shape[1]):
                new.index_add_(-1, shifted[a, i], law * (policy[..., t, :] == a) * game.probs[a, i])
        law = new
    return law


success = (stocks >= TARGET).double()
stock_policy, w0 = stock_dp(success)
mean_policy, _ = stock_dp(stocks.double())  # expected-return DP: the same recursion for E[G]
laws = {"expected-return optimal": return_distribution(mean_policy), "stock-aware, P(G >= 13)": return_distribution(stock_policy)}
# the best policy that sees only the round: all 2^T route sequences, evaluated exactly
sequences = torch.tensor([[(m >> t) & 1 for t in range(game.horizon)] for m in range(2 ** game.horizon)])
best_round_only = (return_distribution(sequences[:, :, None].expand(-1, -1, n_stocks)) * success).sum(-1).max().item()
mc = game.sample_returns(stock_policy, 200_000 if not SMOKE else 20_000, generator)
mc_success = (mc >= TARGET).double().mean().item()
objective = {name: (law * success).sum().item() for name, law in laws.items()}
for name, law in laws.items():
    print(f"{name:>24}: P(G >= {TARGET}) = {objective[name]:.4f}, E[G] = {(law * stocks).sum():.3f}, "
          f"CVaR_{ALPHA} = {cvar(law, stocks.double(), ALPHA):.2f}")
print(f"{'best round-only policy':>24}: P(G >= {TARGET}) = {best_round_only:.4f} (all {len(sequences)} route sequences)")
print(f"DP value W_0(0) = {w0[-lowest]:.4f}; Monte Carlo ({mc.numel():,} episodes) of the stock-aware policy: {mc_success:.4f}")

# %% id="experiment-stock-plot"
fig, axes = subplots(ncols=2)
for k, (name, law) in enumerate(laws.items()):
    axes[0].bar(stocks + (k - 0.5) * 0.4, law, width=0.4, label=name)
axes[0].axvline(TARGET - 0.5, color="k", ls="--", label=f"target G >= {TARGET}")
label(axes[0], "Law of the total return (exact)", "total return G", "probability")
reachable = torch.zeros(game.horizon, n_stocks, dtype=torch.bool)
law = torch.zeros(n_stocks, dtype=torch.float64)
law[-lowest] = 1.0
for t in range(game.horizon):  # the stocks the stock-aware policy can meet in round t
    reachable[t] = law > 0
    step = torch.zeros_like(law)
    for a in range(2):
        for i in range(2):
            step.index_add_(0, shifted[a, i], law * (stock_policy[t] == a) * game.probs[a, i])
    law = step
shown = torch.where(reachable, stock_policy.double(), torch.nan)
image = axes[1].imshow(shown.T, origin="lower", aspect="auto", cmap="coolwarm", vmin=0, vmax=1,
                       extent=(-0.5, game.horizon - 0.5, lowest - 0.5, int(stocks[-1]) + 0.5))
axes[1].plot([], [], "s", color=image.cmap(0.0), label="safe")
axes[1].plot([], [], "s", color=image.cmap(1.0), label="risky")
seen = stocks[reachable.any(0)]
axes[1].set_ylim(int(seen.min()) - 1.5, int(seen.max()) + 1.5)
label(axes[1], "Stock-aware policy (reachable states)", "round t", "accrued return c")
show(fig)

# %% [markdown] id="results-stock"
# ### What the measurement says
#
# The map on the right reads like a strategy: take the risky route while the target is still in play but not yet secured, switch to the safe one once the remaining safe rewards reach it — and, where the target can no longer be reached at all (the low rows), every action is worth 0 and the tie goes to safe. The stock-aware policy reaches the target with probability 0.823, against 0.623 for the expected-return-optimal policy (always risky) and 0.656 for the best of all $2^{10}$ policies that see only the round — the stock, not the clock, carries the information. It pays for it in expected return (11.8 against 15) and gains a little in the lower tail ($\operatorname{CVaR}_{0.1}$ from 1.68 to 1.89): a risk-sensitive objective trades mean for shape. These figures are exact (the same for every seed); the Monte Carlo estimate of 200 000 episodes varies with the seed and agreed within 0.0011 over seeds 0–4 (its standard error is about 0.0009). CVaR itself is optimised the same way in the paper, by an outer search over a threshold $b$ in $b - \mathbb E[(b - G)_+]/\alpha$ around this DP (as we read it); we only report it here.

# %% [markdown] id="claim-intro"
# ## Claim check
#
# Three claims, measured over seeds 0–4: (a) the categorical fixed point is close to the Monte Carlo return distributions — the largest Cramér distance over states was 0.0064–0.0092, asserted below 0.02 — and keeps the mean of ordinary DP (measured $5\cdot10^{-15}$–$3\cdot10^{-14}$, asserted below $10^{-9}$); (b) the distance to the fixed point never exceeds the $\sqrt\gamma^{\,k}$ bound: the threshold 1 is the theorem's, and the measured worst ratio was 0.92–0.955; (c) the stock-aware policy beats the expected-return-optimal one on $P(G \ge 13)$ by 0.200 (exact), asserted above 0.1, and its Monte Carlo estimate agrees with the exact figure within 0.005 (measured at most 0.0011). A `SMOKE` run asserts only (b), the theorem; it reports (a) and (c), whose sample sizes it shrinks.

# %% id="claim-check" tags=["claim-check"]
claim("fixed-point-matches-monte-carlo",
      paper="categorical DP converges to a fixed point close to the true return distribution, and keeps its mean (Rowland et al., 2018)",
      here=f"max Cramér distance to {MC_RETURNS:,} Monte Carlo returns {mc_gap.max():.4f} (noise floor {noise_floor.max():.4f}); "
           f"max |mean - V| {mean_gap:.1e}",
      checks=[below(mc_gap.max().item(), 0.02), below(mean_gap, 1e-9)], smoke=SMOKE)
claim("sqrt-gamma-contraction",
      paper="Pi T is a sqrt(gamma)-contraction in the supremum Cramér distance (Rowland et al., 2018)",
      here=f"max over k of distance / (sqrt(gamma)^k * initial distance) = {worst_ratio:.3f} (<= 1); rate {rate:.3f} per backup "
           f"vs sqrt(gamma) {math.sqrt(chain.gamma):.3f}",
      checks=[below(worst_ratio, 1.0)])
claim("stock-augmentation-beats-expected-return",
      paper="with the accrued return in the state, distributional DP optimises risk-sensitive objectives (Ávila Pires et al., 2025)",
      here=f"P(G >= {TARGET}): stock-aware {objective['stock-aware, P(G >= 13)']:.3f} vs expected-return optimal "
           f"{objective['expected-return optimal']:.3f} vs best round-only {best_round_only:.3f}; Monte Carlo {mc_success:.3f}",
      checks=[above(objective["stock-aware, P(G >= 13)"] - objective["expected-return optimal"], 0.1),
              below(abs(mc_success - objective["stock-aware, P(G >= 13)"]), 0.005)], smoke=SMOKE)

# %% [markdown] id="reflect"
# ## Reflect
#
# Answer each question in the cell below it, in a few sentences. These answers are graded by hand (1 point each).
#
# 1. The fixed point's mean equals the value $V$ of ordinary DP to round-off, but its distribution is only *close* to the Monte Carlo one. Why is the mean exact while the shape is not, and what would break the mean?

# %% [markdown] id="reflect-mean" nbgrader={"grade": true, "grade_id": "reflect-mean", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** The projection splits a mass at $x$ between its two neighbouring atoms by linear interpolation, so the projected mean is exactly $x$ whenever $x$ lies inside $[z_1, z_K]$; the mixing and the shift-and-scale are linear in the mean too. So the mean of $\Pi\mathcal T^\pi\eta$ obeys $\bar r + \gamma P\,\mathrm{mean}(\eta)$, the ordinary Bellman operator, and the fixed point's mean is its fixed point $V$. The shape is not preserved: each projection spreads a point between two atoms, which adds variance and loses detail finer than the atom spacing, and these errors are fed back through the bootstrap (the $(1-\gamma)^{-1/2}$ factor of the bound). The mean would break if the support did not cover every return: clipped mass moves to the end atom, biasing the mean (here the atoms span $[\min r, \max r]/(1-\gamma)$ exactly, so nothing is clipped).
#
# **Rubric (1 point).** 0.5: the linear interpolation preserves the mean inside the support, so the mean follows the ordinary Bellman equation (while the projection distorts the shape/adds variance); 0.5: clipping at the ends (a support that does not cover the returns) breaks it. "Because DP is exact" without the mechanism earns 0.
# ### END SOLUTION

# %% [markdown] id="reflect-stock-question"
# 2. In Experiment 2 the best policy that sees only the round number reaches the target with probability 0.656, the stock-aware one with 0.823. Why can no Markov policy on the original state (the round) do better, and why does adding the stock make ordinary dynamic programming correct again for this objective?

# %% [markdown] id="reflect-stock" nbgrader={"grade": true, "grade_id": "reflect-stock", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** Whether a round's gamble is worth taking depends on how much has been earned so far: with 13 already reached the safe route secures the target, while far behind only the risky route can still get there. The round alone does not contain that information, so a policy of the round must take the same action in both situations and loses, whereas the expected return is additive and its best action does not depend on the past rewards (which is why ordinary DP ignores them). With the accrued return $c$ in the state, the objective $P(G \ge 13) = \mathbb E[\mathbb 1[c_T \ge 13]]$ becomes the expectation of a function of the final augmented state, i.e. a terminal reward of the augmented MDP, so the Bellman recursion $W_t(c) = \max_a \mathbb E[W_{t+1}(c + R_a)]$ holds and its greedy policy is optimal.
#
# **Rubric (1 point).** 0.5: the optimal action depends on the accrued return (ahead: safe, behind: risky), which a round-only policy cannot see; 0.5: with the stock in the state the objective is an expected terminal reward of the augmented MDP, so the principle of optimality / Bellman recursion applies. "Because it has more information" alone earns 0.5 at most.
# ### END SOLUTION

# %% [markdown] id="further-reading"
# **Further reading:** M. G. Bellemare, W. Dabney, M. Rowland, *Distributional Reinforcement Learning* (MIT Press, 2023), chapters on categorical dynamic programming and risk; W. Dabney et al., *Distributional RL with Quantile Regression* (2017, arXiv:1710.10044); N. Bäuerle and J. Ott, *Markov Decision Processes with Average-Value-at-Risk Criteria* (2011), the origin of the stock-augmented CVaR recursion; M. Rowland et al., *Statistics and Samples in Distributional Reinforcement Learning* (2019, arXiv:1902.08102).
