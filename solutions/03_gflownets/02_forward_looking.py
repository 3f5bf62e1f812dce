# %% [markdown] id="title"
# # Forward-looking GFlowNets: local credit from partial energies
#
# **Papers:** L. Pan, N. Malkin, D. Zhang, Y. Bengio, *Better Training of GFlowNets with Local Credit and Incomplete Trajectories* (ICML 2023, arXiv:2302.01687); builds on detailed balance (Bengio et al., *GFlowNet Foundations*, 2023, arXiv:2111.09266) and trajectory balance (Malkin et al. 2022, arXiv:2201.13259).
#
# **You will learn to**
# - write an additive energy whose value is defined for *partial* objects, not only finished ones;
# - reparameterise the state flow as $F(s) = \tilde F(s)\,e^{-\mathcal{E}(s)}$, derive the forward-looking detailed balance loss (FL-DB), and derive the exact flow its network must learn;
# - measure convergence with the *exact* terminal distribution over all $\binom{16}{8} = 12\,870$ sets, averaged over seeds;
# - train from *incomplete* trajectories, which TB cannot use at all and DB uses badly.
#
# **Prerequisites:** notebook `01_flows_and_balance` (flows, TB, DB, exact L1).
#
# **Read ahead:** `paperlab preview 03_gflownets/02_forward_looking` writes this lesson's experiments, executed, to `build/preview/` (answers and hidden tests removed), so you can see every figure before you solve anything.
#
# **Time:** 60 min
#
# **Points:** 13 (four autograded exercises, 2 + 3 + 3 + 2 = 10 points; three written answers, 1 point each, graded by hand)
#
# **Claim:** when the energy can be evaluated on intermediate states, FL-DB gives each transition its own credit, converges faster than DB and TB, and still learns from incomplete trajectories.

# %% id="parameters" tags=["parameters"]
SMOKE = False  # True: tiny sizes, runs in seconds
SEED = 0
STEPS = 1000  # training steps per run
SEEDS = 3     # seeds per method in the convergence experiment
BATCH = 16    # trajectories per step

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math

import torch

from utils.common import at_least, below, claim, progress, setup_lesson
from utils.gflownets import (
    SetPolicy,
    SubsetLattice,
    random_energy,
    sample_set_trajectories,
    set_exact_terminal_distribution,
)
from utils.plotting import label, show, subplots

N_ITEMS, SET_SIZE = 16, 8  # M items, sets of K: 12,870 terminal sets, 39,203 states in all
if SMOKE:
    STEPS, SEEDS, BATCH = min(STEPS, 20), min(SEEDS, 1), min(BATCH, 8)
generator = setup_lesson(
    SEED, SMOKE,
    STEPS=(STEPS, at_least(20)),
    SEEDS=(SEEDS, at_least(1)),
    BATCH=(BATCH, at_least(1)),
)
lattice = SubsetLattice(N_ITEMS, SET_SIZE)
unary, pairwise = random_energy(N_ITEMS, torch.Generator().manual_seed(123))  # the task is fixed; SEED varies training
print(f"{lattice.terminal_bits.shape[0]} terminal sets of {SET_SIZE} items out of {N_ITEMS}")


# %% [markdown] id="background-energy"
# ## Background: a reward you can read along the way
#
# Our objects are sets $x \subset \{1, \dots, M\}$ of exactly $K$ items, built one item at a time ($M = 16$, $K = 8$). The reward is a Boltzmann weight of an **additive energy** with unary and pairwise terms,
#
# $$\mathcal{E}(s) = \sum_{i \in s} u_i + \sum_{\{i, j\} \subset s,\ i < j} W_{ij}, \qquad R(x) = e^{-\mathcal{E}(x)} .$$
#
# The formula makes sense for *any* set $s$, finished or not: $\mathcal{E}(s)$ is the **partial energy** accrued so far. Adding item $k$ to $s$ changes it by $u_k + \sum_{i \in s} W_{ik}$ — a *local* signal at every step, while TB and DB only hear about $R(x)$ at the end.
#
# With a 0/1 membership vector $b \in \{0, 1\}^M$ and $W$ symmetric with zero diagonal, $\sum_{i<j} W_{ij} b_i b_j = \tfrac12\, b^\top W b$.

# %% [markdown] id="energy-statement"
# ## Exercise 1 — the partial energy (2 points)
#
# **Implement** `partial_energy(bits, unary, pairwise)`: `bits` a float 0/1 tensor `(..., M)` (any leading axes, none included: a batch of trajectories of states, or one set `(M,)`), `unary` `(M,)`, `pairwise` `(M, M)` symmetric with zero diagonal, all three of one float dtype. Return $\mathcal{E}$ with shape `(...)`, in that dtype (compute in it). Each unordered pair counts once. The empty set has energy 0. Leave all three arguments unchanged.
#
# *Hint:* `bits @ unary` and `((bits @ pairwise) * bits).sum(-1)`; mind the factor for pairs.

# %% id="energy-answer" nbgrader={"grade": false, "grade_id": "energy-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def partial_energy(bits: torch.Tensor, unary: torch.Tensor, pairwise: torch.Tensor) -> torch.Tensor:
    """Additive energy of (partial) sets bits (..., M): sum of unary terms plus each pair once."""
    ### BEGIN SOLUTION
    return bits @ unary + 0.5 * ((bits @ pairwise) * bits).sum(-1)
    ### END SOLUTION


# %% id="energy-tests" nbgrader={"grade": true, "grade_id": "energy-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
u = torch.tensor([1.0, -2.0, 0.5])
W = torch.tensor([[0.0, 3.0, -1.0], [3.0, 0.0, 4.0], [-1.0, 4.0, 0.0]])
e = partial_energy(torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 1.0, 1.0]]), u, W)
assert e.shape == (4,), f"one energy per set, got shape {tuple(e.shape)}"
assert torch.allclose(e, torch.tensor([0.0, 1.0, 2.0, 5.5])), f"expected [0, 1, 2, 5.5] (each pair once), got {e.tolist()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_unchanged, assert_values


def _energy_exact(row, u, W):  # the definition: the chosen items, then each unordered pair i < j once
    items = [i for i, b in enumerate(row) if b == 1.0]
    return math.fsum([u[i] for i in items] + [W[i][j] for a, i in enumerate(items) for j in items[a + 1:]])
