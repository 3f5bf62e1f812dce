# %% mutant: 2-to-the-b-levels
def fake_quantize(x: torch.Tensor, bits: int, dim: int) -> torch.Tensor:
    """Quantise x to `bits` bits with min/scale taken over `dim`, then dequantise; same shape and dtype."""
    lo, hi = x.amin(dim=dim, keepdim=True), x.amax(dim=dim, keepdim=True)
    scale = (hi - lo) / 2**bits
    safe = torch.where(scale > 0, scale, torch.ones_like(scale))
    q = torch.round((x - lo) / safe).clamp(0, 2**bits - 1)
    return torch.where(scale > 0, lo + q * scale, x)

# %% mutant: floor-not-round
def fake_quantize(x: torch.Tensor, bits: int, dim: int) -> torch.Tensor:
    """Quantise x to `bits` bits with min/scale taken over `dim`, then dequantise; same shape and dtype."""
    lo, hi = x.amin(dim=dim, keepdim=True), x.amax(dim=dim, keepdim=True)
    scale = (hi - lo) / (2**bits - 1)
    safe = torch.where(scale > 0, scale, torch.ones_like(scale))
    q = torch.floor((x - lo) / safe).clamp(0, 2**bits - 1)
    return torch.where(scale > 0, lo + q * scale, x)

# %% mutant: symmetric-absmax
def fake_quantize(x: torch.Tensor, bits: int, dim: int) -> torch.Tensor:
    """Quantise x to `bits` bits with min/scale taken over `dim`, then dequantise; same shape and dtype."""
    amax = x.abs().amax(dim=dim, keepdim=True)
    scale = amax / (2 ** (bits - 1) - 1) if bits > 1 else amax
    safe = torch.where(scale > 0, scale, torch.ones_like(scale))
    return torch.where(scale > 0, torch.round(x / safe) * scale, x)

# %% mutant: stats-over-wrong-dim
def fake_quantize(x: torch.Tensor, bits: int, dim: int) -> torch.Tensor:
    """Quantise x to `bits` bits with min/scale taken over `dim`, then dequantise; same shape and dtype."""
    other = -1 if dim == -2 else -2
    lo, hi = x.amin(dim=other, keepdim=True), x.amax(dim=other, keepdim=True)
    scale = (hi - lo) / (2**bits - 1)
    safe = torch.where(scale > 0, scale, torch.ones_like(scale))
    q = torch.round((x - lo) / safe).clamp(0, 2**bits - 1)
    return torch.where(scale > 0, lo + q * scale, x)
