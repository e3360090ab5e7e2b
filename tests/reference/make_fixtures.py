#!/usr/bin/python3
"""Deterministic generator of the golden fixtures in tests/fixtures/.

Each case: a tiny random SWAN-GPT model (config.json + safetensors, single or
sharded), a document (doc.bin, one byte = one token id) and the expected
per-token NLL (expected_nll.f64, little-endian float64, n-1 values) computed by
swan_ref.py on the weights as stored in the file (after dtype rounding).

The weight scales make the models numerically like trained LMs (head logits within
about +-12, NLL means 3-9, now 5.9-8.6; attention clearly non-uniform but not argmax),
so that float32 rounding stays far below the engine tolerance: every case asserts
that the same math run in float32 differs from the float64 golden values by at most
F32_MARGIN per token (5x under the engine's 1e-4).

Run:  /usr/bin/python3 tests/reference/make_fixtures.py [OUT_DIR]
"""
import copy
import json
import os
import shutil
import struct
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import swan_ref  # noqa: E402

S, N = "sliding_attention", "full_attention"
BIG_WINDOW = 1073741824  # 2^30

# float32-vs-float64 check: max |NLL_f32 - NLL_f64| per token (engine tolerance 1e-4)
F32_MARGIN = 2e-5
# attention must stay clearly non-uniform (mean over heads and positions of the
# largest attention weight, per layer) but not near-argmax
ATTN_MIN_MAXW = 0.3        # in at least ATTN_MIN_FRACTION of all layers, and in
ATTN_MIN_FRACTION = 0.75   # at least one layer of every case
ATTN_MAX_MAXW = 0.9        # in every layer whose window is > 2 keys
LOGIT_ABS_MAX = 20.0       # max |head logit|
NLL_MEAN_RANGE = (3.0, 9.0)

# weight scales: std of normal(0, s / sqrt(fan_in)) per projection; RMSNorm gains
# U(0.8, 1.2); embeddings N(0, 1).  q/k keep attention sharp; v/o/MLP gains < 1 keep
# the residual stream well conditioned (larger values make the random network
# chaotic, amplifying float32 rounding).  Tied heads reuse the N(0, 1) embeddings,
# so their final-norm gain is scaled by TIED_FINAL_GAIN / sqrt(d).
SCALE_QK = 2.0
SCALE_V_O = 0.6
SCALE_MLP = 0.6
SCALE_HEAD = 2.0
TIED_FINAL_GAIN = 1.5

