"""The grading toolkit that hidden tests use: checkers built on torch.testing, autograd and scipy.stats.

It holds checks, never answers. Each check raises an AssertionError whose message says what to fix:

- `assert_values`: values and dtype, with dtype-aware tolerances tight enough that float32 work in a
  float64 exercise fails (a bare `allclose` keeps rtol=1e-5, which hides it);
- `assert_unchanged`: calls a function and fails if it changed any argument in place (tensors, arrays,
  containers, and modules: weights, requires_grad flags, train/eval mode);
- `assert_grads_match`: the gradients of a function against those of an independent reference;
- `assert_samples_follow`: a chi-square goodness-of-fit test of samples against the joint distribution
  the statement defines, at a fixed significance;
- `assert_raises`: the error a statement promises, with the argument named;
- `assert_fresh`, `assert_defaults`, `forbidden`: "return a new tensor", the signature's defaults,
  "do not call X";
- `signed_inputs`: inputs that include negative values, ties and length 1.
"""

from __future__ import annotations

import copy
import inspect
import math
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

# (rtol, atol) by dtype. float64: far below float32's ~1e-7 relative error, far above float64 round-off
# of the exercises' short computations. Tests with a long or ill-conditioned computation pass their own.
TOLERANCES: dict[torch.dtype, tuple[float, float]] = {
    torch.float64: (1e-9, 1e-11),
    torch.complex128: (1e-9, 1e-11),
    torch.float32: (1e-5, 1e-6),
    torch.complex64: (1e-5, 1e-6),
    torch.float16: (1e-3, 1e-4),
    torch.bfloat16: (1e-2, 1e-3),
}


def _as_tensor(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return torch.from_numpy(x)
    return x


def _tolerances(expected: Any, rtol: float | None, atol: float | None) -> tuple[float | None, float | None]:
    if rtol is not None and atol is not None:
        return rtol, atol
    dtype = expected.dtype if isinstance(expected, torch.Tensor) else None
    if dtype in TOLERANCES:
        default_rtol, default_atol = TOLERANCES[dtype]
        return (default_rtol if rtol is None else rtol), (default_atol if atol is None else atol)
    if isinstance(expected, torch.Tensor) and not (expected.is_floating_point() or expected.is_complex()):
        return 0.0, 0.0  # integers and booleans: exact
    if rtol is None and atol is None:
        return None, None  # torch.testing's own defaults for Python numbers
    return (0.0 if rtol is None else rtol), (0.0 if atol is None else atol)


def assert_values(got: Any, expected: Any, *, rtol: float | None = None, atol: float | None = None,
                  check_dtype: bool = True, equal_nan: bool = False, what: str = "the result") -> None:
    """`got` equals `expected` (tensors, arrays, numbers or nested tuples/lists/dicts of them), with the
    same dtype and shape, within the dtype's tolerance (see TOLERANCES) unless rtol/atol are given."""
    got, expected = _as_tensor(got), _as_tensor(expected)
    if isinstance(expected, torch.Tensor) and not isinstance(got, torch.Tensor):
        raise AssertionError(f"{what}: expected a torch.Tensor, got {type(got).__name__}")
    if isinstance(expected, torch.Tensor) and got.shape != expected.shape:
        raise AssertionError(f"{what}: expected shape {tuple(expected.shape)}, got {tuple(got.shape)}")
    if check_dtype and isinstance(expected, torch.Tensor) and got.dtype != expected.dtype:
        raise AssertionError(f"{what}: expected dtype {expected.dtype}, got {got.dtype} "
                             "(keep the input's dtype; do not compute in another precision)")
    r, a = _tolerances(expected, rtol, atol)
    kwargs = {} if r is None else {"rtol": r, "atol": a}
    torch.testing.assert_close(got, expected, check_dtype=check_dtype, equal_nan=equal_nan,
                               msg=lambda m: f"{what}: {m}", **kwargs)


def _module_state(module: torch.nn.Module) -> dict[str, Any]:
    return {"training": [m.training for m in module.modules()],
            "requires_grad": [p.requires_grad for p in module.parameters()],
            "state": {k: v.detach().clone() for k, v in module.state_dict().items()}}


def _snapshot(value: Any) -> Any:
    if isinstance(value, torch.nn.Module):
        return _module_state(value)
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple, dict, set)):
        return copy.deepcopy(value) if not _holds_tensors(value) else type(value)(
            {k: _snapshot(v) for k, v in value.items()} if isinstance(value, dict) else [_snapshot(v) for v in value])
    return value


