# %% [markdown] id="title"
# # Flows and balance: sampling in proportion to a reward
#
# **Papers:** E. Bengio, M. Jain, M. Korablyov, D. Precup, Y. Bengio, *Flow Network based Generative Models for Non-Iterative Diverse Candidate Generation* (2021, arXiv:2106.04399); Y. Bengio, S. Lahlou, T. Deleu, E. Hu, M. Tiwari, E. Bengio, *GFlowNet Foundations* (2023, arXiv:2111.09266); N. Malkin, M. Jain, E. Bengio, C. Sun, Y. Bengio, *Trajectory balance: Improved credit assignment in GFlowNets* (2022, arXiv:2201.13259).
#
# **You will learn to**
# - see a sampler as a *flow* of probability mass through a DAG of states, write the hypergrid reward, and derive (and draw) the exact flow that samples it;
# - turn "flow in = flow out" into two trainable losses: trajectory balance (TB) and detailed balance (DB);
# - compute the *exact* distribution a policy samples from, by dynamic programming, and measure how far it is from the target (exact L1 versus sampled L1 and its noise floor);
# - see why credit given state by state (DB) finds reward regions that a trajectory-level loss (TB) misses.
#
# **Prerequisites:** PyTorch tensors and autograd; softmax policies; a first look at reinforcement learning helps.
#
# **Read ahead:** `paperlab preview 03_gflownets/01_flows_and_balance` writes this lesson's experiments, executed, to `build/preview/` (answers and hidden tests removed), so you can see every figure before you solve anything.
#
# **Time:** 70 min
#
# **Points:** 15 (five autograded exercises, 2 + 2 + 3 + 3 + 2 = 12 points; three written answers, 1 point each, graded by hand)
#
# **Claim:** a GFlowNet trained with a balance loss samples terminal objects with probability proportional to their reward, $P_T(x) = R(x)/Z$, and learns $\log Z$ on the way.

# %% id="parameters" tags=["parameters"]
SMOKE = False  # True: tiny sizes, runs in seconds
SEED = 0
STEPS = 1000       # training steps on the 8x8 grid
HARD_STEPS = 1000  # training steps on the hard 32x32 grid
BATCH = 64         # trajectories per step

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math

import torch

from utils.common import at_least, below, claim, equal, progress, setup_lesson
from utils.gflownets import (
    GridPolicy,
    empirical_l1,
    grid_modes,
    grid_states,
    grid_trajectory_terms,
    sample_grid_trajectories,
)
from utils.plotting import label, show, subplots

if SMOKE:
    STEPS, HARD_STEPS, BATCH = min(STEPS, 60), min(HARD_STEPS, 60), min(BATCH, 16)
generator = setup_lesson(
    SEED, SMOKE,
    STEPS=(STEPS, at_least(10)),
    HARD_STEPS=(HARD_STEPS, at_least(10)),
    BATCH=(BATCH, at_least(1)),
)


# %% [markdown] id="background-flows"
# ## Background: a sampler as a flow
#
# A GFlowNet builds an object $x$ step by step: $s_0 \to s_1 \to \dots \to s_n = x \to s_f$. The states form a directed acyclic graph (DAG) with a source $s_0$ and a sink $s_f$; the last edge $x \to s_f$ means "stop here and output $x$". We want the *terminal distribution* to match a reward $R(x) > 0$:
#
# $$P_T(x) = \frac{R(x)}{Z}, \qquad Z = \sum_{x} R(x).$$
#
# Picture water poured into $s_0$: $Z$ units flow along the edges, and the flow out of $x$ into the sink is $R(x)$. A **flow** assigns $F(s \to s') \ge 0$ to every edge so that, at every interior state, flow in = flow out. Its **state flow** is $F(s) = \sum_{s'} F(s \to s')$, and it defines two policies:
#
# $$P_F(s' \mid s) = \frac{F(s \to s')}{F(s)}, \qquad P_B(s \mid s') = \frac{F(s \to s')}{F(s')}.$$
#
# Following $P_F$ from $s_0$ ends in $x$ with probability $F(x \to s_f)/F(s_0) = R(x)/Z$. That is the whole trick: **learn a consistent flow and its forward policy samples in proportion to the reward** — not the single best $x$, every $x$, weighted by $R$.
#
# **The hypergrid.** States are points $x \in \{0, \dots, H-1\}^D$, starting at the origin. An action adds 1 to one coordinate (if it stays below $H$) or stops; *every* state can be the terminal one. The reward has a low floor $R_0$ everywhere, a plateau $R_0 + R_1$ near the corners, and a thin ring of high reward $R_0+R_1+R_2$ inside each plateau:
#
# $$R(x) = R_0 + R_1 \prod_{d=1}^{D} \mathbb{1}\Big[\big|\tfrac{x_d}{H-1} - \tfrac12\big| > 0.25\Big] + R_2 \prod_{d=1}^{D} \mathbb{1}\Big[0.3 < \big|\tfrac{x_d}{H-1} - \tfrac12\big| < 0.4\Big].$$
#
# (The standard definition from Bengio et al. 2021, as in `torchgfn`'s `OriginalReward`; the defaults there are $R_0 = 0.1, R_1 = 0.5, R_2 = 2$.) With $D = 2$ there are four high-reward regions, one per corner: the **modes**. A sampler that finds one corner and stays there has failed, however high its reward.

# %% [markdown] id="reward-statement"
# ## Exercise 1 — the hypergrid reward (2 points)
#
# **Implement** `hypergrid_reward(x, height, R0=0.1, R1=0.5, R2=2.0)` for a long tensor of states `x` with shape `(..., D)` (the last axis holds the coordinates, each in $\{0, \dots, H-1\}$, $H \ge 2$). Return a tensor of shape `(...)` and dtype `torch.get_default_dtype()`, read when the function is called (float32 unless changed; after `torch.set_default_dtype(torch.float64)` it must be float64, so `.float()` is not the same); leave `x` unchanged.
#
# The inequalities are strict and must be **decided exactly**: a coordinate whose $|x_d/(H-1) - 1/2|$ is exactly $0.25$, $0.3$ or $0.4$ lies on a boundary and counts as *outside* that region. Floating point cannot decide this: for $H = 6$, `4 / 5 - 0.5` evaluates to `0.30000000000000004` but `abs(1 / 5 - 0.5)` to `0.3`, which would give the mirror-image coordinates 1 and 4 different rewards. Compare integers (or `fractions.Fraction`) instead.
#
# *Hint:* with the integer $c = |2x_d - (H-1)|$, $|x_d/(H-1) - 1/2| = c / (2(H-1))$ exactly, so "$> 0.25$" is `2 * c > height - 1`; then `.all(-1)` combines the conditions over the coordinates.

# %% id="reward-answer" nbgrader={"grade": false, "grade_id": "reward-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def hypergrid_reward(x: torch.Tensor, height: int, R0: float = 0.1, R1: float = 0.5, R2: float = 2.0) -> torch.Tensor:
    """Standard hypergrid reward of states x (..., D) -> (...): R0 + R1 * plateau + R2 * ring."""
    ### BEGIN SOLUTION
    m = height - 1
    c = (2 * x - m).abs()  # |x / (H-1) - 1/2| = c / (2m), exactly, in integers
    plateau = (2 * c > m).all(-1)  # c / (2m) > 1/4
    ring = ((5 * c > 3 * m) & (5 * c < 4 * m)).all(-1)  # 3/10 < c / (2m) < 2/5
    return (R0 + R1 * plateau.double() + R2 * ring.double()).to(torch.get_default_dtype())
    ### END SOLUTION


# %% id="reward-tests" nbgrader={"grade": true, "grade_id": "reward-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
r = hypergrid_reward(torch.tensor([[0, 0], [1, 1], [3, 4], [1, 6]]), height=8)
assert r.shape == (4,) and r.dtype == torch.get_default_dtype(), \
    f"one float per state in the default dtype, got shape {tuple(r.shape)}, dtype {r.dtype}"
assert torch.allclose(r, torch.tensor([0.6, 2.6, 0.1, 2.6])), f"H=8: corner 0.6, ring 2.6, centre 0.1; got {r.tolist()}"
grid8 = grid_states(2, 8)
assert int((hypergrid_reward(grid8, 8) > 2).sum()) == 4, "the 8x8 grid has exactly four ring states, {1, 6}^2"
r6 = hypergrid_reward(torch.tensor([[1], [4]]), height=6)
assert torch.allclose(r6, torch.tensor([0.6, 0.6])), \
    f"H=6: x=1 and x=4 sit exactly on the ring's boundary 0.3 (outside it): both 0.6, got {r6.tolist()} (decide exactly)"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from fractions import Fraction

from utils.testing import assert_unchanged, assert_values


def _reward_exact(point, H, R0, R1, R2):  # the formula in exact rational arithmetic, one coordinate at a time
    a = [abs(Fraction(v, H - 1) - Fraction(1, 2)) for v in point]
    plateau = all(t > Fraction(1, 4) for t in a)
    ring = all(Fraction(3, 10) < t < Fraction(2, 5) for t in a)
    return float(Fraction(R0) + Fraction(R1) * plateau + Fraction(R2) * ring)
_dtype = torch.get_default_dtype()
# H = 5, 6, 11, 21, 41 put coordinates exactly on the boundaries 0.25, 0.3 and 0.4; H = 2 has only corners
for D, H, (R0, R1, R2) in [(2, 8, (0.1, 0.5, 2.0)), (2, 32, (1e-3, 0.5, 2.0)), (3, 6, (0.01, 1.5, 3.0)),
                           (1, 11, (0.2, 0.7, 0.9)), (2, 11, (0.1, 0.5, 2.0)), (2, 21, (0.3, 0.25, 4.0)),
                           (1, 41, (0.1, 0.5, 2.0)), (2, 5, (0.1, 0.5, 2.0)), (4, 2, (0.5, 0.125, 1.0)),
                           (1, 6, (0.1, 0.5, 2.0)), (2, 16, (2.0, 3.0, 5.0))]:
    pts = grid_states(D, H)
    got = assert_unchanged(hypergrid_reward, pts, H, R0, R1, R2)
    want = torch.tensor([_reward_exact(p, H, R0, R1, R2) for p in pts.tolist()], dtype=_dtype)
    assert torch.equal(got, got.flip(0)), f"D={D}, H={H}: mirror-image states x and H-1-x must get the same reward"
    assert_values(got, want, what=f"rewards for D={D}, H={H}, R=({R0}, {R1}, {R2})")
