def combine_reset(left: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
                  right: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Reset as masking the left segment out: where r2, the left map is replaced by the identity (1, 0)."""
    a1, b1, r1 = left
    a2, b2, r2 = right
    a1 = torch.where(r2, torch.ones_like(a1), a1)
    b1 = torch.where(r2, torch.zeros_like(b1), b1)
    return a1 * a2, a2 * b1 + b2, torch.logical_or(r1, r2)
