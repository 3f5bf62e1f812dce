def exact_log_flow(bits: torch.Tensor, terminal_bits: torch.Tensor, log_reward: torch.Tensor) -> torch.Tensor:
    """log F(s) of the optimal flow with uniform P_B, for sets bits (N, M) of at most K items: (N,)."""
    # Written differently: boolean containment, and the weight k! (K - k)! / K! summed into the logsumexp.
    if bits.shape[1] != terminal_bits.shape[1] or log_reward.dim() != 1 or log_reward.shape[0] != terminal_bits.shape[0]:
        raise ValueError(f"shapes do not match: bits {tuple(bits.shape)}, terminal_bits {tuple(terminal_bits.shape)}, "
                         f"log_reward {tuple(log_reward.shape)}")
    s, x = bits > 0.5, terminal_bits > 0.5
    subset = (s[:, None, :] <= x[None, :, :]).all(-1)                     # (N, X): s is inside x
    K = int(x[0].sum())
    k = s.sum(-1)
    log_weight = torch.tensor([-math.log(math.comb(K, j)) for j in k.tolist()], dtype=log_reward.dtype)
    scores = torch.where(subset, log_reward[None, :] + log_weight[:, None], torch.tensor(-math.inf, dtype=log_reward.dtype))
    return torch.logsumexp(scores, dim=1)
