def prefill_tokens(requests: list, chunk_len: int, recompute: int) -> tuple[int, int, int]:
    """Prefill tokens computed over a stream by (full recomputation, prefix caching, chunk caching)."""
    # Written differently: a trie of earlier requests walked chunk by chunk; costs summed per policy at the end.
    if not isinstance(chunk_len, int) or chunk_len < 1:
        raise ValueError(f"chunk_len must be an int >= 1, got {chunk_len!r}")
    if not 0 <= recompute <= chunk_len:
        raise ValueError(f"recompute must lie in [0, {chunk_len}], got {recompute!r}")
    trie: dict = {}
    cached: set = set()
    counts = [0, 0, 0]
    for req in requests:
        if len(set(req)) < len(req):
            raise ValueError(f"request {req!r} repeats a chunk id")
        node, hit = trie, 0
        while hit < len(req) and req[hit] in node:
            node, hit = node[req[hit]], hit + 1
        counts[0] += chunk_len * len(req)
        counts[1] += chunk_len * (len(req) - hit)
        counts[2] += sum(chunk_len - (chunk_len - recompute) * (c in cached) for c in req[hit:])
        node = trie
        for c in req:
            node = node.setdefault(c, {})
        cached |= set(req)
    return tuple(int(n) for n in counts)
