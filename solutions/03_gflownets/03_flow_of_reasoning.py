# %% [markdown] id="title"
# # Flow of Reasoning: many solutions instead of one
#
# **Papers:** F. Yu, L. Jiang, H. Kang, S. Hao, L. Qin, *Flow of Reasoning: Efficient Training of LLM Policy with Divergent Thinking* (2024, arXiv:2406.05673; later versions: *Training LLMs for Divergent Reasoning with Minimal Examples*); trajectory balance from N. Malkin et al. (2022, arXiv:2201.13259); the leave-one-out REINFORCE baseline from W. Kool, H. van Hoof, M. Welling, *Buy 4 REINFORCE Samples, Get a Baseline for Free!* (2019).
#
# **You will learn to**
# - cast multi-step reasoning as building an object step by step, with a reward only for a correct answer;
# - train the same policy two ways: as a GFlowNet with trajectory balance (sample solutions in proportion to reward) and with REINFORCE and a leave-one-out baseline (maximise reward);
# - derive the forward policy that trajectory balance aims at on a tree, and compare both trained policies with it on one puzzle's tree;
# - count *distinct* solutions fairly (canonical expressions up to commutativity, solution entropy), and see the GFlowNet keep many solutions per problem while the reward-maximiser keeps one or two.
#
# **Prerequisites:** notebook `01_flows_and_balance` (trajectory balance); policy gradients.
#
# **Read ahead:** `paperlab preview 03_gflownets/03_flow_of_reasoning` writes this lesson's experiments, executed, to `build/preview/` (answers and hidden tests removed), so you can see every figure before you solve anything.
#
# **Time:** 60 min
#
# **Points:** 14 (five autograded exercises, 3 + 2 + 2 + 2 + 2 = 11 points; three written answers, 1 point each, graded by hand)
#
# **Claim:** a policy trained with trajectory balance finds many more different correct solutions per problem than a reward-maximising policy, at a comparable success rate (FoR's "divergent reasoning").

# %% id="parameters" tags=["parameters"]
SMOKE = False  # True: tiny sizes, runs in seconds
SEED = 0
STEPS = 1500     # training steps per method
N_PUZZLES = 16   # training puzzles (and as many held-out ones)
N_EVAL = 256     # sampled attempts per puzzle when counting solutions

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math
from collections import Counter

import numpy as np
import torch

from utils.common import above, at_least, below, between, claim, progress, setup_lesson
from utils.gflownets import (
    Game24,
    PuzzlePolicy,
    game24_puzzle_pool,
    sample_game24,
    trajectory_expression,
)
from utils.plotting import label, show, subplots

if SMOKE:
    STEPS, N_PUZZLES, N_EVAL = min(STEPS, 30), min(N_PUZZLES, 4), min(N_EVAL, 32)
generator = setup_lesson(
    SEED, SMOKE,
    STEPS=(STEPS, at_least(10)),
    N_PUZZLES=(N_PUZZLES, between(1, 64)),
    N_EVAL=(N_EVAL, at_least(1)),
)


# %% [markdown] id="background-game"
# ## Background: reasoning as a construction
#
# **Game of 24.** Given four numbers, e.g. $(3, 3, 8, 8)$, combine them with $+, -, \times, \div$ (each number used once) to make 24: $8 / (3 - 8/3) = 24$. Flow of Reasoning (FoR) treats each intermediate step of an LLM's reasoning as a *state* and each step it writes as an *action*, and fine-tunes the LLM as a GFlowNet policy with trajectory balance. We keep the structure and replace the LLM by a small network:
#
# - a **state** is the list of numbers still available (with the expressions that produced them);
# - an **action** picks two of them, $a$ and $b$, and one of six operations $a+b,\ a-b,\ b-a,\ a\times b,\ a/b,\ b/a$; the result replaces the pair (division by zero is not allowed);
# - after **three** actions one number is left: the episode is a success if it equals 24.
#
# From four numbers there are $36 \times 18 \times 6 = 3888$ trajectories; `Game24` precomputes the whole tree of each puzzle in a few array operations. The policy (`PuzzlePolicy`) scores each candidate action from features of the numbers it would leave behind and of the puzzle, so it is **conditioned on the puzzle** and can be tried on puzzles it never trained on.
#
# Because a state remembers its history, every state has exactly one parent: the state graph is a **tree**, so $P_B = 1$ and trajectory balance for a trajectory $\tau$ of puzzle $c$ reads
#
# $$\mathcal{L}_{TB}(\tau) = \Big(\log Z_\theta(c) + \sum_{t=1}^{3} \log P_F(a_t \mid s_{t-1}, c) - \log R(\tau)\Big)^2, \qquad R(\tau) = \begin{cases} 1 & \text{success}\\ e^{-10} & \text{otherwise.}\end{cases}$$
#
# A GFlowNet trained on it samples every successful trajectory with (nearly) equal probability. The conditional $\log Z_\theta(c)$ is a small network of the puzzle (as `torchgfn`'s TB with a conditional `logZ` estimator).

# %% [markdown] id="canon-statement"
# ## Exercise 1 — canonical expressions (3 points)
#
# Different trajectories can write the same solution: $3 \times 8$ and $8 \times 3$, or $(1+2)+3$ reached by combining the numbers in another order. To count *different* solutions we need a canonical form. Here two expressions are the same solution when one can be turned into the other by swapping the operands of some $+$ or $\times$ nodes (commutativity only; $(1+2)+3$ and $1+(2+3)$ stay different).
#
# An expression is a non-negative `int` (a leaf) or a tuple `(op, left, right)` with `op` in `'+'`, `'-'`, `'*'`, `'/'` (what `trajectory_expression` builds). **Implement** `canonical(expr) -> str`:
# - a leaf `n` gives `str(n)`;
# - a node gives `"(" + L + op + R + ")"` where `L`, `R` are the canonical strings of its operands, and for `+` and `*` the two strings are put in increasing order (Python's `<` on strings, so `"10" < "9"` and `"(2*5)" < "3"`; equal strings in either order); `-` and `/` keep their order.
#
# For example `canonical(('+', 3, ('*', 5, 2))) == "((2*5)+3)"`, because `"(2*5)" < "3"`, and `canonical(('+', 9, 10)) == "(10+9)"`.
#
# *Hint:* recursion; canonicalise the children first, then order them.

# %% id="canon-answer" nbgrader={"grade": false, "grade_id": "canon-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def canonical(expr) -> str:
    """Canonical string of an expression tree, up to commutativity of + and *."""
    ### BEGIN SOLUTION
    if isinstance(expr, int):
        return str(expr)
    op, left, right = expr
    a, b = canonical(left), canonical(right)
    if op in "+*" and b < a:
        a, b = b, a
    return f"({a}{op}{b})"
    ### END SOLUTION


