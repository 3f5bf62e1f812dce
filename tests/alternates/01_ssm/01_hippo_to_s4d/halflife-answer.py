def mode_half_life(A: torch.Tensor, dt: torch.Tensor) -> torch.Tensor:
    """Half-lives from log|exp(dt A l)| = l dt Re A = log(1/2), without forming exp (it underflows for fast modes)."""
    log_decay_per_step = (A * dt.to(A.real.dtype)[:, None]).real  # log |A_bar|, computed without exp
    return torch.log(torch.tensor(0.5, dtype=A.real.dtype)) / log_decay_per_step
