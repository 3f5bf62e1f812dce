def reset_starts(preferred: torch.Tensor, n: int, min_len: int, max_len: int,
                 generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n random (preferred row, prefix length in [min_len, max_len]) reset states: ((n, L), (n,))."""
    rows = torch.multinomial(torch.ones(preferred.shape[0]), n, replacement=True, generator=generator)
    choices = torch.arange(min_len, max_len + 1)
    lengths = choices[torch.multinomial(torch.ones(len(choices)), n, replacement=True, generator=generator)]
    return preferred.index_select(0, rows), lengths
