# %% mutant: argmax
def bad_token_hit_rate(token_rewards: torch.Tensor, tokens: torch.Tensor, bad_token: int) -> float:
    """Among sequences containing bad_token, the fraction whose most negative reward sits on a bad_token."""
    contains = (tokens == bad_token).any(dim=1)
    if not contains.any():
        raise ValueError(f"no sequence contains bad_token={bad_token}")
    hit = tokens.gather(1, token_rewards.argmax(dim=1, keepdim=True))[:, 0] == bad_token
    return hit[contains].float().mean().item()

# %% mutant: all-sequences-in-denominator
def bad_token_hit_rate(token_rewards: torch.Tensor, tokens: torch.Tensor, bad_token: int) -> float:
    """Among sequences containing bad_token, the fraction whose most negative reward sits on a bad_token."""
    contains = (tokens == bad_token).any(dim=1)
    if not contains.any():
        raise ValueError(f"no sequence contains bad_token={bad_token}")
    hit = tokens.gather(1, token_rewards.argmin(dim=1, keepdim=True))[:, 0] == bad_token
    return hit.float().mean().item()

# %% mutant: first-occurrence-only
def bad_token_hit_rate(token_rewards: torch.Tensor, tokens: torch.Tensor, bad_token: int) -> float:
    """Among sequences containing bad_token, the fraction whose most negative reward sits on a bad_token."""
    is_bad = tokens == bad_token
    contains = is_bad.any(dim=1)
    if not contains.any():
        raise ValueError(f"no sequence contains bad_token={bad_token}")
    first = is_bad.float().argmax(dim=1)
    hit = token_rewards.argmin(dim=1) == first
    return hit[contains].float().mean().item()

# %% mutant: no-error
def bad_token_hit_rate(token_rewards: torch.Tensor, tokens: torch.Tensor, bad_token: int) -> float:
    """Among sequences containing bad_token, the fraction whose most negative reward sits on a bad_token."""
    contains = (tokens == bad_token).any(dim=1)
    hit = tokens.gather(1, token_rewards.argmin(dim=1, keepdim=True))[:, 0] == bad_token
    return hit[contains].float().mean().nan_to_num(0.0).item()
