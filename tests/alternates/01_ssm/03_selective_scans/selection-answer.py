def selection(x: torch.Tensor, x_proj_weight: torch.Tensor, dt_proj_weight: torch.Tensor,
              dt_proj_bias: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Selection with einsum, channels kept first throughout."""
    if x.ndim != 3:
        raise ValueError("x must be 3-D")
    D = x.shape[1]
    if x_proj_weight.ndim != 2 or x_proj_weight.shape[1] != D or x_proj_weight.shape[0] % 2 != 1 or x_proj_weight.shape[0] < 3:
        raise ValueError("x_proj_weight must be (1 + 2N, D)")
    if dt_proj_weight.shape != (D, 1) or dt_proj_bias.shape != (D,):
        raise ValueError("dt_proj_weight must be (D, 1) and dt_proj_bias (D,)")
    N = (x_proj_weight.shape[0] - 1) // 2
    rows = torch.einsum("kd,bdl->bkl", x_proj_weight, x)       # (batch, 1 + 2N, L)
    pre = dt_proj_weight[:, 0][None, :, None] * rows[:, :1] + dt_proj_bias[None, :, None]
    delta = torch.logaddexp(torch.zeros_like(pre), pre)  # log(e^0 + e^pre), stable at any size
    return delta, rows[:, 1:1 + N], rows[:, 1 + N:]
