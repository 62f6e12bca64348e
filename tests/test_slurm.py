"""Grids on a real SLURM: munged, slurmctld and slurmd started on this machine on loopback (LocalSlurm, installed by
`make slurm`), the grid's workers in SLURM jobs; a job cancelled mid-grid loses nothing, and bad input is one line."""
import json, os, re, subprocess, sys, time
from pathlib import Path
import pytest
from conftest import CLI
from test_grid import write_spec, results

@pytest.fixture(scope='module')
def slurm(tmp_path_factory):
    "A SLURM of this machine alone for the module's tests; never skipped: where it cannot start, the tests fail saying why."
    from corrective_unlearning.core import CUError
    from corrective_unlearning.slurm import LocalSlurm
    local = LocalSlurm(tmp_path_factory.mktemp('slurm'))
    try: local.start()
    except CUError as e: pytest.fail(f'no SLURM could start on this machine: {e}', pytrace=False)
    daemons = [p.pid for p in local.procs.values()]
    yield local
    local.stop()
    assert local.leftovers() == [], 'processes of the stopped SLURM still run'
    assert subprocess.run(['pgrep', '-f', str(local.dir)], capture_output=True).returncode == 1  # pgrep: none found
    for pid in daemons:
        with pytest.raises(ProcessLookupError): os.kill(pid, 0)

def job_of(pid:int):
    "The SLURM job a process runs in, from its environment (None outside a job, or once it is gone)."
    try: env = Path(f'/proc/{pid}/environ').read_bytes().split(b'\0')
    except OSError: return None
    return next((v.split(b'=', 1)[1].decode() for v in env if v.startswith(b'SLURM_JOB_ID=')), None)

def squeue(*args):
    return subprocess.run(['squeue', *args], capture_output=True, text=True, timeout=30).stdout

def test_a_grid_on_slurm_loses_nothing_to_a_cancelled_job(slurm, tmp_path):
    spec = write_spec(tmp_path / 'g.json', 'onslurm', [[{'deletion_fraction': f} for f in (0.25, 0.5, 0.75, 1.0)],
                      [{'unlearn_method': 'CF'}, {'unlearn_method': 'SSD'}]], unlearn_iters=60)
    grid = tmp_path / 'onslurm'
    p = subprocess.Popen(CLI + ['grid', spec, f'--root={tmp_path}', '--slurm', '--jobs=2', '--memory=2GB',
                                '--walltime=00:10:00', '--progress-every=5'],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    victim, deadline = None, time.time() + 240
    while victim is None and p.poll() is None and time.time() < deadline:  # a run under way in a job, after a first one
        for claim in grid.glob('*/claim.json') if results(tmp_path, 'onslurm') else []:
            try: owner = json.loads(claim.read_text())
            except (OSError, ValueError): continue
            if (job := job_of(owner['pid'])) and not (claim.parent / 'result.json').exists():
                victim = (claim.parent, job, owner['pid']); break
        time.sleep(0.05)
    assert victim, (p.poll(), p.stderr.read() if p.poll() is not None else 'no run started in a SLURM job in time')
    run_dir, job, pid = victim
    queue = squeue('-o', '%i %j %T %N')
    subprocess.run(['scancel', job], check=True, timeout=30)  # the job's worker dies, its kernel with it, mid-run
    out, err = p.communicate(timeout=300)
    print(f'cancelled job {job} (worker pid {pid}) while it ran {run_dir.name}; queue then:\n{queue}\n{out}{err}')
    assert p.returncode == 0, err[-3000:]
    assert 'grid onslurm: 8 runs, 0 already done, 8 completed, 0 failed' in out, out
    ids = [json.loads(r.read_text())['run_id'] for r in results(tmp_path, 'onslurm')]
    assert len(ids) == 8 == len(set(ids))  # every run done, each once
    assert json.loads((run_dir / 'runner.json').read_text())['pid'] != pid  # the cut-off run ran again, in another job
    assert not list(grid.glob('*/claim.json')) and not list(grid.glob('*/error.json'))
    assert re.search(rf'^{job} cu-onslurm RUNNING ', queue, re.M), queue
    assert {l.split()[1] for l in squeue('-h', '-t', 'all', '-o', '%i %T').splitlines() if l.split()[0] == job} <= {'CANCELLED'}
    assert squeue('-h', '-o', '%i') == ''  # the grid's jobs ended with it
    assert list((grid / 'slurm').glob(f'*-{job}.err'))  # each job's output beside the runs

def refused(slurm, tmp_path, *flags, env=None):
    spec = write_spec(tmp_path / 'g.json', 'refused', [[{'seed': 0}]])
    start = time.perf_counter()
    p = subprocess.run(CLI + ['grid', spec, f'--root={tmp_path}', '--slurm', '--scheduler-timeout=5', *flags],
                       capture_output=True, text=True, timeout=120, env=os.environ | (env or {}))
    assert p.returncode == 2, (p.returncode, p.stderr[-3000:])
    assert p.stderr.count('\n') == 1 and p.stderr.startswith('corrective-unlearning: error: '), p.stderr
    assert squeue('-h', '-o', '%i') == ''  # nothing submitted
    return p.stderr, time.perf_counter() - start

def test_a_partition_that_does_not_exist(slurm, tmp_path):
    err, _ = refused(slurm, tmp_path, '--partition=nope')
    assert "SLURM refuses the workers' job (invalid partition specified: nope): change its shape with --partition" in err

def test_a_job_that_slurm_refuses(slurm, tmp_path):
    err, _ = refused(slurm, tmp_path, '--memory=100TB')  # more than the one node has
    assert "SLURM refuses the workers' job (Requested node configuration is not available)" in err, err

def test_a_slurm_that_cannot_be_reached(slurm, tmp_path):
    import socket
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]  # nothing listens there
    dead = tmp_path / 'slurm.conf'
    dead.write_text(re.sub(r'SlurmctldPort=\d+', f'SlurmctldPort={port}', slurm.conf.read_text()))
    err, seconds = refused(slurm, tmp_path, env=dict(SLURM_CONF=str(dead)))
    assert "SLURM's controller cannot be reached (Slurmctld(primary) at " in err and 'point SLURM_CONF at' in err, err
    assert seconds < 60
