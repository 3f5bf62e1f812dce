def slerp_directions(xa: torch.Tensor, xb: torch.Tensor, t: float) -> torch.Tensor:
    """Unit vectors (..., d) at fraction t of the great-circle arc from xa's direction to xb's."""
    # Written differently: sin(Omega) from sqrt(1 - cos^2), the fallback chosen with masked assignment.
    a = xa / torch.linalg.vector_norm(xa, dim=-1, keepdim=True)
    b = xb / torch.linalg.vector_norm(xb, dim=-1, keepdim=True)
    cos = torch.clamp((a * b).sum(dim=-1, keepdim=True), -1.0, 1.0)
    sin = torch.sqrt(1 - cos * cos)
    omega = torch.atan2(sin, cos)
    tiny = sin < 1e-6
    denom = sin.masked_fill(tiny, 1.0)
    slerp = (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / denom
    lerp = (1 - t) * a + t * b
    lerp = lerp / torch.linalg.vector_norm(lerp, dim=-1, keepdim=True).clamp_min(1e-300)
    out = torch.where(tiny, lerp, slerp)
    return out / torch.linalg.vector_norm(out, dim=-1, keepdim=True)
