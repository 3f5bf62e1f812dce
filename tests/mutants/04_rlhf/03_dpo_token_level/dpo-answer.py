# %% mutant: no-reference
def dpo_loss(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor, ref_chosen: torch.Tensor,
             ref_rejected: torch.Tensor, beta: float, label_smoothing: float = 0.0) -> torch.Tensor:
    """Mean conservative-DPO loss -(1-eps) log sigmoid(beta h) - eps log sigmoid(-beta h); a scalar."""
    logits = beta * (policy_chosen - policy_rejected)
    return (-(1 - label_smoothing) * F.logsigmoid(logits) - label_smoothing * F.logsigmoid(-logits)).mean()

# %% mutant: smoothing-swapped
def dpo_loss(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor, ref_chosen: torch.Tensor,
             ref_rejected: torch.Tensor, beta: float, label_smoothing: float = 0.0) -> torch.Tensor:
    """Mean conservative-DPO loss -(1-eps) log sigmoid(beta h) - eps log sigmoid(-beta h); a scalar."""
    logits = beta * ((policy_chosen - ref_chosen) - (policy_rejected - ref_rejected))
    return (-label_smoothing * F.logsigmoid(logits) - (1 - label_smoothing) * F.logsigmoid(-logits)).mean()

# %% mutant: beta-outside
def dpo_loss(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor, ref_chosen: torch.Tensor,
             ref_rejected: torch.Tensor, beta: float, label_smoothing: float = 0.0) -> torch.Tensor:
    """Mean conservative-DPO loss -(1-eps) log sigmoid(beta h) - eps log sigmoid(-beta h); a scalar."""
    h = (policy_chosen - ref_chosen) - (policy_rejected - ref_rejected)
    return (beta * (-(1 - label_smoothing) * F.logsigmoid(h) - label_smoothing * F.logsigmoid(-h))).mean()

# %% mutant: smoothing-ignored
def dpo_loss(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor, ref_chosen: torch.Tensor,
             ref_rejected: torch.Tensor, beta: float, label_smoothing: float = 0.0) -> torch.Tensor:
    """Mean conservative-DPO loss -(1-eps) log sigmoid(beta h) - eps log sigmoid(-beta h); a scalar."""
    logits = beta * ((policy_chosen - ref_chosen) - (policy_rejected - ref_rejected))
    return -F.logsigmoid(logits).mean()

# %% mutant: reference-added
def dpo_loss(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor, ref_chosen: torch.Tensor,
             ref_rejected: torch.Tensor, beta: float, label_smoothing: float = 0.0) -> torch.Tensor:
    """Mean conservative-DPO loss -(1-eps) log sigmoid(beta h) - eps log sigmoid(-beta h); a scalar."""
    logits = beta * ((policy_chosen + ref_chosen) - (policy_rejected + ref_rejected))
    return (-(1 - label_smoothing) * F.logsigmoid(logits) - label_smoothing * F.logsigmoid(-logits)).mean()
