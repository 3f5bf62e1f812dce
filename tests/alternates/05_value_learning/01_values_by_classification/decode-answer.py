def expected_value(logits: torch.Tensor, support: torch.Tensor) -> torch.Tensor:
    """The mean of softmax(logits) on the atoms `support`, over the last dimension: (..., K) -> (...)."""
    # Written differently: probabilities from log-sum-exp, then a matrix-vector product with the atoms.
    if support.ndim != 1 or logits.ndim == 0 or logits.size(-1) != support.numel():
        raise ValueError(f"logits (..., K) and support (K,) do not match: {tuple(logits.shape)}, {tuple(support.shape)}")
    probs = torch.exp(logits - torch.logsumexp(logits, dim=-1, keepdim=True))
    return probs @ support
