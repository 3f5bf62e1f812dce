"""Unit tests of utils/ssm.py: data, model shells, training loops (the lessons' support code)."""

from __future__ import annotations

import math

import pytest
import torch

from utils.ssm import (
    MambaBlock,
    SequenceClassifier,
    SequenceData,
    TokenModel,
    copying_accuracy,
    evaluate_classifier,
    legendre_basis,
    load_sequential_digits,
    selective_copying,
    ssm_parameters,
    train_classifier,
    train_copying,
)


def _loop_scan(u, delta, A, B, C):
    """A plain selective scan for the shells (tests only)."""
    h = u.new_zeros(u.shape[0], A.shape[0], A.shape[1])
    ys = []
    for t in range(u.shape[2]):
        h = torch.exp(delta[:, :, t, None] * A) * h + (delta[:, :, t] * u[:, :, t])[..., None] * B[:, None, :, t]
        ys.append((h * C[:, None, :, t]).sum(-1))
    return torch.stack(ys, dim=2)


class _Identity(torch.nn.Module):
    def forward(self, u: torch.Tensor) -> torch.Tensor:
        return u


def test_sequential_digits_shapes_and_split():
    data = load_sequential_digits()
    assert data.x_train.shape[1] == 64 and data.length == 64
    assert len(data.x_train) + len(data.x_test) == 1797
    assert data.x_train.dtype == torch.float32 and data.y_train.dtype == torch.int64
    assert abs(torch.cat([data.x_train, data.x_test]).mean().item()) < 1e-4  # standardised
    assert set(data.y_train.tolist()) == set(range(10))


def test_sequential_digits_permuted_and_padded():
    plain, perm = load_sequential_digits(seed=1), load_sequential_digits(permute=True, seed=1)
    assert torch.equal(plain.y_train, perm.y_train)
    assert not torch.equal(plain.x_train, perm.x_train)
    assert torch.allclose(plain.x_train.sort(dim=1).values, perm.x_train.sort(dim=1).values)
    padded = load_sequential_digits(pad_to=100)
    assert padded.length == 100 and torch.all(padded.x_train[:, 64:] == 0)


@pytest.mark.parametrize("kwargs", [{"test_fraction": 0.0}, {"test_fraction": 1.5}, {"pad_to": 10}])
def test_sequential_digits_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        load_sequential_digits(**kwargs)


def test_selective_copying_structure():
    g = torch.Generator().manual_seed(0)
    inputs, targets = selective_copying(50, 32, n_memorize=4, vocab=5, generator=g)
    assert inputs.shape == (50, 32) and targets.shape == (50, 4)
    assert torch.all(inputs[:, -4:] == 6), "the last positions are query markers"
    body = inputs[:, :-4]
    assert torch.all((body > 0).sum(1) == 4), "exactly n_memorize data tokens"
    for row, tgt in zip(body, targets, strict=True):
        assert row[row > 0].tolist() == tgt.tolist(), "targets are the data tokens in order"
    assert targets.min() >= 1 and targets.max() <= 5


def test_selective_copying_is_seeded_and_validates():
    a = selective_copying(4, 20, generator=torch.Generator().manual_seed(3))
    b = selective_copying(4, 20, generator=torch.Generator().manual_seed(3))
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    with pytest.raises(ValueError, match="length"):
        selective_copying(4, 5, n_memorize=4)
    with pytest.raises(ValueError, match="vocab"):
        selective_copying(4, 20, vocab=1)


def test_legendre_basis_is_orthonormal():
    s = torch.linspace(0, 1, 20001, dtype=torch.float64)
    P = legendre_basis(6, s)
    gram = torch.trapezoid(P[:, None, :] * P[None, :, :], s, dim=-1)
    assert torch.allclose(gram, torch.eye(6, dtype=torch.float64), atol=1e-4)
    with pytest.raises(ValueError):
        legendre_basis(0, s)
    with pytest.raises(ValueError, match="dimensions"):
        legendre_basis(3, s[None])


def test_sequence_classifier_shapes_and_readout():
    model = SequenceClassifier(lambda H: _Identity(), d_model=8, n_layers=2, n_classes=3)
    assert model(torch.randn(5, 16)).shape == (5, 3)
    assert model(torch.randn(5, 16, 1)).shape == (5, 3)
    last = SequenceClassifier(lambda H: _Identity(), d_model=8, readout="last")
    assert last(torch.randn(2, 7)).shape == (2, 10)
    with pytest.raises(ValueError, match="readout"):
        SequenceClassifier(lambda H: _Identity(), readout="max")
    with pytest.raises(ValueError, match="dimensions"):
        model(torch.randn(2, 3, 4, 5))


def test_train_classifier_learns_a_trivial_task():
    torch.manual_seed(0)
    x = torch.randn(200, 12)
    y = (x.mean(1) > 0).long()
    data = SequenceData(x[:150], y[:150], x[150:], y[150:])
    model = SequenceClassifier(lambda H: _Identity(), d_model=8, n_layers=1, n_classes=2)
    history = train_classifier(model, data, epochs=15, batch_size=32, lr=1e-2,
                               generator=torch.Generator().manual_seed(0))
    assert len(history["loss"]) == 15 and history["loss"][-1] < history["loss"][0]
    assert evaluate_classifier(model, data.x_test, data.y_test) > 0.8
    with pytest.raises(ValueError):
        evaluate_classifier(model, data.x_test, data.y_test[:3])


def test_ssm_parameters_get_their_own_group():
    layer = torch.nn.Linear(2, 2)
    layer.weight._ssm = True
    assert ssm_parameters(layer) == [layer.weight]


def _select(x, x_proj_weight, dt_proj_weight, dt_proj_bias):
    """Mamba's selection (Algorithm 2 of Gu & Dao), written per position for the shell's tests."""
    n = (x_proj_weight.shape[0] - 1) // 2
    proj = torch.einsum("kd,bdl->bkl", x_proj_weight, x)
    delta = torch.nn.functional.softplus(torch.einsum("dk,bkl->bdl", dt_proj_weight, proj[:, :1]) + dt_proj_bias[:, None])
    return delta, proj[:, 1:1 + n], proj[:, 1 + n:]


@pytest.mark.parametrize("selective", [True, False])
def test_mamba_block_causal_and_shapes(selective):
    torch.manual_seed(0)
    block = MambaBlock(8, _loop_scan, d_state=4, select_fn=_select if selective else None)
    assert block.selective == selective
    h = torch.randn(2, 10, 8)
    out = block(h)
    assert out.shape == (2, 10, 8)
    h2 = h.clone()
    h2[:, 6:] += 1.0
    assert torch.allclose(block(h2)[:, :6], out[:, :6], atol=1e-6), "future inputs must not change past outputs"


def test_token_model_and_copying_loop():
    torch.manual_seed(0)
    model = TokenModel(6, _loop_scan, d_model=8, n_layers=1, d_state=2, select_fn=_select)
    inputs, targets = selective_copying(4, 16, generator=torch.Generator().manual_seed(0))
    assert model(inputs).shape == (4, 16, 6)
    acc = copying_accuracy(model, inputs, targets)
    assert 0.0 <= acc <= 1.0
    g = torch.Generator().manual_seed(1)
    history = train_copying(model, lambda: selective_copying(4, 16, generator=g), max_steps=3)
    assert len(history["loss"]) == 3 and all(math.isfinite(v) for v in history["loss"])
    timed = train_copying(model, lambda: selective_copying(4, 16, generator=g), seconds=0.0, max_steps=50)
    assert len(timed["loss"]) == 1, "stops as soon as the time budget is spent"
