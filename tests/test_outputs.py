"Notebooks keep the outputs the docs show, and those outputs come from the current code (tools/outputs.py)."
import json, shutil, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tools'))
import outputs  # noqa: E402

def read(name): return json.loads((ROOT / 'nbs' / name).read_text())

def test_every_shown_notebook_has_outputs():
    empty = [p.relative_to(ROOT) for p in outputs.shown_notebooks()
             if not any(c.get('outputs') for c in json.loads(p.read_text())['cells'])]
    assert not empty, f'notebooks without outputs: {empty}; run `make outputs`'

def test_outputs_come_from_the_current_code():
    old = [str(p.relative_to(ROOT)) for p in outputs.stale()]
    assert not old, f"outputs older than the code in {', '.join(old)}: run `make outputs` and commit the notebooks"

def test_a_code_change_makes_a_notebook_stale(tmp_path):
    nb = read('00_core.ipynb')
    nb['metadata'][outputs.KEY] = outputs.fingerprint(nb)
    (tmp_path / 'x.ipynb').write_text(json.dumps(nb))
    assert outputs.stale([tmp_path / 'x.ipynb']) == []
    code = next(c for c in nb['cells'] if c['cell_type'] == 'code' and 'test_eq' in ''.join(c['source']))
    code['source'] = [*code['source'], '\n1']
    (tmp_path / 'x.ipynb').write_text(json.dumps(nb))
    assert outputs.stale([tmp_path / 'x.ipynb']) == [tmp_path / 'x.ipynb']

def test_a_notebook_depends_on_the_modules_it_uses():
    graph = outputs.module_graph()
    core = outputs.dependencies(read('00_core.ipynb'), graph=graph)
    core = set(core)
    assert {'builtins', 'methods'} <= core  # the registry imports the built-ins by name
    assert not {'report', 'cli', 'runner', 'notebooks/run.ipynb'} & core
    results = outputs.dependencies(read('tutorials/read_and_compare_results.ipynb'), graph=graph)
    assert {'__init__', 'report', 'core', 'records', 'grids'} <= set(results)
    assert not {'cli', 'runner'} & set(results)  # the report reads records, never the runner
    assert {'runner', 'notebooks/run.ipynb'} <= set(outputs.dependencies(read('tutorials/add_method.ipynb'), graph=graph))
    assert 'report' in outputs.dependencies(read('11_main.ipynb'), graph=graph)  # through cli's lazy imports
    names = outputs.sources()
    assert outputs.uses(['!corrective-unlearning run --dataset digits'], names) == {'__init__', 'cli'}
    assert outputs.uses(["subprocess.run(['corrective-unlearning', 'grid', '--list'])"], names) == {'__init__', 'cli'}
    assert outputs.uses(["subprocess.run([sys.executable, '-m', 'corrective_unlearning', 'grid'])"], names) == {'__init__', '__main__'}
    assert outputs.uses(["def f():\n    from corrective_unlearning import report, core\n    return 1"], names) == {'__init__', 'report', 'core'}
    assert outputs.uses(["print('corrective-unlearning: error: x')", "x = 1 != 2"], names) == set()

def test_only_an_edit_to_a_module_it_uses_changes_a_fingerprint(tmp_path):
    lib = tmp_path / 'corrective_unlearning'
    shutil.copytree(outputs.LIB, lib, ignore=shutil.ignore_patterns('__pycache__'))
    nb = read('03_models.ipynb')
    assert 'models' in outputs.dependencies(nb, lib) and 'report' not in outputs.dependencies(nb, lib)
    before = outputs.fingerprint(nb, lib)
    with open(lib / 'report.py', 'a') as f: f.write('\n# an edit\n')
    with open(lib / 'notebooks' / 'run.ipynb', 'a') as f: f.write('\n')
    assert outputs.fingerprint(nb, lib) == before
    with open(lib / 'core.py', 'a') as f: f.write('\n# an edit\n')
    assert outputs.fingerprint(nb, lib) != before
    with open(lib / 'paper_models.py', 'a') as f: f.write('\ndef _f():\n    from .report import summary_table\n')
    assert 'report' in outputs.dependencies(nb, lib)  # a lazy import in a module it uses
    after = outputs.fingerprint(nb, lib)
    with open(lib / 'report.py', 'a') as f: f.write('\n# another edit\n')
    assert outputs.fingerprint(nb, lib) != after
    nb['metadata'][outputs.KEY] = outputs.fingerprint(nb, lib)
    (tmp_path / 'x.ipynb').write_text(json.dumps(nb))
    assert outputs.stale([tmp_path / 'x.ipynb'], lib) == []
    with open(lib / 'models.py', 'a') as f: f.write('\n# an edit\n')
    assert outputs.stale([tmp_path / 'x.ipynb'], lib) == [tmp_path / 'x.ipynb']
