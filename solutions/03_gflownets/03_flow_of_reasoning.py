# %% [markdown] id="title"
# # Flow of Reasoning: many solutions instead of one
#
# **Papers:** F. Yu, L. Jiang, H. Kang, S. Hao, L. Qin, *Flow of Reasoning: Efficient Training of LLM Policy with Divergent Thinking* (2024, arXiv:2406.05673; later versions: *Training LLMs for Divergent Reasoning with Minimal Examples*); trajectory balance from N. Malkin et al. (2022, arXiv:2201.13259); the leave-one-out REINFORCE baseline from W. Kool, H. van Hoof, M. Welling, *Buy 4 REINFORCE Samples, Get a Baseline for Free!* (2019).
#
# **You will learn to**
# - cast multi-step reasoning as building an object step by step, with a reward only for a correct answer;
# - train the same policy two ways: as a GFlowNet with trajectory balance (sample solutions in proportion to reward) and with REINFORCE and a leave-one-out baseline (maximise reward);
# - count *distinct* solutions fairly, by canonicalising expressions up to commutativity, and measure solution entropy;
# - see the GFlowNet keep many solutions per problem while the reward-maximiser keeps one or two.
#
# **Prerequisites:** notebook `01_flows_and_balance` (trajectory balance); policy gradients.
#
# **Read ahead:** `paperlab preview 03_gflownets/03_flow_of_reasoning` writes this lesson's experiments, executed, to `build/preview/` (answers and hidden tests removed), so you can see every figure before you solve anything.
#
# **Time:** 50 min
#
# **Points:** 12 (four autograded exercises, 3 + 2 + 2 + 2 = 9 points; three written answers, 1 point each, graded by hand)
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
