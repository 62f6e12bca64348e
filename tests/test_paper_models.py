"The paper's architectures with the last-k machinery, make_model and the experiment."
import pytest
import torch
import torch.nn.functional as F
from corrective_unlearning import paper_models
from corrective_unlearning.core import Config, CUError
from corrective_unlearning.experiment import run_experiment
from corrective_unlearning.models import make_model, valid_ks, freeze_front, front_eval

TINY = {'resnet20': dict(width=0.25), 'resnetwide28x10': dict(width=0.05),
        'vitb16': dict(width=1 / 12, weights='none')}

@pytest.mark.parametrize('name', TINY)
def test_every_k_trains_only_its_blocks(name):
    "For k from the head alone to the whole model, one SGD step changes only the parameters of the last k layers."
    torch.manual_seed(0)
    model = make_model(name, 4, 3, 16, **TINY[name])
    x, y = torch.randn(4, 3, 16, 16), torch.tensor([0, 1, 2, 3])
    ks = valid_ks(model)
    for k in ks[:2] + ks[-2:]:  # the head, the head and the last block, all but the first block, everything
        before = [p.detach().clone() for p in model.parameters()]
        params = freeze_front(model, k)
        front_eval(model.train(), k)
        opt = torch.optim.SGD(params, lr=0.1)
        F.cross_entropy(model(x), y).backward(); opt.step(); opt.zero_grad(set_to_none=True)
        changed = [not torch.equal(a, b) for a, b in zip(before, model.parameters())]
        n_trained = sum(p.numel() for p in params)
        assert sum(p.numel() for p, c in zip(model.parameters(), changed) if c) <= n_trained
        assert changed[-1] and (k != -1 or changed[0]), (name, k)
        for p in model.parameters(): p.requires_grad_(True)

def test_pretrained_weights_are_found_or_explained(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    with pytest.raises(CUError, match=r"vitb16's ImageNet weights are not in .*--weights=none to train from scratch$"):
        make_model('vitb16', 10, 3, 224, width=1 / 12)  # the builder's default, as vitb16's declared option: 'auto'
    from corrective_unlearning.core import get
    assert [o.name for o in get('model', 'vitb16').options] == ['weights']
    assert get('model', 'resnet20').options == ()  # only vitb16 can start from pretrained weights

def test_experiment_with_a_paper_model(tmp_path):
    "ResNet-20 on digits, EU on its last 3 layers, end to end."
    res = run_experiment(Config(model='resnet20', unlearn_method='EU', k=3, pretrain_iters=6, unlearn_iters=3,
                                batch_size=16, save_dir=str(tmp_path)))
    assert res['config']['model'] == 'resnet20' and 0 <= res['metrics']['clean_test_acc'] <= 1
    with pytest.raises(CUError, match='k=2 is not valid for this model; choose one of: 1, 3, 5'):
        run_experiment(Config(model='resnet20', unlearn_method='EU', k=2, save_dir=str(tmp_path)))
