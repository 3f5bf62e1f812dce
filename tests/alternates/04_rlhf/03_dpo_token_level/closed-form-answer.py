def kl_optimal_policy(ref_logprobs: torch.Tensor, rewards: torch.Tensor, beta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Gibbs tilt of the reference: log_softmax of log pi_ref + r / beta, and beta times the log partition function."""
    if not beta > 0:
        raise ValueError("beta must be positive")
    if rewards.shape != ref_logprobs.shape:
        raise ValueError("shapes differ")
    tilted = ref_logprobs + rewards / beta
    log_pi = torch.log_softmax(tilted, dim=-1)
    shift = tilted.max().detach()
    value = beta * (shift + torch.log(torch.exp(tilted - shift).sum()))
    return log_pi, value
