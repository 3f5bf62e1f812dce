def hypergrid_reward(x: torch.Tensor, height: int, R0: float = 0.1, R1: float = 0.5, R2: float = 2.0) -> torch.Tensor:
    """Standard hypergrid reward of states x (..., D) -> (...): R0 + R1 * plateau + R2 * ring."""
    # Written differently: the formula in exact rational arithmetic, one state at a time.
    from fractions import Fraction

    def reward(point):
        a = [abs(Fraction(v, height - 1) - Fraction(1, 2)) for v in point]
        plateau = all(t > Fraction(1, 4) for t in a)
        ring = all(Fraction(3, 10) < t < Fraction(2, 5) for t in a)
        return R0 + R1 * plateau + R2 * ring

    rows = x.reshape(-1, x.shape[-1]).tolist()
    return torch.tensor([reward(p) for p in rows], dtype=torch.get_default_dtype()).reshape(x.shape[:-1])