# %% id="canon-tests" nbgrader={"grade": true, "grade_id": "canon-tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
assert canonical(7) == "7", "a leaf is its number"
assert canonical(("+", 3, ("*", 5, 2))) == "((2*5)+3)", f"got {canonical(('+', 3, ('*', 5, 2)))!r}"
assert canonical(("*", 8, 3)) == canonical(("*", 3, 8)) == "(3*8)", "* is commutative"
assert canonical(("-", 8, 3)) == "(8-3)" and canonical(("-", 3, 8)) == "(3-8)", "- keeps its order"
assert canonical(("+", 9, 10)) == "(10+9)", f"order by string, not by value: got {canonical(('+', 9, 10))!r}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
import random as _random


def _ref(e):  # independent formulation: nested tuples with the commutative operands as a sorted pair of keys
    if isinstance(e, int):
        return ("n", e)
    op, a, b = e
    ka, kb = _ref(a), _ref(b)
    return (op, tuple(sorted([ka, kb], key=repr))) if op in "+*" else (op, (ka, kb))

def _ref_string(e):  # the exact string: of the two concatenations of a commutative node, the smaller one
    if isinstance(e, int):
        return str(e)
    op, a, b = e
    sa, sb = _ref_string(a), _ref_string(b)
    return min(f"({sa}{op}{sb})", f"({sb}{op}{sa})") if op in "+*" else f"({sa}{op}{sb})"

def _random_expr(rng, depth):
    if depth == 0 or rng.random() < 0.3:
        return rng.choice([rng.randint(1, 13), rng.randint(0, 120)])
    return (rng.choice("+-*/"), _random_expr(rng, depth - 1), _random_expr(rng, depth - 1))

def _swap_some(rng, e):
    if isinstance(e, int):
        return e
    op, a, b = e
    a, b = _swap_some(rng, a), _swap_some(rng, b)
    return (op, b, a) if op in "+*" and rng.random() < 0.5 else (op, a, b)

rng = _random.Random(0)
exprs = [_random_expr(rng, 4) for _ in range(400)]
for e in exprs:
    assert canonical(e) == _ref_string(e), f"canonical({e}): expected {_ref_string(e)!r}, got {canonical(e)!r}"
    assert canonical(_swap_some(rng, e)) == canonical(e), f"commuted copies of {e} must match"
for e1 in exprs[:120]:
    for e2 in exprs[:120]:
        assert (canonical(e1) == canonical(e2)) == (_ref(e1) == _ref(e2)), f"{e1} vs {e2}"
assert canonical(("+", 1, ("*", 2, 3))) != canonical(("*", ("+", 1, 2), 3)), "keep the parentheses"
assert canonical(("/", ("+", 1, 2), ("-", 4, 5))) == "((1+2)/(4-5))"
assert canonical(("*", ("+", 12, 1), 10)) == "((1+12)*10)", "order by string, not by value"
assert canonical(("+", 13, 2)) == "(13+2)" and canonical(("*", 2, 13)) == "(13*2)", "order by string, not by value"
assert canonical(("+", ("-", 5, 4), ("-", 5, 4))) == "((5-4)+(5-4))", "equal operands"
assert canonical(("-", ("*", 4, 3), ("+", 1, 11))) == "((3*4)-(1+11))", "sort inside - and / too"
assert canonical(0) == "0" and canonical(("/", 0, 5)) == "(0/5)"
deep = 1
for k in range(2, 40):
    deep = ("+", deep, k) if k % 2 else ("*", k, deep)
assert canonical(deep) == _ref_string(deep), "a deep expression"
# the canonical form of each real solution of a puzzle evaluates to 24
_e = Game24([(4, 4, 10, 10)])
assert {canonical(x) for x in _e.solution_expressions(0)} == {"(((10*10)-4)/4)"}
### END HIDDEN TESTS

# %% [markdown] id="stats-statement"
# ## Exercise 2 — counting solutions and their entropy (2 points)
#
# Given the canonical strings of the **correct** attempts on one puzzle (a list, possibly empty, with repeats), **implement** `solution_stats(solutions) -> (n_distinct, entropy)`: the number of distinct strings (an `int`), and the Shannon entropy in **nats** of their empirical distribution (a `float`), $H = -\sum_e \hat p_e \log \hat p_e$ with $\hat p_e = \text{count}(e) / \text{len(solutions)}$. An empty list gives `(0, 0.0)`: the int `0` and the float `0.0` (not `(0, 0)`; the tests check the types). One solution repeated gives entropy 0. Strings that differ in any character (case and whitespace included: `"(3*8)"` and `"(3*8) "` are two solutions) are different: take them exactly as given, without `.strip()` or `.lower()`. Leave the list unchanged.
#
# *Hint:* `collections.Counter`.

# %% id="stats-answer" nbgrader={"grade": false, "grade_id": "stats-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def solution_stats(solutions: list[str]) -> tuple[int, float]:
    """(number of distinct solutions, entropy in nats of their empirical distribution); (0, 0.0) if empty."""
    ### BEGIN SOLUTION
    if not solutions:
        return 0, 0.0
    counts = Counter(solutions)
    n = len(solutions)
    return len(counts), float(-sum(c / n * math.log(c / n) for c in counts.values()))
    ### END SOLUTION


# %% id="stats-tests" nbgrader={"grade": true, "grade_id": "stats-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
assert solution_stats([]) == (0, 0.0), "no correct attempt: (0, 0.0)"
n, h = solution_stats(["(3*8)", "(3*8)"])
assert n == 1 and abs(h) < 1e-12, f"one solution twice: (1, 0.0), got {(n, h)}"
n, h = solution_stats(["a", "b", "a", "b"])
assert n == 2 and abs(h - math.log(2)) < 1e-9, f"two equally frequent solutions: (2, log 2), got {(n, h)}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from fractions import Fraction

from utils.testing import assert_unchanged, assert_values


def _stats_ref(sols):  # exact probabilities (fractions) from a sort, then the entropy with an exactly rounded sum
    runs, last = [], object()
    for s in sorted(sols):
        if s == last:
            runs[-1] += 1
        else:
            runs.append(1)
            last = s
    probs = [Fraction(c, len(sols)) for c in runs]
    return len(runs), math.fsum(-float(p) * math.log(float(p)) for p in probs)
g = np.random.default_rng(4)
for size, kinds in [(1, 12), (2, 2), (5, 12), (50, 12), (400, 12), (1000, 3), (37, 200)]:
    sols = [f"s{v}" for v in g.integers(0, kinds, size)]
    n, h = assert_unchanged(solution_stats, sols)
    want_n, want_h = _stats_ref(sols)
    assert type(n) is int and n == want_n, f"{size} solutions: expected {want_n} distinct (an int), got {n!r}"
    assert isinstance(h, float), f"the entropy must be a float, got {type(h).__name__}"
    assert_values(h, want_h, rtol=1e-12, atol=1e-12, what=f"the entropy of {size} solutions")
assert_values(solution_stats(["x"] * 3 + ["y"])[1], -(0.75 * math.log(0.75) + 0.25 * math.log(0.25)),
              rtol=1e-12, atol=1e-12, what="entropy of (3/4, 1/4)")
