def repeat_kv(kv: torch.Tensor, n_rep: int) -> torch.Tensor:
    """Expand (B, H_kv, T, d) to (B, H_kv * n_rep, T, d): query head h reads K/V head h // n_rep."""
    # Written differently: a new axis after the heads, expanded, then merged with the heads.
    B, H, T, d = kv.shape
    return kv[:, :, None].expand(B, H, n_rep, T, d).reshape(B, H * n_rep, T, d)
