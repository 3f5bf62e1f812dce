# %% mutant: pairs-counted-twice
def partial_energy(bits: torch.Tensor, unary: torch.Tensor, pairwise: torch.Tensor) -> torch.Tensor:
    """Additive energy of (partial) sets bits (..., M): sum of unary terms plus each pair once."""
    return bits @ unary + ((bits @ pairwise) * bits).sum(-1)

# %% mutant: unary-only
def partial_energy(bits: torch.Tensor, unary: torch.Tensor, pairwise: torch.Tensor) -> torch.Tensor:
    """Additive energy of (partial) sets bits (..., M): sum of unary terms plus each pair once."""
    return bits @ unary

# %% mutant: pairwise-sign
def partial_energy(bits: torch.Tensor, unary: torch.Tensor, pairwise: torch.Tensor) -> torch.Tensor:
    """Additive energy of (partial) sets bits (..., M): sum of unary terms plus each pair once."""
    return bits @ unary - 0.5 * ((bits @ pairwise) * bits).sum(-1)

# %% mutant: row-sums-not-pairs
def partial_energy(bits: torch.Tensor, unary: torch.Tensor, pairwise: torch.Tensor) -> torch.Tensor:
    """Additive energy of (partial) sets bits (..., M): sum of unary terms plus each pair once."""
    return bits @ unary + 0.5 * (bits @ pairwise).sum(-1)
