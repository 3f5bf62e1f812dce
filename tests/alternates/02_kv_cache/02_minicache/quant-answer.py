def fake_quantize(x: torch.Tensor, bits: int, dim: int) -> torch.Tensor:
    """Quantise x to `bits` bits with min/scale taken over `dim`, then dequantise; same shape and dtype."""
    # Written differently: move the group axis last, aminmax, and codes from (x - m) * levels / (M - m).
    levels = 2**bits - 1
    z = x.movedim(dim, -1)
    m, M = torch.aminmax(z, dim=-1, keepdim=True)
    span = M - m
    flat = span == 0
    codes = torch.round((z - m) / torch.where(flat, 1.0, span / levels)).clamp(0, levels)
    out = torch.where(flat, z, m + codes * (span / levels))
    return out.movedim(-1, dim)
