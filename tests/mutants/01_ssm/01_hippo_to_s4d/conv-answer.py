# %% mutant: circular-no-padding
def causal_fft_conv(u: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Causal convolution y[b, h, l] = sum_{j <= l} K[h, j] u[b, h, l - j] via FFTs padded to 2L."""
    L = u.shape[-1]
    return torch.fft.irfft(torch.fft.rfft(u, n=L) * torch.fft.rfft(K, n=L), n=L)

# %% mutant: keeps-second-half
def causal_fft_conv(u: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Causal convolution y[b, h, l] = sum_{j <= l} K[h, j] u[b, h, l - j] via FFTs padded to 2L."""
    L = u.shape[-1]
    return torch.fft.irfft(torch.fft.rfft(u, n=2 * L) * torch.fft.rfft(K, n=2 * L), n=2 * L)[..., L:]

# %% mutant: flipped-kernel
def causal_fft_conv(u: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Causal convolution y[b, h, l] = sum_{j <= l} K[h, j] u[b, h, l - j] via FFTs padded to 2L."""
    L = u.shape[-1]
    return torch.fft.irfft(torch.fft.rfft(u, n=2 * L) * torch.fft.rfft(K.flip(-1), n=2 * L), n=2 * L)[..., :L]

# %% mutant: irfft-default-length
def causal_fft_conv(u: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Causal convolution y[b, h, l] = sum_{j <= l} K[h, j] u[b, h, l - j] via FFTs padded to 2L."""
    L = u.shape[-1]
    return torch.fft.irfft(torch.fft.rfft(u, n=2 * L + 1) * torch.fft.rfft(K, n=2 * L + 1))[..., :L]
