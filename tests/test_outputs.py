"Notebooks keep the outputs the docs show, and those outputs come from the current code (tools/outputs.py)."
import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tools'))
import outputs  # noqa: E402

def test_every_shown_notebook_has_outputs():
    empty = [p.relative_to(ROOT) for p in outputs.shown_notebooks()
             if not any(c.get('outputs') for c in json.loads(p.read_text())['cells'])]
    assert not empty, f'notebooks without outputs: {empty}; run `make outputs`'

def test_outputs_come_from_the_current_code():
    old = [str(p.relative_to(ROOT)) for p in outputs.stale()]
    assert not old, f"outputs older than the code in {', '.join(old)}: run `make outputs` and commit the notebooks"

def test_a_code_change_makes_a_notebook_stale(tmp_path):
    nb = json.loads((ROOT / 'nbs' / '00_core.ipynb').read_text())
    assert nb['metadata'][outputs.KEY] == outputs.fingerprint(nb)
    code = next(c for c in nb['cells'] if c['cell_type'] == 'code' and 'test_eq' in ''.join(c['source']))
    code['source'] = [*code['source'], '\n1']
    (tmp_path / 'x.ipynb').write_text(json.dumps(nb))
    assert outputs.stale([tmp_path / 'x.ipynb']) == [tmp_path / 'x.ipynb']
    assert outputs.fingerprint(nb, 'another library') != outputs.fingerprint(nb)
