# %% mutant: operands-swapped
def hillis_steele_scan(elems: tuple[torch.Tensor, ...], op) -> tuple[torch.Tensor, ...]:
    """Inclusive prefix scan of `elems` (time on the last axis) under the associative `op`, in log2(L) rounds."""
    elems = tuple(elems)
    length, d = elems[0].shape[-1], 1
    while d < length:
        combined = op(tuple(e[..., d:] for e in elems), tuple(e[..., :-d] for e in elems))
        elems = tuple(torch.cat([e[..., :d], c], dim=-1) for e, c in zip(elems, combined))
        d *= 2
    return elems

# %% mutant: one-round-short
def hillis_steele_scan(elems: tuple[torch.Tensor, ...], op) -> tuple[torch.Tensor, ...]:
    """Inclusive prefix scan of `elems` (time on the last axis) under the associative `op`, in log2(L) rounds."""
    elems = tuple(elems)
    length, d = elems[0].shape[-1], 1
    while 2 * d < length:
        combined = op(tuple(e[..., :-d] for e in elems), tuple(e[..., d:] for e in elems))
        elems = tuple(torch.cat([e[..., :d], c], dim=-1) for e, c in zip(elems, combined))
        d *= 2
    return elems

# %% mutant: offset-plus-one
def hillis_steele_scan(elems: tuple[torch.Tensor, ...], op) -> tuple[torch.Tensor, ...]:
    """Inclusive prefix scan of `elems` (time on the last axis) under the associative `op`, in log2(L) rounds."""
    elems = tuple(elems)
    length, d = elems[0].shape[-1], 1
    while d < length:
        combined = op(tuple(e[..., :-d] for e in elems), tuple(e[..., d:] for e in elems))
        elems = tuple(torch.cat([e[..., :d], c], dim=-1) for e, c in zip(elems, combined))
        d += 1
    return elems

# %% mutant: in-place-update
def hillis_steele_scan(elems: tuple[torch.Tensor, ...], op) -> tuple[torch.Tensor, ...]:
    """Inclusive prefix scan of `elems` (time on the last axis) under the associative `op`, in log2(L) rounds."""
    length, d = elems[0].shape[-1], 1
    while d < length:
        combined = op(tuple(e[..., :-d].clone() for e in elems), tuple(e[..., d:] for e in elems))
        for e, c in zip(elems, combined):
            e[..., d:] = c
        d *= 2
    return tuple(elems)
