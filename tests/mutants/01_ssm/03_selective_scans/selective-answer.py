# %% mutant: exp-without-delta
def selective_scan(u: torch.Tensor, delta: torch.Tensor, A: torch.Tensor, B: torch.Tensor, C: torch.Tensor) -> torch.Tensor:
    """Selective SSM: h_t = exp(delta_t A) h_{t-1} + delta_t B_t u_t, y_t = C_t . h_t; u (b, D, L) -> y (b, D, L)."""
    dA = torch.exp(A)[None, :, None, :].expand(u.shape[0], -1, u.shape[2], -1)
    dBu = torch.einsum("bdl,bnl,bdl->bdln", delta, B, u)
    h = u.new_zeros(u.shape[0], A.shape[0], A.shape[1])
    ys = []
    for t in range(u.shape[2]):
        h = dA[:, :, t] * h + dBu[:, :, t]
        ys.append(torch.einsum("bdn,bn->bd", h, C[:, :, t]))
    return torch.stack(ys, dim=2)

# %% mutant: B-without-delta
def selective_scan(u: torch.Tensor, delta: torch.Tensor, A: torch.Tensor, B: torch.Tensor, C: torch.Tensor) -> torch.Tensor:
    """Selective SSM: h_t = exp(delta_t A) h_{t-1} + delta_t B_t u_t, y_t = C_t . h_t; u (b, D, L) -> y (b, D, L)."""
    dA = torch.exp(torch.einsum("bdl,dn->bdln", delta, A))
    dBu = torch.einsum("bnl,bdl->bdln", B, u)
    h = u.new_zeros(u.shape[0], A.shape[0], A.shape[1])
    ys = []
    for t in range(u.shape[2]):
        h = dA[:, :, t] * h + dBu[:, :, t]
        ys.append(torch.einsum("bdn,bn->bd", h, C[:, :, t]))
    return torch.stack(ys, dim=2)

# %% mutant: readout-before-update
def selective_scan(u: torch.Tensor, delta: torch.Tensor, A: torch.Tensor, B: torch.Tensor, C: torch.Tensor) -> torch.Tensor:
    """Selective SSM: h_t = exp(delta_t A) h_{t-1} + delta_t B_t u_t, y_t = C_t . h_t; u (b, D, L) -> y (b, D, L)."""
    dA = torch.exp(torch.einsum("bdl,dn->bdln", delta, A))
    dBu = torch.einsum("bdl,bnl,bdl->bdln", delta, B, u)
    h = u.new_zeros(u.shape[0], A.shape[0], A.shape[1])
    ys = []
    for t in range(u.shape[2]):
        ys.append(torch.einsum("bdn,bn->bd", h, C[:, :, t]))
        h = dA[:, :, t] * h + dBu[:, :, t]
    return torch.stack(ys, dim=2)

# %% mutant: C-lagged
def selective_scan(u: torch.Tensor, delta: torch.Tensor, A: torch.Tensor, B: torch.Tensor, C: torch.Tensor) -> torch.Tensor:
    """Selective SSM: h_t = exp(delta_t A) h_{t-1} + delta_t B_t u_t, y_t = C_t . h_t; u (b, D, L) -> y (b, D, L)."""
    dA = torch.exp(torch.einsum("bdl,dn->bdln", delta, A))
    dBu = torch.einsum("bdl,bnl,bdl->bdln", delta, B, u)
    h = u.new_zeros(u.shape[0], A.shape[0], A.shape[1])
    ys = []
    for t in range(u.shape[2]):
        h = dA[:, :, t] * h + dBu[:, :, t]
        ys.append(torch.einsum("bdn,bn->bd", h, C[:, :, max(t - 1, 0)]))
    return torch.stack(ys, dim=2)
