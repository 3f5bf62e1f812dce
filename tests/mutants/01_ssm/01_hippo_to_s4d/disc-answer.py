# %% mutant: euler-B-in-zoh
def discretize_zoh(A: torch.Tensor, B: torch.Tensor, dt: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-order hold: A_bar = exp(dt A), B_bar = A^{-1} (exp(dt A) - I) B."""
    return torch.linalg.matrix_exp(dt * A), dt * B


def discretize_bilinear(A: torch.Tensor, B: torch.Tensor, dt: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Bilinear: A_bar = (I - dt/2 A)^{-1} (I + dt/2 A), B_bar = (I - dt/2 A)^{-1} dt B."""
    I = torch.eye(A.shape[0], dtype=A.dtype)
    M = I - dt / 2 * A
    return torch.linalg.solve(M, I + dt / 2 * A), torch.linalg.solve(M, dt * B)

# %% mutant: zoh-B-wrong-order
def discretize_zoh(A: torch.Tensor, B: torch.Tensor, dt: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-order hold: A_bar = exp(dt A), B_bar = A^{-1} (exp(dt A) - I) B."""
    I = torch.eye(A.shape[0], dtype=A.dtype)
    A_bar = torch.linalg.matrix_exp(dt * A)
    return A_bar, (A_bar - I) @ torch.linalg.solve(A.T, B)


def discretize_bilinear(A: torch.Tensor, B: torch.Tensor, dt: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Bilinear: A_bar = (I - dt/2 A)^{-1} (I + dt/2 A), B_bar = (I - dt/2 A)^{-1} dt B."""
    I = torch.eye(A.shape[0], dtype=A.dtype)
    M = I - dt / 2 * A
    return torch.linalg.solve(M, I + dt / 2 * A), torch.linalg.solve(M, dt * B)

# %% mutant: bilinear-B-no-inverse
def discretize_zoh(A: torch.Tensor, B: torch.Tensor, dt: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-order hold: A_bar = exp(dt A), B_bar = A^{-1} (exp(dt A) - I) B."""
    I = torch.eye(A.shape[0], dtype=A.dtype)
    A_bar = torch.linalg.matrix_exp(dt * A)
    return A_bar, torch.linalg.solve(A, (A_bar - I) @ B)


def discretize_bilinear(A: torch.Tensor, B: torch.Tensor, dt: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Bilinear: A_bar = (I - dt/2 A)^{-1} (I + dt/2 A), B_bar = (I - dt/2 A)^{-1} dt B."""
    I = torch.eye(A.shape[0], dtype=A.dtype)
    M = I - dt / 2 * A
    return torch.linalg.solve(M, I + dt / 2 * A), dt * B

# %% mutant: bilinear-swapped-signs
def discretize_zoh(A: torch.Tensor, B: torch.Tensor, dt: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-order hold: A_bar = exp(dt A), B_bar = A^{-1} (exp(dt A) - I) B."""
    I = torch.eye(A.shape[0], dtype=A.dtype)
    A_bar = torch.linalg.matrix_exp(dt * A)
    return A_bar, torch.linalg.solve(A, (A_bar - I) @ B)


def discretize_bilinear(A: torch.Tensor, B: torch.Tensor, dt: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Bilinear: A_bar = (I - dt/2 A)^{-1} (I + dt/2 A), B_bar = (I - dt/2 A)^{-1} dt B."""
    I = torch.eye(A.shape[0], dtype=A.dtype)
    M = I + dt / 2 * A
    return torch.linalg.solve(M, I - dt / 2 * A), torch.linalg.solve(M, dt * B)

# %% mutant: bilinear-half-step
def discretize_zoh(A: torch.Tensor, B: torch.Tensor, dt: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-order hold: A_bar = exp(dt A), B_bar = A^{-1} (exp(dt A) - I) B."""
    I = torch.eye(A.shape[0], dtype=A.dtype)
    A_bar = torch.linalg.matrix_exp(dt * A)
    return A_bar, torch.linalg.solve(A, (A_bar - I) @ B)


def discretize_bilinear(A: torch.Tensor, B: torch.Tensor, dt: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Bilinear: A_bar = (I - dt/2 A)^{-1} (I + dt/2 A), B_bar = (I - dt/2 A)^{-1} dt B."""
    I = torch.eye(A.shape[0], dtype=A.dtype)
    M = I - dt * A
    return torch.linalg.solve(M, I + dt * A), torch.linalg.solve(M, dt * B)
