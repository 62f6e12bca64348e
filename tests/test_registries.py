"Registries are complete whichever module is imported first, in a fresh interpreter."
import subprocess, sys
import pytest

FIRST_USE = {
    'models': "from corrective_unlearning.models import make_model; make_model('resnet20', 10, 3, 32); make_model('vitb16', 10, 3, 32, weights='none', width=1 / 12)",
    'datasets': "from corrective_unlearning.data import get_dataset; assert dataset_spec('CIFAR100').num_classes == 100",
    'methods': "from corrective_unlearning.methods import METHODS; assert {'Naive', 'EU', 'CF', 'SCRUB', 'BadT', 'SSD', 'LFSSD', 'Potion', 'NegGrad+', 'RL', 'SalUn'} <= set(METHODS)",
    'grids': "from corrective_unlearning.grid import GRIDS; assert {'demo', 'digits-full', 'fashion', 'cifar10-poisoning'} <= set(GRIDS)",
    'paper models first': "from corrective_unlearning.paper_models import resnet20; from corrective_unlearning.models import MODELS; assert 'resnet9' in MODELS",
    'datasets first': "from corrective_unlearning.datasets import load_fashion_mnist; from corrective_unlearning.data import DATASETS; assert 'digits' in DATASETS",
}

@pytest.mark.parametrize('case', FIRST_USE)
def test_registry_complete_on_first_import(case):
    p = subprocess.run([sys.executable, '-c', FIRST_USE[case]], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
