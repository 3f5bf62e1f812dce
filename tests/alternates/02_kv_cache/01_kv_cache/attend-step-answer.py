def attend_step(q: torch.Tensor, k_cache: torch.Tensor, v_cache: torch.Tensor) -> torch.Tensor:
    """Attention output (B, H, 1, d) of one new query over S cached keys/values (B, H, S, d)."""
    # Written differently: einsum, and the softmax as exp(s - logsumexp(s)).
    s = torch.einsum("bhqd,bhsd->bhqs", q, k_cache) / q.shape[-1] ** 0.5
    w = torch.exp(s - torch.logsumexp(s, dim=-1, keepdim=True))
    return torch.einsum("bhqs,bhsd->bhqd", w, v_cache)
