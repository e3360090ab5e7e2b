#!/usr/bin/python3
"""Trains the embedded default models (swan-tiny, gpt-tiny) on CPU with PyTorch.

The model is exactly DESIGN.md section 2: RMSNorm, grouped-query attention,
rotate-half RoPE on the layers that use it, sliding-window masks, SwiGLU MLP,
tied LM head. Dynamic attention scaling (alpha) is inference-only: training
runs with alpha 0, the forward here takes alpha for evaluation.

Input: the books as token ids (little-endian uint32, one BOOK.u32 per book),
as written by make_tokenizer.js. Training draws batches of random windows of
L + 1 tokens, each inside one book, from every book except War and Peace
(pg2600, never seen) and the validation book (pg1342, Pride and Prejudice).

Output: a MODEL_DIR (config.json, model.safetensors in BF16 with Llama tensor
names, tokenizer.json) and /tmp/swan-train-ARCH-summary.json (losses, timing),
from which the MODEL_DIR's TRAINING.md is written.

    nice -n 19 /usr/bin/python3 model/train/train.py --arch swan \
        --ids /tmp/swan-train-ids --out model/default/swan-tiny
"""
import argparse
import json
import math
import os
import shutil
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
NEVER = "pg2600"  # War and Peace: the demo's book, never trained on


# ----------------------------------------------------------------------------
# Model (DESIGN.md section 2)

