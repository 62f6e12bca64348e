"""What `readme.py` and `docs.py` share: the pages of the site, nbdev's notebook processing without Quarto,
and the small conventions Quarto applies when it renders a processed notebook.

nbdev renders docs in two steps: its processors turn each notebook into a "processed" notebook (frontmatter from
the `# title` / `> description` cell, `show_doc` cells added after exported code and executed, exported and
hidden cells dropped, backticked names linked), then Quarto renders those to HTML or GitHub markdown. The first
step is nbdev's own code and is reused here unchanged; the second is what `readme.py` and `docs.py` replace.
"""
from __future__ import annotations
import html, os, posixpath, re, warnings
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the repository: settings.ini lives here


def nbdev_config():
    "The project's nbdev configuration (settings.ini at the repository root)."
    from nbdev.config import get_config
    return get_config(path=ROOT)


def html_name(rel:str|Path): # page source path relative to nbs_path
    "The output file nbdev gives a page: lower case, numeric prefix dropped, `.html` (`00_core.ipynb` -> `core.html`)."
    p = Path(rel)
    return (p.parent / (re.sub(r'^\d+[a-zA-Z0-9]*_', '', p.name.lower()))).with_suffix('.html').as_posix()


# ---------------------------------------------------------------- the pages and their order

PAGE_SUFFIXES = ('.ipynb', '.qmd', '.md')

def _skipped(rel:Path): return any(part[0] in '_.' for part in rel.parts)

def page_sources(nbs:Path|None=None): # notebooks folder (default: nbs_path)
    "Page sources relative to `nbs` in nbdev's sidebar order: by folder, `index` first, then by name."
    nbs = Path(nbs or nbdev_config().nbs_path)
    rels = [p.relative_to(nbs) for p in nbs.rglob('*') if p.is_file() and p.suffix in PAGE_SUFFIXES]
    rels = [r for r in rels if not _skipped(r)]
    return sorted(rels, key=lambda r: (r.parent.as_posix(), '00' if r.name.startswith('index.') else r.name))


@dataclass
class SidebarEntry:
    "A page (`src` set) or a section of pages (`children` set) in the sidebar."
    title: str = ''
    src: str|None = None                        # page source relative to nbs_path
    children: list = field(default_factory=list)


def sidebar_tree(rels:list): # page sources in order, as returned by `page_sources`
    "Nest pages in sections by folder, like `nbdev_sidebar` (a folder's own index page gives the section its link)."
    top = SidebarEntry()
    sections = {(): top}
    for r in map(Path, rels):
        parents = r.parent.parts
        for i in range(len(parents)):
            key = parents[:i + 1]
            if key not in sections:
                sections[key] = SidebarEntry(title=re.sub(r'^\d+_', '', parents[i]))
                sections[parents[:i]].children.append(sections[key])
        sec = sections[parents]
        if parents and r.stem == 'index' and sec.src is None: sec.src = r.as_posix()
        else: sec.children.append(SidebarEntry(src=r.as_posix()))
    return top.children


def custom_sidebar(nbs:Path): # notebooks folder
    "The entries of a hand-written `sidebar.yml` (used when settings.ini says `custom_sidebar = True`), else None."
    import yaml
    f = nbs / 'sidebar.yml'
    if not f.exists(): return None
    contents = (yaml.safe_load(f.read_text()) or {}).get('website', {}).get('sidebar', {}).get('contents')
    def conv(items):
        res = []
        for it in items or []:
            if isinstance(it, str): res.append(SidebarEntry(src=it))
            elif isinstance(it, dict) and 'section' in it:
                res.append(SidebarEntry(title=it['section'], src=it.get('href'), children=conv(it.get('contents'))))
            elif isinstance(it, dict) and 'href' in it: res.append(SidebarEntry(title=it.get('text', ''), src=it['href']))
        return res
    return conv(contents)


# ---------------------------------------------------------------- nbdev's processing