# name, model seed, doc seed, dims, layer pattern, window, training length,
# scaling alpha (None = key absent), tied, dtype, shards, doc length, theta,
# no_rope_layers (None = key absent)
CASES = [
    dict(name="sssn_mha_f32_scaled", seed=1, V=272, d=32, H=4, KV=4, hd=8, I=64,
         pattern=[S, S, S, N], w=7, L=32, alpha=1.0, tied=False, dtype="F32",
         shards=1, n=400, theta=10000.0),
    dict(name="sssn_mha_f32_unscaled", twin_of="sssn_mha_f32_scaled", alpha=None),
    dict(name="nsss_gqa_bf16_w1_scaled", seed=2, V=300, d=48, H=6, KV=2, hd=8, I=96,
         pattern=[N, S, S, S], w=1, L=48, alpha=2.0, tied=True, dtype="BF16",
         shards=1, n=500, theta=500.0),
    dict(name="nsss_gqa_bf16_w1_alpha0", twin_of="nsss_gqa_bf16_w1_scaled", alpha=0.0),
    dict(name="sssns_hd16_f16_shard3", seed=3, V=320, d=40, H=4, KV=2, hd=16, I=80,
         pattern=[S, S, S, N, S], w=BIG_WINDOW, L=32, alpha=0.5, tied=False,
         dtype="F16", shards=3, n=350, theta=10000.0),
    dict(name="sssn_gqa8_hd6_f32_w2000_shard2", seed=4, V=256, d=48, H=8, KV=2, hd=6,
         I=96, pattern=[S, S, S, N], w=2000, L=64, alpha=1.5, tied=False, dtype="F32",
         shards=2, n=600, theta=10000.0, no_rope=[1, 1, 1, 0]),
    dict(name="global_nope_f16_hd24_scaled", seed=5, V=264, d=32, H=2, KV=1, hd=24,
         I=64, pattern=[N, N, N], w=16, L=32, alpha=1.0, tied=True, dtype="F16",
         shards=1, n=300, theta=10000.0),
    dict(name="global_nope_f16_hd24_unscaled", twin_of="global_nope_f16_hd24_scaled",
         alpha=None),
    dict(name="all_window_bf16", seed=6, V=256, d=32, H=4, KV=2, hd=8, I=64,
         pattern=[S, S, S], w=7, L=32, alpha=1.0, tied=False, dtype="BF16",
         shards=1, n=300, theta=10000.0),
    dict(name="baseline_rope_f32", seed=7, V=256, d=32, H=4, KV=4, hd=8, I=64,
         pattern=[N, N, N], w=32, L=32, alpha=1.0, tied=True, dtype="F32",
         shards=1, n=300, theta=10000.0, no_rope=[1, 1, 1]),
    dict(name="mixed_override_f32", seed=8, V=288, d=32, H=4, KV=1, hd=8, I=64,
         pattern=[N, S, S, N], w=5, L=32, alpha=1.0, tied=False, dtype="F32",
         shards=1, n=300, theta=10000.0, no_rope=[1, 0, 1, 0]),
    # the SWAN-GPT paper's scaling s(p) = ln(p + a) / ln(a): on from position 1
    dict(name="sssn_gqa_f32_log_a", seed=10, V=280, d=32, H=4, KV=2, hd=8, I=64,
         pattern=[S, S, S, N], w=7, L=32, alpha=None, tied=False, dtype="F32",
         shards=1, n=500, theta=10000.0, extra={"swan_attn_scaling": {"type": "log_a", "a": 24.0}}),
    dict(name="nssn_bf16_log_a_tied", seed=11, V=300, d=48, H=6, KV=2, hd=8, I=96,
         pattern=[N, S, S, N], w=5, L=48, alpha=None, tied=True, dtype="BF16",
         shards=1, n=600, theta=500.0, extra={"swan_attn_scaling": {"type": "log_a", "a": 12.0}}),
    # Llama 4's temperature tuning: s(p) steps up at p + 1 = 16, 32, 48, ...
    dict(name="sssn_f16_llama4_tuning", seed=12, V=264, d=40, H=4, KV=2, hd=10, I=80,
         pattern=[S, S, S, N], w=9, L=32, alpha=None, tied=False, dtype="F16",
         shards=1, n=500, theta=10000.0,
         extra={"attn_temperature_tuning": True, "floor_scale": 16, "attn_scale": 0.4},
         unscaled_prefix=15),
    # families read from their own config.json
    dict(name="llama_rope_llama3_f32", seed=13, V=256, d=32, H=2, KV=1, hd=16, I=64,
         pattern=[N, N, N], w=None, L=256, alpha=None, tied=False, dtype="F32",
         shards=1, n=400, theta=10000.0, rope_all=True,
         extra={"model_type": "llama", "layer_types": None, "sliding_window": None,
                "attention_bias": False, "mlp_bias": False, "hidden_act": "silu",
                "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                 "high_freq_factor": 4.0,
                                 "original_max_position_embeddings": 64}}),
    dict(name="llama_rope_linear_bf16_tied", seed=14, V=272, d=32, H=4, KV=2, hd=8, I=64,
         pattern=[N, N, N, N], w=None, L=128, alpha=None, tied=True, dtype="BF16",
         shards=1, n=400, theta=10000.0, rope_all=True,
         extra={"model_type": "llama", "layer_types": None, "sliding_window": None,
                "rope_scaling": {"type": "linear", "factor": 4.0}}),
    dict(name="mistral_w7_f16", seed=15, V=264, d=32, H=4, KV=1, hd=8, I=64,
         pattern=[S, S, S], w=7, L=128, alpha=None, tied=False, dtype="F16",
         shards=1, n=400, theta=10000.0, rope_all=True,
         extra={"model_type": "mistral", "layer_types": None}),
    dict(name="smollm3_interval3_bf16", seed=16, V=256, d=32, H=4, KV=2, hd=8, I=64,
         pattern=[N, N, N, N, N], w=None, L=64, alpha=None, tied=True, dtype="BF16",
         shards=1, n=400, theta=10000.0, rope_interval=3,
         extra={"model_type": "smollm3", "layer_types": None, "sliding_window": None,
                "tie_word_embeddings": None, "no_rope_layer_interval": 3,
                "use_sliding_window": False,
                "swan_attn_scaling": {"type": "log_a", "a": 16.0}}),
    # Cohere2: LayerNorm, parallel block, interleaved RoPE on sliding layers only
    dict(name="cohere2_sssn_bf16_log_a", seed=17, V=288, d=32, H=4, KV=2, hd=8, I=64,
         pattern=[S, S, S, N], w=6, L=64, alpha=None, tied=True, dtype="BF16",
         shards=1, n=500, theta=10000.0, parallel=True, logit_scale=0.25,
         extra={"model_type": "cohere2", "layer_types": None, "sliding_window_pattern": 4,
                "rms_norm_eps": None, "layer_norm_eps": 1e-5, "logit_scale": 0.25,
                "tie_word_embeddings": None,
                "swan_attn_scaling": {"type": "log_a", "a": 16.0}}),
    dict(name="cohere2_w1_f32_untied", seed=18, V=264, d=40, H=4, KV=1, hd=10, I=80,
         pattern=[N, S, S, N, S], w=1, L=64, alpha=None, tied=False, dtype="F32",
         shards=1, n=400, theta=10000.0, parallel=True, logit_scale=0.5,
         extra={"model_type": "cohere2", "rms_norm_eps": None, "layer_norm_eps": 1e-5,
                "logit_scale": 0.5}),
    dict(name="long4096", seed=9, V=256, d=32, H=4, KV=2, hd=8, I=64,
         pattern=[S, S, S, N], w=16, L=64, alpha=1.0, tied=False, dtype="F32",
         shards=1, n=4096, theta=10000.0),
]


