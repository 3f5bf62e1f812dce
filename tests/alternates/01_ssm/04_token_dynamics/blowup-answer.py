def blowup_time(x0: torch.Tensor, mu: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """One model at a time in Python floats: t* = x0^-2 / (2 mu delta) when 1/x^2 falls to zero, else inf."""
    out = []
    for x, m, d in zip(x0.tolist(), mu.tolist(), delta.tolist()):
        out.append((1.0 / (x * x)) / (2.0 * m * d) if m > 0 and x != 0 else math.inf)
    return torch.tensor(out, dtype=x0.dtype)