g = torch.Generator().manual_seed(11)
for M, lead in [(1, (3,)), (5, (4, 6)), (16, (2, 3, 4)), (7, ()), (12, (1,))]:
    u_h, W_h = (t.double() * 3 for t in random_energy(M, g, 1.3, 0.7))  # negative and positive terms
    bits = (torch.rand(*lead, M, generator=g) < 0.5).double()
    flat = bits.reshape(-1, M)
    if flat.shape[0] >= 2:
        flat[0], flat[1] = 0.0, 1.0  # the empty set and the full set
        bits = flat.reshape(bits.shape)
    want = torch.tensor([_energy_exact(r, u_h.tolist(), W_h.tolist()) for r in bits.reshape(-1, M).tolist()],
                        dtype=torch.float64).reshape(lead)
    got = assert_unchanged(partial_energy, bits, u_h, W_h)
    assert_values(got, want, what=f"partial energies, M={M}, bits of shape {tuple(bits.shape)}")
    assert_values(partial_energy(bits.float(), u_h.float(), W_h.float()), want.float(), rtol=1e-5, atol=1e-4,
                  what=f"partial energies of float32 inputs, M={M}")
# adding item k changes the energy by u_k + sum_{i in s} W_ik (the local signal of the background)
u_h, W_h = (t.double() for t in random_energy(7, g))
s = torch.tensor([1.0, 0, 1, 1, 0, 0, 0], dtype=torch.float64)
t = s.clone()
t[4] = 1
assert_values(partial_energy(t, u_h, W_h) - partial_energy(s, u_h, W_h), u_h[4] + W_h[4, [0, 2, 3]].sum(),
              what="the energy added by item 4")
### END HIDDEN TESTS

# %% [markdown] id="background-db"
# ## Detailed balance on sets, with incomplete trajectories
#
# A trajectory adds $K$ items: $s_0 = \emptyset \to s_1 \to \dots \to s_K = x$. Since a set of $k$ items can be reached from any of its $k$ subsets of size $k-1$, the DAG has many paths to each $x$; the backward policy is uniform, $P_B(s_{t} \mid s_{t+1}) = 1/(t+1)$. Detailed balance on edge $t$:
#
# $$\delta^{DB}_t = \log F(s_t) + \log P_F(s_{t+1} \mid s_t) - \log F(s_{t+1}) - \log P_B(s_t \mid s_{t+1}), \qquad \log F(s_K) := \log R(x) = -\mathcal{E}(x) .$$
#
# Here only the last state is terminal, so the reward enters **only through the last edge**; the earlier edges learn about it as the flows propagate backwards, one edge per update at best.
#
# **Incomplete trajectories.** Suppose we only observe a *prefix* of each trajectory (the generation was cut short, or evaluating the reward is too expensive to do every time). A prefix of $L < K$ edges contains no terminal state: DB can still fit its flows to each other, but receives no reward signal from it. (TB needs $R(x)$ of a complete trajectory and cannot use a prefix at all.)
#
# **Layout.** For a batch of $B$ trajectories: `log_F` `(B, K+1)` is the network's $\log F$ at $s_0..s_K$ (its last column is the network's output at the terminal set, which the loss must **replace**); `log_pf`, `log_pb` `(B, K)` belong to the edges $s_t \to s_{t+1}$; `mask` `(B, K)` is True on the observed edges (a prefix); the loss is the **mean of $\delta_t^2$ over the observed edges** of the batch.

# %% [markdown] id="db-statement"
# ## Exercise 2 — detailed balance on sets (3 points)
#
# **Implement** `set_db_loss(log_F, log_pf, log_pb, log_reward, mask)` with the shapes above and `log_reward` `(B,)` ($\log R$ of each trajectory's terminal set; only used when the last edge is observed). Return the scalar mean of $(\delta^{DB}_t)^2$ over the observed edges, in the dtype of the inputs.
#
# - Every entry that no observed edge uses is arbitrary (large numbers, `inf` and `-inf` included): `log_pf`, `log_pb` at unobserved edges, `log_F` after the last observed state and in the terminal column, `log_reward` of a prefix. They must change neither the loss nor its gradients (no `nan`).
# - Gradients must flow to `log_F` and `log_pf` (no `.detach()`, not even on $\log F(s_{t+1})$).
# - Leave every argument unchanged: build the new flows, do not write `log_reward` into `log_F`.
#
# *Hint:* build the flows with the terminal column replaced, `torch.cat([log_F[:, :-1], log_reward[:, None]], 1)`, then slice `[:, :-1]` and `[:, 1:]`; mask before squaring.

