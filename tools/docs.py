"""Build the documentation site into `_docs/` without Quarto: a preview of what `nbdev_docs` publishes.

    .venv/bin/python tools/docs.py                 # every page into _docs/ (settings.ini doc_path)
    .venv/bin/python tools/docs.py --out /tmp/site

Each page source under nbs/ (notebooks, and `.qmd`/`.md` pages) goes through nbdev's own processing, in parallel
worker processes: frontmatter from the `# title` / `> description` cell, `show_doc` cells added after exported
code and executed (the API docs), exported and hidden cells dropped, backticked names linked. The processed
notebook is then rendered here the way Quarto renders it: the page title and description, markdown (with the
pandoc extensions nbdev relies on: `{attr}` on links and headings, `:::` divs, pandoc's heading ids), code cells
with their saved outputs (figures written to `<page>_files/figure-html/`), a sidebar of every page in nbdev's
order with page titles, a table of contents and previous/next links. Links to the published site and to other
notebooks become relative links, so the preview works from any folder or local web server.
"""
from __future__ import annotations
import argparse, base64, html, os, posixpath, re, shutil, sys, time
from pathlib import Path
from urllib.parse import unquote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbpages import (ROOT, nbdev_config, page_sources, sidebar_tree, custom_sidebar, SidebarEntry, process_pages,
                     frontmatter, is_frontmatter, src, cell_options, pick_mime, text_of, strip_ansi, rel_url, is_local,
                     html_name, site_url, slug, Ids, PAGE_SUFFIXES)

HERE = Path(__file__).resolve().parent
MARKER = '.docs-preview'  # marks an output folder this builder may empty
IMG_EXT = {'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/svg+xml': 'svg'}
esc = html.escape


# ---------------------------------------------------------------- pandoc's markdown extensions, as HTML

MD_LINK = re.compile(r'\[`?([^\]`\n]+)`?\]\((?:https?://[^)\s]+|[^)\s]+\.html(?:#[^)\s]*)?)\)')  # [`name`](url), not code like f[i](x)


def _attrs(spec:str): # the inside of a pandoc attribute block: `#id .class key="value"`
    "(id, classes, other attributes) of a pandoc `{...}` attribute block."
    ident, classes, kv = None, [], {}
    for m in re.finditer(r'([\w:-]+)="([^"]*)"|([\w:-]+)=(\S+)|#([\w:.-]+)|\.([\w-]+)', spec):
        if m.group(1): kv[m.group(1)] = m.group(2)
        elif m.group(3): kv[m.group(3)] = m.group(4)
        elif m.group(5): ident = m.group(5)
        elif m.group(6): classes.append(m.group(6))
    return ident, classes, kv

def _attr_html(ident, classes, kv):
    res = (f' id="{esc(ident)}"' if ident else '') + (f' class="{esc(" ".join(classes))}"' if classes else '')
    return res + ''.join(f' {k}="{esc(v)}"' for k, v in kv.items())

CALLOUT_TITLES = dict(note='Note', tip='Tip', warning='Warning', important='Important', caution='Caution')

def pandocisms(md:str):
    "Rewrite the pandoc-only syntax of a markdown cell into HTML that CommonMark passes through."
    parts = re.split(r'(^[ \t]*(?:```|~~~).*?^[ \t]*(?:```|~~~)[ \t]*$)', md, flags=re.M | re.S)
    for i in range(0, len(parts), 2):
        t = parts[i]
        # [text](url){target="_blank" .class}: a link with attributes
        t = re.sub(r'\[([^\]\n]*)\]\(([^)\s]+)\)\{([^}\n]*)\}',
                   lambda m: f'<a href="{esc(m.group(2))}"{_attr_html(*_attrs(m.group(3)))}>{m.group(1)}</a>', t)
        # ::: {.callout-note} ... ::: : fenced divs
        out = []
        for line in t.split('\n'):
            m = re.match(r'^\s*:{3,}\s*(\{[^}]*\}|[\w-]+)?\s*$', line)
            if m and m.group(1):
                spec = m.group(1).strip('{}') if m.group(1).startswith('{') else '.' + m.group(1)
                ident, classes, kv = _attrs(spec)
                title = ''
                for c in classes:
                    if c.startswith('callout-'):
                        classes = ['callout'] + classes
                        title = kv.pop('title', CALLOUT_TITLES.get(c[8:], c[8:].title()))
                out += ['', f'<div{_attr_html(ident, classes, kv)}>'] + \
                       ([f'<div class="callout-title">{esc(title)}</div>'] if title else []) + ['']
            elif m: out += ['', '</div>', '']
            else: out.append(line)
        parts[i] = '\n'.join(out)
    return ''.join(parts)


