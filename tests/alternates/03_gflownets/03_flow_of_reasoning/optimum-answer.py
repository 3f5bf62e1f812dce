def tb_optimal_policy(log_reward: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The forward policy whose leaves come out with probability R/Z: P_F at the root (36,), level 1 (36, 18), level 2 (648, 6)."""
    # Written differently: a softmax over the children's log-flows at each level (an all -inf row gives NaN -> 0)
    if log_reward.dim() != 1 or log_reward.numel() != 3888:
        raise ValueError(f"log_reward must have shape (3888,), got {tuple(log_reward.shape)}")
    p3 = torch.softmax(log_reward.reshape(648, 6), dim=1).nan_to_num(nan=0.0)
    log_flow2 = torch.logsumexp(log_reward.reshape(36, 18, 6), dim=2)
    p2 = torch.softmax(log_flow2, dim=1).nan_to_num(nan=0.0)
    p1 = torch.softmax(torch.logsumexp(log_reward.reshape(36, 108), dim=1), dim=0)
    return p1, p2, p3
