# %% mutant: right-then-left
def combine(left: tuple[torch.Tensor, torch.Tensor], right: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Compose h -> a1 h + b1 (left, earlier) with h -> a2 h + b2 (right, later)."""
    a1, b1 = left
    a2, b2 = right
    return a1 * a2, a1 * b2 + b1

# %% mutant: b-not-decayed
def combine(left: tuple[torch.Tensor, torch.Tensor], right: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Compose h -> a1 h + b1 (left, earlier) with h -> a2 h + b2 (right, later)."""
    a1, b1 = left
    a2, b2 = right
    return a1 * a2, b1 + b2

# %% mutant: both-b-decayed
def combine(left: tuple[torch.Tensor, torch.Tensor], right: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Compose h -> a1 h + b1 (left, earlier) with h -> a2 h + b2 (right, later)."""
    a1, b1 = left
    a2, b2 = right
    return a1 * a2, a2 * b1 + a1 * b2
