"Every bad input ends with exit status 2 and one line on stderr saying what was wrong; no traceback."
import pytest

CASES = {
    'unknown dataset': (['--dataset=ImageNet'], "unknown dataset 'ImageNet'; choose one of: "),
    'unknown model': (['--model=vgg16'], "unknown model 'vgg16'; choose one of: "),
    'unknown method': (['--unlearn_method=Retrain'], "unknown unlearning method (unlearn_method) 'Retrain'; choose one of: Ascent, BadT, CF, EU, LFSSD, Naive, NegGrad+, NPO, Potion, REM, RL, SalUn, SCRUB, SSD"),
    'unknown manipulation': (['--dataset_method=backdoor'], "unknown manipulation (dataset_method) 'backdoor'; choose one of: interclasslabelswap, poisoning, randomlabelswap"),
    'deletion larger than S_m': (['--forget_set_size=20', '--deletion_size=30'], 'deletion_size=30 is larger than forget_set_size=20'),
    'S_m larger than the training set': (['--forget_set_size=5000'], 'forget_set_size=5000 must be between 1 and the training set size 1237'),
    'odd size for interclass confusion': (['--dataset_method=interclasslabelswap', '--forget_set_size=51'], 'forget_set_size=51 must be even'),
    'too large for the confused classes': (['--dataset_method=labeltargeted', '--forget_set_size=400'], 'too large for interclass confusion on digits: classes 5 and 9 have'),
    'k invalid for the model': (['--k=7'], 'k=7 is not valid for this model; choose one of: 1, 2, 3, -1'),
    'num_classes inconsistent': (['--num_classes=100'], 'num_classes=100 does not match dataset digits, which has 10 classes'),
    'malformed number': (['--forget_set_size=ten'], "argument --forget_set_size: invalid int value: 'ten'"),
    'unknown flag': (['--epochs=3'], 'unrecognized arguments: --epochs=3'),
    'batch larger than the training set': (['--batch_size=5000'], 'batch_size=5000 is larger than the 1237 training samples of digits; choose at most 1237'),
    'unknown detector': (['--detect=activation'], "unknown detector (detect) 'activation'; choose one of: confident, none, probe, spectral"),
    'detector unfit for the manipulation': (['--detect=confident'], 'detector confident is meant for interclasslabelswap and randomlabelswap, not poisoning; for poisoning choose one of: none, probe, spectral'),
    'detector option out of range': (['--detect=probe', '--detect_quantile=1.5'], 'detect_quantile=1.5 is not allowed; detect_quantile must be a number from 0 to 1'),
    'detector option of another kind': (['--detect=spectral', '--detect_rule=best'], 'detect_rule=best is not allowed; detect_rule must be found or library'),
    'unknown pretraining': (['--train_type=ETD50'], 'train_type=ETD50 is not allowed; train_type must be baseline, or ETDfix<F>mem<M>drop1'),
}

@pytest.mark.parametrize('name', CASES)
def test_bad_input(cli, tmp_path, name):
    args, message = CASES[name]
    code, out, err = cli('run', f'--save_dir={tmp_path}', '--pretrain_iters=5', *args)
    assert code == 2, (code, err)
    assert err.count('\n') == 1 and 'Traceback' not in err, err
    assert message in err, err
    assert not (tmp_path / 'pretrained').exists()  # rejected before any training

