# %% mutant: normalised-lerp
def slerp_directions(xa: torch.Tensor, xb: torch.Tensor, t: float) -> torch.Tensor:
    """Unit vectors (..., d) at fraction t of the great-circle arc from xa's direction to xb's."""
    a = xa / xa.norm(dim=-1, keepdim=True)
    b = xb / xb.norm(dim=-1, keepdim=True)
    e = (1 - t) * a + t * b
    return e / e.norm(dim=-1, keepdim=True)

# %% mutant: t-swapped
def slerp_directions(xa: torch.Tensor, xb: torch.Tensor, t: float) -> torch.Tensor:
    """Unit vectors (..., d) at fraction t of the great-circle arc from xa's direction to xb's."""
    a = xa / xa.norm(dim=-1, keepdim=True)
    b = xb / xb.norm(dim=-1, keepdim=True)
    omega = torch.acos((a * b).sum(-1, keepdim=True).clamp(-1, 1))
    e = torch.sin(t * omega) / torch.sin(omega) * a + torch.sin((1 - t) * omega) / torch.sin(omega) * b
    return e / e.norm(dim=-1, keepdim=True)

# %% mutant: no-input-normalisation
def slerp_directions(xa: torch.Tensor, xb: torch.Tensor, t: float) -> torch.Tensor:
    """Unit vectors (..., d) at fraction t of the great-circle arc from xa's direction to xb's."""
    cos = ((xa * xb).sum(-1, keepdim=True) / (xa.norm(dim=-1, keepdim=True) * xb.norm(dim=-1, keepdim=True))).clamp(-1, 1)
    omega = torch.acos(cos)
    e = torch.sin((1 - t) * omega) / torch.sin(omega) * xa + torch.sin(t * omega) / torch.sin(omega) * xb
    return e / e.norm(dim=-1, keepdim=True)

# %% mutant: no-parallel-guard
def slerp_directions(xa: torch.Tensor, xb: torch.Tensor, t: float) -> torch.Tensor:
    """Unit vectors (..., d) at fraction t of the great-circle arc from xa's direction to xb's."""
    a = xa / xa.norm(dim=-1, keepdim=True)
    b = xb / xb.norm(dim=-1, keepdim=True)
    omega = torch.acos((a * b).sum(-1, keepdim=True).clamp(-1, 1))
    e = torch.sin((1 - t) * omega) / torch.sin(omega) * a + torch.sin(t * omega) / torch.sin(omega) * b
    return e
