def choose_victim(entries: dict, now: int, half_life: float) -> object:
    """The cached chunk to evict: smallest decayed frequency x saving, ties to the least recently used."""
    # Written differently: an explicit loop that keeps the first of equal (value, t) keys; 0.5 ** x for the decay.
    if not entries:
        raise ValueError("entries is empty: there is nothing to evict")
    victim, best = None, None
    for chunk, e in entries.items():
        key = (e["freq"] * 0.5 ** ((now - e["t"]) / half_life) * e["saving"], e["t"])
        if best is None or key < best:
            victim, best = chunk, key
    return victim
