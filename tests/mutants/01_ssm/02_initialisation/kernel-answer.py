# %% mutant: unstable-sign
def s4d_layer_kernel(log_dt: torch.Tensor, log_A_real: torch.Tensor, A_imag: torch.Tensor, C: torch.Tensor, L: int) -> torch.Tensor:
    """S4D kernel (H, L) from log-parameterised dt and Re A, Im A and complex C (ZOH, B = 1)."""
    dt = torch.exp(log_dt)
    A = torch.complex(torch.exp(log_A_real), A_imag)
    dtA = A * dt[:, None]
    weights = C * (torch.exp(dtA) - 1.0) / A
    return 2 * torch.einsum("hn,hnl->hl", weights, torch.exp(dtA[:, :, None] * torch.arange(L))).real

# %% mutant: dt-not-exponentiated
def s4d_layer_kernel(log_dt: torch.Tensor, log_A_real: torch.Tensor, A_imag: torch.Tensor, C: torch.Tensor, L: int) -> torch.Tensor:
    """S4D kernel (H, L) from log-parameterised dt and Re A, Im A and complex C (ZOH, B = 1)."""
    dt = log_dt.abs()
    A = torch.complex(-torch.exp(log_A_real), A_imag)
    dtA = A * dt[:, None]
    weights = C * (torch.exp(dtA) - 1.0) / A
    return 2 * torch.einsum("hn,hnl->hl", weights, torch.exp(dtA[:, :, None] * torch.arange(L))).real

# %% mutant: log-used-as-real-part
def s4d_layer_kernel(log_dt: torch.Tensor, log_A_real: torch.Tensor, A_imag: torch.Tensor, C: torch.Tensor, L: int) -> torch.Tensor:
    """S4D kernel (H, L) from log-parameterised dt and Re A, Im A and complex C (ZOH, B = 1)."""
    dt = torch.exp(log_dt)
    A = torch.complex(log_A_real, A_imag)
    dtA = A * dt[:, None]
    weights = C * (torch.exp(dtA) - 1.0) / A
    return 2 * torch.einsum("hn,hnl->hl", weights, torch.exp(dtA[:, :, None] * torch.arange(L))).real

# %% mutant: missing-factor-2
def s4d_layer_kernel(log_dt: torch.Tensor, log_A_real: torch.Tensor, A_imag: torch.Tensor, C: torch.Tensor, L: int) -> torch.Tensor:
    """S4D kernel (H, L) from log-parameterised dt and Re A, Im A and complex C (ZOH, B = 1)."""
    dt = torch.exp(log_dt)
    A = torch.complex(-torch.exp(log_A_real), A_imag)
    dtA = A * dt[:, None]
    weights = C * (torch.exp(dtA) - 1.0) / A
    return torch.einsum("hn,hnl->hl", weights, torch.exp(dtA[:, :, None] * torch.arange(L))).real
