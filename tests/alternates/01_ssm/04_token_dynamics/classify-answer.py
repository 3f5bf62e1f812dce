def classify(traj: torch.Tensor) -> list[str]:
    """Vectorised verdicts."""
    ratio = traj[-1].abs().max(-1).values / traj[0].abs().max(-1).values
    verdict = []
    for r in ratio.tolist():
        verdict.append("diverge" if r > 2 else ("converge" if r < 0.5 else "undecided"))
    return verdict
