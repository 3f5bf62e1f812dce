def hillis_steele_scan(elems: tuple[torch.Tensor, ...], op) -> tuple[torch.Tensor, ...]:
    """Hillis-Steele with explicit index arithmetic instead of slices."""
    cur = [e.clone() for e in elems]
    length = cur[0].shape[-1]
    offset = 1
    while offset < length:
        idx = torch.arange(offset, length)
        left = tuple(e.index_select(-1, idx - offset) for e in cur)
        right = tuple(e.index_select(-1, idx) for e in cur)
        new = op(left, right)
        cur = [torch.cat([e[..., :offset], n], dim=-1) for e, n in zip(cur, new)]
        offset <<= 1
    return tuple(cur)