# %% id="db-answer" nbgrader={"grade": false, "grade_id": "db-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def set_db_loss(log_F: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
                log_reward: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared DB residual over the observed edges, with log F(terminal) = log R."""
    ### BEGIN SOLUTION
    flows = torch.cat([log_F[:, :-1], log_reward[:, None]], 1)
    delta = flows[:, :-1] + log_pf - flows[:, 1:] - log_pb
    return torch.where(mask, delta, torch.zeros_like(delta)).pow(2).sum() / mask.sum()
    ### END SOLUTION


# %% id="db-tests" nbgrader={"grade": true, "grade_id": "db-tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# K = 2: one complete trajectory and one prefix of a single edge
log_F = torch.tensor([[2.0, 1.5, 99.0], [2.2, 0.7, 99.0]])
log_pf = torch.tensor([[-0.4, -0.1], [-0.3, 5.0]])
log_pb = torch.tensor([[0.0, -math.log(2)], [0.0, 5.0]])
mask = torch.tensor([[True, True], [True, False]])
loss = set_db_loss(log_F, log_pf, log_pb, torch.tensor([1.0, 50.0]), mask)
assert loss.ndim == 0, f"return a scalar, got shape {tuple(loss.shape)}"
d = [2.0 - 0.4 - 1.5, 1.5 - 0.1 - 1.0 + math.log(2), 2.2 - 0.3 - 0.7]
want = sum(x * x for x in d) / 3
assert abs(loss.item() - want) < 1e-6, f"expected {want:.6f} (3 observed edges, terminal flow = log R), got {loss.item():.6f}"
log_F_v = log_F.clone().requires_grad_(True)
loss_v = set_db_loss(log_F_v, log_pf, log_pb, torch.tensor([1.0, 50.0]), mask)
assert loss_v.requires_grad, "no gradient flows: do not use .detach(), .item(), torch.no_grad() or torch.tensor(...)"
loss_v.backward()
assert abs(log_F_v.grad[0, 1].item() - 2 * (d[1] - d[0]) / 3) < 1e-6, \
    f"log F(s1) enters two edges (as target and as source): expected gradient {2 * (d[1] - d[0]) / 3:.6f}, got {log_F_v.grad[0, 1].item():.6f}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_grads_match, assert_unchanged, assert_values


def _set_db_exact(lF, lpf, lpb, lr, lengths, K):  # Python floats, edge by edge, the terminal flow read from the reward
    sq = []
    for b, L in enumerate(lengths):
        for t in range(L):
            nxt = lr[b] if t + 1 == K else lF[b][t + 1]
            sq.append((lF[b][t] + lpf[b][t] - nxt - lpb[b][t]) ** 2)
    return math.fsum(sq) / len(sq)

def _set_db_sliced(lF, lpf, lpb, lr, lengths, K):  # autograd reference without a mask: slice each trajectory
    parts = []
    for b, L in enumerate(lengths):
        flows = torch.cat([lF[b, :K], lr[b:b + 1]]) if L == K else lF[b, :L + 1]
        parts.append(flows[:-1] + lpf[b, :L] - flows[1:] - lpb[b, :L])
    return torch.cat(parts).pow(2).mean()

def _garbage(lF, lpf, lpb, lr, lengths, K, pad):  # arbitrary values wherever no observed edge looks
    lF, lr = lF.clone(), lr.clone()
    lF[:, K] = pad
    m = torch.arange(K)[None] < torch.tensor(lengths)[:, None]
    for b, L in enumerate(lengths):
        if L < K:
            lF[b, L + 1:] = -pad
            lr[b] = pad
    return lF, lpf.masked_fill(~m, pad), lpb.masked_fill(~m, -pad), lr, m
g = torch.Generator().manual_seed(13)
for B, K, pad, scale in [(1, 1, math.inf, 1.0), (5, 4, -math.inf, 1.0), (9, 8, math.inf, 2.0), (6, 3, 1e300, 1.0),
                         (4, 5, math.inf, 300.0), (3, 1, -math.inf, 1.0)]:
    lengths = torch.randint(1, K + 1, (B,), generator=g)
    lengths[0] = K
    lengths[-1] = 1 if B > 1 else K
    L = lengths.tolist()
    lF = torch.randn(B, K + 1, generator=g, dtype=torch.float64) * scale
    lpf, lpb = (-torch.rand(B, K, generator=g, dtype=torch.float64) * scale for _ in range(2))
    lr = torch.randn(B, generator=g, dtype=torch.float64) * 3
    want = torch.tensor(_set_db_exact(lF.tolist(), lpf.tolist(), lpb.tolist(), lr.tolist(), L, K), dtype=torch.float64)
    args = _garbage(lF, lpf, lpb, lr, L, K, pad)
    got = assert_unchanged(set_db_loss, *args)
    assert_values(got, want, what=f"set DB loss, B={B}, K={K}, padding {pad}")
    assert_grads_match(set_db_loss, lambda f, p, q, r, _m: _set_db_sliced(f, p, q, r, L, K), *args, argnums=(0, 1),
                       what=f"set DB loss, B={B}, K={K}, padding {pad}")
    assert_values(set_db_loss(*(a.float() for a in args[:4]), args[4]), want.float(),
                  what=f"set DB loss of float32 inputs, B={B}, K={K}")
### END HIDDEN TESTS

# %% [markdown] id="background-fl"
# ## Forward-looking flows
#
# Pan et al. reparameterise the state flow so that it already contains the reward accrued so far:
#
# $$F(s) = \tilde F(s)\, e^{-\mathcal{E}(s)}, \qquad \tilde F(x) = 1 \text{ for a terminal } x \ (\text{so } F(x) = R(x)).$$
#
# The network now learns $\log \tilde F$, the flow *relative* to what the partial energy predicts. Substituting into detailed balance and writing $\mathcal{E}(s \to s') = \mathcal{E}(s') - \mathcal{E}(s)$ gives the **FL-DB** residual
#
# $$\delta^{FL}_t = \log \tilde F(s_t) + \log P_F(s_{t+1} \mid s_t) - \log \tilde F(s_{t+1}) - \log P_B(s_t \mid s_{t+1}) + \mathcal{E}(s_t \to s_{t+1}), \qquad \log \tilde F(s_K) := 0 .$$
#
# **Why the intermediate energies change the credit but not the target.** Substitute $\log F(s) = \log \tilde F(s) - \mathcal{E}(s)$ into $\delta^{DB}_t$: $\big[\log \tilde F(s_t) - \mathcal{E}(s_t)\big] + \log P_F - \big[\log \tilde F(s_{t+1}) - \mathcal{E}(s_{t+1})\big] - \log P_B = \delta^{FL}_t$, term by term, and at the terminal $\log \tilde F(s_K) = 0$ gives $\log F(s_K) = -\mathcal{E}(x) = \log R(x)$. So FL-DB *is* DB, with the flow written differently: the same residuals vanish for the same policies, and the optimum is still $P_T(x) = R(x)/Z$. Summed along a complete trajectory the energies telescope,
#
# $$\sum_{t=0}^{K-1} \delta^{FL}_t = \log \tilde F(s_0) + \sum_t \log P_F - \sum_t \log P_B + \mathcal{E}(x) - \mathcal{E}(s_0) ,$$
#
# and with $\mathcal{E}(s_0) = \mathcal{E}(\emptyset) = 0$ this is the TB residual with $\log Z = \log \tilde F(s_0)$: every intermediate $\mathcal{E}(s_t)$ enters once with each sign and cancels, only $\mathcal{E}(x) = -\log R(x)$ survives. The partial energies redistribute the error among the edges; they cannot move the target.
#
# Every edge now carries its own energy difference: an edge that adds a good item is credited on the spot, and a prefix of a trajectory is as informative as any other set of edges. (This matches `torchgfn`'s `DBGFlowNet(forward_looking=True)`, which adds $\log R(s) = -\mathcal{E}(s)$ to the network's $\log F(s)$ before forming the DB score; we checked `src/gfn/gflownet/detailed_balance.py`.)

# %% [markdown] id="fl-statement"
# ## Exercise 3 — the FL-DB loss (3 points)
#
# **Implement** `fl_db_loss(log_F_tilde, log_pf, log_pb, energy, mask)`: `log_F_tilde` `(B, K+1)` (last column: the network's output at the terminal set, to be **replaced by 0**), `energy` `(B, K+1)` holding $\mathcal{E}(s_0), \dots, \mathcal{E}(s_K)$, the rest as in Exercise 2. Return the mean of $(\delta^{FL}_t)^2$ over the observed edges, in the dtype of the inputs. As in Exercise 2, every entry that no observed edge uses is arbitrary (`inf` and `-inf` included, in `energy` too) and must change neither the loss nor its gradients; gradients must flow to `log_F_tilde` and `log_pf`; leave every argument unchanged.
#
# *Hint:* the only differences from Exercise 2 are the terminal column (0 instead of $\log R$) and the energy difference $\mathcal{E}(s_{t+1}) - \mathcal{E}(s_t)$ on each edge. Check the sign on a single edge: $\tilde F \equiv 1$ and $P_F = P_B$ must give $\delta = \mathcal{E}(s \to s')$.

# %% id="fl-answer" nbgrader={"grade": false, "grade_id": "fl-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def fl_db_loss(log_F_tilde: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
               energy: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared forward-looking DB residual over the observed edges, with log F~(terminal) = 0."""
    ### BEGIN SOLUTION
    flows = torch.cat([log_F_tilde[:, :-1], torch.zeros_like(log_F_tilde[:, -1:])], 1)
    delta = flows[:, :-1] + log_pf - flows[:, 1:] - log_pb + (energy[:, 1:] - energy[:, :-1])
    return torch.where(mask, delta, torch.zeros_like(delta)).pow(2).sum() / mask.sum()
    ### END SOLUTION


