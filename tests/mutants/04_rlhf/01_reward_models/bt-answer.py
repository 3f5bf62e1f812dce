# %% mutant: wrong-sign
def bradley_terry_loss(r_chosen: torch.Tensor, r_rejected: torch.Tensor) -> torch.Tensor:
    """Mean of -log sigmoid(r_chosen - r_rejected) over N pairs; a scalar tensor."""
    return -F.logsigmoid(r_rejected - r_chosen).mean()

# %% mutant: sum-not-mean
def bradley_terry_loss(r_chosen: torch.Tensor, r_rejected: torch.Tensor) -> torch.Tensor:
    """Mean of -log sigmoid(r_chosen - r_rejected) over N pairs; a scalar tensor."""
    return -F.logsigmoid(r_chosen - r_rejected).sum()

# %% mutant: unstable-log-sigmoid
def bradley_terry_loss(r_chosen: torch.Tensor, r_rejected: torch.Tensor) -> torch.Tensor:
    """Mean of -log sigmoid(r_chosen - r_rejected) over N pairs; a scalar tensor."""
    return -torch.log(torch.sigmoid(r_chosen - r_rejected)).mean()

# %% mutant: clamped-gap
def bradley_terry_loss(r_chosen: torch.Tensor, r_rejected: torch.Tensor) -> torch.Tensor:
    """Mean of -log sigmoid(r_chosen - r_rejected) over N pairs; a scalar tensor."""
    return -F.logsigmoid((r_chosen - r_rejected).clamp(-20, 20)).mean()
