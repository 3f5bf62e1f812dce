def classification_value_loss(logits: torch.Tensor, target_probs: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of soft targets, averaged over all leading positions: (..., K), (..., K) -> 0-d."""
    # Written differently: flatten every leading dimension into one batch and let PyTorch's
    # cross-entropy (which accepts class probabilities as targets) average over it.
    if logits.shape != target_probs.shape or logits.ndim == 0:
        raise ValueError(f"logits and target_probs must have the same shape, got {tuple(logits.shape)}, {tuple(target_probs.shape)}")
    k = logits.shape[-1]
    return torch.nn.functional.cross_entropy(logits.reshape(-1, k), target_probs.reshape(-1, k))