# %% id="fl-tests" nbgrader={"grade": true, "grade_id": "fl-tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# one edge, F~ = 1 everywhere, P_F = P_B: the residual is the energy difference (here 0.5 - 2.0)
one = fl_db_loss(torch.tensor([[0.0, 7.0]]), torch.tensor([[-1.0]]), torch.tensor([[-1.0]]),
                 torch.tensor([[2.0, 0.5]]), torch.tensor([[True]]))
assert one.ndim == 0 and abs(one.item() - 2.25) < 1e-6, f"expected (0.5 - 2.0)^2 = 2.25, got {one}"
loss = fl_db_loss(torch.tensor([[0.3, 1.1, 9.0], [0.2, -0.5, 9.0]]), torch.tensor([[-0.6, -0.2], [-0.9, 4.0]]),
                  torch.tensor([[0.0, -0.7], [0.0, 4.0]]), torch.tensor([[0.0, 1.0, 0.4], [0.0, -2.0, 3.0]]),
                  torch.tensor([[True, True], [True, False]]))
d = [0.3 - 0.6 - 1.1 + 1.0, 1.1 - 0.2 - 0.0 + 0.7 + (0.4 - 1.0), 0.2 - 0.9 + 0.5 - 2.0]
assert abs(loss.item() - sum(x * x for x in d) / 3) < 1e-6, f"expected {sum(x * x for x in d) / 3:.6f}, got {loss.item():.6f}"
lFt_v = torch.tensor([[0.0, 7.0]], requires_grad=True)
loss_v = fl_db_loss(lFt_v, torch.tensor([[-1.0]]), torch.tensor([[-1.0]]), torch.tensor([[2.0, 0.5]]), torch.tensor([[True]]))
assert loss_v.requires_grad, "no gradient flows: do not use .detach(), .item(), torch.no_grad() or torch.tensor(...)"
loss_v.backward()
assert torch.allclose(lFt_v.grad, torch.tensor([[-3.0, 0.0]])), f"gradient 2 delta at F~(s0) and none at the replaced terminal column, got {lFt_v.grad.tolist()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_grads_match, assert_unchanged, assert_values


def _fl_exact(lFt, lpf, lpb, en, lengths, K):  # independent route: plain DB on F(s) = F~(s) exp(-E(s)), F(x) = exp(-E(x))
    sq = []
    for b, L in enumerate(lengths):
        logF = [lFt[b][t] - en[b][t] for t in range(K)] + [-en[b][K]]
        sq += [(logF[t] + lpf[b][t] - logF[t + 1] - lpb[b][t]) ** 2 for t in range(L)]
    return math.fsum(sq) / len(sq)

def _fl_sliced(lFt, lpf, lpb, en, lengths, K):  # autograd reference without a mask: slice each trajectory
    parts = []
    for b, L in enumerate(lengths):
        f = torch.cat([lFt[b, :K], lFt.new_zeros(1)])[:L + 1]
        parts.append(f[:-1] + lpf[b, :L] - f[1:] - lpb[b, :L] + en[b, 1:L + 1] - en[b, :L])
    return torch.cat(parts).pow(2).mean()

def _garbage(lFt, lpf, lpb, en, lengths, K, pad):  # arbitrary values wherever no observed edge looks
    lFt, en = lFt.clone(), en.clone()
    lFt[:, K] = pad
    m = torch.arange(K)[None] < torch.tensor(lengths)[:, None]
    for b, L in enumerate(lengths):
        lFt[b, L + 1:] = -pad
        en[b, L + 1:] = pad
    return lFt, lpf.masked_fill(~m, pad), lpb.masked_fill(~m, -pad), en, m
g = torch.Generator().manual_seed(17)
for B, K, pad, scale in [(1, 1, math.inf, 1.0), (6, 3, -math.inf, 1.0), (10, 8, math.inf, 2.0), (5, 4, 1e300, 1.0),
                         (4, 6, math.inf, 300.0), (3, 1, -math.inf, 1.0)]:
    lengths = torch.randint(1, K + 1, (B,), generator=g)
    lengths[0] = K
    lengths[-1] = 1 if B > 1 else K
    L = lengths.tolist()
    lFt, en = (torch.randn(B, K + 1, generator=g, dtype=torch.float64) * scale for _ in range(2))
    lpf, lpb = (-torch.rand(B, K, generator=g, dtype=torch.float64) * scale for _ in range(2))
    want = torch.tensor(_fl_exact(lFt.tolist(), lpf.tolist(), lpb.tolist(), en.tolist(), L, K), dtype=torch.float64)
    args = _garbage(lFt, lpf, lpb, en, L, K, pad)
    got = assert_unchanged(fl_db_loss, *args)
    assert_values(got, want, what=f"FL-DB loss, B={B}, K={K}, padding {pad}")
    assert_grads_match(fl_db_loss, lambda f, p, q, e, _m: _fl_sliced(f, p, q, e, L, K), *args, argnums=(0, 1),
                       what=f"FL-DB loss, B={B}, K={K}, padding {pad}")
    assert_values(fl_db_loss(*(a.float() for a in args[:4]), args[4]), want.float(),
                  what=f"FL-DB loss of float32 inputs, B={B}, K={K}")
# whole trajectories as the training loop builds them: random orders of adding items, their exact partial energies
M, K, N = 9, 5, 12
u_h, W_h = (t.double() for t in random_energy(M, g))
order = torch.stack([torch.randperm(M, generator=g)[:K] for _ in range(N)])
visited = torch.zeros(N, K + 1, M, dtype=torch.float64)
for t in range(K):
    visited[:, t + 1] = visited[:, t]
    visited[torch.arange(N), t + 1, order[:, t]] = 1.0
uu, WW = u_h.tolist(), W_h.tolist()
en = torch.tensor([[math.fsum([uu[i] * s[i] for i in range(M)] + [WW[i][j] * s[i] * s[j] for i in range(M) for j in range(i)])
                    for s in traj] for traj in visited.tolist()], dtype=torch.float64)
