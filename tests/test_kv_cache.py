"""Unit tests of utils.kv_cache: corpus, RoPE, the cached decoder, selective recompute, the shipped checkpoint."""

from __future__ import annotations

import random
import re

import pytest
import torch

from utils.kv_cache import (
    CHECKPOINT,
    CHUNK_LEN,
    Config,
    TinyDecoder,
    TrainConfig,
    adjacent_cosine,
    answer_mask,
    apply_rope,
    decode,
    encode,
    evaluate,
    heldout_batch,
    load_model,
    make_batch,
    make_chunks,
    score_continuation,
    selective_recompute,
    train,
)

SMALL = Config(d_model=32, n_layers=3, n_heads=2, max_len=256)


def test_encode_decode_roundtrip_and_bad_input() -> None:
    text = "A=42; ?A=42; the old man."
    assert decode(encode(text)) == text
    with pytest.raises(ValueError, match="alphabet"):
        encode("A=4!")
    with pytest.raises(TypeError):
        encode(42)  # type: ignore[arg-type]


def test_chunks_have_fixed_length_and_queries_resolve() -> None:
    rng = random.Random(3)
    for _ in range(50):
        chunks = make_chunks(rng, 4)
        assert len(chunks) == 4 and all(len(c) == CHUNK_LEN for c in chunks)
        values: dict[str, str] = {}
        for item in re.findall(r"\??[A-Z]=[A-Z0-9]+;", "".join(chunks)):
            name, rhs = item.rstrip(";").lstrip("?").split("=")
            if item.startswith("?"):
                assert values[name] == rhs, f"query {item} does not match the binding {values.get(name)}"
            elif rhs.isdigit():
                values[name] = rhs
            else:
                values[name] = values[rhs]  # an alias refers to an earlier name
    with pytest.raises(ValueError):
        make_chunks(rng, 0)


def test_batches_are_deterministic_and_masks_mark_answers() -> None:
    assert torch.equal(make_batch(3, seed=7), make_batch(3, seed=7))
    assert not torch.equal(make_batch(3, seed=7), make_batch(3, seed=8))
    x = encode("?B=17; A=3").unsqueeze(0)
    m = answer_mask(x)[0]
    assert m.nonzero().flatten().tolist() == [2, 3]  # '=' predicts '1', '1' predicts '7'
    with pytest.raises(ValueError, match="batch, length"):
        answer_mask(x[0])


def test_rope_keeps_norms_and_depends_on_offsets_only() -> None:
    g = torch.Generator().manual_seed(0)
    q, k = torch.randn(1, 16, generator=g), torch.randn(1, 16, generator=g)
    s1 = apply_rope(q, torch.tensor([9])) @ apply_rope(k, torch.tensor([4])).T
    s2 = apply_rope(q, torch.tensor([105])) @ apply_rope(k, torch.tensor([100])).T
    assert torch.allclose(s1, s2, atol=1e-4)
    assert torch.allclose(apply_rope(q, torch.tensor([33])).norm(), q.norm(), atol=1e-5)
    with pytest.raises(ValueError, match="positions"):
        apply_rope(q, torch.tensor([1, 2]))


def test_cached_forward_matches_full_forward() -> None:
    torch.manual_seed(0)
    model = TinyDecoder(SMALL).eval()
    x = make_batch(2, seed=1)[:, :90]
    with torch.no_grad():
        full, cache = model(x)
        a, c1 = model(x[:, :50])
        b, c2 = model(x[:, 50:51], past=c1)
        c, _ = model(x[:, 51:], past=c2)
    assert len(cache) == SMALL.n_layers and cache[0][0].shape == (2, SMALL.n_heads, 90, SMALL.head_dim)
    assert torch.allclose(torch.cat([a, b, c], dim=1), full, atol=1e-5)
    with pytest.raises(ValueError, match="max_len"):
        model(torch.zeros(1, SMALL.max_len + 1, dtype=torch.long))
    with pytest.raises(ValueError, match="batch, length"):
        model(x[0])


def test_selective_recompute_all_tokens_gives_the_exact_cache() -> None:
    torch.manual_seed(1)
    model = TinyDecoder(SMALL).eval()
    x = make_batch(1, seed=2)[:, :128]
    with torch.no_grad():
        _, exact = model(x)
        _, first = model(x[:, :64])
        _, second = model(x[:, 64:])  # isolated: positions 0..63, no context
        stitched = [(torch.cat([a[0], b[0]], 2), torch.cat([a[1], b[1]], 2)) for a, b in zip(first, second)]
        all_tokens = selective_recompute(model, x, stitched, torch.ones(128, dtype=torch.bool))
        none = selective_recompute(model, x, stitched, torch.zeros(128, dtype=torch.bool))
    for (k, v), (ke, ve) in zip(all_tokens, exact):
        assert torch.allclose(k, ke, atol=1e-5) and torch.allclose(v, ve, atol=1e-5)
    for (k, _), (ks, _) in zip(none, stitched):
        assert torch.equal(k, ks)
    with pytest.raises(ValueError, match="bool"):
        selective_recompute(model, x, stitched, torch.ones(128))


def test_score_continuation_default_cache_and_adjacent_cosine() -> None:
    torch.manual_seed(2)
    model = TinyDecoder(SMALL).eval()
    x = make_batch(2, seed=3)
    out = score_continuation(model, x, 128)
    with torch.no_grad():
        logits, cache = model(x[:, :-1])
    ref = torch.nn.functional.cross_entropy(logits[:, 128:].transpose(1, 2), x[:, 129:])
    assert abs(out["loss"] - ref.item()) < 1e-4
    same = score_continuation(model, x, 128, ref_logits=out["logits"])
    assert same["kl"] < 1e-8 and same["top1"] == 1.0
    cos = adjacent_cosine(cache)
    assert cos.shape == (SMALL.n_layers - 1, 2) and (cos.abs() <= 1 + 1e-6).all()


def test_training_is_deterministic() -> None:
    tcfg = TrainConfig(steps=3, batch=2, warmup=1)
    a = train(SMALL, tcfg, out=None, log_every=0)
    b = train(SMALL, tcfg, out=None, log_every=0)
    x = heldout_batch(4)
    assert abs(evaluate(a, x)["loss"] - evaluate(b, x)["loss"]) < 1e-6


@pytest.mark.skipif(not CHECKPOINT.is_file(), reason="no shipped checkpoint")
def test_shipped_checkpoint_heldout_loss() -> None:
    blob = torch.load(CHECKPOINT, map_location="cpu", weights_only=True)
    model = load_model()
    ev = evaluate(model)
    assert abs(ev["loss"] - blob["heldout"]["loss"]) < 1e-4, "the checkpoint's recorded held-out loss must reproduce"
    assert ev["loss"] < 0.65, f"held-out loss {ev['loss']:.3f} nats/char: the shipped model is undertrained"
    assert ev["answer_acc"] > 0.4, f"recall accuracy {ev['answer_acc']:.2f}: the model does not use its far context"
    assert CHECKPOINT.stat().st_size < 8 * 1024**2
