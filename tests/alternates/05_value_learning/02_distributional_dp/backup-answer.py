def distributional_backup(probs: torch.Tensor, support: torch.Tensor, transitions: torch.Tensor,
                          reward_values: torch.Tensor, reward_probs: torch.Tensor, gamma: float) -> torch.Tensor:
    """One categorical distributional Bellman backup Pi T for every state: (S, K) -> (S, K)."""
    # Written differently: the projection is linear in the masses, so project one reward outcome at a time
    # (still vectorised over states) and add the results.
    if probs.ndim != 2 or support.ndim != 1 or probs.shape[1] != len(support):
        raise ValueError(f"probs must be (S, K) with K = len(support), got {tuple(probs.shape)}")
    n = probs.shape[0]
    if tuple(transitions.shape) != (n, n):
        raise ValueError(f"transitions must be ({n}, {n}), got {tuple(transitions.shape)}")
    if reward_values.ndim != 2 or reward_values.shape[0] != n or reward_values.shape != reward_probs.shape:
        raise ValueError(f"reward_values and reward_probs must both be ({n}, R)")
    next_law = torch.einsum("st,tk->sk", transitions, probs)
    out = torch.zeros_like(next_law)
    for i in range(reward_values.shape[1]):
        shifted = reward_values[:, i:i + 1] + gamma * support[None, :]  # (S, K)
        out = out + categorical_projection(shifted, reward_probs[:, i:i + 1] * next_law, support)
    return out
