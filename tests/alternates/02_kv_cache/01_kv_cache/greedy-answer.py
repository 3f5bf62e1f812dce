@torch.no_grad()
def greedy_generate(model, prompt: torch.Tensor, n_new: int, use_cache: bool = True) -> torch.Tensor:
    """The (B, n_new) tokens greedy decoding appends to `prompt` (B, T), with or without a KV cache."""
    # Written differently: one loop for both modes, tokens written into a preallocated tensor.
    B, T = prompt.shape
    new = torch.zeros(B, n_new, dtype=torch.long)
    cache = None
    for i in range(n_new):
        if not use_cache:
            logits, _ = model(torch.cat([prompt, new[:, :i]], dim=1))
        elif cache is None:
            logits, cache = model(prompt)
        else:
            logits, cache = model(new[:, i - 1 : i], past=cache)
        new[:, i] = torch.max(logits[:, -1], dim=-1).indices
    return new
