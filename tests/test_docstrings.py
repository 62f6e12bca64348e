"""Every exported function and class is documented the nbdev way: a one-line docstring, each parameter explained by
an inline comment on the signature (what `docments` reads and `show_doc` prints), and its notebook page shows it
(a `show_doc`, explicit or the one nbdev adds after exported code) or uses it in an example."""
import ast, functools, importlib, inspect, json, pkgutil, re, sys
from pathlib import Path
from fastcore.docments import docments

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tools'))
import nbpages  # noqa: E402

LIB = 'corrective_unlearning'
SKIP_PARAMS = {'self', 'cls'}
EXPORT_DIRECTIVES = {'export', 'exports', 'exporti', 'hide', 'default_exp'}


def modules():
    "The library's modules (not `_modidx`, not `__main__`)."
    pkg = importlib.import_module(LIB)
    return [f'{LIB}.{m.name}' for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith('_')]


@functools.lru_cache(None)
def exported():
    "{qualified name: object} for the functions and classes in every module's `__all__` that the module defines."
    res = {}
    for modname in modules():
        mod = importlib.import_module(modname)
        for n in getattr(mod, '__all__', []):
            o = getattr(mod, n, None)
            if (inspect.isfunction(o) or inspect.isclass(o)) and getattr(o, '__module__', None) == modname:
                res[f'{modname}.{n}'] = o
    return res


def docstring_problem(o):
    d = o.__dict__.get('__doc__') if inspect.isclass(o) else o.__doc__
    if inspect.isclass(o) and d and d.startswith(f'{o.__name__}('): d = None  # the one @dataclass writes
    if not d or not d.strip(): return 'no docstring'
    if len(d.strip().splitlines()) > 1: return f'a {len(d.strip().splitlines())}-line docstring (nbdev style: one line)'


def undocumented_params(o):
    "Parameters without an inline comment (self, *args and **kwargs need none; an inherited __init__ is not ours)."
    if inspect.isclass(o) and not hasattr(o, '__dataclass_fields__') and '__init__' not in o.__dict__: return []
    target = o.__init__ if inspect.isclass(o) and not hasattr(o, '__dataclass_fields__') else o
    try: params = inspect.signature(target).parameters
    except (TypeError, ValueError): return []
    free = {n for n, p in params.items()
            if n not in SKIP_PARAMS and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    docs = docments(o, full=True)
    return [n for n in params if n in free and not (docs.get(n) or {}).get('docment')]


def notebook_of_module():
    "{module name: notebook path} from each notebook's `#| default_exp`."
    cfg = nbpages.nbdev_config()
    res = {}
    for rel in nbpages.page_sources(Path(cfg.nbs_path)):
        if rel.suffix != '.ipynb': continue
        path = Path(cfg.nbs_path) / rel
        for c in json.loads(path.read_text(encoding='utf-8'))['cells']:
            m = re.search(r'^\s*#\|\s*default_exp\s+(\S+)', nbpages.src(c), re.M) if c['cell_type'] == 'code' else None
            if m: res[f'{LIB}.{m.group(1)}'] = path; break
    return res


@functools.lru_cache(None)
def shown_on_page(path):
    "(names given a show_doc, names used in the page's visible example cells) for a notebook."
    from nbdev.process import NBProcessor
    from nbdev.processors import add_show_docs
    proc = NBProcessor(path, procs=[add_show_docs])  # adds the show_doc cells nbdev adds, without running anything
    proc.process()
    nb = proc.nb
    shown, used = set(), set()
    for c in nb.cells:
        if c.cell_type != 'code' or not c.source: continue
        try: tree = ast.parse(c.source)
        except SyntaxError: continue
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, 'id', None) == 'show_doc']
        for call in calls:
            if call.args: shown.add(ast.unparse(call.args[0]))
        visible = not (set(getattr(c, 'directives_', {}) or {}) & EXPORT_DIRECTIVES) and not calls
        if visible: used |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return shown, used


def offenders(check):
    return sorted(f'{q}: {p}' for q, o in exported().items() if (p := check(q, o)))


def report(title, found):
    return f'{title} ({len(found)}):\n' + '\n'.join(f'  {f}' for f in found)


def test_every_exported_name_has_a_one_line_docstring():
    found = offenders(lambda q, o: docstring_problem(o))
    assert not found, report('exported names without a one-line docstring', found)


def test_every_parameter_is_documented_by_an_inline_comment():
    def check(q, o):
        ps = undocumented_params(o)
        return f"no inline comment for {', '.join(ps)}" if ps else None
    found = offenders(check)
    assert not found, report('parameters without an inline comment on the signature (`name:type, # what it is`)', found)


def test_every_exported_name_is_shown_on_its_page():
    pages = notebook_of_module()
    def check(q, o):
        modname, name = q.rsplit('.', 1)
        nb = pages.get(modname)
        if nb is None: return f'no notebook has `#| default_exp {modname[len(LIB) + 1:]}`'
        shown, used = shown_on_page(nb)
        if name not in shown and name not in used:
            return f'neither a show_doc nor an example on {nb.relative_to(ROOT)}'
    found = offenders(check)
    assert not found, report('exported names their notebook page neither documents nor uses', found)
