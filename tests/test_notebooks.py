"The notebooks shipped in the package run through papermill in a real kernel, as a user runs them."
import json, os, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / 'corrective_unlearning' / 'notebooks'

def papermill(nb, out, **params):
    args = [sys.executable, '-m', 'papermill', str(nb), str(out), '--cwd', str(out.parent), '-k', 'python3']
    for k, v in params.items(): args += ['-p', k, str(v)]
    env = os.environ | dict(MPLBACKEND='Agg', OMP_NUM_THREADS='1')
    return subprocess.run(args, capture_output=True, text=True, timeout=600, env=env)

def outputs(path):
    nb = json.loads(Path(path).read_text())
    return [o for c in nb['cells'] for o in c.get('outputs', [])]

def test_report_notebook_runs_on_the_published_demo_grid(tmp_path):
    done = papermill(NOTEBOOKS / 'report.ipynb', tmp_path / 'report.ipynb', grid='demo', root=ROOT / 'runs')
    assert done.returncode == 0, done.stderr[-3000:]
    out = outputs(tmp_path / 'report.ipynb')
    text = ''.join(''.join(o.get('text', '')) for o in out)
    assert '186 complete runs' in text and 'settings chosen on validation data' in text, text[:2000]
    assert sum('image/png' in o.get('data', {}) for o in out) == 2  # one figure per manipulation

def test_report_notebook_refuses_a_bad_choice_in_one_line(tmp_path):
    done = papermill(NOTEBOOKS / 'report.ipynb', tmp_path / 'report.ipynb', grid='demo', root=ROOT / 'runs', select='best')
    assert done.returncode != 0
    assert "select='best' is not a choice; use val (validation metrics) or test" in done.stderr, done.stderr[-2000:]

def test_run_notebook_runs_with_a_plugin_option(tmp_path):
    (tmp_path / 'mine.py').write_text(
        "import copy\nfrom corrective_unlearning.core import Option, NON_NEGATIVE\n"
        "from corrective_unlearning.methods import register_method\n"
        "@register_method('Shrink', [Option('shrink', float, 0.1, 'Shrink: weight scale', NON_NEGATIVE)])\n"
        "def shrink(model, split, cfg):\n    model = copy.deepcopy(model)\n"
        "    for p in model.parameters(): p.data.mul_(1 - cfg.shrink)\n    return model\n")
    done = papermill(NOTEBOOKS / 'run.ipynb', tmp_path / 'run.ipynb', plugins=tmp_path / 'mine.py', unlearn_method='Shrink',
                     shrink=0.25, pretrain_iters=20, save_dir=tmp_path / 'logs', out_dir=tmp_path / 'r')
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((tmp_path / 'r' / 'result.json').read_text())
    assert result['config']['shrink'] == 0.25 and result['config']['unlearn_method'] == 'Shrink'
    assert 'Shrink (shrink=0.25) on digits' in ''.join(''.join(o.get('text', '')) for o in outputs(tmp_path / 'run.ipynb'))
