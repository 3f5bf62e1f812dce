def ensemble_penalised_reward(rewards: torch.Tensor, penalty: float) -> torch.Tensor:
    """Mean over the K models minus penalty times their population std: (K, N) -> (N,)."""
    mean = rewards.mean(dim=0)
    return mean - penalty * ((rewards - mean) ** 2).mean(dim=0).sqrt()
