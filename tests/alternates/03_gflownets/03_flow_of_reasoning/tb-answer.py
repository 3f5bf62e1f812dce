def conditional_tb_loss(log_Z: torch.Tensor, log_pf_sum: torch.Tensor, log_reward: torch.Tensor) -> torch.Tensor:
    """Mean over trajectories of (log Z(c) + sum log PF - log R)^2 on a tree-shaped state space."""
    # Written differently: a squared norm of the residual vector, divided by the batch size.
    residual = torch.stack([log_Z, log_pf_sum, -log_reward]).sum(0)
    return torch.dot(residual, residual) / residual.numel()
