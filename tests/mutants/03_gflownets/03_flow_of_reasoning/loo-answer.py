# %% mutant: mean-includes-self
def leave_one_out_advantage(rewards: torch.Tensor) -> torch.Tensor:
    """r_i minus the mean reward of the other k-1 attempts at the same puzzle; rewards (P, k) -> (P, k)."""
    k = rewards.shape[-1]
    if k < 2:
        raise ValueError(f"need k >= 2 attempts per puzzle, got k={k}")
    return rewards - rewards.mean(-1, keepdim=True)

# %% mutant: divides-by-k
def leave_one_out_advantage(rewards: torch.Tensor) -> torch.Tensor:
    """r_i minus the mean reward of the other k-1 attempts at the same puzzle; rewards (P, k) -> (P, k)."""
    k = rewards.shape[-1]
    if k < 2:
        raise ValueError(f"need k >= 2 attempts per puzzle, got k={k}")
    return rewards - (rewards.sum(-1, keepdim=True) - rewards) / k

# %% mutant: wrong-axis
def leave_one_out_advantage(rewards: torch.Tensor) -> torch.Tensor:
    """r_i minus the mean reward of the other k-1 attempts at the same puzzle; rewards (P, k) -> (P, k)."""
    k = rewards.shape[0]
    if rewards.shape[-1] < 2:
        raise ValueError(f"need k >= 2 attempts per puzzle, got k={rewards.shape[-1]}")
    return rewards - (rewards.sum(0, keepdim=True) - rewards) / max(k - 1, 1)

# %% mutant: no-validation
def leave_one_out_advantage(rewards: torch.Tensor) -> torch.Tensor:
    """r_i minus the mean reward of the other k-1 attempts at the same puzzle; rewards (P, k) -> (P, k)."""
    k = rewards.shape[-1]
    return rewards - (rewards.sum(-1, keepdim=True) - rewards) / max(k - 1, 1)
