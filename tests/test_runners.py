"Grids under real use: thread counts chosen and recorded, runners sharing a root, progress without a terminal, clean stops."
import json, os, signal, subprocess, sys, time
from pathlib import Path
import pytest
from conftest import CLI, run_cli
from test_grid import write_spec, results

def test_the_thread_count_is_the_runs_own_and_recorded(tmp_path):
    "Same configuration, same thread option, different OMP_NUM_THREADS (as --workers used to set): identical numbers."
    metrics = {}
    for omp in ('1', '2'):
        env = os.environ | dict(OMP_NUM_THREADS=omp)
        out = tmp_path / omp
        p = subprocess.run(CLI + ['run', f'--save_dir={out}', '--unlearn_method=CF', '--unlearn_iters=20', f'--out_dir={out}/r'],
                           capture_output=True, text=True, env=env, timeout=600)
        assert p.returncode == 0, p.stderr
        r = json.loads((out / 'r' / 'result.json').read_text())
        assert (r['config']['threads'], r['versions']['torch_threads']) == (1, 1)
        assert r['pretrained_by']['manipulated']['threads'] == 1
        metrics[omp] = ({k: v for k, v in r['metrics'].items() if k != 'unlearn_seconds'}, r['reference'])
    assert metrics['1'] == metrics['2']

def test_two_runners_on_one_root_split_the_work(tmp_path):
    spec = write_spec(tmp_path / 'g.json', 'shared2', [[{'seed': s} for s in range(2)], [{'deletion_fraction': f} for f in (0.25, 0.5, 1.0)],
                      [{'unlearn_method': 'SSD'}, {'unlearn_method': 'CF'}]])
    procs = [subprocess.Popen(CLI + ['grid', spec, '--workers=1', f'--root={tmp_path}'], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=900) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outs]
    done = [int(o[0].split(' completed')[0].rsplit(', ', 1)[1]) for o in outs]
    assert sum(done) == 12 and all(done), outs  # each runner ran part of the grid, no run twice
    ids = [json.loads(p.read_text())['run_id'] for p in results(tmp_path, 'shared2')]
    assert len(ids) == 12 == len(set(ids))
    assert all('by another runner' in o[0] for o in outs), outs  # each saw the other's runs finish
    assert not list((tmp_path / 'shared2').glob('*/claim.json'))

def test_a_killed_runner_leaves_its_runs_to_the_other(tmp_path):
    spec = write_spec(tmp_path / 'g.json', 'takeover', [[{'seed': s} for s in range(3)], [{'deletion_fraction': f} for f in (0.5, 1.0)],
                      [{'unlearn_method': 'SSD'}]])
    a = subprocess.Popen(CLI + ['grid', spec, '--workers=1', f'--root={tmp_path}'], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not list((tmp_path / 'takeover').glob('*/claim.json')) and time.time() < deadline: time.sleep(0.1)
    b = subprocess.Popen(CLI + ['grid', spec, '--workers=1', f'--root={tmp_path}'], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(2)
    os.killpg(a.pid, signal.SIGKILL); a.wait()  # the runner, its worker and its kernel, mid-run
    out, err = b.communicate(timeout=900)
    assert b.returncode == 0, err[-2000:]
    ids = [json.loads(p.read_text())['run_id'] for p in results(tmp_path, 'takeover')]
    assert len(ids) == 6 == len(set(ids)), out

def test_progress_lines_without_a_terminal(tmp_path):
    spec = write_spec(tmp_path / 'g.json', 'quiet', [[{'deletion_fraction': f} for f in (0.25, 0.5, 0.75, 1.0)]])
    code, out, err = run_cli('grid', spec, '--workers=1', f'--root={tmp_path}', '--progress-every=0.5')
    assert code == 0, err
    lines = [l for l in out.splitlines() if l.startswith('grid quiet: ') and 'runs finished' in l]
    assert lines and lines[-1].endswith(' so far'), out
    assert 'grid quiet: 4 runs, 0 already done, 4 completed, 0 failed' in out

@pytest.mark.parametrize('sig', [signal.SIGINT, signal.SIGTERM], ids=['ctrl-c', 'sigterm'])
def test_a_stopped_grid_says_how_to_resume_without_tracebacks(tmp_path, sig):
    spec = write_spec(tmp_path / 'g.json', 'stopped', [[{'seed': s} for s in range(4)], [{'deletion_fraction': f} for f in (0.5, 1.0)],
                      [{'unlearn_method': 'SSD'}]])
    p = subprocess.Popen(CLI + ['grid', spec, '--workers=2', f'--root={tmp_path}'], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.time() + 300
    while len(results(tmp_path, 'stopped')) < 1 and time.time() < deadline: time.sleep(0.1)
    os.killpg(p.pid, sig) if sig == signal.SIGINT else p.send_signal(sig)  # Ctrl-C reaches the terminal's whole group
    out, err = p.communicate(timeout=120)
    assert p.returncode == 130, (p.returncode, err[-3000:])
    assert 'Traceback' not in err and 'Error' not in err.replace('corrective-unlearning:', ''), err[-3000:]
    assert err.strip().splitlines()[-1].endswith('run the same command again to resume'), err
    code, out, err = run_cli('grid', spec, '--workers=2', f'--root={tmp_path}')
    assert code == 0 and ' 0 failed' in out, err
    assert len(results(tmp_path, 'stopped')) == 8

def test_more_workers_than_cores_is_warned_about(tmp_path):
    cores = os.cpu_count() or 1
    fractions = [round(0.1 * (i + 1), 1) for i in range(min(cores + 1, 10))]
    spec = write_spec(tmp_path / 'g.json', 'crowded', [[{'deletion_fraction': f} for f in fractions]], pretrain_iters=10)
    code, out, err = run_cli('grid', spec, f'--workers={len(fractions)}', f'--root={tmp_path}')
    assert code == 0, err
    assert [l for l in err.splitlines() if 'warning' in l] == [
        f'corrective-unlearning: warning: {len(fractions)} workers x 1 thread(s) on {cores} cores: runs will compete for '
        'the CPU (fewer --workers gives the same throughput)'], err
