# %% mutant: stop-only-at-the-end
def detailed_balance_loss(log_F: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
                          log_pf_stop: torch.Tensor, log_r: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of the squared move residuals and the squared stop residuals of every visited state."""
    zero = torch.zeros((), dtype=log_F.dtype)
    move = mask[:, :-1] & mask[:, 1:]
    last = mask & ~torch.cat([move, torch.zeros_like(mask[:, :1])], 1)
    delta_move = log_F[:, :-1] + log_pf[:, :-1] - log_F[:, 1:] - log_pb[:, :-1]
    delta_stop = log_F + log_pf_stop - log_r
    total = torch.where(move, delta_move, zero).pow(2).sum() + torch.where(last, delta_stop, zero).pow(2).sum()
    return total / (move.sum() + last.sum())

# %% mutant: forgets-log-pb
def detailed_balance_loss(log_F: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
                          log_pf_stop: torch.Tensor, log_r: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of the squared move residuals and the squared stop residuals of every visited state."""
    zero = torch.zeros((), dtype=log_F.dtype)
    move = mask[:, :-1] & mask[:, 1:]
    delta_move = log_F[:, :-1] + log_pf[:, :-1] - log_F[:, 1:]
    delta_stop = log_F + log_pf_stop - log_r
    total = torch.where(move, delta_move, zero).pow(2).sum() + torch.where(mask, delta_stop, zero).pow(2).sum()
    return total / (move.sum() + mask.sum())

# %% mutant: next-state-edge
def detailed_balance_loss(log_F: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
                          log_pf_stop: torch.Tensor, log_r: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of the squared move residuals and the squared stop residuals of every visited state."""
    zero = torch.zeros((), dtype=log_F.dtype)
    move = mask[:, :-1] & mask[:, 1:]
    delta_move = log_F[:, :-1] + log_pf[:, 1:] - log_F[:, 1:] - log_pb[:, 1:]
    delta_stop = log_F + log_pf_stop - log_r
    total = torch.where(move, delta_move, zero).pow(2).sum() + torch.where(mask, delta_stop, zero).pow(2).sum()
    return total / (move.sum() + mask.sum())

# %% mutant: mean-of-two-means
def detailed_balance_loss(log_F: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
                          log_pf_stop: torch.Tensor, log_r: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of the squared move residuals and the squared stop residuals of every visited state."""
    zero = torch.zeros((), dtype=log_F.dtype)
    move = mask[:, :-1] & mask[:, 1:]
    delta_move = log_F[:, :-1] + log_pf[:, :-1] - log_F[:, 1:] - log_pb[:, :-1]
    delta_stop = log_F + log_pf_stop - log_r
    m1 = torch.where(move, delta_move, zero).pow(2).sum() / move.sum().clamp(min=1)
    m2 = torch.where(mask, delta_stop, zero).pow(2).sum() / mask.sum()
    return (m1 + m2) / 2

# %% mutant: unmasked-moves
def detailed_balance_loss(log_F: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
                          log_pf_stop: torch.Tensor, log_r: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of the squared move residuals and the squared stop residuals of every visited state."""
    zero = torch.zeros((), dtype=log_F.dtype)
    move = mask[:, :-1]
    delta_move = log_F[:, :-1] + log_pf[:, :-1] - log_F[:, 1:] - log_pb[:, :-1]
    delta_stop = log_F + log_pf_stop - log_r
    total = torch.where(move, delta_move, zero).pow(2).sum() + torch.where(mask, delta_stop, zero).pow(2).sum()
    return total / (move.sum() + mask.sum())
