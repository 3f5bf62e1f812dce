def logsumexp(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """log(sum(exp(x))) over `dim`, stable for large and -inf entries; drops `dim`."""
    # Written differently: move `dim` last, loop over rows in float64 with math.
    moved = x.movedim(dim, -1)
    rows = moved.reshape(-1, moved.shape[-1]).tolist()
    out = []
    for row in rows:
        top = max(row)
        if top == -math.inf:
            out.append(-math.inf)
        else:
            out.append(top + math.log(sum(math.exp(v - top) for v in row)))
    return torch.tensor(out, dtype=x.dtype).reshape(moved.shape[:-1])
