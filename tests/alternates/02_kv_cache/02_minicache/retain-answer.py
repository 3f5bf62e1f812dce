from decimal import ROUND_CEILING, Decimal


def retention_mask(xa: torch.Tensor, xb: torch.Tensor, fraction: float) -> torch.Tensor:
    """Bool (B, H, T): the ceil(fraction*T) tokens per (b, h) whose directions in xa and xb differ most."""
    # Written differently: k with Decimal, ranking by 1 - cos (the same order as the angle), argsort of -d.
    T = xa.shape[-2]
    k = int((Decimal(repr(fraction)) * T).to_integral_value(rounding=ROUND_CEILING))
    cos = (xa * xb).sum(-1) / (xa.norm(dim=-1) * xb.norm(dim=-1))
    rank = torch.argsort(-(1 - cos), dim=-1, stable=True)  # descending distance, ties in index order
    keep = torch.zeros(xa.shape[:-1], dtype=torch.bool)
    keep.scatter_(-1, rank[..., :k], torch.ones_like(rank[..., :k], dtype=torch.bool))
    return keep
