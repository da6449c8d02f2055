"""Exercise checks of chapter 06."""
import torch

from .registry import exercise, _close


@exercise("06.1")
def _check_vgg_block_params(fn):
    from ..models import vgg_block

    for args in ((2, 3, 64), (2, 64, 128), (3, 256, 512), (1, 1, 8), (3, 512, 512)):
        want = sum(p.numel() for p in vgg_block(*args).parameters())
        got = int(fn(*args))
        assert got == want, f"vgg_block_params{args} should be {want:,} (weights and biases); got {got:,}"


def _random_confusion(seed: int = 6, n: int = 400, k: int = 5):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, k, (n,), generator=g)
    pred = torch.where(torch.rand(n, generator=g) < 0.6, y, torch.randint(0, k, (n,), generator=g))
    return y.numpy(), pred.numpy()


@exercise("06.2")
def _check_precision_recall(fn):
    from sklearn.metrics import confusion_matrix, precision_score, recall_score

    y, pred = _random_confusion()
    cm = confusion_matrix(y, pred)
    got = fn(cm)
    assert isinstance(got, (tuple, list)) and len(got) == 2, "return a pair (precision, recall), one value per class each"
    precision, recall = (torch.as_tensor(v, dtype=torch.float64).flatten() for v in got)
    want_p = precision_score(y, pred, average=None, zero_division=0)
    want_r = recall_score(y, pred, average=None, zero_division=0)
    assert _close(recall, want_r), (f"recall should be {want_r.round(3).tolist()} (the diagonal over each *row* sum: "
                                    f"rows are the true classes); got {recall.numpy().round(3).tolist()}")
    assert _close(precision, want_p), (f"precision should be {want_p.round(3).tolist()} (the diagonal over each "
                                       f"*column* sum); got {precision.numpy().round(3).tolist()}")


@exercise("06.3")
def _check_auc_by_ranking(fn):
    from sklearn.metrics import roc_auc_score

    g = torch.Generator().manual_seed(7)
    labels = (torch.rand(300, generator=g) < 0.3).long()
    scores = labels * 0.8 + torch.rand(300, generator=g)
    tied = torch.tensor([0.1, 0.4, 0.4, 0.8, 0.4, 0.9])
    for lab, sc in ((labels, scores), (torch.tensor([0, 1, 1, 0, 0, 1]), tied)):
        want = roc_auc_score(lab.numpy(), sc.numpy())
        got = float(fn(lab, sc))
        assert abs(got - want) < 1e-6, (f"the area under the ROC curve is {want:.4f}; got {got:.4f} "
                                        "(count a tie between a positive and a negative as one half)")