assert solution_stats(["(1+2)", "(2+1)", "(1+2)"])[0] == 2, "the strings are taken as given"
n, h = solution_stats(["a", "A"])
assert n == 2 and abs(h - math.log(2)) < 1e-12, f"'a' and 'A' are two solutions: (2, log 2), got {(n, h)}"
n, h = solution_stats(["only"])
assert n == 1 and abs(h) < 1e-15, f"one solution: (1, 0.0), got {(n, h)}"
n, h = solution_stats([f"e{i}" for i in range(64)])
assert n == 64 and abs(h - math.log(64)) < 1e-12, f"64 different solutions once each: (64, log 64), got {(n, h)}"
# the empty list: exactly (0, 0.0), an int and a float ((0, 0) == (0, 0.0) in Python, so check the types)
_empty = []
n, h = assert_unchanged(solution_stats, _empty)
assert type(n) is int and n == 0, f"no solutions: n_distinct is the int 0, got {n!r}"
assert isinstance(h, float) and h == 0.0, f"no solutions: the entropy is the float 0.0, got {h!r} ({type(h).__name__})"
# whitespace is part of the string: strings that differ only by spaces, tabs or newlines are different solutions
for sols in (["(3*8)", "(3*8) "], [" (3*8)", "(3*8)", "(3*8)\n", "(3*8)"], ["(3*8)", "(3 * 8)", "(3*8)\t"]):
    n, h = assert_unchanged(solution_stats, sols)
    want_n, want_h = _stats_ref(sols)
    assert n == want_n, f"{sols!r}: {want_n} distinct strings (whitespace counts: do not strip), got {n!r}"
    assert_values(h, want_h, rtol=1e-12, atol=1e-12, what=f"the entropy of {sols!r} (whitespace counts)")
### END HIDDEN TESTS

# %% [markdown] id="loo-statement"
# ## Exercise 3 — the leave-one-out advantage (2 points)
#
# The reward-maximising baseline is REINFORCE: raise $\log \pi(\tau)$ in proportion to an *advantage*. With $k$ attempts per puzzle, the leave-one-out baseline (Kool et al. 2019; the same estimator RLOO uses for LLMs) compares each attempt with the mean reward of the **other** $k-1$ attempts at the same puzzle:
#
# $$A_i = r_i - \frac{1}{k-1} \sum_{j \ne i} r_j ,\qquad \mathcal{L}_{RF} = -\frac{1}{Pk} \sum_{p, i} A_{p,i} \log \pi(\tau_{p,i}) .$$
#
# The baseline does not depend on $\tau_i$, so the gradient stays unbiased, and it needs no value network.
#
# **Implement** `leave_one_out_advantage(rewards)` for a float tensor `(P, k)` (row = puzzle, column = attempt; rewards may be any real numbers), returning a new `(P, k)` tensor of the same dtype, computed in it; leave `rewards` unchanged. Raise `ValueError` if `k < 2` (`k = 1` or `k = 0`).
#
# *Hint:* the sum over $j \ne i$ is the row sum minus $r_i$.

# %% id="loo-answer" nbgrader={"grade": false, "grade_id": "loo-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def leave_one_out_advantage(rewards: torch.Tensor) -> torch.Tensor:
    """r_i minus the mean reward of the other k-1 attempts at the same puzzle; rewards (P, k) -> (P, k)."""
    ### BEGIN SOLUTION
    k = rewards.shape[-1]
    if k < 2:
        raise ValueError(f"need k >= 2 attempts per puzzle, got k={k}")
    return rewards - (rewards.sum(-1, keepdim=True) - rewards) / (k - 1)
    ### END SOLUTION


# %% id="loo-tests" nbgrader={"grade": true, "grade_id": "loo-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
a = leave_one_out_advantage(torch.tensor([[1.0, 0.0, 0.0, 1.0]]))
assert a.shape == (1, 4), f"same shape as rewards, got {tuple(a.shape)}"
assert torch.allclose(a, torch.tensor([[2 / 3, -2 / 3, -2 / 3, 2 / 3]])), f"expected [2/3, -2/3, -2/3, 2/3], got {a.tolist()}"
assert torch.allclose(leave_one_out_advantage(torch.ones(3, 5)), torch.zeros(3, 5)), "all equal rewards: no advantage"
print("visible checks passed")
### BEGIN HIDDEN TESTS
import fractions

from utils.testing import assert_raises, assert_unchanged, assert_values

g = torch.Generator().manual_seed(9)
for P, k, kind in [(1, 2, "rand"), (4, 3, "signed"), (6, 8, "signed"), (3, 5, "ties"), (2, 64, "signed"), (5, 2, "ties")]:
    r = torch.randn(P, k, generator=g, dtype=torch.float64) * 10
    if kind == "rand":
        r = torch.rand(P, k, generator=g, dtype=torch.float64)
    elif kind == "ties":
        r = torch.round(r / 10)  # integers with repeats, as success indicators are
    # exact reference: r_i minus the mean of the others, in rational arithmetic
    ref = torch.tensor([[float(fractions.Fraction(r[p, i].item()) - sum(fractions.Fraction(r[p, j].item()) for j in range(k) if j != i)
                              / (k - 1)) for i in range(k)] for p in range(P)], dtype=torch.float64)
    got = assert_unchanged(leave_one_out_advantage, r)
    assert_values(got, ref, what=f"advantages, P={P}, k={k} ({kind} rewards)")
    assert_values(leave_one_out_advantage(r.float()), ref.float(), what=f"advantages of float32 rewards, P={P}, k={k}")
for bad in (torch.ones(3, 1), torch.ones(1, 1, dtype=torch.float64), torch.ones(2, 0)):
    assert_raises(ValueError, leave_one_out_advantage, bad)
### END HIDDEN TESTS

# %% [markdown] id="tb-statement"
# ## Exercise 4 — trajectory balance on a tree, conditioned on the puzzle (2 points)
#
# **Implement** `conditional_tb_loss(log_Z, log_pf_sum, log_reward)`: all three float `(B,)` — $\log Z_\theta(c_b)$ of each trajectory's puzzle, $\sum_t \log P_F$ along the trajectory, $\log R(\tau_b)$. Return the scalar mean of $\mathcal{L}_{TB}$ over the batch ($P_B = 1$ on a tree, so there is no backward term), in the dtype of the inputs. Training differentiates it: gradients must flow to `log_Z` and `log_pf_sum` (no `.detach()`, `.item()` or `torch.tensor(...)` of computed values). Leave the arguments unchanged.
#
# *Hint:* one line; the notebook-01 loss without $P_B$ and with one $\log Z$ per trajectory.

# %% id="tb-answer" nbgrader={"grade": false, "grade_id": "tb-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conditional_tb_loss(log_Z: torch.Tensor, log_pf_sum: torch.Tensor, log_reward: torch.Tensor) -> torch.Tensor:
    """Mean over trajectories of (log Z(c) + sum log PF - log R)^2 on a tree-shaped state space."""
    ### BEGIN SOLUTION
    return (log_Z + log_pf_sum - log_reward).pow(2).mean()
    ### END SOLUTION


