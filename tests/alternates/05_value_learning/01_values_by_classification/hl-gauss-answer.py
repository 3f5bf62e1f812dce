def hl_gauss(y: torch.Tensor, support: torch.Tensor, sigma: float) -> torch.Tensor:
    """HL-Gauss target: the mass of N(y, sigma^2) on each atom's bin, renormalised: (...) -> (..., K)."""
    # Written differently: the normal CDF as torch.special.ndtr, edges built from the gaps, and the
    # normaliser as the sum of the bin masses.
    if support.ndim != 1 or support.numel() < 2 or not torch.all(support.diff() > 0):
        raise ValueError("support must be a 1-D, strictly increasing tensor of at least 2 atoms")
    if not isinstance(sigma, (int, float)) or isinstance(sigma, bool) or not 0 < sigma < math.inf:
        raise ValueError(f"sigma must be a finite number > 0, got {sigma}")
    gaps = support.diff()
    edges = torch.cat([support[:1] - gaps[:1] / 2, support[:-1] + gaps / 2, support[-1:] + gaps[-1:] / 2])
    centre = torch.clamp(y, min=support[0].item(), max=support[-1].item())
    mass = torch.special.ndtr((edges - centre[..., None]) / sigma).diff(dim=-1)
    return mass / mass.sum(dim=-1, keepdim=True)
