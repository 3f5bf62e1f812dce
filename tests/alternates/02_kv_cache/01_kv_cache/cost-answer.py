def decode_cost(prompt_len: int, n_new: int, use_cache: bool) -> tuple[int, int]:
    """(token passes, query-key products per layer and head) of greedy decoding n_new tokens after prompt_len."""
    # Written differently: binomial coefficients. Position t costs t + 1 products each time it is fed; with the
    # cache each of 0..T-1 (T = P + n - 1) is fed once, without it call i feeds 0..P+i-1.
    if n_new < 0:
        raise ValueError(f"n_new must be >= 0, got {n_new}")
    if prompt_len < 1:
        raise ValueError(f"prompt_len must be >= 1, got {prompt_len}")
    if not n_new:
        return (0, 0)
    T = prompt_len + n_new - 1
    if use_cache:
        return (T, math.comb(T + 1, 2))
    return (math.comb(T + 1, 2) - math.comb(prompt_len, 2), math.comb(T + 2, 3) - math.comb(prompt_len + 1, 3))