def layer_plan(arch, n_layers):
    """(layer_types, no_rope_layers) for an architecture."""
    if arch == "swan":  # SSSN repeated: window RoPE x3, global NoPE x1
        types = ["full_attention" if i % 4 == 3 else "sliding_attention" for i in range(n_layers)]
        rope = [1 if t == "sliding_attention" else 0 for t in types]
    elif arch == "gpt":  # the baseline: every layer global, every layer RoPE
        types = ["full_attention"] * n_layers
        rope = [1] * n_layers
    else:
        raise ValueError(arch)
    return types, rope


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def rope_tables(positions, head_dim, theta, dtype):
    """cos, sin [T, head_dim] for absolute positions (HF Llama convention)."""
    i = torch.arange(0, head_dim, 2, dtype=torch.float64)
    inv_freq = theta ** (-i / head_dim)
    freqs = positions.to(torch.float64)[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


class Layer(nn.Module):
    def __init__(self, cfg, i):
        super().__init__()
        d, H, KV, hd, ff = (cfg["hidden_size"], cfg["num_attention_heads"],
                            cfg["num_key_value_heads"], cfg["head_dim"], cfg["intermediate_size"])
        self.H, self.KV, self.hd = H, KV, hd
        self.window = cfg["layer_types"][i] == "sliding_attention"
        self.w = cfg.get("sliding_window") if self.window else None
        self.rope = bool(cfg["no_rope_layers"][i])
        self.input_layernorm = RMSNorm(d, cfg["rms_norm_eps"])
        self.q_proj = nn.Linear(d, H * hd, bias=False)
        self.k_proj = nn.Linear(d, KV * hd, bias=False)
        self.v_proj = nn.Linear(d, KV * hd, bias=False)
        self.o_proj = nn.Linear(H * hd, d, bias=False)
        self.post_attention_layernorm = RMSNorm(d, cfg["rms_norm_eps"])
        self.gate_proj = nn.Linear(d, ff, bias=False)
        self.up_proj = nn.Linear(d, ff, bias=False)
        self.down_proj = nn.Linear(ff, d, bias=False)

    def attention(self, h, cos, sin, scale_p, q_chunk):
        B, T, _ = h.shape
        q = self.q_proj(h).view(B, T, self.H, self.hd).transpose(1, 2)
        k = self.k_proj(h).view(B, T, self.KV, self.hd).transpose(1, 2)
        v = self.v_proj(h).view(B, T, self.KV, self.hd).transpose(1, 2)
        if self.rope:
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
        rep = self.H // self.KV  # query head j uses kv head j // rep
        if rep > 1:
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
        q = q / math.sqrt(self.hd)
        # Dynamic scaling: only on global layers without RoPE, only when asked.
        use_scale = scale_p is not None and not self.window and not self.rope
        outs = []
        for s in range(0, T, q_chunk):
            e = min(T, s + q_chunk)
            k0 = max(0, s - self.w + 1) if self.window else 0
            logits = q[:, :, s:e] @ k[:, :, k0:e].transpose(-1, -2)  # [B,H,e-s,e-k0]
            if use_scale:
                logits = logits * scale_p[s:e, None]
            p = torch.arange(s, e)[:, None]
            j = torch.arange(k0, e)[None, :]
            visible = j <= p
            if self.window:
                visible = visible & (j > p - self.w)
            if logits.dtype in (torch.bfloat16, torch.float16):
                logits = logits.float()  # softmax in f32 at least (bf16 autocast in training)
            logits = logits.masked_fill(~visible, float("-inf"))
            outs.append(torch.softmax(logits, dim=-1).to(v.dtype) @ v[:, :, k0:e])
        o = torch.cat(outs, dim=2) if len(outs) > 1 else outs[0]
        return self.o_proj(o.transpose(1, 2).reshape(B, T, self.H * self.hd))

    def forward(self, x, cos, sin, scale_p, q_chunk):
        x = x + self.attention(self.input_layernorm(x), cos, sin, scale_p, q_chunk)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Model(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg["vocab_size"], cfg["hidden_size"])
        self.layers = nn.ModuleList(Layer(cfg, i) for i in range(cfg["num_hidden_layers"]))
        self.norm = RMSNorm(cfg["hidden_size"], cfg["rms_norm_eps"])

    def init_weights(self, std=0.02):
        n = len(self.layers)
        for name, p in self.named_parameters():
            if p.dim() == 1:
                nn.init.ones_(p)
            elif name.endswith(("o_proj.weight", "down_proj.weight")):
                nn.init.normal_(p, 0.0, std / math.sqrt(2 * n))
            else:
                nn.init.normal_(p, 0.0, std)

    def forward(self, ids, alpha=0.0, q_chunk=None):
        """Logits [B, T, V] for ids [B, T] at positions 0..T-1."""
        B, T = ids.shape
        x = self.embed_tokens(ids)
        cos, sin = rope_tables(torch.arange(T), self.cfg["head_dim"], self.cfg["rope_theta"], x.dtype)
        scale_p = None
        if alpha:
            L = self.cfg["max_position_embeddings"]
            p = torch.arange(T, dtype=torch.float64)
            scale_p = torch.clamp(1 + alpha * torch.log((p + 1) / L), min=1.0).to(x.dtype)
        for layer in self.layers:
            x = layer(x, cos, sin, scale_p, q_chunk or T)
        return self.norm(x) @ self.embed_tokens.weight.t()  # tied head


def make_config(arch, a):
    types, rope = layer_plan(arch, a.layers)
    cfg = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": a.vocab,
        "hidden_size": a.d,
        "intermediate_size": a.ffn,
        "num_hidden_layers": a.layers,
        "num_attention_heads": a.heads,
        "num_key_value_heads": a.kv_heads,
        "head_dim": a.d // a.heads,
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "sliding_window": a.window if arch == "swan" else None,
        "layer_types": types,
        "no_rope_layers": rope,
        "tie_word_embeddings": True,
        "max_position_embeddings": a.seq,
        "bos_token_id": a.vocab - 1,
        "eos_token_id": a.vocab - 1,
        "torch_dtype": "bfloat16",
    }
    if arch == "swan":
        cfg["swan_attn_scaling"] = {"type": "log", "train_len": a.seq, "alpha": 0.0}
    else:
        del cfg["sliding_window"]
    return cfg


# ----------------------------------------------------------------------------
# safetensors (written and read by hand: 8-byte LE header length, JSON, data)

