#!/usr/bin/python3
"""Golden outputs for the layers package, from an independent PyTorch
model of the same architecture (DeepSeek-V3 conventions).

Regenerate from the repository root with:

    /usr/bin/python3 layers/testdata/golden/make.py

For each config it writes layers/testdata/golden/<name>/ with
config.json and model.safetensors (a checkpoint in Hugging Face names),
io.safetensors (ids, targets, logits, loss) and grads.safetensors (the
gradient of the loss for every trained parameter). Everything is
computed in float64 and stored as float32.
"""
import json
import math
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))

CONFIGS = {
    # MLA without q compression, sigmoid routing with groups, a shared
    # expert, a dense first layer and the sequence-wise aux loss.
    "sigmoid": dict(
        hidden_size=32, num_hidden_layers=3, num_attention_heads=2,
        q_lora_rank=None, kv_lora_rank=16, qk_nope_head_dim=8,
        qk_rope_head_dim=4, v_head_dim=8, intermediate_size=48,
        moe_intermediate_size=16, n_routed_experts=8, n_shared_experts=1,
        num_experts_per_tok=2, first_k_dense_replace=1,
        norm_topk_prob=True, routed_scaling_factor=2.5,
        scoring_func="sigmoid", n_group=4, topk_group=2,
        rms_norm_eps=1e-6, rope_theta=10000.0,
        max_position_embeddings=64, tie_word_embeddings=False,
        vocab_size=64, aux_loss_alpha=0.01),
    # Compressed queries, softmax routing, two shared experts, tied
    # embeddings, no renormalisation.
    "softmax": dict(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        q_lora_rank=12, kv_lora_rank=16, qk_nope_head_dim=8,
        qk_rope_head_dim=4, v_head_dim=8, intermediate_size=48,
        moe_intermediate_size=16, n_routed_experts=8, n_shared_experts=2,
        num_experts_per_tok=2, first_k_dense_replace=1,
        norm_topk_prob=False, routed_scaling_factor=1.0,
        scoring_func="softmax", n_group=2, topk_group=1,
        rms_norm_eps=1e-5, rope_theta=500.0,
        max_position_embeddings=64, tie_word_embeddings=True,
        vocab_size=64, aux_loss_alpha=0.0),
}
B, T = 2, 12
STD = 0.1  # larger than 0.02 so every path moves the logits


def write_safetensors(path, tensors, meta=None):
    """Writes {name: tensor} as F32 safetensors, data in name order."""
    header, blobs, off = {}, [], 0
    if meta:
        header["__metadata__"] = meta
    for name in sorted(tensors):
        data = tensors[name].detach().to(torch.float32).contiguous()
        raw = data.numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(data.shape),
                        "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    js = json.dumps(header, separators=(",", ":")).encode()
    js += b" " * (-len(js) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)) + js + b"".join(blobs))


def make_params(c, gen):
    """Returns {HF name: float64 leaf tensor} and the routing biases."""
    C, H, V = c["hidden_size"], c["num_attention_heads"], c["vocab_size"]
    dn, dr, dv = c["qk_nope_head_dim"], c["qk_rope_head_dim"], c["v_head_dim"]
    R, dq = c["kv_lora_rank"], c["qk_nope_head_dim"] + c["qk_rope_head_dim"]
    shapes = {"model.embed_tokens.weight": (V, C)}
    for l in range(c["num_hidden_layers"]):
        p = "model.layers.%d." % l
        a = p + "self_attn."
        shapes[p + "input_layernorm.weight"] = (C,)
        if c["q_lora_rank"]:
            q = c["q_lora_rank"]
            shapes[a + "q_a_proj.weight"] = (q, C)
            shapes[a + "q_a_layernorm.weight"] = (q,)
            shapes[a + "q_b_proj.weight"] = (H * dq, q)
        else:
            shapes[a + "q_proj.weight"] = (H * dq, C)
        shapes[a + "kv_a_proj_with_mqa.weight"] = (R + dr, C)
        shapes[a + "kv_a_layernorm.weight"] = (R,)
        shapes[a + "kv_b_proj.weight"] = (H * (dn + dv), R)
        shapes[a + "o_proj.weight"] = (C, H * dv)
        shapes[p + "post_attention_layernorm.weight"] = (C,)
        if l < c["first_k_dense_replace"]:
            mlp_shapes(shapes, p + "mlp.", C, c["intermediate_size"])
        else:
            shapes[p + "mlp.gate.weight"] = (c["n_routed_experts"], C)
            for e in range(c["n_routed_experts"]):
                mlp_shapes(shapes, p + "mlp.experts.%d." % e, C,
                           c["moe_intermediate_size"])
            if c["n_shared_experts"]:
                mlp_shapes(shapes, p + "mlp.shared_experts.", C,
                           c["n_shared_experts"] * c["moe_intermediate_size"])
    shapes["model.norm.weight"] = (C,)
    if not c["tie_word_embeddings"]:
        shapes["lm_head.weight"] = (V, C)

    params, biases = {}, {}
    for name, shape in shapes.items():
        x = torch.randn(shape, generator=gen, dtype=torch.float64) * STD
        if len(shape) == 1:  # norms: ones, perturbed so they matter
            x = 1 + x
        params[name] = x.requires_grad_()
    for l in range(c["first_k_dense_replace"], c["num_hidden_layers"]):
        name = "model.layers.%d.mlp.gate.e_score_correction_bias" % l
        biases[name] = torch.randn(c["n_routed_experts"], generator=gen,
                                   dtype=torch.float64) * 0.05
    return params, biases


