def hippo_legs(N: int) -> tuple[torch.Tensor, torch.Tensor]:
    """HiPPO-LegS state matrix A (N, N) and input vector B (N,), float64 (written with explicit loops)."""
    A = torch.zeros(N, N, dtype=torch.float64)
    for n in range(N):
        for k in range(n + 1):
            A[n, k] = -(n + 1) if n == k else -math.sqrt((2 * n + 1) * (2 * k + 1))
    B = torch.tensor([math.sqrt(2 * n + 1) for n in range(N)], dtype=torch.float64)
    return A, B
