# %% mutant: tile-instead-of-interleave
def repeat_kv(kv: torch.Tensor, n_rep: int) -> torch.Tensor:
    """Expand (B, H_kv, T, d) to (B, H_kv * n_rep, T, d): query head h reads K/V head h // n_rep."""
    return kv.repeat(1, n_rep, 1, 1)

# %% mutant: interleave-wrong-axis
def repeat_kv(kv: torch.Tensor, n_rep: int) -> torch.Tensor:
    """Expand (B, H_kv, T, d) to (B, H_kv * n_rep, T, d): query head h reads K/V head h // n_rep."""
    return torch.repeat_interleave(kv, n_rep, dim=2).reshape(kv.shape[0], -1, kv.shape[2], kv.shape[3])
