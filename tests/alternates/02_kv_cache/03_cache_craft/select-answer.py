from fractions import Fraction


def choose_recompute(score: torch.Tensor, fraction: float, eligible: torch.Tensor) -> torch.Tensor:
    """Bool (T,): the ceil(fraction * n_eligible) eligible tokens with the highest score."""
    # Written differently: a plain Python sort of the eligible positions by (score, position), best first.
    pool = [i for i, ok in enumerate(eligible.tolist()) if ok]
    k = math.ceil(Fraction(repr(float(fraction))) * len(pool))
    values = score.tolist()
    best = sorted(pool, key=lambda i: (values[i], i), reverse=True)[:k]
    mask = torch.zeros(score.shape[0], dtype=torch.bool)
    mask[best] = True
    return mask