def resolve_cases():
    by_name = {}
    out = []
    for c in CASES:
        if "twin_of" in c:
            base = copy.deepcopy(by_name[c["twin_of"]])
            base.update({k: v for k, v in c.items()})
            c = base
        else:
            c = dict(c)
        c.setdefault("no_rope", None)
        c.setdefault("extra", {})
        by_name[c["name"]] = c
        out.append(c)
    return out


# ---------------------------------------------------------------- config

def make_config(c):
    cfg = {
        "vocab_size": c["V"],
        "hidden_size": c["d"],
        "intermediate_size": c["I"],
        "num_hidden_layers": len(c["pattern"]),
        "num_attention_heads": c["H"],
        "num_key_value_heads": c["KV"],
        "head_dim": c["hd"],
        "rms_norm_eps": 1e-5,
        "rope_theta": c["theta"],
        "sliding_window": c["w"],
        "layer_types": list(c["pattern"]),
        "tie_word_embeddings": c["tied"],
        "max_position_embeddings": c["L"],
        "bos_token_id": 1,
        "eos_token_id": 2,
    }
    if c["alpha"] is not None:
        cfg["swan_attn_scaling"] = {"type": "log", "train_len": c["L"], "alpha": c["alpha"]}
    if c["no_rope"] is not None:
        cfg["no_rope_layers"] = list(c["no_rope"])
    for k, v in c["extra"].items():  # family keys; None drops a key
        if v is None:
            cfg.pop(k, None)
        else:
            cfg[k] = copy.deepcopy(v)
    return cfg


# ---------------------------------------------------------------- weights

def make_weights(c):
    """Ordered list of (name, float32 array). Scales: see SCALE_* above."""
    rng = np.random.default_rng(1000 + c["seed"])
    V, d, H, KV, hd, I = c["V"], c["d"], c["H"], c["KV"], c["hd"], c["I"]

    def normal(shape, std):
        return (rng.standard_normal(shape) * std).astype(np.float32)

    def gain_vec():
        return rng.uniform(0.8, 1.2, size=(d,)).astype(np.float32)

    ws = [("model.embed_tokens.weight", normal((V, d), 1.0))]
    for i in range(len(c["pattern"])):
        p = f"model.layers.{i}."
        ws += [
            (p + "input_layernorm.weight", gain_vec()),
            (p + "self_attn.q_proj.weight", normal((H * hd, d), SCALE_QK / np.sqrt(d))),
            (p + "self_attn.k_proj.weight", normal((KV * hd, d), SCALE_QK / np.sqrt(d))),
            (p + "self_attn.v_proj.weight", normal((KV * hd, d), SCALE_V_O / np.sqrt(d))),
            (p + "self_attn.o_proj.weight", normal((d, H * hd), SCALE_V_O / np.sqrt(H * hd))),
        ]
        if not c.get("parallel"):  # Cohere2's parallel block has one norm per layer
            ws.append((p + "post_attention_layernorm.weight", gain_vec()))
        ws += [
            (p + "mlp.gate_proj.weight", normal((I, d), SCALE_MLP / np.sqrt(d))),
            (p + "mlp.up_proj.weight", normal((I, d), SCALE_MLP / np.sqrt(d))),
            (p + "mlp.down_proj.weight", normal((d, I), SCALE_MLP / np.sqrt(I))),
        ]
    final_gain = gain_vec()
    if c["tied"]:
        final_gain = (final_gain * np.float32(TIED_FINAL_GAIN / np.sqrt(d))).astype(np.float32)
    if c.get("logit_scale"):  # the head's logits come out times logit_scale
        final_gain = (final_gain / np.float32(c["logit_scale"])).astype(np.float32)
    ws.append(("model.norm.weight", final_gain))
    if not c["tied"]:
        ws.append(("lm_head.weight", normal((V, d), SCALE_HEAD / np.sqrt(d))))
    return ws


