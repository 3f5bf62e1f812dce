# %% mutant: ignores-eligibility
def choose_recompute(score: torch.Tensor, fraction: float, eligible: torch.Tensor) -> torch.Tensor:
    """Bool (T,): the ceil(fraction * n_eligible) eligible tokens with the highest score."""
    k = math.ceil(fraction * int(eligible.sum()))
    mask = torch.zeros_like(eligible, dtype=torch.bool)
    if k:
        mask[score.topk(k).indices] = True
    return mask

# %% mutant: fraction-of-all-tokens
def choose_recompute(score: torch.Tensor, fraction: float, eligible: torch.Tensor) -> torch.Tensor:
    """Bool (T,): the ceil(fraction * n_eligible) eligible tokens with the highest score."""
    k = math.ceil(fraction * score.shape[0])
    mask = torch.zeros_like(eligible, dtype=torch.bool)
    k = min(k, int(eligible.sum()))
    if k:
        masked = torch.where(eligible, score, torch.full_like(score, -math.inf))
        mask[masked.topk(k).indices] = True
    return mask

# %% mutant: lowest-scores
def choose_recompute(score: torch.Tensor, fraction: float, eligible: torch.Tensor) -> torch.Tensor:
    """Bool (T,): the ceil(fraction * n_eligible) eligible tokens with the highest score."""
    k = math.ceil(fraction * int(eligible.sum()))
    mask = torch.zeros_like(eligible, dtype=torch.bool)
    if k:
        masked = torch.where(eligible, -score, torch.full_like(score, -math.inf))
        mask[masked.topk(k).indices] = True
    return mask