def _heading_attrs(text:str):
    "Split a trailing pandoc `{#id .class}` off a heading: (text, id, classes)."
    m = re.search(r'\s*\{([^{}]*)\}\s*$', text)
    if not m or not re.fullmatch(r'(\s*([#.][\w:.-]+|[\w-]+="[^"]*"))+\s*', m.group(1)): return text, None, []
    ident, classes, _ = _attrs(m.group(1))
    return text[:m.start()], ident, classes


# ---------------------------------------------------------------- one page

class Page:
    "One page of the site: its source, processed notebook, output path, and what rendering it collects."
    def __init__(self, rel:str, nb:dict, site:'Site'):
        self.rel, self.nb, self.site = rel, nb, site
        self.out = html_name(rel)                            # path in the site, e.g. core.html
        self.src_dir = (site.nbs / rel).parent
        fm = frontmatter(nb)
        self.title = str(fm.get('title') or Path(rel).stem)
        self.description = str(fm.get('description') or '')
        self.files = f'{posixpath.splitext(self.out)[0]}_files/figure-html'  # where Quarto writes a page's figures
        self.ids, self.toc, self._md = Ids(), [], None

    def link(self, target:str): return rel_url(target, self.out)   # a site path as seen from this page

    # -- urls
    def url(self, u:str):
        "A link target as it works in the preview."
        base = self.site.base
        if u.startswith(base):                         # the published site: a relative link instead
            rest = u[len(base):]
            path, h, frag = rest.partition('#')
            if not path or path.endswith('/'): path += 'index.html'
            return self.link(path + h + frag)
        if not is_local(u): return u
        path, h, frag = u.partition('#')
        target = posixpath.normpath(posixpath.join(posixpath.dirname(self.rel), path))
        if Path(path).suffix in PAGE_SUFFIXES and html_name(target) in self.site.outs:  # another page: its HTML
            return self.link(html_name(target) + h + frag)
        if path.endswith('.html') and posixpath.normpath(posixpath.join(posixpath.dirname(self.out), path)) in self.site.outs:
            return u                                   # another page, by its published name
        return self.asset(u)

    def asset(self, u:str):
        "A local file (image, data) the page refers to: copied into the site, linked relatively."
        if not is_local(u): return u
        path, h, frag = u.partition('#')
        f = (self.src_dir / unquote(path)).resolve()
        if not f.is_file():
            self.site.problems.append(f'{self.rel}: {u} does not exist')
            return u
        try: target = f.relative_to(self.site.nbs.resolve()).as_posix()
        except ValueError:  # outside the notebooks folder (e.g. ../runs/...): under _assets/
            try: target = '_assets/' + f.relative_to(ROOT).as_posix()
            except ValueError: target = '_assets/' + f.name
        self.site.copy(f, target)
        return self.link(target) + h + frag

    def fix_html(self, s:str):
        "Raw HTML with its href/src attributes made to work in the preview."
        s = re.sub(r'(\bhref\s*=\s*)"([^"]*)"', lambda m: f'{m.group(1)}"{esc(self.url(html.unescape(m.group(2))))}"', s)
        return re.sub(r'(<(?:img|source|video|audio)\b[^>]*?\bsrc\s*=\s*)"([^"]*)"',
                      lambda m: f'{m.group(1)}"{esc(self.asset(html.unescape(m.group(2))))}"', s)

    # -- markdown
    def markdown(self, text:str, attachments:dict|None=None):
        if attachments:
            def att(m):
                a = attachments.get(m.group(1), {})
                mime = next(iter(a), None)
                return f'data:{mime};base64,{text_of(a[mime])}' if mime else m.group(0)
            text = re.sub(r'attachment:([^)\s"]+)', att, text)
        if self._md is None: self._md = self.site.markdown(self)
        return self._md(pandocisms(text))

    def inline(self, text:str):
        "Inline markdown (a title or description) without the paragraph around it."
        return re.sub(r'^<p>(.*)</p>\s*$', r'\1', self.markdown(text).strip(), flags=re.S)

    # -- code cells
    def image(self, data:str, mime:str, name:str, meta:dict, caption:str=''):
        target = f'{self.files}/{name}.{IMG_EXT[mime]}'
        self.site.write(target, data.encode() if mime == 'image/svg+xml' else base64.b64decode(data))
        size = ''.join(f' {k}="{int(v)}"' for k, v in (meta or {}).items() if k in ('width', 'height') and str(v).isdigit())
        img = f'<img src="{esc(self.link(target))}" class="img-fluid figure-img"{size} alt="{esc(caption)}">'
        return f'<figure class="figure">{img}<figcaption>{self.inline(caption)}</figcaption></figure>' if caption else img

    def output(self, o:dict, asis:bool, name:str, caption:str=''):
        kind = o.get('output_type')
        if kind == 'stream':
            text = strip_ansi(text_of(o.get('text'))).rstrip('\n')
            return f'<div class="cell-output cell-output-{o.get("name", "stdout")}"><pre><code>{esc(text)}</code></pre></div>'
        if kind == 'error':
            tb = strip_ansi('\n'.join(o.get('traceback') or [f"{o.get('ename')}: {o.get('evalue')}"]))
            return f'<div class="cell-output cell-output-error"><pre><code>{esc(tb)}</code></pre></div>'
        data, meta = o.get('data', {}), o.get('metadata', {})
        mime = pick_mime(data)
        if mime is None: return ''
        value = text_of(data[mime])
        if asis and mime in ('text/markdown', 'text/plain'): return self.markdown(value)  # `output: asis`: raw markdown
        if mime in IMG_EXT: body = self.image(value, mime, name, meta.get(mime), caption)
        elif mime == 'text/html': body = self.fix_html(value)
        elif mime == 'text/markdown' or (asis and mime == 'text/plain'): body = self.markdown(value)
        else: body = f'<pre><code>{esc(strip_ansi(value))}</code></pre>'
        return f'<div class="cell-output cell-output-display">{body}</div>'

    def code_cell(self, cell:dict, n:int):
        opts, code = cell_options(src(cell))
        if opts.get('include') == 'false': return ''
        parts = []
        if code.strip() and opts.get('echo') != 'false':
            block = self.site.code(code, 'python', 'cell-code')
            fold = opts.get('code-fold')
            if fold in ('true', 'show'):
                block = (f'<details class="code-fold"{" open" if fold == "show" else ""}>'
                         f'<summary>{esc(opts.get("code-summary", "Code"))}</summary>{block}</details>')
            parts.append(block)
        if opts.get('output') != 'false':
            merged = []  # consecutive stream outputs of one kind read as one block, as in Jupyter
            for o in cell.get('outputs', []):
                if merged and o.get('output_type') == 'stream' == merged[-1].get('output_type') and o.get('name') == merged[-1].get('name'):
                    merged[-1] = dict(merged[-1], text=text_of(merged[-1]['text']) + text_of(o['text']))
                else: merged.append(o)
            asis, cap = opts.get('output') == 'asis', opts.get('fig-cap', '')
            parts += [self.output(o, asis, f'cell-{n}-output-{k}', cap) for k, o in enumerate(merged, 1)]
        parts = [p for p in parts if p]
        return f'<div class="cell">\n{"".join(parts)}\n</div>\n' if parts else ''

    def body(self):
        res = []
        for n, cell in enumerate(self.nb['cells'], 1):
            if is_frontmatter(cell): continue
            if cell['cell_type'] == 'markdown': res.append(self.markdown(src(cell), cell.get('attachments')))
            elif cell['cell_type'] == 'code': res.append(self.code_cell(cell, n))
            elif cell['cell_type'] == 'raw': res.append(self.markdown(src(cell)))
        return '\n'.join(res)

    # -- the whole page
    def render(self, prev:'Page|None', nxt:'Page|None'):
        body = self.body_html = self.body()  # kept for the search index
        site = self.site
        desc = f'<p class="description">{self.inline(self.description)}</p>' if self.description else ''
        toc = ''.join(f'<li class="toc-{lvl}"><a href="#{ident}">{text}</a></li>' for lvl, ident, text in self.toc)
        toc_html = (f'<nav id="TOC" class="toc" aria-label="On this page"><h2 id="toc-title">On this page</h2>'
                    f'<ul>{toc}</ul>' if toc else '<nav id="TOC" class="toc" aria-label="On this page">')
        if site.cfg.get('git_url'):
            toc_html += f'<div class="repo-actions"><a href="{esc(site.cfg.git_url)}/issues/new" class="toc-action">Report an issue</a></div>'
        toc_html += '</nav>'
        pager = ''.join(f'<div class="nav-page nav-page-{k}"><a href="{esc(self.link(p.out))}"><span class="nav-page-dir">'
                        f'{"&larr; Previous" if k == "previous" else "Next &rarr;"}</span><span class="nav-page-text">'
                        f'{self.inline(p.title)}</span></a></div>' for k, p in (('previous', prev), ('next', nxt)) if p)
        css = ''.join(f'<link rel="stylesheet" href="{esc(self.link(c))}">' for c in site.css)
        return f'''<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(self.title)} – {esc(site.title)}</title>
<meta name="description" content="{esc(self.description)}">
<link rel="icon" href="data:,">
{css}
</head>
<body>
<header class="navbar">
<a class="navbar-brand" href="{esc(self.link('index.html'))}">{esc(site.title)}</a>
<div class="search"><input id="search-input" type="search" placeholder="Search" aria-label="Search the docs"
autocomplete="off" data-root="{esc(self.link('index.html')[:-len('index.html')])}"><ul id="search-results"></ul></div>
{f'<a class="navbar-repo" href="{esc(site.cfg.git_url)}" aria-label="Source code">Source</a>' if site.cfg.get('git_url') else ''}
</header>
<script src="{esc(self.link('search-index.js'))}" defer></script><script src="{esc(self.link('search.js'))}" defer></script>
<div class="page-layout">
<nav id="quarto-sidebar" class="sidebar" aria-label="Pages">
{site.sidebar_html(self)}
</nav>
<main id="quarto-document-content" class="content">
<header id="title-block-header">
<h1 class="title">{self.inline(self.title)}</h1>
{desc}
</header>
{body}
<nav class="page-navigation" aria-label="Previous and next page">{pager}</nav>
</main>
{toc_html}
</div>
</body>
</html>
'''


