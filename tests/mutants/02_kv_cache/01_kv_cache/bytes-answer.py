# %% mutant: forgot-k-and-v
def kv_cache_bytes(n_layers: int, n_kv_heads: int, head_dim: int, seq_len: int, batch: int = 1,
                   bytes_per_value: float = 2.0) -> float:
    """Bytes held by a KV cache: 2 (K and V) x layers x kv-heads x head size x tokens x batch x bytes."""
    if min(n_layers, n_kv_heads, head_dim, seq_len, batch) < 0 or bytes_per_value <= 0:
        raise ValueError("sizes must be >= 0 and bytes_per_value > 0")
    return float(n_layers * n_kv_heads * head_dim * seq_len * batch * bytes_per_value)

# %% mutant: forgot-batch
def kv_cache_bytes(n_layers: int, n_kv_heads: int, head_dim: int, seq_len: int, batch: int = 1,
                   bytes_per_value: float = 2.0) -> float:
    """Bytes held by a KV cache: 2 (K and V) x layers x kv-heads x head size x tokens x batch x bytes."""
    if min(n_layers, n_kv_heads, head_dim, seq_len, batch) < 0 or bytes_per_value <= 0:
        raise ValueError("sizes must be >= 0 and bytes_per_value > 0")
    return float(2 * n_layers * n_kv_heads * head_dim * seq_len * bytes_per_value)

# %% mutant: integer-bytes
def kv_cache_bytes(n_layers: int, n_kv_heads: int, head_dim: int, seq_len: int, batch: int = 1,
                   bytes_per_value: float = 2.0) -> float:
    """Bytes held by a KV cache: 2 (K and V) x layers x kv-heads x head size x tokens x batch x bytes."""
    if min(n_layers, n_kv_heads, head_dim, seq_len, batch) < 0 or bytes_per_value <= 0:
        raise ValueError("sizes must be >= 0 and bytes_per_value > 0")
    return float(2 * n_layers * n_kv_heads * head_dim * seq_len * batch * max(1, int(bytes_per_value)))

# %% mutant: no-validation
def kv_cache_bytes(n_layers: int, n_kv_heads: int, head_dim: int, seq_len: int, batch: int = 1,
                   bytes_per_value: float = 2.0) -> float:
    """Bytes held by a KV cache: 2 (K and V) x layers x kv-heads x head size x tokens x batch x bytes."""
    return float(2 * n_layers * n_kv_heads * head_dim * seq_len * batch * bytes_per_value)
