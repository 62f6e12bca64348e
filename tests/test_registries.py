"One registry: complete whichever module is imported first, and nothing registered in a scope outlives it."
import json, subprocess, sys
from pathlib import Path
import pytest
from corrective_unlearning.core import (CORE_OPTIONS, NON_NEGATIVE, REGISTRY, Option, get, load_plugins, register,
                                        registered, registry_scope)
from corrective_unlearning.grids import get_grid
from corrective_unlearning.records import plan
from corrective_unlearning.runner import run_notebook_path, run_parameters_source
from corrective_unlearning.methods import register_method

ROOT = Path(__file__).resolve().parent.parent
EVERY = ("from corrective_unlearning.core import registered; import json; "
         "print(json.dumps({k: list(registered(k)) for k in ('dataset', 'manipulation', 'model', 'method', 'detector', 'grid')}))")
FIRST_USE = {
    'core': "import corrective_unlearning.core",
    'models': "from corrective_unlearning.models import make_model; make_model('resnet20', 10, 3, 32); make_model('vitb16', 10, 3, 32, weights='none', width=1 / 12)",
    'data': "from corrective_unlearning.data import dataset_spec; assert dataset_spec('CIFAR100').num_classes == 100",
    'methods': "from corrective_unlearning.methods import ssd",
    'grids': "from corrective_unlearning.grids import get_grid; get_grid('demo')",
    'paper models': "from corrective_unlearning.paper_models import resnet20",
    'datasets': "from corrective_unlearning.datasets import load_fashion_mnist",
    'report': "import corrective_unlearning.report",
    'a plugin': "from corrective_unlearning.methods import register_method\n@register_method('Mine')\ndef mine(model, split, cfg):\n    'Mine.'\n    return model",
}

def registries_after(firsts:dict):
    "{case: the registry's names by kind} in a fresh interpreter per case, the interpreters run side by side."
    procs = {case: subprocess.Popen([sys.executable, '-c', first + '\n' + EVERY], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for case, first in firsts.items()}
    out = {}
    for case, p in procs.items():
        stdout, stderr = p.communicate(timeout=180)
        assert p.returncode == 0, (case, stderr[-2000:])
        out[case] = json.loads(stdout.splitlines()[-1])
    return out

def test_the_registry_is_the_same_whichever_module_comes_first():
    got = registries_after(FIRST_USE)
    want = got['core']
    assert {'Naive', 'EU', 'CF', 'SCRUB', 'BadT', 'SSD', 'LFSSD', 'Potion', 'NegGrad+', 'RL', 'SalUn'} <= set(want['method'])
    assert {'demo', 'digits-full', 'fashion', 'cifar10-poisoning'} <= set(want['grid'])
    assert got['a plugin']['method'][-1] == 'Mine'  # after every built-in
    got['a plugin']['method'].remove('Mine')
    for case in FIRST_USE: assert got[case] == want, case

def test_report_does_not_import_the_runner():
    code = ("import sys, corrective_unlearning.report; "
            "print(sorted(m for m in ('distributed', 'papermill', 'corrective_unlearning.runner') if m in sys.modules))")
    p = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and p.stdout.strip() == '[]', (p.stdout, p.stderr[-2000:])

def packaged_parameters():
    nb = json.loads(run_notebook_path().read_text())
    return ''.join(next(c for c in nb['cells'] if 'parameters' in c['metadata'].get('tags', []))['source'])

def test_a_plugin_in_a_scope_leaves_the_parameters_cell_as_packaged(tmp_path):
    assert run_parameters_source() == packaged_parameters()
    plugin = tmp_path / 'mine.py'
    plugin.write_text("from corrective_unlearning.core import Option, NON_NEGATIVE\n"
                      "from corrective_unlearning.methods import register_method\n"
                      "@register_method('Mine', [Option('my_weight', float, 0.1, 'Mine: a weight', NON_NEGATIVE)])\n"
                      "def mine(model, split, cfg):\n    'Keep the model.'\n    return model\n")
    before = dict(REGISTRY)
    with registry_scope():
        load_plugins([str(plugin)])
        assert 'my_weight: float = 0.1' in run_parameters_source()
        assert get('method', 'mine').name == 'Mine'
    assert run_parameters_source() == packaged_parameters() and REGISTRY == before
    with registry_scope():  # loaded again, the plugin registers again: the scope forgot its module
        load_plugins([str(plugin)])
        assert 'Mine' in registered('method')

def statuses(grid):
    return {r.status for r in plan(get_grid(grid))}

def test_an_option_added_later_keeps_the_published_runs_done():
    "Declared with `since` and what earlier runs did, a new option of SSD leaves every published demo run done."
    ssd = get('method', 'SSD')
    assert statuses('demo') == {'published'}
    for since, expected in (('2027-01', {'published'}), (None, {'published', 'todo'})):
        with registry_scope():
            new = Option('_ssd_new', float, 1.0, 'SSD: a new option', NON_NEGATIVE, since=since, earlier=1.0)
            register('method', 'SSD', ssd.obj, (*ssd.options, new), ssd.defaults, ssd.aliases, ssd.doc, **ssd.extra)
            assert statuses('demo') == expected, since  # without `since` every SSD run id changes
    assert statuses('demo') == {'published'}