# %% id="tb-tests" nbgrader={"grade": true, "grade_id": "tb-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
loss = conditional_tb_loss(torch.tensor([1.0, 2.0]), torch.tensor([-3.0, -1.0]), torch.tensor([0.0, -10.0]))
assert loss.ndim == 0, f"return a scalar, got shape {tuple(loss.shape)}"
assert abs(loss.item() - ((1 - 3) ** 2 + (2 - 1 + 10) ** 2) / 2) < 1e-6, f"expected 62.5, got {loss.item()}"
lz_v, lpf_v = torch.tensor([1.0, 2.0], requires_grad=True), torch.tensor([-3.0, -1.0], requires_grad=True)
loss_v = conditional_tb_loss(lz_v, lpf_v, torch.tensor([0.0, -10.0]))
assert loss_v.requires_grad, "no gradient flows: do not use .detach(), .item(), torch.no_grad() or torch.tensor(...)"
loss_v.backward()
assert lz_v.grad is not None and lpf_v.grad is not None, "gradients must flow to log_Z and log_pf_sum"
assert torch.allclose(lz_v.grad, torch.tensor([-2.0, 11.0])), f"d loss / d log_Z(c_b) = 2 residual_b / B, got {lz_v.grad}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_grads_match, assert_unchanged, assert_values


def _tb_loop(lz, lpf, lr):  # autograd reference: one trajectory at a time, summed, divided by B
    total = 0
    for b in range(lz.shape[0]):
        total = total + (lz[b] + lpf[b] - lr[b]) * (lz[b] + lpf[b] - lr[b])
    return total / lz.shape[0]
g = torch.Generator().manual_seed(21)
for B, scale in [(1, 1.0), (7, 1.0), (64, 5.0), (16, 300.0)]:
    lz = torch.randn(B, generator=g, dtype=torch.float64) * scale
    lpf = -torch.rand(B, generator=g, dtype=torch.float64) * scale * 3
    lr = torch.where(torch.rand(B, generator=g) < 0.5, 0.0, -10.0).double()  # success or failure, as in training
    want = torch.tensor(math.fsum((a + b - c) ** 2 for a, b, c in zip(lz.tolist(), lpf.tolist(), lr.tolist())) / B,
                        dtype=torch.float64)
    got = assert_unchanged(conditional_tb_loss, lz, lpf, lr)
    assert_values(got, want, what=f"conditional TB loss, B={B}")
    assert_grads_match(conditional_tb_loss, _tb_loop, lz, lpf, lr, argnums=(0, 1), what=f"conditional TB loss, B={B}")
    assert_values(conditional_tb_loss(lz.float(), lpf.float(), lr.float()), want.float(),
                  what=f"conditional TB loss of float32 inputs, B={B}")
### END HIDDEN TESTS

# %% [markdown] id="optimum-statement"
# ## Exercise 5 — the policy trajectory balance aims at (derive, then predict; 2 points)
#
# This one has no code in its hint: derive the answer on paper first. At its optimum, TB makes the sampler end in leaf $\tau$ with probability $R(\tau)/Z$, $Z = \sum_\tau R(\tau)$. But a policy is a set of *local* choices, one distribution $P_F(\cdot \mid s)$ at every node of the tree. Which local choices produce exactly that distribution over the leaves?
#
# **Implement** `tb_optimal_policy(log_reward)`:
# - `log_reward` is a float tensor of shape `(3888,)`: $\log R$ of every leaf of one puzzle's tree, in `Game24`'s order (leaf $(a_1 \cdot 18 + a_2) \cdot 6 + a_3$, as `Game24.leaf_actions` reads it); $-\infty$ marks a leaf with $R = 0$ (e.g. one behind a division by zero). The finite values may lie anywhere in $[-1000, 1000]$, where $e^{\log R}$ overflows or underflows in float64; at least one is finite.
# - Return a tuple `(p1, p2, p3)` of new tensors in the dtype of `log_reward` (computed in it), of shapes `(36,)`, `(36, 18)` and `(648, 6)`: `p1[a1]` $= P_F(a_1 \mid \text{root})$, `p2[a1, a2]` $= P_F(a_2 \mid a_1)$, `p3[a1 * 18 + a2, a3]` $= P_F(a_3 \mid a_1, a_2)$.
# - What the tests check: every entry against a reference (float64: relative $10^{-9}$, absolute $10^{-11}$, also with $\log R = \pm 1000$; a float32 `log_reward` gives float32 results), and that `p1[a1] * p2[a1, a2] * p3[a1 * 18 + a2, a3]` $= R(\tau)/Z$ for every leaf. A node below which every leaf has $R = 0$ is never reached: its row is all zeros. A `ValueError` if `log_reward` does not have shape `(3888,)`; `log_reward` stays unchanged. The result is a fixed target, not trained: no gradient needs to flow.
#
# *Hint:* if the leaves come out with probability $R(\tau)/Z$, with what probability does the sampler pass through a given node?
#
# **Predict, then check.** With this notebook's rewards ($R = 1$ for a success, $e^{-10}$ for every other valid leaf), how often does the TB optimum succeed on a puzzle with $m$ successful and $n$ failing valid trajectories? Work it out for $m = 40$, $n = 3840$ (the puzzle drawn after the training), and guess whether the trained TB policy gets there. The cell under the tree picture prints both.

# %% id="optimum-answer" nbgrader={"grade": false, "grade_id": "optimum-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def tb_optimal_policy(log_reward: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The forward policy whose leaves come out with probability R/Z: P_F at the root (36,), level 1 (36, 18), level 2 (648, 6)."""
    ### BEGIN SOLUTION
    if tuple(log_reward.shape) != (3888,):
        raise ValueError(f"log_reward must have shape (3888,), got {tuple(log_reward.shape)}")
    # the flow through a node is the total reward of the leaves below it, F(s) = sum R; P_F(a | s) = F(child) / F(s)
    log_f3 = log_reward.reshape(36, 18, 6)
    log_f2 = torch.logsumexp(log_f3, -1)
    log_f1 = torch.logsumexp(log_f2, -1)
    log_f0 = torch.logsumexp(log_f1, -1)

    def ratio(child, parent):  # F(s) = 0: the node is never reached, a row of zeros (not 0/0)
        return torch.where(torch.isfinite(parent), (child - parent).exp(), torch.zeros_like(child))
    return ratio(log_f1, log_f0), ratio(log_f2, log_f1[:, None]), ratio(log_f3, log_f2[..., None]).reshape(648, 6)
    ### END SOLUTION


