"""cnnkit: the small helper package of the CNN course.

The chapters import what they need from here::

    import cnnkit
    from cnnkit import fit, loaders, plot_history, summary

Modules, by role: ``env`` (device, seeding, profiles, precision, run card, repository
root), ``data`` (datasets as tensors, loaders, augmentation), ``train`` (fit/evaluate, with
``history`` and ``train_errors`` beside it), ``recipes`` (label smoothing, mixup,
distillation, L1/L2/elastic net, max-norm, DropConnect, early stopping), ``diagnostics``
(what happens inside a network while it trains), ``explain`` (what a trained network looks
at: hooks, saliency, Grad-CAM, occlusion; chapter 11), ``claims`` and ``results`` (lesson
claims judged against measured noise, the results table, prose written by code), ``plot``
(training curves, images, evaluation plots), ``summary`` (tables, parameter counts,
shapes, layer costs), ``models`` (the architectures, by family), ``scratch`` and
``backprop`` (the operations the chapters write by hand), ``draw`` (diagrams and animations
of the operations and models), ``checks`` and ``exercises``
(exercise checks and student/instructor builds), ``book``, ``gpurun`` and ``gpureport`` (chapter tooling,
the whole book in one run). ``CONTRIBUTING.md`` has the full map.
"""
__version__ = "0.1.0"

from .env import Profile, RunCard, get_device, precision, profile, seed_everything
from .data import (Augment, DatasetNotAvailable, ImageData, Loader, channel_stats, class_names, data_root,
                   load, loaders, to_images)
from .train import History, evaluate, fit, load_checkpoint, predict, save_checkpoint
from .claims import spread
from .results import Results, say
from .plot import plot_history, show_feature_maps, show_images, show_kernels
from .summary import check_input, count_params, output_shape, summary
from . import backprop, checks, diagnostics, draw, explain, models, recipes, scratch

__all__ = [
    "Profile", "RunCard", "get_device", "precision", "profile", "seed_everything",
    "Augment", "DatasetNotAvailable", "ImageData", "Loader", "channel_stats", "class_names", "data_root",
    "load", "loaders", "to_images",
    "History", "evaluate", "fit", "load_checkpoint", "predict", "save_checkpoint",
    "spread", "Results", "say",
    "plot_history", "show_feature_maps", "show_images", "show_kernels",
    "check_input", "count_params", "output_shape", "summary",
    "backprop", "checks", "diagnostics", "draw", "explain", "models", "recipes", "scratch",
]
