# %% [markdown] id="card"
# # Stitching: what TD learning composes and supervised learning cannot
#
# **Papers:** R. Ghugare, M. Geist, G. Berseth, B. Eysenbach, *Closing the Gap between TD Learning and Supervised Learning — A Generalisation Point of View* (ICLR 2024, arXiv:2401.11237).
#
# **Learning objectives**
# - turn trajectories into goal-conditioned training data by hindsight relabelling, and train a tabular goal-conditioned behaviour cloner (outcome-conditioned supervised learning);
# - write the goal-conditioned TD target (reward and termination at the goal, the max over actions) and run offline Q-iteration;
# - see on a grid why supervised learning does not compose trajectory pieces while TD does, and measure how much of the gap temporal data augmentation closes.
#
# **Prerequisites:** Q-learning and the Bellman optimality equation; notebook 01 of this module is helpful but not needed.
#
# **Time:** 40 min
#
# **Points:** 13 (four autograded exercises, 10 points; three written answers, 1 point each, graded by hand)
#
# **Claim:** stitching — reaching a goal from a start never seen together in one trajectory — is a form of combinatorial generalisation that supervised (outcome-conditioned behaviour cloning) methods lack and TD methods have; a temporal data augmentation that relabels goals through shared waypoints gives the supervised learner part of it back.

# %% id="parameters" tags=["parameters"]
SMOKE = False  # True: tiny sizes, runs in seconds
SEED = 0
PIECES = 30  # trajectory pieces of each kind (A->M and M->B) in the offline data set
EPISODES = 4  # rollouts per (start, goal) test pair

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import torch

from utils.common import above, at_least, below, claim, progress, setup_lesson
from utils.plotting import label, show, subplots
from utils.stitching import (
    ACTION_NAMES,
    draw_grid,
    draw_path,
    grid_world,
    rollout,
    stitching_dataset,
    success_rate,
)

if SMOKE:
    PIECES, EPISODES = min(PIECES, 10), min(EPISODES, 1)
generator = setup_lesson(SEED, SMOKE, PIECES=(PIECES, at_least(2)), EPISODES=(EPISODES, at_least(1)))
world = grid_world(rows=7, cols=11, left=4, right=7)
pieces = stitching_dataset(world, PIECES, generator)
print(f"grid {world.rows}x{world.cols}: {world.n_states} cells, actions {ACTION_NAMES}; {len(pieces)} pieces, "
      f"{sum(len(p.actions) for p in pieces)} transitions")

# %% [markdown] id="background"
# ## Background: goals, pieces and stitching
#
# **The task.** A grid of $7 \times 11$ cells, four deterministic moves (a move off the grid stays put). The columns form three bands: a left room **A**, a middle band **M** and a right room **B**. A *goal-conditioned* policy $\pi(a \mid s, g)$ should walk from any start $s$ to any goal $g$.
#
# **The data.** An offline data set of *pieces*: half walk from a random cell of A to a random cell of M, half from a random cell of M to a random cell of B, each along a random shortest path. No piece holds a cell of A and a cell of B, so every **test pair** (start in A, goal in B) is seen only in pieces: solving it means *stitching* an A→M piece to an M→B piece where they share a cell.
#
# **Outcome-conditioned supervised learning** (goal-conditioned behaviour cloning, GCBC; RvS and decision transformers belong here). *Hindsight relabelling* turns a trajectory $(s_0, a_0, s_1, \dots, a_{T-1}, s_T)$ into training triples: the action $a_t$ is a good action for reaching any state the trajectory reaches later, so
#
# $$\mathcal D_{\text{hind}} = \{(s_t, a_t, g = s_k) : 0 \le t < k \le T\},$$
#
# and GCBC fits $\pi(a \mid s, g)$ to these triples by maximum likelihood. It can only learn about pairs $(s, g)$ that occur *in one trajectory*: for a start in A and a goal in B it has no data at all, however many pieces there are. Ghugare et al. make this precise: stitching is *combinatorial* generalisation (to pairs never seen together), not i.i.d. generalisation, so more data of the same kind does not bring it.
#
# **Goal-conditioned TD.** With reward $r = \mathbb 1[s' = g]$ and the episode ending at the goal, Q-learning's target is
#
# $$y(s, a, s', g) = \begin{cases} 1 & s' = g,\\ \gamma \max_{a'} Q(s', a', g) & \text{otherwise.}\end{cases}$$
#
# Its fixed point is $Q^\star(s, a, g) = \gamma^{d(s, a, g) - 1}$, where $d$ is the fewest moves that reach $g$ after taking $a$ in $s$ (using the data's transitions), and $0$ when no path exists. The $\max$ over $a'$ at $s'$ is where stitching happens: the value of reaching $g \in B$ from a cell $m$ of M, learned from an M→B piece, flows backwards through $m$ into every A→M piece that visits $m$ — TD reuses shared states, supervised learning reuses only whole trajectories.
#
# **Temporal data augmentation** (Ghugare et al., pictured in their Figure 2). Take a hindsight triple $(s, a, g)$; find a *waypoint* $w$ close to $g$ in some other trajectory, and relabel the goal with a state $\tilde g$ that trajectory reaches after $w$. In a grid, "close" can be "equal": whenever the data hold $(g, \cdot, \tilde g)$ — some piece visits $g$ and later $\tilde g$ — we add $(s, a, \tilde g)$. The action $a$ still heads towards $g$, which is on a known way to $\tilde g$: one step of stitching, done by the data instead of the learner.

