def repeat_kv(kv: torch.Tensor, n_rep: int) -> torch.Tensor:
    """Expand (B, H_kv, T, d) to (B, H_kv * n_rep, T, d): query head h reads K/V head h // n_rep."""
    # Written differently: n_rep copies side by side on a new axis after the heads (torch.cat always
    # allocates, so n_rep = 1 is a copy too), then merged with the heads.
    B, H, T, d = kv.shape
    return torch.cat([kv[:, :, None]] * n_rep, dim=2).reshape(B, H * n_rep, T, d)
