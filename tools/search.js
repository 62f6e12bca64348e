// Search the docs in the browser: a static index (search-index.js) of every page's sections, no server needed.
// Each hit links to its section and shows the words around the first match.
(function () {
  const input = document.getElementById('search-input'), list = document.getElementById('search-results');
  if (!input || !list || !window.SEARCH_INDEX) return;
  const root = input.dataset.root || '';
  const score = (entry, terms) => terms.reduce((s, t) => {
    const head = (entry.title + ' ' + entry.section).toLowerCase().includes(t);
    const hits = entry.text.toLowerCase().split(t).length - 1;
    return s === null || (!head && !hits) ? null : s + (head ? 10 : 0) + Math.min(hits, 20);
  }, 0);
  function snippet(text, terms) {  // about 140 characters around the first term found, the terms marked
    const low = text.toLowerCase(), at = Math.min(...terms.map(t => low.indexOf(t)).filter(i => i >= 0));
    if (!isFinite(at)) return document.createTextNode(text.slice(0, 140));
    const start = Math.max(0, at - 50), piece = text.slice(start, start + 140), span = document.createElement('span');
    const marked = new RegExp('(' + terms.map(t => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|') + ')', 'gi');
    span.append(start ? '…' : '');
    piece.split(marked).forEach((part, i) => {
      if (i % 2) { const m = document.createElement('mark'); m.textContent = part; span.append(m); }
      else span.append(part);
    });
    span.append(start + 140 < text.length ? '…' : '');
    return span;
  }
  function show() {
    const terms = input.value.toLowerCase().split(/\s+/).filter(t => t.length > 1);
    list.replaceChildren();
    if (!terms.length) return;
    const found = window.SEARCH_INDEX.map(e => [score(e, terms), e]).filter(([s]) => s !== null)
      .sort((a, b) => b[0] - a[0]).slice(0, 8);
    for (const [, e] of found) {
      const li = document.createElement('li'), a = document.createElement('a'), p = document.createElement('div');
      a.href = root + e.url; a.textContent = e.section ? e.title + ' › ' + e.section : e.title;
      p.className = 'search-snippet'; p.appendChild(snippet(e.text, terms));
      li.append(a, p); list.appendChild(li);
    }
    if (!found.length) { const li = document.createElement('li'); li.textContent = 'no page matches'; list.appendChild(li); }
  }
  input.addEventListener('input', show);
  input.addEventListener('keydown', e => { if (e.key === 'Enter' && list.querySelector('a')) location.href = list.querySelector('a').href; });
})();
