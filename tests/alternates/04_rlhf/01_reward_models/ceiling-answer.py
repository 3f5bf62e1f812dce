def label_noise_ceiling(true_chosen: torch.Tensor, true_rejected: torch.Tensor, temperature: float = 1.0) -> float:
    """Best achievable accuracy on Bradley-Terry labels: mean sigmoid(|gap| / temperature)."""
    p = torch.sigmoid((true_chosen - true_rejected) / temperature)
    return float(torch.maximum(p, 1 - p).mean())
