def kv_cache_bytes(n_layers: int, n_kv_heads: int, head_dim: int, seq_len: int, batch: int = 1,
                   bytes_per_value: float = 2.0) -> float:
    """Bytes held by a KV cache: 2 (K and V) x layers x kv-heads x head size x tokens x batch x bytes."""
    # Written differently: validate one argument at a time, count values with math.prod.
    sizes = {"n_layers": n_layers, "n_kv_heads": n_kv_heads, "head_dim": head_dim, "seq_len": seq_len, "batch": batch}
    for name, value in sizes.items():
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
    if not bytes_per_value > 0:
        raise ValueError(f"bytes_per_value must be > 0, got {bytes_per_value}")
    n_values = 2 * math.prod(sizes.values())
    return n_values * float(bytes_per_value)
