"""Unit tests of the toy preference world (utils/rlhf.py)."""

from __future__ import annotations

import pytest
import torch

from utils import rlhf
from utils.rlhf import (
    BAD_TOKEN,
    GOOD_TOKENS,
    PATTERN,
    SEQ_LEN,
    VOCAB_SIZE,
    GRUPolicy,
    ToyWorld,
    clone_policy,
    decode,
    frozen,
    reference_policy,
    sft,
    true_reward,
)


def _reward_by_hand(row: list[int]) -> float:
    total = 0.0
    for i, tok in enumerate(row):
        total += rlhf.GOOD_VALUE if tok in GOOD_TOKENS else 0.0
        total += rlhf.BAD_VALUE if tok == BAD_TOKEN else 0.0
        if i > 0 and row[i - 1] == tok:
            total += rlhf.STUTTER_VALUE
        if i > 0 and (row[i - 1], tok) == PATTERN:
            total += rlhf.PATTERN_VALUE
    return total


def test_true_reward_matches_a_loop():
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, VOCAB_SIZE, (200, SEQ_LEN), generator=g)
    expected = torch.tensor([_reward_by_hand(r) for r in x.tolist()])
    assert torch.allclose(true_reward(x), expected)


def test_true_reward_hand_cases():
    neutral = [0, 1, 3, 6, 8, 10, 11, 12, 14, 15]
    assert true_reward(torch.tensor([neutral])).item() == 0.0
    bad = list(neutral)
    bad[3] = BAD_TOKEN
    assert true_reward(torch.tensor([bad])).item() == rlhf.BAD_VALUE
    pat = list(neutral)
    pat[4:6] = PATTERN
    assert true_reward(torch.tensor([pat])).item() == rlhf.PATTERN_VALUE
    stutter = list(neutral)
    stutter[1] = stutter[0]
    assert true_reward(torch.tensor([stutter])).item() == rlhf.STUTTER_VALUE


@pytest.mark.parametrize("bad", [torch.zeros(3, dtype=torch.long), torch.zeros(2, 3),
                                 torch.full((2, 3), VOCAB_SIZE, dtype=torch.long), [[0, 1]]])
def test_true_reward_validates(bad):
    with pytest.raises((ValueError, TypeError)):
        true_reward(bad)


def test_world_is_deterministic_and_normalised():
    a, b = ToyWorld(0), ToyWorld(0)
    assert torch.equal(a.transition, b.transition) and torch.equal(a.start, b.start)
    assert not torch.equal(a.transition, ToyWorld(1).transition)
    assert torch.allclose(a.transition.sum(1), torch.ones(VOCAB_SIZE))
    assert torch.allclose(a.start.sum(), torch.tensor(1.0))
    x1 = a.sample_base(50, torch.Generator().manual_seed(3))
    x2 = b.sample_base(50, torch.Generator().manual_seed(3))
    assert torch.equal(x1, x2) and x1.shape == (50, SEQ_LEN) and x1.dtype == torch.long
    with pytest.raises(ValueError, match="seed"):
        ToyWorld(-1)


def test_base_logprob_sums_to_one_over_short_sequences():
    world = ToyWorld(0)
    # the chain's log-probability factorises: check it against a direct product on random rows
    x = world.sample_base(20, torch.Generator().manual_seed(1))
    direct = torch.tensor([world.start[r[0]].log().item() + sum(world.transition[r[i - 1], r[i]].log().item()
                                                                  for i in range(1, SEQ_LEN)) for r in x.tolist()])
    assert torch.allclose(world.base_logprob(x), direct, atol=1e-4)


def test_preference_pairs_follow_bradley_terry():
    world = ToyWorld(0)
    pairs = world.preference_pairs(4000, torch.Generator().manual_seed(2))
    assert len(pairs) == 4000 and pairs.chosen.shape == (4000, SEQ_LEN)
    assert torch.equal(pairs.reward_chosen, true_reward(pairs.chosen))
    assert torch.equal(pairs.reward_rejected, true_reward(pairs.rejected))
    delta = pairs.reward_chosen - pairs.reward_rejected
    # under Bradley-Terry the chosen one wins by E[sigmoid(|d|)]-ish: most labels agree with the reward
    agree = (delta > 0).float().mean().item()
    assert 0.7 < agree < 0.97
    sub = pairs.subset(slice(0, 10))
    assert len(sub) == 10 and torch.equal(sub.chosen, pairs.chosen[:10])
    with pytest.raises(ValueError, match="temperature"):
        world.preference_pairs(3, torch.Generator(), temperature=0.0)


