"End-to-end runs of the command line, in real subprocesses."
import json, re
from pathlib import Path
import pytest
from conftest import CLI, MODULE

@pytest.mark.parametrize('cmd', [CLI, MODULE], ids=['console-script', 'python-m'])
def test_run_writes_result(cli, tmp_path, cmd):
    code, out, err = cli('run', f'--save_dir={tmp_path}', '--unlearn_method=EU', '--unlearn_iters=30', cmd=cmd)
    assert code == 0, err
    assert 'EU (k=-1) on digits / smallcnn, poisoning' in out
    path = out.strip().splitlines()[-1].removeprefix('result: ')
    result = json.loads(open(path).read())
    assert result['config']['unlearn_method'] == 'EU' and result['config']['unlearn_iters'] == 30
    assert set(result['metrics']) >= {'corrected_acc', 'retain_acc', 'clean_test_acc', 'attack_success_rate',
                                      'manip_acc', 'deletion_acc', 'unlearn_seconds'}
    assert set(result['reference']) == {'manipulated', 'clean'}
    assert result['versions']['torch']
    assert result['metrics']['unchanged'] is False and 'UNCHANGED' not in err + out

def test_seed_readme_command_line_runs_on_digits(cli, tmp_path):
    "The upstream README's flags, unchanged but for the dataset and model this machine has."
    code, out, err = cli('run', '--dataset=digits', '--num_classes=10', '--model=smallcnn', '--pretrain_iters=100',
                         '--dataset_method=labeltargeted', '--forget_set_size=50', '--deletion_size=25',
                         '--unlearn_method=EU', '--unlearn_iters=100', '--k=-1', f'--save_dir={tmp_path}')
    assert code == 0, err
    assert 'EU (k=-1) on digits / smallcnn, interclasslabelswap: 25 of 50 manipulated samples found' in out

def test_both_spellings_give_the_same_run(cli, tmp_path):
    runs = [cli('run', f'--save_dir={tmp_path}', f'--dataset_method={m}', f'--unlearn_method={u}', '--unlearn_iters=20',
                '--forget_set_size=40')
            for m, u in [('labelrandom', 'Scrub'), ('randomlabelswap', 'SCRUB')]]
    paths = [out.strip().splitlines()[-1] for code, out, err in runs]
    assert all(code == 0 for code, _, _ in runs) and paths[0] == paths[1]

def test_a_run_that_changes_nothing_says_so(cli, tmp_path):
    "REM with nothing found hands back the manipulated model's weights: one warning line, and the result records it."
    code, out, err = cli('run', f'--save_dir={tmp_path}', '--unlearn_method=REM', '--deletion_size=0', '--pretrain_iters=5')
    assert code == 0, err
    assert err == ("corrective-unlearning: warning: UNCHANGED: REM returned the manipulated model's weights as they were, "
                   "so every metric equals the manipulated model's (S_f is empty: there was nothing to unlearn)\n"), err
    result = json.loads(Path(out.strip().splitlines()[-1].removeprefix('result: ')).read_text())
    assert result['metrics']['unchanged'] is True

def test_run_help_names_the_choices_and_says_each_default_once(cli):
    from corrective_unlearning.core import registered
    code, out, err = cli('run', '--help')
    assert code == 0, err
    flags = {b.split()[0]: ' '.join(b.split()) for b in re.split(r'\n  (?=--)', out.split('options every run shares:')[1]) if b.strip()}
    for flag, kind in (('--dataset', 'dataset'), ('--dataset_method', 'manipulation'), ('--model', 'model'),
                       ('--unlearn_method', 'method'), ('--detect', 'detector')):
        assert [n for n in registered(kind) if n not in flags[flag]] == [], flags[flag]
    assert [f for f, text in flags.items() if text.count('default:') != 1] == []
    assert flags['--forget_set_size'].endswith("an integer, 1 or more (default: the dataset's)"), flags['--forget_set_size']
    assert flags['--train_type'].count('example-tied dropout') == 1 and flags['--exp_name'].count('results go to') == 1

def test_grid_help_shows_a_json_spec_that_plans(cli, tmp_path):
    code, out, err = cli('grid', '--help')
    assert code == 0, err
    example = out[out.index('\n{\n') + 1:out.index('\n}\n') + 2]
    (tmp_path / 'my-grid.json').write_text(example)
    (tmp_path / 'my_methods.py').write_text('')  # the plugin it names, beside it
    code, out, err = cli('grid', 'my-grid.json', '--dry-run', '--root=runs', cwd=tmp_path)
    assert code == 0, err
    assert out.strip().splitlines()[-1] == '8 runs, 0 done'
