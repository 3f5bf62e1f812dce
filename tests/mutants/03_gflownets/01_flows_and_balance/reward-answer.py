# %% mutant: ring-not-strict-upper
def hypergrid_reward(x: torch.Tensor, height: int, R0: float = 0.1, R1: float = 0.5, R2: float = 2.0) -> torch.Tensor:
    """Standard hypergrid reward of states x (..., D) -> (...): R0 + R1 * plateau + R2 * ring."""
    ax = (x.to(torch.float64) / (height - 1) - 0.5).abs()
    plateau = (ax > 0.25).all(-1)
    ring = (ax > 0.3).all(-1)
    return (R0 + R1 * plateau.double() + R2 * ring.double()).to(torch.get_default_dtype())

# %% mutant: any-instead-of-all
def hypergrid_reward(x: torch.Tensor, height: int, R0: float = 0.1, R1: float = 0.5, R2: float = 2.0) -> torch.Tensor:
    """Standard hypergrid reward of states x (..., D) -> (...): R0 + R1 * plateau + R2 * ring."""
    ax = (x.to(torch.float64) / (height - 1) - 0.5).abs()
    plateau = (ax > 0.25).any(-1)
    ring = ((ax > 0.3) & (ax < 0.4)).any(-1)
    return (R0 + R1 * plateau.double() + R2 * ring.double()).to(torch.get_default_dtype())

# %% mutant: divide-by-height
def hypergrid_reward(x: torch.Tensor, height: int, R0: float = 0.1, R1: float = 0.5, R2: float = 2.0) -> torch.Tensor:
    """Standard hypergrid reward of states x (..., D) -> (...): R0 + R1 * plateau + R2 * ring."""
    ax = (x.to(torch.float64) / height - 0.5).abs()
    plateau = (ax > 0.25).all(-1)
    ring = ((ax > 0.3) & (ax < 0.4)).all(-1)
    return (R0 + R1 * plateau.double() + R2 * ring.double()).to(torch.get_default_dtype())

# %% mutant: ring-replaces-plateau
def hypergrid_reward(x: torch.Tensor, height: int, R0: float = 0.1, R1: float = 0.5, R2: float = 2.0) -> torch.Tensor:
    """Standard hypergrid reward of states x (..., D) -> (...): R0 + R1 * plateau + R2 * ring."""
    ax = (x.to(torch.float64) / (height - 1) - 0.5).abs()
    plateau = (ax > 0.25).all(-1) & ~((ax > 0.3) & (ax < 0.4)).all(-1)
    ring = ((ax > 0.3) & (ax < 0.4)).all(-1)
    return (R0 + R1 * plateau.double() + R2 * ring.double()).to(torch.get_default_dtype())
