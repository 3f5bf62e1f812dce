# %% mutant: naive-overflows
def logsumexp(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """log(sum(exp(x))) over `dim`, stable for large and -inf entries; drops `dim`."""
    return torch.log(torch.exp(x).sum(dim=dim))

# %% mutant: max-not-added-back
def logsumexp(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """log(sum(exp(x))) over `dim`, stable for large and -inf entries; drops `dim`."""
    m = x.max(dim=dim, keepdim=True).values
    return torch.log(torch.exp(x - m).sum(dim=dim))

# %% mutant: nan-when-all-minus-inf
def logsumexp(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """log(sum(exp(x))) over `dim`, stable for large and -inf entries; drops `dim`."""
    m = x.max(dim=dim, keepdim=True).values
    return (m + torch.log(torch.exp(x - m).sum(dim=dim, keepdim=True))).squeeze(dim)

# %% mutant: global-max-instead-of-per-row
def logsumexp(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """log(sum(exp(x))) over `dim`, stable for large and -inf entries; drops `dim`."""
    m = x[torch.isfinite(x)].max() if torch.isfinite(x).any() else torch.tensor(0.0, dtype=x.dtype)
    return m + torch.log(torch.exp(x - m).sum(dim=dim))
