def exact_state_flow(reward_all: torch.Tensor, ndim: int, height: int) -> torch.Tensor:
    """State flow F(s) of the flow with uniform P_B and stop flows R(s), for all H**D states."""
    # Written differently: one state at a time in decreasing row order (a child's row is larger than its parent's).
    if reward_all.shape != (height ** ndim,):
        raise ValueError(f"reward_all must have shape ({height ** ndim},), got {tuple(reward_all.shape)}")
    states = [tuple(s) for s in grid_states(ndim, height).tolist()]
    row = {s: i for i, s in enumerate(states)}
    rewards = reward_all.tolist()
    flow = [0.0] * len(states)
    for i in range(len(states) - 1, -1, -1):
        terms = [rewards[i]]
        for d in range(ndim):
            if states[i][d] < height - 1:
                child = states[i][:d] + (states[i][d] + 1,) + states[i][d + 1:]
                terms.append(flow[row[child]] / sum(v > 0 for v in child))
        flow[i] = math.fsum(terms)
    return torch.tensor(flow, dtype=reward_all.dtype)
