"""Train one registered model for a few steps on CPU in the memory layout `memory_format` chooses, and check its
convolutions' gradients; run by test_models_train.py in a subprocess of its own, so that a crash in a native kernel
cannot take the test run down.

Usage: python check_model_training.py NAME NUM_CLASSES CHANNELS IMAGE_SIZE BATCH '{"width": 0.25}'
Exits 0 when every step ran and every convolution's gradients match the reference; says what differed otherwise."""
import copy, json, sys
import torch
import torch.nn.functional as F
from torch import nn
from corrective_unlearning.models import make_model, memory_format
from corrective_unlearning import paper_models  # noqa: F401  (registers the paper's models)


def conv_inputs(model, x):
    "One (convolution, shape of its input) per distinct convolution configuration met in a forward pass of `x`."
    seen, hooks = {}, []
    def record(conv, inputs, output):
        key = (conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, conv.bias is None, tuple(inputs[0].shape))
        seen.setdefault(key, (conv, inputs[0].shape))
    hooks = [m.register_forward_hook(record) for m in model.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad(): model.eval()(x)
    for h in hooks: h.remove()
    return list(seen.values())


def conv_grads(conv, x, fmt):
    "Gradients of a fixed random function of `conv(x)` with respect to input, weight (and bias), in layout `fmt`."
    conv = copy.deepcopy(conv).to(memory_format=fmt)
    x = x.clone().contiguous(memory_format=fmt).requires_grad_(True)
    out = conv(x)
    (out * torch.randn(out.shape, generator=torch.Generator().manual_seed(0))).sum().backward()  # no gradient near 0
    return [x.grad] + [p.grad for p in conv.parameters()]


def without_onednn(f, *args):
    "The reference: ATen's own kernels."
    torch.backends.mkldnn.enabled = False
    try: return f(*args)
    finally: torch.backends.mkldnn.enabled = True


def main(name, num_classes, channels, image_size, batch, options):
    torch.manual_seed(0)
    model = make_model(name, int(num_classes), int(channels), int(image_size), **json.loads(options))
    fmt = memory_format(model)
    x, y = torch.randn(int(batch), int(channels), int(image_size), int(image_size)), torch.arange(int(batch)) % int(num_classes)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    for threads in (1, 2):  # oneDNN's single-threaded kernels crash where the multi-threaded ones hang or miscompute
        torch.set_num_threads(threads)
        for step in range(3):  # training steps in this layout: corruption need not show on the first pass
            model.train(); opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x.contiguous(memory_format=fmt)), y).backward(); opt.step()
        # Numbers, convolution by convolution (a whole deep model amplifies rounding, one convolution does not):
        # each distinct configuration in this layout against ATen's kernels in the contiguous layout.
        for conv, shape in conv_inputs(model, x):
            xin = torch.randn(shape)
            for got, want in zip(conv_grads(conv, xin, fmt), without_onednn(conv_grads, conv, xin, torch.contiguous_format)):
                err = ((got - want).norm() / (want.norm() + 1e-12)).item()  # rounding: ~1e-6
                if not err <= 1e-4:
                    sys.exit(f'{name}: gradients of {conv} on input {tuple(shape)} differ from the reference by {err:.3g} '
                             f'(relative; allowed 1e-4) with {threads} thread(s), layout {fmt}')
    print(f'{name}: {fmt}, trained; every convolution\'s gradients match the reference')


if __name__ == '__main__': main(*sys.argv[1:])
