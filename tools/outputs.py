"""Re-execute the notebooks whose outputs the docs show, in place, and record the code they ran against.

    .venv/bin/python tools/outputs.py               # every notebook (`make outputs`)
    .venv/bin/python tools/outputs.py nbs/07_experiment.ipynb ...
    .venv/bin/python tools/outputs.py --check       # exit 1 naming the notebooks whose outputs are stale

A notebook's fingerprint is a SHA-256 over its own code cells and the source of what they use: each package module
(`corrective_unlearning/*.py`, `__init__.py` included, the generated index `_modidx.py` not) and each notebook the
package ships (`corrective_unlearning/notebooks/*.ipynb`, which grids execute) that its cells import or run, directly
or through one another. A cell uses a module when it imports it (`from corrective_unlearning.x import ...`, relative
imports, imports inside functions, `importlib.import_module('corrective_unlearning.x')`) or runs it (the
`corrective-unlearning` command, in a `!` line or an argument list, runs `cli`; `python -m corrective_unlearning[.x]`
runs `__main__` or `x`); importing any module runs `__init__`; a module or notebook that names a shipped notebook
(`'run.ipynb'`) uses it. So an edit to a module a notebook does not use leaves its outputs current.
`make outputs` executes each notebook as `nbdev_test` does (execnb, in the notebook's folder, cells flagged `notest`
or `cuda`, or `eval: false`, left out; `slow` cells run), keeps the outputs, writes the fingerprint into the notebook's
metadata (`code_fingerprint`, a key settings.ini lets `nbdev_clean` keep) and cleans the notebook.
tests/test_outputs.py fails when a fingerprint no longer matches: the check compares code, never numbers, so it holds
on every CPU.
"""
from __future__ import annotations
import argparse, ast, hashlib, json, os, re, subprocess, sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIB = ROOT / 'corrective_unlearning'
PKG = LIB.name
KEY = 'code_fingerprint'
SKIP = re.compile(r'^#\|\s*(notest|cuda|eval:\s*false)\b', re.M)
MAGIC = re.compile(r'^([ \t]*)(?:[\w., ]+=[ \t]*)?[!%](?!=)(.*)$', re.M)  # `!cmd`, `x = !cmd`, `%magic`
CLI = re.compile(r'(?:^|[;&|(])\s*(?:\S*/)?corrective-unlearning(?=\s|$)', re.M)  # the console script, as a command
MAIN = re.compile(rf'-m\s+{PKG}(?:\.(\w+))?\b')  # python -m corrective_unlearning[.x]
IMPORT = re.compile(rf'\b(?:from|import)\s+{PKG}(?:\.(\w+))?\b')  # an import in code given as text (`python -c`)
DOTTED = re.compile(rf'{PKG}(?:\.(\w+))?')  # a module named by a string (importlib.import_module)


def shown_notebooks():
    "The notebooks whose outputs the docs show: the library's, the home page and the tutorials."
    return sorted(p for p in [*ROOT.glob('nbs/*.ipynb'), *ROOT.glob('nbs/tutorials/*.ipynb')] if not p.name.startswith('_'))


def code_cells(nb:dict): return [''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'code']


def sources(lib=LIB):
    "The package's modules (`core`, `__init__`, ...; not `_modidx`) and shipped notebooks (`notebooks/run.ipynb`): name -> path."
    lib = Path(lib)
    return {**{p.stem: p for p in sorted(lib.glob('*.py')) if p.name != '_modidx.py'},
            **{f'notebooks/{p.name}': p for p in sorted(lib.glob('notebooks/*.ipynb'))}}


def _text_uses(text:str):
    "Package modules that a command or a string names: the console script, `python -m`, imports, a dotted name."
    out = {'cli'} if CLI.search(text) else set()
    out |= {m or '__main__' for m in MAIN.findall(text)} | {m or '__init__' for m in IMPORT.findall(text)}
    if (m := DOTTED.fullmatch(text.strip())): out.add(m[1] or '__init__')
    return out


