def causal_fft_conv(u: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Causal convolution with the full complex FFT, padded to the next power of two >= 2L - 1."""
    L = u.shape[-1]
    n = 1 << (2 * L - 2).bit_length()  # 1 for L = 1, else the smallest power of two >= 2L - 1
    y = torch.fft.ifft(torch.fft.fft(u, n=n) * torch.fft.fft(K, n=n), n=n)
    return y[..., :L].real.to(u.dtype)