def save_safetensors(path, tensors, dtype="BF16"):
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        if dtype == "BF16":
            raw = t.to(torch.bfloat16).view(torch.int16).numpy().tobytes()
        else:
            raw = t.to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    hjson = json.dumps(header, separators=(",", ":")).encode()
    hjson += b" " * (-len(hjson) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        if info["dtype"] == "BF16":
            raw = np.frombuffer(data[a:b], dtype="<i2").astype(np.int32) << 16
            t = torch.from_numpy(raw.view(np.float32).copy())
        elif info["dtype"] == "F32":
            t = torch.from_numpy(np.frombuffer(data[a:b], dtype="<f4").copy())
        elif info["dtype"] == "F16":
            t = torch.from_numpy(np.frombuffer(data[a:b], dtype="<f2").astype(np.float32))
        else:
            raise ValueError(f"{path}: {name}: dtype {info['dtype']}")
        out[name] = t.view(info["shape"])
    return out


def hf_state(model):
    """Llama tensor names; no lm_head (tied)."""
    out = {}
    for name, p in model.state_dict().items():
        name = name.replace(".gate_proj", ".mlp.gate_proj").replace(".up_proj", ".mlp.up_proj")
        name = name.replace(".down_proj", ".mlp.down_proj")
        for x in ("q_proj", "k_proj", "v_proj", "o_proj"):
            name = name.replace(f".{x}", f".self_attn.{x}")
        out["model." + name] = p
    return out


def load_model_dir(model_dir, dtype=torch.float64):
    """The saved MODEL_DIR as a Model in dtype (from the weights as stored)."""
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    cfg.setdefault("head_dim", cfg["hidden_size"] // cfg["num_attention_heads"])
    if "no_rope_layers" not in cfg:
        cfg["no_rope_layers"] = [int(t == "sliding_attention") for t in cfg["layer_types"]]
    model = Model(cfg)
    tensors = load_safetensors(os.path.join(model_dir, "model.safetensors"))
    ours = {k: v for k, v in hf_state(model).items()}
    names = {hf: ours_name for hf, ours_name in zip(ours, model.state_dict())}
    if set(tensors) != set(ours):
        raise ValueError(f"{model_dir}: tensors differ: {set(tensors) ^ set(ours)}")
    model.load_state_dict({names[k]: v for k, v in tensors.items()})
    return model.to(dtype).eval(), cfg


# ----------------------------------------------------------------------------
# Data

def load_books(ids_dir):
    books = {}
    for f in sorted(os.listdir(ids_dir)):
        if f.endswith(".u32"):
            books[f[:-4]] = np.fromfile(os.path.join(ids_dir, f), dtype="<u4").astype(np.int64)
    if not books:
        sys.exit(f"{ids_dir}: no .u32 files (run make_tokenizer.js)")
    return books


class Sampler:
    """Random windows of n tokens, each inside one book, books weighted by length."""

    def __init__(self, books, n, seed):
        self.books = [b for b in books if len(b) > n]
        w = np.array([len(b) - n for b in self.books], dtype=np.float64)
        self.p = w / w.sum()
        self.n = n
        self.rng = np.random.default_rng(seed)

    def batch(self, B):
        out = np.empty((B, self.n), dtype=np.int64)
        which = self.rng.choice(len(self.books), size=B, p=self.p)
        for r, bi in enumerate(which):
            s = self.rng.integers(0, len(self.books[bi]) - self.n + 1)
            out[r] = self.books[bi][s:s + self.n]
        return torch.from_numpy(out)


@torch.no_grad()
def mean_nll(model, windows, B=8):
    """Mean next-token NLL over windows [N, L+1] (positions 0..L-1 predict 1..L)."""
    tot, n = 0.0, 0
    for i in range(0, len(windows), B):
        x = windows[i:i + B]
        logits = model(x[:, :-1])
        nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), x[:, 1:].reshape(-1),
                              reduction="sum")
        tot += nll.item()
        n += x[:, 1:].numel()
    return tot / n


def tile(ids, n):
    """Non-overlapping windows of n tokens covering ids."""
    k = (len(ids) - 1) // (n - 1)
    return torch.stack([torch.from_numpy(ids[i * (n - 1):i * (n - 1) + n]) for i in range(k)])