# %% id="idea-plot"
fig, ax = subplots(width=7.5, height=4.6)
draw_grid(ax, world)
for i, kind, colour in ((0, "A->M", "tab:blue"), (PIECES, "M->B", "tab:orange")):
    for j, piece in enumerate(pieces[i:i + min(PIECES, 6)]):
        draw_path(ax, world, piece.states, jitter=0.08 * (j - 2.5), color=colour, lw=1.5, alpha=0.8,
                  label=f"piece {kind}" if j == 0 else None)
example_start, example_goal = int(pieces[0].states[0]), int(pieces[-1].states[-1])  # a start in A, a goal in B, both in the data
for cell, marker, name in ((example_start, "o", "a test start (in A)"), (example_goal, "*", "a test goal (in B)")):
    r, c = divmod(cell, world.cols)
    ax.plot(c, r, marker, color="k", ms=12, ls="none", label=name)
label(ax, "Offline data: pieces A->M and M->B (6 of each), never A->B", "column", "row")
show(fig)

# %% [markdown] id="hindsight-background"
# ## Exercise 1 — hindsight relabelling (2 points)
#
# **Implement** `hindsight_triples(states, actions)` for one trajectory: `states` is a 1-D int64 tensor $(s_0, \dots, s_T)$ of length $T + 1 \ge 1$ and `actions` a 1-D int64 tensor $(a_0, \dots, a_{T-1})$ of length $T$ (action $a_t$ leads from $s_t$ to $s_{t+1}$). Return an int64 tensor of shape $(N, 3)$ whose rows are $(s_t, a_t, s_k)$ for **every** $0 \le t < k \le T$:
# - a goal is a state reached **strictly later**: the state after the action ($k = t + 1$) counts, up to and including the last state $s_T$; the current state $s_t$ itself does not ($k > t$);
# - rows ordered by $t$, then by $k$ (so $N = T(T+1)/2$); a repeated state gives repeated rows — keep them all;
# - a trajectory of one state ($T = 0$) gives an empty $(0, 3)$ tensor;
# - raise a `ValueError` if `states` or `actions` is not 1-D or `len(states) != len(actions) + 1`; leave both inputs unchanged.
#
# *Hint:* `torch.triu_indices(T + 1, T + 1, offset=1)` lists the pairs $(t, k)$ with $t < k$ in exactly this order.

# %% id="hindsight-answer" nbgrader={"grade": false, "grade_id": "hindsight-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def hindsight_triples(states: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    """Every (s_t, a_t, s_k) with t < k of one trajectory, ordered by t then k: (N, 3) int64."""
    ### BEGIN SOLUTION
    if states.dim() != 1 or actions.dim() != 1 or states.shape[0] != actions.shape[0] + 1:
        raise ValueError(f"states must be (T+1,) and actions (T,), got {tuple(states.shape)} and {tuple(actions.shape)}")
    steps = actions.shape[0]
    t, k = torch.triu_indices(steps + 1, steps + 1, offset=1)
    return torch.stack([states[t], actions[t], states[k]], dim=1)
    ### END SOLUTION


# %% id="hindsight-tests" nbgrader={"grade": true, "grade_id": "hindsight-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
_got = hindsight_triples(torch.tensor([5, 6, 7]), torch.tensor([3, 3]))
assert _got.dtype == torch.long and _got.shape == (3, 3), f"expected a (3, 3) int64 tensor, got {tuple(_got.shape)} {_got.dtype}"
assert _got.tolist() == [[5, 3, 6], [5, 3, 7], [6, 3, 7]], \
    f"goals are the states reached strictly later (s_t itself is not one), ordered by t then k; got {_got.tolist()}"
assert hindsight_triples(torch.tensor([4]), torch.zeros(0, dtype=torch.long)).shape == (0, 3), "one state: no triples"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_raises, assert_unchanged, assert_values


def _hindsight_loops(states, actions):
    """Independent formulation: two explicit loops over the trajectory."""
    s, a = states.tolist(), actions.tolist()
    rows = [[s[t], a[t], s[k]] for t in range(len(a)) for k in range(t + 1, len(s))]
    return torch.tensor(rows, dtype=torch.long).reshape(-1, 3)


_g = torch.Generator().manual_seed(31)
_cases = [(torch.tensor([2]), torch.zeros(0, dtype=torch.long)),  # T = 0
          (torch.tensor([2, 9]), torch.tensor([1])),  # T = 1
          (torch.tensor([3, 3, 4, 3]), torch.tensor([0, 3, 2])),  # revisits: repeated rows kept
          (torch.tensor([0, 1, 2, 3, 4, 5, 6]), torch.tensor([3, 3, 3, 3, 3, 3]))]
for _n in (3, 8, 15):
    _cases.append((torch.randint(0, 77, (_n + 1,), generator=_g), torch.randint(0, 4, (_n,), generator=_g)))
for _s, _a in _cases:
    _got = assert_unchanged(hindsight_triples, _s, _a)  # must not write into states or actions
    assert_values(_got, _hindsight_loops(_s, _a), what=f"hindsight_triples of a trajectory with T = {len(_a)}")
assert_raises(ValueError, hindsight_triples, torch.tensor([1, 2, 3]), torch.tensor([0, 0, 0]))
assert_raises(ValueError, hindsight_triples, torch.tensor([1, 2]), torch.tensor([0, 0]))
assert_raises(ValueError, hindsight_triples, torch.tensor([[1, 2]]), torch.tensor([0]))
assert_raises(ValueError, hindsight_triples, torch.tensor([1, 2]), torch.tensor([[0]]))
### END HIDDEN TESTS

