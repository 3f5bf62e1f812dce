def chunked_scan(log_a: torch.Tensor, b: torch.Tensor, chunk_size: int = 32) -> torch.Tensor:
    """A quadratic-in-chunk ('segment sum') variant: exact decays between every pair of positions in a chunk."""
    length = b.shape[-1]
    out, carry = [], torch.zeros(b.shape[:-1], dtype=torch.float64)
    for start in range(0, length, chunk_size):
        la = log_a[..., start:start + chunk_size].double()
        bb = b[..., start:start + chunk_size].double()
        T = la.shape[-1]
        x = la[..., :, None].expand(*la.shape, T).masked_fill(~torch.tril(torch.ones(T, T, dtype=torch.bool), -1), 0.0)
        seg = x.cumsum(-2).masked_fill(~torch.tril(torch.ones(T, T, dtype=torch.bool)), -math.inf)
        h = (torch.exp(seg) @ bb[..., None])[..., 0] + torch.exp(la.cumsum(-1)) * carry[..., None]
        out.append(h)
        carry = h[..., -1]
    return torch.cat(out, dim=-1).to(b.dtype)