lFt, lpf = torch.randn(N, K + 1, generator=g, dtype=torch.float64), -torch.rand(N, K, generator=g, dtype=torch.float64) * 3
lpb = -torch.log(torch.arange(1, K + 1, dtype=torch.float64)).expand(N, K)
L = torch.randint(1, K + 1, (N,), generator=g).tolist()
args = _garbage(lFt, lpf, lpb, en, L, K, math.inf)
want = torch.tensor(_fl_exact(lFt.tolist(), lpf.tolist(), lpb.tolist(), en.tolist(), L, K), dtype=torch.float64)
assert_values(assert_unchanged(fl_db_loss, *args), want, what="FL-DB on prefixes of sampled set trajectories")
assert_grads_match(fl_db_loss, lambda f, p, q, e, _m: _fl_sliced(f, p, q, e, L, K), *args, argnums=(0, 1),
                   what="FL-DB on prefixes of sampled set trajectories")
### END HIDDEN TESTS

# %% [markdown] id="flow-statement"
# ## Exercise 4 — the flow FL-DB must learn, derived (derive, then predict; 2 points)
#
# This one has no code in its hint: derive the formula on paper first. At the optimum of DB (and of FL-DB, which is DB reparameterised) every residual is zero with this notebook's uniform $P_B$, and the state flow is that of the one flow with this backward policy whose terminal flows are $F(x) = R(x)$: the flow through a state $s$ is the reward of every terminal set $x$, times the probability that a backward walk from $x$ (following $P_B$) passes through $s$. For sets this probability has a closed form. Derive it, and with it $\log F(s)$ for any set $s$ of at most $K$ items. The network of FL-DB then has to learn $\log \tilde F(s) = \log F(s) + \mathcal{E}(s)$.
#
# **Implement** `exact_log_flow(bits, terminal_bits, log_reward)`: `bits` a 0/1 float tensor `(N, M)`, $N \ge 1$ states of at most $K$ items each (the empty set included); `terminal_bits` a 0/1 float tensor `(X, M)` of distinct terminal sets of exactly $K \ge 1$ items each (here all $\binom{16}{8}$ of them; a set of $K$ items that is not listed has reward 0); `log_reward` float `(X,)`, $\log R$ of each listed set, which may be `-inf` (reward 0) and may be large (e.g. $10^3$: work in log space). `bits` and `terminal_bits` may have any float dtype. Return $\log F(s)$ as an `(N,)` tensor of the dtype of `log_reward`, computed in that precision; a state from which no set of positive reward can be reached gets `-inf`, never `nan`. Leave the arguments unchanged; raise a `ValueError` if `bits` and `terminal_bits` differ in $M$ or `log_reward` is not of shape `(X,)`. The tests compare with an independent edge-by-edge computation of the flow, within relative $10^{-9}$ for float64. No gradient is needed.
#
# *Hint:* walk backwards from a terminal set $x$ with $P_B$. Which sets can the walk visit at level $k$, and is any of them more likely than another?
#
# **Predict, then check.** Before you run the next cell, predict $\log \tilde F(\emptyset)$, and whether $\log \tilde F$ or $\log F$ varies more among the sets of one level. The cell prints both.

# %% id="flow-answer" nbgrader={"grade": false, "grade_id": "flow-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def exact_log_flow(bits: torch.Tensor, terminal_bits: torch.Tensor, log_reward: torch.Tensor) -> torch.Tensor:
    """log F(s) of the optimal flow with uniform P_B, for sets bits (N, M) of at most K items: (N,)."""
    ### BEGIN SOLUTION
    if bits.shape[-1] != terminal_bits.shape[-1]:
        raise ValueError(f"bits and terminal_bits must have the same number of items, got {bits.shape[-1]} and "
                         f"{terminal_bits.shape[-1]}")
    if log_reward.shape != (terminal_bits.shape[0],):
        raise ValueError(f"log_reward must have shape ({terminal_bits.shape[0]},), got {tuple(log_reward.shape)}")
    dtype = log_reward.dtype
    s, x = bits.to(dtype), terminal_bits.to(dtype)
    k = s.sum(-1)
    K = int(x[0].sum())
    contains = (s @ x.T) == k[:, None]  # x is a superset of s: it holds all k items of s
    log_total = torch.logsumexp(torch.where(contains, log_reward, -math.inf), dim=-1)
    # a backward walk from x passes through a uniformly random k-subset of x: probability 1 / C(K, k)
    log_binom = torch.tensor([math.lgamma(K + 1) - math.lgamma(j + 1) - math.lgamma(K - j + 1) for j in k.tolist()],
                             dtype=dtype)
    return log_total - log_binom
    ### END SOLUTION


# %% id="flow-tests" nbgrader={"grade": true, "grade_id": "flow-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# M = 3 items, K = 2: the terminal sets {0, 1}, {0, 2}, {1, 2} with rewards 1, 2, 3
tb = torch.tensor([[1.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
lr = torch.log(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))
lf = exact_log_flow(torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]), tb, lr)
assert lf.shape == (3,) and lf.dtype == torch.float64, f"one log-flow per state in the dtype of log_reward, got {tuple(lf.shape)}, {lf.dtype}"
assert abs(lf[0].item() - math.log(6.0)) < 1e-9, f"the empty set: all the flow passes through it, log Z = log 6, got {lf[0].item()}"
assert abs(lf[2].item() - math.log(3.0)) < 1e-9, f"a terminal set: F(x) = R(x), here log 3, got {lf[2].item()}"
assert abs(lf[1].item() - math.log(1.5)) < 1e-9, \
    f"{{0}}: the walks back from {{0, 1}} and {{0, 2}} each pass through it with probability 1/2: log 1.5, got {lf[1].item()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
import itertools

from utils.testing import assert_raises, assert_unchanged, assert_values


def _log_flow_edge_by_edge(M, K, listed, log_r):  # F(x) = R(x); F(s) = sum over items i not in s of F(s + i) P_B(s | s + i)
    shift = max([v for v in log_r if v > -math.inf], default=0.0)
    flow = {frozenset(x): 0.0 for x in itertools.combinations(range(M), K)}  # a set not listed has reward 0
    flow.update({frozenset(x): math.exp(v - shift) for x, v in zip(listed, log_r, strict=True)})
    for k in range(K - 1, -1, -1):
        for s in itertools.combinations(range(M), k):
            s = frozenset(s)
            flow[s] = math.fsum(flow.get(s | {i}, 0.0) / (k + 1) for i in range(M) if i not in s)
    return {s: (math.log(f) + shift if f > 0 else -math.inf) for s, f in flow.items()}


def _as_bits(sets, M):
    return torch.tensor([[1.0 if i in s else 0.0 for i in range(M)] for s in sets])