# ----------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", choices=["swan", "gpt"], required=True)
    ap.add_argument("--ids", default="/tmp/swan-train-ids", help="dir of BOOK.u32 token files")
    ap.add_argument("--tokenizer", default=None, help="tokenizer.json to ship (default IDS/tokenizer.json)")
    ap.add_argument("--out", required=True, help="MODEL_DIR to write")
    ap.add_argument("--val-book", default="pg1342", help="held out for validation")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=8, help="windows per step")
    ap.add_argument("--seq", type=int, default=512, help="training length L")
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--min-lr-frac", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--d", type=int, default=256)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--ffn", type=int, default=768)
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--window", type=int, default=128)
    ap.add_argument("--amp", choices=["bf16", "off"], default="bf16",
                    help="bf16 autocast for the matmuls (f32 weights, residual, softmax, loss)")
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--bench", type=int, default=0, help="time this many steps, then exit")
    ap.add_argument("--ckpt", default=None, help="resumable checkpoint (default /tmp/swan-train-ARCH.pt)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    books = load_books(a.ids)
    if a.val_book not in books:
        sys.exit(f"{a.val_book} not in {a.ids}")
    train_names = [b for b in books if b not in (NEVER, a.val_book)]
    sampler = Sampler([books[b] for b in train_names], a.seq + 1, a.seed)
    train_tokens = sum(len(books[b]) for b in train_names)
    val_all = tile(books[a.val_book], a.seq + 1)
    val_quick = val_all[np.linspace(0, len(val_all) - 1, 16).astype(int)]
    train_probe = Sampler([books[b] for b in train_names], a.seq + 1, a.seed + 1).batch(64)

    cfg = make_config(a.arch, a)
    model = Model(cfg)
    model.init_weights()
    n_params = sum(p.numel() for p in model.parameters())
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.wd},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.95), eps=1e-8)

    def lr_at(step):
        if step < a.warmup:
            return a.lr * (step + 1) / a.warmup
        t = (step - a.warmup) / max(1, a.steps - a.warmup)
        return a.lr * (a.min_lr_frac + (1 - a.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * t)))

    ckpt = a.ckpt or f"/tmp/swan-train-{a.arch}.pt"
    step, elapsed, history = 0, 0.0, []
    if not a.bench and os.path.exists(ckpt):
        st = torch.load(ckpt)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        sampler.rng.bit_generator.state = st["rng"]
        torch.set_rng_state(st["torch_rng"])
        step, elapsed, history = st["step"], st["elapsed"], st["history"]
        print(f"resumed from {ckpt} at step {step}", flush=True)

    print(f"{a.arch}: {n_params} parameters; train books {train_names} ({train_tokens} tokens); "
          f"val {a.val_book} ({len(val_all)} windows); layers {cfg['layer_types']} rope {cfg['no_rope_layers']}",
          flush=True)
    tok_per_step = a.batch * a.seq
    t_last, recent = time.time(), []
    while step < (a.bench or a.steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        x = sampler.batch(a.batch)
        model.train()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.amp == "bf16"):
            logits = model(x[:, :-1])
        loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip).item()
        opt.step()
        step += 1
        now = time.time()
        elapsed += now - t_last
        t_last = now
        recent = (recent + [loss.item()])[-50:]
        if step % 10 == 0 or a.bench:
            print(f"step {step} loss {loss.item():.4f} avg50 {np.mean(recent):.4f} gnorm {gnorm:.2f} "
                  f"lr {lr_at(step - 1):.2e} {step * tok_per_step / elapsed:.0f} tok/s "
                  f"elapsed {elapsed:.0f}s", flush=True)
        if not a.bench and (step % a.eval_every == 0 or step == a.steps):
            model.eval()
            t0 = time.time()
            v = mean_nll(model, val_quick)
            history.append({"step": step, "train_avg50": float(np.mean(recent)), "val16": v,
                            "elapsed": elapsed})
            print(f"eval step {step} val16 {v:.4f} ({time.time() - t0:.0f}s)", flush=True)
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                        "elapsed": elapsed, "history": history, "rng": sampler.rng.bit_generator.state,
                        "torch_rng": torch.get_rng_state()}, ckpt)
            t_last = time.time()  # eval time is not training time
    if a.bench:
        print(f"bench: {a.bench * tok_per_step / elapsed:.0f} tok/s with {a.threads} threads")
        return

    # Save, then evaluate the model as saved (BF16 weights) in float32.
    os.makedirs(a.out, exist_ok=True)
    save_safetensors(os.path.join(a.out, "model.safetensors"), hf_state(model))
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump({k: v for k, v in cfg.items() if v is not None}, f, indent=2)
        f.write("\n")
    shutil.copyfile(a.tokenizer or os.path.join(a.ids, "tokenizer.json"), os.path.join(a.out, "tokenizer.json"))
    saved, _ = load_model_dir(a.out, torch.float32)
    t0 = time.time()
    final = {"train_probe64": mean_nll(saved, train_probe), "val_full": mean_nll(saved, val_all),
             "train_last50": float(np.mean(recent))}
    print(f"final (BF16 weights): {json.dumps(final)} ({time.time() - t0:.0f}s)", flush=True)
    summary = {"arch": a.arch, "args": vars(a), "argv": sys.argv, "params": n_params, "steps": step,
               "tokens_seen": step * tok_per_step, "train_seconds": elapsed,
               "tokens_per_second": step * tok_per_step / elapsed, "train_books": train_names,
               "train_book_tokens": train_tokens, "val_book": a.val_book,
               "val_tokens": int(val_all[:, 1:].numel()), "final": final, "history": history,
               "torch": torch.__version__}
    with open(f"/tmp/swan-train-{a.arch}-summary.json", "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps({k: v for k, v in summary.items() if k != "history"}), flush=True)
    if os.path.exists(ckpt):
        os.remove(ckpt)  # done: a new run starts fresh


if __name__ == "__main__":
    main()
