def trajectory_balance_loss(log_Z: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
                            log_reward: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over trajectories of (log Z + sum log PF - sum log PB - log R)^2; padded positions ignored."""
    # Written differently: one log-ratio per edge, masked, then summed per trajectory.
    ratio = (log_pf - log_pb).masked_fill(~mask, 0.0).sum(-1)
    return torch.mean((ratio + log_Z - log_reward) ** 2)
