"Every bad input ends with exit status 2 and one line on stderr saying what was wrong; no traceback."
import pytest

CASES = {
    'unknown dataset': (['--dataset=ImageNet'], "unknown dataset 'ImageNet'; choose one of: "),
    'unknown model': (['--model=vgg16'], "unknown model 'vgg16'; choose one of: "),
    'unknown method': (['--unlearn_method=Retrain'], "unknown unlearning method (unlearn_method) 'Retrain'; choose one of: BadT, CF, EU, Naive, SCRUB, SSD"),
    'unknown manipulation': (['--dataset_method=backdoor'], "unknown manipulation (dataset_method) 'backdoor'; choose one of: interclasslabelswap, poisoning, randomlabelswap"),
    'deletion larger than S_m': (['--forget_set_size=20', '--deletion_size=30'], 'deletion_size=30 is larger than forget_set_size=20'),
    'S_m larger than the training set': (['--forget_set_size=5000'], 'forget_set_size=5000 must be between 1 and the training set size 1437'),
    'odd size for interclass confusion': (['--dataset_method=interclasslabelswap', '--forget_set_size=51'], 'forget_set_size=51 must be even'),
    'too large for the confused classes': (['--dataset_method=labeltargeted', '--forget_set_size=400'], 'too large for interclass confusion on digits: classes 5 and 9 have'),
    'k invalid for the model': (['--k=7'], 'k=7 is not valid for this model; choose one of: 1, 2, 3, -1'),
    'num_classes inconsistent': (['--num_classes=100'], 'num_classes=100 does not match dataset digits, which has 10 classes'),
    'malformed number': (['--forget_set_size=ten'], "argument --forget_set_size: invalid int value: 'ten'"),
    'unknown flag': (['--epochs=3'], 'unrecognized arguments: --epochs=3'),
}

@pytest.mark.parametrize('name', CASES)
def test_bad_input(cli, tmp_path, name):
    args, message = CASES[name]
    code, out, err = cli('run', f'--save_dir={tmp_path}', '--pretrain_iters=5', *args)
    assert code == 2, (code, err)
    assert err.count('\n') == 1 and 'Traceback' not in err, err
    assert message in err, err
    assert not (tmp_path / 'pretrained').exists()  # rejected before any training
