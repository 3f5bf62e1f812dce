from decimal import Decimal
from fractions import Fraction


def minicache_ratio(n_layers: int, start: int, seq_len: int, head_dim: int, retain: float) -> float:
    """Full-cache numbers / numbers MiniCache stores, merging pairs (start, start+1), ... with `retain` kept."""
    # Written differently: k through Decimal, a layer-by-layer count, an exact Fraction at the end.
    if n_layers < 1 or seq_len < 1 or head_dim < 1:
        raise ValueError("sizes must be >= 1")
    if start < 0:
        raise ValueError("start must be >= 0")
    if not (retain >= 0 and retain <= 1):
        raise ValueError("retain must be in [0, 1]")
    k = math.ceil(Decimal(str(retain)) * seq_len)
    merged = [(a, a + 1) for a in range(start, n_layers - 1, 2)]
    in_pairs = {layer for pair in merged for layer in pair}
    stored = sum(seq_len * head_dim for layer in range(n_layers) if layer not in in_pairs)
    stored += len(merged) * (seq_len * head_dim + 2 * seq_len + k * (2 * head_dim + 1))
    return float(Fraction(n_layers * seq_len * head_dim, stored))
