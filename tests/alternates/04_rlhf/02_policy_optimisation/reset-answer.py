def reset_starts(preferred: torch.Tensor, n: int, min_len: int, max_len: int,
                 generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n random (preferred row, prefix length in [min_len, max_len]) reset states: ((n, L), (n,))."""
    if not min_len <= max_len:
        raise ValueError(f"need min_len <= max_len, got {min_len} > {max_len}")
    # Tensor.random_(low, high) draws exactly what torch.randint(low, high, ...) draws from the same generator
    rows = torch.empty(n, dtype=torch.long).random_(0, preferred.shape[0], generator=generator)
    lengths = torch.empty(n, dtype=torch.long).random_(min_len, max_len + 1, generator=generator)
    return torch.index_select(preferred, 0, rows), lengths
