def temporal_augment(triples: torch.Tensor) -> torch.Tensor:
    """The triples, then (s, a, g~) for each triple (s, a, g) and each g~ reached after g in the data: (N + N', 3)."""
    # Written differently: a dictionary from each waypoint to the sorted goals reached after it, then a loop.
    if triples.ndim != 2 or triples.shape[1] != 3:
        raise ValueError("triples must have shape (N, 3)")
    after = {}
    for w, _, x in triples.tolist():
        after.setdefault(w, set()).add(x)
    rows = triples.tolist()
    extra = [[s, a, x] for s, a, g in rows for x in sorted(after.get(g, ()))]
    return torch.tensor(rows + extra, dtype=torch.long).reshape(-1, 3)