# ---------------------------------------------------------------- the site

def source_title(path:Path): # a page source
    "The `# title` of a page source, read without nbdev (for pages nbdev could not process)."
    import json
    try:
        text = path.read_text(encoding='utf-8')
        if path.suffix == '.ipynb':
            text = '\n\n'.join(src(c) for c in json.loads(text)['cells'] if c['cell_type'] == 'markdown')
        m = re.search(r'^#\s+(\S.*?)\s*$', text, flags=re.M)
        return m.group(1).replace('"', "'") if m else path.stem
    except Exception: return path.stem


class Site:
    "Every page, the sidebar, and the files written into the output folder."
    def __init__(self, out:Path, cfg, nbs:Path|None=None):
        self.out, self.cfg = Path(out), cfg
        self.nbs = Path(nbs or cfg.nbs_path)
        self.title = cfg.get('title') or cfg.lib_name
        self.base = site_url(cfg)
        self.css = ['site.css'] + (['styles.css'] if (self.nbs / 'styles.css').exists() else [])
        self.problems, self.warnings, self.pages, self.outs, self.timings = [], [], [], set(), {}
        from pygments.formatters import HtmlFormatter
        self.formatter = HtmlFormatter(nowrap=True)

    def write(self, target:str, data:bytes|str):
        f = self.out / target
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(data.encode() if isinstance(data, str) else data)

    def copy(self, f:Path, target:str):
        t = self.out / target
        t.parent.mkdir(parents=True, exist_ok=True)
        if not t.exists(): shutil.copy2(f, t)

    def code(self, code:str, lang:str|None, cls:str=''):
        "Highlighted source in Quarto's markup."
        from pygments import highlight
        from pygments.lexers import get_lexer_by_name, TextLexer
        try: lexer = get_lexer_by_name(lang or 'text')
        except Exception: lexer = TextLexer()
        if lang in ('python', 'py'): code = MD_LINK.sub(r'\1', code)  # nbdev links names in signature comments; code shows no markdown
        h = highlight(code.rstrip('\n'), lexer, self.formatter).rstrip('\n')
        return (f'<div class="sourceCode {cls}"><pre class="sourceCode {esc(lang or "")}">'
                f'<code class="sourceCode">{h}</code></pre></div>')

    def markdown(self, page:Page):
        "A markdown renderer for `page`: pandoc's heading ids and the preview's links."
        import mistune
        site = self

        class Renderer(mistune.HTMLRenderer):
            def heading(self, text, level, **attrs):
                text, ident, classes = _heading_attrs(text)
                ident = page.ids(ident or slug(text))
                if level in (2, 3): page.toc.append((level, ident, re.sub(r'<a\b[^>]*>|</a>', '', text)))
                cls = ' '.join(['anchored'] + classes)
                return f'<h{level} id="{esc(ident)}" class="{cls}">{text}</h{level}>\n'
            def link(self, text, url, title=None):
                t = f' title="{esc(title)}"' if title else ''
                return f'<a href="{esc(page.url(url))}"{t}>{text}</a>'
            def image(self, text, url, title=None):
                t = f' title="{esc(title)}"' if title else ''
                return f'<img src="{esc(page.asset(url))}" alt="{esc(text)}"{t} class="img-fluid">'
            def block_code(self, code, info=None):
                return site.code(code, (info or '').split()[0].strip('{}.') if info else None) + '\n'
            def block_html(self, s): return page.fix_html(s) + '\n'
            def inline_html(self, s): return page.fix_html(s)
            def table(self, text): return f'<div class="table-wrap"><table class="table">\n{text}</table></div>\n'

        return mistune.create_markdown(renderer=Renderer(escape=False),
                                       plugins=['table', 'strikethrough', 'footnotes', 'url', 'def_list'])

    def sidebar_html(self, page:Page):
        "The sidebar as seen from `page` (its entry marked active)."
        by_src = {p.rel: p for p in self.pages}
        def entry(e:SidebarEntry):
            if e.children or (e.title and e.src is None):
                head = esc(e.title)
                if e.src and e.src in by_src:
                    p = by_src[e.src]
                    active = ' class="active" aria-current="page"' if p is page else ''
                    head = f'<a href="{esc(page.link(p.out))}"{active}>{esc(e.title)}</a>'
                return f'<li class="sidebar-section"><span class="sidebar-section-title">{head}</span><ul>{"".join(map(entry, e.children))}</ul></li>'
            p = by_src.get(e.src)
            if p is None: return ''
            active = ' class="active" aria-current="page"' if p is page else ''
            return f'<li><a href="{esc(page.link(p.out))}"{active}>{page.inline(e.title or p.title)}</a></li>'
        return f'<ul class="sidebar-menu">{"".join(map(entry, self.sidebar))}</ul>'

    def build(self, workers:int=2):
        rels = [r.as_posix() for r in page_sources(self.nbs)]
        self.pages, self.outs = [], {html_name(r) for r in rels}
        for r, (nb, err, msgs, secs) in zip(rels, process_pages([self.nbs / r for r in rels], n_workers=workers)):
            self.timings[r] = secs
            self.warnings += [f'{r}: {m}' for m in msgs]
            if err:  # the page still exists, showing what went wrong; the build reports it
                self.problems.append(f'{r}: nbdev could not process it: {err}')
                nb = dict(cells=[dict(cell_type='raw', metadata={}, source=f'---\ntitle: "{source_title(self.nbs / r)}"\n---'),
                                 dict(cell_type='markdown', metadata={}, source=
                                      '::: {.callout-important}\nnbdev could not process this notebook:\n\n```\n' + err + '\n```\n:::')])
            self.pages.append(Page(r, nb, self))
        custom = custom_sidebar(self.nbs) if str(self.cfg.get('custom_sidebar', 'False')).lower() == 'true' else None
        self.sidebar = custom or sidebar_tree(rels)
        by_src, order = {p.rel: p for p in self.pages}, []
        def walk(es):
            for e in es:
                if e.src in by_src: order.append(e.src)
                walk(e.children)
        walk(self.sidebar)
        seq = [by_src[s] for s in dict.fromkeys(order)] + [p for p in self.pages if p.rel not in order]
        for i, p in enumerate(seq):  # previous/next follow the sidebar, as in Quarto
            self.write(p.out, p.render(seq[i - 1] if i else None, seq[i + 1] if i + 1 < len(seq) else None))
        self.write('site.css', (HERE / 'site.css').read_text(encoding='utf-8') + '\n' +
                   self.formatter.get_style_defs('.sourceCode'))
        if 'styles.css' in self.css: self.copy(self.nbs / 'styles.css', 'styles.css')
        self.write_search_index(seq)
        return seq

    def write_search_index(self, pages:list):
        ("search-index.js (every section of every page: its page's title, its heading, its link and its text, for "
         "tools/search.js) and search.js.")
        import html, json
        def text(part):
            body = re.sub(r'<(script|style)\b.*?</\1>', ' ', part, flags=re.S)
            return re.sub(r'\s+', ' ', html.unescape(re.sub(r'<[^>]+>', ' ', body))).strip()[:100000]
        index = []
        for p in pages:  # a page's text up to its first section heading, then each h2/h3 section on its own
            parts = re.split(r'(<h[23] id="[^"]*"[^>]*>.*?</h[23]>)', p.body_html, flags=re.S)
            index.append(dict(title=p.title, section='', url=p.out, text=text(parts[0])))
            for head, body in zip(parts[1::2], parts[2::2]):
                ident = html.unescape(re.match(r'<h[23] id="([^"]*)"', head).group(1))
                index.append(dict(title=p.title, section=text(head), url=f'{p.out}#{ident}', text=text(body)))
        self.write('search-index.js', 'window.SEARCH_INDEX = ' + json.dumps(index, ensure_ascii=False) + ';\n')
        self.copy(HERE / 'search.js', 'search.js')


