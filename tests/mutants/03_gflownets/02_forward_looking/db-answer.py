# %% mutant: network-terminal-flow
def set_db_loss(log_F: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
                log_reward: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared DB residual over the observed edges, with log F(terminal) = log R."""
    delta = log_F[:, :-1] + log_pf - log_F[:, 1:] - log_pb
    return torch.where(mask, delta, torch.zeros_like(delta)).pow(2).sum() / mask.sum()

# %% mutant: mean-over-all-edges
def set_db_loss(log_F: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
                log_reward: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared DB residual over the observed edges, with log F(terminal) = log R."""
    flows = torch.cat([log_F[:, :-1], log_reward[:, None]], 1)
    delta = flows[:, :-1] + log_pf - flows[:, 1:] - log_pb
    return torch.where(mask, delta, torch.zeros_like(delta)).pow(2).mean()

# %% mutant: pb-wrong-sign
def set_db_loss(log_F: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
                log_reward: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared DB residual over the observed edges, with log F(terminal) = log R."""
    flows = torch.cat([log_F[:, :-1], log_reward[:, None]], 1)
    delta = flows[:, :-1] + log_pf - flows[:, 1:] + log_pb
    return torch.where(mask, delta, torch.zeros_like(delta)).pow(2).sum() / mask.sum()

# %% mutant: unmasked
def set_db_loss(log_F: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
                log_reward: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared DB residual over the observed edges, with log F(terminal) = log R."""
    flows = torch.cat([log_F[:, :-1], log_reward[:, None]], 1)
    delta = flows[:, :-1] + log_pf - flows[:, 1:] - log_pb
    return delta.pow(2).mean()
