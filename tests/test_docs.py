"""The docs site as a reader gets it: built by tools/docs.py (no Quarto), served on 127.0.0.1, and every page
opened in headless Chromium. Needs a Chromium on PATH (`make chromium` installs Debian's) and playwright."""
import contextlib, functools, http.server, importlib, inspect, json, os, re, shutil, sys, tempfile, threading
from pathlib import Path
from urllib.parse import unquote, urlsplit
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tools'))
import docs, nbpages  # noqa: E402

FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync']
BROWSERS = ('chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable')


def chromium_path():
    "The browser to drive: $CHROMIUM, else the first Chromium or Chrome on PATH."
    for name in (os.environ.get('CHROMIUM'),) + BROWSERS:
        if name and shutil.which(name): return shutil.which(name)
    pytest.fail('no Chromium on PATH: run `make chromium` (apt-get install -y --no-install-recommends chromium) '
                'or set CHROMIUM to a Chromium or Chrome binary')


@contextlib.contextmanager
def in_dir(d):
    old = os.getcwd(); os.chdir(d)
    try: yield
    finally: os.chdir(old)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args): pass


@contextlib.contextmanager
def serve(folder):
    "Serve `folder` on 127.0.0.1 (a free port) from a thread; yields the base URL."
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Quiet, directory=str(folder)))
    t = threading.Thread(target=srv.serve_forever, daemon=True); t.start()
    try: yield f'http://127.0.0.1:{srv.server_address[1]}/'
    finally: srv.shutdown(); srv.server_close()


PAGE_FACTS = '''() => ({
  images: [...document.images].map(i => ({src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0})),
  links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  ids: [...document.querySelectorAll('[id]')].map(e => e.id),
  headings: [...document.querySelectorAll('main h2, main h3, main h4')].map(h => [h.id, h.textContent.trim()]),
  sidebar: [...document.querySelectorAll('#quarto-sidebar a')].map(a => [a.getAttribute('href'), a.textContent.trim()]),
  title: (document.querySelector('h1.title') || {}).textContent,
  figures: [...document.querySelectorAll('.cell-output-display img')].map(i => i.complete && i.naturalWidth > 0),
})'''


def visit(folder, pages):
    "Open every page of the site in `folder`; per page: its facts and everything that went wrong while loading."
    from playwright.sync_api import sync_playwright
    res = {}
    with serve(folder) as base, tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        # a fresh profile (--user-data-dir) per run; Playwright adds the remote-debugging pipe
        ctx = pw.chromium.launch_persistent_context(profile, executable_path=chromium_path(), headless=True, args=FLAGS)
        try:
            for out in pages:
                page, errors = ctx.new_page(), []
                page.on('console', lambda m, e=errors: m.type == 'error' and e.append(f'console: {m.text}'))
                page.on('pageerror', lambda exc, e=errors: e.append(f'script error: {exc}'))
                page.on('requestfailed', lambda r, e=errors: e.append(f'request failed: {r.url} {r.failure}'))
                page.on('response', lambda r, e=errors: r.status >= 400 and e.append(f'HTTP {r.status}: {r.url}'))
                page.goto(base + out, wait_until='load')
                res[out] = dict(page.evaluate(PAGE_FACTS), errors=errors, base=base)
                page.close()
        finally: ctx.close()
    return res


@pytest.fixture(scope='module')
def site():
    with tempfile.TemporaryDirectory() as d, in_dir(ROOT):
        yield docs.build_site(Path(d) / '_docs')


@pytest.fixture(scope='module')
def seen(site): return visit(site.out, [p.out for p in site.pages])


def test_build_reports_no_problems(site):
    assert not site.problems, 'the docs build found problems:\n' + '\n\n'.join(site.problems)


def test_build_has_no_warnings(site):
    "nbdev's warnings while processing, e.g. a cell that mixes imports with code nbdev_docs would run to build the docs."
    assert not site.warnings, 'the docs build warned:\n' + '\n\n'.join(site.warnings)


