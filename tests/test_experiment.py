"Determinism and the pretrained-model cache, through the library."
import warnings
from corrective_unlearning.core import Config
from corrective_unlearning.experiment import run_experiment, checkpoint_path, resolve

def small(save_dir, **kw):
    return Config(save_dir=str(save_dir), pretrain_iters=60, unlearn_iters=30, **kw)

def test_same_config_and_seed_give_identical_metrics(tmp_path):
    "Trained twice from scratch (separate caches): every metric is identical on CPU."
    for method in ('EU', 'SCRUB', 'BadT', 'SSD'):
        a = run_experiment(small(tmp_path / 'a', unlearn_method=method, device='cpu'))
        b = run_experiment(small(tmp_path / 'b', unlearn_method=method, device='cpu'))
        drop = lambda m: {k: v for k, v in m.items() if k != 'unlearn_seconds'}
        assert drop(a['metrics']) == drop(b['metrics']), method
        assert a['reference'] == b['reference']

def test_different_seeds_differ(tmp_path):
    a = run_experiment(small(tmp_path, seed=0, unlearn_method='Naive'))
    b = run_experiment(small(tmp_path, seed=1, unlearn_method='Naive'))
    assert a['reference']['manipulated'] != b['reference']['manipulated']

def test_cache_is_shared_and_corruption_is_caught(tmp_path):
    first = run_experiment(small(tmp_path, unlearn_method='CF'))
    assert not first['timings']['pretrain_cached']
    second = run_experiment(small(tmp_path, unlearn_method='SSD', deletion_size=10))
    assert second['timings']['pretrain_cached'] and second['timings']['clean_cached']
    path = checkpoint_path(resolve(small(tmp_path)))
    path.write_bytes(path.read_bytes()[:-100])  # truncated, as by a killed writer without atomic rename
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        third = run_experiment(small(tmp_path, unlearn_method='SSD', deletion_size=10))
    assert any('truncated or corrupt' in str(x.message) for x in w)
    assert not third['timings']['pretrain_cached'] and third['timings']['clean_cached']
    assert third['reference'] == second['reference']
