def hl_gauss_sigma(own_mass: torch.Tensor, gap: float) -> torch.Tensor:
    """The sigma for which N(z, sigma^2) puts `own_mass` on the atom's own bin [z - gap/2, z + gap/2]."""
    # Written differently: Phi(gap / (2 sigma)) - Phi(-gap / (2 sigma)) = m, i.e. Phi(gap / (2 sigma)) = (1 + m) / 2,
    # solved with the normal quantile function; validation through isnan and any().
    if torch.isnan(own_mass).any() or (own_mass <= 0).any() or (own_mass >= 1).any():
        raise ValueError("own_mass must lie strictly inside (0, 1)")
    if type(gap) not in (int, float) or gap != gap or gap <= 0 or gap == math.inf:
        raise ValueError(f"gap must be a finite number > 0, got {gap}")
    half_width = gap / 2
    return half_width / torch.special.ndtri((1 + own_mass) / 2)
