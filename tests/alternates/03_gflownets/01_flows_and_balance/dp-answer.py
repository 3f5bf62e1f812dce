def terminal_distribution(log_pf_all: torch.Tensor, ndim: int, height: int) -> torch.Tensor:
    """Exact P_T over all H**D states of the forward policy log_pf_all (H**D, D+1), by DP over levels."""
    # Written differently: push probability forward from each state in index order (parents come first).
    pf = log_pf_all.exp().tolist()
    states = grid_states(ndim, height).tolist()
    reach = [0.0] * len(states)
    reach[0] = 1.0
    for i, x in enumerate(states):
        for d in range(ndim):
            if x[d] < height - 1:
                reach[i + height ** (ndim - 1 - d)] += reach[i] * pf[i][d]
    return torch.tensor([r * p[ndim] for r, p in zip(reach, pf)], dtype=log_pf_all.dtype)
