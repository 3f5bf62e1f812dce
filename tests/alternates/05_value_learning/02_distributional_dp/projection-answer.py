def categorical_projection(values: torch.Tensor, probs: torch.Tensor, support: torch.Tensor) -> torch.Tensor:
    """Project masses `probs` at locations `values` ((..., N) each) onto the atoms `support` (K,): (..., K)."""
    # Written differently: evaluate every atom's piecewise-linear "hat" function at every clipped location,
    # then weight by the masses and sum over the locations (no searchsorted, no scatter).
    if support.ndim != 1 or len(support) == 0 or bool((support.diff() <= 0).any()):
        raise ValueError("support must be a 1-D, non-empty, strictly increasing tensor")
    if values.ndim == 0 or values.shape != probs.shape:
        raise ValueError(f"values and probs must share one shape (..., N), got {tuple(values.shape)}, {tuple(probs.shape)}")
    if len(support) == 1:
        return probs.sum(-1, keepdim=True)
    x = torch.minimum(torch.maximum(values, support[0]), support[-1])[..., None]  # (..., N, 1)
    gaps = support.diff()
    rise = torch.ones(*values.shape, len(support), dtype=probs.dtype)
    fall = torch.ones_like(rise)
    rise[..., 1:] = ((x - support[:-1]) / gaps).clamp(0, 1)
    fall[..., :-1] = ((support[1:] - x) / gaps).clamp(0, 1)
    return (torch.minimum(rise, fall) * probs[..., None]).sum(-2)
