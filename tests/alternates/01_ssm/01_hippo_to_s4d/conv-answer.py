def causal_fft_conv(u: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Causal convolution with the full complex FFT, padded to 2L."""
    L = u.shape[-1]
    y = torch.fft.ifft(torch.fft.fft(u, n=2 * L) * torch.fft.fft(K, n=2 * L), n=2 * L)
    return y[..., :L].real.to(u.dtype)
