def kl_estimates(logp_policy: torch.Tensor, logp_ref: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample KL(policy || ref) estimates k1 = log(pi/ref) and k3 = (ref/pi - 1) - log(ref/pi)."""
    k1 = logp_policy - logp_ref
    return k1, torch.exp(-k1) - 1 + k1