g = torch.Generator().manual_seed(31)
for M, K, keep, scale, offset in [(1, 1, 1.0, 1.0, 0.0), (4, 2, 1.0, 2.0, 0.0), (6, 3, 0.7, 3.0, 0.0), (7, 7, 1.0, 1.0, 0.0),
                                  (8, 4, 0.5, 2.0, 0.0), (8, 1, 1.0, 1.0, 0.0), (7, 4, 1.0, 2.0, 1000.0)]:
    all_x = list(itertools.combinations(range(M), K))
    order = torch.randperm(len(all_x), generator=g).tolist()  # listed in any order, some sets not listed
    listed = [all_x[i] for i in order[:max(1, round(keep * len(all_x)))]]
    log_r = (torch.randn(len(listed), generator=g, dtype=torch.float64) * scale + offset)
    if len(listed) > 2:
        log_r[1] = -math.inf  # a zero reward
    ref = _log_flow_edge_by_edge(M, K, listed, log_r.tolist())
    states = [s for k in range(K + 1) for s in itertools.combinations(range(M), k)]
    pick = torch.randperm(len(states), generator=g)[:60].tolist() + [0]  # the empty set always included
    query = [states[i] for i in pick]
    bits, tbits = _as_bits(query, M), _as_bits(listed, M)
    want = torch.tensor([ref[frozenset(s)] for s in query], dtype=torch.float64)
    got = assert_unchanged(exact_log_flow, bits, tbits, log_r)
    assert_values(got, want, what=f"log F, M={M}, K={K}, {len(listed)} of {len(all_x)} terminal sets listed, log R offset {offset}")
    assert_values(exact_log_flow(bits.double(), tbits.double(), log_r.float()), want.float(),
                  what=f"log F with float32 log_reward (return float32), M={M}, K={K}")
# only states below the terminal level: K comes from the terminal sets, not from the largest state asked about
M, K = 6, 3
listed = list(itertools.combinations(range(M), K))
log_r = torch.randn(len(listed), generator=g, dtype=torch.float64)
ref = _log_flow_edge_by_edge(M, K, listed, log_r.tolist())
query = [s for k in range(K) for s in itertools.combinations(range(M), k)]
assert_values(exact_log_flow(_as_bits(query, M), _as_bits(listed, M), log_r),
              torch.tensor([ref[frozenset(s)] for s in query], dtype=torch.float64), what="log F of states with fewer than K items only")
for k in range(1, K):  # one level at a time, as the check cell after the exercise asks
    level = list(itertools.combinations(range(M), k))
    assert_values(exact_log_flow(_as_bits(level, M), _as_bits(listed, M), log_r),
                  torch.tensor([ref[frozenset(s)] for s in level], dtype=torch.float64), what=f"log F of the sets of {k} items alone")
# log R of +1000 and -1000 in one call: each state's sum needs its own scale (one global shift underflows to -inf)
listed = [(0, 1), (0, 2), (2, 3), (1, 3)]
log_r = torch.tensor([1000.0, 999.0, -1000.0, -1001.5], dtype=torch.float64)
query = [(), (0,), (1,), (2,), (3,), (2, 3), (1, 3)]
want = {(): math.log(1 + math.exp(-1)) + 1000,  # worked by hand: the reference above shifts by one maximum too
        (0,): math.log(math.exp(0) + math.exp(-1)) + 1000 - math.log(2), (1,): 1000 - math.log(2),
        (2,): 999 - math.log(2), (3,): -1000 + math.log(1 + math.exp(-1.5)) - math.log(2), (2, 3): -1000.0, (1, 3): -1001.5}
assert_values(exact_log_flow(_as_bits(query, 4), _as_bits(listed, 4), log_r),
              torch.tensor([want[s] for s in query], dtype=torch.float64), what="log R of +1000 and -1000 in one call")
# states that reach only zero rewards: -inf, never nan
tbits = _as_bits([(0, 1), (2, 3)], 4)
got = exact_log_flow(_as_bits([(0,), (1, 2), ()], 4), tbits, torch.tensor([-math.inf, 0.5], dtype=torch.float64))
assert_values(got, torch.tensor([-math.inf, -math.inf, 0.5 - math.log(1.0)], dtype=torch.float64),
              what="states whose supersets all have reward 0 (or none is listed)")
assert_raises(ValueError, exact_log_flow, torch.zeros(2, 5), tbits, torch.zeros(2, dtype=torch.float64))
assert_raises(ValueError, exact_log_flow, torch.zeros(2, 4), tbits, torch.zeros(3, dtype=torch.float64))
### END HIDDEN TESTS

# %% [markdown] id="flow-check-intro"
# **Check your prediction** (Exercise 4). The cell below applies your `exact_log_flow` to this notebook's task (all 12,870 terminal sets, $\log R = -\mathcal{E}$) and to up to 200 sets drawn at random (with its own generator) from each of a few levels, and compares the spread of $\log F$, what DB's network must learn, with that of $\log \tilde F = \log F + \mathcal{E}$, what FL-DB's network must learn.

# %% id="flow-check"
log_R_sets = -partial_energy(lattice.terminal_bits.double(), unary.double(), pairwise.double())
log_F_empty = exact_log_flow(torch.zeros(1, N_ITEMS), lattice.terminal_bits, log_R_sets)
print(f"log F(empty set) = log F~(empty set) = {log_F_empty.item():.4f}; log Z = {torch.logsumexp(log_R_sets, 0).item():.4f}")
flow_gen = torch.Generator().manual_seed(0)
for k in (2, 4, 6, 7):
    pick = lattice.bits[k][torch.randperm(lattice.bits[k].shape[0], generator=flow_gen)[:200]].double()
    log_F_k = exact_log_flow(pick, lattice.terminal_bits, log_R_sets)
    log_Ft_k = log_F_k + partial_energy(pick, unary.double(), pairwise.double())
    print(f"sets of {k} items: std of log F {log_F_k.std().item():.2f}, std of log F~ {log_Ft_k.std().item():.2f} "
          f"(over {pick.shape[0]} sets)")


# %% [markdown] id="flow-check-note"
# **What it shows.** $\log \tilde F(\emptyset) = \log F(\emptyset) = 12.3188 = \log Z$: the empty set has energy 0, so at the source FL-DB's network must output $\log Z$, as DB's must. Within a level it depends on the depth. Among sets of 2 items the two spreads are about the same (0.86 for $\log F$, 0.80 for $\log \tilde F$), but among sets of 6 and of 7 items $\log F$ varies 2.3 and 4.5 times as much as $\log \tilde F$ (1.77 against 0.76, 2.13 against 0.47): the partial energy already accounts for most of what tells two nearly finished sets apart, and $\log \tilde F$ only has to learn the correction for the items still to come, which is 0 at the terminal sets. A smaller target to fit is one reason, beside the per-edge credit, why FL-DB learns faster below. (These figures do not depend on `SEED`: the task and the cell's generator are fixed.)

