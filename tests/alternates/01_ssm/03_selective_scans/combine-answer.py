def combine(left: tuple[torch.Tensor, torch.Tensor], right: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Compose the maps by applying the later one to the earlier one's coefficients."""
    (a1, b1), (a2, b2) = left, right
    a = torch.mul(a2, a1)
    b = torch.addcmul(b2, a2, b1)
    return torch.broadcast_tensors(a, b)
