"End-to-end runs of the command line, in real subprocesses."
import json
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
