#!/usr/bin/python3
"""Reference values for tests/test_nn_layers.cpp, computed once with PyTorch (Debian's
python3-torch, float64) and written to torch_reference.inc next to this script.

Every input is a deterministic formula, fill(n, a, b, s)[i] = s * sin(a * i + b), which the C++
test evaluates the same way, so only outputs are pinned. For each case the forward output y and
the gradients of sum(y * gy) (gy another fill) with respect to every input and parameter are
recorded. Run:  /usr/bin/python3 tests/data/nn/make_torch_reference.py
"""
import math
import os
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
out = []


def fill(shape, a, b, s=1.0):
    n = 1
    for d in shape:
        n *= d
    return torch.tensor([s * math.sin(a * i + b) for i in range(n)]).reshape(shape)


def emit(name, t):
    vals = t.detach().reshape(-1).tolist()
    body = ", ".join(repr(float(v)) for v in vals)
    out.append(f"inline const std::vector<double> {name} = {{{body}}};")


def leaf(t):
    return t.clone().requires_grad_(True)


# ---- conv2d ----
def conv_case(tag, xs, ws, bias, stride, pad):
    x = leaf(fill(xs, 0.37, 0.1))
    w = leaf(fill(ws, 0.53, 0.7, 0.5))
    b = leaf(fill([ws[0]], 1.1, 0.3, 0.2)) if bias else None
    y = F.conv2d(x, w, b, stride=stride, padding=pad)
    gy = fill(list(y.shape), 0.29, 1.3)
    (y * gy).sum().backward()
    emit(f"{tag}_y", y)
    emit(f"{tag}_dx", x.grad)
    emit(f"{tag}_dw", w.grad)
    if bias:
        emit(f"{tag}_db", b.grad)


conv_case("conv_a", [2, 3, 5, 6], [4, 3, 3, 3], True, 2, 1)
conv_case("conv_b", [1, 2, 4, 5], [3, 2, 2, 3], False, 1, 0)
conv_case("conv_c", [2, 1, 6, 6], [2, 1, 3, 3], True, 1, 1)


# ---- pooling ----
def pool_case(tag, fn, xs, k, stride, pad):
    x = leaf(fill(xs, 0.71, 0.2))
    y = fn(x, k, stride=stride, padding=pad)
    gy = fill(list(y.shape), 0.43, 0.9)
    (y * gy).sum().backward()
    emit(f"{tag}_y", y)
    emit(f"{tag}_dx", x.grad)


pool_case("maxpool_a", F.max_pool2d, [2, 2, 5, 6], 2, 2, 0)
pool_case("maxpool_b", F.max_pool2d, [1, 2, 5, 5], 3, 2, 1)
pool_case("avgpool_a", F.avg_pool2d, [2, 2, 5, 6], 2, 2, 0)
pool_case("avgpool_b", F.avg_pool2d, [1, 2, 5, 5], 3, 2, 1)


# ---- batch norm (training step, then eval) ----
def bn_case(tag, module, xs):
    c = xs[1]
    with torch.no_grad():
        module.weight.copy_(fill([c], 0.9, 0.4, 1.5))
        module.bias.copy_(fill([c], 1.7, 0.2, 0.3))
    x = leaf(fill(xs, 0.61, 0.5, 2.0))
    module.train()
    y = module(x)
    gy = fill(list(y.shape), 0.33, 0.8)
    (y * gy).sum().backward()
    emit(f"{tag}_y", y)
    emit(f"{tag}_dx", x.grad)
    emit(f"{tag}_dw", module.weight.grad)
    emit(f"{tag}_db", module.bias.grad)
    emit(f"{tag}_running_mean", module.running_mean)
    emit(f"{tag}_running_var", module.running_var)
    module.eval()
    module.weight.grad = None
    module.bias.grad = None
    x2 = leaf(fill(xs, 0.47, 0.3, 1.5))
    y2 = module(x2)
    (y2 * gy).sum().backward()
    emit(f"{tag}_eval_y", y2)
    emit(f"{tag}_eval_dx", x2.grad)
    emit(f"{tag}_eval_dw", module.weight.grad)


bn_case("bn2d", torch.nn.BatchNorm2d(3), [4, 3, 3, 2])
bn_case("bn1d", torch.nn.BatchNorm1d(3), [5, 3])
bn_case("bn1d3", torch.nn.BatchNorm1d(2), [3, 2, 4])


# ---- multi-head attention ----
def set_params(module, seed):
    with torch.no_grad():
        for k, (name, p) in enumerate(module.named_parameters()):
            p.copy_(fill(list(p.shape), 0.31 + 0.07 * k, seed + k, 0.4))


def mha_case(tag, causal, pad):
    E, H, B, L = 6, 2, 2, 4
    m = torch.nn.MultiheadAttention(E, H, batch_first=True)
    set_params(m, 0.25)
    x = leaf(fill([B, L, E], 0.43, 0.6))
    mask = torch.triu(torch.ones(L, L, dtype=torch.bool), 1) if causal else None
    kpm = None
    if pad:
        kpm = torch.zeros(B, L, dtype=torch.bool)
        kpm[1, 3] = True
        kpm[1, 2] = True
    y, _ = m(x, x, x, attn_mask=mask, key_padding_mask=kpm, need_weights=False)
    gy = fill([B, L, E], 0.27, 0.1)
    (y * gy).sum().backward()
    emit(f"{tag}_y", y)
    emit(f"{tag}_dx", x.grad)
    for name, p in m.named_parameters():
        emit(f"{tag}_d_{name.replace('.', '_')}", p.grad)


mha_case("mha_plain", False, False)
mha_case("mha_causal", True, False)
mha_case("mha_pad", False, True)


# ---- transformer encoder layer (pre-LN, GELU, no dropout) ----
def tel_case(tag, causal):
    d, nhead, ff, B, L = 6, 2, 8, 2, 4
    m = torch.nn.TransformerEncoderLayer(d, nhead, ff, dropout=0.0, activation="gelu", batch_first=True,
                                         norm_first=True)
    set_params(m, 0.5)
    x = leaf(fill([B, L, d], 0.39, 0.2, 1.2))
    mask = torch.triu(torch.full((L, L), float("-inf")), 1) if causal else None
    y = m(x, src_mask=mask)
    gy = fill([B, L, d], 0.23, 0.4)
    (y * gy).sum().backward()
    emit(f"{tag}_y", y)
    emit(f"{tag}_dx", x.grad)
    for name, p in m.named_parameters():
        emit(f"{tag}_d_{name.replace('.', '_')}", p.grad)


tel_case("tel_plain", False)
tel_case("tel_causal", True)

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "torch_reference.inc"), "w") as f:
    f.write("// Generated by tests/data/nn/make_torch_reference.py with torch " + torch.__version__ +
            " (float64). Do not edit.\n")
    f.write("// NOLINTBEGIN\n")
    f.write("\n".join(out))
    f.write("\n// NOLINTEND\n")
print(len(out), "arrays written")