# %% id="optimum-tests" nbgrader={"grade": true, "grade_id": "optimum-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
p1, p2, p3 = tb_optimal_policy(torch.zeros(3888, dtype=torch.float64))
assert (p1.shape, p2.shape, p3.shape) == ((36,), (36, 18), (648, 6)), f"shapes (36,), (36, 18), (648, 6), got {p1.shape}, {p2.shape}, {p3.shape}"
assert p1.dtype == p2.dtype == p3.dtype == torch.float64, f"float64 in, float64 out, got {p1.dtype}, {p2.dtype}, {p3.dtype}"
assert abs(p1[0].item() - 1 / 36) < 1e-12 and abs(p3[0, 0].item() - 1 / 6) < 1e-12, "equal rewards everywhere: every choice uniform, 1/36, 1/18, 1/6 (to 1e-12: compute in float64)"
one = torch.full((3888,), -math.inf, dtype=torch.float64)
one[(5 * 18 + 7) * 6 + 2] = 0.0  # only the leaf of actions (5, 7, 2) is rewarded
p1, p2, p3 = tb_optimal_policy(one)
assert p1[5].item() == 1 and p2[5, 7].item() == 1 and p3[5 * 18 + 7, 2].item() == 1, "one rewarded leaf: its path has probability 1"
assert p2[0].sum().item() == 0, "a node with no reward below it is never reached: a row of zeros"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_raises, assert_unchanged, assert_values


def _optimal_ref(log_r):  # independent: group the leaves by prefix with Game24.leaf_actions; shift by each node's own max; fsum
    children = {}  # prefix (a tuple of actions) -> {action: [log R of the leaves below]}
    for leaf, v in enumerate(log_r.tolist()):
        actions = tuple(Game24.leaf_actions(leaf))
        for depth in range(3):
            children.setdefault(actions[:depth], {}).setdefault(actions[depth], []).append(v)

    def row(prefix, n_actions):
        below = children[prefix]
        top = max(max(vals) for vals in below.values())
        if top == -math.inf:
            return [0.0] * n_actions
        weight = [math.fsum(math.exp(v - top) for v in below[a]) for a in range(n_actions)]
        return [w / math.fsum(weight) for w in weight]
    p1 = row((), 36)
    p2 = [row((a,), 18) for a in range(36)]
    p3 = [row((a, b), 6) for a in range(36) for b in range(18)]
    return [torch.tensor(p, dtype=torch.float64) for p in (p1, p2, p3)]

def _leaf_probs_ref(log_r):  # R / Z over the leaves, exactly rounded sums
    top = max(log_r.tolist())
    weight = [math.exp(v - top) for v in log_r.tolist()]
    total = math.fsum(weight)
    return torch.tensor([w / total for w in weight], dtype=torch.float64)

def _check_optimum(log_r, what):
    got = assert_unchanged(tb_optimal_policy, log_r)
    assert isinstance(got, (tuple, list)) and len(got) == 3, f"{what}: return a tuple (p1, p2, p3), got {type(got).__name__}"
    for name, g, want in zip(("p1", "p2", "p3"), got, _optimal_ref(log_r.double())):
        assert_values(g, want.to(log_r.dtype), what=f"{what}: {name}")
    g1, g2, g3 = got
    leaf_probs = (g1[:, None, None] * g2[:, :, None] * g3.reshape(36, 18, 6)).reshape(-1)
    assert_values(leaf_probs, _leaf_probs_ref(log_r.double()).to(log_r.dtype), what=f"{what}: p1 p2 p3 along each leaf = R/Z")

# the notebook's rewards on real puzzles, each with a solution (invalid leaves: R = 0), and with failures unrewarded (dead nodes)
_env = Game24([(2, 6, 8, 9), (1, 1, 1, 8), (4, 4, 10, 10), (3, 3, 8, 8), (1, 1, 12, 13)])
for p in range(len(_env)):
    valid = torch.isfinite(_env.leaf[p])
    for fail in (-10.0, -math.inf):
        log_r = torch.where(_env.success[p], 0.0, fail).double().masked_fill(~valid, -math.inf)
        _check_optimum(log_r, f"puzzle {_env.puzzles[p]}, log R(failure) = {fail}")
g = torch.Generator().manual_seed(24)
for scale in (1.0, 30.0, 1000.0):
    log_r = (torch.randn(3888, generator=g, dtype=torch.float64) * scale).clamp(-1000, 1000)
    log_r.view(36, 108)[torch.rand(36, generator=g) < 0.2] = -math.inf   # whole first moves without reward
    log_r.view(648, 6)[torch.rand(648, generator=g) < 0.2] = -math.inf   # whole second-level nodes without reward
    log_r[torch.rand(3888, generator=g) < 0.1] = -math.inf               # single leaves without reward
    _check_optimum(log_r, f"random log R (scale {scale}, with R = 0 subtrees)")
    if scale == 1.0:  # float32 keeps ~1e-7 relative on log R, so near |log R| = 1000 no float32 answer is within 1e-5
        _check_optimum(log_r.float(), "float32 random log R")
for value in (1000.0, -1000.0, 0.0):
    _check_optimum(torch.full((3888,), value, dtype=torch.float64), f"all log R = {value} (ties)")
_check_optimum(torch.randint(-3, 3, (3888,), generator=g).double(), "integer log R with ties")
two = torch.full((3888,), -math.inf, dtype=torch.float64)
two[0], two[3887] = 1000.0, -1000.0  # first and last leaf; exp overflows for one and underflows for the other
_check_optimum(two, "two rewarded leaves, log R = 1000 and -1000")
for bad in (torch.zeros(3887), torch.zeros(36, 18, 6), torch.zeros(1, 3888), torch.zeros(3888, 1)):
    assert_raises(ValueError, tb_optimal_policy, bad)
### END HIDDEN TESTS

# %% [markdown] id="data-intro"
# ## Experiment — training puzzles and held-out puzzles
#
# **Where the paper says it.** Reproduces, in miniature, the Game24 (math puzzle solving) experiment of Yu et al. (2024), one of the three tasks of the first version (BlocksWorld, Game24, PrOntoQA; later versions have six): an LLM fine-tuned with FoR's GFlowNet objective on a handful of training problems is compared with supervised fine-tuning, reward-maximising RL (PPO) and prompting or search methods on accuracy and on how many *different* correct solutions it finds (as we read it; we could not check the table number or its figures, so we quote none). Here the LLM is a small puzzle-conditioned network and the reward maximiser is REINFORCE with a leave-one-out baseline.
#
# We keep the puzzles (among all multisets of four numbers from 1 to 13) that have at least 40 successful trajectories, and draw $2 \times$ `N_PUZZLES` of them with a fixed generator: the first half to train on, the second half held out. For each we also count, by enumerating its tree, how many distinct canonical solutions exist at all — the ceiling.

