# %% mutant: lin-without-pi
def s4d_lin(H: int, N: int) -> torch.Tensor:
    """S4D-Lin: A_n = -1/2 + i pi n, shape (H, N), complex64."""
    n = torch.arange(N, dtype=torch.float32)
    return torch.complex(torch.full((N,), -0.5), n).repeat(H, 1)


def s4d_inv(H: int, N: int) -> torch.Tensor:
    """S4D-Inv: A_n = -1/2 + i (2N/pi) (2N/(2n+1) - 1), shape (H, N), complex64."""
    n = torch.arange(N, dtype=torch.float32)
    imag = (2 * N / math.pi) * (2 * N / (2 * n + 1) - 1)
    return torch.complex(torch.full((N,), -0.5), imag).repeat(H, 1)

# %% mutant: inv-uses-N-not-2N
def s4d_lin(H: int, N: int) -> torch.Tensor:
    """S4D-Lin: A_n = -1/2 + i pi n, shape (H, N), complex64."""
    n = torch.arange(N, dtype=torch.float32)
    return torch.complex(torch.full((N,), -0.5), math.pi * n).repeat(H, 1)


def s4d_inv(H: int, N: int) -> torch.Tensor:
    """S4D-Inv: A_n = -1/2 + i (2N/pi) (2N/(2n+1) - 1), shape (H, N), complex64."""
    n = torch.arange(N, dtype=torch.float32)
    imag = (N / math.pi) * (N / (2 * n + 1) - 1)
    return torch.complex(torch.full((N,), -0.5), imag).repeat(H, 1)

# %% mutant: inv-missing-minus-one
def s4d_lin(H: int, N: int) -> torch.Tensor:
    """S4D-Lin: A_n = -1/2 + i pi n, shape (H, N), complex64."""
    n = torch.arange(N, dtype=torch.float32)
    return torch.complex(torch.full((N,), -0.5), math.pi * n).repeat(H, 1)


def s4d_inv(H: int, N: int) -> torch.Tensor:
    """S4D-Inv: A_n = -1/2 + i (2N/pi) (2N/(2n+1) - 1), shape (H, N), complex64."""
    n = torch.arange(N, dtype=torch.float32)
    imag = (2 * N / math.pi) * (2 * N / (2 * n + 1))
    return torch.complex(torch.full((N,), -0.5), imag).repeat(H, 1)

# %% mutant: real-part-minus-one
def s4d_lin(H: int, N: int) -> torch.Tensor:
    """S4D-Lin: A_n = -1/2 + i pi n, shape (H, N), complex64."""
    n = torch.arange(N, dtype=torch.float32)
    return torch.complex(torch.full((N,), -0.5), math.pi * n).repeat(H, 1)


def s4d_inv(H: int, N: int) -> torch.Tensor:
    """S4D-Inv: A_n = -1/2 + i (2N/pi) (2N/(2n+1) - 1), shape (H, N), complex64."""
    n = torch.arange(N, dtype=torch.float32)
    imag = (2 * N / math.pi) * (2 * N / (2 * n + 1) - 1)
    return torch.complex(torch.full((N,), -1.0), imag).repeat(H, 1)

# %% mutant: lin-starts-at-one
def s4d_lin(H: int, N: int) -> torch.Tensor:
    """S4D-Lin: A_n = -1/2 + i pi n, shape (H, N), complex64."""
    n = torch.arange(1, N + 1, dtype=torch.float32)
    return torch.complex(torch.full((N,), -0.5), math.pi * n).repeat(H, 1)


def s4d_inv(H: int, N: int) -> torch.Tensor:
    """S4D-Inv: A_n = -1/2 + i (2N/pi) (2N/(2n+1) - 1), shape (H, N), complex64."""
    n = torch.arange(N, dtype=torch.float32)
    imag = (2 * N / math.pi) * (2 * N / (2 * n + 1) - 1)
    return torch.complex(torch.full((N,), -0.5), imag).repeat(H, 1)
