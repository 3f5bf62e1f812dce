"""The course's toys against the libraries a student would reach for, measured side by side in one run:
GFlowNets vs torchgfn, cached decoding vs Hugging Face transformers, the DPO loss vs TRL.

Every ratio is course speed / library speed (> 1: the course is faster). Exercise code comes from the
solution notebooks through notebook_namespace, as in the other benchmarks. The libraries are the
optional extra `bench` (pip install -e '.[bench]'); a missing one gives "skipped" rows, not a crash.
"""

from __future__ import annotations

import importlib.util
import math
import os
import time
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import torch

from utils.common import best_time, limit_threads
from utils.course.execute import notebook_namespace

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"
INSTALL = "pip install -e '.[bench]'"
SEED = 0
RATIO = "ratio = course speed / library speed"


def _unavailable(library: str, module: str, *imports: str) -> str | None:
    """Why a library's rows must be skipped (not installed, or installed but broken); None if usable."""
    if importlib.util.find_spec(module) is None:
        return f"skipped: {library} not installed ({INSTALL})"
    try:
        for name in imports:
            importlib.import_module(name)
    except Exception as exc:  # e.g. a dependency built for another NumPy: say so instead of crashing
        return f"skipped: {library} installed but cannot be imported ({type(exc).__name__}: {' '.join(str(exc).split())})"
    return None


def _version(distribution: str) -> str:
    from importlib.metadata import version

    return version(distribution)


def _skipped(benchmarks: list[str], reason: str) -> list[dict]:
    return [{"benchmark": name, "ratio": math.nan, "detail": reason} for name in benchmarks]


def _verdict(ratio: float, faster: str, slower: str) -> str:
    """A sentence on which side is faster and why; within 5% neither is (runs on a shared machine vary more)."""
    if ratio >= 1.05:
        return f"The course is faster: {faster}"
    if ratio > 1 / 1.05:
        return f"The two are level (within 5%; runs on a loaded machine vary more than that): {faster}"
    return f"The course is slower: {slower}"


# ------------------------------------------------------------------------------------ GFlowNets vs torchgfn
#
# Checked in torchgfn 2.4.1's source (site-packages/gfn):
# - gym/hypergrid.py: HyperGrid states are D coordinates in {0..H-1}, s0 = 0; action i < D adds 1 to
#   coordinate i (step: scatter-add), action D (the last) exits; forward masks forbid i where x_i = H-1;
#   backward masks are x != 0; get_states_indices is sum_i x_i H**(D-1-i), the course's grid_index.
# - OriginalReward: R0 + R1 * prod 1[0.25 + 1e-12 < ax] + R2 * prod 1[0.3 + 1e-12 < ax < 0.4 - 1e-12],
#   ax = |x/(H-1) - 0.5|, in floating point; the course decides the same inequalities exactly in integers.
#   They can differ only on a boundary, and H = 8 and H = 32 have none: asserted on every state below.
# - preprocessors.KHotPreprocessor: one_hot(x, H) flattened, the course's grid_encode;
#   utils/modules.MLP(n_hidden_layers=2, "leaky_relu"): the course's mlp() (the weights are copied below).
# - estimators.DiscretePolicyEstimator.uniform: equal logits over the backward mask, log PB = -log(#parents),
#   the course's grid_log_pb; forward log-probs are log_softmax of the masked logits (the course's
#   masked_log_softmax).
# - gflownet/trajectory_balance.TBGFlowNet.loss with the default SquaredLoss: mean over trajectories of
#   (log Z + sum log PF - sum log PB - log R)^2, the course's trajectory_balance_loss (asserted below on
#   torchgfn's own sampled trajectories).
# - env.DiscreteEnv.validate: L1 = sum_x |empirical(x) - R(x)/Z|, from samples. The same definition as the
#   course's exact L1, whose P_T we compute by the course's dynamic programme (terminal_distribution) from
#   torchgfn's trained policy table, so both L1 figures below are exact and comparable.

