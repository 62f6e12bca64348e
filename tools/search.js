// Search the docs in the browser: a static index (search-index.js) of every page's title and text, no server needed.
(function () {
  const input = document.getElementById('search-input'), list = document.getElementById('search-results');
  if (!input || !list || !window.SEARCH_INDEX) return;
  const root = input.dataset.root || '';
  const score = (page, terms) => terms.reduce((s, t) => {
    const inTitle = page.title.toLowerCase().includes(t), hits = page.text.toLowerCase().split(t).length - 1;
    return s === null || (!inTitle && !hits) ? null : s + (inTitle ? 10 : 0) + Math.min(hits, 20);
  }, 0);
  function show() {
    const terms = input.value.toLowerCase().split(/\s+/).filter(t => t.length > 1);
    list.replaceChildren();
    if (!terms.length) return;
    const found = window.SEARCH_INDEX.map(p => [score(p, terms), p]).filter(([s]) => s !== null)
      .sort((a, b) => b[0] - a[0]).slice(0, 8);
    for (const [, p] of found) {
      const li = document.createElement('li'), a = document.createElement('a');
      a.href = root + p.url; a.textContent = p.title; li.appendChild(a); list.appendChild(li);
    }
    if (!found.length) { const li = document.createElement('li'); li.textContent = 'no page matches'; list.appendChild(li); }
  }
  input.addEventListener('input', show);
  input.addEventListener('keydown', e => { if (e.key === 'Enter' && list.querySelector('a')) location.href = list.querySelector('a').href; });
})();
