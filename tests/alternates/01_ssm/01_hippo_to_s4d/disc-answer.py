def discretize_zoh(A: torch.Tensor, B: torch.Tensor, dt: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-order hold via the inverse of A."""
    A_bar = torch.linalg.matrix_exp(dt * A)
    return A_bar, torch.linalg.inv(A) @ (A_bar - torch.eye(A.shape[0], dtype=A.dtype)) @ B


def discretize_bilinear(A: torch.Tensor, B: torch.Tensor, dt: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Bilinear written with 2/dt."""
    eye = torch.eye(A.shape[0], dtype=A.dtype)
    inv = torch.linalg.inv(2 / dt * eye - A)
    return inv @ (2 / dt * eye + A), 2 * inv @ B
