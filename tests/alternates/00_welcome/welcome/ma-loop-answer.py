def moving_average_loop(x: torch.Tensor, window: int) -> torch.Tensor:
    """Causal moving average of a 1-D tensor with a running sum; same shape and dtype as `x`."""
    if window < 1:
        raise ValueError("window must be at least 1")
    from collections import deque
    recent, total, y = deque(), 0.0, torch.empty_like(x)
    for t in range(x.shape[0]):
        recent.append(float(x[t]))
        total += recent[-1]
        if len(recent) > window:
            total -= recent.popleft()
        y[t] = total / len(recent)
    return y
