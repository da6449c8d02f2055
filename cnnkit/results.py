"""How a chapter reports what it measured: one results-table layout for every chapter, and
prose paragraphs written by the code that computed their numbers.

>>> from cnnkit.env import Profile
>>> r = Results(Profile("quick"), device="cpu")
>>> r.add("LeNet-5 parameters", lecture="61,706", ours="61,706", reproduced=True)
>>> r.add("LeNet-5 test accuracy", lecture="about 0.89", ours=0.8312, reproduced=False, seconds=41.2)
>>> r.table()  # doctest: +NORMALIZE_WHITESPACE
Results of this run: profile quick, device cpu
                quantity     lecture    ours reproduced? seconds
0     LeNet-5 parameters      61,706  61,706         yes
1  LeNet-5 test accuracy  about 0.89  0.8312          no      41
"""
from __future__ import annotations

from numbers import Real

COLUMNS = ("quantity", "lecture", "ours", "reproduced?", "seconds")
_VERDICTS = {True: "yes", False: "no", None: ""}


def _cell(value, name: str) -> str:
    """One table cell as text: never NaN, never None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number or text, not a bool; got {value!r}")
    if isinstance(value, Real):
        if value != value:  # NaN
            raise ValueError(f"{name} is NaN: pass the measured number, or text saying why it is missing")
        return f"{value:,}" if isinstance(value, int) else f"{value:.4f}"
    if isinstance(value, str):
        return value
    raise TypeError(f"{name} must be a number, text or None; got {type(value).__name__}")


class Results:
    """A chapter's results: each row a quantity, the lecture's figure, ours, whether it was
    reproduced, and the seconds its run took. The profile and device that produced the
    numbers are said once, in the caption, not in every row.

    ``reproduced`` is ``True``/``False`` (shown as yes/no), text such as ``"within noise"``,
    or ``None`` (blank: nothing to reproduce). ``seconds`` is a number, or a ``History`` (its
    ``.seconds``).
    """

    def __init__(self, profile, card=None, *, device=None):
        name = getattr(profile, "name", None)
        if not isinstance(name, str):
            raise TypeError(f"profile must be a cnnkit Profile (cnnkit.profile()); got {type(profile).__name__}")
        if card is not None:
            device = card.device
        self.profile, self.device = name, str(getattr(device, "type", device) or "unknown device")
        self.rows: list[dict] = []

    def add(self, quantity: str, *, lecture="", ours, reproduced=None, seconds=None) -> None:
        """Add one row (see the class docstring)."""
        if not isinstance(quantity, str) or not quantity.strip():
            raise TypeError(f"quantity must be a non-empty str naming what was measured; got {quantity!r}")
        if not (reproduced is None or isinstance(reproduced, (bool, str))):
            raise TypeError(f"reproduced must be True, False, None or a short text; got {reproduced!r}")
        if seconds is not None and not isinstance(seconds, Real):
            seconds = getattr(seconds, "seconds", seconds)
        if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, Real)):
            raise TypeError(f"seconds must be a number or a History; got {type(seconds).__name__}")
        self.rows.append({
            "quantity": quantity,
            "lecture": _cell(lecture, "lecture"),
            "ours": _cell(ours, "ours"),
            "reproduced?": _VERDICTS.get(reproduced, reproduced) if not isinstance(reproduced, str) else reproduced,
            "seconds": "" if seconds is None else f"{seconds:.0f}",
        })

    def caption(self) -> str:
        return f"Results of this run: profile {self.profile}, device {self.device}"

    def table(self):
        """Print the caption and return the table (a pandas DataFrame) to display."""
        import pandas as pd

        if not self.rows:
            raise ValueError("no results yet: call add(...) for each quantity first")
        print(self.caption())
        return pd.DataFrame(self.rows, columns=list(COLUMNS))


def say(text: str) -> None:
    """Display a paragraph of Markdown written by code, so that the numbers a chapter's prose
    quotes are the numbers its run computed. Renders as Markdown in Jupyter, Colab and the book;
    elsewhere it is printed.

    >>> say("The CNN reaches **83.1%**.")  # doctest: +SKIP
    """
    if not isinstance(text, str) or not text.strip():
        raise TypeError(f"text must be a non-empty Markdown str; got {text!r}")
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:  # pragma: no cover - IPython is a dependency of every notebook
        print(text)
        return
    if get_ipython() is None:
        print(text)
    else:
        display(Markdown(text))