def _gfn_table(pf, env, states: torch.Tensor) -> torch.Tensor:
    """torchgfn's forward log-probabilities (S, D+1) at every state, through its own distribution."""
    s = env.States(states)
    return pf.to_probability_distribution(s, pf(s)).logits


def _gfn_course_layout(traj, ndim: int, height: int):
    """torchgfn Trajectories -> the course's GridTrajectories layout (state t is the source of edge t)."""
    from utils.gflownets import GridTrajectories, grid_index

    n_edges = traj.terminating_idx                      # edges, exit included
    T = int(n_edges.max())
    t = torch.arange(T)[None, :]
    mask = t < n_edges[:, None]                         # (B, T)
    states = grid_index(traj.states.tensor[:T].clamp(min=0), height).T
    actions = traj.actions.tensor[:T, :, 0].T
    final = states.gather(1, (n_edges - 1)[:, None]).squeeze(1)
    states = torch.where(mask, states, final[:, None])
    actions = torch.where(mask, actions, torch.full_like(actions, ndim))
    return GridTrajectories(states, actions, mask, final)


def _gflownet_rows(quick: bool) -> list[dict]:
    steps = 200 if quick else 1000  # the notebook's STEPS and HARD_STEPS
    grids = ((8, 0.1),) if quick else ((8, 0.1), (32, 1e-3))  # the notebook's two grids (H, R0)
    batch = 64
    names = [f"hypergrid TB training steps/s, course vs torchgfn, D=2 H={h} B={batch}, {steps} steps"
             for h, _ in grids]
    if reason := _unavailable("torchgfn", "gfn", "gfn.gflownet", "gfn.gym"):
        return _skipped(names, reason)
    from gfn.estimators import DiscretePolicyEstimator
    from gfn.gflownet import TBGFlowNet
    from gfn.gym import HyperGrid
    from gfn.preprocessors import KHotPreprocessor
    from gfn.utils.modules import MLP

    from utils.gflownets import (
        GridPolicy,
        grid_states,
        grid_trajectory_terms,
        sample_grid_trajectories,
    )

    ns = notebook_namespace(SOLUTIONS / "03_gflownets" / "01_flows_and_balance.py", until="train-intro")
    reward_fn, tb_loss, exact_pt = ns["hypergrid_reward"], ns["trajectory_balance_loss"], ns["terminal_distribution"]
    ndim, rows = 2, []
    for name, (height, R0) in zip(names, grids):
        states = grid_states(ndim, height)
        reward_all = reward_fn(states, height, R0)
        log_r_all, target = reward_all.log(), (reward_all / reward_all.sum()).double()

        torch.manual_seed(SEED)  # the course's trainer, as in the notebook's train_grid (TB)
        policy = GridPolicy(ndim, height)
        opt = torch.optim.Adam([{"params": policy.net.parameters(), "lr": 1e-3}, {"params": [policy.log_Z], "lr": 0.1}])
        gen = torch.Generator().manual_seed(SEED)

        env = HyperGrid(ndim=ndim, height=height, reward_fn_kwargs={"R0": R0, "R1": 0.5, "R2": 2.0})
        pre = KHotPreprocessor(height, ndim)
        module = MLP(ndim * height, ndim + 1, hidden_dim=64, n_hidden_layers=2, activation_fn="leaky_relu")
        with torch.no_grad():  # the same initial network (torchgfn needs no log F output: drop that row)
            for mine, theirs in ((policy.net[0], module.trunk[0]), (policy.net[2], module.trunk[2]),
                                 (policy.net[4], module.last_layer)):
                theirs.weight.copy_(mine.weight[: theirs.weight.shape[0]])
                theirs.bias.copy_(mine.bias[: theirs.bias.shape[0]])
        pf = DiscretePolicyEstimator(module, env.n_actions, preprocessor=pre)
        gflownet = TBGFlowNet(pf, DiscretePolicyEstimator.uniform(env.n_actions, preprocessor=pre))
        gfn_opt = torch.optim.Adam(gflownet.pf_pb_parameters(), lr=1e-3)
        gfn_opt.add_param_group({"params": gflownet.logz_parameters(), "lr": 0.1})

        # same reward, same initial policy, same TB loss on torchgfn's own trajectories
        torch.testing.assert_close(env.reward(env.States(states)).to(reward_all.dtype), reward_all)
        with torch.no_grad():
            table = _gfn_table(pf, env, states)
            torch.testing.assert_close(table, policy.all_states()[0])
            torch.manual_seed(SEED)
            traj = gflownet.sample_trajectories(env, n=batch)
            t = grid_trajectory_terms(_gfn_course_layout(traj, ndim, height), table, torch.zeros(len(states)),
                                      log_r_all, ndim, height)
            torch.testing.assert_close(tb_loss(gflownet.logZ, t["log_pf"], t["log_pb"], t["log_reward"], t["mask"]),
                                       gflownet.loss(env, traj, recalculate_all_logprobs=True))

        def course_step() -> None:
            log_pf_all, log_F_all = policy.all_states()
            tr = sample_grid_trajectories(log_pf_all, ndim, height, batch, gen)
            t = grid_trajectory_terms(tr, log_pf_all, log_F_all, log_r_all, ndim, height)
            loss = tb_loss(policy.log_Z, t["log_pf"], t["log_pb"], t["log_reward"], t["mask"])
            opt.zero_grad()
            loss.backward()
            opt.step()

        def gfn_step() -> None:  # on-policy: the sampler's log-probs, not recomputed
            tr = gflownet.sample_trajectories(env, n=batch, save_logprobs=True)
            loss = gflownet.loss(env, gflownet.to_training_samples(tr), recalculate_all_logprobs=False)
            gfn_opt.zero_grad()
            loss.backward()
            gfn_opt.step()

        torch.manual_seed(SEED)  # torchgfn samples from the global generator, the course from its own
        seconds = {"course": 0.0, "torchgfn": 0.0}
        for _ in range(steps):  # interleaved, so that a change in the machine's load hits both
            for who, step in (("course", course_step), ("torchgfn", gfn_step)):
                start = time.perf_counter()
                step()
                seconds[who] += time.perf_counter() - start
        with torch.no_grad():
            l1 = {"course": (exact_pt(policy.all_states()[0].double(), ndim, height) - target).abs().sum().item(),
                  "torchgfn": (exact_pt(_gfn_table(pf, env, states).double(), ndim, height) - target).abs().sum().item()}
        fast, slow = steps / seconds["course"], steps / seconds["torchgfn"]
        ratio = fast / slow
        rows.append({"benchmark": name, "ratio": ratio, "detail": (
            f"course {fast:.0f} steps/s, exact L1 {l1['course']:.3f}, log Z {policy.log_Z.item():.2f}; "
            f"torchgfn {_version('torchgfn')} {slow:.0f} steps/s, exact L1 {l1['torchgfn']:.3f}, "
            f"log Z {gflownet.logZ.item():.2f} (true {math.log(reward_all.sum().item()):.2f}; R0={R0}, same reward, "
            f"initial network, TB loss, lr 1e-3 and 0.1 for log Z; {RATIO}). " + _verdict(
                ratio,
                f"it runs the network once on all {height ** ndim} states and samples from that table, which "
                f"only a small enumerable grid allows; torchgfn runs it on the active states at every step, "
                f"through its States and Actions containers, which works where states cannot be enumerated.",
                f"it runs the network on all {height ** ndim} states at every step, which costs more here than "
                f"torchgfn's calls on the active states only."))})
    return rows


