"""Re-execute the notebooks whose outputs the docs show, in place, and record the code they ran against.

    .venv/bin/python tools/outputs.py               # every notebook (`make outputs`)
    .venv/bin/python tools/outputs.py nbs/07_experiment.ipynb ...
    .venv/bin/python tools/outputs.py --check       # exit 1 naming the notebooks whose outputs are stale

A notebook's fingerprint is a SHA-256 over the library's exported source (every module of the package but the
generated index `_modidx.py`) and the notebook's own code cells. `make outputs` executes each notebook as `nbdev_test`
does (execnb, in the notebook's folder, cells flagged `notest` or `cuda`, or `eval: false`, left out; `slow` cells
run), keeps the outputs, writes the fingerprint into the notebook's metadata (`code_fingerprint`, a key settings.ini
lets `nbdev_clean` keep) and cleans the notebook. tests/test_outputs.py fails when a fingerprint no longer matches:
the check compares code, never numbers, so it holds on every CPU.
"""
from __future__ import annotations
import argparse, hashlib, json, os, re, subprocess, sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIB = ROOT / 'corrective_unlearning'
KEY = 'code_fingerprint'
SKIP = re.compile(r'^#\|\s*(notest|cuda|eval:\s*false)\b', re.M)


def shown_notebooks():
    "The notebooks whose outputs the docs show: the library's, the home page and the tutorials."
    return sorted(p for p in [*ROOT.glob('nbs/*.ipynb'), *ROOT.glob('nbs/tutorials/*.ipynb')] if not p.name.startswith('_'))


def library_digest():
    "SHA-256 of the package's exported source."
    h = hashlib.sha256()
    for p in sorted(LIB.glob('*.py')):
        if p.name != '_modidx.py': h.update(p.name.encode() + b'\0' + p.read_bytes() + b'\0')
    return h.hexdigest()


def code_cells(nb:dict): return [''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'code']


def fingerprint(nb:dict, library:str|None=None):
    "The notebook's fingerprint: the library's source and the notebook's own code."
    h = hashlib.sha256((library or library_digest()).encode())
    for src in code_cells(nb): h.update(b'\0' + src.encode())
    return h.hexdigest()[:16]


def stale(paths=None):
    "The notebooks whose recorded fingerprint differs from their code's."
    lib = library_digest()
    out = []
    for p in paths or shown_notebooks():
        nb = json.loads(Path(p).read_text())
        if nb.get('metadata', {}).get(KEY) != fingerprint(nb, lib): out.append(Path(p))
    return out


def execute_one(path:Path):
    "Execute `path` in this process with execnb, keeping its outputs, and record its fingerprint."
    from execnb.nbio import read_nb, write_nb
    from execnb.shell import CaptureShell
    os.environ.setdefault('IN_TEST', '1')
    nb = read_nb(path)
    shell = CaptureShell(path)
    cwd = os.getcwd()
    try:
        os.chdir(path.parent)
        shell.run_all(nb, exc_stop=True, preproc=lambda c: c.cell_type != 'code' or bool(SKIP.search(c.source)))
    finally: os.chdir(cwd)
    if shell.exc: raise SystemExit(f'{path}: a cell failed:\n{shell.prettytb(fname=path)}')
    nb.metadata[KEY] = fingerprint(json.loads(json.dumps(nb)))
    write_nb(nb, path)
    subprocess.run([str(Path(sys.executable).parent / 'nbdev_clean'), '--fname', str(path)], check=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('paths', nargs='*', help='notebooks to execute (default: every notebook the docs show)')
    p.add_argument('--check', action='store_true', help='only list the stale notebooks; exit 1 if there are any')
    p.add_argument('--one', action='store_true', help=argparse.SUPPRESS)  # execute one notebook in this process
    p.add_argument('--jobs', type=int, default=2, help='notebooks executed at once (default 2)')
    a = p.parse_args(argv)
    paths = [Path(x).resolve() for x in a.paths] or shown_notebooks()
    if a.check:
        old = stale(paths)
        for x in old: print(f'stale outputs: {x.relative_to(ROOT)}')
        if old: print('run `make outputs` (or .venv/bin/python tools/outputs.py NOTEBOOK...) and commit the notebooks')
        return 1 if old else 0
    if a.one:
        for x in paths: execute_one(x)
        return 0
    env = os.environ | dict(OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    def run(x):
        r = subprocess.run([sys.executable, __file__, '--one', str(x)], env=env, capture_output=True, text=True)
        print(f"{'ok    ' if r.returncode == 0 else 'FAILED'} {x.relative_to(ROOT)}", flush=True)
        return r
    with ThreadPoolExecutor(a.jobs) as pool: results = list(pool.map(run, paths))
    failed = [r for r in results if r.returncode]
    for r in failed: sys.stderr.write(r.stderr[-3000:] + '\n')
    return 1 if failed else 0


if __name__ == '__main__': sys.exit(main())
