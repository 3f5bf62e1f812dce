def raft_select(tokens: torch.Tensor, rewards: torch.Tensor, group_size: int) -> torch.Tensor:
    """The highest-reward row of each consecutive group of `group_size` rows: (P * K, L) -> (P, L)."""
    if group_size < 1 or tokens.shape[0] % group_size != 0:
        raise ValueError("rows must split into groups of group_size")
    kept = []
    for start in range(0, tokens.shape[0], group_size):
        group = rewards[start:start + group_size].tolist()
        kept.append(tokens[start + group.index(max(group))])
    return torch.stack(kept)
