# %% mutant: no-absolute-value
def label_noise_ceiling(true_chosen: torch.Tensor, true_rejected: torch.Tensor, temperature: float = 1.0) -> float:
    """Best achievable accuracy on Bradley-Terry labels: mean sigmoid(|gap| / temperature)."""
    return torch.sigmoid((true_chosen - true_rejected) / temperature).mean().item()

# %% mutant: hard-agreement
def label_noise_ceiling(true_chosen: torch.Tensor, true_rejected: torch.Tensor, temperature: float = 1.0) -> float:
    """Best achievable accuracy on Bradley-Terry labels: mean sigmoid(|gap| / temperature)."""
    gap = true_chosen - true_rejected
    return ((gap != 0).float() * 1.0 + (gap == 0).float() * 0.5).mean().item()

# %% mutant: temperature-ignored
def label_noise_ceiling(true_chosen: torch.Tensor, true_rejected: torch.Tensor, temperature: float = 1.0) -> float:
    """Best achievable accuracy on Bradley-Terry labels: mean sigmoid(|gap| / temperature)."""
    return torch.sigmoid((true_chosen - true_rejected).abs()).mean().item()

# %% mutant: temperature-multiplies
def label_noise_ceiling(true_chosen: torch.Tensor, true_rejected: torch.Tensor, temperature: float = 1.0) -> float:
    """Best achievable accuracy on Bradley-Terry labels: mean sigmoid(|gap| / temperature)."""
    return torch.sigmoid((true_chosen - true_rejected).abs() * temperature).mean().item()