def mlp_shapes(shapes, p, C, width):
    shapes[p + "gate_proj.weight"] = (width, C)
    shapes[p + "up_proj.weight"] = (width, C)
    shapes[p + "down_proj.weight"] = (C, width)


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope(x, pos, theta):
    """Rotates adjacent pairs (x[2i], x[2i+1]) by pos·θ^(−2i/d); x is
    (B, T, ..., d) and pos (T)."""
    d = x.shape[-1]
    inv = theta ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    ang = pos.to(torch.float64)[:, None] * inv[None, :]  # (T, d/2)
    shape = [1, x.shape[1]] + [1] * (x.dim() - 3) + [d // 2]
    cos, sin = ang.cos().view(shape), ang.sin().view(shape)
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack([x0 * cos - x1 * sin, x0 * sin + x1 * cos],
                       -1).flatten(-2)


def mlp(P, p, x):
    g = x @ P[p + "gate_proj.weight"].T
    u = x @ P[p + "up_proj.weight"].T
    return (torch.nn.functional.silu(g) * u) @ P[p + "down_proj.weight"].T


def mla(c, P, a, x):
    Bx, Tx, _ = x.shape
    H, dn, dr, dv = (c["num_attention_heads"], c["qk_nope_head_dim"],
                     c["qk_rope_head_dim"], c["v_head_dim"])
    R, eps = c["kv_lora_rank"], c["rms_norm_eps"]
    pos = torch.arange(Tx)
    if c["q_lora_rank"]:
        q = rms_norm(x @ P[a + "q_a_proj.weight"].T,
                     P[a + "q_a_layernorm.weight"], eps)
        q = q @ P[a + "q_b_proj.weight"].T
    else:
        q = x @ P[a + "q_proj.weight"].T
    q = q.view(Bx, Tx, H, dn + dr)
    q = torch.cat([q[..., :dn], rope(q[..., dn:], pos, c["rope_theta"])], -1)
    kv = x @ P[a + "kv_a_proj_with_mqa.weight"].T
    lat = rms_norm(kv[..., :R], P[a + "kv_a_layernorm.weight"], eps)
    kr = rope(kv[..., R:], pos, c["rope_theta"])  # (B, T, dr)
    up = (lat @ P[a + "kv_b_proj.weight"].T).view(Bx, Tx, H, dn + dv)
    k = torch.cat([up[..., :dn], kr[:, :, None, :].expand(Bx, Tx, H, dr)],
                  -1)
    v = up[..., dn:]
    s = torch.einsum("bthd,bshd->bhts", q, k) / math.sqrt(dn + dr)
    mask = torch.ones(Tx, Tx, dtype=torch.bool).triu(1)
    p = s.masked_fill(mask, float("-inf")).softmax(-1)
    o = torch.einsum("bhts,bshd->bthd", p, v).reshape(Bx, Tx, H * dv)
    return o @ P[a + "o_proj.weight"].T


def moe(c, P, bias, p, x, margins):
    """x is (B, T, C); returns y and the aux loss (a 0-d tensor)."""
    Bx, Tx, C = x.shape
    E, K, G = c["n_routed_experts"], c["num_experts_per_tok"], c["n_group"]
    xf = x.reshape(-1, C)
    logits = xf @ P[p + "gate.weight"].T
    if c["scoring_func"] == "sigmoid":
        s = logits.sigmoid()
    else:
        s = logits.softmax(-1)
    choice = (s + bias).detach()
    if G > 1:
        g = choice.view(-1, G, E // G)
        if c["scoring_func"] == "sigmoid":
            gs = g.topk(2, -1)[0].sum(-1)
        else:
            gs = g.max(-1)[0]
        srt = gs.sort(-1, descending=True)[0]
        margins.append((srt[:, c["topk_group"] - 1] -
                        srt[:, c["topk_group"]]).min().item())
        keep = gs.topk(c["topk_group"], -1)[1]
        drop = torch.ones_like(gs, dtype=torch.bool).scatter(1, keep, False)
        choice = g.masked_fill(drop[..., None], float("-inf")).view(-1, E)
    srt = choice.sort(-1, descending=True)[0]
    margins.append((srt[:, K - 1] - srt[:, K]).min().item())
    idx = choice.topk(K, -1)[1]  # (N, K)
    w = s.gather(1, idx)
    if c["norm_topk_prob"]:
        w = w / (w.sum(-1, keepdim=True) + 1e-20)
    w = w * c["routed_scaling_factor"]

    y = torch.zeros_like(xf)
    for e in range(E):
        rows, slots = (idx == e).nonzero(as_tuple=True)
        if len(rows) == 0:
            continue
        out = mlp(P, p + "experts.%d." % e, xf[rows])
        y = y.index_add(0, rows, out * w[rows, slots][:, None])
    if c["n_shared_experts"]:
        y = y + mlp(P, p + "shared_experts.", xf)

    # Sequence-wise balance loss, DeepSeek-V3 eqs. 17-20.
    aux = torch.zeros((), dtype=torch.float64)
    if c["aux_loss_alpha"] > 0:
        sn = s / s.sum(-1, keepdim=True)
        for b in range(Bx):
            rows = slice(b * Tx, (b + 1) * Tx)
            counts = torch.zeros(E, dtype=torch.float64)
            counts.index_add_(0, idx[rows].reshape(-1),
                              torch.ones(Tx * K, dtype=torch.float64))
            f = E / (K * Tx) * counts
            aux = aux + c["aux_loss_alpha"] * (f * sn[rows].mean(0)).sum()
        aux = aux / Bx
    return y.view(Bx, Tx, C), aux


def forward(c, P, biases, ids, margins):
    eps = c["rms_norm_eps"]
    x = P["model.embed_tokens.weight"][ids]
    aux = torch.zeros((), dtype=torch.float64)
    for l in range(c["num_hidden_layers"]):
        p = "model.layers.%d." % l
        h = rms_norm(x, P[p + "input_layernorm.weight"], eps)
        x = x + mla(c, P, p + "self_attn.", h)
        h = rms_norm(x, P[p + "post_attention_layernorm.weight"], eps)
        if l < c["first_k_dense_replace"]:
            x = x + mlp(P, p + "mlp.", h)
        else:
            y, a = moe(c, P, biases[p + "mlp.gate.e_score_correction_bias"],
                       p + "mlp.", h, margins)
            x = x + y
            aux = aux + a
    x = rms_norm(x, P["model.norm.weight"], eps)
    head = P["model.embed_tokens.weight" if c["tie_word_embeddings"]
             else "lm_head.weight"]
    return x @ head.T, aux


def run(name, c, seed):
    gen = torch.Generator().manual_seed(seed)
    P, biases = make_params(c, gen)
    ids = torch.randint(0, c["vocab_size"], (B, T), generator=gen)
    targets = torch.cat([ids[:, 1:], torch.full((B, 1), -1)], 1)
    targets[0, 3] = -1  # an ignored position inside the sequence
    margins = []
    logits, aux = forward(c, P, biases, ids, margins)
    logits = logits.reshape(B * T, -1)
    ce = torch.nn.functional.cross_entropy(logits, targets.reshape(-1),
                                           ignore_index=-1)
    loss = ce + aux
    loss.backward()
    return P, biases, ids, targets, logits, loss, min(margins)


def main():
    for name, c in CONFIGS.items():
        # Pick the first seed whose routing decisions are not near-ties,
        # so float32 rounding in Go cannot flip an expert choice.
        for seed in range(100):
            P, biases, ids, targets, logits, loss, margin = run(name, c, seed)
            if margin > 2e-3:
                break
        out = os.path.join(HERE, name)
        os.makedirs(out, exist_ok=True)
        cfg = dict(c, model_type="deepseek_v3", rope_interleave=True,
                   initializer_range=STD)
        with open(os.path.join(out, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
            f.write("\n")
        weights = {k: v for k, v in P.items()}
        weights.update(biases)
        write_safetensors(os.path.join(out, "model.safetensors"), weights,
                          {"format": "pt"})
        write_safetensors(os.path.join(out, "io.safetensors"), {
            "ids": ids.to(torch.float64), "targets": targets.to(torch.float64),
            "logits": logits, "loss": loss.reshape(1)},
            {"seed": str(seed), "routing_margin": "%.3g" % margin})
        write_safetensors(os.path.join(out, "grads.safetensors"),
                          {k: v.grad for k, v in P.items()})
        print("%s: seed %d, loss %.6f, routing margin %.3g"
              % (name, seed, loss.item(), margin))


if __name__ == "__main__":
    torch.set_grad_enabled(True)
    main()
