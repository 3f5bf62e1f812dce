def cvar(probs: torch.Tensor, support: torch.Tensor, alpha: float) -> torch.Tensor:
    """Lower-tail CVaR_alpha of categorical distributions on `support`: (..., K) -> (...)."""
    # Written differently (Rockafellar-Uryasev): CVaR_a = max over b of b - E[(b - Z)_+] / a, and for a
    # categorical Z the maximum is attained at one of the atoms, so try them all.
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or not (alpha > 0 and alpha <= 1):
        raise ValueError(f"alpha must lie in (0, 1], got {alpha}")
    if probs.ndim == 0 or support.ndim != 1 or probs.shape[-1] != len(support):
        raise ValueError("probs must have shape (..., K) with K = len(support)")
    shortfall = (support[:, None] - support[None, :]).clamp(min=0)  # (b, z): (b - z)_+
    objective = support - (probs[..., None, :] * shortfall).sum(-1) / alpha  # (..., b)
    return objective.max(dim=-1).values
