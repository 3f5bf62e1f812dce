def moving_average_cumsum(x: torch.Tensor, window: int) -> torch.Tensor:
    """Causal moving average via a padded cumulative sum."""
    if window < 1:
        raise ValueError("window must be at least 1")
    padded = F.pad(x, (1, 0)).cumsum(0)          # padded[i] = x_0 + ... + x_{i-1}
    ends = padded[1:]
    starts = torch.cat([padded.new_zeros(min(window, x.shape[0])), padded[1:x.shape[0] - window + 1]]) if x.shape[0] > window else padded.new_zeros(x.shape[0])
    counts = torch.arange(1, x.shape[0] + 1, dtype=x.dtype).clamp(max=window)
    return (ends - starts) / counts
