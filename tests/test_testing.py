"""The grading toolkit (utils/testing.py): every check passes a correct case and fails on a planted fault."""

from __future__ import annotations

import math

import pytest
import torch

from utils.testing import (
    assert_defaults,
    assert_fresh,
    assert_grads_match,
    assert_raises,
    assert_samples_follow,
    assert_unchanged,
    assert_values,
    forbidden,
    signed_inputs,
)

G = torch.Generator().manual_seed(0)


def test_values_catch_float32_work_and_wrong_dtype() -> None:
    x = torch.randn(50, generator=G, dtype=torch.float64)
    assert_values(torch.exp(x), torch.exp(x))
    with pytest.raises(AssertionError, match="not close"):  # float32 work cast back: ~1e-7 off
        assert_values(torch.exp(x.float()).double(), torch.exp(x))
    with pytest.raises(AssertionError, match="dtype"):
        assert_values(torch.exp(x).float(), torch.exp(x))
    with pytest.raises(AssertionError, match="shape"):
        assert_values(torch.exp(x)[:-1], torch.exp(x))
    with pytest.raises(AssertionError, match="expected a torch.Tensor"):
        assert_values(torch.exp(x).tolist(), torch.exp(x))
    assert_values(torch.tensor([1, 2]), torch.tensor([1, 2]))
    with pytest.raises(AssertionError):
        assert_values(torch.tensor([1, 3]), torch.tensor([1, 2]))  # integers: exact


def test_unchanged_catches_in_place_writes() -> None:
    def clean(x, ys):
        return x * 2 + sum(ys)

    def dirty(x, ys):
        x[0] += 1
        return x

    def dirty_list(x, ys):
        ys[0].mul_(2)
        return x

    x, ys = torch.ones(3), [torch.ones(3)]
    assert torch.equal(assert_unchanged(clean, x, ys), torch.full((3,), 3.0))
    with pytest.raises(AssertionError, match="changed its argument `x` in place"):
        assert_unchanged(dirty, torch.ones(3), ys)
    with pytest.raises(AssertionError, match="`ys`"):
        assert_unchanged(dirty_list, x, [torch.ones(3)])
    nan = torch.tensor([math.nan, 1.0])
    assert_unchanged(lambda t: t + 1, nan)  # NaN equals NaN for this check
    with pytest.raises(AssertionError, match="in place"):  # -inf replaced by the largest finite value
        assert_unchanged(lambda t: t.nan_to_num_(), torch.tensor([-math.inf, 1.0]))


def test_grads_catch_detached_missing_and_nan_gradients() -> None:
    x = torch.randn(4, 5, generator=G, dtype=torch.float64)
    ref = lambda t: torch.logsumexp(t, dim=1)  # noqa: E731
    stable = lambda t: t.detach().amax(1, keepdim=True).squeeze(1) + torch.log(  # noqa: E731
        torch.exp(t - t.detach().amax(1, keepdim=True)).sum(1))
    assert_grads_match(stable, ref, x)  # a detached shift whose gradient cancels is correct
    with pytest.raises(AssertionError, match="no gradient flows"):
        assert_grads_match(lambda t: ref(t).detach(), ref, x)
    with pytest.raises(AssertionError, match="no gradient flows"):
        assert_grads_match(lambda t: torch.tensor([v.item() for v in ref(t)], dtype=t.dtype), ref, x)
    with pytest.raises(AssertionError, match="not close"):
        assert_grads_match(lambda t: 2 * ref(t) - ref(t.detach()), ref, x)  # value right, gradient doubled

    def where_nan(m):  # the classic: a torch.where branch that is inf where it is not taken
        return torch.where(m > 30, m, torch.log1p(torch.exp(m)))

    big = torch.tensor([1.0, 800.0], dtype=torch.float64)
    with pytest.raises(AssertionError, match="NaN"):
        assert_grads_match(where_nan, torch.nn.functional.softplus, big)
    two = lambda a, b: a * b.sum()  # noqa: E731
    with pytest.raises(AssertionError, match="argument 1 is missing"):
        assert_grads_match(lambda a, b: a * b.detach().sum(), two, x, x)


def test_samples_follow_catches_wrong_joint_distribution() -> None:
    g = torch.Generator().manual_seed(1)
    probs = {(0, 0): 0.4, (1, 1): 0.4, (0, 1): 0.1, (1, 0): 0.1}
    keys = list(probs)
    p = torch.tensor([probs[k] for k in keys])
    draws = [keys[i] for i in torch.multinomial(p, 4000, replacement=True, generator=g).tolist()]
    assert_samples_follow(draws, probs)
    # right marginals (each coordinate 0 or 1 half the time), wrong joint: independent coordinates
    a = torch.randint(0, 2, (4000,), generator=g).tolist()
    b = torch.randint(0, 2, (4000,), generator=g).tolist()
    with pytest.raises(AssertionError, match="do not follow"):
        assert_samples_follow(list(zip(a, b)), probs)
    with pytest.raises(AssertionError, match="probability 0"):
        assert_samples_follow([(0, 0), (2, 2)], probs)


def test_raises_and_inputs() -> None:
    def needs_positive(n):
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        return n

    assert_raises(ValueError, needs_positive, 0, match="n must be")
    with pytest.raises(AssertionError, match="expected ValueError"):
        assert_raises(ValueError, needs_positive, 3)
    with pytest.raises(AssertionError, match="should mention"):
        assert_raises(ValueError, needs_positive, 0, match="window")
    with pytest.raises(AssertionError, match="got TypeError"):
        assert_raises(ValueError, needs_positive, "x")
    inputs = signed_inputs(3, 4, generator=torch.Generator().manual_seed(0))
    assert (inputs[0] < 0).any() and inputs[1].unique().numel() < inputs[1].numel() and inputs[3].shape == (3, 1)
    assert all(t.dtype == torch.float64 for t in inputs)


def test_modules_fresh_results_defaults_and_forbidden_calls() -> None:
    net = torch.nn.Linear(2, 2)
    assert_unchanged(lambda m: m(torch.ones(2)), net)
    for spoil in (lambda m: m.eval(), lambda m: m.requires_grad_(False), lambda m: m.weight.data.add_(1)):
        with pytest.raises(AssertionError, match="in place"):
            assert_unchanged(spoil, torch.nn.Linear(2, 2))
    x = torch.ones(3)
    assert_fresh(x.clone(), x)
    with pytest.raises(AssertionError, match="shares memory"):
        assert_fresh(x, x)
    with pytest.raises(AssertionError, match="shares memory"):
        assert_fresh((x[1:],), x)

    def f(a, use_cache=True):
        return a

    assert_defaults(f, use_cache=True)
    with pytest.raises(AssertionError, match="default to False"):
        assert_defaults(f, use_cache=False)
    with forbidden("torch.logsumexp", "torch.nn.functional.scaled_dot_product_attention"):
        with pytest.raises(AssertionError, match="not to call torch.logsumexp"):
            torch.logsumexp(x, 0)
        with pytest.raises(AssertionError, match="not to call"):
            x.logsumexp(0)
    assert torch.logsumexp(x, 0).item() == pytest.approx(math.log(3) + 1)  # restored
