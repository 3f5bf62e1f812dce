def goal_td_target(q: torch.Tensor, next_states: torch.Tensor, goals: torch.Tensor, gamma: float) -> torch.Tensor:
    """The goal-conditioned Q-learning target: 1 where s' = g (terminal), else gamma max_a' Q(s', a', g): (N,)."""
    # Written differently: the reward-plus-continuation form, r + gamma max Q with the continuation zeroed at the goal.
    if q.ndim != 3 or q.shape[0] != q.shape[2]:
        raise ValueError("q must have shape (S, A, S)")
    if next_states.ndim != 1 or goals.ndim != 1 or len(next_states) != len(goals):
        raise ValueError("next_states and goals must be 1-D of one length")
    if type(gamma) not in (int, float) or gamma < 0 or gamma > 1:
        raise ValueError("gamma must be a number in [0, 1]")
    by_goal = q.permute(0, 2, 1)  # (S, G, A)
    best = by_goal[next_states, goals].amax(dim=1)
    done = next_states == goals
    continuation = best.masked_fill(done, 0.0)  # nothing after the goal, whatever q holds there
    return done.to(q.dtype) + gamma * continuation
