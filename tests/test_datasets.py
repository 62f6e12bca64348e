"The registered datasets through the experiment pipeline: streamed and in-memory images agree, missing data is one line."
from pathlib import Path
import numpy as np
import pytest
import torch
from PIL import Image
from corrective_unlearning import datasets
from corrective_unlearning.core import Config, CUError, registry_scope
from corrective_unlearning.data import DatasetSpec, register_dataset, load_data
from corrective_unlearning.experiment import run_experiment

def write_tree(root, n_train=12, n_test=6):
    rng = np.random.default_rng(0)
    for split, n in (('train', n_train), ('test', n_test)):
        for c, shade in (('cat', 60), ('dog', 190)):  # two classes a tiny CNN can tell apart
            (root / 'Tiny' / split / c).mkdir(parents=True)
            for i in range(n):
                a = np.clip(rng.normal(shade, 40, (20, 18, 3)), 0, 255).astype(np.uint8)
                Image.fromarray(a).save(root / 'Tiny' / split / c / f'{i}.jpg', quality=95)

@pytest.fixture
def tiny(tmp_path):
    "An ImageFolder tree registered as a dataset (decoded at 16 pixels); removed afterwards."
    write_tree(tmp_path)
    load = lambda data_dir: datasets.load_image_folder('Tiny', data_dir, 2, size=16, resize=18)
    common = dict(num_classes=2, image_size=16, channels=3, mean=(0.5,) * 3, std=(0.25,) * 3, confused_pair=None,
                  resized_crop=(0.5, 1.0), flip=True,
                  defaults=dict(model='smallcnn', pretrain_iters=10, unlearn_iters=5, batch_size=5, forget_set_size=4))
    with registry_scope():
        register_dataset(DatasetSpec('Tiny', load, **common))
        yield tmp_path

def test_streamed_images_give_the_same_experiment(tiny, monkeypatch):
    "Every metric of an experiment on streamed images equals the one on the same images decoded into memory."
    cfg = lambda where: Config(dataset='Tiny', data_dir=str(tiny), save_dir=str(tiny / where), unlearn_method='EU', device='cpu')
    mem = run_experiment(cfg('mem'))  # no cache: every run loads its data afresh
    assert isinstance(load_data('Tiny', str(tiny)).x_train, torch.Tensor)
    monkeypatch.setattr(datasets, 'MEMORY_BUDGET', 1000)
    monkeypatch.setattr(datasets, 'EAGER_BYTES', 4000)  # a batch (5 images, 3840 bytes) is read; the 6 non-target test images stay a view
    lazy = run_experiment(cfg('lazy'))
    assert isinstance(load_data('Tiny', str(tiny)).x_train, datasets.LazyImages)
    drop = lambda m: {k: v for k, v in m.items() if k != 'unlearn_seconds'}
    assert drop(lazy['metrics']) == drop(mem['metrics'])
    assert lazy['reference'] == mem['reference']

def test_no_confused_pair_is_a_clear_error(tiny):
    with pytest.raises(CUError, match="dataset 'Tiny' has no confused class pair; use poisoning or randomlabelswap"):
        run_experiment(Config(dataset='Tiny', data_dir=str(tiny), save_dir=str(tiny / 'logs'), dataset_method='labeltargeted'))

@pytest.mark.parametrize('name, where', [('CIFAR10', 'cifar-10-batches-py'), ('CIFAR100', 'cifar-100-python'), ('PCAM', 'pcam'),
                                         ('LFWPeople', 'lfw-py/lfw_funneled'), ('CelebA', 'celeba/img_align_celeba'),
                                         ('DermNet', 'DermNet/train'), ('Pneumonia', 'Pneumonia/train')])
def test_missing_dataset_is_one_line(tmp_path, name, where):
    "A run on a dataset that is not there stops before training, with one line naming it, the place and the remedy."
    with pytest.raises(CUError) as e:
        run_experiment(Config(dataset=name, data_dir=str(tmp_path), save_dir=str(tmp_path / 'logs')))
    msg = str(e.value)
    assert msg.startswith(f'{name} not found in {tmp_path}/{where}; ') and '\n' not in msg
    assert not (tmp_path / 'logs').exists()

def test_missing_fashion_mnist_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, 'DOWNLOAD', False)
    with pytest.raises(CUError, match='FashionMNIST not found in .*apt-get install dataset-fashion-mnist'):
        datasets.load_fashion_mnist(tmp_path, system_dir=tmp_path / 'no-package')

@pytest.mark.skipif(not Path(datasets.SYSTEM_FASHION_MNIST).exists(), reason='Debian package dataset-fashion-mnist not installed')
def test_fashion_mnist_from_the_debian_package():
    data = load_data('fashionmnist', '/nonexistent', val_size=0)  # every training image, as upstream
    assert data.x_train.shape == (60000, 1, 28, 28) and data.x_test.shape == (10000, 1, 28, 28)
    assert data.y_train.bincount().tolist() == [6000] * 10 and data.y_test.bincount().tolist() == [1000] * 10
    held = load_data('fashionmnist', '/nonexistent')  # the default: 5000 held out for validation, 500 per class
    assert held.n_train == 55000 and held.y_val.bincount().tolist() == [500] * 10
    assert abs(data.max_value - (1 - 0.2860) / 0.3530) < 1e-3
