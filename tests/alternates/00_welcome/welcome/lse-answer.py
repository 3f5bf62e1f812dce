def logsumexp(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """log(sum(exp(x))) over `dim`, stable for large and -inf entries; drops `dim`."""
    # Written differently: the shift is detached (its gradient cancels exactly: d/dm of
    # m + log sum exp(x - m) is 1 - sum softmax = 0), and amax with masked_fill instead of where.
    m = x.detach().amax(dim=dim, keepdim=True)
    m = m.masked_fill(m == -math.inf, 0.0)
    return torch.log(torch.exp(x - m).sum(dim=dim)) + m.squeeze(dim)