# %% [markdown] id="gcbc-background"
# ## Exercise 2 — tabular goal-conditioned behaviour cloning (2 points)
#
# With a table of counts $c(s, g, a)$ = the number of triples $(s, a, g)$ in the data, maximum likelihood gives $\pi(a \mid s, g) \propto c(s, g, a)$; we act **greedily** on it, which is what a well-fit GCBC policy does at its mode.
#
# **Implement** `gcbc_policy(triples, n_states, n_actions)`: `triples` is an $(N, 3)$ int64 tensor of rows (state, action, goal), $N \ge 0$. Return an `(n_states, n_states, n_actions)` float64 tensor `policy[s, g, a]`:
# - where $(s, g)$ has data (some $c(s, g, a) > 0$): probability $1/m$ on each of the $m$ actions with the **largest** count (ties shared equally), 0 on the others;
# - where $(s, g)$ has no data: $1/$`n_actions` on every action (a uniformly random move);
# - raise a `ValueError` if `triples` is not of shape $(N, 3)$ or holds a state or goal outside $[0, $ `n_states`$)$ or an action outside $[0,$ `n_actions`$)$; leave `triples` unchanged.
#
# *Hint:* accumulate the counts with `index_put_(..., accumulate=True)`; compare each count with the row's maximum.

# %% id="gcbc-answer" nbgrader={"grade": false, "grade_id": "gcbc-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gcbc_policy(triples: torch.Tensor, n_states: int, n_actions: int) -> torch.Tensor:
    """Greedy tabular GCBC: policy[s, g, a], ties shared, uniform where (s, g) has no data: (S, S, A) float64."""
    ### BEGIN SOLUTION
    if triples.dim() != 2 or triples.shape[1] != 3:
        raise ValueError(f"triples must have shape (N, 3), got {tuple(triples.shape)}")
    s, a, g = triples.unbind(1)
    if triples.shape[0] and (int(torch.minimum(s, g).min()) < 0 or int(torch.maximum(s, g).max()) >= n_states
                             or int(a.min()) < 0 or int(a.max()) >= n_actions):
        raise ValueError("triples hold a state, goal or action out of range")
    counts = torch.zeros(n_states, n_states, n_actions, dtype=torch.float64)
    counts.index_put_((s, g, a), torch.ones(triples.shape[0], dtype=torch.float64), accumulate=True)
    best = (counts == counts.max(dim=-1, keepdim=True).values).double()
    return best / best.sum(dim=-1, keepdim=True)
    ### END SOLUTION


# %% id="gcbc-tests" nbgrader={"grade": true, "grade_id": "gcbc-tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
_p = gcbc_policy(torch.tensor([[0, 1, 2], [0, 1, 2], [0, 3, 2], [1, 0, 2], [1, 2, 2]]), 3, 4)
assert _p.shape == (3, 3, 4) and _p.dtype == torch.float64, f"expected (3, 3, 4) float64, got {tuple(_p.shape)} {_p.dtype}"
assert _p[0, 2].tolist() == [0.0, 1.0, 0.0, 0.0], f"the most frequent action at (s=0, g=2) is 1, got {_p[0, 2].tolist()}"
assert _p[1, 2].tolist() == [0.5, 0.0, 0.5, 0.0], f"a tie shares the probability equally, got {_p[1, 2].tolist()}"
assert _p[2, 0].tolist() == [0.25] * 4, f"no data at (s=2, g=0): a uniform action, got {_p[2, 0].tolist()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from collections import Counter as _Counter
from fractions import Fraction as _Fraction

from utils.testing import assert_raises, assert_unchanged, assert_values


def _gcbc_dict(triples, n_states, n_actions):
    """Independent formulation: a Counter per (state, goal), exact fractions."""
    by_pair = {}
    for s, a, g in triples.tolist():
        by_pair.setdefault((s, g), _Counter())[a] += 1
    out = torch.empty(n_states, n_states, n_actions, dtype=torch.float64)
    for s in range(n_states):
        for g in range(n_states):
            counter = by_pair.get((s, g))
            if counter is None:
                out[s, g] = float(_Fraction(1, n_actions))
                continue
            top = max(counter.values())
            winners = [a for a in range(n_actions) if counter[a] == top]
            out[s, g] = torch.tensor([float(_Fraction(1, len(winners))) if a in winners else 0.0 for a in range(n_actions)], dtype=torch.float64)
    return out


_g = torch.Generator().manual_seed(32)
_cases = [(torch.zeros(0, 3, dtype=torch.long), 4, 4),  # no data at all
          (torch.tensor([[2, 0, 1]]), 3, 4),  # one triple
          (torch.tensor([[0, 0, 0], [0, 1, 0], [0, 2, 0]]), 2, 3),  # goal = current state, a three-way tie
          (torch.tensor([[1, 2, 0], [1, 2, 0], [1, 0, 0], [1, 0, 0], [1, 1, 0]]), 2, 3)]  # a two-way tie, a loser
for _n, _states, _actions in ((40, 5, 4), (200, 6, 3), (500, 9, 5)):
    _t = torch.stack([torch.randint(0, _states, (_n,), generator=_g), torch.randint(0, _actions, (_n,), generator=_g),
                      torch.randint(0, _states, (_n,), generator=_g)], dim=1)
    _cases.append((_t, _states, _actions))
for _t, _states, _actions in _cases:
    _got = assert_unchanged(gcbc_policy, _t, _states, _actions)  # must not write into triples
    assert_values(_got, _gcbc_dict(_t, _states, _actions), what=f"gcbc_policy of {len(_t)} triples, S={_states}, A={_actions}")
