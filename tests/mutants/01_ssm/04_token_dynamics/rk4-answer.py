# %% mutant: euler-step
def integrate(f, x0: torch.Tensor, t_end: float, h: float, cap: float = 1e6) -> torch.Tensor:
    """RK4 for x' = f(x) on a batch of rows; rows whose max |x| exceeds `cap` are frozen. Returns (steps + 1, P, L)."""
    steps = round(t_end / h)
    x = x0.clone()
    frozen = x.abs().amax(-1) > cap
    out = [x]
    for _ in range(steps):
        z = torch.where(frozen[:, None], torch.zeros_like(x), x)
        k1 = f(z)
        x = torch.where(frozen[:, None], x, z + h * k1)
        x = torch.where(torch.isfinite(x), x, torch.full_like(x, math.inf))
        frozen = frozen | (x.abs().amax(-1) > cap)
        out.append(x)
    return torch.stack(out)

# %% mutant: midpoint-weights
def integrate(f, x0: torch.Tensor, t_end: float, h: float, cap: float = 1e6) -> torch.Tensor:
    """RK4 for x' = f(x) on a batch of rows; rows whose max |x| exceeds `cap` are frozen. Returns (steps + 1, P, L)."""
    steps = round(t_end / h)
    x = x0.clone()
    frozen = x.abs().amax(-1) > cap
    out = [x]
    for _ in range(steps):
        z = torch.where(frozen[:, None], torch.zeros_like(x), x)
        k1 = f(z)
        k2 = f(z + h / 2 * k1)
        k3 = f(z + h / 2 * k2)
        k4 = f(z + h * k3)
        x = torch.where(frozen[:, None], x, z + h / 4 * (k1 + k2 + k3 + k4))
        x = torch.where(torch.isfinite(x), x, torch.full_like(x, math.inf))
        frozen = frozen | (x.abs().amax(-1) > cap)
        out.append(x)
    return torch.stack(out)

# %% mutant: never-frozen
def integrate(f, x0: torch.Tensor, t_end: float, h: float, cap: float = 1e6) -> torch.Tensor:
    """RK4 for x' = f(x) on a batch of rows; rows whose max |x| exceeds `cap` are frozen. Returns (steps + 1, P, L)."""
    steps = round(t_end / h)
    x = x0.clone()
    frozen = x.abs().amax(-1) > cap
    out = [x]
    for _ in range(steps):
        z = torch.where(frozen[:, None], torch.zeros_like(x), x)
        k1 = f(z)
        k2 = f(z + h / 2 * k1)
        k3 = f(z + h / 2 * k2)
        k4 = f(z + h * k3)
        x = torch.where(frozen[:, None], x, z + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4))
        x = torch.where(torch.isfinite(x), x, torch.full_like(x, math.inf))
        frozen = frozen
        out.append(x)
    return torch.stack(out)

# %% mutant: one-step-short
def integrate(f, x0: torch.Tensor, t_end: float, h: float, cap: float = 1e6) -> torch.Tensor:
    """RK4 for x' = f(x) on a batch of rows; rows whose max |x| exceeds `cap` are frozen. Returns (steps + 1, P, L)."""
    steps = round(t_end / h)
    x = x0.clone()
    frozen = x.abs().amax(-1) > cap
    out = [x]
    for _ in range(steps - 1):
        z = torch.where(frozen[:, None], torch.zeros_like(x), x)
        k1 = f(z)
        k2 = f(z + h / 2 * k1)
        k3 = f(z + h / 2 * k2)
        k4 = f(z + h * k3)
        x = torch.where(frozen[:, None], x, z + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4))
        x = torch.where(torch.isfinite(x), x, torch.full_like(x, math.inf))
        frozen = frozen | (x.abs().amax(-1) > cap)
        out.append(x)
    return torch.stack(out)

# %% mutant: nan-not-replaced
def integrate(f, x0: torch.Tensor, t_end: float, h: float, cap: float = 1e6) -> torch.Tensor:
    """RK4 for x' = f(x) on a batch of rows; rows whose max |x| exceeds `cap` are frozen. Returns (steps + 1, P, L)."""
    steps = round(t_end / h)
    x = x0.clone()
    frozen = x.abs().amax(-1) > cap
    out = [x]
    for _ in range(steps):
        z = torch.where(frozen[:, None], torch.zeros_like(x), x)
        k1 = f(z)
        k2 = f(z + h / 2 * k1)
        k3 = f(z + h / 2 * k2)
        k4 = f(z + h * k3)
        x = torch.where(frozen[:, None], x, z + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4))
        frozen = frozen | ~torch.isfinite(x).all(-1) | (x.abs().amax(-1) > cap)
        out.append(x)
    return torch.stack(out)
