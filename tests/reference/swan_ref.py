#!/usr/bin/python3
"""Independent float64 PyTorch reference for swan (DESIGN.md section 2).

Written from the math, not from the C engine. Clarity over speed: dense causal
attention with explicit masks, whole sequence at once (queries processed in
blocks only to bound memory; the blocks do not change the result).

Usage:  /usr/bin/python3 swan_ref.py [--float32] MODEL_DIR DOC.bin OUT.f64
  DOC.bin    raw bytes, each byte one token id
  OUT.f64    little-endian float64, n-1 values: NLL(p) = -log softmax(logits(p))[tok(p+1)]
  --float32  run the same math in float32 (weights, activations, softmax); used only
             to measure float32 rounding against the float64 reference (the golden
             values are always float64)
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

# ---------------------------------------------------------------- safetensors

_ELEM_SIZE = {"F32": 4, "F16": 2, "BF16": 2}


def read_safetensors(path):
    """Return {name: float64 torch tensor}. Supports F32, F16, BF16."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: too short")
    (hlen,) = struct.unpack("<Q", data[:8])
    if 8 + hlen > len(data):
        raise ValueError(f"{path}: header length {hlen} exceeds file")
    header = json.loads(data[8:8 + hlen].decode("utf-8"))
    buf = memoryview(data)[8 + hlen:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dt = info["dtype"]
        if dt not in _ELEM_SIZE:
            raise ValueError(f"{path}: {name}: unsupported dtype {dt}")
        shape = [int(s) for s in info["shape"]]
        b, e = (int(v) for v in info["data_offsets"])
        count = 1
        for s in shape:
            count *= s
        if not (0 <= b <= e <= len(buf)) or e - b != count * _ELEM_SIZE[dt]:
            raise ValueError(f"{path}: {name}: bad data_offsets {b},{e}")
        raw = buf[b:e]
        if dt == "F32":
            arr = np.frombuffer(raw, dtype="<f4").astype(np.float64)
        elif dt == "F16":
            arr = np.frombuffer(raw, dtype="<f2").astype(np.float64)
        else:  # BF16: upper 16 bits of an IEEE float32
            u = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << np.uint32(16)
            arr = u.view(np.float32).astype(np.float64)
        out[name] = torch.from_numpy(arr.reshape(shape).copy())
    return out


def load_weights(model_dir):
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            wmap = json.load(f)["weight_map"]
        weights = {}
        for fname in sorted(set(wmap.values())):
            part = read_safetensors(os.path.join(model_dir, fname))
            for name, t in part.items():
                if name in weights:
                    raise ValueError(f"tensor {name} appears in two shards")
                weights[name] = t
        for name, fname in wmap.items():
            if name not in weights:
                raise ValueError(f"index maps {name} to {fname} but it is not there")
        return weights
    return read_safetensors(os.path.join(model_dir, "model.safetensors"))


# ---------------------------------------------------------------- config

class Config:
    def __init__(self, c):
        self.raw = c
        self.V = int(c["vocab_size"])
        self.d = int(c["hidden_size"])
        self.I = int(c["intermediate_size"])
        self.nl = int(c["num_hidden_layers"])
        self.H = int(c["num_attention_heads"])
        self.KV = int(c.get("num_key_value_heads") or self.H)
        if self.H % self.KV:
            raise ValueError("num_attention_heads % num_key_value_heads != 0")
        self.hd = int(c.get("head_dim") or self.d // self.H)
        if self.hd % 2:
            raise ValueError("head_dim must be even for RoPE")
        self.model_type = c.get("model_type")
        # Cohere2: LayerNorm without bias, parallel block, interleaved-pair RoPE,
        # output logits times logit_scale (Cohere2Config defaults below)
        self.cohere = self.model_type == "cohere2"
        if self.cohere:
            self.eps = float(c.get("layer_norm_eps", 1e-5))
            self.logit_scale = float(c.get("logit_scale", 0.0625))
        else:
            self.eps = float(c["rms_norm_eps"])
            self.logit_scale = 1.0
        self.theta = float(c["rope_theta"])
        self.L = int(c["max_position_embeddings"])
        # model_type: None = swan's own layout; llama / mistral / smollm3 read as
        # Hugging Face transformers reads them (DESIGN.md section 2).
        if self.model_type not in (None, "llama", "mistral", "smollm3", "cohere2"):
            raise ValueError(f"unsupported model_type {self.model_type}")
        self.window = c.get("sliding_window")
        lt = c.get("layer_types")
        if lt is None and self.cohere:
            # Cohere2: layer i slides unless (i + 1) is a multiple of the pattern
            pat = int(c.get("sliding_window_pattern", 4))
            lt = ["sliding_attention" if (i + 1) % pat else "full_attention" for i in range(self.nl)]
        if lt is None:
            # Mistral: one window for every layer (none when sliding_window is null)
            every_window = self.model_type == "mistral" and self.window is not None
            lt = ["sliding_attention" if every_window else "full_attention"] * self.nl
        self.layer_types = list(lt)
        if len(self.layer_types) != self.nl:
            raise ValueError("len(layer_types) != num_hidden_layers")
        for t in self.layer_types:
            if t not in ("sliding_attention", "full_attention"):
                raise ValueError(f"unknown layer type {t}")
        if "sliding_attention" in self.layer_types and not (self.window and int(self.window) >= 1):
            raise ValueError("sliding layers need sliding_window >= 1")
        nr = c.get("no_rope_layers")
        if nr is not None:
            if len(nr) != self.nl:
                raise ValueError("len(no_rope_layers) != num_hidden_layers")
            self.rope = [int(v) == 1 for v in nr]
        elif self.model_type == "smollm3":
            # SmolLM3Config: no_rope_layers[i] = int((i + 1) % interval != 0)
            interval = int(c.get("no_rope_layer_interval", 4))
            self.rope = [(i + 1) % interval != 0 for i in range(self.nl)]
        elif self.model_type in ("llama", "mistral") and c.get("layer_types") is None:
            self.rope = [True] * self.nl
        else:
            self.rope = [t == "sliding_attention" for t in self.layer_types]
        self.tied = bool(c.get("tie_word_embeddings", self.model_type in ("smollm3", "cohere2")))
        self.rope_scaling = c.get("rope_scaling")
        self.scale_fn = scale_function(c, self.L)

    def is_window(self, i):
        return self.layer_types[i] == "sliding_attention"

    def is_scaled(self, i):
        """Dynamic scaling: global layers without RoPE, when a form is on."""
        return self.scale_fn is not None and not self.is_window(i) and not self.rope[i]


def scale_function(c, L):
    """s(p) of DESIGN.md section 2 as a function of the 0-based positions
    (float64 tensor), or None when no scaling is configured."""
    if c.get("attn_temperature_tuning"):
        if c.get("swan_attn_scaling") is not None:
            raise ValueError("both swan_attn_scaling and attn_temperature_tuning")
        # Llama 4: queries at cache position p times 1 + attn_scale * log1p(floor((p+1)/floor_scale))
        fs = float(c.get("floor_scale", 8192))
        a = float(c.get("attn_scale", 0.1))
        return lambda p: 1.0 + a * torch.log1p(torch.floor((p + 1.0) / fs))
    sc = c.get("swan_attn_scaling")
    if sc is None:
        return None
    kind = sc.get("type")
    if kind == "log_a":
        A = float(sc["a"])
        if not A > 1.0:
            raise ValueError("swan_attn_scaling.a must be > 1")
        return lambda p: torch.log(p + A) / math.log(A)
    if kind != "log":
        raise ValueError(f"unknown swan_attn_scaling type {kind}")
    alpha = float(sc.get("alpha", 0.0))
    if alpha == 0.0:
        return None
    train_len = int(sc.get("train_len") or L)
    return lambda p: torch.clamp(1.0 + alpha * torch.log((p + 1.0) / float(train_len)), min=1.0)


def load_config(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        return Config(json.load(f))


# ---------------------------------------------------------------- math

def rms_norm(x, g, eps):
    return x / torch.sqrt((x * x).mean(dim=-1, keepdim=True) + eps) * g


def rope_inv_freq(hd, theta, rope_scaling=None):
    """theta^(-2i/hd), i < hd/2, then rope_scaling: "linear" divides every
    frequency by factor; "llama3" divides the frequencies whose wavelength
    2 pi / f exceeds original_max_position_embeddings / low_freq_factor by
    factor, keeps those below original / high_freq_factor, and in between
    blends f / factor and f with weight (original / wavelength - low) / (high - low)
    on f."""
    i = torch.arange(hd // 2, dtype=torch.float64)
    inv_freq = theta ** (-2.0 * i / hd)
    if rope_scaling is None:
        return inv_freq
    kind = rope_scaling.get("rope_type", rope_scaling.get("type"))
    if kind == "default":
        return inv_freq
    factor = float(rope_scaling["factor"])
    if kind == "linear":
        return inv_freq / factor
    if kind != "llama3":
        raise ValueError(f"unsupported rope_scaling {kind}")
    low = float(rope_scaling["low_freq_factor"])
    high = float(rope_scaling["high_freq_factor"])
    orig = float(rope_scaling["original_max_position_embeddings"])
    out = inv_freq.clone()
    for j in range(len(out)):
        wavelen = 2.0 * math.pi / float(inv_freq[j])
        if wavelen > orig / low:
            out[j] = inv_freq[j] / factor
        elif wavelen >= orig / high:
            w = (orig / wavelen - low) / (high - low)
            out[j] = w * inv_freq[j] + (1.0 - w) * inv_freq[j] / factor
    return out


def rope_cos_sin(positions, hd, theta, rope_scaling=None):
    """HF Llama rotate-half tables: [n, hd] cos and sin, angles in float64
    (the caller casts them to the compute dtype)."""
    inv_freq = rope_inv_freq(hd, theta, rope_scaling)
    ang = positions.to(torch.float64)[:, None] * inv_freq[None, :]  # [n, hd/2]
    ang = torch.cat([ang, ang], dim=-1)
    return torch.cos(ang), torch.sin(ang)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


def apply_rope(x, cos, sin):
    """x: [heads, n, hd]; cos/sin: [n, hd]."""
    return x * cos + rotate_half(x) * sin


def apply_rope_pairs(x, cos, sin):
    """Cohere's RoPE: elements (2i, 2i+1) rotated by pair i's angle.
    x: [heads, n, hd]; cos/sin: [n, hd] as from rope_cos_sin (first half used)."""
    h = x.shape[-1] // 2
    c, s = cos[:, :h], sin[:, :h]
    a, b = x[..., 0::2], x[..., 1::2]
    return torch.stack([a * c - b * s, b * c + a * s], dim=-1).flatten(-2)


def layer_norm(x, g, eps):
    """LayerNorm without bias: (x - mean) / sqrt(var + eps) * g."""
    xc = x - x.mean(dim=-1, keepdim=True)
    return xc / torch.sqrt((xc * xc).mean(dim=-1, keepdim=True) + eps) * g


def attention(q, k, v, positions, window, scale_rows, block=1024, maxw=None):
    """q: [H, n, hd]; k, v: [H, n, hd] (already expanded to H heads).
    Dense masked softmax attention.  window None = global (j <= p), else p-w < j <= p.
    scale_rows: None or [n] multiplier of the logits of query row p.
    maxw: None or a list; receives the [H, n] largest attention weight of each row."""
    H, n, hd = q.shape
    out = torch.empty_like(q)
    pj = positions[None, :]
    for b0 in range(0, n, block):
        b1 = min(n, b0 + block)
        pi = positions[b0:b1, None]
        mask = pj <= pi
        if window is not None:
            mask = mask & (pj > pi - window)
        logits = torch.matmul(q[:, b0:b1], k.transpose(1, 2)) / math.sqrt(hd)
        if scale_rows is not None:
            logits = logits * scale_rows[b0:b1, None]
        logits = logits.masked_fill(~mask, float("-inf"))
        probs = torch.softmax(logits, dim=-1)
        if maxw is not None:
            maxw.append(probs.max(dim=-1).values)
        out[:, b0:b1] = torch.matmul(probs, v)
    return out


def forward_nll(cfg, W, tokens, dtype=torch.float64, stats=None):
    """tokens: sequence of ints.  Returns float64 tensor of n-1 NLL values.
    dtype: compute dtype (float64 for the golden values; float32 only to measure
    rounding).  stats: None or a dict that receives diagnostics:
    'attn_maxw' = per layer, mean over heads and positions of the largest attention
    weight; 'logit_absmax' = max |head logit|."""
    tok = torch.as_tensor(list(tokens), dtype=torch.long)
    n = tok.numel()
    if n < 2:
        return torch.zeros(0)
    W = {name: t.to(dtype) for name, t in W.items()}
    if int(tok.max()) >= cfg.V or int(tok.min()) < 0:
        raise ValueError("token id out of vocabulary")
    H, KV, hd = cfg.H, cfg.KV, cfg.hd
    group = H // KV
    pos = torch.arange(n, dtype=torch.long)
    cos, sin = rope_cos_sin(pos, hd, cfg.theta, cfg.rope_scaling)
    cos, sin = cos.to(dtype), sin.to(dtype)
    if stats is not None:
        stats["attn_maxw"] = []
    norm = layer_norm if cfg.cohere else rms_norm
    rope_fn = apply_rope_pairs if cfg.cohere else apply_rope
    x = W["model.embed_tokens.weight"][tok].clone()  # [n, d]
    for i in range(cfg.nl):
        pre = f"model.layers.{i}."
        h = norm(x, W[pre + "input_layernorm.weight"], cfg.eps)
        q = (h @ W[pre + "self_attn.q_proj.weight"].T).view(n, H, hd).transpose(0, 1)
        k = (h @ W[pre + "self_attn.k_proj.weight"].T).view(n, KV, hd).transpose(0, 1)
        v = (h @ W[pre + "self_attn.v_proj.weight"].T).view(n, KV, hd).transpose(0, 1)
        if cfg.rope[i]:
            q = rope_fn(q, cos, sin)
            k = rope_fn(k, cos, sin)
        # query head j uses kv head j // group
        k = k.repeat_interleave(group, dim=0)
        v = v.repeat_interleave(group, dim=0)
        window = int(cfg.window) if cfg.is_window(i) else None
        srows = cfg.scale_fn(pos.to(torch.float64)).to(dtype) if cfg.is_scaled(i) else None
        maxw = [] if stats is not None else None
        a = attention(q, k, v, pos, window, srows, maxw=maxw)  # [H, n, hd]
        if stats is not None:
            stats["attn_maxw"].append(float(torch.cat(maxw, dim=1).double().mean()))
        a = a.transpose(0, 1).reshape(n, H * hd)
        attn_out = a @ W[pre + "self_attn.o_proj.weight"].T
        if cfg.cohere:  # parallel block: the MLP reads the same normed input
            gate = h @ W[pre + "mlp.gate_proj.weight"].T
            up = h @ W[pre + "mlp.up_proj.weight"].T
            mlp = (torch.nn.functional.silu(gate) * up) @ W[pre + "mlp.down_proj.weight"].T
            x = x + attn_out + mlp
            continue
        x = x + attn_out
        h = rms_norm(x, W[pre + "post_attention_layernorm.weight"], cfg.eps)
        gate = h @ W[pre + "mlp.gate_proj.weight"].T
        up = h @ W[pre + "mlp.up_proj.weight"].T
        x = x + (torch.nn.functional.silu(gate) * up) @ W[pre + "mlp.down_proj.weight"].T
    h = norm(x, W["model.norm.weight"], cfg.eps)
    if cfg.tied or "lm_head.weight" not in W:
        lm = W["model.embed_tokens.weight"]
    else:
        lm = W["lm_head.weight"]
    logits = (h[:-1] @ lm.T) * cfg.logit_scale  # [n-1, V]
    if stats is not None:
        stats["logit_absmax"] = float(logits.abs().max())
    logp = torch.log_softmax(logits, dim=-1)
    return -logp[torch.arange(n - 1), tok[1:]].to(torch.float64)


def nll_for_dir(model_dir, tokens, dtype=torch.float64):
    return forward_nll(load_config(model_dir), load_weights(model_dir), tokens, dtype=dtype)


def main(argv):
    args = argv[1:]
    dtype = torch.float64
    if args and args[0] == "--float32":
        dtype = torch.float32
        args = args[1:]
    if len(args) != 3:
        sys.stderr.write(__doc__)
        return 2
    model_dir, doc, out = args
    with open(doc, "rb") as f:
        tokens = list(f.read())
    nll = nll_for_dir(model_dir, tokens, dtype=dtype)
    nll.numpy().astype("<f8").tofile(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
