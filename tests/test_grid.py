"The grid runner with real papermill kernels on a real Dask LocalCluster (2 workers on loopback)."
import json, os, shutil, signal, subprocess, sys, threading, time
from dataclasses import asdict
from pathlib import Path
import pandas as pd
import pytest
from conftest import CLI, run_cli

def write_spec(path, name, axes, plugins=(), **base):
    "A JSON grid of tiny digits runs; the durability checks only where a test asks for them (they are measured apart)."
    base = dict(dataset='digits', pretrain_iters=40, unlearn_iters=10, forget_set_size=40, checks='none') | base
    path.write_text(json.dumps(dict(name=name, description='test grid', base=base, axes=axes, plugins=list(plugins))))
    return str(path)

def results(root, name):
    return sorted((Path(root) / name).glob('*/result.json'))

def test_grid_runs_resumes_and_reports(tmp_path):
    spec = write_spec(tmp_path / 'g.json', 'tiny', [[{'dataset_method': 'poisoning'}, {'dataset_method': 'labeltargeted'}],
                      [{'deletion_fraction': 0.5}, {'deletion_fraction': 1.0}], [{'unlearn_method': 'CF'}, {'unlearn_method': 'SSD'}]],
                      checks='all')
    code, out, err = run_cli('grid', spec, '--workers=2', f'--root={tmp_path}')
    assert code == 0, err
    assert 'grid tiny: 8 runs, 0 already done, 8 completed, 0 failed' in out
    assert len(results(tmp_path, 'tiny')) == 8
    assert all((p.parent / 'run.ipynb').exists() for p in results(tmp_path, 'tiny'))
    # every pretraining configuration was trained once and shared: one manipulated and one clean model per manipulation
    assert len(list((tmp_path / 'tiny' / 'pretrained').glob('*.pt'))) == 4
    cached = [json.loads(p.read_text())['timings']['pretrain_cached'] for p in results(tmp_path, 'tiny')]
    assert cached.count(False) == 2
    assert json.loads((tmp_path / 'tiny' / 'grid.json').read_text())['name'] == 'tiny'  # its spec, kept by the run
    code, out, err = run_cli('grid', 'tiny', f'--root={tmp_path}')  # resumed by its name
    assert code == 0 and '8 already done, 0 completed' in out, err
    code, out, err = run_cli('report', 'tiny', f'--root={tmp_path}')  # reported by its name
    assert code == 0, err
    df = pd.read_csv(tmp_path / 'tiny' / 'results.csv')
    assert len(df) == 8 and df.run_id.is_unique
    for col in ('dataset_method', 'unlearn_method', 'deletion_fraction', 'seed', 'corrected_acc', 'retain_acc',
                'attack_success_rate', 'manipulated_corrected_acc', 'clean_retain_acc', 'unlearn_seconds', 'overhead_seconds',
                'relearn_corrected_acc', 'clean_reexpose_attack_success_rate', 'probe_unfound_manip', 'kl_to_clean'):
        assert col in df.columns, col
    assert df.relearn_corrected_acc.notna().all() and df.clean_kl_to_clean.gt(0).all()  # the checks ran in the kernels
    pngs = sorted((tmp_path / 'tiny').glob('figure_*.png'))
    assert [p.name for p in pngs] == ['figure_digits_interclasslabelswap_40.png', 'figure_digits_poisoning_40.png']
    assert all(p.stat().st_size > 10_000 for p in pngs)

def test_a_fresh_clone_resumes_from_the_published_table(tmp_path):
    "What is committed (results.csv and the pretrained models) is all a clone needs: nothing runs again."
    spec = write_spec(tmp_path / 'g.json', 'pub', [[{'deletion_fraction': 0.5}], [{'unlearn_method': 'CF'}, {'unlearn_method': 'SSD'}]])
    code, out, err = run_cli('grid', spec, '--workers=1', f'--root={tmp_path}')
    assert code == 0 and '2 completed' in out, err
    code, out, err = run_cli('report', spec, f'--root={tmp_path}')
    assert code == 0 and 'settings chosen on validation data' in out, err
    code, out, err = run_cli('report', spec, f'--root={tmp_path}', '--select=test')
    assert code == 0 and 'settings chosen on test data (optimistic)' in out, err
    clone = tmp_path / 'clone'
    (clone / 'pub').mkdir(parents=True)
    shutil.copy(tmp_path / 'pub' / 'results.csv', clone / 'pub')
    shutil.copytree(tmp_path / 'pub' / 'pretrained', clone / 'pub' / 'pretrained')
    code, out, err = run_cli('grid', spec, f'--root={clone}')
    assert code == 0 and '2 already done, 0 completed' in out, (out, err)
    code, out, err = run_cli('report', spec, f'--root={clone}')
    assert code == 0, err
    assert pd.read_csv(clone / 'pub' / 'results.csv').equals(pd.read_csv(tmp_path / 'pub' / 'results.csv'))
    code, out, err = run_cli('grid', spec, f'--root={clone}', '--rerun-published', '--dry-run')  # as `make demo` does: run it all
    assert code == 0 and out.strip().endswith('2 runs, 0 done'), out

