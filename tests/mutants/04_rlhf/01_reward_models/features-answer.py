# %% mutant: transposed-bigram-index
def ngram_features(tokens: torch.Tensor, bigrams: bool) -> torch.Tensor:
    """Token counts (N, 16), then bigram counts (N, 256) when `bigrams`; float32."""
    counts = F.one_hot(tokens, VOCAB_SIZE).sum(dim=1).float()
    if not bigrams:
        return counts
    pair_ids = tokens[:, 1:] * VOCAB_SIZE + tokens[:, :-1]
    return torch.cat([counts, F.one_hot(pair_ids, VOCAB_SIZE * VOCAB_SIZE).sum(dim=1).float()], dim=1)

# %% mutant: presence-not-counts
def ngram_features(tokens: torch.Tensor, bigrams: bool) -> torch.Tensor:
    """Token counts (N, 16), then bigram counts (N, 256) when `bigrams`; float32."""
    counts = F.one_hot(tokens, VOCAB_SIZE).amax(dim=1).float()
    if not bigrams:
        return counts
    pair_ids = tokens[:, :-1] * VOCAB_SIZE + tokens[:, 1:]
    return torch.cat([counts, F.one_hot(pair_ids, VOCAB_SIZE * VOCAB_SIZE).amax(dim=1).float()], dim=1)

# %% mutant: wraparound-bigram
def ngram_features(tokens: torch.Tensor, bigrams: bool) -> torch.Tensor:
    """Token counts (N, 16), then bigram counts (N, 256) when `bigrams`; float32."""
    counts = F.one_hot(tokens, VOCAB_SIZE).sum(dim=1).float()
    if not bigrams:
        return counts
    pair_ids = tokens * VOCAB_SIZE + tokens.roll(-1, dims=1)
    return torch.cat([counts, F.one_hot(pair_ids, VOCAB_SIZE * VOCAB_SIZE).sum(dim=1).float()], dim=1)

# %% mutant: long-dtype
def ngram_features(tokens: torch.Tensor, bigrams: bool) -> torch.Tensor:
    """Token counts (N, 16), then bigram counts (N, 256) when `bigrams`; float32."""
    counts = F.one_hot(tokens, VOCAB_SIZE).sum(dim=1)
    if not bigrams:
        return counts
    pair_ids = tokens[:, :-1] * VOCAB_SIZE + tokens[:, 1:]
    return torch.cat([counts, F.one_hot(pair_ids, VOCAB_SIZE * VOCAB_SIZE).sum(dim=1)], dim=1)
