def set_db_loss(log_F: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
                log_reward: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared DB residual over the observed edges, with log F(terminal) = log R."""
    # Written differently: a loop over the positions, selecting the observed edges with boolean indexing.
    K = log_pf.shape[1]
    squares = []
    for t in range(K):
        rows = mask[:, t]
        target = log_reward[rows] if t + 1 == K else log_F[rows, t + 1]
        squares.append((log_F[rows, t] + log_pf[rows, t] - target - log_pb[rows, t]) ** 2)
    return torch.cat(squares).sum() / mask.sum()
