def fl_db_loss(log_F_tilde: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
               energy: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared forward-looking DB residual over the observed edges, with log F~(terminal) = 0."""
    # Written differently: plain DB on the reparameterised flows log F = log F~ - E.
    log_F = log_F_tilde - energy
    log_F = torch.cat([log_F[:, :-1], -energy[:, -1:]], 1)
    delta = log_F[:, :-1] + log_pf - log_F[:, 1:] - log_pb
    return delta[mask].pow(2).mean()
