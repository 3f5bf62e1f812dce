def s4d_layer_kernel(log_dt: torch.Tensor, log_A_real: torch.Tensor, A_imag: torch.Tensor, C: torch.Tensor, L: int) -> torch.Tensor:
    """The kernel from the real and imaginary parts of dt A separately: e^{dt A l} = e^{dt Re A l} (cos + i sin)."""
    dt = torch.exp(log_dt).to(A_imag.dtype)[:, None]
    re, im = -torch.exp(log_A_real), A_imag
    A = torch.complex(re, im)
    w = C * (torch.exp(A * dt) - 1) / A  # (H, N)
    lags = torch.arange(L, dtype=A_imag.dtype)
    mag = torch.exp((dt * re)[..., None] * lags)  # (H, N, L)
    phase = (dt * im)[..., None] * lags
    return 2 * (w.real[..., None] * mag * torch.cos(phase) - w.imag[..., None] * mag * torch.sin(phase)).sum(1)