for shape, H in [((5, 7, 2), 32), ((3, 1), 11), ((2,), 21), ((4, 3, 1, 3), 6)]:
    batch = torch.randint(0, H, shape, generator=torch.Generator().manual_seed(0))
    want = torch.tensor([_reward_exact(p, H, 1e-3, 0.5, 2.0) for p in batch.reshape(-1, shape[-1]).tolist()],
                        dtype=_dtype).reshape(shape[:-1])
    assert_values(assert_unchanged(hypergrid_reward, batch, H, 1e-3), want, what=f"a batch of states of shape {shape}")
# the dtype is the default dtype at the time of the call: float64 after torch.set_default_dtype(torch.float64)
_saved = torch.get_default_dtype()
try:
    torch.set_default_dtype(torch.float64)
    for D, H in [(2, 8), (3, 6)]:
        pts = grid_states(D, H)
        want = torch.tensor([_reward_exact(p, H, 0.1, 0.5, 2.0) for p in pts.tolist()], dtype=torch.float64)
        assert_values(assert_unchanged(hypergrid_reward, pts, H), want,
                      what=f"rewards for D={D}, H={H} with torch.set_default_dtype(torch.float64) (return that dtype)")
finally:
    torch.set_default_dtype(_saved)
### END HIDDEN TESTS

# %% [markdown] id="background-tb"
# ## Trajectory balance
#
# Multiply the forward policy along a complete trajectory $\tau = (s_0 \to \dots \to s_n = x \to s_f)$ and the backward policy along the same edges in reverse. For a consistent flow both products describe the same flow of $\tau$:
#
# $$Z \prod_{t=0}^{n} P_F(s_{t+1} \mid s_t) \;=\; R(x) \prod_{t=0}^{n-1} P_B(s_t \mid s_{t+1}), \qquad s_{n+1} = s_f .$$
#
# Malkin et al. (2022) train a learned scalar $\log Z_\theta$ and the forward policy by minimising the squared log-ratio, averaged over a batch of sampled trajectories:
#
# $$\mathcal{L}_{TB} = \frac{1}{B} \sum_{b=1}^{B} \Big( \log Z_\theta + \sum_t \log P_F(\text{edge}_t) - \sum_t \log P_B(\text{edge}_t) - \log R(x_b) \Big)^2 .$$
#
# (The same score as `torchgfn`'s `TBGFlowNet.loss`: $\log Z$ plus the sum of $\log P_F$ minus the sum of $\log P_B$ minus $\log R$, squared, mean over trajectories.) Here $P_B$ is fixed and uniform: a hypergrid state with $k$ non-zero coordinates has $k$ parents, so $\log P_B = -\log k$. The stop edge has $P_B = 1$.
#
# **Why a zero loss means $P_T(x) = R(x)/Z$.** Write $P_F(\tau) = \prod_{t=0}^{n} P_F(s_{t+1} \mid s_t)$ (the probability that the forward policy samples $\tau$, stop edge included) and $P_B(\tau \mid x) = \prod_{t=0}^{n-1} P_B(s_t \mid s_{t+1})$, and let $\mathcal{T}_x$ be the complete trajectories that stop at $x$. Suppose every residual is zero, $Z_\theta P_F(\tau) = R(x) P_B(\tau \mid x)$ for every $\tau \in \mathcal{T}_x$ and every $x$. Sum over $\mathcal{T}_x$:
#
# $$Z_\theta \underbrace{\sum_{\tau \in \mathcal{T}_x} P_F(\tau)}_{=\,P_T(x)} \;=\; R(x) \underbrace{\sum_{\tau \in \mathcal{T}_x} P_B(\tau \mid x)}_{=\,1} .$$
#
# The left sum is the probability of stopping at $x$, by definition. The right sum is 1 because $P_B$ is a policy that walks backwards from $x$: each step picks a parent with probabilities summing to 1, and every backward walk reaches $s_0$ (here the coordinate sum drops by one per step), so the products over all backward walks from $x$ add up to 1. Hence $Z_\theta P_T(x) = R(x)$; summing over $x$ (the $P_T(x)$ sum to 1) gives $Z_\theta = \sum_x R(x) = Z$, so $P_T(x) = R(x)/Z$ — and the learned $\log Z_\theta$ is the true $\log Z$, which the experiment below checks.
#
# **The data layout used all through this notebook.** A batch of trajectories is padded to length $T$ (the longest trajectory's number of edges, stop included). Position $t$ holds state $s_t$ *and* the edge leaving it, so a trajectory with $n$ moves fills positions $0..n$ and position $n$ is its stop edge:
#
# | tensor `(B, T)` | at position $t$ |
# |---|---|
# | `log_pf` | $\log P_F$ of edge $t$ (a move for $t < n$, the stop for $t = n$) |
# | `log_pb` | $\log P_B(s_t \mid s_{t+1})$ for $t < n$; 0 for the stop edge |
# | `mask` | True for $t \le n$; **the values at masked positions are arbitrary** |

# %% [markdown] id="tb-statement"
# ## Exercise 2 — the trajectory balance loss (2 points)
#
# **Implement** `trajectory_balance_loss(log_Z, log_pf, log_pb, log_reward, mask)`: `log_Z` a scalar tensor, `log_pf`, `log_pb` float `(B, T)`, `log_reward` float `(B,)` (log-reward of each trajectory's terminal state), `mask` bool `(B, T)`. Return the scalar $\mathcal{L}_{TB}$ above (mean over the $B$ trajectories), in the dtype of the inputs.
#
# - The values at masked positions are arbitrary (large numbers, `inf` and `-inf` included): they must change neither the loss nor its gradients (no `nan`).
# - Training differentiates the loss, so gradients must flow to `log_Z` and `log_pf`: build it with tensor operations (no `.detach()`, `.item()`, `torch.no_grad()` or `torch.tensor(...)` around computed values).
# - Leave every argument unchanged.
#
# *Hint:* `torch.where(mask, log_pf, 0.0).sum(1)` sums a trajectory's edges and ignores the padding, whatever it holds.

