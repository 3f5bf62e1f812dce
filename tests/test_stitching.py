"""Unit tests of the stitching lesson's grid world, data set and rollouts (utils/stitching.py)."""

from __future__ import annotations

import pytest
import torch

from utils.stitching import (
    MOVES,
    GridWorld,
    grid_world,
    rollout,
    shortest_path_piece,
    stitching_dataset,
    success_rate,
)


def _step_loop(world: GridWorld, state: int, action: int) -> int:
    """An independent route to one move: row/column arithmetic with explicit wall checks."""
    r, c = divmod(state, world.cols)
    dr, dc = MOVES[action]
    nr, nc = r + dr, c + dc
    if not (0 <= nr < world.rows and 0 <= nc < world.cols):
        return state
    return nr * world.cols + nc


def test_grid_world_structure():
    world = grid_world(rows=3, cols=6, left=2, right=4)
    assert world.n_states == 18 and world.n_actions == 4
    every = torch.arange(18)
    assert world.region(every).view(3, 6).tolist() == [[0, 0, 1, 1, 2, 2]] * 3
    assert world.cells(1).tolist() == [2, 3, 8, 9, 14, 15]
    assert len(world.cells(0)) + len(world.cells(1)) + len(world.cells(2)) == 18


def test_step_matches_a_loop_and_walls_keep_the_agent():
    world = grid_world(rows=4, cols=5, left=1, right=3)
    states = torch.arange(20).repeat_interleave(4)
    actions = torch.arange(4).repeat(20)
    got = world.step(states, actions)
    assert got.dtype == torch.long
    assert got.tolist() == [_step_loop(world, s, a) for s, a in zip(states.tolist(), actions.tolist())]
    assert world.step(torch.tensor([0]), torch.tensor([0])).item() == 0  # up from the top-left corner


def test_distance_is_manhattan():
    world = grid_world(rows=4, cols=5, left=1, right=3)
    assert world.distance(torch.tensor([0]), torch.tensor([19])).item() == 3 + 4


@pytest.mark.parametrize("kwargs", [{"left": 0}, {"left": 5, "right": 5}, {"right": 11}, {"rows": 0}])
def test_grid_world_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        grid_world(**kwargs)


def test_grid_world_rejects_bad_types():
    with pytest.raises(TypeError):
        grid_world(rows=7.0)
    with pytest.raises(TypeError):
        grid_world().step(torch.tensor([0.0]), torch.tensor([0]))


def test_shortest_path_piece_is_a_shortest_path():
    world = grid_world()
    g = torch.Generator().manual_seed(0)
    for start, end in ((0, 76), (40, 3), (5, 5), (22, 28)):
        piece = shortest_path_piece(world, start, end, g)
        assert piece.states[0].item() == start and piece.states[-1].item() == end
        assert len(piece.actions) == world.distance(torch.tensor(start), torch.tensor(end)).item()
        assert torch.equal(world.step(piece.states[:-1], piece.actions), piece.states[1:])


def test_stitching_dataset_never_joins_a_and_b():
    world = grid_world()
    pieces = stitching_dataset(world, 25, torch.Generator().manual_seed(1))
    assert len(pieces) == 50
    assert [p.kind for p in pieces] == ["A->M"] * 25 + ["M->B"] * 25
    for p in pieces:
        regions = set(world.region(p.states).tolist())
        assert not {0, 2} <= regions, "no piece may hold a cell of A and a cell of B"
        first, last = world.region(p.states[[0, -1]]).tolist()
        assert (first, last) == ((0, 1) if p.kind == "A->M" else (1, 2))
        assert torch.equal(world.step(p.states[:-1], p.actions), p.states[1:])


def test_stitching_dataset_is_deterministic_per_seed():
    world = grid_world()
    a = stitching_dataset(world, 5, torch.Generator().manual_seed(3))
    b = stitching_dataset(world, 5, torch.Generator().manual_seed(3))
    assert all(torch.equal(x.states, y.states) and torch.equal(x.actions, y.actions) for x, y in zip(a, b))


def test_rollout_follows_a_deterministic_policy_and_stops_at_the_goal():
    world = grid_world(rows=3, cols=5, left=1, right=3)
    policy = torch.zeros(15, 15, 4, dtype=torch.float64)
    policy[..., 3] = 1.0  # always right
    paths = rollout(world, policy, torch.tensor([0, 5]), torch.tensor([2, 5]), 6, torch.Generator().manual_seed(0))
    assert paths.shape == (2, 7) and paths.dtype == torch.long
    assert paths[0].tolist() == [0, 1, 2, 2, 2, 2, 2]  # stops at its goal
    assert paths[1].tolist() == [5] * 7  # starts on its goal
    assert success_rate(paths, torch.tensor([2, 5])) == 1.0
    assert success_rate(paths, torch.tensor([3, 5])) == 0.5


def test_rollout_samples_the_policy():
    world = grid_world(rows=3, cols=5, left=1, right=3)
    policy = torch.full((15, 15, 4), 0.25, dtype=torch.float64)
    paths = rollout(world, policy, torch.full((4000,), 7), torch.full((4000,), 0), 1, torch.Generator().manual_seed(2))
    moved = paths[:, 1]
    for cell in (2, 12, 6, 8):  # up, down, left, right of cell 7
        assert abs((moved == cell).double().mean().item() - 0.25) < 0.03


def test_rollout_rejects_bad_policies():
    world = grid_world(rows=3, cols=5, left=1, right=3)
    starts = torch.tensor([0])
    with pytest.raises(ValueError):
        rollout(world, torch.zeros(15, 15, 4), starts, starts, 3, torch.Generator())
    with pytest.raises(ValueError):
        rollout(world, torch.full((15, 14, 4), 0.25), starts, starts, 3, torch.Generator())
    with pytest.raises(TypeError):
        rollout(world, torch.full((15, 15, 4), 0.25), starts, starts, 3, None)
