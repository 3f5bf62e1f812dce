# %% mutant: no-skip
def ssm_conv(u: torch.Tensor, K: torch.Tensor, D: torch.Tensor) -> torch.Tensor:
    """Causal FFT convolution of u (B, H, L) with K (H, L), plus the skip term D (H,) * u."""
    L = u.shape[-1]
    y = torch.fft.irfft(torch.fft.rfft(u, n=2 * L) * torch.fft.rfft(K, n=2 * L), n=2 * L)[..., :L]
    return y

# %% mutant: circular
def ssm_conv(u: torch.Tensor, K: torch.Tensor, D: torch.Tensor) -> torch.Tensor:
    """Causal FFT convolution of u (B, H, L) with K (H, L), plus the skip term D (H,) * u."""
    L = u.shape[-1]
    y = torch.fft.irfft(torch.fft.rfft(u) * torch.fft.rfft(K), n=L)
    return y + D[:, None] * u

# %% mutant: skip-scales-output
def ssm_conv(u: torch.Tensor, K: torch.Tensor, D: torch.Tensor) -> torch.Tensor:
    """Causal FFT convolution of u (B, H, L) with K (H, L), plus the skip term D (H,) * u."""
    L = u.shape[-1]
    y = torch.fft.irfft(torch.fft.rfft(u, n=2 * L) * torch.fft.rfft(K, n=2 * L), n=2 * L)[..., :L]
    return y * (1 + D[:, None])