# Values no meaningful run can have: refused before anything is loaded, trained or written.
# These call the command line's entry point in-process (the same code a console script runs), which is fast.
OUT_OF_RANGE = {
    'negative seed': ('--seed=-1', 'seed=-1 is not allowed; seed must be an integer from 0 to 4294967295'),
    'seed too large': ('--seed=4294967296', 'seed=4294967296 is not allowed'),
    'unlearn_lr nan': ('--unlearn_lr=nan', 'unlearn_lr=nan is not allowed; unlearn_lr must be a finite number greater than 0'),
    'unlearn_lr inf': ('--unlearn_lr=inf', 'unlearn_lr=inf is not allowed'),
    'unlearn_lr zero': ('--unlearn_lr=0', 'unlearn_lr=0.0 is not allowed'),
    'unlearn_lr negative': ('--unlearn_lr=-0.1', 'unlearn_lr=-0.1 is not allowed'),
    'pretrain_lr nan': ('--pretrain_lr=nan', 'pretrain_lr=nan is not allowed; pretrain_lr must be a finite number greater than 0'),
    'pretrain_lr inf': ('--pretrain_lr=-inf', 'pretrain_lr=-inf is not allowed'),
    'pretrain_lr zero': ('--pretrain_lr=0', 'pretrain_lr=0.0 is not allowed'),
    'wd negative': ('--wd=-0.0005', 'wd=-0.0005 is not allowed; wd must be a finite number, 0 or more'),
    'wd nan': ('--wd=nan', 'wd=nan is not allowed'),
    'kd_T zero': ('--kd_T=0', 'kd_T=0.0 is not allowed; kd_T must be a finite number greater than 0'),
    'kd_T negative': ('--kd_T=-4', 'kd_T=-4.0 is not allowed'),
    'alpha negative': ('--alpha=-1', 'alpha=-1.0 is not allowed; alpha must be a finite number, 0 or more'),
    'alpha nan': ('--alpha=nan', 'alpha=nan is not allowed'),
    'SSDdampening negative': ('--SSDdampening=-1', 'SSDdampening=-1.0 is not allowed'),
    'SSDdampening nan': ('--SSDdampening=nan', 'SSDdampening=nan is not allowed'),
    'SSDselectwt negative': ('--SSDselectwt=-10', 'SSDselectwt=-10.0 is not allowed'),
    'SSDselectwt nan': ('--SSDselectwt=nan', 'SSDselectwt=nan is not allowed'),
    'msteps negative': ('--msteps=-1', 'msteps=-1 is not allowed; msteps must be an integer, 0 or more'),
    'exp_name with a slash': ('--exp_name=a/b', 'exp_name=a/b is not allowed; exp_name must be one folder name, without /'),
    'exp_name empty': ('--exp_name=', 'exp_name= is not allowed'),
    'threads zero': ('--threads=0', 'threads=0 is not allowed; threads must be an integer, 1 or more'),
    'random swap of one sample': ('--dataset_method=labelrandom --forget_set_size=1', 'forget_set_size=1 is too small for random label swaps'),
    'relearning steps negative': ('--relearn_iters=-5', 'relearn_iters=-5 is not allowed; relearn_iters must be an integer from 1 to 100000'),
    'relearning steps absurd': ('--relearn_iters=10000000', 'relearn_iters=10000000 is not allowed'),
    'exposure zero': ('--relearn_exposure=0', 'relearn_exposure=0 is not allowed; relearn_exposure must be an integer from 1 to 100000'),
    'exposure beyond S_m': ('--relearn_exposure=500', 'relearn_exposure=500 is more than the forget_set_size=100 manipulated samples; choose at most 100'),
    'probe without samples': ('--probe_retained=0', 'probe_retained=0 is not allowed'),
    'unknown check': ('--checks=relearn,probes', "unknown durability check (checks) 'probes' (did you mean probe?); choose one of: distance, probe, reexpose, relearn"),
}

def run_main(*argv):
    "The command line's entry point in this process: (exit status, stderr)."
    import contextlib, io
    from corrective_unlearning.cli import main
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try: main([str(a) for a in argv]); code = 0
        except SystemExit as e: code = e.code
    return code, err.getvalue()

def assert_refused(code, err, message):
    assert code == 2, (code, err)
    assert err.count('\n') == 1 and 'Traceback' not in err, err
    assert err.startswith('corrective-unlearning') and ': error: ' in err and message in err, err

@pytest.mark.parametrize('name', OUT_OF_RANGE)
def test_out_of_range_value(tmp_path, name):
    args, message = OUT_OF_RANGE[name]
    assert_refused(*run_main('run', f'--save_dir={tmp_path}', '--pretrain_iters=5', *args.split()), message)
    assert list(tmp_path.iterdir()) == []  # nothing written

