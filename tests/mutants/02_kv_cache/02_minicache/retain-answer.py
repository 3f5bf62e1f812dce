# %% mutant: euclidean-distance
def retention_mask(xa: torch.Tensor, xb: torch.Tensor, fraction: float) -> torch.Tensor:
    """Bool (B, H, T): the ceil(fraction*T) tokens per (b, h) whose directions in xa and xb differ most."""
    T = xa.shape[-2]
    k = math.ceil(fraction * T)
    mask = torch.zeros(xa.shape[:-1], dtype=torch.bool)
    if k == 0:
        return mask
    dist = (xa - xb).norm(dim=-1)
    return mask.scatter_(-1, dist.topk(k, dim=-1).indices, True)

# %% mutant: most-similar-instead
def retention_mask(xa: torch.Tensor, xb: torch.Tensor, fraction: float) -> torch.Tensor:
    """Bool (B, H, T): the ceil(fraction*T) tokens per (b, h) whose directions in xa and xb differ most."""
    T = xa.shape[-2]
    k = math.ceil(fraction * T)
    mask = torch.zeros(xa.shape[:-1], dtype=torch.bool)
    if k == 0:
        return mask
    dist = torch.acos(F.cosine_similarity(xa, xb, dim=-1).clamp(-1, 1)) / math.pi
    return mask.scatter_(-1, (-dist).topk(k, dim=-1).indices, True)

# %% mutant: floor-count
def retention_mask(xa: torch.Tensor, xb: torch.Tensor, fraction: float) -> torch.Tensor:
    """Bool (B, H, T): the ceil(fraction*T) tokens per (b, h) whose directions in xa and xb differ most."""
    T = xa.shape[-2]
    k = int(fraction * T)
    mask = torch.zeros(xa.shape[:-1], dtype=torch.bool)
    if k == 0:
        return mask
    dist = torch.acos(F.cosine_similarity(xa, xb, dim=-1).clamp(-1, 1)) / math.pi
    return mask.scatter_(-1, dist.topk(k, dim=-1).indices, True)

# %% mutant: global-topk
def retention_mask(xa: torch.Tensor, xb: torch.Tensor, fraction: float) -> torch.Tensor:
    """Bool (B, H, T): the ceil(fraction*T) tokens per (b, h) whose directions in xa and xb differ most."""
    T = xa.shape[-2]
    k = math.ceil(fraction * T)
    dist = torch.acos(F.cosine_similarity(xa, xb, dim=-1).clamp(-1, 1)) / math.pi
    flat = torch.zeros(dist.numel(), dtype=torch.bool)
    if k:
        flat[dist.flatten().topk(k * dist.numel() // T).indices] = True
    return flat.view(dist.shape)