# %% id="tb-answer" nbgrader={"grade": false, "grade_id": "tb-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def trajectory_balance_loss(log_Z: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
                            log_reward: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over trajectories of (log Z + sum log PF - sum log PB - log R)^2; padded positions ignored."""
    ### BEGIN SOLUTION
    sum_pf = torch.where(mask, log_pf, torch.zeros_like(log_pf)).sum(1)
    sum_pb = torch.where(mask, log_pb, torch.zeros_like(log_pb)).sum(1)
    return (log_Z + sum_pf - sum_pb - log_reward).pow(2).mean()
    ### END SOLUTION


# %% id="tb-tests" nbgrader={"grade": true, "grade_id": "tb-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
mask = torch.tensor([[True, True, True], [True, False, False]])
lpf = torch.tensor([[math.log(0.5), math.log(0.5), math.log(0.25)], [math.log(0.2), 9.0, 9.0]])
lpb = torch.tensor([[0.0, -math.log(2.0), 0.0], [0.0, 7.0, 7.0]])
lr = torch.tensor([math.log(3.0), math.log(1.5)])
loss = trajectory_balance_loss(torch.tensor(math.log(48.0)), lpf, lpb, lr, mask)
assert loss.ndim == 0, f"return a scalar, got shape {tuple(loss.shape)}"
# trajectory 1: log 48 + log(1/16) + log 2 - log 3 = log 2; trajectory 2: log 48 + log 0.2 - log 1.5 = log 6.4
want = (math.log(2.0) ** 2 + math.log(6.4) ** 2) / 2
assert abs(loss.item() - want) < 1e-5, f"expected {want:.5f}, got {loss.item():.5f} (padding must be ignored)"
lz_v, lpf_v = torch.tensor(math.log(48.0), requires_grad=True), lpf.clone().requires_grad_(True)
loss_v = trajectory_balance_loss(lz_v, lpf_v, lpb, lr, mask)
assert loss_v.requires_grad, "no gradient flows: do not use .detach(), .item(), torch.no_grad() or torch.tensor(...)"
loss_v.backward()
assert lz_v.grad is not None and lpf_v.grad is not None, "the loss must be differentiable in log_Z and log_pf"
assert abs(lz_v.grad.item() - (math.log(2.0) + math.log(6.4))) < 1e-5, f"d loss / d log_Z = mean of 2 x residual, got {lz_v.grad.item()}"
assert lpf_v.grad[1, 1:].abs().sum() == 0, "padded positions must get no gradient"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.gflownets import grid_forward_mask, masked_log_softmax
from utils.testing import assert_grads_match, assert_unchanged, assert_values


def _tb_exact(lz, lpf, lpb, lr, lengths):  # Python floats, one trajectory at a time, exactly rounded sums
    return sum((lz + math.fsum(lpf[b][:L]) - math.fsum(lpb[b][:L]) - lr[b]) ** 2
               for b, L in enumerate(lengths)) / len(lengths)

def _tb_sliced(lz, lpf, lpb, lr, lengths):  # autograd reference without a mask: slice each trajectory
    return torch.stack([(lz + lpf[b, :L].sum() - lpb[b, :L].sum() - lr[b]) ** 2 for b, L in enumerate(lengths)]).mean()
g = torch.Generator().manual_seed(5)
for B, T, pad, scale in [(1, 1, math.inf, 1.0), (4, 6, -math.inf, 1.0), (16, 11, math.inf, 3.0),
                         (5, 7, 1e300, 1.0), (6, 5, -math.inf, 400.0), (3, 4, math.inf, 1.0)]:
    lengths = torch.randint(1, T + 1, (B,), generator=g)
    lengths[0] = T
    lengths[-1] = 1 if B > 1 else T
    m = torch.arange(T)[None] < lengths[:, None]
    lpf = -torch.rand(B, T, generator=g, dtype=torch.float64) * scale  # scale 400: exp() underflows to 0
    lpb = -torch.rand(B, T, generator=g, dtype=torch.float64) * 2
    lr = torch.randn(B, generator=g, dtype=torch.float64) * 3
    lz = torch.randn((), generator=g, dtype=torch.float64)
    lpf_pad, lpb_pad = lpf.masked_fill(~m, pad), lpb.masked_fill(~m, -pad)  # garbage in the padding
    L = lengths.tolist()
    got = assert_unchanged(trajectory_balance_loss, lz, lpf_pad, lpb_pad, lr, m)
    want = torch.tensor(_tb_exact(lz.item(), lpf.tolist(), lpb.tolist(), lr.tolist(), L), dtype=torch.float64)
    assert_values(got, want, what=f"TB loss, B={B}, T={T}, padding {pad}")
    assert_grads_match(trajectory_balance_loss, lambda z, f, b_, r, _m: _tb_sliced(z, f, b_, r, L),
                       lz, lpf_pad, lpb_pad, lr, m, argnums=(0, 1), what=f"TB loss, B={B}, T={T}, padding {pad}")
    assert_values(trajectory_balance_loss(lz.float(), lpf_pad.float(), lpb_pad.float(), lr.float(), m), want.float(),
                  what=f"TB loss of float32 inputs, B={B}, T={T}")
# whole sampled trajectories: the layout of the training loop against a walk along each trajectory's states
D, H, N = 2, 5, 24
_st = grid_states(D, H)
table = masked_log_softmax(torch.randn(H ** D, D + 1, generator=g, dtype=torch.float64), grid_forward_mask(_st, H))
log_r_all = torch.randn(H ** D, generator=g, dtype=torch.float64)
traj = sample_grid_trajectories(table, D, H, N, g)

def _tb_walk(lz, tab, lr_all):  # follow each trajectory: P_B(s_t | s_t+1) = 1 / (number of non-zero coordinates)
    out = []
    for b in range(N):
        n = int(traj.mask[b].sum())
        s, a = traj.states[b, :n].tolist(), traj.actions[b, :n].tolist()
        total = lz - lr_all[s[-1]]
        for t in range(n):
            total = total + tab[s[t], a[t]]
            if a[t] < D:
                total = total + math.log(int((_st[s[t + 1]] > 0).sum()))
        out.append(total ** 2)
    return torch.stack(out).mean()

def _tb_layout(lz, tab, lr_all):
    terms = grid_trajectory_terms(traj, tab, torch.zeros(H ** D, dtype=torch.float64), lr_all, D, H)
    return trajectory_balance_loss(lz, terms["log_pf"], terms["log_pb"], terms["log_reward"], terms["mask"])
lz = torch.tensor(1.3, dtype=torch.float64)
assert_values(_tb_layout(lz, table, log_r_all), _tb_walk(lz, table, log_r_all), what="TB on sampled grid trajectories")
assert_grads_match(_tb_layout, _tb_walk, lz, table, log_r_all, argnums=(0, 1),
                   what="TB on sampled grid trajectories (gradients to log Z and the policy table)")
# a perfectly balanced trajectory has zero loss
z = trajectory_balance_loss(torch.tensor(1.0, dtype=torch.float64), torch.tensor([[-1.0, -2.0]], dtype=torch.float64),
                            torch.tensor([[-0.5, 0.0]], dtype=torch.float64), torch.tensor([-1.5], dtype=torch.float64),
                            torch.tensor([[True, True]]))
assert_values(z, torch.tensor(0.0, dtype=torch.float64), what="a balanced trajectory")
### END HIDDEN TESTS

# %% [markdown] id="background-db"
# ## Detailed balance
#
# TB judges a whole trajectory by one number. **Detailed balance** (Bengio et al. 2023, GFlowNet Foundations, §3.2) instead learns the state flow $F_\theta(s)$ (a second output of the network) and checks flow consistency *edge by edge*:
#
# $$F(s)\,P_F(s' \mid s) = F(s')\,P_B(s \mid s') \quad\text{for a move } s \to s', \qquad F(s)\,P_F(s_f \mid s) = R(s) \quad\text{for a stop edge}.$$
#
# In the hypergrid **every state can stop**, so every visited state $s_t$ contributes its stop edge, whether or not the trajectory stopped there: the loss sees the reward of every state it passes through. That is local credit. (In `torchgfn`'s `DBGFlowNet` the stop edge's target $\log F(s_f\text{-side})$ is $\log R(s)$, exactly our second condition; it scores the stop edges that were sampled. We score the stop edge of every visited state, which is a valid edge of the same DAG.) With the layout above, and `log_F`, `log_pf_stop`, `log_r` `(B, T)` holding $\log F(s_t)$, $\log P_F(s_f \mid s_t)$ and $\log R(s_t)$:
#
# $$\delta^{\text{move}}_t = \log F(s_t) + \log P_F(\text{edge}_t) - \log F(s_{t+1}) - \log P_B(\text{edge}_t) \quad (t < n), \qquad \delta^{\text{stop}}_t = \log F(s_t) + \log P_F(s_f \mid s_t) - \log R(s_t) \quad (t \le n),$$
#
# $$\mathcal{L}_{DB} = \frac{\sum_{b}\big(\sum_{t<n_b} (\delta^{\text{move}}_{b,t})^2 + \sum_{t \le n_b} (\delta^{\text{stop}}_{b,t})^2\big)}{\#\text{move terms} + \#\text{stop terms}} ,$$
#
# the mean over all the terms of the batch.
#
# **Why zero DB residuals also give $P_T(x) = R(x)/Z$.** Take any complete trajectory $s_0 \to \dots \to s_n = x \to s_f$ and suppose every residual on it is zero. Multiply the $n$ move conditions $F(s_t) P_F(s_{t+1} \mid s_t) = F(s_{t+1}) P_B(s_t \mid s_{t+1})$: each intermediate flow $F(s_1), \dots, F(s_{n-1})$ appears once on each side and cancels (the product telescopes), leaving
#
# $$F(s_0) \prod_{t=0}^{n-1} P_F(s_{t+1} \mid s_t) = F(x) \prod_{t=0}^{n-1} P_B(s_t \mid s_{t+1}) .$$
#
# Multiply both sides by $P_F(s_f \mid x)$ and use the stop condition $F(x) P_F(s_f \mid x) = R(x)$:
#
# $$F(s_0) \prod_{t=0}^{n} P_F(s_{t+1} \mid s_t) = R(x) \prod_{t=0}^{n-1} P_B(s_t \mid s_{t+1}) ,$$
#
# the trajectory balance condition with $Z_\theta = F(s_0)$. The argument above then gives $P_T(x) = R(x)/Z$ and $F(s_0) = Z$: DB's $\log F(s_0)$ must converge to $\log Z$. (Equivalently, by induction on $t$: $F(s_0) \prod_{u<t} P_F(s_{u+1} \mid s_u) = F(s_t) \prod_{u<t} P_B(s_u \mid s_{u+1})$ for every prefix.)

# %% [markdown] id="db-statement"
# ## Exercise 3 — the detailed balance loss (3 points)
#
# **Implement** `detailed_balance_loss(log_F, log_pf, log_pb, log_pf_stop, log_r, mask)`, all float `(B, T)` except `mask` (bool `(B, T)`, True at positions $0..n_b$). Return the scalar $\mathcal{L}_{DB}$, in the dtype of the inputs. Edge $t$ is a move exactly when positions $t$ and $t+1$ are both valid; the last valid position is the stop edge and has no move term. A batch in which every trajectory stops at once ($n_b = 0$) has stop terms only.
#
# - The values at masked positions are arbitrary (large numbers, `inf` and `-inf` included): they must change neither the loss nor its gradients (no `nan`).
# - Gradients must flow to `log_F`, `log_pf` and `log_pf_stop` (the network's outputs; no `.detach()` anywhere, not even on $\log F(s_{t+1})$).
# - Leave every argument unchanged.
#
# *Hint:* slice `[:, :-1]` for $s_t$ and `[:, 1:]` for $s_{t+1}$; the move mask is `mask[:, :-1] & mask[:, 1:]`; mask *before* squaring.

# %% id="db-answer" nbgrader={"grade": false, "grade_id": "db-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def detailed_balance_loss(log_F: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
                          log_pf_stop: torch.Tensor, log_r: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of the squared move residuals and the squared stop residuals of every visited state."""
    ### BEGIN SOLUTION
    zero = torch.zeros((), dtype=log_F.dtype)
    move = mask[:, :-1] & mask[:, 1:]
    delta_move = log_F[:, :-1] + log_pf[:, :-1] - log_F[:, 1:] - log_pb[:, :-1]
    delta_stop = log_F + log_pf_stop - log_r
    total = torch.where(move, delta_move, zero).pow(2).sum() + torch.where(mask, delta_stop, zero).pow(2).sum()
    return total / (move.sum() + mask.sum())
    ### END SOLUTION


