def detailed_balance_loss(log_F: torch.Tensor, log_pf: torch.Tensor, log_pb: torch.Tensor,
                          log_pf_stop: torch.Tensor, log_r: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of the squared move residuals and the squared stop residuals of every visited state."""
    # Written differently: gather the residuals of each trajectory into one list, then average.
    terms = []
    for b in range(mask.shape[0]):
        n = int(mask[b].sum())
        f = log_F[b, :n]
        terms.append(f[:-1] + log_pf[b, : n - 1] - f[1:] - log_pb[b, : n - 1])
        terms.append(f + log_pf_stop[b, :n] - log_r[b, :n])
    return torch.cat(terms).pow(2).mean()