def test_every_page_is_built_and_in_the_sidebar(site, seen):
    rels = [r.as_posix() for r in nbpages.page_sources(site.nbs)]
    assert [p.rel for p in site.pages] == rels and rels[0] == 'index.ipynb'
    for p in site.pages:
        assert (site.out / p.out).is_file(), p.out
        facts = seen[p.out]
        assert facts['title'] and facts['title'].strip() == re.sub(r'`', '', p.title), (p.out, facts['title'])
        titles = [t for _, t in facts['sidebar']]
        assert titles == [re.sub(r'`', '', q.title) for q in site.pages], (p.out, titles)  # every page, in order


def test_pages_load_without_errors(seen):
    bad = {out: f['errors'] for out, f in seen.items() if f['errors']}
    assert not bad, json.dumps(bad, indent=1)


def test_every_image_loads(seen):
    bad = {out: [i['src'] for i in f['images'] if not i['ok']] for out, f in seen.items()}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, f'images that did not load: {bad}'


# a call that draws: a report plot, pyplot's figure/subplots/show, or an image displayed (not a definition)
DRAWS = re.compile(r'(?<!def )\b(?:plot_\w+|plt\.(?:show|figure|subplots)|Image)\(')
# a cell whose outputs the page never shows: hidden, exported, not executed, or told to show none
NO_OUTPUT = re.compile(r'^\s*#\|\s*(?:hide|export\w*|notest|cuda|eval:\s*false|include:\s*false|output:\s*false)\s*$', re.M)


def drawing_cells(nbs):
    "Per notebook page: the code cells whose figure the page must show (they draw, run, show outputs, keep the figure)."
    res = {}
    for rel in nbpages.page_sources(nbs):
        if rel.suffix != '.ipynb': continue
        cells = json.loads((nbs / rel).read_text(encoding='utf-8'))['cells']
        drawn = [c for c in cells if c['cell_type'] == 'code' and DRAWS.search(s := nbpages.src(c))
                 and not NO_OUTPUT.search(s) and 'plt.close(' not in s]
        if drawn: res[rel.as_posix()] = drawn
    return res


def test_drawing_cells_finds_what_draws(tmp_path):
    def code(s): return dict(cell_type='code', metadata={}, source=s, outputs=[])
    (tmp_path / 'index.ipynb').write_text(json.dumps(dict(cells=[
        code('plot_problem(g); plt.show()'), code('fig, ax = plt.subplots()'), code('Image(filename=p)'),
        code('#| export\ndef plot_problem(df): ...'), code('#| hide\nplot_problem(g)'), code('fig = plot_task_space(t)\nplt.close(fig)'),
        code('#| eval: false\nplt.show()'), code('write_report(name)')], metadata={}, nbformat=4, nbformat_minor=5)))
    test = [nbpages.src(c) for c in drawing_cells(tmp_path)['index.ipynb']]
    assert test == ['plot_problem(g); plt.show()', 'fig, ax = plt.subplots()', 'Image(filename=p)'], test


def test_every_figure_a_notebook_draws_shows(site, seen):
    "A cell that draws a figure keeps it among its saved outputs, and its page shows at least that many figures, loaded."
    drawn = drawing_cells(site.nbs)
    assert {'09_report.ipynb', 'tutorials/reproduce_findings.ipynb', 'tutorials/add_method.ipynb'} <= set(drawn), sorted(drawn)
    def has_image(c): return any(k.startswith('image/') for o in c.get('outputs', []) for k in o.get('data', {}))
    bare = {rel: [nbpages.src(c)[:100] for c in cells if not has_image(c)] for rel, cells in drawn.items()}
    bare = {rel: srcs for rel, srcs in bare.items() if srcs}
    assert not bare, ('cells that draw a figure but saved no image (a backend that does not draw inline? '
                      f'rerun `.venv/bin/python tools/outputs.py NOTEBOOK`): {bare}')
    shown = {rel: seen[nbpages.html_name(rel)]['figures'] for rel in drawn}
    bad = {rel: f for rel, f in shown.items() if len(f) < len(drawn[rel]) or not all(f)}
    assert not bad, f'pages showing fewer figures than their notebooks draw, or figures that did not load: {bad}'