def build_site(out:str|Path|None=None, # output folder (default: settings.ini doc_path)
               workers:int|None=None, # processes that run nbdev's processing (default: up to 2)
               nbs:str|Path|None=None): # page sources (default: settings.ini nbs_path)
    "Build every page into `out`; return the `Site` (its `problems` list what did not work)."
    cfg = nbdev_config()
    out = Path(out or cfg.doc_path)
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists() and out.resolve() != Path(cfg.doc_path).resolve():
            raise SystemExit(f'{out} is not empty and was not built by tools/docs.py; choose an empty folder')
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text('built by tools/docs.py; emptied on every build\n')
    site = Site(out, cfg, nbs)
    site.build(workers or min(2, os.cpu_count() or 1))
    return site


def main(argv=None):
    p = argparse.ArgumentParser(description='Build the docs site into _docs/ without Quarto.')
    p.add_argument('--out', default=None, help='output folder (default: settings.ini doc_path, _docs)')
    p.add_argument('--workers', type=int, default=None, help='processes for processing notebooks (default: 2)')
    a = p.parse_args(argv)
    t = time.time()
    os.chdir(ROOT)
    site = build_site(a.out, a.workers)
    for m in site.warnings: print('warning:', m, file=sys.stderr)
    slow = sorted(site.timings.items(), key=lambda kv: -kv[1])[:3]
    print('slowest to process:', ', '.join(f'{r} {s:.1f} s' for r, s in slow))
    print(f'{len(site.pages)} pages in {site.out}/ ({time.time() - t:.1f} s); open {site.out}/index.html')
    if site.problems:
        sys.exit('problems:\n' + '\n'.join(f'- {m}' for m in site.problems))


if __name__ == '__main__': main()