# %% id="db-tests" nbgrader={"grade": true, "grade_id": "db-tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# one trajectory s0 -> s1 -> stop (T = 2) and one that stops at once (padded)
mask = torch.tensor([[True, True], [True, False]])
log_F = torch.tensor([[1.0, 0.5], [0.3, 8.0]])
log_pf = torch.tensor([[-0.7, -1.2], [-2.0, 8.0]])
log_pb = torch.tensor([[0.0, 0.0], [0.0, 8.0]])
log_pf_stop = torch.tensor([[-1.1, -1.2], [-2.0, 8.0]])
log_r = torch.tensor([[0.2, -0.4], [-1.0, 8.0]])
loss = detailed_balance_loss(log_F, log_pf, log_pb, log_pf_stop, log_r, mask)
assert loss.ndim == 0, f"return a scalar, got shape {tuple(loss.shape)}"
terms = [1.0 - 0.7 - 0.5 - 0.0,   # move s0 -> s1
         1.0 - 1.1 - 0.2,         # stop edge of s0 (never taken, still scored)
         0.5 - 1.2 + 0.4,         # stop edge of s1
         0.3 - 2.0 + 1.0]         # stop edge of the second trajectory's s0
want = sum(d * d for d in terms) / len(terms)
assert abs(loss.item() - want) < 1e-6, f"expected {want:.6f} (mean of 4 squared terms), got {loss.item():.6f}"
log_F_v = log_F.clone().requires_grad_(True)
loss_v = detailed_balance_loss(log_F_v, log_pf, log_pb, log_pf_stop, log_r, mask)
assert loss_v.requires_grad, "no gradient flows: do not use .detach(), .item(), torch.no_grad() or torch.tensor(...)"
loss_v.backward()
assert log_F_v.grad is not None, "the loss must be differentiable in log_F"
# d loss / d log F(s1) = 2 (-move + stop of s1) / 4: s1 is the target of the move and the source of its stop edge
assert abs(log_F_v.grad[0, 1].item() - (-terms[0] + terms[2]) / 2) < 1e-6, \
    f"gradient at log F(s1) must count both terms it enters, got {log_F_v.grad[0, 1].item():.6f}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.gflownets import grid_forward_mask, masked_log_softmax
from utils.testing import assert_grads_match, assert_unchanged, assert_values


def _db_exact(lF, lpf, lpb, lstop, lr, lengths):  # Python floats: an explicit loop over the edges of each trajectory
    sq = []
    for b, L in enumerate(lengths):
        for t in range(L):
            if t + 1 < L:
                sq.append((lF[b][t] + lpf[b][t] - lF[b][t + 1] - lpb[b][t]) ** 2)
            sq.append((lF[b][t] + lstop[b][t] - lr[b][t]) ** 2)
    return math.fsum(sq) / len(sq)

def _db_sliced(lF, lpf, lpb, lstop, lr, lengths):  # autograd reference without a mask: slice each trajectory
    parts = []
    for b, L in enumerate(lengths):
        f = lF[b, :L]
        parts += [f[:-1] + lpf[b, :L - 1] - f[1:] - lpb[b, :L - 1], f + lstop[b, :L] - lr[b, :L]]
    return torch.cat(parts).pow(2).mean()
g = torch.Generator().manual_seed(7)
for B, T, pad, scale in [(1, 1, math.inf, 1.0), (3, 4, -math.inf, 1.0), (12, 9, math.inf, 2.0), (4, 1, -math.inf, 1.0),
                         (5, 6, 1e300, 1.0), (6, 5, math.inf, 300.0)]:
    lengths = torch.randint(1, T + 1, (B,), generator=g)
    lengths[0] = T
    lengths[-1] = 1 if B > 1 else T
    m = torch.arange(T)[None] < lengths[:, None]
    t5 = [torch.randn(B, T, generator=g, dtype=torch.float64) * scale for _ in range(5)]
    garbage = [x.masked_fill(~m, pad if i % 2 else -pad) for i, x in enumerate(t5)]
    L = lengths.tolist()
    got = assert_unchanged(detailed_balance_loss, *garbage, m)
    want = torch.tensor(_db_exact(*(x.tolist() for x in t5), L), dtype=torch.float64)
    assert_values(got, want, what=f"DB loss, B={B}, T={T}, padding {pad}")
    assert_grads_match(detailed_balance_loss, lambda *a: _db_sliced(*a[:5], L), *garbage, m, argnums=(0, 1, 3),
                       what=f"DB loss, B={B}, T={T}, padding {pad}")
    assert_values(detailed_balance_loss(*(x.float() for x in garbage), m), want.float(),
                  what=f"DB loss of float32 inputs, B={B}, T={T}")
# whole sampled trajectories: the layout of the training loop against a walk along each trajectory's states
D, H, N = 2, 5, 24
_st = grid_states(D, H)
table = masked_log_softmax(torch.randn(H ** D, D + 1, generator=g, dtype=torch.float64), grid_forward_mask(_st, H))
flow_all, log_r_all = (torch.randn(H ** D, generator=g, dtype=torch.float64) for _ in range(2))
traj = sample_grid_trajectories(table, D, H, N, g)

def _db_walk(tab, fl, lr_all):  # every visited state scores its stop edge; every move scores F, P_F, F', P_B
    sq = []
    for b in range(N):
        n = int(traj.mask[b].sum())
        s, a = traj.states[b, :n].tolist(), traj.actions[b, :n].tolist()
        for t in range(n):
            sq.append((fl[s[t]] + tab[s[t], D] - lr_all[s[t]]) ** 2)
            if a[t] < D:
                sq.append((fl[s[t]] + tab[s[t], a[t]] - fl[s[t + 1]] + math.log(int((_st[s[t + 1]] > 0).sum()))) ** 2)
    return torch.stack(sq).mean()

def _db_layout(tab, fl, lr_all):
    t = grid_trajectory_terms(traj, tab, fl, lr_all, D, H)
    return detailed_balance_loss(t["log_F"], t["log_pf"], t["log_pb"], t["log_pf_stop"], t["log_r"], t["mask"])
assert_values(_db_layout(table, flow_all, log_r_all), _db_walk(table, flow_all, log_r_all),
              what="DB on sampled grid trajectories")
assert_grads_match(_db_layout, _db_walk, table, flow_all, log_r_all, argnums=(0, 1),
                   what="DB on sampled grid trajectories (gradients to the policy and flow tables)")
### END HIDDEN TESTS

# %% [markdown] id="background-dp"
# ## The exact terminal distribution
#
# Sampled trajectories only *estimate* which distribution a policy follows. On a grid we can compute it exactly. Let $\rho(s)$ be the probability that a trajectory passes through $s$. Then $\rho(s_0) = 1$ and, since the only way into $s$ is from one of its parents $s - e_d$ by the move "add 1 to coordinate $d$",
#
# $$\rho(s) = \sum_{d:\, s_d > 0} \rho(s - e_d)\, P_F(s \mid s - e_d), \qquad P_T(x) = \rho(x)\, P_F(s_f \mid x).$$
#
# Every parent has a smaller coordinate sum than its child, so computing $\rho$ level by level (level = $\sum_d s_d$) visits parents first: dynamic programming over the DAG in topological order, $O(H^D \cdot D)$ work in total.
#
# States are indexed as in `grid_states(D, H)`: state $s$ sits at row $\sum_d s_d H^{D-1-d}$, so the parent $s - e_d$ sits $H^{D-1-d}$ rows earlier.

# %% [markdown] id="dp-statement"
# ## Exercise 4 — the exact terminal distribution by dynamic programming (3 points)
#
# **Implement** `terminal_distribution(log_pf_all, ndim, height)`: `log_pf_all` is a float `(H**D, D+1)` table, row $i$ holding $\log P_F(\cdot \mid s)$ for the state in row $i$ of `grid_states(D, H)` (column $d < D$: add 1 to coordinate $d$, `-inf` when not allowed; column $D$: stop). Any entry may be `-inf` (probability 0), allowed moves and the stop included, and so may a **whole row**: a dead end, a state where every action has probability 0. Use the probabilities exactly as given: renormalise neither a row (an all `-inf` row means all zeros, never `nan`) nor the result. The mass that reaches a dead end is lost, so $P_T$ then sums to less than 1; a state that cannot be reached gets $P_T = 0$, whatever its row holds (all `-inf` included). Return $P_T$ as a `(H**D,)` tensor of the dtype of `log_pf_all`, computed in that precision, and leave `log_pf_all` unchanged. Do not sample.
#
# *Hint:* `grid_states(ndim, height).sum(1)` gives each row's level; for the rows of one level, gather the parents' $\rho$ and the matching $P_F$ column, and mask coordinates that are 0.

# %% id="dp-answer" nbgrader={"grade": false, "grade_id": "dp-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def terminal_distribution(log_pf_all: torch.Tensor, ndim: int, height: int) -> torch.Tensor:
    """Exact P_T over all H**D states of the forward policy log_pf_all (H**D, D+1), by DP over levels."""
    ### BEGIN SOLUTION
    states = grid_states(ndim, height)
    pf = log_pf_all.exp()
    reach = torch.zeros(states.shape[0], dtype=pf.dtype)
    reach[0] = 1.0
    level = states.sum(1)
    strides = height ** torch.arange(ndim - 1, -1, -1)
    for lev in range(1, int(level.max()) + 1):
        rows = torch.nonzero(level == lev).squeeze(1)
        total = torch.zeros(rows.numel(), dtype=pf.dtype)
        for d in range(ndim):
            has_parent = states[rows, d] > 0
            parent = (rows - strides[d]).clamp(min=0)
            total = total + torch.where(has_parent, reach[parent] * pf[parent, d], torch.zeros_like(total))
        reach[rows] = total
    return reach * pf[:, ndim]
    ### END SOLUTION


# %% id="dp-tests" nbgrader={"grade": true, "grade_id": "dp-tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# a uniform policy on the 1-D grid {0, 1, 2}: stop or step with probability 1/2 each (only stop at the end)
lp = torch.log(torch.tensor([[0.5, 0.5], [0.5, 0.5], [0.0, 1.0]]))
p = terminal_distribution(lp, ndim=1, height=3)
assert p.shape == (3,), f"one probability per state, got shape {tuple(p.shape)}"
assert torch.allclose(p, torch.tensor([0.5, 0.25, 0.25])), f"expected [0.5, 0.25, 0.25], got {p.tolist()}"
policy0 = GridPolicy(2, 4)
with torch.no_grad():
    lp2, _ = policy0.all_states()