SHRINK = """
import copy
from corrective_unlearning.methods import register_method
@register_method('Shrink')
def shrink(model, split, cfg):
    model = copy.deepcopy(model)
    for p in model.parameters(): p.data.mul_(0.9)
    return model
"""

def test_a_json_grid_reads_its_plugin_beside_it_and_is_found_by_name_later(tmp_path):
    "A relative plugin path is the spec folder's, wherever the command runs; once run, the grid's name finds its spec."
    (tmp_path / 'specs').mkdir()
    (tmp_path / 'specs' / 'shrink.py').write_text(SHRINK)
    write_spec(tmp_path / 'specs' / 'g.json', 'plugged', [[{'unlearn_method': 'CF'}, {'unlearn_method': 'Shrink'}]],
               plugins=['shrink.py'], deletion_fraction=0.5)
    code, out, err = run_cli('grid', 'specs/g.json', '--workers=1', '--root=runs', cwd=tmp_path)
    assert code == 0 and '2 completed, 0 failed' in out, (out, err)
    (tmp_path / 'specs' / 'g.json').unlink()  # the spec file is gone: its copy under the root is what is read now
    code, out, err = run_cli('grid', 'plugged', '--root=runs', '--dry-run', cwd=tmp_path)
    assert code == 0 and out.strip().endswith('2 runs, 2 done'), (out, err)
    code, out, err = run_cli('report', 'plugged', '--root=runs', cwd=tmp_path)
    assert code == 0, err
    assert set(pd.read_csv(tmp_path / 'runs' / 'plugged' / 'results.csv').unlearn_method) == {'CF', 'Shrink'}

def test_failing_run_is_recorded_and_the_rest_complete(tmp_path):
    spec = write_spec(tmp_path / 'g.json', 'failing', [[{'unlearn_method': 'CF', 'k': -1}, {'unlearn_method': 'CF', 'k': 7},
                                                        {'unlearn_method': 'SSD'}]])
    code, out, err = run_cli('grid', spec, '--workers=2', f'--root={tmp_path}')
    assert code == 1
    assert '2 completed, 1 failed' in out and 'k=7 is not valid for this model' in out
    assert len(results(tmp_path, 'failing')) == 2
    errors = list((tmp_path / 'failing').glob('*/error.json'))
    assert len(errors) == 1 and 'k=7 is not valid' in json.loads(errors[0].read_text())['error']
    assert (errors[0].parent / 'run.ipynb').exists()  # the executed notebook is kept

