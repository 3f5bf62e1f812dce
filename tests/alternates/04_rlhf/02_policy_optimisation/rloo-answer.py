def rloo_advantages(rewards: torch.Tensor) -> torch.Tensor:
    """Leave-one-out advantages within each row of a (P, K) reward tensor."""
    k = rewards.shape[-1]
    if k < 2:
        raise ValueError(f"need K >= 2, got shape {tuple(rewards.shape)}")
    return k / (k - 1) * (rewards - rewards.mean(dim=1, keepdim=True))
