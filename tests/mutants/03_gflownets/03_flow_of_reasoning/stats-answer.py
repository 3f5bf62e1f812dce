# %% mutant: entropy-in-bits
def solution_stats(solutions: list[str]) -> tuple[int, float]:
    """(number of distinct solutions, entropy in nats of their empirical distribution); (0, 0.0) if empty."""
    if not solutions:
        return 0, 0.0
    counts = Counter(solutions)
    n = len(solutions)
    return len(counts), float(-sum(c / n * math.log2(c / n) for c in counts.values()))

# %% mutant: counts-duplicates
def solution_stats(solutions: list[str]) -> tuple[int, float]:
    """(number of distinct solutions, entropy in nats of their empirical distribution); (0, 0.0) if empty."""
    if not solutions:
        return 0, 0.0
    counts = Counter(solutions)
    n = len(solutions)
    return n, float(-sum(c / n * math.log(c / n) for c in counts.values()))

# %% mutant: uniform-entropy
def solution_stats(solutions: list[str]) -> tuple[int, float]:
    """(number of distinct solutions, entropy in nats of their empirical distribution); (0, 0.0) if empty."""
    if not solutions:
        return 0, 0.0
    counts = Counter(solutions)
    return len(counts), float(math.log(len(counts)))
