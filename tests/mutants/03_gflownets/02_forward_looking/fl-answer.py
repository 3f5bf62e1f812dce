# %% mutant: energy-sign
def fl_db_loss(log_F_tilde: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
               energy: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared forward-looking DB residual over the observed edges, with log F~(terminal) = 0."""
    flows = torch.cat([log_F_tilde[:, :-1], torch.zeros_like(log_F_tilde[:, -1:])], 1)
    delta = flows[:, :-1] + log_pf - flows[:, 1:] - log_pb - (energy[:, 1:] - energy[:, :-1])
    return torch.where(mask, delta, torch.zeros_like(delta)).pow(2).sum() / mask.sum()

# %% mutant: terminal-not-replaced
def fl_db_loss(log_F_tilde: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
               energy: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared forward-looking DB residual over the observed edges, with log F~(terminal) = 0."""
    flows = log_F_tilde
    delta = flows[:, :-1] + log_pf - flows[:, 1:] - log_pb + (energy[:, 1:] - energy[:, :-1])
    return torch.where(mask, delta, torch.zeros_like(delta)).pow(2).sum() / mask.sum()

# %% mutant: terminal-energy-as-reward
def fl_db_loss(log_F_tilde: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
               energy: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared forward-looking DB residual over the observed edges, with log F~(terminal) = 0."""
    flows = torch.cat([log_F_tilde[:, :-1], -energy[:, -1:]], 1)
    delta = flows[:, :-1] + log_pf - flows[:, 1:] - log_pb + (energy[:, 1:] - energy[:, :-1])
    return torch.where(mask, delta, torch.zeros_like(delta)).pow(2).sum() / mask.sum()

# %% mutant: energy-of-next-state-only
def fl_db_loss(log_F_tilde: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
               energy: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared forward-looking DB residual over the observed edges, with log F~(terminal) = 0."""
    flows = torch.cat([log_F_tilde[:, :-1], torch.zeros_like(log_F_tilde[:, -1:])], 1)
    delta = flows[:, :-1] + log_pf - flows[:, 1:] - log_pb + energy[:, 1:]
    return torch.where(mask, delta, torch.zeros_like(delta)).pow(2).sum() / mask.sum()