def test_policy_shapes_and_sampling():
    torch.manual_seed(0)
    policy = GRUPolicy(8, 16)
    g = torch.Generator().manual_seed(0)
    x = policy.sample(7, g)
    assert x.shape == (7, SEQ_LEN) and x.dtype == torch.long
    assert x.min() >= 0 and x.max() < VOCAB_SIZE
    lp = policy.token_logprobs(x)
    assert lp.shape == (7, SEQ_LEN) and (lp <= 0).all()
    # teacher-forced log-probs agree with step-by-step next_logprobs
    for t in range(SEQ_LEN):
        step = policy.next_logprobs(x[:, :t]).gather(1, x[:, t:t + 1])[:, 0]
        assert torch.allclose(step, lp[:, t].detach(), atol=1e-5)
    ent = policy.entropy(x)
    assert ent.shape == (7,) and (ent > 0).all() and (ent <= SEQ_LEN * torch.log(torch.tensor(16.0)) + 1e-4).all()
    prefix = torch.full((7, SEQ_LEN), 3, dtype=torch.long)
    lens = torch.tensor([0, 1, 2, 3, 5, 9, 10])
    y = policy.sample(7, g, prefix=prefix, prefix_len=lens)
    for row, n in zip(y.tolist(), lens.tolist(), strict=True):
        assert row[:n] == [3] * n
    with pytest.raises(ValueError, match="prefix"):
        policy.sample(7, g, prefix=prefix)
    with pytest.raises(ValueError, match="n must"):
        policy.sample(0, g)


def test_policy_distribution_sums_to_one_by_enumeration():
    torch.manual_seed(1)
    policy = GRUPolicy(4, 8)
    # all sequences of the first two tokens: their prefix probabilities sum to one
    a, b = torch.meshgrid(torch.arange(VOCAB_SIZE), torch.arange(VOCAB_SIZE), indexing="ij")
    pairs = torch.stack([a.flatten(), b.flatten()], 1)
    full = torch.cat([pairs, torch.zeros(len(pairs), SEQ_LEN - 2, dtype=torch.long)], 1)
    with torch.no_grad():
        total = policy.token_logprobs(full)[:, :2].sum(1).exp().sum()
    assert abs(total.item() - 1.0) < 1e-4


def test_sft_reduces_loss_and_clone_is_independent():
    torch.manual_seed(0)
    world = ToyWorld(0)
    g = torch.Generator().manual_seed(0)
    policy = GRUPolicy(8, 16)
    copy = clone_policy(policy)
    losses = sft(policy, world.sample_base(500, g), 30, g, batch_size=64, lr=1e-2)
    assert losses[-1] < losses[0]
    assert not torch.equal(copy.head.weight, policy.head.weight)
    ref = frozen(copy)
    assert not any(p.requires_grad for p in ref.parameters())
    with pytest.raises(ValueError, match="mask"):
        sft(policy, world.sample_base(5, g), 1, g, mask=torch.ones(5, 3))


def test_reference_is_cached_and_close_to_the_base():
    world = ToyWorld(0)
    ref = reference_policy(world)
    again = reference_policy(world)
    assert all(torch.equal(p, q) for p, q in zip(ref.state_dict().values(), again.state_dict().values(), strict=True))
    x = world.sample_base(2000, torch.Generator().manual_seed(5))
    with torch.no_grad():
        gap = (-ref.token_logprobs(x).sum(1).mean() + world.base_logprob(x).mean()).item()
    assert 0 <= gap < 0.5, f"SFT reference should be within 0.5 nats/sequence of the base, got {gap:.3f}"
    with pytest.raises(TypeError, match="world"):
        reference_policy("world")


def test_decode_marks_tokens():
    row = [BAD_TOKEN, GOOD_TOKENS[0], PATTERN[0], PATTERN[1], 0, 0, 1, 1, 3, 3]
    text = decode(torch.tensor([row]))[0]
    assert text.startswith("X +") and f"[{PATTERN[0]} {PATTERN[1]}]" in text


def test_prompt_value_starts_at_zero_and_reads_only_the_prompt():
    value = rlhf.PromptValue(2)
    x = torch.randint(0, VOCAB_SIZE, (5, SEQ_LEN), generator=torch.Generator().manual_seed(3))
    assert torch.equal(value(x), torch.zeros(5))
    with torch.no_grad():
        value.weight.copy_(torch.arange(2 * VOCAB_SIZE, dtype=torch.float32))
        value.bias.fill_(0.5)
    y = x.clone()
    y[:, 2:] = (y[:, 2:] + 1) % VOCAB_SIZE  # change everything after the prompt
    expected = torch.tensor([x[i, 0].item() + VOCAB_SIZE + x[i, 1].item() + 0.5 for i in range(5)])
    torch.testing.assert_close(value(x), expected)
    torch.testing.assert_close(value(y), expected)
    value(x).sum().backward()
    assert value.weight.grad is not None and value.bias.grad.item() == 5.0


def test_prompt_value_validates():
    with pytest.raises(ValueError, match="prompt_len"):
        rlhf.PromptValue(SEQ_LEN + 1)
    with pytest.raises(ValueError, match="prompt_len"):
        rlhf.PromptValue(-1)
    with pytest.raises(ValueError, match="prompt_len"):
        rlhf.PromptValue(3)(torch.zeros(2, 2, dtype=torch.long))
    with pytest.raises(ValueError):
        rlhf.PromptValue(2)(torch.zeros(4, dtype=torch.long))
