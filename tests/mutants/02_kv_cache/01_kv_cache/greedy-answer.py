# %% mutant: cache-not-updated
@torch.no_grad()
def greedy_generate(model, prompt: torch.Tensor, n_new: int, use_cache: bool = True) -> torch.Tensor:
    """The (B, n_new) tokens greedy decoding appends to `prompt` (B, T), with or without a KV cache."""
    if not use_cache:
        seq = prompt
        for _ in range(n_new):
            logits, _ = model(seq)
            seq = torch.cat([seq, logits[:, -1].argmax(-1, keepdim=True)], dim=1)
        return seq[:, prompt.shape[1]:]
    logits, cache = model(prompt)
    out = [logits[:, -1].argmax(-1)]
    for _ in range(n_new - 1):
        logits, _ = model(out[-1][:, None], past=cache)
        out.append(logits[:, -1].argmax(-1))
    return torch.stack(out, dim=1)

# %% mutant: recompute-everything
@torch.no_grad()
def greedy_generate(model, prompt: torch.Tensor, n_new: int, use_cache: bool = True) -> torch.Tensor:
    """The (B, n_new) tokens greedy decoding appends to `prompt` (B, T), with or without a KV cache."""
    seq = prompt
    for _ in range(n_new):
        logits, _ = model(seq)
        seq = torch.cat([seq, logits[:, -1].argmax(-1, keepdim=True)], dim=1)
    return seq[:, prompt.shape[1]:]

# %% mutant: off-by-one-extra-step
@torch.no_grad()
def greedy_generate(model, prompt: torch.Tensor, n_new: int, use_cache: bool = True) -> torch.Tensor:
    """The (B, n_new) tokens greedy decoding appends to `prompt` (B, T), with or without a KV cache."""
    if not use_cache:
        seq = prompt
        for _ in range(n_new):
            logits, _ = model(seq)
            seq = torch.cat([seq, logits[:, -1].argmax(-1, keepdim=True)], dim=1)
        return seq[:, prompt.shape[1]:]
    logits, cache = model(prompt)
    out = [logits[:, -1].argmax(-1)]
    for _ in range(n_new):
        logits, cache = model(out[-1][:, None], past=cache)
        out.append(logits[:, -1].argmax(-1))
    return torch.stack(out[1:], dim=1)

# %% mutant: refeed-whole-prompt-with-cache
@torch.no_grad()
def greedy_generate(model, prompt: torch.Tensor, n_new: int, use_cache: bool = True) -> torch.Tensor:
    """The (B, n_new) tokens greedy decoding appends to `prompt` (B, T), with or without a KV cache."""
    if not use_cache:
        seq = prompt
        for _ in range(n_new):
            logits, _ = model(seq)
            seq = torch.cat([seq, logits[:, -1].argmax(-1, keepdim=True)], dim=1)
        return seq[:, prompt.shape[1]:]
    seq = prompt
    logits, cache = model(prompt)
    for _ in range(n_new):
        seq = torch.cat([seq, logits[:, -1].argmax(-1, keepdim=True)], dim=1)
        logits, cache = model(seq, past=None)
    return seq[:, prompt.shape[1]:]
