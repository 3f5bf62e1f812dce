def mode_half_life(A: torch.Tensor, dt: torch.Tensor) -> torch.Tensor:
    """Half-lives from the per-step factor: |A_bar|^l = 1/2, so l = -log 2 / log |A_bar|."""
    A_bar = torch.exp(A * dt.to(A.real.dtype)[:, None])
    return -math.log(2.0) / torch.log(A_bar.abs())
