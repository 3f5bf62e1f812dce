def gcbc_policy(triples: torch.Tensor, n_states: int, n_actions: int) -> torch.Tensor:
    """Greedy tabular GCBC: policy[s, g, a], ties shared, uniform where (s, g) has no data: (S, S, A) float64."""
    # Written differently: counts by bincount of a flat index; an all-zero row is a tie of every action.
    if triples.ndim != 2 or triples.shape[-1] != 3:
        raise ValueError("triples must have shape (N, 3)")
    s, a, g = triples[:, 0], triples[:, 1], triples[:, 2]
    bad_state = ((s < 0) | (s >= n_states) | (g < 0) | (g >= n_states)).any()
    bad_action = ((a < 0) | (a >= n_actions)).any()
    if bool(bad_state) or bool(bad_action):
        raise ValueError("a state, goal or action is out of range")
    flat = (s * n_states + g) * n_actions + a
    counts = torch.bincount(flat, minlength=n_states * n_states * n_actions).view(n_states, n_states, n_actions)
    top = counts.amax(dim=2, keepdim=True)
    winners = (counts == top).to(torch.float64)
    return winners / winners.sum(dim=2, keepdim=True)
