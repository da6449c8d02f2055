"""Learning-curve figures label epochs with whole numbers only (issue 13: integer epoch ticks)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from cnnkit.plot import plot_history  # noqa: E402
from cnnkit.train import History  # noqa: E402


def _history(epochs):
    h = History("run")
    for e in range(epochs):
        h.append(train_loss=1 - 0.05 * e, train_acc=0.5 + 0.01 * e, test_loss=1.1 - 0.05 * e, test_acc=0.5,
                 lr=1e-3, seconds=1)
    return h


def test_plot_history_epoch_ticks_are_integers():
    for epochs in (2, 3, 7):                     # few epochs: matplotlib would otherwise put ticks at 1.5, 2.5 ...
        fig = plot_history(_history(epochs))
        fig.canvas.draw()
        for ax in fig.axes:
            ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
            assert ticks and all(float(t).is_integer() for t in ticks), (epochs, ticks)
        plt.close(fig)