# %% [markdown] id="train-intro"
# ## Experiment 1 — convergence of TB, DB and FL-DB
#
# **Where the paper says it.** Reproduces, in miniature, the set-generation experiment of Pan et al. (2023): sets built one element at a time under an energy that can be read on partial sets, where FL-DB converges faster than DB and TB (as we read it; we could not check the figure number, the paper's set sizes or its exact energy, so our $M = 16$, $K = 8$ and pairwise terms are our own choices). Here the distance to the target is exact, over all 12,870 sets.
#
# One network (`SetPolicy`: an MLP from the membership vector to $M$ logits, masked to the items not yet chosen, and one log-flow output; TB also learns $\log Z$), three losses. Each step samples `BATCH` trajectories on-policy (`sample_set_trajectories`), recomputes their log-probabilities with gradients, and takes one Adam step. Every few steps we compute the **exact** terminal distribution over all 12,870 sets by dynamic programming over the subset lattice (`set_exact_terminal_distribution`, the set analogue of your hypergrid DP) and its L1 distance to $R(x)/Z$. TB (from notebook 01) is given below.

# %% id="train-def" nbgrader={"grade": false, "grade_id": "train-def", "locked": true, "schema_version": 3, "solution": false, "task": false}
def trajectory_balance(log_Z, log_pf, log_pb, log_reward):
    """TB for complete trajectories (notebook 01), every edge observed."""
    return (log_Z + log_pf.sum(1) - log_pb.sum(1) - log_reward).pow(2).mean()


terminal_energy = partial_energy(lattice.terminal_bits, unary, pairwise)
target = torch.softmax(-terminal_energy.double(), 0)
true_log_Z = torch.logsumexp(-terminal_energy.double(), 0).item()
log_pb_edges = -torch.log(torch.arange(1, SET_SIZE + 1, dtype=torch.float32))  # P_B(s_t | s_{t+1}) = 1/(t+1)


N_EVALS = 4 if SMOKE else 20  # exact evaluations per run (each one is a DP over 39,203 states)


