# %% mutant: argmin
def raft_select(tokens: torch.Tensor, rewards: torch.Tensor, group_size: int) -> torch.Tensor:
    """The highest-reward row of each consecutive group of `group_size` rows: (P * K, L) -> (P, L)."""
    n = tokens.shape[0]
    if group_size < 1 or n % group_size:
        raise ValueError("bad group_size")
    groups = n // group_size
    best = rewards.view(groups, group_size).argmin(dim=1)
    return tokens.view(groups, group_size, -1)[torch.arange(groups), best]

# %% mutant: strided-groups
def raft_select(tokens: torch.Tensor, rewards: torch.Tensor, group_size: int) -> torch.Tensor:
    """The highest-reward row of each consecutive group of `group_size` rows: (P * K, L) -> (P, L)."""
    n = tokens.shape[0]
    if group_size < 1 or n % group_size:
        raise ValueError("bad group_size")
    groups = n // group_size
    best = rewards.view(group_size, groups).argmax(dim=0)
    return tokens.view(group_size, groups, -1)[best, torch.arange(groups)]

# %% mutant: global-top
def raft_select(tokens: torch.Tensor, rewards: torch.Tensor, group_size: int) -> torch.Tensor:
    """The highest-reward row of each consecutive group of `group_size` rows: (P * K, L) -> (P, L)."""
    n = tokens.shape[0]
    if group_size < 1 or n % group_size:
        raise ValueError("bad group_size")
    top = rewards.topk(n // group_size).indices.sort().values
    return tokens[top]

# %% mutant: last-on-ties
def raft_select(tokens: torch.Tensor, rewards: torch.Tensor, group_size: int) -> torch.Tensor:
    """The highest-reward row of each consecutive group of `group_size` rows: (P * K, L) -> (P, L)."""
    n = tokens.shape[0]
    if group_size < 1 or n % group_size:
        raise ValueError("bad group_size")
    groups = n // group_size
    flipped = rewards.view(groups, group_size).flip(1)
    best = group_size - 1 - flipped.argmax(dim=1)
    return tokens.view(groups, group_size, -1)[torch.arange(groups), best]