def _module(dotted:str|None):
    "The package module an absolute import of `dotted` runs (`__init__` for the package itself), or None."
    parts = (dotted or '').split('.')
    return (parts[1] if len(parts) > 1 else '__init__') if parts[0] == PKG else None


def _python_uses(src:str):
    "Package modules that Python source (a module, or a cell whose `!`/`%` lines are shell) imports or runs."
    try: tree, shell = ast.parse(src), ''
    except SyntaxError:
        shell = '\n'.join(m[1] for m in MAGIC.findall(src))
        try: tree = ast.parse(MAGIC.sub(r'\1pass', src))
        except SyntaxError: return _text_uses(src)  # a cell magic of another language (`%%bash`): read it as text
    out = _text_uses(shell)
    for n in ast.walk(tree):  # every import, those inside functions too
        if isinstance(n, ast.Import): out |= {_module(a.name) for a in n.names}
        elif isinstance(n, ast.ImportFrom):
            base = (f'{PKG}.{n.module}' if n.module else PKG) if n.level == 1 else n.module
            out.add(_module(base))
            if base == PKG: out |= {a.name for a in n.names}  # `from . import x, y`: modules, or names of __init__
        elif isinstance(n, ast.Constant) and isinstance(n.value, str): out |= _text_uses(n.value)
        elif isinstance(n, (ast.List, ast.Tuple)):  # an argument list: [sys.executable, '-m', 'corrective_unlearning']
            out |= _text_uses(' '.join(e.value for e in n.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)))
    return out - {None}


def uses(cells:list[str], names):
    "Which of `names` (modules and shipped notebooks, as `sources` names them) the code `cells` use directly."
    out = set().union(*map(_python_uses, cells))
    if out: out.add('__init__')  # importing any module of the package runs its __init__
    text = '\n'.join(cells)
    out |= {n for n in names if n.startswith('notebooks/')  # a shipped notebook named: 'run.ipynb'
            and re.search(r'(?<![\w.-])' + re.escape(n.removeprefix('notebooks/')) + r'(?![\w-])', text)}
    return out & set(names)


def _cells(path:Path):
    "The code of a module or notebook, as a list of cells."
    return code_cells(json.loads(path.read_text())) if path.suffix == '.ipynb' else [path.read_text()]


def module_graph(lib=LIB):
    "Each module and shipped notebook of the package in `lib`: the ones it uses directly."
    src = sources(lib)
    return {n: uses(_cells(p), src) for n, p in src.items()}


def dependencies(nb:dict, lib=LIB, graph=None):
    "The modules and shipped notebooks of the package in `lib` that the notebook uses, directly or through others."
    graph = graph or module_graph(lib)
    todo, seen = list(uses(code_cells(nb), graph)), set()
    while todo:
        n = todo.pop()
        if n not in seen: seen.add(n); todo += graph[n]
    return sorted(seen)


def fingerprint(nb:dict, lib=LIB, graph=None):
    "The notebook's fingerprint: its own code and the source of its `dependencies` in `lib`."
    h = hashlib.sha256()
    for src in code_cells(nb): h.update(b'\0' + src.encode())
    src = sources(lib)
    for n in dependencies(nb, lib, graph): h.update(b'\1' + n.encode() + b'\0' + src[n].read_bytes())
    return h.hexdigest()[:16]


def stale(paths=None, lib=LIB):
    "The notebooks whose recorded fingerprint differs from their code's."
    graph = module_graph(lib)
    out = []
    for p in paths or shown_notebooks():
        nb = json.loads(Path(p).read_text())
        if nb.get('metadata', {}).get(KEY) != fingerprint(nb, lib, graph): out.append(Path(p))
    return out


def execute_one(path:Path):
    "Execute `path` in this process with execnb, keeping its outputs, and record its fingerprint."
    from execnb.nbio import read_nb, write_nb
    from execnb.shell import CaptureShell
    os.environ.setdefault('IN_TEST', '1')
    nb = read_nb(path)
    shell = CaptureShell(path, mpl_format='png')  # plain PNG: a third of retina's bytes in the stored notebook
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