# %% id="data"
pool = game24_puzzle_pool(min_trajectories=40)
order = torch.randperm(len(pool), generator=torch.Generator().manual_seed(2024)).tolist()  # the task is fixed
env = Game24([pool[i] for i in order[: 2 * N_PUZZLES]])
train_ids, test_ids = list(range(N_PUZZLES)), list(range(N_PUZZLES, 2 * N_PUZZLES))
ceiling = [solution_stats([canonical(e) for e in env.solution_expressions(p)])[0] for p in range(len(env))]
print(f"{len(pool)} puzzles with >= 40 successful trajectories; training on {N_PUZZLES}, holding out {N_PUZZLES}")
print("training puzzles:", env.puzzles[:N_PUZZLES][:8], "...")
print(f"distinct solutions that exist: {np.mean(ceiling[:N_PUZZLES]):.1f} per training puzzle, "
      f"{np.mean(ceiling[N_PUZZLES:]):.1f} per held-out puzzle")

# %% [markdown] id="train-intro"
# Both methods train the same network, from the same seed, for the same number of steps. A step draws 8 training puzzles and 8 attempts at each (64 episodes).
# - **TB (the GFlowNet, FoR's objective):** `conditional_tb_loss` with $\log R = 0$ for a success and $-10$ otherwise. TB is an off-policy objective: any sampler that covers the trajectories will do, so, as FoR explores off-policy, 5% of the actions are drawn uniformly at random during training (`EXPLORE`). Without it TB reached about 9.6× REINFORCE's distinct solutions in our runs instead of about 11×; the exploration matters, but it is not the whole effect.
# - **REINFORCE + leave-one-out (the reward maximiser):** reward 1 for a success, 0 otherwise; `leave_one_out_advantage` over the 8 attempts at each puzzle. It stays on-policy: its gradient estimate is only unbiased for samples of the policy itself.
#
# Then, for every puzzle, `N_EVAL` fresh attempts are sampled and we record the success rate, the number of distinct correct solutions (canonical) and their entropy.

# %% id="train"
PUZZLES_PER_STEP, ATTEMPTS = 8, 8
LOG_R_FAIL = -10.0
EXPLORE = 0.05  # TB only: off-policy, 5% uniformly random actions (REINFORCE must stay on-policy)


def train_policy(method, steps, seed):
    """Train a PuzzlePolicy on the training puzzles with 'TB' or 'REINFORCE'."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    policy = PuzzlePolicy(env.n_features, 128)
    opt = torch.optim.Adam([{"params": policy.score.parameters(), "lr": 1e-3},
                            {"params": policy.log_Z.parameters(), "lr": 1e-2}])
    success_curve = []
    for _ in progress(range(steps), desc=method):
        puzzle = torch.tensor(train_ids)[torch.randint(0, len(train_ids), (PUZZLES_PER_STEP,), generator=gen)]
        out = sample_game24(env, policy, puzzle.repeat_interleave(ATTEMPTS), gen,
                            epsilon=EXPLORE if method == "TB" else 0.0)
        if method == "TB":
            log_reward = torch.where(out["success"], 0.0, LOG_R_FAIL)
            loss = conditional_tb_loss(out["log_Z"], out["log_pf"], log_reward)
        else:
            advantage = leave_one_out_advantage(out["success"].float().view(PUZZLES_PER_STEP, ATTEMPTS)).view(-1)
            loss = -(advantage * out["log_pf"]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        success_curve.append(out["success"].float().mean().item())
    return policy, success_curve


def evaluate(policy, puzzle_ids, n_attempts, seed):
    """Per puzzle: success rate, distinct correct solutions, entropy of the correct solutions."""
    gen = torch.Generator().manual_seed(seed)
    rows = []
    with torch.no_grad():
        for p in puzzle_ids:
            out = sample_game24(env, policy, torch.full((n_attempts,), p), gen)
            solved = [canonical(trajectory_expression(env.puzzles[p], Game24.leaf_actions(leaf)))
                      for leaf in out["leaf"][out["success"]].tolist()]
            n_distinct, entropy = solution_stats(solved)
            rows.append((out["success"].float().mean().item(), n_distinct, entropy))
    return np.array(rows)


trained = {method: train_policy(method, STEPS, SEED) for method in ("TB", "REINFORCE")}
curves = {method: curve for method, (_, curve) in trained.items()}
table = {method: {"train": evaluate(policy, train_ids, N_EVAL, SEED + 1),
                  "held-out": evaluate(policy, test_ids, N_EVAL, SEED + 1)}
         for method, (policy, _) in trained.items()}
print(f"{'method':>10} {'puzzles':>9} {'success':>8} {'distinct':>9} {'entropy':>8}   ({N_EVAL} attempts per puzzle)")
for method, parts in table.items():
    for part, rows in parts.items():
        print(f"{method:>10} {part:>9} {rows[:, 0].mean():8.3f} {rows[:, 1].mean():9.2f} {rows[:, 2].mean():8.2f}")

# %% id="plot"
fig, axes = subplots(ncols=2)
window = max(1, STEPS // 30)
for method, curve in curves.items():
    smooth = np.convolve(curve, np.ones(window) / window, mode="valid")
    axes[0].plot(np.arange(len(smooth)) + window, smooth, label=method)
label(axes[0], "Success rate during training (TB: with its 5% exploration)", "training step",
      "fraction of episodes = 24")
x = np.arange(N_PUZZLES)
axes[1].bar(x - 0.3, ceiling[:N_PUZZLES], width=0.3, color="lightgray", label="solutions that exist")
axes[1].bar(x, table["TB"]["train"][:, 1], width=0.3, label="TB (GFlowNet)")
axes[1].bar(x + 0.3, table["REINFORCE"]["train"][:, 1], width=0.3, label="REINFORCE + LOO")
axes[1].set_yscale("log")
label(axes[1], f"Distinct correct solutions in {N_EVAL} attempts", "training puzzle", "distinct solutions (log)")
show(fig)

# %% [markdown] id="tree-intro"
# ### One puzzle's tree, and where each policy sends its probability
#
# The picture below draws the episodes of one training puzzle (the one with the fewest successful trajectories) as a tree, left to right: the four numbers at the root, then the numbers left after each step (labelled in the left panel; a leaf is always 24). It is **pruned**: of the puzzle's 3888 trajectories only those that end in 24 are drawn (green), all of them; the first moves from which 24 cannot be reached at all are merged into one grey edge, and the failing branches below the other first moves are left out. Each edge is as wide as the probability that an episode passes along it, $P_F(a_1)\,P_F(a_2 \mid a_1) \cdots$ up to that edge, for, from left to right, the TB optimum of Exercise 5 (this notebook's rewards), the trained TB policy and the trained REINFORCE policy. Look at how the width is shared among the green leaves, and at how much is lost: where a node's green children are together thinner than the node, the policy sends the rest into branches that miss 24.

# %% id="tree-picture"
from fractions import Fraction  # noqa: F811 (a hidden test above imports it too; the lesson has no hidden tests)

from matplotlib.collections import LineCollection

PICTURE = min(train_ids, key=lambda p: (env.n_solution_trajectories()[p].item(), p))  # fewest successes; first on ties
success = env.success[PICTURE].view(36, 18, 6)
leaves = torch.nonzero(success).tolist()  # (a1, a2, a3) of each successful trajectory, in tree order
dead = ~success.flatten(1).any(1)  # first moves from which 24 cannot be reached
y = lambda prefix: np.mean([i for i, leaf in enumerate(leaves) if tuple(leaf[: len(prefix)]) == prefix])


def policy_tree(policy):
    """A policy's P_F at every node of the puzzle's tree, laid out as Exercise 5's answer (invalid nodes: zeros)."""
    with torch.no_grad():
        return [policy(*env.action_features(torch.full((n,), PICTURE), level, torch.arange(n))).exp().nan_to_num().double()
                for level, n in enumerate((1, 36, 648))]


