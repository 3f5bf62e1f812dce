def beam_search(next_logprobs, prefix: torch.Tensor, width: int, length: int) -> tuple[torch.Tensor, float]:
    """The highest-scoring completion of `prefix` to `length` tokens found with `width` beams, and its score."""
    if width < 1 or length < len(prefix):
        raise ValueError(f"need width >= 1 and length >= len(prefix), got width={width}, length={length}")
    beams = [(0.0, prefix.tolist())]
    while len(beams[0][1]) < length:
        seqs = torch.tensor([s for _, s in beams], dtype=torch.long).reshape(len(beams), -1)
        logp = next_logprobs(seqs).tolist()
        candidates = [(score + lp, seq + [tok]) for (score, seq), row in zip(beams, logp, strict=True)
                      for tok, lp in enumerate(row)]
        beams = sorted(candidates, key=lambda c: c[0], reverse=True)[:width]  # Python's sort is stable
    return torch.tensor(beams[0][1], dtype=torch.long), beams[0][0]
