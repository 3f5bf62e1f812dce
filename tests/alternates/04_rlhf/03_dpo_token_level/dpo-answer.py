def dpo_loss(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor, ref_chosen: torch.Tensor,
             ref_rejected: torch.Tensor, beta: float, label_smoothing: float = 0.0) -> torch.Tensor:
    """Mean conservative-DPO loss -(1-eps) log sigmoid(beta h) - eps log sigmoid(-beta h); a scalar."""
    z = beta * ((policy_chosen - policy_rejected) - (ref_chosen - ref_rejected))
    return ((1 - label_smoothing) * F.softplus(-z) + label_smoothing * F.softplus(z)).mean()
