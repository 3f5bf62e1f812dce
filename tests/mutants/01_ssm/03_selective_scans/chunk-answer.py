# %% mutant: no-clamp
def chunked_scan(log_a: torch.Tensor, b: torch.Tensor, chunk_size: int = 32) -> torch.Tensor:
    """h_t = exp(log_a_t) h_{t-1} + b_t over the last axis: cumulative log-decays inside chunks, a loop across chunks."""
    length = b.shape[-1]
    n_chunks = -(-length // chunk_size)
    pad = n_chunks * chunk_size - length
    la = F.pad(log_a.double(), (0, pad))
    bb = F.pad(b.double(), (0, pad))
    la = la.reshape(*la.shape[:-1], n_chunks, chunk_size)
    bb = bb.reshape(*bb.shape[:-1], n_chunks, chunk_size)
    S = la.cumsum(-1)
    decay = torch.exp(S)
    local = decay * (torch.exp(-S) * bb).cumsum(-1)
    carry = torch.zeros_like(local[..., 0, 0])
    carries = []
    for k in range(n_chunks):
        carries.append(carry)
        carry = local[..., k, -1] + decay[..., k, -1] * carry
    h = local + decay * torch.stack(carries, dim=-1)[..., None]
    return h.reshape(*h.shape[:-2], n_chunks * chunk_size)[..., :length].to(b.dtype)

# %% mutant: float32-inside
def chunked_scan(log_a: torch.Tensor, b: torch.Tensor, chunk_size: int = 32) -> torch.Tensor:
    """h_t = exp(log_a_t) h_{t-1} + b_t over the last axis: cumulative log-decays inside chunks, a loop across chunks."""
    length = b.shape[-1]
    n_chunks = -(-length // chunk_size)
    pad = n_chunks * chunk_size - length
    la = F.pad(log_a.clamp(min=-600.0 / chunk_size).float(), (0, pad))
    bb = F.pad(b.float(), (0, pad))
    la = la.reshape(*la.shape[:-1], n_chunks, chunk_size)
    bb = bb.reshape(*bb.shape[:-1], n_chunks, chunk_size)
    S = la.cumsum(-1)
    decay = torch.exp(S)
    local = decay * (torch.exp(-S) * bb).cumsum(-1)
    carry = torch.zeros_like(local[..., 0, 0])
    carries = []
    for k in range(n_chunks):
        carries.append(carry)
        carry = local[..., k, -1] + decay[..., k, -1] * carry
    h = local + decay * torch.stack(carries, dim=-1)[..., None]
    return h.reshape(*h.shape[:-2], n_chunks * chunk_size)[..., :length].to(b.dtype)

# %% mutant: carry-not-decayed
def chunked_scan(log_a: torch.Tensor, b: torch.Tensor, chunk_size: int = 32) -> torch.Tensor:
    """h_t = exp(log_a_t) h_{t-1} + b_t over the last axis: cumulative log-decays inside chunks, a loop across chunks."""
    length = b.shape[-1]
    n_chunks = -(-length // chunk_size)
    pad = n_chunks * chunk_size - length
    la = F.pad(log_a.clamp(min=-600.0 / chunk_size).double(), (0, pad))
    bb = F.pad(b.double(), (0, pad))
    la = la.reshape(*la.shape[:-1], n_chunks, chunk_size)
    bb = bb.reshape(*bb.shape[:-1], n_chunks, chunk_size)
    S = la.cumsum(-1)
    decay = torch.exp(S)
    local = decay * (torch.exp(-S) * bb).cumsum(-1)
    carry = torch.zeros_like(local[..., 0, 0])
    carries = []
    for k in range(n_chunks):
        carries.append(carry)
        carry = local[..., k, -1] + decay[..., k, -1] * carry
    h = local + torch.stack(carries, dim=-1)[..., None]
    return h.reshape(*h.shape[:-2], n_chunks * chunk_size)[..., :length].to(b.dtype)

# %% mutant: carry-off-by-one-chunk
def chunked_scan(log_a: torch.Tensor, b: torch.Tensor, chunk_size: int = 32) -> torch.Tensor:
    """h_t = exp(log_a_t) h_{t-1} + b_t over the last axis: cumulative log-decays inside chunks, a loop across chunks."""
    length = b.shape[-1]
    n_chunks = -(-length // chunk_size)
    pad = n_chunks * chunk_size - length
    la = F.pad(log_a.clamp(min=-600.0 / chunk_size).double(), (0, pad))
    bb = F.pad(b.double(), (0, pad))
    la = la.reshape(*la.shape[:-1], n_chunks, chunk_size)
    bb = bb.reshape(*bb.shape[:-1], n_chunks, chunk_size)
    S = la.cumsum(-1)
    decay = torch.exp(S)
    local = decay * (torch.exp(-S) * bb).cumsum(-1)
    carry = torch.zeros_like(local[..., 0, 0])
    carries = []
    for k in range(n_chunks):
        carry = local[..., k, -1] + decay[..., k, -1] * carry
        carries.append(carry)
    h = local + decay * torch.stack(carries, dim=-1)[..., None]
    return h.reshape(*h.shape[:-2], n_chunks * chunk_size)[..., :length].to(b.dtype)

# %% mutant: missing-inverse-decay
def chunked_scan(log_a: torch.Tensor, b: torch.Tensor, chunk_size: int = 32) -> torch.Tensor:
    """h_t = exp(log_a_t) h_{t-1} + b_t over the last axis: cumulative log-decays inside chunks, a loop across chunks."""
    length = b.shape[-1]
    n_chunks = -(-length // chunk_size)
    pad = n_chunks * chunk_size - length
    la = F.pad(log_a.clamp(min=-600.0 / chunk_size).double(), (0, pad))
    bb = F.pad(b.double(), (0, pad))
    la = la.reshape(*la.shape[:-1], n_chunks, chunk_size)
    bb = bb.reshape(*bb.shape[:-1], n_chunks, chunk_size)
    S = la.cumsum(-1)
    decay = torch.exp(S)
    local = decay * bb.cumsum(-1)
    carry = torch.zeros_like(local[..., 0, 0])
    carries = []
    for k in range(n_chunks):
        carries.append(carry)
        carry = local[..., k, -1] + decay[..., k, -1] * carry
    h = local + decay * torch.stack(carries, dim=-1)[..., None]
    return h.reshape(*h.shape[:-2], n_chunks * chunk_size)[..., :length].to(b.dtype)
