def hindsight_triples(states: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    """Every (s_t, a_t, s_k) with t < k of one trajectory, ordered by t then k: (N, 3) int64."""
    # Written differently: one block of rows per step t, the goals being the suffix states[t+1:].
    if states.ndim != 1 or actions.ndim != 1 or len(states) - len(actions) != 1:
        raise ValueError("states must have shape (T+1,) and actions (T,)")
    blocks = [torch.zeros(0, 3, dtype=torch.long)]
    for t in range(len(actions)):
        later = states[t + 1:]
        blocks.append(torch.stack([torch.full_like(later, int(states[t])), torch.full_like(later, int(actions[t])), later], 1))
    return torch.cat(blocks)