p2 = terminal_distribution(lp2.double(), 2, 4)
assert p2.dtype == torch.float64, f"keep the dtype of log_pf_all (float64 here), got {p2.dtype}"
assert abs(p2.sum().item() - 1) < 1e-5, f"P_T must sum to 1, got {p2.sum().item()}"
lp_dead = torch.log(torch.tensor([[0.5, 0.5], [0.0, 0.0], [0.0, 1.0]]))  # state 1 is a dead end: its row is all -inf
p_dead = terminal_distribution(lp_dead, ndim=1, height=3)
assert torch.allclose(p_dead, torch.tensor([0.5, 0.0, 0.0])), \
    f"a dead end (an all -inf row) loses the mass that reaches it: expected [0.5, 0, 0] (no nan, no renormalising), got {p_dead.tolist()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_samples_follow, assert_unchanged, assert_values


def _enumerate(lp, D, H):  # independent formulation: enumerate every trajectory recursively
    lp = lp.tolist()
    out = [0.0] * (H ** D)
    def walk(x, prob):
        i = sum(v * H ** (D - 1 - d) for d, v in enumerate(x))
        out[i] += prob * math.exp(lp[i][D])
        for d in range(D):
            if x[d] < H - 1 and lp[i][d] > -math.inf:
                walk(x[:d] + (x[d] + 1,) + x[d + 1:], prob * math.exp(lp[i][d]))
    walk((0,) * D, 1.0)
    return torch.tensor(out, dtype=torch.float64)
g = torch.Generator().manual_seed(3)
for D, H, drop in [(1, 2, 0.0), (1, 5, 0.0), (2, 3, 0.0), (2, 5, 0.3), (3, 3, 0.0), (4, 2, 0.2), (2, 2, 0.0), (3, 4, 0.25)]:
    st = grid_states(D, H)
    logits = torch.randn(H ** D, D + 1, generator=g, dtype=torch.float64) * 1.5
    allowed = torch.cat([st < H - 1, torch.ones(H ** D, 1, dtype=torch.bool)], 1)
    allowed &= torch.rand(H ** D, D + 1, generator=g) >= drop  # some allowed moves (or stops) get probability 0
    allowed[:, D] |= ~allowed[:, :D].any(1)                      # every row keeps one action
    lp = torch.log_softmax(logits.masked_fill(~allowed, -math.inf), -1)
    want = _enumerate(lp, D, H)
    got = assert_unchanged(terminal_distribution, lp, D, H)
    assert_values(got, want, what=f"P_T for D={D}, H={H}")
    assert_values(terminal_distribution(lp.float(), D, H), want.float(), what=f"P_T of a float32 table, D={D}, H={H}")
# a policy that always stops at the origin
lp = torch.full((9, 3), -math.inf, dtype=torch.float64)
lp[:, 2] = 0.0
assert_values(terminal_distribution(lp, 2, 3), torch.eye(9, dtype=torch.float64)[0], what="a policy that always stops")
# sampling agrees with the exact distribution (a fixed seed, chi-square over the terminal states)
st = grid_states(2, 4)
lp = torch.log_softmax(torch.randn(16, 3, generator=g, dtype=torch.float64).masked_fill(
    ~torch.cat([st < 3, torch.ones(16, 1, dtype=torch.bool)], 1), -math.inf), -1)
p_T = terminal_distribution(lp, 2, 4)
assert_samples_follow(sample_grid_trajectories(lp, 2, 4, 4000, torch.Generator().manual_seed(8)).final.tolist(),
                      dict(enumerate(p_T.tolist())), what="terminal states sampled from the policy")


def _reachable(lp, D, H):  # states a trajectory can visit: follow the moves of probability > 0 from the origin
    seen, todo = {0}, [(0,) * D]
    while todo:
        x = todo.pop()
        i = sum(v * H ** (D - 1 - d) for d, v in enumerate(x))
        for d in range(D):
            y = x[:d] + (x[d] + 1,) + x[d + 1:]
            j = i + H ** (D - 1 - d)
            if x[d] < H - 1 and lp[i, d] > -math.inf and j not in seen:
                seen.add(j)
                todo.append(y)
    return seen


# dead ends: whole rows of -inf, in states that are reached (their mass is lost) and in states that are not
g_dead = torch.Generator().manual_seed(13)
for D, H, dead in [(1, 4, [1, 3]), (2, 4, [1, 4, 6, 15]), (2, 5, [2, 5, 7, 11, 12, 14, 24]), (3, 3, [1, 3, 4, 13, 26])]:
    st = grid_states(D, H)
    allowed = torch.cat([st < H - 1, torch.ones(H ** D, 1, dtype=torch.bool)], 1)
    lp = torch.log_softmax(torch.randn(H ** D, D + 1, generator=g_dead, dtype=torch.float64).masked_fill(~allowed, -math.inf), -1)
    lp[dead] = -math.inf
    seen = _reachable(lp, D, H)
    assert any(i in seen for i in dead) and any(i not in seen for i in dead)  # both kinds (a check of this test)
    want = _enumerate(lp, D, H)
    assert float(want.sum()) < 0.999  # mass is lost at the reached dead ends
    got = assert_unchanged(terminal_distribution, lp, D, H)
    assert_values(got, want, what=f"P_T with dead ends (all -inf rows) in states {dead}, D={D}, H={H}: the mass that reaches "
                                  "a dead end is lost (no nan, no renormalising rows or P_T)")
    assert all(got[i] == 0 for i in range(H ** D) if i not in seen), "states that cannot be reached get P_T = 0"
# a dead end at the origin: nothing terminates anywhere
st = grid_states(2, 3)
lp = torch.log_softmax(torch.randn(9, 3, generator=g_dead, dtype=torch.float64).masked_fill(
    ~torch.cat([st < 2, torch.ones(9, 1, dtype=torch.bool)], 1), -math.inf), -1)
lp[0] = -math.inf
assert_values(terminal_distribution(lp, 2, 3), torch.zeros(9, dtype=torch.float64), what="a dead end at the origin: P_T = 0 everywhere")
### END HIDDEN TESTS

# %% [markdown] id="flow-statement"
# ## Exercise 5 — the exact flow, derived (derive, then predict; 2 points)
#
# This one has no code in its hint: derive the recursion on paper first. Fix the backward policy to the uniform $P_B$ the losses use ($P_B(s \mid s') = 1/k(s')$, with $k(s')$ the number of non-zero coordinates of $s'$). For a reward $R \ge 0$ there is exactly one flow on the hypergrid DAG with this $P_B$ whose stop edges carry $F(s \to s_f) = R(s)$: each move edge carries $F(s \to s') = F(s')\,P_B(s \mid s')$, and the state flow $F(s)$ is the total flow out of $s$, its stop edge included. It is the flow a perfectly trained DB model learns.
#
# **Implement** `exact_state_flow(reward_all, ndim, height)`: `reward_all` a float `(H**D,)` tensor holding $R$ of the state in each row of `grid_states(D, H)`, every entry $\ge 0$ (zeros allowed). Return $F(s)$ for every state as a new `(H**D,)` tensor of the dtype of `reward_all`, computed in that precision (the tests compare with an independent computation within relative $10^{-9}$ for float64, on grids with $D$ from 1 to 4); leave `reward_all` unchanged; raise a `ValueError` if `reward_all` is not 1-D of length `height ** ndim`. No gradient is needed. Do not sample.
#
# *Hint:* write flow conservation at a state $s$: which edges leave it, and how much of each child's flow comes back along the edge from $s$? Which flows must be known before $F(s)$?
#
# **Predict, then check.** Before you run the picture below, decide what $F(s_0)$ must equal. The cell prints it.

# %% id="flow-answer" nbgrader={"grade": false, "grade_id": "flow-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def exact_state_flow(reward_all: torch.Tensor, ndim: int, height: int) -> torch.Tensor:
    """State flow F(s) of the flow with uniform P_B and stop flows R(s), for all H**D states."""
    ### BEGIN SOLUTION
    if reward_all.dim() != 1 or reward_all.shape[0] != height ** ndim:
        raise ValueError(f"reward_all must have shape ({height ** ndim},), got {tuple(reward_all.shape)}")
    states = grid_states(ndim, height)
    n_parents = (states > 0).sum(1)  # k(s'): P_B(s | s') = 1 / k(s')
    level = states.sum(1)
    strides = height ** torch.arange(ndim - 1, -1, -1)
    zero = torch.zeros((), dtype=reward_all.dtype)
    flow = reward_all.clone()  # the stop edge of every state
    for lev in range(int(level.max()) - 1, -1, -1):  # children (one level up) before parents
        rows = torch.nonzero(level == lev).squeeze(1)
        for d in range(ndim):
            has_child = states[rows, d] < height - 1
            child = (rows + strides[d]).clamp(max=states.shape[0] - 1)
            flow[rows] = flow[rows] + torch.where(has_child, flow[child] / n_parents[child], zero)
    return flow
    ### END SOLUTION


# %% id="flow-tests" nbgrader={"grade": true, "grade_id": "flow-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
f1 = exact_state_flow(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64), ndim=1, height=3)
assert f1.shape == (3,) and f1.dtype == torch.float64, f"one float64 flow per state, got shape {tuple(f1.shape)}, dtype {f1.dtype}"
assert torch.allclose(f1, torch.tensor([6.0, 5.0, 3.0], dtype=torch.float64)), \
    f"a 1-D chain: everything that stops at or beyond s flows through s, expected [6, 5, 3], got {f1.tolist()}"
f2 = exact_state_flow(torch.tensor([1.0, 1.0, 1.0, 4.0], dtype=torch.float64), ndim=2, height=2)
assert torch.allclose(f2, torch.tensor([7.0, 3.0, 3.0, 4.0], dtype=torch.float64)), \
    f"2x2 grid, R = [1, 1, 1, 4]: (1, 1) has two parents, so each receives half of its flow; expected [7, 3, 3, 4], got {f2.tolist()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_raises, assert_unchanged, assert_values