def test_save_dir_is_a_file(tmp_path):
    (tmp_path / 'f').write_text('')
    assert_refused(*run_main('run', f'--save_dir={tmp_path}/f/logs', '--pretrain_iters=5'), f'{tmp_path}/f is a file, not a directory')
    assert [p.name for p in tmp_path.iterdir()] == ['f']

def test_save_dir_not_writable(tmp_path):
    "A directory without write permission (for root, who may write anywhere else, a pseudo-filesystem)."
    import os
    target = tmp_path / 'ro'
    if os.geteuid() == 0: target = '/proc/cu-results'
    else: target.mkdir(mode=0o500)
    assert_refused(*run_main('run', f'--save_dir={target}', '--pretrain_iters=5'), 'cannot write in')
    assert not os.path.exists(f'{target}/pretrained')

def test_grid_workers_zero(cli):
    code, out, err = cli('grid', 'demo', '--workers=0', '--dry-run')
    assert_refused(code, err, 'argument --workers: 0 is not allowed: give at least 1')

def test_report_without_results(tmp_path):
    assert_refused(*run_main('report', 'demo', f'--root={tmp_path}'), f'grid demo has no complete runs under {tmp_path}/demo')
    assert list(tmp_path.iterdir()) == []

def test_grid_spec_with_an_invalid_value_names_the_run(tmp_path):
    import json
    spec = tmp_path / 'mine.json'
    spec.write_text(json.dumps(dict(name='mine', base=dict(pretrain_iters=5),
                                    axes=[[dict(unlearn_method='EU'), dict(unlearn_method='Unlearn', k=1)], [dict(seed=0)]])))
    code, err = run_main('grid', str(spec), f'--root={tmp_path}', '--workers=1')
    assert_refused(code, err, 'grid mine, run {"pretrain_iters": 5, "unlearn_method": "Unlearn", "k": 1, "seed": 0}: unknown unlearning method')
    assert [p.name for p in tmp_path.iterdir()] == ['mine.json']

# What a user hands the package at its boundaries: plugin files, grid specs, results tables, data, scheduler addresses.
PLUGINS = {
    'syntax error': ('def mine(:\n', 'failed to load: SyntaxError at line 1'),
    'raises on import': ('x = 1\nraise RuntimeError("no GPU here")\n', 'failed to load: RuntimeError at line 2: no GPU here'),
    'imports what is not installed': ('import no_such_package_xyz\n', "failed to load: ModuleNotFoundError at line 1: No module named 'no_such_package_xyz'"),
    'clashes with a core option': ('from corrective_unlearning.core import Option\nfrom corrective_unlearning.methods import register_method\n'
                                   "@register_method('Mine', [Option('seed', int, 1, 'x')])\ndef mine(model, split, cfg): return model\n",
                                   'method Mine declares option seed, a core option; choose another name'),
}

@pytest.mark.parametrize('name', PLUGINS)
def test_bad_plugin_file(tmp_path, name):
    source, message = PLUGINS[name]
    (tmp_path / 'mine.py').write_text(source)
    assert_refused(*run_main('run', f'--plugins={tmp_path}/mine.py', f'--save_dir={tmp_path}', '--pretrain_iters=5'), message)
    assert_refused(*run_main('list', f'--plugins={tmp_path}/mine.py'), message)

GRID_SPECS = {
    'not JSON': ('{"name": "g", ', 'is not valid JSON'),
    'not text': (b'\xff\xfe\x00\x81', 'is not text; give a JSON file'),
    'a list': ('[1, 2]', 'lacks axes, base, name'),
    'name with a slash': ('{"name": "../g", "base": {}, "axes": [[{"seed": 0}]]}', 'name must be one folder name'),
    'plugins not a list': ('{"name": "g", "base": {}, "axes": [[{"seed": 0}]], "plugins": 3}', 'plugins must be a list of file paths'),
    'an option of the wrong type': ('{"name": "g", "base": {"seed": "zero"}, "axes": [[{"unlearn_method": "EU"}]]}', 'grid g, run {"seed": "zero", "unlearn_method": "EU"}: seed=zero is not allowed'),
    'a fraction that is text': ('{"name": "g", "base": {}, "axes": [[{"deletion_fraction": "half"}]]}', 'grid g, run {"deletion_fraction": "half"}: an option has a value of the wrong type'),
}