def check_links(site, seen):
    "Every link inside the site points to a file that exists, and to an id that exists on the page it names."
    ids = {out: set(f['ids']) for out, f in seen.items()}
    bad = []
    for out, f in seen.items():
        for href in f['links']:
            if href.startswith(site.base): bad.append(f'{out}: links to the published site instead of the preview: {href}')
            if not href.startswith(f['base']): continue
            u = urlsplit(href)
            path = unquote(u.path)[1:] or 'index.html'
            if path.endswith('/'): path += 'index.html'
            if not (site.out / path).is_file(): bad.append(f'{out}: {href} -> no file {path}'); continue
            if u.fragment and path.endswith('.html') and unquote(u.fragment) not in ids.get(path, set()):
                bad.append(f'{out}: {href} -> no id "{u.fragment}" on {path}')
    return bad


def test_internal_links_resolve(site, seen):
    bad = check_links(site, seen)
    assert not bad, 'broken links:\n' + '\n'.join(bad)


def api_pages(nbs):
    "(page source, module name) for every notebook that exports a module (`#| default_exp`)."
    res = []
    for rel in nbpages.page_sources(nbs):
        if rel.suffix != '.ipynb': continue
        cells = json.loads((nbs / rel).read_text(encoding='utf-8'))['cells']
        m = next((re.search(r'^\s*#\|\s*default_exp\s+(\S+)', nbpages.src(c), re.M) for c in cells
                  if c['cell_type'] == 'code' and re.search(r'^\s*#\|\s*default_exp\s', nbpages.src(c), re.M)), None)
        if m: res.append((rel.as_posix(), m.group(1)))
    return res


def exported_callables(modname):
    "Names in a module's `__all__` that are functions or classes defined there."
    mod = importlib.import_module(modname)
    return [n for n in getattr(mod, '__all__', []) if (inspect.isfunction(o := getattr(mod, n)) or inspect.isclass(o))
            and getattr(o, '__module__', None) == modname]


def test_api_pages_show_every_exported_function(site, seen):
    lib = site.cfg.lib_name
    pages = api_pages(site.nbs)
    assert len(pages) >= 5, pages
    missing = {}
    for rel, mod in pages:
        facts = seen[nbpages.html_name(rel)]
        shown = {t for _, t in facts['headings']}  # show_doc's heading is the name (its id may be `name-1`)
        lost = [n for n in exported_callables(f'{lib}.{mod}') if n not in shown]
        if lost: missing[f'{nbpages.html_name(rel)} ({lib}.{mod})'] = lost
    assert not missing, f'exported functions and classes without their API docs on the page: {missing}'


# ---------------------------------------------------------------- the renderer on a page that has everything

PNG = ('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==')

def test_renderer_handles_figures_tables_callouts_and_links(tmp_path):
    "Figures saved in outputs and beside the notebook, a table, a callout, links between pages and to the site."
    nbs = tmp_path / 'nbs'; (nbs / 'images').mkdir(parents=True)
    import base64
    (nbs / 'images' / 'dot.png').write_bytes(base64.b64decode(PNG))
    base = nbpages.site_url()
    def nb(*cells): return dict(cells=list(cells), metadata={}, nbformat=4, nbformat_minor=5)
    def md(s): return dict(cell_type='markdown', metadata={}, source=s)
    def code(s, outputs): return dict(cell_type='code', metadata={}, execution_count=None, source=s, outputs=outputs)
    (nbs / 'index.ipynb').write_text(json.dumps(nb(
        md('# Home\n> A page with everything.'),
        md('## A table\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n::: {.callout-note}\nA note.\n:::\n\n'
           f'See [the other page](01_other.ipynb#second), [the same on the site]({base}other.html#second) '
           'and [by its name](other.html#second).\n\n'
           '![a dot](images/dot.png)'),
        code('#| hide\nsecret = 1', []),
        code('#| fig-cap: A dot\nprint("hello")\nx = 1', [dict(output_type='stream', name='stdout', text=['hello\n']),
                                      dict(output_type='display_data', metadata={},
                                           data={'image/png': PNG, 'text/plain': ['<Figure>']})]))))
    (nbs / '01_other.ipynb').write_text(json.dumps(nb(md('# Other\n> The second page.'), md('## Second\n\nText.'))))
    (nbs / 'tutorials').mkdir()
    (nbs / 'tutorials' / '01_first.ipynb').write_text(json.dumps(nb(
        md('# First steps\n> A page in a folder.'), md('Back [home](../index.ipynb); ![a dot](../images/dot.png)'))))
    with in_dir(ROOT): s = docs.build_site(tmp_path / 'site', workers=1, nbs=nbs)
    assert not s.problems, s.problems
    page = (tmp_path / 'site' / 'index.html').read_text()
    assert 'secret' not in page and '<table' in page and 'callout-note' in page and 'hello' in page
    assert '<figcaption>A dot</figcaption>' in page and 'fig-cap' not in page
    assert (tmp_path / 'site' / 'index_files' / 'figure-html').is_dir()
    seen = visit(s.out, ['index.html', 'other.html', 'tutorials/first.html'])
    facts = seen['index.html']
    assert len(facts['images']) == 2 and all(i['ok'] for i in facts['images']), facts['images']
    assert not facts['errors'] and not check_links(s, seen)
    assert sum(l.endswith('/other.html#second') for l in facts['links']) == 3, facts['links']
    assert [t for _, t in facts['sidebar']] == ['Home', 'Other', 'First steps']
    nested = seen['tutorials/first.html']
    assert nested['images'][0]['ok'] and not nested['errors'] and nested['links'][0].endswith('/index.html')


