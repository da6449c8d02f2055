"""cnnkit: the small helper package of the CNN course.

The chapters import what they need from here::

    import cnnkit
    from cnnkit import fit, loaders, plot_history, summary

Modules: ``env`` (device, seeding, profiles, run card), ``data`` (datasets as
tensors, loaders, augmentation), ``train`` (fit/evaluate/History), ``plot``,
``summary``, ``models``, ``scratch`` (from-scratch ops), ``draw`` (diagrams and
animations of the operations and models), ``checks`` and ``exercises`` (exercise
checks and student/instructor builds), ``explain`` (what a trained network looks at:
hooks, saliency, Grad-CAM, occlusion; chapter 11).
"""
__version__ = "0.1.0"

from .env import Profile, RunCard, get_device, precision, profile, seed_everything
from .data import (Augment, DatasetNotAvailable, ImageData, Loader, channel_stats, class_names, data_root,
                   load, loaders, to_images)
from .train import History, evaluate, fit, load_checkpoint, predict, save_checkpoint
from .plot import plot_history, show_feature_maps, show_images, show_kernels
from .summary import check_input, count_params, output_shape, summary
from . import backprop, checks, draw, explain, models, scratch

__all__ = [
    "Profile", "RunCard", "get_device", "precision", "profile", "seed_everything",
    "Augment", "DatasetNotAvailable", "ImageData", "Loader", "channel_stats", "class_names", "data_root",
    "load", "loaders", "to_images",
    "History", "evaluate", "fit", "load_checkpoint", "predict", "save_checkpoint",
    "plot_history", "show_feature_maps", "show_images", "show_kernels",
    "check_input", "count_params", "output_shape", "summary",
    "backprop", "checks", "draw", "explain", "models", "scratch",
]
