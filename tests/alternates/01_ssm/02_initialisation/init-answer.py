def s4d_lin(H: int, N: int) -> torch.Tensor:
    """S4D-Lin in float64, one complex number at a time, stored as complex64."""
    row = [complex(-0.5, math.pi * n) for n in range(N)]
    return torch.tensor([row] * H, dtype=torch.complex64)


def s4d_inv(H: int, N: int) -> torch.Tensor:
    """S4D-Inv written with the reference's state size 2N, broadcast with expand and then copied."""
    n2 = 2 * N
    k = torch.arange(N, dtype=torch.float64)
    imag = n2 / math.pi * (n2 / (2 * k + 1) - 1)
    return (-0.5 + 1j * imag).to(torch.complex64).expand(H, N).clone()
