def ngram_features(tokens: torch.Tensor, bigrams: bool) -> torch.Tensor:
    """Token counts (N, 16), then bigram counts (N, 256) when `bigrams`; float32."""
    n = tokens.shape[0]
    width = VOCAB_SIZE + (VOCAB_SIZE ** 2 if bigrams else 0)
    out = torch.zeros(n, width)
    out.scatter_add_(1, tokens, torch.ones(tokens.shape))
    if bigrams:
        ids = VOCAB_SIZE + tokens[:, :-1] * VOCAB_SIZE + tokens[:, 1:]
        out.scatter_add_(1, ids, torch.ones(ids.shape))
    return out
