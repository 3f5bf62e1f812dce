def partial_energy(bits: torch.Tensor, unary: torch.Tensor, pairwise: torch.Tensor) -> torch.Tensor:
    """Additive energy of (partial) sets bits (..., M): sum of unary terms plus each pair once."""
    # Written differently: an einsum over the strict upper triangle (each pair i < j once).
    upper = torch.triu(pairwise, diagonal=1)
    return torch.einsum("...i,i->...", bits, unary) + torch.einsum("...i,ij,...j->...", bits, upper, bits)
