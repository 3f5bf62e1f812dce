def cramer_distance(p: torch.Tensor, q: torch.Tensor, support: torch.Tensor) -> torch.Tensor:
    """The Cramér distance (L2 between CDFs) of categorical distributions on `support`: (..., K) -> (...)."""
    # Written differently: the CDF of the signed difference p - q, then a weighted inner product with the gaps.
    if p.ndim == 0 or p.shape != q.shape or support.ndim != 1 or p.shape[-1] != len(support):
        raise ValueError("p and q must share one shape (..., K) with K = len(support)")
    if len(support) == 1:
        return torch.zeros(p.shape[:-1], dtype=p.dtype)
    diff_cdf = torch.cumsum(p - q, dim=-1)[..., :-1]
    return torch.sqrt((diff_cdf * diff_cdf) @ (support[1:] - support[:-1]))