assert_raises(ValueError, gcbc_policy, torch.zeros(4, 2, dtype=torch.long), 3, 3)
assert_raises(ValueError, gcbc_policy, torch.zeros(3, dtype=torch.long), 3, 3)
assert_raises(ValueError, gcbc_policy, torch.tensor([[3, 0, 0]]), 3, 3)
assert_raises(ValueError, gcbc_policy, torch.tensor([[0, 0, 3]]), 3, 3)
assert_raises(ValueError, gcbc_policy, torch.tensor([[0, 3, 0]]), 3, 3)
assert_raises(ValueError, gcbc_policy, torch.tensor([[0, -1, 0]]), 3, 3)
### END HIDDEN TESTS

# %% [markdown] id="td-background"
# ## Exercise 3 — find and fix the bugs in a goal-conditioned TD target (3 points)
#
# A colleague wrote the target $y$ of the Background for a batch of transitions $(s, a, s')$ paired with goals $g$. `q` is a float table of shape `(S, A, S)` holding $Q(s, a, g)$ as `q[s, a, g]`; `next_states` and `goals` are int64 tensors of shape $(N,)$; `gamma` is a number in $[0, 1]$:
#
# ```python
# def goal_td_target(q, next_states, goals, gamma):
#     reward = (next_states == goals).to(q.dtype)
#     return reward + gamma * q[next_states, :, goals].max(0).values
# ```
#
# It runs, returns the right shape, and offline Q-iteration with it even produces plausible-looking values — but it is wrong in two ways. **Find both bugs** (compare with the target's definition in the Background, case by case; check the shape of each intermediate result) and **write the corrected** `goal_td_target`. What the tests check:
# - the output has shape $(N,)$ and the dtype of `q`, computed in that precision;
# - $y = 1$ exactly wherever `next_states == goals` (the episode ends there: nothing is added after it, whatever `q` holds at the goal), and $y = \gamma \max_{a'} Q(s', a', g)$ elsewhere — $Q$ may hold negative values and ties;
# - a `ValueError` if `q` is not 3-D with `q.shape[2] == q.shape[0]`, if `next_states` and `goals` are not 1-D of the same length, or if `gamma` is not a number in $[0, 1]$; the inputs stay unchanged. The target is a constant of the update (tabular Q-iteration assigns it): no gradient needs to flow.

# %% id="td-answer" nbgrader={"grade": false, "grade_id": "td-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def goal_td_target(q: torch.Tensor, next_states: torch.Tensor, goals: torch.Tensor, gamma: float) -> torch.Tensor:
    """The goal-conditioned Q-learning target: 1 where s' = g (terminal), else gamma max_a' Q(s', a', g): (N,)."""
    ### BEGIN SOLUTION
    if q.dim() != 3 or q.shape[2] != q.shape[0]:
        raise ValueError(f"q must have shape (S, A, S), got {tuple(q.shape)}")
    if next_states.dim() != 1 or next_states.shape != goals.shape:
        raise ValueError(f"next_states and goals must be 1-D of the same length, got {tuple(next_states.shape)} "
                         f"and {tuple(goals.shape)}")
    if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or not 0 <= gamma <= 1:
        raise ValueError(f"gamma must be a number in [0, 1], got {gamma!r}")
    bootstrap = q[next_states, :, goals].max(dim=-1).values  # (N, A) -> (N,): the best action at s'
    return torch.where(next_states == goals, torch.ones_like(bootstrap), gamma * bootstrap)
    ### END SOLUTION


# %% id="td-tests" nbgrader={"grade": true, "grade_id": "td-tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
_q = torch.zeros(3, 2, 3, dtype=torch.float64)
_q[1, :, 2] = torch.tensor([0.5, 0.8], dtype=torch.float64)  # at s' = 1, goal 2: the best action is worth 0.8
_q[2, :, 2] = torch.tensor([7.0, 7.0])  # junk at the goal itself: must be ignored
_y = goal_td_target(_q, torch.tensor([1, 2, 0]), torch.tensor([2, 2, 2]), 0.9)
assert _y.shape == (3,) and _y.dtype == torch.float64, f"expected (3,) float64, got {tuple(_y.shape)} {_y.dtype}"
assert abs(_y[0].item() - 0.72) < 1e-12, f"not at the goal: gamma * max over actions = 0.9 * 0.8 = 0.72, got {_y[0].item()}"
assert _y[1].item() == 1.0, f"s' = g: the target is exactly 1 (the episode ends, no bootstrap), got {_y[1].item()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_raises, assert_unchanged, assert_values


def _bellman_loop(q, next_states, goals, gamma):
    """Independent formulation: the Bellman backup written out, one transition and one action at a time."""
    out = []
    for s_next, g in zip(next_states.tolist(), goals.tolist()):
        if s_next == g:
            out.append(1.0)
            continue
        best = q[s_next, 0, g].item()
        for a in range(1, q.shape[1]):
            best = max(best, q[s_next, a, g].item())
        out.append(gamma * best)
    return torch.tensor(out, dtype=q.dtype)


_g = torch.Generator().manual_seed(33)
for _states, _actions, _n in ((4, 3, 1), (6, 4, 50), (9, 5, 300), (5, 1, 20)):
    _q = torch.randn(_states, _actions, _states, generator=_g, dtype=torch.float64) * 2 - 1  # negative values too
    _q[0, :, 1] = 0.25  # ties
    _next = torch.randint(0, _states, (_n,), generator=_g)
    _goals = torch.where(torch.rand(_n, generator=_g) < 0.3, _next, torch.randint(0, _states, (_n,), generator=_g))
    for _gamma in (0.9, 0.0, 1.0, 1):
        _got = assert_unchanged(goal_td_target, _q, _next, _goals, _gamma)  # must not write into q, next_states, goals
        assert_values(_got, _bellman_loop(_q, _next, _goals, _gamma), what=f"goal_td_target, S={_states}, A={_actions}, N={_n}, gamma={_gamma}")