def _flow_by_backward_walks(rewards, D, H):  # independent formulation: follow every backward walk from every state
    out = [0.0] * (H ** D)
    def walk(s, weight):  # weight = R(x) * P_B(this backward walk from x, so far)
        out[sum(v * H ** (D - 1 - d) for d, v in enumerate(s))] += weight
        k = sum(v > 0 for v in s)
        for d in range(D):
            if s[d] > 0:
                walk(s[:d] + (s[d] - 1,) + s[d + 1:], weight / k)
    for i, x in enumerate(grid_states(D, H).tolist()):
        if rewards[i] != 0:
            walk(tuple(x), rewards[i])
    return out
g = torch.Generator().manual_seed(21)
for D, H in [(1, 2), (1, 7), (2, 2), (2, 5), (2, 8), (3, 3), (3, 4), (4, 2)]:
    R = torch.rand(H ** D, generator=g, dtype=torch.float64) * 3
    R[torch.rand(H ** D, generator=g) < 0.25] = 0.0  # zero rewards
    R[-1] = 0.0  # a zero at the far corner
    want = torch.tensor(_flow_by_backward_walks(R.tolist(), D, H), dtype=torch.float64)
    got = assert_unchanged(exact_state_flow, R, D, H)
    assert_values(got, want, what=f"exact state flow, D={D}, H={H}")
    assert torch.all(got[want == 0] == 0), \
        f"D={D}, H={H}: a state with no reward at or beyond it carries no flow: exactly 0, got {got[want == 0].tolist()}"
    assert_values(got[0], R.sum(), what=f"F(s0) = Z, D={D}, H={H}")
    assert_values(exact_state_flow(R.float(), D, H), want.float(), what=f"exact state flow of a float32 reward, D={D}, H={H}")
# the notebook's reward values (0.1, 0.6, 2.6 on the 8x8 grid), built here without Exercise 1, in float32
R8 = torch.full((8, 8), 0.1, dtype=torch.float64)
R8[torch.tensor([0, 1, 6, 7])[:, None], torch.tensor([0, 1, 6, 7])] = 0.6
R8[torch.tensor([1, 6])[:, None], torch.tensor([1, 6])] = 2.6
want8 = torch.tensor(_flow_by_backward_walks(R8.reshape(-1).float().tolist(), 2, 8), dtype=torch.float32)
assert_values(assert_unchanged(exact_state_flow, R8.reshape(-1).float(), 2, 8), want8,
              what="exact state flow of the 8x8 hypergrid reward in float32")
# huge rewards: compared in relative precision
R = torch.rand(27, generator=g, dtype=torch.float64) * 1e250
assert_values(exact_state_flow(R, 3, 3), torch.tensor(_flow_by_backward_walks(R.tolist(), 3, 3), dtype=torch.float64),
              what="rewards of order 1e250")
assert_raises(ValueError, exact_state_flow, torch.ones(15, dtype=torch.float64), 2, 4)
assert_raises(ValueError, exact_state_flow, torch.ones(4, 4, dtype=torch.float64), 2, 4)
### END HIDDEN TESTS

# %% [markdown] id="flow-picture-intro"
# ### A picture of the flow
#
# Below, your `exact_state_flow` on the 8×8 grid of Experiment 1 ($R_0 = 0.1$). A move adds 1 to a coordinate, so every edge points up or to the right; the **width of an edge is proportional to its flow** $F(s \to s') = F(s')/k(s')$, and each state's dot is coloured by $R(s)$, the flow it sends into the sink, and sized in proportion to it. Look for two things: at every state the flow that comes in equals the flow that goes out (the edges out plus the stop edge), and the thick edges lead towards the four high-reward corners. The cell prints the conservation check, $F(s_0)$ next to $Z$, and the exact L1 distance to $R/Z$ of the flow's forward policy $P_F(s' \mid s) = F(s \to s')/F(s)$, computed by your dynamic programme of Exercise 4.

# %% id="flow-picture"
from matplotlib.collections import LineCollection
from matplotlib.colors import LogNorm


def draw_flows(ax, moves, stops, reward_all, height, title, top):
    """Edges s -> s + e_d of a 2-D grid, width and (log) colour by their flow moves[:, d], up to top; dots: R and stops."""
    xy = grid_states(2, height).tolist()
    segments = [[(b, a), (b + db, a + da)] for a, b in xy for da, db in [(1, 0), (0, 1)]]
    flows = moves.reshape(-1)
    keep = flows > 0
    edges = LineCollection([seg for seg, k in zip(segments, keep.tolist(), strict=True) if k], cmap="Blues",
                           linewidths=(9.0 * flows[keep] / top).tolist(), norm=LogNorm(top / 300, top), zorder=1)
    edges.set_array(flows[keep].numpy())
    ax.add_collection(edges)
    dots = ax.scatter([b for _, b in xy], [a for a, _ in xy], c=reward_all, s=15 + 50 * stops,
                      cmap="plasma", edgecolors="k", linewidths=0.3, zorder=2)
    ax.set_aspect("equal")
    ax.grid(False)
    label(ax, title, "x_2", "x_1", legend=False)
    return edges, dots


xy8 = grid_states(2, 8)
reward_xy8 = hypergrid_reward(xy8, 8).double()
flow8 = exact_state_flow(reward_xy8, 2, 8)
moves8 = torch.zeros(64, 2, dtype=torch.float64)  # moves8[i, d]: the flow along s_i -> s_i + e_d
inflow8 = torch.zeros(64, dtype=torch.float64)
for d, stride in enumerate((8, 1)):  # s + e_d sits 8 rows (d = 0) or 1 row (d = 1) after s
    src = torch.nonzero(xy8[:, d] < 7).squeeze(1)
    moves8[src, d] = flow8[src + stride] / (xy8[src + stride] > 0).sum(1)
    inflow8.index_add_(0, src + stride, moves8[src, d])
outflow8 = moves8.sum(1) + reward_xy8  # the moves out and the stop edge
gap8 = (inflow8[1:] - outflow8[1:]).abs().max().item()
log_pf8 = torch.cat([moves8, reward_xy8[:, None]], 1).log() - flow8.log()[:, None]
l1_flow8 = (terminal_distribution(log_pf8, 2, 8) - reward_xy8 / reward_xy8.sum()).abs().sum().item()
print(f"F(s0) = {flow8[0].item():.4f}, Z = {reward_xy8.sum().item():.4f}; at state (3, 4): in {inflow8[28].item():.4f}, "
      f"out {outflow8[28].item():.4f}; largest |in - out| over the 63 states after s0: {gap8:.1e}")
corner_share = reward_xy8[(reward_xy8 > 0.5)].sum().item() / reward_xy8.sum().item()
print(f"the flow's forward policy, through your DP: exact L1 to R/Z = {l1_flow8:.1e}; "
      f"share of Z that stops in the four 2x2 corner blocks (16 of 64 states): {corner_share:.0%}")
fig, ax = subplots(width=6.4, height=4.8)
edges, dots = draw_flows(ax, moves8, reward_xy8, reward_xy8, 8, "Exact flow, 8x8 grid (edge width = flow)", moves8.max().item())
fig.colorbar(edges, ax=ax, format="%g", label="edge flow F(s -> s') (log scale)")
fig.colorbar(dots, ax=ax, label="R(x): the flow into the sink")
show(fig)


# %% [markdown] id="flow-picture-note"
# **What the picture shows.** The printed check is exact: flow in equals flow out at all 63 states after $s_0$ (to rounding), $F(s_0)$ equals $Z = 22.4$, and the forward policy of this flow samples exactly $R/Z$ (an L1 of order $10^{-16}$, rounding only) — which is why a perfectly trained DB model samples the target. The corners hold 79% of $Z$ in 16 of the 64 states, and the largest dots, the four ring states, sit at the end of the darker edges that feed them. The thickest edges of all run along the two axes: a state on an axis has a single parent ($k(s') = 1$), so *all* of its flow, and that of everything fed through it, arrives along the axis, while an interior state splits its inflow between two parents. The flow is not "where the reward is" but "where the reward is reached from": it is set by $R$ *and* by the choice of $P_B$.

# %% [markdown] id="train-intro"
# ## Experiment 1 — TB and DB on the 8×8 grid
#
# **Where the paper says it.** Reproduces, in miniature, the hypergrid experiment of Malkin et al. (2022), on the environment and reward of Bengio et al. (2021): samplers trained with flow matching, detailed balance and trajectory balance are compared by how close their distribution gets to $R(x)/Z$ during training, and TB learns $\log Z$ (as we read it; we could not check the figure number or their grid sizes, so we quote none). Here: one 2-D grid of 8×8, TB and DB only, and the distance computed exactly rather than from samples.
#
# Both losses train the same network: a small MLP that reads the one-hot coordinates of a state and outputs the $D+1$ forward logits and $\log F(s)$ (`GridPolicy` in `utils/gflownets.py`; TB also trains the scalar $\log Z_\theta$, with a larger learning rate as is customary). Because the grid is small, one forward pass over **all** states gives the whole policy table, and `sample_grid_trajectories` samples a batch of trajectories from it at once; `grid_trajectory_terms` lays the batch out as the losses expect.
#
# After training we report:
# - the **exact L1** distance $\sum_x |P_T(x) - R(x)/Z|$ (between 0 and 2), from your dynamic programme;
# - **modes found**: how many of the maximal-reward states appeared at least once as a sampled terminal state;
# - TB's learned $\log Z_\theta$ and DB's $\log F(s_0)$ (which should also converge to $\log Z$: the flow out of the source is $Z$) against the true $\log Z = \log \sum_x R(x)$.