def _holds_tensors(value: Any) -> bool:
    items = value.values() if isinstance(value, dict) else value
    return any(isinstance(v, (torch.Tensor, np.ndarray)) or
               (isinstance(v, (list, tuple, dict)) and _holds_tensors(v)) for v in items)


def _same(before: Any, after: Any) -> bool:
    if isinstance(after, torch.nn.Module):  # weights, requires_grad flags and train/eval mode
        now = _module_state(after)
        return (before["training"] == now["training"] and before["requires_grad"] == now["requires_grad"]
                and before["state"].keys() == now["state"].keys()
                and all(_same(before["state"][k], now["state"][k]) for k in before["state"]))
    if isinstance(before, torch.Tensor):
        if not (isinstance(after, torch.Tensor) and before.shape == after.shape and before.dtype == after.dtype):
            return False
        after = after.detach()
        if not (before.is_floating_point() or before.is_complex()):
            return bool(torch.equal(before, after))
        nan = before.isnan()  # NaN equals NaN here; +-inf and every other value must match exactly
        return bool(torch.equal(nan, after.isnan())) and bool(torch.equal(before[~nan], after[~nan]))
    if isinstance(before, np.ndarray):
        return isinstance(after, np.ndarray) and np.array_equal(before, after, equal_nan=before.dtype.kind in "fc")
    if isinstance(before, dict):
        return isinstance(after, dict) and before.keys() == after.keys() and all(_same(before[k], after[k]) for k in before)
    if isinstance(before, (list, tuple)):
        return (isinstance(after, (list, tuple)) and len(before) == len(after)
                and all(_same(b, a) for b, a in zip(before, after)))
    try:
        return bool(before == after)
    except Exception:  # objects without a usable ==: not checked
        return True


