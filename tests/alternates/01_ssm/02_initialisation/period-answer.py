def mode_period(A: torch.Tensor, dt: torch.Tensor) -> torch.Tensor:
    """Period via the frequency in cycles per step, written with torch.where and math.tau."""
    real = A.real.dtype
    cycles_per_step = torch.abs(torch.imag(A)) * dt.to(real).unsqueeze(-1) / math.tau
    return torch.where(cycles_per_step > 0, 1 / cycles_per_step, torch.full_like(cycles_per_step, math.inf))
