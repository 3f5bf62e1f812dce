def deviation_score(k_reused: torch.Tensor, v_reused: torch.Tensor, k_fresh: torch.Tensor,
                    v_fresh: torch.Tensor) -> torch.Tensor:
    """Relative deviation (B, T) of each token's reused K/V from the fresh ones, over heads and dims."""
    # Written differently: one (B, T, 2*H*d) vector per token, then vector norms.
    B, H, T, d = k_fresh.shape
    fresh = torch.cat([k_fresh, v_fresh], dim=1).permute(0, 2, 1, 3).reshape(B, T, -1)
    reused = torch.cat([k_reused, v_reused], dim=1).permute(0, 2, 1, 3).reshape(B, T, -1)
    return torch.linalg.vector_norm(reused - fresh, dim=-1) / torch.linalg.vector_norm(fresh, dim=-1)
