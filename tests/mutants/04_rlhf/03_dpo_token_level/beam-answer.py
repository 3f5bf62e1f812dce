# %% mutant: last-step-score-only
def beam_search(next_logprobs, prefix: torch.Tensor, width: int, length: int) -> tuple[torch.Tensor, float]:
    """The highest-scoring completion of `prefix` to `length` tokens found with `width` beams, and its score."""
    beams = prefix[None].clone()
    scores = torch.zeros(1, dtype=torch.float64)
    for _ in range(length - prefix.shape[0]):
        logp = next_logprobs(beams).double()
        n_tokens = logp.shape[1]
        top = logp.flatten().topk(min(width, logp.numel()))
        beams = torch.cat([beams[top.indices // n_tokens], (top.indices % n_tokens)[:, None]], dim=1)
        scores = scores[top.indices // n_tokens] + top.values
    best = scores.argmax()
    return beams[best], scores[best].item()

# %% mutant: per-beam-greedy
def beam_search(next_logprobs, prefix: torch.Tensor, width: int, length: int) -> tuple[torch.Tensor, float]:
    """The highest-scoring completion of `prefix` to `length` tokens found with `width` beams, and its score."""
    beams = prefix[None].clone()
    scores = torch.zeros(1, dtype=torch.float64)
    for step in range(length - prefix.shape[0]):
        logp = next_logprobs(beams).double()
        if step == 0:
            top = logp[0].topk(min(width, logp.shape[1]))
            beams = torch.cat([beams.expand(len(top.values), -1), top.indices[:, None]], dim=1)
            scores = top.values
        else:
            best = logp.max(dim=1)
            beams = torch.cat([beams, best.indices[:, None]], dim=1)
            scores = scores + best.values
    i = scores.argmax()
    return beams[i], scores[i].item()

# %% mutant: generates-length-new-tokens
def beam_search(next_logprobs, prefix: torch.Tensor, width: int, length: int) -> tuple[torch.Tensor, float]:
    """The highest-scoring completion of `prefix` to `length` tokens found with `width` beams, and its score."""
    beams = prefix[None].clone()
    scores = torch.zeros(1, dtype=torch.float64)
    for _ in range(length):
        logp = next_logprobs(beams).double()
        n_tokens = logp.shape[1]
        total = (scores[:, None] + logp).flatten()
        top = total.topk(min(width, total.numel()))
        beams = torch.cat([beams[top.indices // n_tokens], (top.indices % n_tokens)[:, None]], dim=1)
        scores = top.values
    return beams[0], scores[0].item()

# %% mutant: returns-last-beam
def beam_search(next_logprobs, prefix: torch.Tensor, width: int, length: int) -> tuple[torch.Tensor, float]:
    """The highest-scoring completion of `prefix` to `length` tokens found with `width` beams, and its score."""
    beams = prefix[None].clone()
    scores = torch.zeros(1, dtype=torch.float64)
    for _ in range(length - prefix.shape[0]):
        logp = next_logprobs(beams).double()
        n_tokens = logp.shape[1]
        total = (scores[:, None] + logp).flatten()
        top = total.topk(min(width, total.numel()))
        beams = torch.cat([beams[top.indices // n_tokens], (top.indices % n_tokens)[:, None]], dim=1)
        scores = top.values
    return beams[-1], scores[-1].item()
