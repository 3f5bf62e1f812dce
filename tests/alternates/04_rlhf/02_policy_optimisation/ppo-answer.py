def ppo_loss(logp: torch.Tensor, logp_old: torch.Tensor, rewards: torch.Tensor, values: torch.Tensor,
             clip_eps: float = 0.2, value_coef: float = 0.5) -> torch.Tensor:
    """PPO's clipped surrogate written as a max of negated terms, the value term as a mean of squares."""
    if clip_eps <= 0 or clip_eps >= 1:
        raise ValueError("clip_eps must be in (0, 1)")
    with torch.no_grad():
        adv = rewards - values
        old = logp_old.clone()
    ratio = (logp - old).exp()
    unclipped = -ratio * adv
    clipped = -ratio.clamp(min=1 - clip_eps, max=1 + clip_eps) * adv
    policy_loss = torch.max(unclipped, clipped).mean()
    value_loss = ((rewards - values) ** 2).mean()
    return policy_loss + value_coef * value_loss
