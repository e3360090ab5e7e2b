#!/usr/bin/python3
"""Self-checks of swan_ref.py (run after make_fixtures.py):
  1. RoPE tables + rotate_half equal a naive per-pair rotation formula.
  2. BF16/F16 encoding of make_fixtures matches torch's rounding; safetensors round trip.
  3. GQA model == the MHA model obtained by duplicating K/V heads.
  4. An independent token-by-token implementation (KV caches, explicit loops over
     heads, its own RoPE/scaling/window code) matches the fixtures.
  5. Prefix property: NLL of doc[:k] equals the first k-1 NLLs of the whole doc.
  6. The CLI reproduces expected_nll.f64 bit for bit.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_fixtures as MF  # noqa: E402
import swan_ref as R  # noqa: E402

FIX = os.path.abspath(os.path.join(HERE, "..", "fixtures"))


def fixture(name):
    d = os.path.join(FIX, name)
    with open(os.path.join(d, "doc.bin"), "rb") as f:
        toks = list(f.read())
    exp = torch.from_numpy(np.fromfile(os.path.join(d, "expected_nll.f64"), dtype="<f8"))
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    return d, cfg, R.load_weights(d), toks, exp


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)
    print("ok  ", msg)


# 1 ------------------------------------------------------------------ RoPE
def test_rope():
    g = torch.Generator().manual_seed(0)
    for hd, theta in [(8, 10000.0), (6, 500.0), (24, 1e6)]:
        n, H = 50, 3
        x = torch.randn(H, n, hd, generator=g, dtype=torch.float64)
        pos = torch.arange(n) * 37  # large positions too
        cos, sin = R.rope_cos_sin(pos, hd, theta)
        got = R.apply_rope(x, cos, sin)
        want = torch.empty_like(x)
        half = hd // 2
        for p in range(n):
            for i in range(half):
                ang = float(pos[p]) * theta ** (-2.0 * i / hd)
                c, s = math.cos(ang), math.sin(ang)
                a, b = x[:, p, i], x[:, p, i + half]
                want[:, p, i] = a * c - b * s
                want[:, p, i + half] = a * s + b * c
        check(float((got - want).abs().max()) < 1e-12, f"rope hd={hd} theta={theta} == per-pair rotation")


# 2 ------------------------------------------------------------------ dtype / IO
def test_encoding():
    rng = np.random.default_rng(0)
    a = (rng.standard_normal(10000) * np.exp(rng.uniform(-8, 8, 10000))).astype(np.float32)
    # include exact ties for round-to-nearest-even
    a[:4] = np.array([1 + 2 ** -8, 1 + 3 * 2 ** -8, -(1 + 2 ** -8), 65504.0], dtype=np.float32)
    bf = np.frombuffer(MF.encode(a, "BF16"), dtype="<u2")
    tb = torch.from_numpy(a.copy()).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    check(np.array_equal(bf, tb), "BF16 encoding == torch bfloat16 rounding")
    with tempfile.TemporaryDirectory() as t:
        shapes = [(3, 5), (7,), (2, 3, 4)]
        ws = [(f"t{i}", rng.standard_normal(s).astype(np.float32)) for i, s in enumerate(shapes)]
        for dt, ref in [("F32", lambda x: x.astype(np.float64)),
                        ("F16", lambda x: x.astype(np.float16).astype(np.float64)),
                        ("BF16", lambda x: torch.from_numpy(x).to(torch.bfloat16).double().numpy())]:
            p = os.path.join(t, f"{dt}.safetensors")
            MF.write_safetensors(p, ws, dt)
            back = R.read_safetensors(p)
            okk = all(np.array_equal(back[n].numpy(), ref(a)) for n, a in ws)
            check(okk, f"safetensors {dt} round trip")


# 3 ------------------------------------------------------------------ GQA == MHA
def test_gqa_vs_mha(name):
    d, cfg, W, toks, exp = fixture(name)
    H, KV, hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    assert KV < H
    grp = H // KV
    W2 = dict(W)
    for i in range(cfg["num_hidden_layers"]):
        for t in ("k_proj", "v_proj"):
            k = f"model.layers.{i}.self_attn.{t}.weight"
            W2[k] = W[k].view(KV, hd, -1).repeat_interleave(grp, dim=0).reshape(H * hd, -1)
    cfg2 = dict(cfg, num_key_value_heads=H)
    nll = R.forward_nll(R.Config(cfg2), W2, toks)
    check(float((nll - exp).abs().max()) < 1e-10, f"{name}: GQA == MHA with duplicated kv heads")


# 4 ------------------------------------------------------------------ incremental
def incremental_nll(cfg, W, toks):
    """Independent implementation: one token at a time, per-layer K/V caches."""
    d = cfg["hidden_size"]
    H = cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads", H)
    hd = cfg.get("head_dim") or d // H
    theta = cfg["rope_theta"]
    cohere = cfg.get("model_type") == "cohere2"
    eps = cfg.get("layer_norm_eps", 1e-5) if cohere else cfg["rms_norm_eps"]
    logit_scale = cfg.get("logit_scale", 0.0625) if cohere else 1.0
    nl = cfg["num_hidden_layers"]
    mt = cfg.get("model_type")
    types = cfg.get("layer_types")
    if types is None and cohere:
        pat = cfg.get("sliding_window_pattern", 4)
        types = ["full_attention" if (li + 1) % pat == 0 else "sliding_attention"
                 for li in range(nl)]
    if types is None:  # a family's own layout: Mistral windows every layer
        win = mt == "mistral" and cfg.get("sliding_window") is not None
        types = ["sliding_attention" if win else "full_attention"] * nl
    if cfg.get("no_rope_layers") is not None:
        rope = cfg["no_rope_layers"]
    elif mt == "smollm3":
        every = cfg.get("no_rope_layer_interval", 4)
        rope = [0 if (li + 1) % every == 0 else 1 for li in range(nl)]
    elif mt in ("llama", "mistral") and "layer_types" not in cfg:
        rope = [1] * nl
    else:
        rope = [1 if t == "sliding_attention" else 0 for t in types]
    w = cfg.get("sliding_window")
    tied = cfg.get("tie_word_embeddings", mt in ("smollm3", "cohere2"))
    lm = W["model.embed_tokens.weight"] if tied else W["lm_head.weight"]

    def s_of(p):
        """The logit factor of a global NoPE layer at position p."""
        if cfg.get("attn_temperature_tuning"):
            fl, a = cfg.get("floor_scale", 8192), cfg.get("attn_scale", 0.1)
            return 1.0 + a * math.log(1.0 + math.floor((p + 1) / fl))
        sc = cfg.get("swan_attn_scaling") or {}
        if sc.get("type") == "log_a":
            return math.log(p + sc["a"]) / math.log(sc["a"])
        alpha = float(sc.get("alpha", 0.0))
        Ltr = sc.get("train_len") or cfg["max_position_embeddings"]
        return max(1.0, 1.0 + alpha * math.log((p + 1) / Ltr)) if alpha else 1.0

    def freq(i):
        f = theta ** (-2.0 * i / hd)
        rs = cfg.get("rope_scaling") or {}
        kind = rs.get("rope_type", rs.get("type"))
        if kind == "linear":
            return f / rs["factor"]
        if kind != "llama3":
            return f
        wl, old = 2 * math.pi / f, rs["original_max_position_embeddings"]
        lo, hi, fac = rs["low_freq_factor"], rs["high_freq_factor"], rs["factor"]
        if wl < old / hi:
            return f
        if wl > old / lo:
            return f / fac
        sm = (old / wl - lo) / (hi - lo)
        return (1 - sm) * f / fac + sm * f

    def norm(x, g):
        if cohere:  # LayerNorm without bias
            x = x - float(x.sum()) / x.numel()
        return g * x / math.sqrt(float((x ** 2).sum()) / x.numel() + eps)

    def rot(vec, p):
        out = vec.clone()
        half = hd // 2
        for i in range(half):
            ang = p * freq(i)
            c, s = math.cos(ang), math.sin(ang)
            if cohere:  # pairs (2i, 2i+1)
                out[2 * i] = vec[2 * i] * c - vec[2 * i + 1] * s
                out[2 * i + 1] = vec[2 * i] * s + vec[2 * i + 1] * c
                continue
            out[i] = vec[i] * c - vec[i + half] * s
            out[i + half] = vec[i] * s + vec[i + half] * c
        return out

    cache = [[] for _ in range(nl)]  # per layer: list of (pos, [k_h], [v_h])
    nll = []
    for p, t in enumerate(toks):
        x = W["model.embed_tokens.weight"][t].clone()
        for li in range(nl):
            pre = f"model.layers.{li}."
            h = norm(x, W[pre + "input_layernorm.weight"])
            q = W[pre + "self_attn.q_proj.weight"] @ h
            k = W[pre + "self_attn.k_proj.weight"] @ h
            v = W[pre + "self_attn.v_proj.weight"] @ h
            qs = [q[j * hd:(j + 1) * hd] for j in range(H)]
            ks = [k[j * hd:(j + 1) * hd] for j in range(KV)]
            vs = [v[j * hd:(j + 1) * hd] for j in range(KV)]
            if rope[li] == 1:
                qs = [rot(a, p) for a in qs]
                ks = [rot(a, p) for a in ks]
            cache[li].append((p, ks, vs))
            if types[li] == "sliding_attention":
                cache[li] = [e for e in cache[li] if e[0] > p - w]  # ring buffer of w
            s = 1.0
            if types[li] == "full_attention" and rope[li] == 0:
                s = s_of(p)
            outs = []
            for j in range(H):
                kvh = j // (H // KV)
                sc_ = [s * float(qs[j] @ e[1][kvh]) / math.sqrt(hd) for e in cache[li]]
                m = max(sc_)
                ex = [math.exp(z - m) for z in sc_]
                tot = sum(ex)
                o = sum(e_ / tot * c[2][kvh] for e_, c in zip(ex, cache[li]))
                outs.append(o)
            attn = W[pre + "self_attn.o_proj.weight"] @ torch.cat(outs)
            if not cohere:  # Cohere2's MLP reads the same h (parallel block)
                x = x + attn
                h = norm(x, W[pre + "post_attention_layernorm.weight"])
            g = W[pre + "mlp.gate_proj.weight"] @ h
            u = W[pre + "mlp.up_proj.weight"] @ h
            x = x + W[pre + "mlp.down_proj.weight"] @ (g / (1 + torch.exp(-g)) * u)
            if cohere:
                x = x + attn
        if p + 1 < len(toks):
            logits = (lm @ norm(x, W["model.norm.weight"])) * logit_scale
            m = float(logits.max())
            lse = m + math.log(float(torch.exp(logits - m).sum()))
            nll.append(lse - float(logits[toks[p + 1]]))
    return torch.tensor(nll, dtype=torch.float64)


def test_incremental(name, limit):
    d, cfg, W, toks, exp = fixture(name)
    k = min(limit, len(toks))
    nll = incremental_nll(cfg, W, toks[:k])
    dd = float((nll - exp[:k - 1]).abs().max())
    check(dd < 1e-9, f"{name}: token-by-token == reference on {k} tokens (max |d| {dd:.1e})")


# 5 ------------------------------------------------------------------ prefix
def test_prefix(name, k):
    d, cfg, W, toks, exp = fixture(name)
    nll = R.forward_nll(R.Config(cfg), W, toks[:k])
    check(torch.equal(nll, exp[:k - 1]) or float((nll - exp[:k - 1]).abs().max()) < 1e-12,
          f"{name}: prefix of {k} tokens == prefix of full NLL")


# 6 ------------------------------------------------------------------ CLI
def test_cli(name):
    d = os.path.join(FIX, name)
    with tempfile.TemporaryDirectory() as t:
        out = os.path.join(t, "out.f64")
        subprocess.run([sys.executable, os.path.join(HERE, "swan_ref.py"), d,
                        os.path.join(d, "doc.bin"), out], check=True)
        a = open(out, "rb").read()
        b = open(os.path.join(d, "expected_nll.f64"), "rb").read()
        check(a == b, f"{name}: CLI output == expected_nll.f64")


def main():
    cases = open(os.path.join(FIX, "cases.txt")).read().split()
    test_rope()
    test_encoding()
    for name in cases:
        cfg = json.load(open(os.path.join(FIX, name, "config.json")))
        if cfg["num_key_value_heads"] < cfg["num_attention_heads"]:
            test_gqa_vs_mha(name)
    for name in cases:
        # past 4x the training length so dynamic scaling is exercised
        test_incremental(name, 200 if name == "long4096" else 300)
    test_prefix("long4096", 1000)
    test_prefix("sssn_mha_f32_scaled", 123)
    test_cli("sssns_hd16_f16_shard3")
    test_cli("nsss_gqa_bf16_w1_scaled")
    print("all self-tests passed")


if __name__ == "__main__":
    main()
