# %% mutant: keys-only
def deviation_score(k_reused: torch.Tensor, v_reused: torch.Tensor, k_fresh: torch.Tensor,
                    v_fresh: torch.Tensor) -> torch.Tensor:
    """Relative deviation (B, T) of each token's reused K/V from the fresh ones, over heads and dims."""
    num = ((k_reused - k_fresh) ** 2).sum(dim=(1, 3))
    den = (k_fresh**2).sum(dim=(1, 3))
    return (num / den).sqrt()

# %% mutant: not-relative
def deviation_score(k_reused: torch.Tensor, v_reused: torch.Tensor, k_fresh: torch.Tensor,
                    v_fresh: torch.Tensor) -> torch.Tensor:
    """Relative deviation (B, T) of each token's reused K/V from the fresh ones, over heads and dims."""
    num = ((k_reused - k_fresh) ** 2).sum(dim=(1, 3)) + ((v_reused - v_fresh) ** 2).sum(dim=(1, 3))
    return num.sqrt()

# %% mutant: mean-of-per-head-ratios
def deviation_score(k_reused: torch.Tensor, v_reused: torch.Tensor, k_fresh: torch.Tensor,
                    v_fresh: torch.Tensor) -> torch.Tensor:
    """Relative deviation (B, T) of each token's reused K/V from the fresh ones, over heads and dims."""
    num = ((k_reused - k_fresh) ** 2).sum(-1) + ((v_reused - v_fresh) ** 2).sum(-1)
    den = (k_fresh**2).sum(-1) + (v_fresh**2).sum(-1)
    return (num / den).sqrt().mean(1)

# %% mutant: reduce-over-tokens
def deviation_score(k_reused: torch.Tensor, v_reused: torch.Tensor, k_fresh: torch.Tensor,
                    v_fresh: torch.Tensor) -> torch.Tensor:
    """Relative deviation (B, T) of each token's reused K/V from the fresh ones, over heads and dims."""
    num = ((k_reused - k_fresh) ** 2).sum(dim=(2, 3)) + ((v_reused - v_fresh) ** 2).sum(dim=(2, 3))
    den = (k_fresh**2).sum(dim=(2, 3)) + (v_fresh**2).sum(dim=(2, 3))
    return (num / den).sqrt()