def _exec_docs_class():
    "nbdev's `exec_show_docs`, except that a cell mixing imports with other code runs only its imports."
    import ast
    from nbdev.processors import exec_show_docs

    class exec_docs(exec_show_docs):
        # nbdev runs every cell that imports something, to make the names show_doc needs available; a cell that
        # also trains a model or writes files then runs while the docs build (nbdev warns "Found cells containing
        # imports and other code"). Running its imports alone gives the same API docs without the cost or the
        # failures; the cell is reported so that its imports can move to a cell of their own.
        def __call__(self, cell):
            if not self.nb.has_docs_ or not hasattr(self, 'k'): return super().__call__(cell)  # runs nothing
            if cell.get('cell_type') != 'code' or not cell.get('source') or set(cell.directives_) & {'export', 'exports', 'exporti', 'exec_doc'}:
                return super().__call__(cell)
            try: tree = ast.parse(cell.source)
            except SyntaxError: return super().__call__(cell)
            imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
            if not imports or len(imports) == len(tree.body) or any('show_doc' in ast.unparse(n) for n in tree.body):
                return super().__call__(cell)
            if not hasattr(self.nb, 'mixed_cells_'): self.nb.mixed_cells_ = []
            self.nb.mixed_cells_.append(cell.source)
            full, cell.source = cell.source, '\n'.join(ast.unparse(n) for n in imports)
            try: return super().__call__(cell)
            finally: cell.source = full
    exec_docs.__name__ = exec_show_docs.__name__  # so settings.ini `skip_procs` still names it
    return exec_docs


def process_notebook(path:str|Path, # a notebook under nbs_path
                     imports_only:bool=True): # in cells mixing imports with other code, run only the imports
    """The notebook as nbdev processes it for Quarto (what `proc_nbs` writes to `_proc/`), as a plain dict; its
    `mixed_cells` lists the sources of cells that mix imports with other code."""
    from execnb.nbio import read_nb, nb2dict
    from nbdev.processors import FilterDefaults, exec_show_docs
    exec_docs = _exec_docs_class() if imports_only else exec_show_docs

    class Filter(FilterDefaults):
        def base_procs(self): return [exec_docs if p is exec_show_docs else p for p in super().base_procs()]

    prev = os.environ.get('IN_TEST')
    os.environ['IN_TEST'] = '1'  # as nbdev's own driver does: exporting from a processed notebook is a no-op
    try:
        nb = read_nb(Path(path))
        Filter()(nb)
    finally:
        if prev is None: os.environ.pop('IN_TEST', None)
        else: os.environ['IN_TEST'] = prev
    res = nb2dict(nb)
    res['mixed_cells'] = list(getattr(nb, 'mixed_cells_', []))
    return res


def read_page(path:str|Path): # a `.qmd` or `.md` page
    "A markdown page as a one-cell notebook (its YAML header becomes the frontmatter raw cell)."
    text = Path(path).read_text(encoding='utf-8')
    cells = []
    m = re.match(r'^---\s*\n(.*?\n)---\s*\n', text, flags=re.S)
    if m: cells.append(dict(cell_type='raw', metadata={}, source=m.group(0))); text = text[m.end():]
    cells.append(dict(cell_type='markdown', metadata={}, source=text))
    return dict(cells=cells, metadata={}, nbformat=4, nbformat_minor=5)


def process_page(path:str|Path): # a page source
    "A processed notebook for any page source."
    path = Path(path)
    return process_notebook(path) if path.suffix == '.ipynb' else read_page(path)


def try_process_page(path:str|Path): # a page source
    """(processed notebook or None, error or None, nbdev's warnings, seconds): `process_page` that reports what
    went wrong instead of raising."""
    import time, traceback
    t = time.time()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        try: nb, err = process_page(path), None
        except Exception as e:
            cause = ''.join(traceback.format_exception_only(type(e.__cause__), e.__cause__)).strip() if e.__cause__ else ''
            nb, err = None, f'{type(e).__name__}: {e}' + (f'\n{cause}' if cause else '')
    msgs = [m for m in dict.fromkeys(str(w.message).strip() for w in caught
                                     if 'nbdev' in (w.filename or '') and not issubclass(w.category, DeprecationWarning))
            if not m.startswith('Found cells containing imports and other code')]  # reported below, per cell
    for c in (nb or {}).get('mixed_cells', []):
        msgs.append('a cell mixes imports with other code; nbdev_docs runs all of it to build the docs (this preview ran '
                    'only its imports): put the imports in a cell of their own. The cell:\n' + c.strip())
    return nb, err, msgs, time.time() - t


