"""The toy world of the stitching lesson (module 05_value_learning): a deterministic grid, an offline data set
made of trajectory pieces that never join a start and a goal of the test, and batched rollouts of tabular
goal-conditioned policies.

The grid has three vertical bands of columns: a left room A, a middle band M and a right room B. Half the
pieces walk from a random cell of A to a random cell of M, the other half from a random cell of M to a random
cell of B, each along a random shortest (Manhattan) path, so no piece ever holds a cell of A and a cell of B:
every test pair (start in A, goal in B) is seen only in pieces. Everything a lesson uses but does not teach
lives here: the grid's dynamics, the data, the rollouts, the greedy rule and the pictures.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from utils.common import check_generator, check_int

MOVES = ((-1, 0), (1, 0), (0, -1), (0, 1))  # actions 0..3: up, down, left, right (row, column) steps
ACTION_NAMES = ("up", "down", "left", "right")


def _check_states(states: torch.Tensor, n_states: int, name: str) -> None:
    """Raise TypeError/ValueError unless `states` is an integer tensor of cells in [0, n_states)."""
    if not isinstance(states, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(states).__name__}")
    if states.dtype != torch.long:
        raise TypeError(f"{name} must be int64 (torch.long), got {states.dtype}")
    if states.numel() and (int(states.min()) < 0 or int(states.max()) >= n_states):
        raise ValueError(f"{name} must hold cells in [0, {n_states}), got values in "
                         f"[{int(states.min())}, {int(states.max())}]")


@dataclass(frozen=True)
class GridWorld:
    """A deterministic grid of `rows` x `cols` cells, numbered row by row (cell = row * cols + col), with four
    actions (up, down, left, right); a move off the grid leaves the agent where it is. The columns split into
    a left room A [0, left), a middle band M [left, right) and a right room B [right, cols)."""

    rows: int
    cols: int
    left: int
    right: int

    @property
    def n_states(self) -> int:
        """The number of cells S."""
        return self.rows * self.cols

    @property
    def n_actions(self) -> int:
        """The number of actions A = 4."""
        return len(MOVES)

    def coords(self, states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(rows, columns) of each cell: two long tensors of the shape of `states`."""
        _check_states(states, self.n_states, "states")
        return states // self.cols, states % self.cols

    def region(self, states: torch.Tensor) -> torch.Tensor:
        """The band of each cell: 0 for the left room A, 1 for the middle band M, 2 for the right room B."""
        _, col = self.coords(states)
        return (col >= self.left).long() + (col >= self.right).long()

    def cells(self, region: int) -> torch.Tensor:
        """Every cell of one band (0: A, 1: M, 2: B), increasing: (n,) long."""
        if region not in (0, 1, 2):
            raise ValueError(f"region must be 0 (A), 1 (M) or 2 (B), got {region!r}")
        every = torch.arange(self.n_states)
        return every[self.region(every) == region]

    def step(self, states: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """The next cell of each (state, action), elementwise (same shapes, long); walls keep the agent in place."""
        _check_states(states, self.n_states, "states")
        _check_states(actions, self.n_actions, "actions")
        if states.shape != actions.shape:
            raise ValueError(f"states and actions must have the same shape, got {tuple(states.shape)} "
                             f"and {tuple(actions.shape)}")
        moves = torch.tensor(MOVES)
        row, col = self.coords(states)
        new_row = (row + moves[actions, 0]).clamp(0, self.rows - 1)
        new_col = (col + moves[actions, 1]).clamp(0, self.cols - 1)
        return new_row * self.cols + new_col

    def distance(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """The Manhattan distance (the shortest number of moves on the open grid) between cells, elementwise."""
        ra, ca = self.coords(a)
        rb, cb = self.coords(b)
        return (ra - rb).abs() + (ca - cb).abs()


def grid_world(rows: int = 7, cols: int = 11, left: int = 4, right: int = 7) -> GridWorld:
    """The lesson's grid: `rows` x `cols` cells, left room columns [0, left), middle band [left, right),
    right room [right, cols)."""
    for name, value in (("rows", rows), ("cols", cols), ("left", left), ("right", right)):
        check_int(value, name, 1)
    if not 0 < left < right < cols:
        raise ValueError(f"need 0 < left < right < cols, got left={left}, right={right}, cols={cols}")
    return GridWorld(rows, cols, left, right)


@dataclass(frozen=True)
class Piece:
    """One trajectory piece: states (T+1,) long and actions (T,) long, with states[t+1] = step(states[t],
    actions[t]); `kind` is "A->M" or "M->B"."""

    states: torch.Tensor
    actions: torch.Tensor
    kind: str


def shortest_path_piece(world: GridWorld, start: int, end: int, generator: torch.Generator) -> Piece:
    """A random shortest path from `start` to `end`: each step picks uniformly among the moves that bring
    the agent one cell closer to `end` (so it never leaves the box spanned by the two cells)."""
    check_generator(generator)
    states, actions = [start], []
    here = start
    while here != end:
        r, c = divmod(here, world.cols)
        er, ec = divmod(end, world.cols)
        closer = [a for a, (dr, dc) in enumerate(MOVES)
                  if abs(r + dr - er) + abs(c + dc - ec) < abs(r - er) + abs(c - ec)]
        a = closer[int(torch.randint(len(closer), (1,), generator=generator))]
        here = (r + MOVES[a][0]) * world.cols + (c + MOVES[a][1])
        states.append(here)
        actions.append(a)
    return Piece(torch.tensor(states, dtype=torch.long), torch.tensor(actions, dtype=torch.long), "")


def stitching_dataset(world: GridWorld, pieces_per_kind: int, generator: torch.Generator) -> list[Piece]:
    """The offline data set: `pieces_per_kind` pieces A->M (random cell of A to random cell of M) then as
    many M->B, each a random shortest path (no piece holds both a cell of A and a cell of B)."""
    check_int(pieces_per_kind, "pieces_per_kind", 1)
    check_generator(generator)
    pieces = []
    for kind, (src, dst) in (("A->M", (0, 1)), ("M->B", (1, 2))):
        starts, ends = world.cells(src), world.cells(dst)
        for _ in range(pieces_per_kind):
            s = int(starts[torch.randint(len(starts), (1,), generator=generator)])
            e = int(ends[torch.randint(len(ends), (1,), generator=generator)])
            p = shortest_path_piece(world, s, e, generator)
            pieces.append(Piece(p.states, p.actions, kind))
    return pieces


def check_policy(policy: torch.Tensor, world: GridWorld) -> None:
    """Raise TypeError/ValueError unless `policy` is an (S, S, A) floating table of probabilities over actions
    for each (state, goal)."""
    if not isinstance(policy, torch.Tensor):
        raise TypeError(f"policy must be a torch.Tensor, got {type(policy).__name__}")
    shape = (world.n_states, world.n_states, world.n_actions)
    if tuple(policy.shape) != shape:
        raise ValueError(f"policy must have shape {shape} (states, goals, actions), got {tuple(policy.shape)}")
    if not policy.is_floating_point():
        raise TypeError(f"policy must be a floating tensor, got {policy.dtype}")
    if bool((policy < 0).any()) or not torch.allclose(policy.sum(-1).double(), torch.ones(shape[:2], dtype=torch.float64)):
        raise ValueError("policy must hold probabilities >= 0 that sum to 1 over the actions")


def rollout(world: GridWorld, policy: torch.Tensor, starts: torch.Tensor, goals: torch.Tensor, horizon: int,
            generator: torch.Generator) -> torch.Tensor:
    """Run one episode per (start, goal): at each step draw an action from policy[state, goal] and move; an
    episode stops (stays put) once it reaches its goal. Returns the visited cells (N, horizon + 1) long."""
    check_policy(policy, world)
    _check_states(starts, world.n_states, "starts")
    _check_states(goals, world.n_states, "goals")
    if starts.dim() != 1 or starts.shape != goals.shape:
        raise ValueError(f"starts and goals must be 1-D of the same length, got {tuple(starts.shape)} "
                         f"and {tuple(goals.shape)}")
    check_int(horizon, "horizon", 1)
    check_generator(generator)
    here = starts.clone()
    path = [here]
    for _ in range(horizon):
        probs = policy[here, goals].double()
        actions = torch.multinomial(probs, 1, generator=generator)[:, 0]
        here = torch.where(here == goals, here, world.step(here, actions))
        path.append(here)
    return torch.stack(path, dim=1)


def success_rate(paths: torch.Tensor, goals: torch.Tensor) -> float:
    """The fraction of episodes whose path reaches its goal: paths (N, H+1) long, goals (N,) long."""
    if paths.dim() != 2 or goals.shape != (paths.shape[0],):
        raise ValueError(f"paths must be (N, H+1) and goals (N,), got {tuple(paths.shape)} and {tuple(goals.shape)}")
    return float((paths == goals[:, None]).any(dim=1).double().mean())


def draw_grid(ax, world: GridWorld) -> None:  # noqa: ANN001 (a matplotlib axis)
    """Draw the grid with its three bands shaded (A, M, B) on a matplotlib axis, rows downwards."""
    import matplotlib.patches as mpatches

    for lo, hi, colour, name in ((0, world.left, "#dbe9f6", "A"), (world.left, world.right, "#f3f3f3", "M"),
                                 (world.right, world.cols, "#fbe3d6", "B")):
        ax.add_patch(mpatches.Rectangle((lo - 0.5, -0.5), hi - lo, world.rows, color=colour, zorder=0))
        ax.text((lo + hi - 1) / 2, -0.9, name, ha="center", va="bottom", fontsize=12, weight="bold")
    ax.set_xlim(-0.5, world.cols - 0.5)
    ax.set_ylim(world.rows - 0.5, -1.3)
    ax.set_xticks(range(world.cols))
    ax.set_yticks(range(world.rows))
    ax.set_aspect("equal")


def draw_path(ax, world: GridWorld, states: torch.Tensor, jitter: float = 0.0, **kwargs) -> None:  # noqa: ANN001
    """Draw a path of cells (a 1-D long tensor) as a line through the cell centres, optionally offset."""
    row, col = world.coords(states)
    ax.plot(col.double() + jitter, row.double() + jitter, **kwargs)
