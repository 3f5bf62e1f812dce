# %% mutant: unbiased-std
def ensemble_penalised_reward(rewards: torch.Tensor, penalty: float) -> torch.Tensor:
    """Mean over the K models minus penalty times their population std: (K, N) -> (N,)."""
    return rewards.mean(dim=0) - penalty * rewards.std(dim=0, unbiased=True).nan_to_num(0.0)

# %% mutant: variance-not-std
def ensemble_penalised_reward(rewards: torch.Tensor, penalty: float) -> torch.Tensor:
    """Mean over the K models minus penalty times their population std: (K, N) -> (N,)."""
    return rewards.mean(dim=0) - penalty * rewards.var(dim=0, unbiased=False)

# %% mutant: plus-penalty
def ensemble_penalised_reward(rewards: torch.Tensor, penalty: float) -> torch.Tensor:
    """Mean over the K models minus penalty times their population std: (K, N) -> (N,)."""
    return rewards.mean(dim=0) + penalty * rewards.std(dim=0, unbiased=False)

# %% mutant: wrong-axis
def ensemble_penalised_reward(rewards: torch.Tensor, penalty: float) -> torch.Tensor:
    """Mean over the K models minus penalty times their population std: (K, N) -> (N,)."""
    return rewards.mean(dim=1) - penalty * rewards.std(dim=1, unbiased=False)