log_reward = torch.where(success.flatten(), 0.0, LOG_R_FAIL).double().masked_fill(~torch.isfinite(env.leaf[PICTURE]), -math.inf)
trees = {"TB optimum (Exercise 5)": tb_optimal_policy(log_reward),
         "TB (trained)": policy_tree(trained["TB"][0]), "REINFORCE + LOO (trained)": policy_tree(trained["REINFORCE"][0])}
flows = {name: [p1.reshape(36), p1.reshape(36, 1) * p2, (p1.reshape(36, 1) * p2)[..., None] * p3.view(36, 18, 6)]
         for name, (p1, p2, p3) in trees.items()}  # the probability of passing along each edge
fig, axes = subplots(ncols=3, width=4.2, height=7.5)
edges = [prefix for depth in (1, 2, 3) for prefix in sorted({tuple(leaf[:depth]) for leaf in leaves})]
for ax, (name, flow) in zip(axes, flows.items()):
    ax.add_collection(LineCollection([[(len(e) - 1, y(e[:-1])), (len(e), y(e))] for e in edges], color="tab:green",
                                     linewidths=[0.3 + 12 * flow[len(e) - 1][e].item() for e in edges], capstyle="round"))
    for e in [e for e in edges if len(e) < 3] if ax is axes[0] else []:  # the numbers left at each node, left panel
        numbers = sorted(env.values[len(e)][PICTURE, np.ravel_multi_index(e, (36, 18)[: len(e)])])
        ax.text(len(e) + 0.04, y(e), " ".join(str(Fraction(v).limit_denominator(1000)) for v in numbers), fontsize=6, va="center",
                backgroundcolor="white")
    ax.plot([0, 1], [y(()), len(leaves) + 1], color="gray", lw=0.3 + 12 * flow[0][dead].sum().item())
    ax.text(1.04, len(leaves) + 1, f"{dead.sum().item()} first moves\nwith no 24 below", fontsize=6, va="center")
    ax.set(xlim=(-0.3, 3.3), xticks=[0, 1, 2, 3], xticklabels=[str(env.puzzles[PICTURE]), "step 1", "step 2", "24"], yticks=[])
    ax.invert_yaxis()
    label(ax, name, "numbers left after each step", f"the {len(leaves)} successful trajectories", legend=False)
show(fig)

# %% [markdown] id="tree-check-intro"
# **Check your prediction** (Exercise 5): the probability of reaching 24 under each policy, for the puzzle drawn, and how it is shared among the successful trajectories (the *effective number* is $e^H$ of the shares, $H$ their entropy: 40 if all 40 get the same, 1 if one gets everything).

# %% id="tree-check"
m, n_fail = len(leaves), torch.isfinite(env.leaf[PICTURE]).sum().item() - len(leaves)
print(f"puzzle {env.puzzles[PICTURE]}: {m} successful and {n_fail} failing valid trajectories, "
      f"{ceiling[PICTURE]} distinct canonical solutions (sampled in {N_EVAL} attempts: TB {table['TB']['train'][PICTURE, 1]:.0f}, "
      f"REINFORCE {table['REINFORCE']['train'][PICTURE, 1]:.0f}); m / (m + n e^-10) = {m / (m + n_fail * math.exp(LOG_R_FAIL)):.4f}")
print(f"TB's sampled success rate: {table['TB']['train'][PICTURE, 0]:.3f} on this puzzle, from "
      f"{table['TB']['train'][:, 0].min():.3f} to {table['TB']['train'][:, 0].max():.3f} over the training puzzles")
for name, flow in flows.items():
    on_24 = flow[2][success]
    effective = torch.special.entr(on_24 / on_24.sum()).sum().exp().item()
    print(f"{name:>26}: reaches 24 with probability {on_24.sum().item():.3f} (first moves with no 24 below: "
          f"{flow[0][dead].sum().item():.3f}); per successful trajectory {on_24.min().item():.4f} to "
          f"{on_24.max().item():.4f}, effective number {effective:.1f}")

# %% [markdown] id="tree-outro"
# **What the tree shows** (seed 0, full size). The puzzle drawn, $(2, 6, 8, 9)$, has 40 successful trajectories among its 3880 valid ones; only 10 of its 36 first moves can still reach 24 (the other 26 are the grey edge), and the 40 trajectories write 34 distinct canonical solutions. The TB optimum of Exercise 5 gives each of the 40 the same probability, 0.0249, and reaches 24 with probability $40 / (40 + 3840\,e^{-10}) = 0.996$: the small reward $e^{-10}$ of the 3840 failures costs the optimum only 0.4%. The trained TB policy is well short of its optimum on this puzzle, its hardest (a sampled success rate of 0.711, against 0.711 to 0.984 over the training puzzles): it sends 0.266 of its probability into first moves that can never make 24, and shares the 0.711 that reaches 24 unevenly (0 to 0.363 per trajectory, an effective number of 5.2 of 40); it wrote 9 distinct solutions in 256 attempts. REINFORCE reaches 24 with probability 0.998, nearly all of it (0.998) along a single trajectory: an effective number of 1.0, and 1 distinct solution. So the trained GFlowNet is spread much less evenly than the objective asks — 1500 steps of a small network on 16 puzzles do not reach the optimum — but it keeps several routes open where the reward maximiser keeps one.

# %% [markdown] id="claim-intro"
# ## Claim check
#
# FoR reports that its GFlowNet-tuned LLM finds many more distinct correct solutions than reward-maximising fine-tuning (PPO in the paper; REINFORCE with a leave-one-out baseline here) at comparable accuracy. FoR's reasoning graph is a DAG whose states are reasoning states; ours is the tree of histories, so $P_B = 1$. Here: distinct correct solutions per training puzzle (mean over puzzles, `N_EVAL` attempts each) and success rates. Held-out puzzles are reported, not asserted: with 16 training puzzles and a small network, generalisation is weak for both methods (see the table).

