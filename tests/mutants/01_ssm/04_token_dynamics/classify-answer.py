# %% mutant: signed-max
def classify(traj: torch.Tensor) -> list[str]:
    """'converge' / 'diverge' / 'undecided' per model from the largest |token| at the start and the end."""
    m0 = traj[0].amax(-1)
    mT = traj[-1].amax(-1)
    return ["diverge" if e > 2 * s else "converge" if e < s / 2 else "undecided" for s, e in zip(m0.tolist(), mT.tolist())]

# %% mutant: mean-not-max
def classify(traj: torch.Tensor) -> list[str]:
    """'converge' / 'diverge' / 'undecided' per model from the largest |token| at the start and the end."""
    m0 = traj[0].abs().mean(-1)
    mT = traj[-1].abs().mean(-1)
    return ["diverge" if e > 2 * s else "converge" if e < s / 2 else "undecided" for s, e in zip(m0.tolist(), mT.tolist())]

# %% mutant: non-strict
def classify(traj: torch.Tensor) -> list[str]:
    """'converge' / 'diverge' / 'undecided' per model from the largest |token| at the start and the end."""
    m0 = traj[0].abs().amax(-1)
    mT = traj[-1].abs().amax(-1)
    return ["diverge" if e >= 2 * s else "converge" if e <= s / 2 else "undecided" for s, e in zip(m0.tolist(), mT.tolist())]

# %% mutant: second-step-not-last
def classify(traj: torch.Tensor) -> list[str]:
    """'converge' / 'diverge' / 'undecided' per model from the largest |token| at the start and the end."""
    m0 = traj[0].abs().amax(-1)
    mT = traj[1].abs().amax(-1)
    return ["diverge" if e > 2 * s else "converge" if e < s / 2 else "undecided" for s, e in zip(m0.tolist(), mT.tolist())]
