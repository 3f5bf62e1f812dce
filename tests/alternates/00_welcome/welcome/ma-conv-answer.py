def moving_average_conv(x: torch.Tensor, window: int) -> torch.Tensor:
    """Causal moving average of a 1-D tensor computed as one convolution; same shape and dtype as `x`."""
    if window < 1:
        raise ValueError("window must be at least 1")
    # Written differently: differences of a cumulative sum.
    c = torch.cat([torch.zeros(1, dtype=x.dtype), torch.cumsum(x, 0)])
    t = torch.arange(x.shape[0])
    lo = (t - window + 1).clamp(min=0)
    return (c[t + 1] - c[lo]) / (t + 1 - lo).to(x.dtype)
