def two_hot(y: torch.Tensor, support: torch.Tensor) -> torch.Tensor:
    """Two-hot target of each y on the atoms `support` (y clipped to them): (...) -> (..., K)."""
    # Written differently: the piecewise-linear "hat" basis functions of the atoms, evaluated at y.
    # Atom k rises from 0 at z_{k-1} to 1 at z_k and falls back to 0 at z_{k+1}; the end atoms stay at 1 outside.
    if support.ndim != 1 or len(support) < 2 or (support.diff() <= 0).any():
        raise ValueError("support must be a 1-D, strictly increasing tensor of at least 2 atoms")
    y = torch.minimum(torch.maximum(y, support[0]), support[-1])[..., None]
    gaps = support.diff()
    rise = torch.ones(*y.shape[:-1], len(support), dtype=y.dtype)
    fall = torch.ones_like(rise)
    rise[..., 1:] = ((y - support[:-1]) / gaps).clamp(0, 1)
    fall[..., :-1] = ((support[1:] - y) / gaps).clamp(0, 1)
    return torch.minimum(rise, fall)