# %% id="claim-check" tags=["claim-check"]
tb, rf = table["TB"]["train"], table["REINFORCE"]["train"]
ratio = tb[:, 1].mean() / max(rf[:, 1].mean(), 1e-9)
gap = rf[:, 0].mean() - tb[:, 0].mean()
# "many vs one or two", asserted as such: at least 5x as many distinct solutions, and REINFORCE below 3
# (over 5 seeds x 2 thread counts: 9.5x-15x, REINFORCE 1.6-2.0; a 10x threshold failed 2 of 5 seeds)
claim("diversity", paper="the GFlowNet policy finds many different solutions, the reward maximiser one or two",
      here=f"{tb[:, 1].mean():.1f} vs {rf[:, 1].mean():.1f} distinct correct solutions per training puzzle "
           f"({ratio:.1f}x); entropy {tb[:, 2].mean():.2f} vs {rf[:, 2].mean():.2f} nats",
      checks=[above(ratio, 5), below(rf[:, 1].mean(), 3)], smoke=SMOKE)
claim("success", paper="at a comparable success rate",
      here=f"success on training puzzles TB {tb[:, 0].mean():.3f} vs REINFORCE {rf[:, 0].mean():.3f} "
           f"(TB lower by {100 * gap:.1f} points; held-out TB {table['TB']['held-out'][:, 0].mean():.3f}, "
           f"REINFORCE {table['REINFORCE']['held-out'][:, 0].mean():.3f})",
      checks=[below(gap, 0.10)], smoke=SMOKE)

# %% [markdown] id="reflect"
# ## Reflect
#
# Answer each question in the cell below it, in a few sentences, using the table this notebook printed. These answers are graded by hand (1 point each, 3 in all).
#
# 1. REINFORCE with a leave-one-out baseline stops learning on a puzzle once all 8 attempts succeed (every advantage is 0). Why does that freeze it onto the few solutions it happened to find first? What would an entropy bonus change, and what would it cost?

# %% [markdown] id="reflect-freeze" nbgrader={"grade": true, "grade_id": "reflect-freeze", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** Every correct solution has the same reward, so the REINFORCE objective is indifferent between them; its gradient only raises the probability of the successful attempts it sampled, relative to the failed ones. The solutions found first are sampled more, so they are reinforced more — rich get richer — and once all 8 attempts succeed every advantage $r_i - \frac{1}{7}\sum_{j \ne i} r_j$ is $1 - 1 = 0$: no gradient is left to move mass towards other solutions, and nothing ever asked for them. Printed (seed 0): success 1.000 on the training puzzles but only 1.56 distinct solutions per puzzle (entropy 0.15 nats), against 16.81 for TB. An entropy bonus keeps the policy spread out even when all attempts succeed. Done exactly — maximising $\mathbb{E}[r] + \alpha H(\pi)$ with $H$ the entropy of the whole trajectory distribution, as in max-entropy RL — its optimum on this tree is $\pi(\tau) \propto e^{r(\tau)/\alpha}$, the GFlowNet target with $\log R = r/\alpha$. The cost: a coefficient $\alpha$ to tune; the bonus spreads mass onto *wrong* trajectories too, so the success rate drops unless $\alpha$ is small (matching TB's factor $e^{10}$ between a success and a failure needs $\alpha = 0.1$); and the common shortcut, a per-step entropy term added to the loss at the visited states, is not the gradient of that objective, so it only approximates the target.
#
# **Rubric (1 point).** 0.5: equal rewards for all correct solutions plus self-reinforcement of the sampled ones, and zero advantages when all attempts succeed, so no force towards new solutions. 0.5: the entropy bonus keeps diversity but costs success rate/tuning (mentioning the max-entropy-RL equivalence with $R = e^{r/\alpha}$ on a tree is a plus, not required). "REINFORCE is biased" earns 0: the leave-one-out estimator is unbiased.
# ### END SOLUTION

# %% [markdown] id="reflect-canonical-question"
# 2. TB samples each *successful trajectory* equally often, so a solution reachable by many trajectories (e.g. $(a+b)+(c+d)$, with two orders) is sampled more. How would you make the policy sample each *canonical solution* equally often?

# %% [markdown] id="reflect-canonical" nbgrader={"grade": true, "grade_id": "reflect-canonical", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** On the tree, TB's optimum gives $P(\tau) = R(\tau)/Z$, so a canonical solution $e$ reached by $m(e)$ successful trajectories is sampled with probability $m(e)/Z$. Divide the reward by that multiplicity: $R(\tau) = 1/m(e(\tau))$ for a success, i.e. $\log R = -\log m(e)$, so that every canonical solution gets total probability $m(e) \cdot \frac{1}{m(e)} / Z = 1/Z$. Here $m(e)$ is computable: `Game24` enumerates the whole tree of a puzzle, and `canonical` groups its successful trajectories. The principled alternative is to change the state space so that equivalent states are merged (states = canonical partial expressions), which turns the tree into a DAG with several parents per state; then a backward policy $P_B \neq 1$ is needed in TB, and the GFlowNet samples each terminal *object* in proportion to $R$, however many paths lead to it — the situation of FoR's DAG-structured reasoning graph and of the hypergrid in notebook 01.
#
# **Rubric (1 point).** 1: either correction, explained — reward divided by the number of trajectories per canonical solution, or merge equivalent states into a DAG and learn or fix a $P_B$ (with the reason it works). 0.5: the right idea without saying why the multiplicity cancels (or a DAG without $P_B$). "Deduplicate when counting" earns 0: it changes the measurement, not the sampler.
# ### END SOLUTION

# %% [markdown] id="reflect-generalise-question"
# 3. On held-out puzzles both policies do much worse. What would you change first: more training puzzles, a better state encoding, or a larger network? Argue from the printed table. What does FoR get for free by starting from a pretrained LLM?

# %% [markdown] id="reflect-generalise" nbgrader={"grade": true, "grade_id": "reflect-generalise", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** The table (seed 0) shows a generalisation gap, not a fitting problem: on the 16 training puzzles the success rate is 0.917 (TB) and 1.000 (REINFORCE), on the held-out ones 0.446 and 0.523. The network can already fit what it sees, so a larger network would mostly fit the training puzzles better; the first change is more (and more varied) training puzzles, with a better state encoding (features that expose arithmetic structure, e.g. which pairs combine to factors of 24) second, since it changes what can transfer. FoR starts from a pretrained LLM that already knows arithmetic, the format of a step and a lot about which steps are sensible; its policy begins close to useful and generalises from about 15 examples, where our network starts from nothing and must learn arithmetic from 16 puzzles.
#
# **Rubric (1 point).** 0.5: a choice justified by the printed train/held-out gap (high training success, low held-out success means more data or a better encoding, not capacity); another choice earns this half only with a sound argument from the table. 0.5: the pretrained prior — knowledge of arithmetic and of valid steps, a good starting policy, hence sample-efficient generalisation.
# ### END SOLUTION

# %% [markdown] id="further-reading"
# **Further reading:** Yu et al., *Flow of Reasoning* (2024), the FoR objective, its off-policy exploration and the Game24 experiments; Hu et al., *Amortizing intractable inference in large language models* (GFlowNet fine-tuning, 2024); Ahmadian et al., *Back to Basics: Revisiting REINFORCE Style Optimization for Learning from Human Feedback in LLMs* (RLOO, 2024).