# whatever q holds at the goal, even nan or inf, does not reach a terminal target (no 0 * inf)
_q_odd = torch.zeros(3, 2, 3, dtype=torch.float64)
_q_odd[2, :, 2], _q_odd[1, 0, 1] = float("nan"), float("inf")
assert_values(goal_td_target(_q_odd, torch.tensor([2, 1, 0]), torch.tensor([2, 1, 2]), 0.9),
              torch.tensor([1.0, 1.0, 0.0], dtype=torch.float64), what="terminal targets with nan / inf stored at the goal")
_q32 = torch.randn(5, 4, 5, generator=_g)
_next, _goals = torch.randint(0, 5, (30,), generator=_g), torch.randint(0, 5, (30,), generator=_g)
assert_values(goal_td_target(_q32, _next, _goals, 0.95), _bellman_loop(_q32, _next, _goals, 0.95), what="float32 q (keep float32)")
_ok_q, _ok_s = torch.zeros(3, 2, 3, dtype=torch.float64), torch.tensor([0, 1])
assert_raises(ValueError, goal_td_target, torch.zeros(3, 2, 4, dtype=torch.float64), _ok_s, _ok_s, 0.9)
assert_raises(ValueError, goal_td_target, torch.zeros(3, 3, dtype=torch.float64), _ok_s, _ok_s, 0.9)
assert_raises(ValueError, goal_td_target, _ok_q, _ok_s, torch.tensor([0, 1, 2]), 0.9)
assert_raises(ValueError, goal_td_target, _ok_q, _ok_s[None], _ok_s[None], 0.9)
for _bad in (1.5, -0.1, "0.9"):
    assert_raises(ValueError, goal_td_target, _ok_q, _ok_s, _ok_s, _bad)
### END HIDDEN TESTS

# %% [markdown] id="augment-background"
# ## Exercise 4 — temporal data augmentation (3 points)
#
# In the grid a waypoint "near" the goal $g$ of a triple can be $g$ itself: if the data hold any triple $(g, \cdot, \tilde g)$ — a trajectory that visits $g$ and later reaches $\tilde g$ — then $\tilde g$ is reachable through $g$, and $(s, a, \tilde g)$ is a plausible new triple.
#
# **Implement** `temporal_augment(triples)`: `triples` is an $(N, 3)$ int64 tensor of hindsight triples (state, action, goal), $N \ge 0$, pooled over every trajectory. Let $R$ be the set of pairs $(w, x)$ such that some row of `triples` is $(w, \cdot, x)$. Return an int64 tensor of shape $(N + N', 3)$:
# - first every input row, in the input order;
# - then, for each input row $(s, a, g)$ in the input order (a repeated row is processed each time), the rows $(s, a, \tilde g)$ for every $\tilde g$ with $(g, \tilde g) \in R$, in increasing $\tilde g$ (each $\tilde g$ once per input row);
# - only one hop: $\tilde g$ is reached from $g$ within one trajectory, not through a chain of waypoints;
# - raise a `ValueError` if `triples` is not of shape $(N, 3)$; leave it unchanged.
#
# *Hint:* the pairs $R$ form a boolean $(S, S)$ reachability table with $S$ one more than the largest state or goal in `triples`; the rest is a lookup of the row $g$ of that table for every triple.

# %% id="augment-answer" nbgrader={"grade": false, "grade_id": "augment-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def temporal_augment(triples: torch.Tensor) -> torch.Tensor:
    """The triples, then (s, a, g~) for each triple (s, a, g) and each g~ reached after g in the data: (N + N', 3)."""
    ### BEGIN SOLUTION
    if triples.dim() != 2 or triples.shape[1] != 3:
        raise ValueError(f"triples must have shape (N, 3), got {tuple(triples.shape)}")
    if triples.shape[0] == 0:
        return triples.clone()
    n_states = int(torch.maximum(triples[:, 0], triples[:, 2]).max()) + 1
    reach = torch.zeros(n_states, n_states, dtype=torch.bool)
    reach[triples[:, 0], triples[:, 2]] = True
    row, new_goal = reach[triples[:, 2]].nonzero(as_tuple=True)  # row-major: by input row, then increasing g~
    extra = torch.stack([triples[row, 0], triples[row, 1], new_goal], dim=1)
    return torch.cat([triples, extra])
    ### END SOLUTION


# %% id="augment-tests" nbgrader={"grade": true, "grade_id": "augment-tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
_t = torch.tensor([[0, 3, 1], [1, 3, 2], [5, 0, 4]])  # pieces 0 -> 1 and 1 -> 2 share the cell 1
_got = temporal_augment(_t)
assert _got.dtype == torch.long and _got.shape == (4, 3), f"expected (4, 3) int64 (3 rows + 1 new), got {tuple(_got.shape)} {_got.dtype}"
assert _got[:3].tolist() == _t.tolist(), "the input rows come first, unchanged"
assert _got[3].tolist() == [0, 3, 2], f"(0, 3, 1) and a triple (1, ., 2) give (0, 3, 2), got {_got[3].tolist()}"
print("visible checks passed")
### BEGIN HIDDEN TESTS
from utils.testing import assert_raises, assert_unchanged, assert_values


