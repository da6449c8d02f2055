"""Figures the chapters draw, by role:

* :mod:`~cnnkit.plot.curves`: training curves (``plot_history``, ``plot_curves_grid``,
  ``plot_ladder``, ``plot_grad_norms``);
* :mod:`~cnnkit.plot.images`: data and what a network learned (``show_images``,
  ``show_kernels``, ``show_feature_maps``);
* :mod:`~cnnkit.plot.evaluation`: judging a trained classifier (``plot_confusion``,
  ``plot_roc``, ``most_confident_mistakes``, ``show_score_maps``).

Every function is importable from here (``from cnnkit.plot import plot_roc``) and returns
the matplotlib ``Figure`` (``most_confident_mistakes`` returns indices); end the notebook
line with ``;`` so the figure shows once and no ``<Figure ...>`` text is stored.

>>> plot_history({"MLP": h1, "CNN": h2});   # doctest: +SKIP
"""
from .curves import plot_curves_grid, plot_grad_norms, plot_history, plot_ladder
from .evaluation import most_confident_mistakes, plot_confusion, plot_roc, show_score_maps
from .images import show_feature_maps, show_images, show_kernels

__all__ = ["plot_curves_grid", "plot_grad_norms", "plot_history", "plot_ladder",
           "most_confident_mistakes", "plot_confusion", "plot_roc", "show_score_maps",
           "show_feature_maps", "show_images", "show_kernels"]
