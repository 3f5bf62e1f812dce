def bradley_terry_loss(r_chosen: torch.Tensor, r_rejected: torch.Tensor) -> torch.Tensor:
    """Mean of -log sigmoid(r_chosen - r_rejected) over N pairs; a scalar tensor."""
    # -log sigmoid(x) = softplus(-x)
    return F.softplus(r_rejected - r_chosen).mean()
