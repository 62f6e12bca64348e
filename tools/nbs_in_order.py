"""Run every notebook's tests in this one process, in file order or reversed (`make test-nbs-orders` does both).

    .venv/bin/python tools/nbs_in_order.py             # file order
    .venv/bin/python tools/nbs_in_order.py --reverse   # the last notebook first

`nbdev_test` runs several notebooks in each worker process, which ones depending on how fast each runs; whatever one
notebook's cells register must be undone before the next. Running all of them in one process, in both orders, checks
that no notebook depends on another's leftovers. Cells flagged `slow` run, as in `make test`.
"""
import argparse, os, sys, time
from pathlib import Path
from nbdev.config import get_config
from nbdev.test import test_nb
from nbdev.doclinks import nbglob

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--reverse', action='store_true', help='the last notebook first')
    a = p.parse_args(argv)
    cfg = get_config()
    files = sorted(f.absolute() for f in nbglob(as_path=True) if not f.name.startswith('_'))
    if a.reverse: files.reverse()
    failed = []
    os.chdir(cfg.nbs_path)
    for f in files:
        start = time.perf_counter()
        ok, _ = test_nb(f, skip_flags=cfg.tst_flags.split(), force_flags=['slow'], basepath=cfg.config_path)
        print(f"{'ok    ' if ok else 'FAILED'} {f.relative_to(cfg.config_path)} ({time.perf_counter() - start:.0f} s)", flush=True)
        if not ok: failed.append(f.name)
    print(f"{len(files) - len(failed)} of {len(files)} notebooks passed in one process"
          + (' (reversed order)' if a.reverse else ' (file order)') + (f"; failed: {', '.join(failed)}" if failed else ''))
    return 1 if failed else 0

if __name__ == '__main__': sys.exit(main())
