# %% mutant: mean-includes-self
def rloo_advantages(rewards: torch.Tensor) -> torch.Tensor:
    """Leave-one-out advantages within each row of a (P, K) reward tensor."""
    if rewards.shape[1] < 2:
        raise ValueError("K must be >= 2")
    return rewards - rewards.mean(dim=1, keepdim=True)

# %% mutant: divide-by-k
def rloo_advantages(rewards: torch.Tensor) -> torch.Tensor:
    """Leave-one-out advantages within each row of a (P, K) reward tensor."""
    k = rewards.shape[1]
    if k < 2:
        raise ValueError("K must be >= 2")
    return rewards - (rewards.sum(dim=1, keepdim=True) - rewards) / k

# %% mutant: wrong-axis
def rloo_advantages(rewards: torch.Tensor) -> torch.Tensor:
    """Leave-one-out advantages within each row of a (P, K) reward tensor."""
    k = rewards.shape[1]
    if k < 2:
        raise ValueError("K must be >= 2")
    n = rewards.shape[0]
    return rewards - (rewards.sum(dim=0, keepdim=True) - rewards) / max(n - 1, 1)

# %% mutant: no-k-check
def rloo_advantages(rewards: torch.Tensor) -> torch.Tensor:
    """Leave-one-out advantages within each row of a (P, K) reward tensor."""
    k = rewards.shape[1]
    return rewards - (rewards.sum(dim=1, keepdim=True) - rewards) / max(k - 1, 1)
