# %% mutant: divides-by-window-from-the-start
def moving_average_loop(x: torch.Tensor, window: int) -> torch.Tensor:
    """Causal moving average of a 1-D tensor with a running sum; same shape and dtype as `x`."""
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    values, out, running = x.tolist(), [], 0.0
    for t, v in enumerate(values):
        running += v
        if t >= window:
            running -= values[t - window]
        out.append(running / window)
    return torch.tensor(out, dtype=x.dtype)

# %% mutant: off-by-one-window
def moving_average_loop(x: torch.Tensor, window: int) -> torch.Tensor:
    """Causal moving average of a 1-D tensor with a running sum; same shape and dtype as `x`."""
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    values, out, running = x.tolist(), [], 0.0
    for t, v in enumerate(values):
        running += v
        if t > window:
            running -= values[t - window - 1]
        out.append(running / min(t + 1, window + 1))
    return torch.tensor(out, dtype=x.dtype)

# %% mutant: loses-dtype
def moving_average_loop(x: torch.Tensor, window: int) -> torch.Tensor:
    """Causal moving average of a 1-D tensor with a running sum; same shape and dtype as `x`."""
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    values, out, running = x.tolist(), [], 0.0
    for t, v in enumerate(values):
        running += v
        if t >= window:
            running -= values[t - window]
        out.append(running / min(t + 1, window))
    return torch.tensor(out)

# %% mutant: no-validation
def moving_average_loop(x: torch.Tensor, window: int) -> torch.Tensor:
    """Causal moving average of a 1-D tensor with a running sum; same shape and dtype as `x`."""
    values, out, running = x.tolist(), [], 0.0
    for t, v in enumerate(values):
        running += v
        if t >= window:
            running -= values[t - window]
        out.append(running / max(1, min(t + 1, window)))
    return torch.tensor(out, dtype=x.dtype)
