# %% mutant: no-scaling
def attend_step(q: torch.Tensor, k_cache: torch.Tensor, v_cache: torch.Tensor) -> torch.Tensor:
    """Attention output (B, H, 1, d) of one new query over S cached keys/values (B, H, S, d)."""
    scores = q @ k_cache.transpose(-2, -1)
    return torch.softmax(scores, dim=-1) @ v_cache

# %% mutant: softmax-wrong-axis
def attend_step(q: torch.Tensor, k_cache: torch.Tensor, v_cache: torch.Tensor) -> torch.Tensor:
    """Attention output (B, H, 1, d) of one new query over S cached keys/values (B, H, S, d)."""
    scores = q @ k_cache.transpose(-2, -1) / math.sqrt(q.shape[-1])
    return torch.softmax(scores, dim=-2) @ v_cache

# %% mutant: scale-by-d
def attend_step(q: torch.Tensor, k_cache: torch.Tensor, v_cache: torch.Tensor) -> torch.Tensor:
    """Attention output (B, H, 1, d) of one new query over S cached keys/values (B, H, S, d)."""
    scores = q @ k_cache.transpose(-2, -1) / q.shape[-1]
    return torch.softmax(scores, dim=-1) @ v_cache

# %% mutant: drop-newest-key
def attend_step(q: torch.Tensor, k_cache: torch.Tensor, v_cache: torch.Tensor) -> torch.Tensor:
    """Attention output (B, H, 1, d) of one new query over S cached keys/values (B, H, S, d)."""
    k_cache, v_cache = (k_cache[:, :, :-1], v_cache[:, :, :-1]) if k_cache.shape[2] > 1 else (k_cache, v_cache)
    scores = q @ k_cache.transpose(-2, -1) / math.sqrt(q.shape[-1])
    return torch.softmax(scores, dim=-1) @ v_cache
