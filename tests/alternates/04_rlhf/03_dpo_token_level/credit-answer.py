def bad_token_hit_rate(token_rewards: torch.Tensor, tokens: torch.Tensor, bad_token: int) -> float:
    """Among sequences containing bad_token, the fraction whose most negative reward sits on a bad_token."""
    hits, total = 0, 0
    for rewards_row, tokens_row in zip(token_rewards.tolist(), tokens.tolist(), strict=True):
        if bad_token in tokens_row:
            total += 1
            hits += tokens_row[rewards_row.index(min(rewards_row))] == bad_token
    if total == 0:
        raise ValueError("no sequence contains the bad token")
    return hits / total
