def integrate(f, x0: torch.Tensor, t_end: float, h: float, cap: float = 1e6) -> torch.Tensor:
    """RK4 with the trajectory preallocated and the live rows selected by index (f sees zeros elsewhere)."""
    steps = round(t_end / h)
    traj = torch.empty((steps + 1, *x0.shape), dtype=x0.dtype)
    traj[0] = x0
    x = x0.clone()

    def alive(v):
        return torch.isfinite(v).all(-1) & (v.abs().amax(-1) <= cap)

    def velocity(v, idx):
        full = torch.zeros_like(x)
        full[idx] = v
        return f(full)[idx]

    live = alive(x)
    for n in range(1, steps + 1):
        idx = live.nonzero().flatten()
        if len(idx):
            y = x[idx]
            k1 = velocity(y, idx)
            k2 = velocity(y + 0.5 * h * k1, idx)
            k3 = velocity(y + 0.5 * h * k2, idx)
            k4 = velocity(y + h * k3, idx)
            y = y + h * (k1 + 2 * (k2 + k3) + k4) / 6
            x = x.clone()
            x[idx] = torch.nan_to_num(y, nan=math.inf, posinf=math.inf, neginf=math.inf)
        traj[n] = x
        live = live & alive(x)
    return traj