def train_sets(loss_name, steps, seed, batch=BATCH, complete_fraction=1.0, evals=N_EVALS, lr=1e-3):
    """Train a SetPolicy; with complete_fraction < 1 most trajectories are cut to a random prefix."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    policy = SetPolicy(N_ITEMS, 64)
    opt = torch.optim.Adam([{"params": policy.net.parameters(), "lr": lr}, {"params": [policy.log_Z], "lr": 0.1}])
    history = {"step": [], "l1": []}
    for step in range(steps):
        visited = sample_set_trajectories(policy, SET_SIZE, batch, gen)            # (B, K+1, M)
        log_pf_states, log_F = policy(visited[:, :-1])
        added = (visited[:, 1:] - visited[:, :-1]).argmax(-1)                       # item added on each edge
        log_pf = log_pf_states.gather(-1, added[..., None]).squeeze(-1)            # (B, K)
        log_pb = log_pb_edges.expand(batch, SET_SIZE)
        log_F = torch.cat([log_F, torch.zeros(batch, 1)], 1)                       # terminal column is replaced
        energy = partial_energy(visited, unary, pairwise)                          # (B, K+1)
        lengths = torch.randint(1, SET_SIZE + 1, (batch,), generator=gen)
        complete = torch.rand(batch, generator=gen) < complete_fraction
        lengths = torch.where(complete, torch.full_like(lengths, SET_SIZE), lengths)
        mask = torch.arange(SET_SIZE)[None] < lengths[:, None]
        if loss_name == "TB":
            loss = trajectory_balance(policy.log_Z, log_pf, log_pb, -energy[:, -1])
        elif loss_name == "DB":
            loss = set_db_loss(log_F, log_pf, log_pb, -energy[:, -1], mask)
        else:
            loss = fl_db_loss(log_F, log_pf, log_pb, energy, mask)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if (step + 1) % max(1, steps // evals) == 0:
            p_T = set_exact_terminal_distribution(policy, lattice)
            history["step"].append(step + 1)
            history["l1"].append((p_T - target).abs().sum().item())
    return history


# %% id="train-run"
print(f"target: log Z = {true_log_Z:.3f}, entropy {-(target * target.log()).sum().item():.2f} nats "
      f"(uniform over all sets: {math.log(target.numel()):.2f}), largest P(x) = {target.max().item():.4f}")
curves = {name: [train_sets(name, STEPS, SEED + k)
                 for k in progress(range(SEEDS), desc=name)] for name in ("TB", "DB", "FL-DB")}
steps_axis = curves["DB"][0]["step"]
stats = {}
for name, runs in curves.items():
    l1 = torch.tensor([r["l1"] for r in runs])                                     # (SEEDS, evals)
    stats[name] = {"mean": l1.mean(0), "lo": l1.min(0).values, "hi": l1.max(0).values}
    print(f"{name:>6}: final exact L1 {stats[name]['mean'][-1]:.3f} (mean of {SEEDS} seeds; "
          f"range {stats[name]['lo'][-1]:.3f}-{stats[name]['hi'][-1]:.3f})")

db_final = stats["DB"]["mean"][-1].item()
reached = [s for s, v in zip(steps_axis, stats["FL-DB"]["mean"].tolist(), strict=True) if v <= db_final]
fl_steps_to_db = reached[0] if reached else math.inf
print(f"FL-DB reaches DB's final L1 ({db_final:.3f}) after {fl_steps_to_db} steps; DB needed {STEPS}")

fig, ax = subplots()
for name, s in stats.items():
    ax.plot(steps_axis, s["mean"], marker="o", ms=3, label=f"{name} (mean of {SEEDS})")
    ax.fill_between(steps_axis, s["lo"], s["hi"], alpha=0.2)
ax.axhline(db_final, color="k", ls=":", lw=1, label="DB's final L1")
label(ax, f"Exact L1 to the target, M={N_ITEMS}, K={SET_SIZE} (band: min-max over seeds)", "training step",
      "sum_x |P_T(x) - R(x)/Z|")
show(fig)

# %% [markdown] id="partial-intro"
# ## Experiment 2 — learning from incomplete trajectories
#
# **Where the paper says it.** Reproduces, in miniature, the paper's experiment with incomplete trajectories (the abstract: "no learning was possible from incomplete trajectories" before FL-GFN), where FL-DB keeps learning when most trajectories lack a terminal state (as we read it; figure number and the fraction of complete trajectories there not checked; our 10% is our choice).
#
# Now only 10% of the trajectories are observed to the end; the other 90% are cut to a random prefix of $1..K$ edges. DB's reward signal shrinks with the complete ones; FL-DB sees an energy difference on every observed edge. TB is not run: it cannot use a prefix.

# %% id="partial-run"
partial = {name: train_sets(name, STEPS, SEED, complete_fraction=0.1) for name in ("DB", "FL-DB")}
for name, h in partial.items():
    print(f"{name:>6} with 10% complete trajectories: final exact L1 {h['l1'][-1]:.3f} "
          f"(all complete, same seed: {curves[name][0]['l1'][-1]:.3f})")

fig, ax = subplots()
for name, h in partial.items():
    ax.plot(h["step"], h["l1"], marker="o", ms=3, label=f"{name}, 10% complete")
    ax.plot(curves[name][0]["step"], curves[name][0]["l1"], ls="--", lw=1, label=f"{name}, all complete")
label(ax, "Incomplete trajectories: FL-DB keeps learning", "training step", "exact L1")
show(fig)

# %% [markdown] id="claim-intro"
# ## Claim check
#
# A full run asserts the claims; a SMOKE run only reports.

# %% id="claim-check" tags=["claim-check"]
claim("faster", paper="FL-DB converges faster than DB (local credit)",
      here=f"FL-DB reaches DB's final exact L1 {db_final:.3f} after {fl_steps_to_db} of DB's {STEPS} steps "
           f"(mean of {SEEDS} seeds); final L1 TB {stats['TB']['mean'][-1]:.3f}, DB {db_final:.3f}, "
           f"FL-DB {stats['FL-DB']['mean'][-1]:.3f}",
      checks=[below(fl_steps_to_db, STEPS / 2 + 1)], smoke=SMOKE)
claim("incomplete", paper="FL-DB learns from incomplete trajectories; DB falls behind",
      here=f"10% complete: final L1 FL-DB {partial['FL-DB']['l1'][-1]:.3f} vs DB {partial['DB']['l1'][-1]:.3f}",
      checks=[below(partial["FL-DB"]["l1"][-1], 0.85 * partial["DB"]["l1"][-1])], smoke=SMOKE)

# %% [markdown] id="reflect"
# ## Reflect
#
# Answer each question in the cell below it, in a few sentences. These answers are graded by hand (1 point each, 3 in all).
#
# 1. FL-DB needs the energy of *intermediate* states. Give an example of a reward where that is natural, and one where it is not defined (hint: a property computed only on a finished molecule, or the reward of notebook 03).

# %% [markdown] id="reflect-partial" nbgrader={"grade": true, "grade_id": "reflect-partial", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** Natural: any energy that is a sum of terms over the parts already placed, like this notebook's unary and pairwise terms on a partial set, the energy of a partial spin configuration, or the log-likelihood of a text prefix under a language model (a sum over its tokens). Each added part changes $\mathcal{E}$ by a computable amount, which is exactly what FL-DB puts on each edge. Not defined: a property of the finished object only — the docking score or binding affinity of a molecule (a half-built molecule is not a valid molecule and has no such score), whether a program passes its tests, or notebook 03's Game-of-24 reward, which is 1 only if the *last* number equals 24 and says nothing about an intermediate list of numbers. There one would have to invent or learn a decomposition of the energy (e.g. Jang et al. 2023, LED-GFN).
#
# **Rubric (1 point).** 0.5: a correct natural example with the reason (the energy is additive over the steps, so partial sets have a value); 0.5: a correct counter-example with the reason (the reward is only defined on, or only meaningful for, complete objects). An example without a reason earns half of its part.
# ### END SOLUTION

# %% [markdown] id="reflect-misleading-question"
# 2. If the energy were a bad guide for partial sets (large intermediate terms that cancel at the end), what would $\log \tilde F$ have to learn? Would FL-DB still reach the right distribution, and would it still be faster?

# %% [markdown] id="reflect-misleading" nbgrader={"grade": true, "grade_id": "reflect-misleading", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** Since $\log \tilde F(s) = \log F(s) + \mathcal{E}(s)$, the network would have to learn the true log-flow *plus* the misleading intermediate energy, i.e. undo the large terms state by state: $\log \tilde F$ becomes a large, rapidly varying function instead of a small correction. The optimum is unchanged — the Background shows that FL-DB is DB reparameterised and that intermediate energies telescope away, so with enough capacity and training it still reaches $P_T = R/Z$, provided $\mathcal{E}(x) = -\log R(x)$ at the terminal sets. But the per-edge energy differences would now point the wrong way: an edge would be credited for a term that is cancelled later, and learning must first unlearn that signal, so FL-DB can be slower than plain DB or TB. The speed-up measured here (FL-DB at DB's final L1 after 400 of 1000 steps) relies on the partial energy being informative about the final one.
#
# **Rubric (1 point).** 0.5: $\log \tilde F$ must absorb (cancel) the misleading intermediate energy, and the target/optimum stays correct (reparameterisation, telescoping). 0.5: the local signal becomes misleading, so the speed-up is lost and FL-DB may even be slower. An answer claiming that FL-DB would converge to a wrong distribution gets 0 for the first half.
# ### END SOLUTION

# %% [markdown] id="reflect-prefix-question"
# 3. Why can DB still learn *something* from a prefix with no terminal state, and why is it not enough? Use the printed final L1 values of Experiment 2.

# %% [markdown] id="reflect-prefix" nbgrader={"grade": true, "grade_id": "reflect-prefix", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** Each observed edge of a prefix still gives a DB residual $\log F(s_t) + \log P_F - \log F(s_{t+1}) - \log P_B$, so DB learns to make its flows and its forward policy consistent with each other on those edges. But consistency alone has many solutions — any reward whatever defines a consistent flow — and the reward $R(x)$ enters DB only through the last edge, so only the complete trajectories (10% here) tell it *which* consistent flow is the right one; the reward information then has to travel back through $F$ an edge at a time. FL-DB gets the energy difference on every observed edge, so a prefix carries reward information. Printed (seed 0): with 10% complete trajectories DB ends at exact L1 0.723 instead of 0.478, FL-DB at 0.476 instead of 0.209 — FL-DB with 10% of complete trajectories matches DB with all of them.
#
# **Rubric (1 point).** 0.5: DB still fits flow consistency on prefix edges (a necessary condition it can learn); 0.5: it is not enough because the reward enters only through terminal edges, so prefixes do not pin down the target (with the printed L1 values as evidence). Saying that DB learns nothing from a prefix gets 0 for the first half.
# ### END SOLUTION

# %% [markdown] id="further-reading"
# **Further reading:** Pan et al. (2023), the forward-looking parameterisation and its set-generation and incomplete-trajectory experiments; Jang et al., *Learning Energy Decompositions for Partial Inference of GFlowNets* (LED-GFN, 2023), for energies that are a bad or missing guide; Madan et al., *Learning GFlowNets from partial episodes* (SubTB, 2023); Deleu et al., *Bayesian structure learning with GFlowNets* (2022, modified DB).
