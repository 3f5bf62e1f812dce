"""Module 01_ssm: FFT convolution vs recurrence (S4D), chunked and parallel scans vs the per-step loop (S6)."""

from __future__ import annotations

import math
from pathlib import Path

import torch

from utils.common import best_time
from utils.course.execute import notebook_namespace

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions" / "01_ssm"


def _s4d_rows(lengths: tuple[int, ...]) -> list[dict]:
    ns = notebook_namespace(SOLUTIONS / "01_hippo_to_s4d.py", until="speed")
    kernel, factored = ns["s4d_kernel"], ns["s4d_kernel_factored"]
    conv, recurrence = ns["causal_fft_conv"], ns["s4d_recurrence"]
    g = torch.Generator().manual_seed(0)
    H, N = 32, 32
    A = (-0.5 + 1j * math.pi * torch.arange(N)).to(torch.complex64).repeat(H, 1)
    C = torch.randn(H, N, generator=g, dtype=torch.complex64)
    dt = torch.exp(torch.rand(H, generator=g) * (math.log(0.1) - math.log(1e-3)) + math.log(1e-3))
    rows = []
    for L in lengths:
        u = torch.randn(2, H, L, generator=g)
        K = factored(A, C, dt, L)
        rec = best_time(lambda: recurrence(u, A, C, dt), repeat=2)
        cached = best_time(lambda: conv(u, K), repeat=5)
        with_factored = best_time(lambda: conv(u, factored(A, C, dt, L)), repeat=5)
        with_vandermonde = best_time(lambda: conv(u, kernel(A, C, dt, L)), repeat=2)
        shape = f"B=2, H={H}, N={N}"
        rows += [
            {"benchmark": f"S4D FFT conv (kernel cached) vs recurrence, L={L}", "ratio": rec / cached,
             "detail": f"{shape}: recurrence {rec * 1e3:.1f} ms, conv {cached * 1e3:.2f} ms"},
            {"benchmark": f"S4D FFT conv + factorised kernel vs recurrence, L={L}", "ratio": rec / with_factored,
             "detail": f"{shape}: conv with kernel {with_factored * 1e3:.2f} ms"},
            {"benchmark": f"S4D FFT conv + materialised Vandermonde vs recurrence, L={L}", "ratio": rec / with_vandermonde,
             "detail": f"{shape}: the pitfall, {with_vandermonde * 1e3:.1f} ms"},
        ]
    return rows


def _scan_rows(lengths: tuple[int, ...]) -> list[dict]:
    ns = notebook_namespace(SOLUTIONS / "03_selective_scans.py", until="agree-intro")
    loop, chunked, parallel = ns["selective_scan"], ns["selective_scan_chunked"], ns["selective_scan_parallel"]
    inputs = ns["random_selective_inputs"]
    g = torch.Generator().manual_seed(0)
    rows = []
    for L in lengths:
        args = inputs(1, 32, 8, L, g)
        slow = best_time(lambda: loop(*args), repeat=2)
        fast = best_time(lambda: chunked(*args), repeat=5)
        par = best_time(lambda: parallel(*args), repeat=3)
        shape = "batch 1, D=32, N=8"
        rows += [
            {"benchmark": f"S6 chunked scan (T=32) vs per-step loop, L={L}", "ratio": slow / fast,
             "detail": f"{shape}: loop {slow * 1e3:.1f} ms, chunked {fast * 1e3:.1f} ms"},
            {"benchmark": f"S6 Hillis-Steele scan vs per-step loop, L={L}", "ratio": slow / par,
             "detail": f"{shape}: parallel {par * 1e3:.1f} ms"},
        ]
    return rows


def run(quick: bool = False) -> list[dict]:
    """Speed ratios (slow / fast) measured side by side in this run."""
    lengths = (1024,) if quick else (1024, 4096)
    return _s4d_rows(lengths) + _scan_rows(lengths)
