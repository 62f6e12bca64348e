"""Every registered model, at each width and input size the project uses, trains on this CPU with the memory layout
`memory_format` chooses, at every ISA level this CPU can run: each check runs in a subprocess of its own, so a crash
in a native kernel (heap corruption in oneDNN, say) fails the test that names the model and nothing else."""
import json, os, subprocess, sys
from pathlib import Path
import pytest
import torch

CHECK = Path(__file__).with_name('check_model_training.py')

USED = {  # id: (model, classes, channels, image side, batch, builder options) -- and where the project uses it
    'smallcnn-digits': ('smallcnn', 10, 1, 8, 16, {}),                            # digits: demo, grids, tutorials, tests
    'smallcnn-16px': ('smallcnn', 10, 1, 16, 16, {}),                              # tutorial: digits upsampled to 16x16
    'smallcnn28-fashion': ('smallcnn28', 10, 1, 28, 16, {}),                      # Fashion-MNIST grid, CPU benchmark
    'resnet9-w0.125': ('resnet9', 10, 3, 32, 4, dict(width=0.125)),                # models notebook
    'resnet9-cifar': ('resnet9', 10, 3, 32, 4, {}),                                # CIFAR10 grids, GPU benchmark
    'resnet20-w0.25-16px': ('resnet20', 4, 3, 16, 4, dict(width=0.25)),            # paper-models tests
    'resnet20-digits': ('resnet20', 10, 1, 8, 16, {}),                             # paper-models experiment test
    'resnet32-w0.25-28px': ('resnet32', 5, 1, 28, 2, dict(width=0.25)),            # paper-models notebook
    'resnet44-cifar': ('resnet44', 10, 3, 32, 2, {}),                               # registered, at full width
    'resnet56-cifar': ('resnet56', 10, 3, 32, 2, {}),                               # registered, at full width
    'resnet110-w0.125': ('resnet110', 10, 3, 32, 2, dict(width=0.125)),            # paper-models notebook
    'wrn28x10-w0.05-16px': ('resnetwide28x10', 4, 3, 16, 4, dict(width=0.05)),     # paper-models tests
    'wrn28x10-cifar100': ('resnetwide28x10', 100, 3, 32, 2, {}),                   # CIFAR100 grids
    'vitb16-w1/12-16px': ('vitb16', 4, 3, 16, 4, dict(width=1 / 12, weights='none')),  # paper-models tests
    'vitb16-224px': ('vitb16', 10, 3, 224, 1, dict(weights='none')),                 # PCAM, LFW, CelebA, DermNet, Pneumonia
}

def isa_levels():
    "This CPU's own ISA level, and AVX2 where the CPU has more (oneDNN and ATen can be held to it)."
    native = torch.backends.cpu.get_cpu_capability()
    return [{}] + ([] if native in ('AVX2', 'DEFAULT', 'NO AVX') else [dict(ONEDNN_MAX_CPU_ISA='AVX2', ATEN_CPU_CAPABILITY='avx2')])

@pytest.mark.parametrize('case', USED)
def test_model_trains_with_its_memory_layout(case):
    name, *shape, options = USED[case]
    for isa in isa_levels():
        env = os.environ | dict(OMP_NUM_THREADS='1') | isa
        try:
            p = subprocess.run([sys.executable, str(CHECK), name, *map(str, shape), json.dumps(options)],
                               capture_output=True, text=True, env=env, timeout=240)
        except subprocess.TimeoutExpired: pytest.fail(f'{case}: training {name} hung for 240 s {isa or ""}')
        crash = f'killed by signal {-p.returncode}' if p.returncode < 0 else f'exit status {p.returncode}'
        assert p.returncode == 0, f'{case}: training {name} failed ({crash}) {isa or ""}\n{p.stderr[-2000:]}'
