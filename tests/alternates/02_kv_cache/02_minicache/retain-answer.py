from decimal import ROUND_CEILING, Decimal


def retention_mask(xa: torch.Tensor, xb: torch.Tensor, fraction: float) -> torch.Tensor:
    """Bool (B, H, T): the ceil(fraction*T) tokens per (b, h) whose directions in xa and xb differ most."""
    # Written differently: k with Decimal; d from the clamped cosine of x.y / (|x| |y|); argsort of -d.
    T = xa.shape[-2]
    k = int((Decimal(repr(fraction)) * T).to_integral_value(rounding=ROUND_CEILING))
    cos = (xa * xb).sum(-1) / (xa.norm(dim=-1) * xb.norm(dim=-1))
    d = torch.arccos(torch.clamp(cos, min=-1.0, max=1.0)) / math.pi
    rank = torch.argsort(-d, dim=-1, stable=True)  # descending distance, ties in index order
    keep = torch.zeros(xa.shape[:-1], dtype=torch.bool)
    keep.scatter_(-1, rank[..., :k], torch.ones_like(rank[..., :k], dtype=torch.bool))
    return keep
