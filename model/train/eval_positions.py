#!/usr/bin/python3
"""NLL by token position for saved MODEL_DIRs, in PyTorch (a check beside the
engine, not the engine's numbers).

Cuts a token file (little-endian uint32, e.g. from `swan tokenize --format u32`
or make_tokenizer.js) into SEGMENTS segments of LEN tokens spread evenly through
it, scores each as its own document from position 0, and prints the mean NLL per
position bin, averaged over segments, for each model and alpha (dynamic scaling
of the NoPE layers; alpha only matters for models that have such layers).

    nice -n 19 /usr/bin/python3 model/train/eval_positions.py \
        -m model/default/swan-tiny -m model/default/gpt-tiny \
        --ids /tmp/swan-train-ids/pg1342.u32 --len 4096 --segments 8 --alphas 0,0.5,1

--dump PATH writes the per-token NLL (float32, little-endian; NLL[p] predicts
token p+1) of the first segment, for comparison with `swan score --dump-nll`.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train import load_model_dir  # noqa: E402


@torch.no_grad()
def token_nll(model, ids, alpha, q_chunk=512):
    x = torch.from_numpy(ids.astype(np.int64))[None]
    logits = model(x[:, :-1], alpha=alpha, q_chunk=q_chunk)[0]
    return F.cross_entropy(logits, x[0, 1:], reduction="none").double().numpy()


def bins_for(n, train_len):
    """[0, 256), [256, 512), then powers of two up to n."""
    edges = [0, train_len // 2, train_len]
    while edges[-1] < n:
        edges.append(min(n, edges[-1] * 2))
    return list(zip(edges[:-1], edges[1:]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-m", "--model", action="append", required=True)
    ap.add_argument("--ids", required=True, help="uint32 token file")
    ap.add_argument("--len", type=int, default=4096, help="segment length in tokens")
    ap.add_argument("--segments", type=int, default=8)
    ap.add_argument("--alphas", default="0", help="comma-separated; for models with NoPE layers")
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dump", default=None, help="per-token NLL of segment 0 (float32) to this path")
    ap.add_argument("--json", default=None, help="write all results here")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    dtype = getattr(torch, a.dtype)

    ids = np.fromfile(a.ids, dtype="<u4")
    n = a.len + 1  # LEN positions, each predicting the next token
    if len(ids) < n:
        sys.exit(f"{a.ids}: {len(ids)} tokens, fewer than {n}")
    starts = np.linspace(0, len(ids) - n, a.segments).astype(int) if a.segments > 1 else [0]
    results = []
    for mdir in a.model:
        model, cfg = load_model_dir(mdir, dtype)
        has_nope = any(t == "full_attention" and not r
                       for t, r in zip(cfg["layer_types"], cfg["no_rope_layers"]))
        alphas = [float(x) for x in a.alphas.split(",")] if has_nope else [0.0]
        L = cfg["max_position_embeddings"]
        for alpha in alphas:
            t0 = time.time()
            nll = np.stack([token_nll(model, ids[s:s + n], alpha) for s in starts])
            if a.dump and alpha == alphas[0] and len(a.model) == 1:
                nll[0].astype("<f4").tofile(a.dump)
            curve = nll.mean(0)
            bins = [(lo, hi, float(curve[lo:hi].mean())) for lo, hi in bins_for(a.len, L)]
            r = {"model": os.path.basename(os.path.normpath(mdir)), "alpha": alpha, "dtype": a.dtype,
                 "segments": len(starts), "len": a.len, "mean": float(curve.mean()),
                 "bins": bins, "seconds": time.time() - t0}
            results.append(r)
            print(f"{r['model']:10s} alpha {alpha:4.2f} mean {r['mean']:.4f}  " +
                  "  ".join(f"[{lo},{hi}) {v:.3f}" for lo, hi, v in bins) +
                  f"  ({r['seconds']:.0f}s)", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
