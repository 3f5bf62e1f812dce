# %% mutant: forgets-stop-probability
def terminal_distribution(log_pf_all: torch.Tensor, ndim: int, height: int) -> torch.Tensor:
    """Exact P_T over all H**D states of the forward policy log_pf_all (H**D, D+1), by DP over levels."""
    states = grid_states(ndim, height)
    pf = log_pf_all.exp()
    reach = torch.zeros(states.shape[0], dtype=pf.dtype)
    reach[0] = 1.0
    level = states.sum(1)
    strides = height ** torch.arange(ndim - 1, -1, -1)
    for lev in range(1, int(level.max()) + 1):
        rows = torch.nonzero(level == lev).squeeze(1)
        total = torch.zeros(rows.numel(), dtype=pf.dtype)
        for d in range(ndim):
            has_parent = states[rows, d] > 0
            parent = (rows - strides[d]).clamp(min=0)
            total = total + torch.where(has_parent, reach[parent] * pf[parent, d], torch.zeros_like(total))
        reach[rows] = total
    return reach / reach.sum()

# %% mutant: reversed-strides
def terminal_distribution(log_pf_all: torch.Tensor, ndim: int, height: int) -> torch.Tensor:
    """Exact P_T over all H**D states of the forward policy log_pf_all (H**D, D+1), by DP over levels."""
    states = grid_states(ndim, height)
    pf = log_pf_all.exp()
    reach = torch.zeros(states.shape[0], dtype=pf.dtype)
    reach[0] = 1.0
    level = states.sum(1)
    strides = height ** torch.arange(ndim)
    for lev in range(1, int(level.max()) + 1):
        rows = torch.nonzero(level == lev).squeeze(1)
        total = torch.zeros(rows.numel(), dtype=pf.dtype)
        for d in range(ndim):
            has_parent = states[rows, d] > 0
            parent = (rows - strides[d]).clamp(min=0)
            total = total + torch.where(has_parent, reach[parent] * pf[parent, d], torch.zeros_like(total))
        reach[rows] = total
    return reach * pf[:, ndim]

# %% mutant: uniform-over-parents
def terminal_distribution(log_pf_all: torch.Tensor, ndim: int, height: int) -> torch.Tensor:
    """Exact P_T over all H**D states of the forward policy log_pf_all (H**D, D+1), by DP over levels."""
    states = grid_states(ndim, height)
    pf = log_pf_all.exp()
    reach = torch.zeros(states.shape[0], dtype=pf.dtype)
    reach[0] = 1.0
    level = states.sum(1)
    strides = height ** torch.arange(ndim - 1, -1, -1)
    for lev in range(1, int(level.max()) + 1):
        rows = torch.nonzero(level == lev).squeeze(1)
        total = torch.zeros(rows.numel(), dtype=pf.dtype)
        for d in range(ndim):
            has_parent = states[rows, d] > 0
            parent = (rows - strides[d]).clamp(min=0)
            total = total + torch.where(has_parent, reach[parent] * (1 - pf[parent, ndim]) / ndim, torch.zeros_like(total))
        reach[rows] = total
    return reach * pf[:, ndim]

# %% mutant: stop-of-parent
def terminal_distribution(log_pf_all: torch.Tensor, ndim: int, height: int) -> torch.Tensor:
    """Exact P_T over all H**D states of the forward policy log_pf_all (H**D, D+1), by DP over levels."""
    states = grid_states(ndim, height)
    pf = log_pf_all.exp()
    reach = torch.zeros(states.shape[0], dtype=pf.dtype)
    reach[0] = 1.0
    level = states.sum(1)
    strides = height ** torch.arange(ndim - 1, -1, -1)
    for lev in range(1, int(level.max()) + 1):
        rows = torch.nonzero(level == lev).squeeze(1)
        total = torch.zeros(rows.numel(), dtype=pf.dtype)
        for d in range(ndim):
            has_parent = states[rows, d] > 0
            parent = (rows - strides[d]).clamp(min=0)
            total = total + torch.where(has_parent, reach[parent] * pf[parent, d], torch.zeros_like(total))
        reach[rows] = total
    return reach