# %% id="train-def" nbgrader={"grade": false, "grade_id": "train-def", "locked": true, "schema_version": 3, "solution": false, "task": false}
def train_grid(loss_name, ndim, height, R0, steps, batch, seed, evals=10, lr=1e-3, hidden=64):
    """Train a GridPolicy with TB or DB; return the policy, its history and the modes it found."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    policy = GridPolicy(ndim, height, hidden)
    opt = torch.optim.Adam([{"params": policy.net.parameters(), "lr": lr}, {"params": [policy.log_Z], "lr": 0.1}])
    reward_all = hypergrid_reward(grid_states(ndim, height), height, R0)
    log_reward_all, target = reward_all.log(), (reward_all / reward_all.sum()).double()
    modes, found = grid_modes(reward_all), torch.zeros(height ** ndim, dtype=torch.bool)
    history = {"step": [], "exact_l1": [], "modes": [], "log_Z": [], "log_F0": []}
    for step in progress(range(steps), desc=f"{loss_name} H={height}"):
        log_pf_all, log_F_all = policy.all_states()
        traj = sample_grid_trajectories(log_pf_all, ndim, height, batch, gen)
        t = grid_trajectory_terms(traj, log_pf_all, log_F_all, log_reward_all, ndim, height)
        if loss_name == "TB":
            loss = trajectory_balance_loss(policy.log_Z, t["log_pf"], t["log_pb"], t["log_reward"], t["mask"])
        else:
            loss = detailed_balance_loss(t["log_F"], t["log_pf"], t["log_pb"], t["log_pf_stop"], t["log_r"], t["mask"])
        opt.zero_grad()
        loss.backward()
        opt.step()
        found[traj.final[modes[traj.final]]] = True
        if (step + 1) % max(1, steps // evals) == 0 or step + 1 == steps:
            with torch.no_grad():
                lp, lf = policy.all_states()
                p_T = terminal_distribution(lp.double(), ndim, height)
            history["step"].append(step + 1)
            history["exact_l1"].append((p_T - target).abs().sum().item())
            history["modes"].append(int(found.sum()))
            history["log_Z"].append(policy.log_Z.item())
            history["log_F0"].append(lf[0].item())
    return policy, history, found, math.log(reward_all.sum().item())


# %% id="train-easy"
results = {name: train_grid(name, ndim=2, height=8, R0=0.1, steps=STEPS, batch=BATCH, seed=SEED)
           for name in ("TB", "DB")}
true_log_Z = results["TB"][3]
n_modes = int(grid_modes(hypergrid_reward(grid_states(2, 8), 8)).sum())
for name, (_, h, found, _) in results.items():
    print(f"{name}: exact L1 {h['exact_l1'][-1]:.4f}, modes found {int(found.sum())}/{n_modes}, "
          f"log Z_theta {h['log_Z'][-1]:.3f}, log F(s0) {h['log_F0'][-1]:.3f}, true log Z {true_log_Z:.3f}")

fig, axes = subplots(ncols=2)
for name, (_, h, _, _) in results.items():
    axes[0].semilogy(h["step"], h["exact_l1"], marker="o", ms=3, label=name)
    axes[1].plot(h["step"], h["log_Z"] if name == "TB" else h["log_F0"], marker="o", ms=3,
                 label="TB: log Z_theta" if name == "TB" else "DB: log F(s0)")
axes[1].axhline(true_log_Z, color="k", ls="--", lw=1, label="true log Z")
label(axes[0], "Exact L1 to the target, 8x8 grid", "training step", "sum_x |P_T(x) - R(x)/Z|")
label(axes[1], "Learned log-partition function", "training step", "log Z estimate")
show(fig)

# %% [markdown] id="trained-flow-intro"
# ### The flow the DB model learned
#
# DB learns $\log F_\theta(s)$ and $P_F$, so its edge flows are $F_\theta(s)\,P_F(s' \mid s)$ and its stop flows $F_\theta(s)\,P_F(s_f \mid s)$. Below they are drawn on the same scale as the exact flow of your Exercise 5. Compare the two panels edge by edge, and read the printed conservation check: for the trained model "flow in = flow out" holds only approximately, since it is what the DB loss drives towards zero.

# %% id="trained-flow"
with torch.no_grad():
    lp_db8, lf_db8 = results["DB"][0].all_states()
flows_db8 = (lf_db8.double()[:, None] + lp_db8.double()).exp()  # F_theta(s) P_F(. | s): the two moves, then the stop
inflow_db8 = torch.zeros(64, dtype=torch.float64)
for d, stride in enumerate((8, 1)):
    src = torch.nonzero(xy8[:, d] < 7).squeeze(1)
    inflow_db8.index_add_(0, src + stride, flows_db8[src, d])
F_db8 = lf_db8.double().exp()
gap_db8 = ((inflow_db8[1:] - F_db8[1:]).abs() / F_db8[1:]).max().item()
edge_err_db8 = ((flows_db8[:, :2] - moves8).abs().sum() / moves8.sum()).item()
print(f"DB: F_theta(s0) = {F_db8[0].item():.3f} (Z = {reward_xy8.sum().item():.3f}); largest relative |in - out| over "
      f"the states after s0: {gap_db8:.3f}; total edge-flow error against the exact flow: {edge_err_db8:.1%}")
fig, axes = subplots(ncols=2, width=4.6, height=4.4)
panels = [(moves8, reward_xy8, "exact flow (Exercise 5)"), (flows_db8[:, :2], flows_db8[:, 2], f"DB after {STEPS} steps")]
for ax, (moves, stops, title) in zip(axes, panels, strict=True):
    edges, dots = draw_flows(ax, moves, stops, reward_xy8, 8, title, moves8.max().item())
fig.colorbar(edges, ax=axes, shrink=0.8, format="%g", label="edge flow (log scale)")
show(fig)


# %% [markdown] id="trained-flow-note"
# **What the picture shows.** The two panels are hard to tell apart. In the printed run (seed 0, 1000 steps) DB's $F_\theta(s_0)$ is 22.387 against $Z = 22.400$, its edge flows are off by 0.9% of the total edge flow, and flow conservation holds to within 4.1% at the worst state: the DB residuals measure exactly these violations, edge by edge, and training has made them small, not zero. The learned flow reproduces the thick edges along the axes too, although nothing in training singles out the axes: they follow from the fixed uniform $P_B$ in the move residuals and from the stop-edge targets $R(s)$, as in Exercise 5. (The figures vary a little with the seed; this panel is a picture, not a claim.)

# %% [markdown] id="sampled-l1-intro"
# ### Exact L1 versus sampled L1, and the noise floor
#
# **Where the paper says it.** Nowhere: this check of the metric itself is ours. The papers report an L1 distance on the hypergrid (as we read them); this shows what a sampled version of it can and cannot resolve.
#
# Without the dynamic programme one estimates $P_T$ from $N$ samples, $\hat P_N(x) = \#\{x_i = x\}/N$, and reports $\sum_x |\hat P_N(x) - R(x)/Z|$ (`torchgfn`'s validation does exactly this; older versions divide by the number of states, a mean instead of a sum). That estimate has a **noise floor**: even a perfect sampler gets $\mathbb{E}\,|\hat P_N(x) - p(x)| \approx \sqrt{2p(x)(1-p(x))/(\pi N)}$ per state, summing to roughly $\sum_x \sqrt{2p(x)/(\pi N)}$ — it shrinks only like $1/\sqrt N$. Below we sample $N$ terminal states from the trained TB policy and, as the floor, $N$ states from the *target itself*.

# %% id="sampled-l1"
policy_tb = results["TB"][0]
reward8 = hypergrid_reward(grid_states(2, 8), 8)
target8 = (reward8 / reward8.sum()).double()
with torch.no_grad():
    lp_tb, _ = policy_tb.all_states()
exact_l1_tb = (terminal_distribution(lp_tb.double(), 2, 8) - target8).abs().sum().item()
sample_sizes = [100, 1_000, 10_000] if SMOKE else [100, 1_000, 10_000, 100_000]
sampled, floor = [], []
for n in sample_sizes:
    finals = sample_grid_trajectories(lp_tb, 2, 8, n, generator).final
    sampled.append(empirical_l1(finals, target8))
    floor.append(empirical_l1(torch.multinomial(target8, n, replacement=True, generator=generator), target8))
for n, s, f in zip(sample_sizes, sampled, floor, strict=True):
    print(f"N={n:>7}: sampled L1 of the TB policy {s:.4f}   floor (samples of the target) {f:.4f}")
print(f"exact L1 of the TB policy: {exact_l1_tb:.4f}")

fig, ax = subplots()
ax.loglog(sample_sizes, sampled, marker="o", label="sampled L1, trained TB policy")
ax.loglog(sample_sizes, floor, marker="s", label="noise floor: samples of the target")
ax.axhline(exact_l1_tb, color="k", ls="--", lw=1, label="exact L1 (dynamic programme)")
label(ax, "Sampled L1 hits a 1/sqrt(N) floor; the exact L1 does not", "number of samples N", "L1 distance")
show(fig)

# %% [markdown] id="hard-intro"
# ## Experiment 2 — the hard grid: where local credit matters
#
# **Where the paper says it.** No figure of the cited papers, and read it with care: Malkin et al. (2022) argue (in their abstract) that DB, like flow matching, propagates credit *less* efficiently than TB along long trajectories whose reward comes only at the end. What differs here is that every hypergrid state can stop, so our DB scores the reward of every state it passes through — reward seen along the way, the idea Pan et al. (2023) turn into forward-looking flows (notebook 02). This is an illustration of local credit on one seed, not a reproduction of a published figure.
#
# Now $D = 2$, $H = 32$ and $R_0 = 10^{-3}$: the four corners are far apart (up to 62 moves) and the floor between them is 500 times lower than the plateaus. A trajectory starts at the origin, so the corner at $(0, 0)$ is easy; the other three must be *discovered*.
#
# TB's gradient for a trajectory depends only on its terminal reward, shared among all its edges. DB scores the stop edge of every state it passes through: a trajectory that walks through a high-reward region and stops elsewhere still teaches the flow that the region is valuable. Same network, same steps, same seed, on-policy sampling, no exploration bonus. We count the **regions** (corners) in which at least one maximal-reward state was sampled as a terminal state.

# %% id="train-hard"
reward32 = hypergrid_reward(grid_states(2, 32), 32, 1e-3)
modes32 = grid_modes(reward32)
corner = lambda idx: int((grid_states(2, 32)[idx] > 15).long() @ torch.tensor([2, 1]))
runs32 = {name: train_grid(name, ndim=2, height=32, R0=1e-3, steps=HARD_STEPS, batch=BATCH, seed=SEED, evals=4)
          for name in ("TB", "DB")}
hard = {}
for name, (policy_h, h, found, _) in runs32.items():
    regions = sorted({corner(i) for i in torch.nonzero(found).squeeze(1).tolist()})
    with torch.no_grad():
        lp, _ = policy_h.all_states()
    hard[name] = {"regions": regions, "modes": int(found.sum()), "l1": h["exact_l1"][-1],
                  "p_T": terminal_distribution(lp.double(), 2, 32)}
    print(f"{name}: regions found {len(regions)}/4 {regions}, ring states found {int(found.sum())}/{int(modes32.sum())}, "
          f"exact L1 {h['exact_l1'][-1]:.3f}")

fig, axes = subplots(ncols=3, width=3.6, height=3.4)
panels = [("target R(x)/Z", (reward32 / reward32.sum()).double()), ("TB: P_T", hard["TB"]["p_T"]),
          ("DB: P_T", hard["DB"]["p_T"])]
for ax, (title, p) in zip(axes, panels, strict=True):
    im = ax.imshow(p.reshape(32, 32).log10().clamp(min=-6), origin="lower", cmap="viridis", vmin=-6)
    ax.grid(False)
    label(ax, title + " (log10)", "x_2", "x_1", legend=False)
fig.colorbar(im, ax=axes, shrink=0.8, label="log10 probability")
show(fig)

# %% [markdown] id="hard-note"
# Read the exact L1 printed above with care: on the hard grid *both* samplers are still far from the target after this many steps. DB has found all four regions but not yet matched their masses; TB has matched the masses of the regions it knows and put (almost) nothing on the others. Finding the modes comes first, matching them takes much longer, and no amount of training fixes a region the sampler never visits.

# %% [markdown] id="claim-intro"
# ## Claim check
#
# The figures measured above, next to the claims. A full run asserts them; a SMOKE run trains far too briefly and only reports.

# %% id="claim-check" tags=["claim-check"]
tb_h, db_h = results["TB"][1], results["DB"][1]
claim("exact-L1", paper="P_T(x) = R(x)/Z: the balance losses drive the sampler to the target",
      here=f"8x8 grid after {STEPS} steps: exact L1 TB {tb_h['exact_l1'][-1]:.4f}, DB {db_h['exact_l1'][-1]:.4f} (of 2)",
      checks=[below(max(tb_h["exact_l1"][-1], db_h["exact_l1"][-1]), 0.03)], smoke=SMOKE)
claim("all-modes", paper="a GFlowNet finds every mode, not only the best one",
      here=f"modes found TB {tb_h['modes'][-1]}/{n_modes}, DB {db_h['modes'][-1]}/{n_modes}",
      checks=[equal(min(tb_h["modes"][-1], db_h["modes"][-1]), n_modes)], smoke=SMOKE)
claim("log-Z", paper="TB learns log Z",
      here=f"log Z_theta {tb_h['log_Z'][-1]:.3f} vs true {true_log_Z:.3f} (|diff| {abs(tb_h['log_Z'][-1] - true_log_Z):.3f})",
      checks=[below(abs(tb_h["log_Z"][-1] - true_log_Z), 0.1)], smoke=SMOKE)
claim("local-credit", paper="credit at every visited state (DB) finds reward regions TB misses",
      here=f"hard 32x32 grid, seed {SEED}, {HARD_STEPS} steps: DB {len(hard['DB']['regions'])}/4 regions, "
           f"TB {len(hard['TB']['regions'])}/4",
      checks=[equal(len(hard["DB"]["regions"]), 4), below(len(hard["TB"]["regions"]), 4)], smoke=SMOKE)

# %% [markdown] id="reflect"
# ## Reflect
#
# Answer each question in the cell below it, in a few sentences, using the figures this notebook printed. These answers are graded by hand (1 point each, 3 in all).
#
# 1. The noise floor of the sampled L1 shrinks like $1/\sqrt{N}$. How many samples would you need before a sampled L1 of 0.01 on the 8×8 grid means anything? Why is the exact L1 unavailable for molecules or sentences?

# %% [markdown] id="reflect-noise" nbgrader={"grade": true, "grade_id": "reflect-noise", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** The floor is what a *perfect* sampler scores: about $\sum_x \sqrt{2p(x)(1-p(x))/(\pi N)} \approx 5.1/\sqrt N$ on this grid, which matches the printed floors (0.155 at $N = 10^3$, 0.016 at $N = 10^5$). It equals 0.01 near $N \approx 2.6 \times 10^5$, so below that a sampled L1 of 0.01 is impossible even for the target itself; for 0.01 to measure the *sampler's* error rather than the noise, the floor must be several times smaller, about 0.003, i.e. $N \approx 3 \times 10^6$ samples. The printed run shows the problem: at $N = 10^5$ the TB policy's sampled L1 (0.017) is indistinguishable from the floor (0.016), while its exact L1 is 0.0029. The exact L1 needs $P_T(x)$ and $R(x)/Z$ for *every* $x$: for molecules or sentences the objects cannot be enumerated, $Z$ is an intractable sum, and $P_T(x)$ is a sum over the exponentially many trajectories that build $x$; our DP works only because the grid has $H^D = 64$ states.
#
# **Rubric (1 point).** 0.5: a sample size of the right order with the reason (floor $\propto 1/\sqrt N$, read or extrapolated from the printed floors: at least a few $10^5$ just to reach 0.01, millions for 0.01 to be meaningful). 0.5: exact L1 needs enumeration of all objects and of $Z$ (and of all trajectories to each $x$), impossible for combinatorial spaces. "Use more samples" without a number, or a number that ignores the $1/\sqrt N$ scaling, gets 0 for the first half.
# ### END SOLUTION

# %% [markdown] id="reflect-onpolicy-question"
# 2. On the hard grid TB's $P_T$ is far from the target (exact L1 about 1.5 of 2) although its loss is small on the trajectories it samples. Why can an on-policy loss be small while the sampler misses whole regions? Which trick from RL would help TB, and what does it cost?

# %% [markdown] id="reflect-onpolicy" nbgrader={"grade": true, "grade_id": "reflect-onpolicy", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** The loss is an average over trajectories drawn from the current policy, so a region the policy never visits contributes nothing to the loss or to its gradient: TB can be balanced on the part of the DAG it samples and be silent about the rest. Summing the balance condition over the sampled trajectories only, as in the Background's derivation, gives $Z_\theta$ times their probability equal to $R(x)$ times their backward probability, at most $R(x)$: nothing pushes $Z_\theta$ up to the full $Z$, and the missing corners never show up as an error. Printed: TB found 2 of 4 regions and ends at exact L1 1.500, consistent with nearly all its mass in a single corner region (each holds about a quarter of the target mass, and $2(1 - 1/4) = 1.5$; the heat map shows where it went). The RL fix is exploration: sample training trajectories from a behaviour policy with more spread (ε-uniform actions, as notebook 03 does, a higher temperature, or replay of past high-reward trajectories). TB is off-policy — any sampler that covers the trajectories gives the same optimum — so this is allowed. The cost is training samples spent on low-reward states and noisier gradients, an extra hyper-parameter, and exploration must be switched off when the policy is used.
#
# **Rubric (1 point).** 0.5: on-policy sampling — unvisited regions give no loss and no gradient, so a small loss says nothing about them (mentioning that $Z_\theta$ underestimates $Z$ is a plus). 0.5: an exploration method (ε-greedy/uniform mixing, tempering, replay buffer, local search) *and* its cost. "Train longer" or "use a bigger network" earns 0 for the second half.
# ### END SOLUTION

# %% [markdown] id="reflect-credit-question"
# 3. DB needs a learned $F(s)$ for every state; TB needs only one number, $\log Z$. What does each pay for the credit it assigns? Use both experiments.

# %% [markdown] id="reflect-credit" nbgrader={"grade": true, "grade_id": "reflect-credit", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** TB gives every edge of a trajectory the same error, one residual built from the terminal reward: it needs no flow function, its target is unbiased, but the signal is one number per trajectory, so its gradient has high variance and an edge is judged only through the reward of wherever the trajectory happened to stop. DB must learn $F(s)$ for every state, and each edge is only as good as the neighbouring flow estimates (a bootstrapped, biased target, like TD learning); information travels through $F$ an edge at a time. In return each edge gets its own residual, and here every visited state's stop edge brings its own reward. The experiments show both sides: on the easy 8×8 grid TB ends closer to the target (exact L1 0.0029 against DB's 0.0086, both learning $\log Z$ to within about 0.001), while on the hard 32×32 grid DB's local credit found all 4 regions and TB only 2.
#
# **Rubric (1 point).** 0.5: TB's price — one trajectory-level signal, high variance, no per-edge credit; 0.5: DB's price — a whole flow function to learn, bootstrapped (biased) targets and slow propagation. Citing the printed figures is expected for full marks; an answer that calls either loss simply "better" gets at most 0.5.
# ### END SOLUTION

# %% [markdown] id="further-reading"
# **Further reading:** Malkin et al., *Trajectory balance* (2022), the hypergrid experiments; Bengio et al., *GFlowNet Foundations* (2023), §3 (flows, detailed balance); Madan et al., *Learning GFlowNets from partial episodes* (SubTB, 2023); the `torchgfn` library and its hypergrid tutorial.
