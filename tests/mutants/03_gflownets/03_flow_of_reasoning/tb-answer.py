# %% mutant: reward-sign
def conditional_tb_loss(log_Z: torch.Tensor, log_pf_sum: torch.Tensor, log_reward: torch.Tensor) -> torch.Tensor:
    """Mean over trajectories of (log Z(c) + sum log PF - log R)^2 on a tree-shaped state space."""
    return (log_Z + log_pf_sum + log_reward).pow(2).mean()

# %% mutant: one-shared-log-Z
def conditional_tb_loss(log_Z: torch.Tensor, log_pf_sum: torch.Tensor, log_reward: torch.Tensor) -> torch.Tensor:
    """Mean over trajectories of (log Z(c) + sum log PF - log R)^2 on a tree-shaped state space."""
    return (log_Z.mean() + log_pf_sum - log_reward).pow(2).mean()

# %% mutant: square-of-mean
def conditional_tb_loss(log_Z: torch.Tensor, log_pf_sum: torch.Tensor, log_reward: torch.Tensor) -> torch.Tensor:
    """Mean over trajectories of (log Z(c) + sum log PF - log R)^2 on a tree-shaped state space."""
    return (log_Z + log_pf_sum - log_reward).mean().pow(2)