def test_sigkilled_grid_resumes_with_nothing_lost_or_duplicated(tmp_path):
    spec = write_spec(tmp_path / 'g.json', 'killed', [[{'seed': s} for s in range(3)], [{'deletion_fraction': f} for f in (0.25, 0.5, 1.0)],
                      [{'unlearn_method': 'SSD'}]])
    p = subprocess.Popen(CLI + ['grid', spec, '--workers=2', f'--root={tmp_path}'], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while len(results(tmp_path, 'killed')) < 2 and time.time() < deadline: time.sleep(0.2)
    os.killpg(p.pid, signal.SIGKILL)  # the runner, its Dask workers and their kernels, all at once
    p.wait()
    time.sleep(3)  # orphaned kernels notice their parent died and exit within a second
    done_before = len(results(tmp_path, 'killed'))
    assert 2 <= done_before < 9, done_before
    # what a writer killed between its temporary file and the rename leaves (here placed, so that it is always there)
    dead = subprocess.Popen([sys.executable, '-c', 'pass']); dead.wait()
    finished = results(tmp_path, 'killed')[0].parent
    from corrective_unlearning.core import _HOST  # the writer's host, as atomic writes name it
    (finished / f'.runner.json.{_HOST}.{dead.pid}.abc.tmp').write_text('{"wall_')
    code, out, err = run_cli('grid', spec, '--workers=2', f'--root={tmp_path}')
    assert code == 0, err
    assert f'{done_before} already done, {9 - done_before} completed, 0 failed' in out
    ids = [json.loads(p.read_text())['run_id'] for p in results(tmp_path, 'killed')]
    assert len(ids) == 9 and len(set(ids)) == 9
    assert not list((tmp_path / 'killed').rglob('*.tmp'))

def test_two_workers_needing_one_pretrained_model_train_it_once(tmp_path):
    "Two runs with the same pretraining start together; the file lock makes one train and the other load."
    spec = write_spec(tmp_path / 'g.json', 'shared', [[{'unlearn_method': 'CF'}, {'unlearn_method': 'SSD'}]], pretrain_iters=150)
    code, out, err = run_cli('grid', spec, '--workers=2', f'--root={tmp_path}')
    assert code == 0, err
    timings = [json.loads(p.read_text())['timings'] for p in results(tmp_path, 'shared')]
    assert sorted(t['pretrain_cached'] for t in timings) == [False, True]
    assert sorted(t['clean_cached'] for t in timings) == [False, True]
    assert len(list((tmp_path / 'shared' / 'pretrained').glob('*.pt'))) == 2

def test_warm_kernels_give_the_same_results_as_fresh_ones(tmp_path):
    spec = write_spec(tmp_path / 'g.json', 'warm', [[{'unlearn_method': m} for m in ('SCRUB', 'BadT', 'SSD', 'EU')]])
    metrics = {}
    for mode in ('warm', 'fresh'):
        code, out, err = run_cli('grid', spec, '--workers=1', f'--root={tmp_path / mode}', *(['--fresh-kernels'] if mode == 'fresh' else []))
        assert code == 0, err
        metrics[mode] = {json.loads(p.read_text())['run_id']: {k: v for k, v in json.loads(p.read_text())['metrics'].items() if k != 'unlearn_seconds'}
                         for p in results(tmp_path / mode, 'warm')}
    assert len(metrics['warm']) == 4 and metrics['warm'] == metrics['fresh']
    flags = [json.loads(p.read_text())['fresh_kernel'] for p in (tmp_path / 'fresh' / 'warm').glob('*/runner.json')]
    assert flags == [True] * 4

def test_warm_kernel_runs_leave_no_threads_or_files_open(tmp_path):
    # papermill leaves one kernel client per run open on a kernel it does not own: a 1302-run grid stalled on them
    from corrective_unlearning.core import Config
    from corrective_unlearning.experiment import resolve
    from corrective_unlearning.experiment import config_dict
    from corrective_unlearning.runner import WarmKernel, execute_run
    cfg = resolve(Config(pretrain_iters=5, unlearn_iters=5, unlearn_method='Naive', save_dir=str(tmp_path)))
    kernel = WarmKernel()
    def run(i):
        out = tmp_path / f'run{i}'
        assert execute_run(str(out), config_dict(cfg) | dict(out_dir=str(out), plugins=''), kernel=kernel)['status'] == 'done'
        return threading.active_count(), len(os.listdir('/proc/self/fd'))
    try:
        first = run(0)
        assert [run(i) for i in range(1, 4)] == [first] * 3
    finally: kernel.shutdown()

def _kernel_env(threads):
    from corrective_unlearning.runner import kernel_environment
    before = os.environ.get('MALLOC_TRIM_THRESHOLD_')
    env = kernel_environment(threads)
    return before, env.get('MALLOC_TRIM_THRESHOLD_'), env['OMP_NUM_THREADS']

def test_kernels_do_not_inherit_dasks_malloc_setting():
    "Dask workers run with MALLOC_TRIM_THRESHOLD_=65536; kernels started from them must not (it made training 2-3x slower)."
    from dask.distributed import Client, LocalCluster
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        before, after, threads = client.submit(_kernel_env, 1, pure=False).result()
    assert before == '65536'  # what the worker's environment holds: the kernel would have inherited it
    assert after is None and threads == '1'
