def s4d_recurrence(u: torch.Tensor, A: torch.Tensor, C: torch.Tensor, dt: torch.Tensor) -> torch.Tensor:
    """The recurrence with the factor 2 folded into C, an einsum read-out and a preallocated output."""
    real = A.real.dtype
    A_bar = torch.exp(A * dt.to(real)[:, None])
    B_bar = (A_bar - 1) / A
    w = 2 * C
    state = torch.zeros(u.shape[0], *A.shape, dtype=A.dtype)
    y = torch.empty(u.shape, dtype=real)
    for l in range(u.shape[-1]):
        state = state * A_bar + u[..., l:l + 1].to(real) * B_bar
        y[..., l] = torch.einsum("hn,bhn->bh", w, state).real
    return y
