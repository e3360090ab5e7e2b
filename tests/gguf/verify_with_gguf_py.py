#!/usr/bin/env python3
"""Fixture step (run by hand, not in CI): reads a GGUF written by
`swan export-gguf` with an independent reader, the `gguf` Python package from
llama.cpp's source (gguf-py), and checks it against the MODEL_DIR it came
from: every tensor's name, shape, type and values (q/k rows un-permuted from
llama.cpp's adjacent-pair rotation back to Hugging Face's rotate-half, BF16
output compared after rounding), the attention sinks, and the metadata that
carries the layer layout; and, where MODEL_DIR has a tokenizer.json, the
vocabulary: every token's text and type, the merges in order, the split.
Prints the file's sha256 for the CI test to pin.

usage: PYTHONPATH=LLAMA_CPP/gguf-py /usr/bin/python3 verify_with_gguf_py.py MODEL_DIR FILE.gguf
(needs numpy: Debian's python3-numpy)"""
import hashlib
import json
import struct
import sys

import numpy as np
from gguf import GGUFReader

ST_TYPES = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16}


def load_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (hlen,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + hlen])
    base = 8 + hlen
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        raw = np.frombuffer(blob[base + a : base + b], dtype=ST_TYPES[t["dtype"]])
        if t["dtype"] == "BF16":
            raw = (raw.astype(np.uint32) << 16).view(np.float32)
        out[name] = raw.astype(np.float32).reshape(t["shape"])
    return out


def to_bf16_rounded(x):
    u = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return (u.astype(np.uint32) << 16).view(np.float32)


def unpermute(w, heads):
    """GGUF row h*hd + 2i + j holds Hugging Face row h*hd + j*hd/2 + i."""
    hd = w.shape[0] // heads
    out = np.empty_like(w)
    for r in range(w.shape[0]):
        h, rest = divmod(r, hd)
        i, j = divmod(rest, 2)
        out[h * hd + j * (hd // 2) + i] = w[r]
    return out


def field(reader, key):
    f = reader.fields[key]
    if len(f.data) == 1:
        v = f.parts[f.data[0]]
        return v.tobytes().decode() if f.types[0].name == "STRING" else v[0]
    return [f.parts[i][0] for i in f.data]


def check_vocabulary(reader, model_dir, vocab_size):
    """The GGUF's tokenizer.* keys against tokenizer.json, read independently."""
    import os
    path = f"{model_dir}/tokenizer.json"
    if not os.path.exists(path):
        return "byte vocabulary"
    tok = json.load(open(path))
    f = reader.fields["tokenizer.ggml.tokens"]
    tokens = [bytes(f.parts[i]).decode() for i in f.data]
    types = [int(x) for x in field(reader, "tokenizer.ggml.token_type")]
    assert len(tokens) == vocab_size == len(types), (len(tokens), vocab_size)
    added = {a["id"]: a for a in tok.get("added_tokens", [])}
    for text, i in tok["model"]["vocab"].items():
        if i not in added:
            assert tokens[i] == text and types[i] == 1, (i, tokens[i], text, types[i])
    for i, a in added.items():
        assert tokens[i] == a["content"] and types[i] == (3 if a["special"] else 4), (i, tokens[i], a)
    f = reader.fields["tokenizer.ggml.merges"]
    merges = [bytes(f.parts[i]).decode() for i in f.data]
    want = [m if isinstance(m, str) else " ".join(m) for m in tok["model"]["merges"]]
    assert merges == want, "merges differ"
    pre = json.dumps(tok["pre_tokenizer"])
    split = "llama-bpe" if "(?i:'s|'t|'re|'ve|'m|'ll|'d)" in pre else "gpt-2"
    assert field(reader, "tokenizer.ggml.pre") == split, field(reader, "tokenizer.ggml.pre")
    assert field(reader, "tokenizer.ggml.model") == "gpt2"
    return f"{len(tok['model']['vocab'])} tokens, {len(merges)} merges, split {split}"


def main(model_dir, gguf_path):
    cfg = json.load(open(f"{model_dir}/config.json"))
    st = load_safetensors(f"{model_dir}/model.safetensors")
    r = GGUFReader(gguf_path)
    arch = field(r, "general.architecture")
    assert arch == "granite_swa", arch
    n, H, KV = cfg["num_hidden_layers"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    kinds = cfg["layer_types"]
    rope = cfg.get("no_rope_layers") or [int(k == "sliding_attention") for k in kinds]
    swa = [k == "sliding_attention" for k in kinds]
    assert [bool(x) for x in field(r, "granite_swa.attention.sliding_window_pattern")] == (swa if any(swa) else [True] + swa[1:])
    assert [bool(x) for x in field(r, "granite_swa.attention.rope_pattern")] == [bool(x) for x in rope]
    assert field(r, "granite_swa.block_count") == n and field(r, "granite_swa.attention.head_count_kv") == KV
    if any(swa):
        assert field(r, "granite_swa.attention.sliding_window") == cfg["sliding_window"]
    assert field(r, "granite_swa.logit_scale") == 1.0
    names = {"token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight",
             "output.weight": "lm_head.weight"}
    parts = {"attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
             "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj", "ffn_norm": "post_attention_layernorm",
             "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj"}
    for l in range(n):
        for g, h in parts.items():
            names[f"blk.{l}.{g}.weight"] = f"model.layers.{l}.{h}.weight"
    seen = 0
    for t in r.tensors:
        data = np.array(t.data)
        if t.tensor_type.name == "BF16":
            data = (data.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
        data = data.astype(np.float32).reshape([int(x) for x in reversed(t.shape)])
        if t.name.endswith("attn_sinks.weight"):
            assert data.shape == (H,) and np.all(data == np.float32(-1e30)), t.name
            seen += 1
            continue
        src = st[names[t.name]]
        if ".attn_q." in t.name:
            data = unpermute(data, H)
        if ".attn_k." in t.name:
            data = unpermute(data, KV)
        want = to_bf16_rounded(src) if t.tensor_type.name == "BF16" else src
        assert data.shape == src.shape, (t.name, data.shape, src.shape)
        assert np.array_equal(data, want), t.name
        seen += 1
    expect = 2 + (0 if cfg.get("tie_word_embeddings") else 1) + 10 * n
    assert seen == expect, (seen, expect)
    vocab = check_vocabulary(r, model_dir, cfg["vocab_size"])
    digest = hashlib.sha256(open(gguf_path, "rb").read()).hexdigest()
    print(f"{gguf_path}: {seen} tensors, the layout metadata and the vocabulary ({vocab}) match "
          f"{model_dir}; sha256 {digest}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