def _augment_loops(triples):
    """Independent formulation: a set of reachable pairs, then a loop over rows and sorted goals."""
    rows = triples.tolist()
    reach = {(w, x) for w, _, x in rows}
    goals = sorted({x for _, x in reach})
    extra = [[s, a, x] for s, a, g in rows for x in goals if (g, x) in reach]
    return torch.tensor(rows + extra, dtype=torch.long).reshape(-1, 3)


_g = torch.Generator().manual_seed(34)
_cases = [torch.zeros(0, 3, dtype=torch.long),  # no data
          torch.tensor([[2, 1, 2]]),  # goal = current state: (2, 2) is in R, so it augments itself
          torch.tensor([[0, 0, 1], [0, 0, 1], [1, 2, 3]]),  # a repeated row is augmented each time
          torch.tensor([[0, 1, 1], [1, 1, 2], [2, 1, 3]]),  # a chain: one hop only (no (0, 1, 3))
          torch.tensor([[4, 2, 0], [0, 1, 7], [0, 3, 6]])]  # goals out of order
for _n, _states in ((10, 4), (60, 8), (200, 12)):
    _cases.append(torch.stack([torch.randint(0, _states, (_n,), generator=_g), torch.randint(0, 4, (_n,), generator=_g),
                               torch.randint(0, _states, (_n,), generator=_g)], dim=1))
_w = grid_world()
_cases.append(torch.cat([hindsight_triples(p.states, p.actions) for p in stitching_dataset(_w, 3, _g)]))  # real pieces
for _t in _cases:
    _got = assert_unchanged(temporal_augment, _t)  # must not write into triples
    assert_values(_got, _augment_loops(_t), what=f"temporal_augment of {len(_t)} triples")
assert_raises(ValueError, temporal_augment, torch.zeros(4, 2, dtype=torch.long))
assert_raises(ValueError, temporal_augment, torch.zeros(3, dtype=torch.long))
### END HIDDEN TESTS

# %% [markdown] id="experiment-intro"
# ## Experiment — who reaches goals seen only in pieces?
#
# Reproduces, in miniature, the paper's central experiment (as we read it: new offline data sets built so that test (start, goal) pairs never occur in one trajectory; GCBC-style methods fail there, TD-style methods and GCBC with temporal augmentation do much better). There the tasks are point and ant mazes with neural networks; here a tabular grid, so that "unseen pair" means exactly "no data", and we can isolate the mechanism.
#
# Three policies learn from the same `2 * PIECES` pieces:
# - **GCBC**: `gcbc_policy` on the hindsight triples of every piece;
# - **GCBC + augmentation**: `gcbc_policy` on `temporal_augment` of those triples;
# - **TD**: offline goal-conditioned Q-iteration: start from $Q = 0$ and, for every distinct transition $(s, a, s')$ in the data and every goal $g$, set $Q(s, a, g) \leftarrow y(s, a, s', g)$ with `goal_td_target` ($\gamma = 0.9$), sweep after sweep until nothing changes; then act greedily on $Q$ with the same rule as GCBC (ties shared, so an all-zero row is a uniform move).
#
# Test pairs: every start in A and goal in B that the data visit; `EPISODES` rollouts each, `HORIZON` = 24 moves (the longest shortest path on the grid is 16). A **control**: the pairs that *do* occur together in one piece, where GCBC has its data.

# %% id="experiment"
GAMMA, HORIZON = 0.9, 24
triples = torch.cat([hindsight_triples(p.states, p.actions) for p in pieces])
augmented = temporal_augment(triples)
transitions = torch.cat([torch.stack([p.states[:-1], p.actions, p.states[1:]], dim=1) for p in pieces]).unique(dim=0)
print(f"{len(triples)} hindsight triples, {len(augmented) - len(triples)} added by augmentation, "
      f"{len(transitions)} distinct transitions")

S, A = world.n_states, world.n_actions
q = torch.zeros(S, A, S, dtype=torch.float64)
every_goal = torch.arange(S)
for sweep in progress(range(S), desc="Q-iteration sweeps"):  # noqa: B007 (printed below); converges within (longest path + 1) sweeps
    y = goal_td_target(q, transitions[:, 2].repeat_interleave(S), every_goal.repeat(len(transitions)), GAMMA)
    new_q = q.clone()
    new_q[transitions[:, 0], transitions[:, 1]] = y.view(len(transitions), S)
    if torch.equal(new_q, q):
        break
    q = new_q
print(f"Q-iteration converged after {sweep} sweeps")
q_by_goal = q.permute(0, 2, 1)  # (S, G, A), like the GCBC policies
td_best = (q_by_goal == q_by_goal.max(dim=-1, keepdim=True).values).double()
policies = {"GCBC": gcbc_policy(triples, S, A), "GCBC + augmentation": gcbc_policy(augmented, S, A),
            "TD (Q-iteration)": td_best / td_best.sum(dim=-1, keepdim=True)}

visited = torch.cat([p.states for p in pieces]).unique()
starts_a, goals_b = visited[world.region(visited) == 0], visited[world.region(visited) == 2]
test_starts = starts_a.repeat_interleave(len(goals_b)).repeat(EPISODES)
test_goals = goals_b.repeat(len(starts_a)).repeat(EPISODES)
seen = triples[:, [0, 2]].unique(dim=0)
seen = seen[seen[:, 0] != seen[:, 1]]  # (start, goal) pairs of one piece, start != goal
seen_starts, seen_goals = seen[:, 0].repeat(EPISODES), seen[:, 1].repeat(EPISODES)
success, seen_success, paths = {}, {}, {}
for name, policy in progress(policies.items(), desc="rollouts"):
    paths[name] = rollout(world, policy, test_starts, test_goals, HORIZON, generator)
    success[name] = success_rate(paths[name], test_goals)
    seen_success[name] = success_rate(rollout(world, policy, seen_starts, seen_goals, HORIZON, generator), seen_goals)
