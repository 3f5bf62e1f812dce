# %% mutant: centred-not-causal
def moving_average_conv(x: torch.Tensor, window: int) -> torch.Tensor:
    """Causal moving average of a 1-D tensor computed as one convolution; same shape and dtype as `x`."""
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    kernel = torch.ones(1, 1, window, dtype=x.dtype)
    left = (window - 1) // 2
    sums = F.conv1d(F.pad(x[None, None], (left, window - 1 - left)), kernel)[0, 0]
    counts = torch.arange(1, x.shape[0] + 1, dtype=x.dtype).clamp(max=window)
    return sums / counts

# %% mutant: zero-padding-divided-by-window
def moving_average_conv(x: torch.Tensor, window: int) -> torch.Tensor:
    """Causal moving average of a 1-D tensor computed as one convolution; same shape and dtype as `x`."""
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    kernel = torch.ones(1, 1, window, dtype=x.dtype) / window
    return F.conv1d(F.pad(x[None, None], (window - 1, 0)), kernel)[0, 0]

# %% mutant: pads-on-the-right
def moving_average_conv(x: torch.Tensor, window: int) -> torch.Tensor:
    """Causal moving average of a 1-D tensor computed as one convolution; same shape and dtype as `x`."""
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    kernel = torch.ones(1, 1, window, dtype=x.dtype)
    sums = F.conv1d(F.pad(x[None, None], (0, window - 1)), kernel)[0, 0]
    counts = torch.arange(1, x.shape[0] + 1, dtype=x.dtype).clamp(max=window)
    return sums / counts