def assert_unchanged(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call `fn(*args, **kwargs)` and return its result; fail if it changed any argument in place."""
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
        named = dict(bound.arguments)
    except (TypeError, ValueError):
        named = {f"argument {i}": a for i, a in enumerate(args)} | dict(kwargs)
    before = {name: _snapshot(value) for name, value in named.items()}
    result = fn(*args, **kwargs)
    for name, value in named.items():
        if not _same(before[name], value):
            hint = ("restore its weights, requires_grad flags and train/eval mode" if isinstance(value, torch.nn.Module)
                    else "work on a copy (x.clone(), list(xs), dict(d)) or build a new object")
            raise AssertionError(f"{getattr(fn, '__name__', 'the function')} changed its argument `{name}` in place; {hint}")
    return result


def assert_fresh(result: Any, *inputs: Any, what: str = "the result") -> None:
    """No tensor in `result` shares memory with a tensor in `inputs` (a statement that asks for "a new
    tensor" rules out returning an argument, or a view of it)."""
    def storages(value: Any) -> set[int]:
        return {t.untyped_storage().data_ptr() for t in _flatten(value) if t.numel() > 0}

    shared = storages(result) & storages(list(inputs))
    if shared:
        raise AssertionError(f"{what} shares memory with an argument (returned the input or a view of it); "
                             "return a new tensor, e.g. x.clone()")


def assert_defaults(fn: Callable[..., Any], **defaults: Any) -> None:
    """`fn`'s parameters have the defaults the statement's signature gives."""
    params = inspect.signature(fn).parameters
    for name, value in defaults.items():
        if name not in params:
            raise AssertionError(f"{fn.__name__} has no parameter `{name}` (keep the given signature)")
        if params[name].default is inspect.Parameter.empty or params[name].default != value:
            got = "none" if params[name].default is inspect.Parameter.empty else repr(params[name].default)
            raise AssertionError(f"{fn.__name__}: `{name}` must default to {value!r}, got {got} (keep the given signature)")


class forbidden:
    """`with forbidden("torch.logsumexp", "torch.nn.functional.scaled_dot_product_attention"): ...` makes
    each named function raise while the block runs, for statements that say "do not call X"."""

    def __init__(self, *names: str) -> None:
        self.names = names
        self.saved: list[tuple[Any, str, Any]] = []

    def __enter__(self) -> forbidden:
        import importlib

        for name in self.names:
            module_name, attr = name.rsplit(".", 1)
            owner = importlib.import_module(module_name)
            original = getattr(owner, attr)

            def refuse(*args: Any, _name: str = name, **kwargs: Any) -> Any:
                raise AssertionError(f"the statement asks you not to call {_name}: implement it yourself")

            self.saved.append((owner, attr, original))
            setattr(owner, attr, refuse)
            if module_name == "torch" and hasattr(torch.Tensor, attr):  # x.logsumexp(...) too
                self.saved.append((torch.Tensor, attr, getattr(torch.Tensor, attr)))
                setattr(torch.Tensor, attr, refuse)
        return self

    def __exit__(self, *exc: Any) -> None:
        for owner, attr, original in reversed(self.saved):
            setattr(owner, attr, original)
        self.saved.clear()


def _leaves(inputs: Sequence[Any], argnums: Iterable[int] | None) -> list[Any]:
    wanted = set(range(len(inputs))) if argnums is None else set(argnums)
    out = []
    for i, x in enumerate(inputs):
        if i in wanted and isinstance(x, torch.Tensor) and (x.is_floating_point() or x.is_complex()):
            out.append(x.detach().clone().requires_grad_(True))
        else:
            out.append(x)
    return out


def _flatten(out: Any) -> list[torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, dict):
        return [t for v in out.values() for t in _flatten(v)]
    if isinstance(out, (list, tuple)):
        return [t for v in out for t in _flatten(v)]
    return []


def _weighted_sum(out: Any, seed: int) -> torch.Tensor:
    parts = [t for t in _flatten(out) if t.is_floating_point() or t.is_complex()]
    if not parts:
        raise AssertionError("the function returned no floating-point tensor to differentiate")
    g = torch.Generator().manual_seed(seed)
    total = 0
    for t in parts:
        w = torch.randn(t.shape, generator=g, dtype=torch.float64).to(t.real.dtype if t.is_complex() else t.dtype)
        total = total + ((t.real * w).sum() + (t.imag * w).sum() if t.is_complex() else (t * w).sum())
    return total


def assert_grads_match(fn: Callable[..., Any], reference: Callable[..., Any], *inputs: Any,
                       argnums: Iterable[int] | None = None, rtol: float | None = None,
                       atol: float | None = None, what: str | None = None) -> None:
    """The gradients of a random weighted sum of `fn(*inputs)` with respect to each floating-point tensor
    input (or those in `argnums`) match those of `reference(*inputs)`; fails when a gradient is missing
    (detached, torch.no_grad, rebuilt with torch.tensor), NaN or different."""
    name = what or getattr(fn, "__name__", "the function")
    mine, theirs = _leaves(inputs, argnums), _leaves(inputs, argnums)
    ref_loss = _weighted_sum(reference(*theirs), seed=0)
    ref_grads = torch.autograd.grad(ref_loss, [x for x in theirs if isinstance(x, torch.Tensor) and x.requires_grad],
                                    allow_unused=True)
    out = fn(*mine)
    parts = [t for t in _flatten(out) if t.is_floating_point() or t.is_complex()]
    if parts and not any(t.requires_grad for t in parts):
        raise AssertionError(f"{name}: no gradient flows to its inputs (its result is detached: .detach(), "
                             "torch.no_grad(), .item() or torch.tensor(...) on computed values break the graph)")
    loss = _weighted_sum(out, seed=0)
    leaves = [x for x in mine if isinstance(x, torch.Tensor) and x.requires_grad]
    grads = torch.autograd.grad(loss, leaves, allow_unused=True)
    index = [i for i, x in enumerate(mine) if isinstance(x, torch.Tensor) and x.requires_grad]
    for i, g, r in zip(index, grads, ref_grads):
        label = f"{name}: the gradient with respect to argument {i}"
        if r is None:
            continue
        if g is None:
            raise AssertionError(f"{label} is missing: that input does not reach the result through autograd")
        if torch.isnan(g).any() and not torch.isnan(r).any():
            raise AssertionError(f"{label} has NaN entries (torch.where with an inf/NaN branch still "
                                 "back-propagates through it: compute the branch on safe values)")
        assert_values(g, r, rtol=rtol, atol=atol, what=label)


def assert_samples_follow(samples: Iterable[Hashable], probs: Mapping[Hashable, float], *,
                          alpha: float = 1e-3, what: str = "the samples") -> None:
    """A chi-square goodness-of-fit test: the outcomes in `samples` (hashable: use tuples for joint
    outcomes) follow `probs` (outcome -> probability, summing to 1). Outcomes outside `probs` fail at once;
    bins expected below 5 counts are pooled. Use a fixed seed: the test then gives the same verdict."""
    from scipy.stats import chisquare

    counts = Counter(samples)
    n = sum(counts.values())
    if n == 0:
        raise AssertionError(f"{what}: no samples")
    impossible = [k for k in counts if probs.get(k, 0) <= 0]
    if impossible:
        raise AssertionError(f"{what}: outcome {impossible[0]!r} has probability 0 but was sampled "
                             f"{counts[impossible[0]]} times")
    total = sum(probs.values())
    if not math.isclose(total, 1.0, rel_tol=0, abs_tol=1e-6):
        raise ValueError(f"probs must sum to 1, got {total}")
    keys = sorted(probs, key=lambda k: -probs[k])
    observed, expected, pool_obs, pool_exp = [], [], 0.0, 0.0
    for k in keys:
        e = probs[k] * n
        if e >= 5:
            observed.append(counts.get(k, 0))
            expected.append(e)
        else:
            pool_obs += counts.get(k, 0)
            pool_exp += e
    if pool_exp > 0:
        observed.append(pool_obs)
        expected.append(pool_exp)
    if len(observed) < 2:
        return
    scale = sum(observed) / sum(expected)  # guard against float round-off in the pooled total
    stat, p = chisquare(observed, [e * scale for e in expected])
    if p < alpha:
        worst = max(keys, key=lambda k: abs(counts.get(k, 0) - probs[k] * n) / math.sqrt(max(probs[k] * n, 1e-12)))
        raise AssertionError(f"{what} do not follow the distribution the statement defines (chi-square p={p:.1e} "
                             f"over {n} samples); e.g. outcome {worst!r}: {counts.get(worst, 0)} observed, "
                             f"{probs[worst] * n:.1f} expected")


def assert_raises(error: type[BaseException], fn: Callable[..., Any], *args: Any, match: str | None = None,
                  **kwargs: Any) -> None:
    """`fn(*args, **kwargs)` raises `error` (whose message contains `match`, when given)."""
    try:
        fn(*args, **kwargs)
    except error as exc:
        if match is not None and match not in str(exc):
            raise AssertionError(f"{error.__name__} raised, but its message should mention {match!r}: {exc}") from None
        return
    except Exception as exc:
        raise AssertionError(f"expected {error.__name__}, got {type(exc).__name__}: {exc}") from None
    raise AssertionError(f"expected {error.__name__} for arguments {args} {kwargs or ''}".rstrip())


def signed_inputs(*shape: int, generator: torch.Generator, dtype: torch.dtype = torch.float64,
                  scale: float = 1.0) -> list[torch.Tensor]:
    """Test inputs of `shape`: standard normal (so half negative), with ties (values rounded to a grid),
    all equal, and the same with the last dimension of length 1."""
    base = torch.randn(*shape, generator=generator, dtype=torch.float64) * scale
    ties = torch.round(base * 2) / 2
    flat = torch.full(shape, -0.5 * scale, dtype=torch.float64)
    one = torch.randn(*shape[:-1], 1, generator=generator, dtype=torch.float64) * scale if shape else base
    return [x.to(dtype) for x in (base, ties, flat, one)]