print(f"{len(starts_a) * len(goals_b)} test pairs (A -> B) and {len(seen)} seen pairs, {EPISODES} episodes each")
for name in policies:
    print(f"{name:>20}: success on unseen A->B pairs {success[name]:.3f} | on pairs seen in one piece {seen_success[name]:.3f}")

# %% id="experiment-plot"
fig, axes = subplots(ncols=2, width=6.4, height=4.2)
names = list(policies)
xs = torch.arange(len(names)).double()
axes[0].bar(xs - 0.2, [success[n] for n in names], width=0.4, label="unseen pairs (start in A, goal in B)")
axes[0].bar(xs + 0.2, [seen_success[n] for n in names], width=0.4, label="pairs seen in one piece (control)")
axes[0].set_xticks(xs.tolist(), ["GCBC", "GCBC + aug.", "TD"])
axes[0].set_ylim(0, 1.15)
label(axes[0], f"Success rate within {HORIZON} moves", "method", "success rate")
draw_grid(axes[1], world)
pair = int(((test_starts == example_start) & (test_goals == example_goal)).nonzero()[0])
for (name, colour), jitter in zip((("GCBC", "tab:red"), ("GCBC + augmentation", "tab:green"), ("TD (Q-iteration)", "tab:purple")), (-0.12, 0.0, 0.12)):
    path = paths[name][pair]
    reached = bool((path == example_goal).any())
    draw_path(axes[1], world, path, jitter=jitter, color=colour, lw=2, marker=".",
              label=f"{name} ({'reaches' if reached else 'misses'} the goal)")
for cell, marker in ((example_start, "o"), (example_goal, "*")):
    r, c = divmod(cell, world.cols)
    axes[1].plot(c, r, marker, color="k", ms=12, ls="none")
label(axes[1], "One rollout per method, from o to * (goal in B)", "column", "row")
show(fig)

# %% [markdown] id="results"
# ### What the measurement says
#
# Over 5 seeds (each a different data set and different rollouts):
#
# - **The control holds for GCBC and TD:** on pairs that occur together in one piece, both succeed every time (1.000 on every seed) — GCBC is a fine learner *where it has data*. GCBC + augmentation drops to 0.81–0.93 there: the relabelled triples add votes for actions that head towards a waypoint, and on some seen pairs they outvote the direct action. Augmentation is not free.
# - **GCBC does not stitch:** on the unseen A→B pairs it succeeds only 0.30–0.33 of the time, and even that is luck: with no data for $(s \in A, g \in B)$ it moves at random until it happens to enter a cell from which an M→B piece shows the way (a shorter horizon would push it towards 0).
# - **TD stitches:** greedy Q-iteration reaches every test goal (success 1.000 on every seed): the values learned from M→B pieces flow back through the cells the two kinds of piece share.
# - **Augmentation closes most, not all, of the gap:** GCBC + augmentation succeeds 0.81–0.95 of the time, closing 72–93% of the TD–GCBC gap (never all of it). It misses where no single waypoint links the two pieces (one hop only), and it can copy a detour: the relabelled action heads for the waypoint $g$, not straight for $\tilde g$.
#
# Where the toy differs from the paper: in a tabular world shared states are exact, so TD stitches perfectly; in the paper's continuous mazes trajectories rarely cross exactly and stitching relies on the network generalising between nearby states (and the augmentation on a distance threshold). Our figures show the mechanism, not the paper's numbers.

# %% [markdown] id="claim-intro"
# ## Claim check
#
# Two claims, tested in miniature on the unseen A→B pairs. Thresholds sit below the smallest figures measured over seeds 0–4 (one thread): TD's success 1.000 on every seed (threshold 0.95), GCBC's 0.30–0.33 (threshold 0.45), so the TD–GCBC gap is 0.67–0.70 (threshold 0.5); the fraction of that gap closed by augmentation is 0.72–0.93 (threshold 0.5), and it never reached 1 (threshold 0.98, so "part of the gap" is asserted too). The control (GCBC on seen pairs, 1.000 on every seed) is asserted above 0.95. TD's figure is exactly 1 in a deterministic tabular world, so its margin is the threshold's own 5%. A full run asserts them; `SMOKE=True` only reports.

# %% id="claim-check" tags=["claim-check"]
gap = success["TD (Q-iteration)"] - success["GCBC"]
closed = (success["GCBC + augmentation"] - success["GCBC"]) / gap if gap > 0 else float("nan")
claim("td-stitches-gcbc-does-not",
      paper="SL-based (outcome-conditioned BC) methods fail on (state, goal) pairs never seen together in one trajectory; TD methods stitch (Ghugare et al., 2024)",
      here=f"success on unseen A->B pairs: TD {success['TD (Q-iteration)']:.3f} vs GCBC {success['GCBC']:.3f} (gap {gap:.3f}); "
           f"GCBC on seen pairs {seen_success['GCBC']:.3f}",
      checks=[above(success["TD (Q-iteration)"], 0.95), below(success["GCBC"], 0.45), above(gap, 0.5),
              above(seen_success["GCBC"], 0.95)], smoke=SMOKE)
