# %% mutant: forgets-log-pb
def trajectory_balance_loss(log_Z: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
                            log_reward: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over trajectories of (log Z + sum log PF - sum log PB - log R)^2; padded positions ignored."""
    sum_pf = torch.where(mask, log_pf, torch.zeros_like(log_pf)).sum(1)
    return (log_Z + sum_pf - log_reward).pow(2).mean()

# %% mutant: ignores-mask
def trajectory_balance_loss(log_Z: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
                            log_reward: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over trajectories of (log Z + sum log PF - sum log PB - log R)^2; padded positions ignored."""
    return (log_Z + log_pf.sum(1) - log_pb.sum(1) - log_reward).pow(2).mean()

# %% mutant: pb-wrong-sign
def trajectory_balance_loss(log_Z: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
                            log_reward: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over trajectories of (log Z + sum log PF - sum log PB - log R)^2; padded positions ignored."""
    sum_pf = torch.where(mask, log_pf, torch.zeros_like(log_pf)).sum(1)
    sum_pb = torch.where(mask, log_pb, torch.zeros_like(log_pb)).sum(1)
    return (log_Z + sum_pf + sum_pb - log_reward).pow(2).mean()

# %% mutant: square-of-mean
def trajectory_balance_loss(log_Z: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
                            log_reward: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over trajectories of (log Z + sum log PF - sum log PB - log R)^2; padded positions ignored."""
    sum_pf = torch.where(mask, log_pf, torch.zeros_like(log_pf)).sum(1)
    sum_pb = torch.where(mask, log_pb, torch.zeros_like(log_pb)).sum(1)
    return (log_Z + sum_pf - sum_pb - log_reward).mean().pow(2)

# %% mutant: sum-over-batch
def trajectory_balance_loss(log_Z: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
                            log_reward: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over trajectories of (log Z + sum log PF - sum log PB - log R)^2; padded positions ignored."""
    sum_pf = torch.where(mask, log_pf, torch.zeros_like(log_pf)).sum(1)
    sum_pb = torch.where(mask, log_pb, torch.zeros_like(log_pb)).sum(1)
    return (log_Z + sum_pf - sum_pb - log_reward).pow(2).sum()