def encode(arr32, dtype):
    """float32 array -> little-endian bytes in dtype (round to nearest even)."""
    a = np.ascontiguousarray(arr32, dtype=np.float32)
    if dtype == "F32":
        return a.astype("<f4").tobytes()
    if dtype == "F16":
        return a.astype("<f2").tobytes()
    if dtype == "BF16":
        u = a.view(np.uint32).astype(np.uint64)
        r = (u + np.uint64(0x7FFF) + ((u >> np.uint64(16)) & np.uint64(1))) >> np.uint64(16)
        return r.astype("<u2").tobytes()
    raise ValueError(dtype)


def write_safetensors(path, tensors, dtype):
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    off = 0
    for name, arr in tensors:
        b = encode(arr, dtype)
        header[name] = {"dtype": dtype, "shape": list(arr.shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    hj = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hj += b" " * ((8 - len(hj) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for b in blobs:
            f.write(b)
    return off


def write_model(case_dir, c, ws):
    k = c["shards"]
    if k == 1:
        write_safetensors(os.path.join(case_dir, "model.safetensors"), ws, c["dtype"])
        return
    # contiguous groups of roughly equal size
    sizes = [a.size for _, a in ws]
    total = sum(sizes)
    groups = [[] for _ in range(k)]
    acc = 0
    for (name, a), sz in zip(ws, sizes):
        g = min(k - 1, int(acc * k // total))
        groups[g].append((name, a))
        acc += sz
    assert all(groups), "empty shard"
    wmap = {}
    total_bytes = 0
    for j, grp in enumerate(groups):
        fname = f"model-{j + 1:05d}-of-{k:05d}.safetensors"
        total_bytes += write_safetensors(os.path.join(case_dir, fname), grp, c["dtype"])
        for name, _ in grp:
            wmap[name] = fname
    with open(os.path.join(case_dir, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total_bytes}, "weight_map": wmap}, f, indent=1)
        f.write("\n")


# ---------------------------------------------------------------- documents

WORDS = (b"the of and to in is that it was for on are with as his they be at one "
         b"have this from or had by word but what some we can out other were all "
         b"there when up use your how said an each she which do their time if").split()


def make_doc(seed, n):
    """Mixture of random bytes (full 0..255), text-like runs, copies of earlier
    spans (long-range structure) and repeated-byte runs."""
    rng = np.random.default_rng(5000 + seed)
    doc = bytearray([0, 255])
    while len(doc) < n:
        kind = rng.integers(0, 4)
        if kind == 0:
            doc += bytes(rng.integers(0, 256, size=int(rng.integers(8, 48))).tolist())
        elif kind == 1:
            for _ in range(int(rng.integers(3, 12))):
                doc += WORDS[int(rng.integers(0, len(WORDS)))] + b" "
        elif kind == 2 and len(doc) > 64:
            ln = int(rng.integers(8, 40))
            st = int(rng.integers(0, len(doc) - ln))
            doc += doc[st:st + ln]
        else:
            doc += bytes([int(rng.integers(0, 256))]) * int(rng.integers(2, 10))
    return bytes(doc[:n])


# ---------------------------------------------------------------- checks

def nll_with(cfg_dict, W, tokens, **override):
    c = dict(cfg_dict)
    for k, v in override.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return swan_ref.forward_nll(swan_ref.Config(c), W, tokens)


def maxdiff(a, b):
    return float((a - b).abs().max())


def main(argv):
    t0 = time.time()
    out_root = argv[1] if len(argv) > 1 else os.path.join(HERE, "..", "fixtures")
    out_root = os.path.abspath(out_root)
    os.makedirs(out_root, exist_ok=True)
    cases = resolve_cases()
    results = {}
    for c in cases:
        case_dir = os.path.join(out_root, c["name"])
        if os.path.isdir(case_dir):
            shutil.rmtree(case_dir)
        os.makedirs(case_dir)
        cfg = make_config(c)
        with open(os.path.join(case_dir, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
            f.write("\n")
        ws = make_weights(c)
        write_model(case_dir, c, ws)
        doc = make_doc(c["seed"], c["n"])
        assert max(doc) == 255 and min(doc) == 0
        with open(os.path.join(case_dir, "doc.bin"), "wb") as f:
            f.write(doc)
        # expected NLL from the files as stored
        W = swan_ref.load_weights(case_dir)
        rcfg = swan_ref.load_config(case_dir)
        tokens = list(doc)
        stats = {}
        nll = swan_ref.forward_nll(rcfg, W, tokens, stats=stats)
        assert nll.shape == (len(doc) - 1,)
        assert torch.isfinite(nll).all()
        nll.numpy().astype("<f8").tofile(os.path.join(case_dir, "expected_nll.f64"))
        # float32 rounding of the same math must stay well under the engine tolerance
        nll32 = swan_ref.forward_nll(rcfg, W, tokens, dtype=torch.float32)
        f32_err = maxdiff(nll, nll32)
        assert f32_err <= F32_MARGIN, (c["name"], "float32 vs float64", f32_err)
        results[c["name"]] = dict(case=c, cfg=cfg, W=W, tokens=tokens, nll=nll,
                                  f32_err=f32_err, stats=stats)

        # ---- numerically realistic model
        mean = float(nll.mean())
        assert NLL_MEAN_RANGE[0] <= mean <= NLL_MEAN_RANGE[1], (c["name"], "NLL mean", mean)
        assert stats["logit_absmax"] <= LOGIT_ABS_MAX, (c["name"], stats["logit_absmax"])
        maxw = stats["attn_maxw"]
        assert max(maxw) >= ATTN_MIN_MAXW, (c["name"], "attention nearly uniform", maxw)
        for i, mw in enumerate(maxw):
            if rcfg.is_window(i) and c["w"] <= 2:
                continue  # 1 or 2 visible keys: trivially sharp
            assert mw <= ATTN_MAX_MAXW, (c["name"], "attention near argmax", i, mw)

        # ---- per-case sanity: a non-trivial test
        std = float(nll.std())
        assert std > 0.1, (c["name"], std)
        pat = c["pattern"]
        if S in pat and c["w"] < len(doc):
            d = maxdiff(nll, nll_with(cfg, W, tokens, sliding_window=BIG_WINDOW))
            assert d > 1e-3, (c["name"], "window has no effect", d)
        if S in pat and c["w"] >= len(doc):
            d = maxdiff(nll, nll_with(cfg, W, tokens, sliding_window=BIG_WINDOW))
            assert d < 1e-12, (c["name"], "window > doc should equal unbounded", d)
            d = maxdiff(nll, nll_with(cfg, W, tokens, sliding_window=len(doc)))
            assert d < 1e-12, (c["name"], "window == doc should equal unbounded", d)
        scaled_layers = [i for i in range(len(pat)) if rcfg.is_scaled(i)]
        if c["alpha"] or rcfg.scale_fn is not None:
            unscaled = nll_with(cfg, W, tokens, swan_attn_scaling=None,
                                attn_temperature_tuning=None)
            d = maxdiff(nll, unscaled)
            if scaled_layers:
                assert d > 1e-3, (c["name"], "scaling has no effect", d)
            else:
                assert d == 0.0, (c["name"], "scaling should not apply", d)
            if "unscaled_prefix" in c:  # s(p) = 1 exactly there, and only there
                k = c["unscaled_prefix"]
                assert maxdiff(nll[:k], unscaled[:k]) == 0.0, (c["name"], "prefix scaled")
                assert abs(float(nll[k] - unscaled[k])) > 1e-6, (c["name"], "step missed")
        if "rope_scaling" in cfg:
            d = maxdiff(nll, nll_with(cfg, W, tokens, rope_scaling=None))
            assert d > 1e-3, (c["name"], "rope_scaling has no effect", d)
        if c.get("rope_all"):
            assert all(rcfg.rope), (c["name"], "family layers should all use RoPE")
        if c.get("rope_interval"):
            want = [(i + 1) % c["rope_interval"] != 0 for i in range(len(pat))]
            assert rcfg.rope == want and rcfg.tied == c["tied"], (c["name"], rcfg.rope)
        assert [rcfg.is_window(i) for i in range(len(pat))] == [t == S for t in pat], c["name"]
        if c["no_rope"] is not None:
            d = maxdiff(nll, nll_with(cfg, W, tokens, no_rope_layers=None))
            default = [1 if t == S else 0 for t in pat]
            if list(c["no_rope"]) == default:
                assert d == 0.0, (c["name"], d)
            else:
                assert d > 1e-3, (c["name"], "no_rope_layers override has no effect", d)
        if N in pat and not all(rcfg.rope):
            # NoPE global layers see the whole past: global attention matters
            d = maxdiff(nll, nll_with(cfg, W, tokens,
                                      layer_types=[S] * len(pat), sliding_window=8,
                                      no_rope_layers=[int(r) for r in rcfg.rope]))
            assert d > 1e-3, (c["name"], "global layers look local", d)

    # ---- twin checks: scaling on vs off on otherwise identical models
    for c in cases:
        if "twin_of" not in c:
            continue
        a = results[c["twin_of"]]
        b = results[c["name"]]
        assert a["tokens"] == b["tokens"]
        for k in a["W"]:
            assert torch.equal(a["W"][k], b["W"][k])
        L = a["case"]["L"]
        d_all = maxdiff(a["nll"], b["nll"])
        d_pre = maxdiff(a["nll"][:L], b["nll"][:L])  # s(p) = 1 for p < L
        assert d_all > 1e-3, (c["name"], d_all)
        assert d_pre == 0.0, (c["name"], d_pre)

    all_maxw = [mw for r in results.values() for mw in r["stats"]["attn_maxw"]]
    frac = sum(mw >= ATTN_MIN_MAXW for mw in all_maxw) / len(all_maxw)
    assert frac >= ATTN_MIN_FRACTION, ("too many near-uniform attention layers", frac)

    with open(os.path.join(out_root, "cases.txt"), "w") as f:
        for c in cases:
            f.write(c["name"] + "\n")

    # ---- report
    total = 0
    for root, _, files in os.walk(out_root):
        for fn in files:
            total += os.path.getsize(os.path.join(root, fn))
    print(f"{'case':34s} {'dtype':5s} {'sh':>2s} {'d':>3s} {'H/KV/hd':>8s} {'pattern':8s} "
          f"{'rope':8s} {'w':>10s} {'L':>3s} {'alpha':>5s} {'tied':>4s} {'n':>5s} "
          f"{'mean':>7s} {'std':>6s} {'|logit|':>7s} {'f32-f64':>8s}  attn max-weight per layer")
    for c in cases:
        r = results[c["name"]]
        rc = swan_ref.Config(r["cfg"])
        pat = "".join("S" if t == S else "N" for t in c["pattern"])
        rope = "".join("1" if x else "0" for x in rc.rope)
        alpha = "-" if c["alpha"] is None else f"{c['alpha']:g}"
        print(f"{c['name']:34s} {c['dtype']:5s} {c['shards']:2d} {c['d']:3d} "
              f"{c['H']}/{c['KV']}/{c['hd']:<4d} {pat:8s} {rope:8s} {c['w'] or 0:10d} {c['L']:3d} "
              f"{alpha:>5s} {'y' if c['tied'] else 'n':>4s} {c['n']:5d} "
              f"{float(r['nll'].mean()):7.3f} {float(r['nll'].std()):6.3f} "
              f"{r['stats']['logit_absmax']:7.2f} {r['f32_err']:8.1e}  "
              + " ".join(f"{mw:.2f}" for mw in r["stats"]["attn_maxw"]))
    print(f"max |NLL_f32 - NLL_f64| {max(r['f32_err'] for r in results.values()):.2e} "
          f"(limit {F32_MARGIN:g}); attention max-weight >= {ATTN_MIN_MAXW} in "
          f"{frac:.0%} of layers")
    print(f"total size {total} bytes; {time.time() - t0:.1f} s")
    assert total < 4 * 1024 * 1024, total
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
