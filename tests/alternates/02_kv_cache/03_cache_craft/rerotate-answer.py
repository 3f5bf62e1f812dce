def rerotate_keys(k: torch.Tensor, delta: int) -> torch.Tensor:
    """Keys (..., T, d) rotated by RoPE for positions s, returned as if rotated for s + delta."""
    # Written differently: a 2x2 rotation matrix per pair, applied with einsum, angles in k's dtype.
    d = k.shape[-1]
    phi = delta * cfg.rope_base ** (-torch.arange(0, d, 2, dtype=k.dtype) / d)  # (d/2,)
    c, s = torch.cos(phi), torch.sin(phi)
    rot = torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)  # (d/2, 2, 2): rows are outputs
    pairs = k.reshape(*k.shape[:-1], d // 2, 2)
    return torch.einsum("pij,...pj->...pi", rot, pairs).reshape(k.shape)
