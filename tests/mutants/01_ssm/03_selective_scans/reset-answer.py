# %% mutant: flag-from-right-only
def combine_reset(left: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
                  right: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Compose two segments (a, b, r) of h -> a h + b where r marks a reset inside the segment."""
    a1, b1, r1 = left
    a2, b2, r2 = right
    return torch.where(r2, a2, a1 * a2), torch.where(r2, b2, a2 * b1 + b2), r2

# %% mutant: reset-keeps-a-product
def combine_reset(left: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
                  right: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Compose two segments (a, b, r) of h -> a h + b where r marks a reset inside the segment."""
    a1, b1, r1 = left
    a2, b2, r2 = right
    return a1 * a2, torch.where(r2, b2, a2 * b1 + b2), r1 | r2

# %% mutant: reset-on-left-flag
def combine_reset(left: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
                  right: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Compose two segments (a, b, r) of h -> a h + b where r marks a reset inside the segment."""
    a1, b1, r1 = left
    a2, b2, r2 = right
    return torch.where(r1, a2, a1 * a2), torch.where(r1, b2, a2 * b1 + b2), r1 | r2

# %% mutant: reset-drops-b2
def combine_reset(left: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
                  right: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Compose two segments (a, b, r) of h -> a h + b where r marks a reset inside the segment."""
    a1, b1, r1 = left
    a2, b2, r2 = right
    return torch.where(r2, a2, a1 * a2), torch.where(r2, torch.zeros_like(b2), a2 * b1 + b2), r1 | r2
