def solution_stats(solutions: list[str]) -> tuple[int, float]:
    """(number of distinct solutions, entropy in nats of their empirical distribution); (0, 0.0) if empty."""
    # Written differently: H = log n - (1/n) sum_e c_e log c_e, from a dict of counts.
    counts: dict[str, int] = {}
    for s in solutions:
        counts[s] = counts.get(s, 0) + 1
    n = len(solutions)
    if n == 0:
        return 0, 0.0
    return len(counts), max(0.0, math.log(n) - sum(c * math.log(c) for c in counts.values()) / n)