def process_pages(paths:list, n_workers:int=2): # page sources; worker processes
    "`try_process_page` for several pages, in fresh worker processes (show_doc cells import the library), in order."
    paths = [Path(p) for p in paths]
    if n_workers <= 1 or len(paths) <= 1: return [try_process_page(p) for p in paths]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context('spawn')) as ex:
        return list(ex.map(try_process_page, paths))


# ---------------------------------------------------------------- the pieces of a processed notebook

def src(cell:dict): # a notebook cell
    "A cell's source as one string."
    s = cell.get('source', '')
    return ''.join(s) if isinstance(s, list) else (s or '')


def frontmatter(nb:dict): # a processed notebook
    "The YAML frontmatter nbdev put in the first raw cell (title, description, output-file...), or {}."
    import yaml
    for c in nb['cells']:
        if is_frontmatter(c):
            m = re.match(r'\s*---[ \t]*\n(.*?)^---[ \t]*$', src(c), flags=re.S | re.M)
            if m: return yaml.safe_load(m.group(1)) or {}
    return {}


def is_frontmatter(cell:dict): return cell['cell_type'] == 'raw' and src(cell).lstrip().startswith('---')


_re_opt = re.compile(r'^\s*#\|\s*([\w-]+)\s*:\s*(.*?)\s*$')

def cell_options(code:str): # a code cell's source
    "Split Quarto's `#| key: value` options from the top of a code cell: (options, remaining code)."
    lines, opts = code.splitlines(), {}
    while lines and _re_opt.match(lines[0]):
        k, v = _re_opt.match(lines[0]).groups()
        opts[k] = v.strip('\'"').lower() if v.lower() in ('true', 'false', '"true"', '"false"') else v.strip('\'"')
        lines.pop(0)
    return opts, '\n'.join(lines)


_re_ansi = re.compile(r'\x1b\[[0-9;?]*[ -/]*[@-~]')

def strip_ansi(s:str): return _re_ansi.sub('', s)


def text_of(x): return ''.join(x) if isinstance(x, list) else (x or '')


# Quarto picks one representation per output; this is its order for both HTML and GitHub markdown.
MIME_ORDER = ('text/html', 'image/svg+xml', 'image/png', 'image/jpeg', 'image/gif', 'text/markdown', 'text/latex',
              'text/plain')

def pick_mime(data:dict, order=MIME_ORDER): # an output's `data`
    "The representation of a rich output that gets rendered."
    return next((m for m in order if m in data), None)


# ---------------------------------------------------------------- links

def rel_url(target:str, page:str): # site paths, relative to the site root
    "`target` as a link from `page`."
    base = posixpath.dirname(page)
    path, _, frag = target.partition('#')
    r = posixpath.relpath(path or page, base or '.') if path else ''
    return r + ('#' + frag if frag else '')


_re_scheme = re.compile(r'^[a-zA-Z][a-zA-Z0-9+.-]*:')

def is_local(url:str): return bool(url) and not _re_scheme.match(url) and not url.startswith(('#', '/', '//'))


def site_url(cfg=None):
    "The published site's address, ending in '/'."
    cfg = cfg or nbdev_config()
    return cfg.doc_host.rstrip('/') + '/' + cfg.doc_baseurl.strip('/') + '/' if cfg.doc_baseurl.strip('/') else cfg.doc_host.rstrip('/') + '/'


# ---------------------------------------------------------------- ids, as pandoc makes them

def slug(text:str): # heading text (may contain HTML)
    "The identifier pandoc gives a heading: lower case, only letters, digits, `_-.`, spaces to `-`, from the first letter."
    t = html.unescape(re.sub(r'<[^>]+>', '', text)).lower()
    t = ''.join(c for c in t if c.isalnum() or c in '_-.' or c.isspace())
    t = '-'.join(t.split())
    t = t[next((i for i, c in enumerate(t) if c.isalpha()), len(t)):]  # identifiers start with a letter
    return t or 'section'


class Ids:
    "Unique ids within one page: a repeated id gets `-1`, `-2`, ... as in pandoc."
    def __init__(self): self.seen = set()
    def __call__(self, ident:str):
        res, i = ident, 0
        while res in self.seen: i += 1; res = f'{ident}-{i}'
        self.seen.add(res)
        return res