claim("augmentation-closes-part-of-the-gap",
      paper="temporal data augmentation lets GCBC stitch, recovering much of the performance on unseen pairs (Ghugare et al., 2024)",
      here=f"GCBC + augmentation {success['GCBC + augmentation']:.3f}: closes {closed:.0%} of the TD-GCBC gap",
      checks=[above(closed, 0.5), below(closed, 0.98)], smoke=SMOKE)

# %% [markdown] id="reflect"
# ## Reflect
#
# Answer each question in the cell below it, in a few sentences. These answers are graded by hand (1 point each).
#
# 1. GCBC succeeded on about a third of the unseen A→B pairs. Where do those successes come from, and why would ten times as many pieces of the same two kinds not make GCBC stitch?

# %% [markdown] id="reflect-more-data" nbgrader={"grade": true, "grade_id": "reflect-more-data", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** Hindsight relabelling only pairs a state with goals later in the *same* piece, so no triple has a start in A and a goal in B: at every cell of A the policy for a B goal is the uniform fallback, a random walk. The successes are random walks that wander into a cell of M (or B) visited by an M→B piece, from where the cloned actions do lead to the goal within the horizon. More pieces of the same two kinds add more (A, M) and (M, B) pairs but still not a single (A, B) pair — the missing pairs are a combinatorial gap, not a sampling gap — so the success rate would stay at the random-walk level (only the coverage of M cells, hence the chance of being caught there, would grow a little).
#
# **Rubric (1 point).** 0.5: the successes come from the uniform fallback (random moves) reaching cells where M→B data exist, not from learned A→B behaviour; 0.5: more data of the same kinds never contains an (A, B) pair, so the supervised learner still has nothing to fit there (combinatorial, not i.i.d., generalisation). "GCBC needs more data" earns 0.
# ### END SOLUTION

# %% [markdown] id="reflect-td-question"
# 2. In the Q-iteration, which single operation of `goal_td_target` lets the values of an M→B piece reach the cells of an A→M piece? Trace it for a start $s \in A$ whose piece ends at a cell $m \in M$ that an M→B piece passes on its way to $g \in B$: what is $Q$ along the way after convergence?

# %% [markdown] id="reflect-td" nbgrader={"grade": true, "grade_id": "reflect-td", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** The bootstrap $\gamma \max_{a'} Q(s', a', g)$: the target of a transition into $s'$ uses the values of *every* action at $s'$ recorded anywhere in the data, not only the action that the same trajectory took next. At $m$, the M→B piece supplies an action with $Q(m, a', g) = \gamma^{d_m - 1}$, where $d_m$ is the number of moves from $m$ to $g$ along that piece (or more, if the data hold a shorter way); the last transition of the A→M piece into $m$ then gets $\gamma \cdot \gamma^{d_m - 1} = \gamma^{d_m}$, and each earlier transition one more factor $\gamma$, so at the start $Q(s, a_0, g) = \gamma^{d - 1}$ with $d$ the length of the stitched path $s \to m \to g$ (or of a shorter one, if the data hold it). All of these are $> 0$ while actions leading nowhere stay at 0, so the greedy policy follows the stitched path.
#
# **Rubric (1 point).** 0.5: the max over next actions at the shared state (bootstrapping from another trajectory's action); 0.5: the values $\gamma^{k}$ decaying with the remaining distance along the stitched path (any correct description of the backward propagation). Naming only "the reward" earns 0: the reward exists only at the goal, inside the M→B piece.
# ### END SOLUTION

# %% [markdown] id="reflect-augment-question"
# 3. Augmentation closed most but not all of the gap. Give two distinct reasons why GCBC + augmentation still fails on some test pairs here, and say what the paper's version (a waypoint *near* the goal, in continuous mazes) adds and risks compared with our exact-equality version.

# %% [markdown] id="reflect-augment" nbgrader={"grade": true, "grade_id": "reflect-augment", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** (i) Coverage: a new triple $(s, a, \tilde g)$ needs a goal $g$ of the A→M piece through $s$ that some M→B piece visits before $\tilde g$; one hop only, so where the two kinds of piece share no cell after $s$, or the goal $\tilde g$ is not on an M→B piece through such a $g$, there is still no data and the policy is a random walk. (ii) Quality: the relabelled action heads for the waypoint $g$, not for $\tilde g$, and the counts mix actions towards different waypoints, so the greedy action can lead away (a detour, or a cell whose own data do not cover $\tilde g$), and a horizon of 24 moves does not forgive many detours. A distance threshold finds waypoints even when trajectories never share an exact state (necessary in continuous spaces) and so links more pieces; the risk is relabelling through a "nearby" state that is not actually reachable (a wall between them), which teaches wrong actions.
#
# **Rubric (1 point).** 0.5: two distinct reasons among coverage/one hop, detours or conflicting relabelled actions, the horizon; 0.5: the threshold's gain (links trajectories that never share an exact state) and its risk (nearby but unreachable waypoints, wrong labels). One reason only earns at most 0.5.
# ### END SOLUTION

# %% [markdown] id="further-reading"
# **Further reading:** B. Eysenbach, T. Zhang, R. Salakhutdinov, S. Levine, *Contrastive Learning as Goal-Conditioned Reinforcement Learning* (2022, arXiv:2206.07568); S. Emmons, B. Eysenbach, I. Kostrikov, S. Levine, *RvS: What is Essential for Offline RL via Supervised Learning?* (2021, arXiv:2112.10751); M. Andrychowicz et al., *Hindsight Experience Replay* (2017, arXiv:1707.01495); L. Chen et al., *Decision Transformer* (2021, arXiv:2106.01345).
