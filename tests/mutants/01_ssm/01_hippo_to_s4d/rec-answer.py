# %% mutant: output-before-update
def s4d_recurrence(u: torch.Tensor, A: torch.Tensor, C: torch.Tensor, dt: torch.Tensor) -> torch.Tensor:
    """Run the ZOH-discretised diagonal SSM step by step: u (B, H, L) -> y (B, H, L)."""
    dtA = A * dt[:, None]
    A_bar = torch.exp(dtA)
    B_bar = (A_bar - 1.0) / A
    x = torch.zeros(u.shape[0], *A.shape, dtype=A.dtype)
    ys = []
    for l in range(u.shape[-1]):
        ys.append(2 * (C * x).sum(-1).real)
        x = A_bar * x + B_bar * u[:, :, l, None]
    return torch.stack(ys, dim=-1)

# %% mutant: missing-factor-2
def s4d_recurrence(u: torch.Tensor, A: torch.Tensor, C: torch.Tensor, dt: torch.Tensor) -> torch.Tensor:
    """Run the ZOH-discretised diagonal SSM step by step: u (B, H, L) -> y (B, H, L)."""
    dtA = A * dt[:, None]
    A_bar = torch.exp(dtA)
    B_bar = (A_bar - 1.0) / A
    x = torch.zeros(u.shape[0], *A.shape, dtype=A.dtype)
    ys = []
    for l in range(u.shape[-1]):
        x = A_bar * x + B_bar * u[:, :, l, None]
        ys.append((C * x).sum(-1).real)
    return torch.stack(ys, dim=-1)

# %% mutant: euler-B
def s4d_recurrence(u: torch.Tensor, A: torch.Tensor, C: torch.Tensor, dt: torch.Tensor) -> torch.Tensor:
    """Run the ZOH-discretised diagonal SSM step by step: u (B, H, L) -> y (B, H, L)."""
    dtA = A * dt[:, None]
    A_bar = torch.exp(dtA)
    x = torch.zeros(u.shape[0], *A.shape, dtype=A.dtype)
    ys = []
    for l in range(u.shape[-1]):
        x = A_bar * x + dt[:, None] * u[:, :, l, None]
        ys.append(2 * (C * x).sum(-1).real)
    return torch.stack(ys, dim=-1)

# %% mutant: conjugate-C
def s4d_recurrence(u: torch.Tensor, A: torch.Tensor, C: torch.Tensor, dt: torch.Tensor) -> torch.Tensor:
    """Run the ZOH-discretised diagonal SSM step by step: u (B, H, L) -> y (B, H, L)."""
    dtA = A * dt[:, None]
    A_bar = torch.exp(dtA)
    B_bar = (A_bar - 1.0) / A
    x = torch.zeros(u.shape[0], *A.shape, dtype=A.dtype)
    ys = []
    for l in range(u.shape[-1]):
        x = A_bar * x + B_bar * u[:, :, l, None]
        ys.append(2 * (C.conj() * x).sum(-1).real)
    return torch.stack(ys, dim=-1)
