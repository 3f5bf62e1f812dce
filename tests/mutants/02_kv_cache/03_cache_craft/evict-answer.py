# %% mutant: plain-lru
def choose_victim(entries: dict, now: int, half_life: float) -> object:
    """The cached chunk to evict: smallest decayed frequency x saving, ties to the least recently used."""
    return min(entries, key=lambda c: entries[c]["t"])

# %% mutant: no-decay
def choose_victim(entries: dict, now: int, half_life: float) -> object:
    """The cached chunk to evict: smallest decayed frequency x saving, ties to the least recently used."""
    return min(entries, key=lambda c: (entries[c]["freq"] * entries[c]["saving"], entries[c]["t"]))

# %% mutant: ignores-saving
def choose_victim(entries: dict, now: int, half_life: float) -> object:
    """The cached chunk to evict: smallest decayed frequency x saving, ties to the least recently used."""
    def value(c):
        e = entries[c]
        return e["freq"] * 2.0 ** (-(now - e["t"]) / half_life)
    return min(entries, key=lambda c: (value(c), entries[c]["t"]))

# %% mutant: ties-to-newest
def choose_victim(entries: dict, now: int, half_life: float) -> object:
    """The cached chunk to evict: smallest decayed frequency x saving, ties to the least recently used."""
    def value(c):
        e = entries[c]
        return e["freq"] * 2.0 ** (-(now - e["t"]) / half_life) * e["saving"]
    return min(entries, key=lambda c: (value(c), -entries[c]["t"]))

# %% mutant: decay-wrong-sign
def choose_victim(entries: dict, now: int, half_life: float) -> object:
    """The cached chunk to evict: smallest decayed frequency x saving, ties to the least recently used."""
    def value(c):
        e = entries[c]
        return e["freq"] * 2.0 ** ((now - e["t"]) / half_life) * e["saving"]
    return min(entries, key=lambda c: (value(c), entries[c]["t"]))