# ---------------------------------------------------------------------- cached decoding vs transformers

def _decoding_rows(quick: bool) -> list[dict]:
    lengths = (128, 256) if quick else (128, 256, 512)
    names = [f"greedy decoding tok/s, course KV cache vs transformers Llama generate, {n} new tokens"
             for n in lengths]
    if reason := _unavailable("transformers", "transformers", "transformers.models.llama.modeling_llama"):
        return _skipped(names, reason)
    from transformers import LlamaConfig, LlamaForCausalLM

    from utils.kv_cache import apply_rope, heldout_batch

    ns = notebook_namespace(SOLUTIONS / "02_kv_cache" / "01_kv_cache.py", until="equal-intro")
    model, generate = ns["model"], ns["greedy_generate"]
    cfg = model.cfg
    # LLaMA's SwiGLU width rule, 2/3 of 4 d_model rounded up to a multiple of 8: three d x 344 matrices
    # hold about as many weights as the course's two d x 4d ones: the two models do about the same arithmetic.
    ffn = -(-int(2 * 4 * cfg.d_model / 3) // 8) * 8
    config = LlamaConfig(vocab_size=cfg.vocab, hidden_size=cfg.d_model, intermediate_size=ffn,
                         num_hidden_layers=cfg.n_layers, num_attention_heads=cfg.n_heads,
                         num_key_value_heads=cfg.n_heads, max_position_embeddings=cfg.max_len,
                         rope_theta=cfg.rope_base, tie_word_embeddings=False,
                         bos_token_id=None, eos_token_id=None, pad_token_id=0)
    torch.manual_seed(SEED)
    llama = LlamaForCausalLM(config).eval()  # random weights: speed only, nothing is downloaded
    prompt = heldout_batch(1)[:, :16]
    attention = torch.ones_like(prompt)
    n_course = sum(p.numel() for p in model.parameters())
    n_llama = sum(p.numel() for p in llama.parameters())

    def hf(n: int) -> torch.Tensor:
        with torch.no_grad():
            return llama.generate(prompt, attention_mask=attention, max_new_tokens=n, do_sample=False,
                                  use_cache=True)

    # what the course's decoder pays that Llama does not: RoPE angles recomputed, in float64, for q and k
    # in every layer at every step (Llama computes cos/sin once per step and shares them)
    with torch.no_grad():
        logits, cache = model(heldout_batch(1)[:, :256])
        token = logits[:, -1:].argmax(-1)
        q = torch.zeros(1, cfg.n_heads, 1, cfg.head_dim)
        step = best_time(lambda: model(token, past=cache), repeat=20)
        rope = 2 * cfg.n_layers * best_time(lambda: apply_rope(q, torch.tensor([256]), cfg.rope_base), repeat=50)
    rows = []
    for name, n in zip(names, lengths):
        if hf(n).shape != (1, prompt.shape[1] + n) or generate(model, prompt, n, use_cache=True).shape != (1, n):
            raise AssertionError(f"both decoders must produce exactly {n} new tokens")
        course, lib = math.inf, math.inf
        for _ in range(3):  # interleaved repeats, best of each
            course = min(course, best_time(lambda n=n: generate(model, prompt, n, use_cache=True), repeat=1))
            lib = min(lib, best_time(lambda n=n: hf(n), repeat=1))
        ratio = lib / course
        rows.append({"benchmark": name, "ratio": ratio, "detail": (
            f"course {n / course:.0f} tok/s, transformers {_version('transformers')} {n / lib:.0f} tok/s "
            f"(prompt 16 tokens, batch 1, 1 thread; {cfg.n_layers} layers, {cfg.n_heads} heads, "
            f"d_model {cfg.d_model}, vocab {cfg.vocab}, SwiGLU {ffn}: {n_llama / 1e6:.2f}M vs "
            f"{n_course / 1e6:.2f}M parameters; {RATIO}). " + _verdict(
                ratio,
                "generate() does its own work around every step (preparing the inputs, extending the attention "
                "mask and position ids, logits processors, stopping criteria), which the course's bare loop does "
                f"not; the course's decoder pays instead for RoPE angles recomputed in float64 in every layer "
                f"({rope * 1e3:.2f} ms of its {step * 1e3:.2f} ms step at 256 tokens).",
                f"the course's decoder recomputes the RoPE angles, in float64, for q and k in every layer at every "
                f"step ({rope * 1e3:.2f} ms of its {step * 1e3:.2f} ms step at 256 tokens), where Llama computes "
                f"cos/sin once per step; that outweighs the work generate() does around each step."))})
    return rows


# ------------------------------------------------------------------------------------- DPO loss vs TRL
#
# Checked in trl 1.16.0's source (site-packages/trl/trainer/dpo_trainer.py): there is no DPOTrainer.dpo_loss
# any more; DPOTrainer._compute_loss (called by compute_loss) runs the model with labels and its fused LM
# head, sums the per-token log-probs (FusedCausalLMOutput.log_probs, zero where the label is -100) over the
# completion, splits the batch as [chosen, rejected], takes the ref log-probs from the inputs when
# precompute_ref_log_probs is set, and for f_divergence_type "reverse_kl" and loss_type "sigmoid" returns
#     (-F.logsigmoid(beta * ((chosen - ref_chosen) - (rejected - ref_rejected)))).mean() * loss_weight
# followed by its logging (entropy, token accuracy, rewards, margins: .item() and gather calls).
# label_smoothing does not enter the "sigmoid" loss in this version (it weights "robust", "exo_pair",
# "aot"), so the check uses label_smoothing = 0. Below, _compute_loss runs on a minimal instance: the
# attributes it reads, an accelerator whose gathers are the identity, and a stand-in model that returns
# the given per-token log-probs as a FusedCausalLMOutput.

class _LogprobModel(torch.nn.Module):
    """Stands in for a causal LM with trl's fused head: returns the given per-token log-probs."""

    def __init__(self) -> None:
        super().__init__()
        self.log_probs: torch.Tensor | None = None

    def forward(self, **kwargs):  # trl passes input_ids, attention_mask, labels, use_cache, fused_lm_head
        from trl.trainer.utils import FusedCausalLMOutput

        lp = self.log_probs
        return FusedCausalLMOutput(log_probs=lp, entropy=torch.zeros_like(lp.detach()),
                                   mean_logits=torch.zeros_like(lp.detach()),
                                   is_top1=torch.zeros_like(lp.detach(), dtype=torch.bool))


def _minimal_dpo_trainer(beta: float):
    from trl import DPOTrainer

    trainer = object.__new__(DPOTrainer)  # only what _compute_loss reads; no model, tokenizer or dataset
    model = _LogprobModel().train()
    identity = lambda x: x
    trainer.__dict__.update(
        model=model, accelerator=SimpleNamespace(device=torch.device("cpu"), gather=identity, gather_for_metrics=identity),
        aux_loss_enabled=False, ld_alpha=None, precompute_ref_logps=True, f_divergence_type="reverse_kl",
        loss_types=["sigmoid"], loss_weights=[1.0], beta=beta, label_smoothing=0.0, use_weighting=False,
        _metrics={"train": defaultdict(list), "eval": defaultdict(list)}, _total_train_tokens=0, _tp_size=1)
    return trainer, model


def _dpo_rows(quick: bool) -> list[dict]:
    name = "DPO sigmoid loss, forward+backward per call, course dpo_loss vs trl DPOTrainer._compute_loss"
    if reason := _unavailable("trl", "trl", "trl.trainer.dpo_trainer"):
        return _skipped([name], reason)
    from utils.rlhf import clone_policy

    ns = notebook_namespace(SOLUTIONS / "04_rlhf" / "03_dpo_token_level.py", until="train", smoke=False)
    dpo_loss, beta, reference = ns["dpo_loss"], ns["BETA"], ns["reference"]
    pairs = ns["world"].preference_pairs(128, torch.Generator().manual_seed(SEED))  # train_dpo's batch
    policy = clone_policy(reference)
    torch.manual_seed(SEED)
    with torch.no_grad():  # a policy a little away from the reference, so that the margins are not all 0
        for p in policy.parameters():
            p.add_(0.05 * torch.randn_like(p))
        tokens = torch.cat([pairs.chosen, pairs.rejected])
        policy_tok = policy.token_logprobs(tokens)               # (2B, L): [chosen; rejected]
        ref_seq = reference.token_logprobs(tokens).sum(1)        # (2B,)
    B, L = pairs.chosen.shape
    trainer, lm = _minimal_dpo_trainer(beta)

    def course(tok: torch.Tensor) -> torch.Tensor:
        seq = tok.sum(1)
        return dpo_loss(seq[:B], seq[B:], ref_seq[:B].to(tok.dtype), ref_seq[B:].to(tok.dtype), beta)

    def trl_loss(tok: torch.Tensor) -> torch.Tensor:
        lm.log_probs = tok
        ids = torch.zeros(2 * B, L + 1, dtype=torch.long)       # a one-token prompt, then the completion
        completion = torch.ones(2 * B, L + 1, dtype=torch.long)
        completion[:, 0] = 0
        inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "completion_mask": completion,
                  "ref_chosen_logps": ref_seq[:B].to(tok.dtype), "ref_rejected_logps": ref_seq[B:].to(tok.dtype)}
        return trainer._compute_loss(lm, inputs, return_outputs=False)

    for dtype in (torch.float32, torch.float64):  # same values and gradients on the same log-probs
        got = []
        for fn in (course, trl_loss):
            tok = policy_tok.to(dtype).clone().requires_grad_(True)  # a fresh leaf for each
            loss = fn(tok)
            loss.backward()
            got.append((loss.detach(), tok.grad))
        (course_loss, course_grad), (trl_value, trl_grad) = got
        if course_grad is None or trl_grad is None or not course_grad.abs().sum() > 0:
            raise AssertionError("both losses must give a non-zero gradient to the policy's log-probs")
        torch.testing.assert_close(course_loss, trl_value)
        torch.testing.assert_close(course_grad, trl_grad)

    def timed(fn):
        tok = policy_tok.clone().requires_grad_(True)
        return lambda: fn(tok).backward()

    number, repeats = (20, 3) if quick else (50, 5)
    t_course, t_trl = math.inf, math.inf
    for _ in range(repeats):  # interleaved repeats, best of each
        t_course = min(t_course, best_time(timed(course), repeat=1, number=number))
        t_trl = min(t_trl, best_time(timed(trl_loss), repeat=1, number=number))
    ratio = t_trl / t_course
    return [{"benchmark": name, "ratio": ratio, "detail": (
        f"course {t_course * 1e6:.0f} us, trl {_version('trl')} {t_trl * 1e6:.0f} us per call "
        f"({B} pairs of {L} tokens, beta {beta}; values and gradients agree in float32 and float64; {RATIO}). "
        + _verdict(ratio,
                   "the loss itself is the same few tensor operations, but every call of trl's also logs its "
                   "metrics (entropy, token accuracy, rewards, margins): a dozen .item() calls and gathers, "
                   "which dominate at this size.",
                   "the course's dpo_loss evaluates both logsigmoid branches of the conservative loss even at "
                   "label_smoothing = 0, where trl's sigmoid loss has one."))}]


def run(quick: bool = False) -> list[dict]:
    """Course speed / library speed for the GFlowNet trainer, cached decoding and the DPO loss."""
    os.environ.setdefault("PAPERLAB_QUIET", "1")
    limit_threads(1)  # as the notebooks do
    return [*_gflownet_rows(quick), *_decoding_rows(quick), *_dpo_rows(quick)]


if __name__ == "__main__":
    for row in run(quick=True):
        print(f"{row['ratio']:8.2f}x  {row['benchmark']}  ({row['detail']})")
