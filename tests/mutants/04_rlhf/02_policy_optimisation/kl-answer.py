# %% mutant: k1-reversed
def kl_estimates(logp_policy: torch.Tensor, logp_ref: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample KL(policy || ref) estimates k1 = log(pi/ref) and k3 = (ref/pi - 1) - log(ref/pi)."""
    log_rho = logp_ref - logp_policy
    return log_rho, torch.expm1(log_rho) - log_rho

# %% mutant: k3-ratio-inverted
def kl_estimates(logp_policy: torch.Tensor, logp_ref: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample KL(policy || ref) estimates k1 = log(pi/ref) and k3 = (ref/pi - 1) - log(ref/pi)."""
    log_ratio = logp_policy - logp_ref
    return log_ratio, torch.expm1(log_ratio) - log_ratio

# %% mutant: k2-instead-of-k3
def kl_estimates(logp_policy: torch.Tensor, logp_ref: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample KL(policy || ref) estimates k1 = log(pi/ref) and k3 = (ref/pi - 1) - log(ref/pi)."""
    log_ratio = logp_policy - logp_ref
    return log_ratio, 0.5 * log_ratio ** 2

# %% mutant: k3-missing-minus-one
def kl_estimates(logp_policy: torch.Tensor, logp_ref: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample KL(policy || ref) estimates k1 = log(pi/ref) and k3 = (ref/pi - 1) - log(ref/pi)."""
    log_ratio = logp_policy - logp_ref
    return log_ratio, torch.exp(-log_ratio) + log_ratio