def test_no_raw_markdown_in_code_blocks(site):
    "Signatures are code: a link nbdev put into a parameter comment must not show as `[name](url)` text."
    raw = {}
    for page in site.pages:
        html = (site.out / page.out).read_text()
        for block in re.findall(r'<pre class="sourceCode[^"]*">(.*?)</pre>', html, flags=re.S):
            text = re.sub(r'<[^>]+>', '', block)
            if re.search(r'\[`?[^\]\n]+`?\]\((https?://|[^)\s]+\.html)', text): raw.setdefault(page.out, []).append(text[:200])
    assert not raw, f'raw markdown links inside code blocks: {raw}'


READER = '''() => ({
  outputs: [...document.querySelectorAll('.cell-output pre, .cell-output-stdout pre')].map(p => p.textContent),
  figures: [...document.querySelectorAll('.cell-output-display img')].map(i => i.complete && i.naturalWidth > 0),
  overflowing: [...document.querySelectorAll('pre')].filter(p => p.scrollWidth > p.clientWidth + 1).length,
})'''


def test_search_outputs_and_code_boxes_in_the_browser(site):
    "Search finds a section by its text and shows the words around it; a printed table and a figure from saved outputs show; no code box overflows."
    from playwright.sync_api import sync_playwright
    with serve(site.out) as base, tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(profile, executable_path=chromium_path(), headless=True, args=FLAGS,
                                                    viewport=dict(width=1280, height=900))
        try:
            page = ctx.new_page()
            page.goto(base + 'tutorials/add_method.html', wait_until='load')
            page.fill('#search-input', 'selective synaptic dampening')
            hits = page.eval_on_selector_all('#search-results a', 'as => as.map(a => a.href)')
            assert any('/methods.html#ssd' in h for h in hits), hits  # the section, not the top of the page
            marked = page.eval_on_selector_all('#search-results .search-snippet mark', 'ms => ms.map(m => m.textContent)')
            assert {'selective', 'synaptic', 'dampening'} & {m.lower() for m in marked}, marked  # a snippet, terms marked
            page.fill('#search-input', 'zzqx-no-such-word')
            assert page.text_content('#search-results') == 'no page matches'
            facts = {}
            for out in ('experiment.html', 'tutorials/add_method.html', 'methods.html'):
                page.goto(base + out, wait_until='load')
                facts[out] = page.evaluate(READER)
        finally: ctx.close()
    assert any('metric (%)' in t and 'corrected_acc' in t for t in facts['experiment.html']['outputs']), facts['experiment.html']
    assert facts['tutorials/add_method.html']['figures'] and all(facts['tutorials/add_method.html']['figures'])
    assert {out: f['overflowing'] for out, f in facts.items()} == {out: 0 for out in facts}
