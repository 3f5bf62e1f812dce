# %% mutant: wrong-direction
def rerotate_keys(k: torch.Tensor, delta: int) -> torch.Tensor:
    """Keys (..., T, d) rotated by RoPE for positions s, returned as if rotated for s + delta."""
    return apply_rope(k, torch.full((k.shape[-2],), -delta), cfg.rope_base)

# %% mutant: rotate-half-convention
def rerotate_keys(k: torch.Tensor, delta: int) -> torch.Tensor:
    """Keys (..., T, d) rotated by RoPE for positions s, returned as if rotated for s + delta."""
    from utils.kv_cache import rope_angles
    ang = rope_angles(torch.tensor([delta]), k.shape[-1])[0]
    cos, sin = ang.cos(), ang.sin()
    half = k.shape[-1] // 2
    a, b = k[..., :half], k[..., half:]
    return torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1)

# %% mutant: positions-from-zero
def rerotate_keys(k: torch.Tensor, delta: int) -> torch.Tensor:
    """Keys (..., T, d) rotated by RoPE for positions s, returned as if rotated for s + delta."""
    return apply_rope(k, torch.arange(delta, delta + k.shape[-2]), cfg.rope_base)
