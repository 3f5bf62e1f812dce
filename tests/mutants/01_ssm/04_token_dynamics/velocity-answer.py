# %% mutant: decay-includes-j
def token_velocity(x: torch.Tensor, S_B: torch.Tensor, S_C: torch.Tensor, a: torch.Tensor, s_delta: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """dx_l/dt = sum_{j<=l} (C_l . B_j) Delta_j exp(-a sum_{k=j+1}^{l} Delta_k) x_j for P models: x (P, L) -> (P, L)."""
    B = x[:, :, None] * S_B[:, None, :]  # (P, L, N)
    C = x[:, :, None] * S_C[:, None, :]
    delta = F.softplus(s_delta[:, None] * x + b[:, None])  # (P, L)
    cum = delta.cumsum(-1)
    gap = cum[:, :, None] - cum[:, None, :] + delta[:, None, :]  # sum_{k=j+1}^{l} Delta_k at [l, j]
    causal = torch.tril(torch.ones(x.shape[1], x.shape[1], dtype=torch.bool))
    decay = torch.exp(-a[:, None, None] * gap.clamp(min=0)) * causal
    weights = torch.einsum("pln,pjn->plj", C, B) * delta[:, None, :] * decay
    return torch.einsum("plj,pj->pl", weights, x)

# %% mutant: anti-causal-mask
def token_velocity(x: torch.Tensor, S_B: torch.Tensor, S_C: torch.Tensor, a: torch.Tensor, s_delta: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """dx_l/dt = sum_{j<=l} (C_l . B_j) Delta_j exp(-a sum_{k=j+1}^{l} Delta_k) x_j for P models: x (P, L) -> (P, L)."""
    B = x[:, :, None] * S_B[:, None, :]  # (P, L, N)
    C = x[:, :, None] * S_C[:, None, :]
    delta = F.softplus(s_delta[:, None] * x + b[:, None])  # (P, L)
    cum = delta.cumsum(-1)
    gap = cum[:, :, None] - cum[:, None, :]  # sum_{k=j+1}^{l} Delta_k at [l, j]
    causal = torch.triu(torch.ones(x.shape[1], x.shape[1], dtype=torch.bool))
    decay = torch.exp(-a[:, None, None] * gap.clamp(min=0)) * causal
    weights = torch.einsum("pln,pjn->plj", C, B) * delta[:, None, :] * decay
    return torch.einsum("plj,pj->pl", weights, x)

# %% mutant: delta-of-l-not-j
def token_velocity(x: torch.Tensor, S_B: torch.Tensor, S_C: torch.Tensor, a: torch.Tensor, s_delta: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """dx_l/dt = sum_{j<=l} (C_l . B_j) Delta_j exp(-a sum_{k=j+1}^{l} Delta_k) x_j for P models: x (P, L) -> (P, L)."""
    B = x[:, :, None] * S_B[:, None, :]  # (P, L, N)
    C = x[:, :, None] * S_C[:, None, :]
    delta = F.softplus(s_delta[:, None] * x + b[:, None])  # (P, L)
    cum = delta.cumsum(-1)
    gap = cum[:, :, None] - cum[:, None, :]  # sum_{k=j+1}^{l} Delta_k at [l, j]
    causal = torch.tril(torch.ones(x.shape[1], x.shape[1], dtype=torch.bool))
    decay = torch.exp(-a[:, None, None] * gap.clamp(min=0)) * causal
    weights = torch.einsum("pln,pjn->plj", C, B) * delta[:, :, None] * decay
    return torch.einsum("plj,pj->pl", weights, x)

# %% mutant: no-decay
def token_velocity(x: torch.Tensor, S_B: torch.Tensor, S_C: torch.Tensor, a: torch.Tensor, s_delta: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """dx_l/dt = sum_{j<=l} (C_l . B_j) Delta_j exp(-a sum_{k=j+1}^{l} Delta_k) x_j for P models: x (P, L) -> (P, L)."""
    B = x[:, :, None] * S_B[:, None, :]  # (P, L, N)
    C = x[:, :, None] * S_C[:, None, :]
    delta = F.softplus(s_delta[:, None] * x + b[:, None])  # (P, L)
    causal = torch.tril(torch.ones(x.shape[1], x.shape[1], dtype=torch.bool))
    decay = causal.to(x.dtype)
    weights = torch.einsum("pln,pjn->plj", C, B) * delta[:, None, :] * decay
    return torch.einsum("plj,pj->pl", weights, x)
