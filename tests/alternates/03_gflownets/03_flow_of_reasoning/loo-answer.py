def leave_one_out_advantage(rewards: torch.Tensor) -> torch.Tensor:
    """r_i minus the mean reward of the other k-1 attempts at the same puzzle; rewards (P, k) -> (P, k)."""
    # Written differently: A_i = k / (k - 1) * (r_i - mean(r)).
    k = rewards.shape[-1]
    if k < 2:
        raise ValueError(f"k must be >= 2, got {k}")
    return k / (k - 1) * (rewards - rewards.mean(-1, keepdim=True))