@pytest.mark.parametrize('name', GRID_SPECS)
def test_bad_grid_spec(tmp_path, name):
    text, message = GRID_SPECS[name]
    spec = tmp_path / 'g.json'
    spec.write_bytes(text if isinstance(text, bytes) else text.encode())
    assert_refused(*run_main('grid', str(spec), f'--root={tmp_path}', '--dry-run'), message)

TABLES = {
    'not a table': (b'\x00\x01\x02garbage', 'has no run_id column, so it is not a grid\'s results table'),
    'empty': (b'', 'is not a results table pandas can read'),
    'no run ids': (b'a,b\n1,2\n', 'has no run_id column'),
    'an old row with a bad value': (b'run_id,schema_version,dataset,seed\nabc,1,digits,-3\n', 'row 2: cannot be read as a run (seed=-3 is not allowed'),
}

@pytest.mark.parametrize('name', TABLES)
def test_bad_published_table(tmp_path, name):
    data, message = TABLES[name]
    (tmp_path / 'demo').mkdir(); (tmp_path / 'demo' / 'results.csv').write_bytes(data)
    for command in ('grid', 'report'):
        args = ['--dry-run'] if command == 'grid' else []
        assert_refused(*run_main(command, 'demo', f'--root={tmp_path}', *args), message)

def test_unreadable_dataset_files(tmp_path):
    "A CIFAR-10 folder whose batch files are there but truncated: one line naming the dataset and the folder."
    folder = tmp_path / 'cifar-10-batches-py'; folder.mkdir()
    for name in [f'data_batch_{i}' for i in range(1, 6)] + ['test_batch']: (folder / name).write_bytes(b'\x80\x04\x95')
    assert_refused(*run_main('run', '--dataset=CIFAR10', f'--data_dir={tmp_path}', f'--save_dir={tmp_path}/logs',
                             '--pretrain_iters=5'), f'dataset CIFAR10: the files under {tmp_path} cannot be read')

def test_scheduler_that_does_not_answer(tmp_path):
    import time
    start = time.perf_counter()
    assert_refused(*run_main('grid', 'demo', f'--root={tmp_path}', '--scheduler=tcp://127.0.0.1:9', '--scheduler-timeout=2'),
                   'no Dask scheduler answered at tcp://127.0.0.1:9 within 2 s')
    assert time.perf_counter() - start < 60
    assert_refused(*run_main('grid', 'demo', f'--root={tmp_path}', '--scheduler=not an address', '--scheduler-timeout=2'),
                   'no Dask scheduler answered at not an address')

def test_a_check_that_cannot_apply_says_so_and_fills_nothing(cli, tmp_path):
    "Nothing found: re-exposure and the probe have nothing to work with; the run says so in one line each, no made-up number."
    import json
    code, out, err = cli('run', f'--save_dir={tmp_path}', '--pretrain_iters=5', '--deletion_size=0', '--unlearn_method=Naive',
                         '--checks=reexpose,probe,distance')
    assert code == 0, err
    assert 'check reexpose skipped: S_f is empty: there is nothing to re-expose' in out.splitlines(), out
    assert 'check probe skipped: S_f is empty: there is no found sample to fit a head on' in out.splitlines(), out
    result = json.loads(next(tmp_path.glob('unlearn/*/result.json')).read_text())
    assert not any(k.startswith(('reexpose_', 'probe_')) for r in (result['metrics'], *result['reference'].values()) for k in r)
    assert result['metrics']['agreement_with_clean'] is not None  # the check that applies ran
