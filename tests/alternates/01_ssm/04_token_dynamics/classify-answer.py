def classify(traj: torch.Tensor) -> list[str]:
    """Vectorised verdicts: tensor comparisons with 2 m_0 and m_0 / 2 (exact: scaling by 2 does not round)."""
    m0 = traj[0].abs().amax(-1)
    mT = traj[-1].abs().amax(-1)
    up, down = mT > 2 * m0, mT < m0 / 2
    return [("diverge" if u else "converge" if d else "undecided") for u, d in zip(up.tolist(), down.tolist())]
