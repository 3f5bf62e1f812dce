# %% mutant: max-excluded
def reset_starts(preferred: torch.Tensor, n: int, min_len: int, max_len: int,
                 generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n random (preferred row, prefix length in [min_len, max_len]) reset states: ((n, L), (n,))."""
    rows = torch.randint(0, preferred.shape[0], (n,), generator=generator)
    lengths = torch.randint(min_len, max_len, (n,), generator=generator)
    return preferred[rows], lengths

# %% mutant: global-rng
def reset_starts(preferred: torch.Tensor, n: int, min_len: int, max_len: int,
                 generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n random (preferred row, prefix length in [min_len, max_len]) reset states: ((n, L), (n,))."""
    rows = torch.randint(0, preferred.shape[0], (n,))
    lengths = torch.randint(min_len, max_len + 1, (n,))
    return preferred[rows], lengths

# %% mutant: one-row-for-all
def reset_starts(preferred: torch.Tensor, n: int, min_len: int, max_len: int,
                 generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n random (preferred row, prefix length in [min_len, max_len]) reset states: ((n, L), (n,))."""
    row = torch.randint(0, preferred.shape[0], (1,), generator=generator)
    lengths = torch.randint(min_len, max_len + 1, (n,), generator=generator)
    return preferred[row].expand(n, -1), lengths

# %% mutant: float-lengths
def reset_starts(preferred: torch.Tensor, n: int, min_len: int, max_len: int,
                 generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n random (preferred row, prefix length in [min_len, max_len]) reset states: ((n, L), (n,))."""
    rows = torch.randint(0, preferred.shape[0], (n,), generator=generator)
    lengths = min_len + torch.rand(n, generator=generator) * (max_len - min_len)
    return preferred[rows], lengths
