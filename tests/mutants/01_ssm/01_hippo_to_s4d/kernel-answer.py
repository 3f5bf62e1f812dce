# %% mutant: missing-factor-2
def s4d_kernel(A: torch.Tensor, C: torch.Tensor, dt: torch.Tensor, L: int) -> torch.Tensor:
    """Diagonal SSM kernel K (H, L) = 2 Re sum_n C_n (exp(dt A_n) - 1) / A_n * exp(dt A_n l), ZOH."""
    dtA = A * dt[:, None]
    vandermonde = torch.exp(dtA[:, :, None] * torch.arange(L))
    weights = C * (torch.exp(dtA) - 1.0) / A
    return torch.einsum("hn,hnl->hl", weights, vandermonde).real

# %% mutant: euler-B
def s4d_kernel(A: torch.Tensor, C: torch.Tensor, dt: torch.Tensor, L: int) -> torch.Tensor:
    """Diagonal SSM kernel K (H, L) = 2 Re sum_n C_n (exp(dt A_n) - 1) / A_n * exp(dt A_n l), ZOH."""
    dtA = A * dt[:, None]
    vandermonde = torch.exp(dtA[:, :, None] * torch.arange(L))
    weights = C * dt[:, None]
    return 2 * torch.einsum("hn,hnl->hl", weights, vandermonde).real

# %% mutant: powers-start-at-1
def s4d_kernel(A: torch.Tensor, C: torch.Tensor, dt: torch.Tensor, L: int) -> torch.Tensor:
    """Diagonal SSM kernel K (H, L) = 2 Re sum_n C_n (exp(dt A_n) - 1) / A_n * exp(dt A_n l), ZOH."""
    dtA = A * dt[:, None]
    vandermonde = torch.exp(dtA[:, :, None] * torch.arange(1, L + 1))
    weights = C * (torch.exp(dtA) - 1.0) / A
    return 2 * torch.einsum("hn,hnl->hl", weights, vandermonde).real

# %% mutant: abs-instead-of-real
def s4d_kernel(A: torch.Tensor, C: torch.Tensor, dt: torch.Tensor, L: int) -> torch.Tensor:
    """Diagonal SSM kernel K (H, L) = 2 Re sum_n C_n (exp(dt A_n) - 1) / A_n * exp(dt A_n l), ZOH."""
    dtA = A * dt[:, None]
    vandermonde = torch.exp(dtA[:, :, None] * torch.arange(L))
    weights = C * (torch.exp(dtA) - 1.0) / A
    return 2 * torch.einsum("hn,hnl->hl", weights, vandermonde).abs()

# %% mutant: dt-missing-in-powers
def s4d_kernel(A: torch.Tensor, C: torch.Tensor, dt: torch.Tensor, L: int) -> torch.Tensor:
    """Diagonal SSM kernel K (H, L) = 2 Re sum_n C_n (exp(dt A_n) - 1) / A_n * exp(dt A_n l), ZOH."""
    dtA = A * dt[:, None]
    vandermonde = torch.exp(A[:, :, None] * torch.arange(L))
    weights = C * (torch.exp(dtA) - 1.0) / A
    return 2 * torch.einsum("hn,hnl->hl", weights, vandermonde).real
