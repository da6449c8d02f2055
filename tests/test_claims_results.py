"""Claims enforced from a profile up, differences judged against measured noise, one results
layout, prose written by code."""
import math

import pandas as pd
import pytest
import torch

import cnnkit
from cnnkit.claims import check_beats, check_claim, spread
from cnnkit.env import Profile
from cnnkit.gpureport import claims as read_claims
from cnnkit.results import Results, say


def test_claim_enforced_from_its_profile_up(capsys):
    assert Profile("medium").claim("m", True, at="medium") is True
    assert capsys.readouterr().out == "claim checked: m\n"
    with pytest.raises(AssertionError, match="medium profile: m"):
        Profile("medium").claim("m", False, at="medium")
    with pytest.raises(AssertionError):
        Profile("full").claim("m", False, at="medium")
    # below its profile: reported with the reason, not enforced
    assert Profile("quick").claim("m", False, at="medium", why="needs 10 epochs") is False
    out = capsys.readouterr().out
    assert "not reproduced at the quick budget (enforced from the medium profile up): m" in out
    assert "why: needs 10 epochs" in out
    # full_only keeps its meaning
    assert Profile("medium").claim("f", False, full_only=True) is False
    assert "enforced only in the full profile" in capsys.readouterr().out


def test_claim_arguments():
    with pytest.raises(ValueError, match="at must be one of"):
        Profile("quick").claim("x", True, at="big")
    with pytest.raises(TypeError, match="why must be"):
        Profile("quick").claim("x", True, why=3)


def test_beats_needs_more_than_the_noise(capsys):
    assert check_beats("medium", "a > b", 0.60, 0.50, noise=0.05, at="medium") is True
    assert capsys.readouterr().out.startswith("claim checked: a > b (60.0% vs 50.0%: +10.0 points; noise ±5.0)")
    # within noise: never printed as checked; enforced -> fails
    with pytest.raises(AssertionError, match="does not hold in the medium profile"):
        check_beats("medium", "a > b", 0.52, 0.50, noise=0.05, at="medium")
    assert check_beats("quick", "a > b", 0.52, 0.50, noise=0.05, at="medium", why="small subset") is False
    out = capsys.readouterr().out
    assert "within noise" in out and "checked:" not in out and "why: small subset" in out
    # clearly worse, not enforced: reported as not reproduced
    check_beats("quick", "a > b", 0.30, 0.50, noise=0.05, at="full")
    assert "not reproduced" in capsys.readouterr().out
    # non-accuracy numbers are not shown as percentages
    check_beats("quick", "x", 12.0, 3.0, noise=1.0)
    assert "12 vs 3: +9.0; noise ±1.0" in capsys.readouterr().out
    assert check_beats("quick", "t", torch.tensor(0.9), 0.1, noise=0.0)


def test_beats_arguments():
    with pytest.raises(ValueError, match="noise must be >= 0"):
        check_beats("quick", "x", 1.0, 0.0, noise=-1)
    with pytest.raises(TypeError, match="ours must be a finite number"):
        check_beats("quick", "x", float("nan"), 0.0, noise=0.1)
    with pytest.raises(TypeError, match="noise must be a finite number"):
        check_beats("quick", "x", 1.0, 0.0, noise=None)


def test_spread():
    s = spread([0.5, 0.6, 0.7])
    assert math.isclose(s.mean, 0.6) and math.isclose(s.std, 0.1)
    assert math.isclose(s.noise, 2 * math.sqrt(2) * 0.1)
    assert "3 seeds" in str(s)
    with pytest.raises(ValueError, match="at least 2"):
        spread([0.5])
    with pytest.raises(TypeError, match="list of numbers"):
        spread(0.5)
    assert cnnkit.spread is spread


def test_spread_binomial_floor():
    # three nets stuck at chance agree exactly: without n the band is 0 and any difference "beats" it
    agree = [0.1, 0.1, 0.1]
    assert spread(agree).noise < 1e-12
    s = spread(agree, n=250)
    assert math.isclose(s.floor, math.sqrt(0.1 * 0.9 / 250))
    assert math.isclose(s.noise, 2 * math.sqrt(2) * s.floor)
    assert "binomial error of one accuracy on 250 images" in str(s)
    # 10.4% vs 10.0% on 250 images (one image) is within that band
    assert not check_beats("quick", "x", 0.104, 0.100, noise=s.noise, at="medium")
    # a measured spread larger than the floor is used as it is, and the printout does not change
    wide = spread([0.40, 0.45, 0.50], n=10_000)
    assert wide.std > wide.floor and math.isclose(wide.noise, 2 * math.sqrt(2) * wide.std)
    assert str(wide) == str(spread([0.40, 0.45, 0.50]))
    # the floor shrinks with more images
    assert spread(agree, n=10_000).noise < s.noise
    for bad in (0, -5):
        with pytest.raises(ValueError, match="must be > 0"):
            spread(agree, n=bad)
    for bad in (2.5, True, "250"):
        with pytest.raises(TypeError, match="must be an int"):
            spread(agree, n=bad)
    with pytest.raises(ValueError, match="accuracies"):
        spread([30.0, 31.0], n=100)


def test_verdicts_read_back_by_the_report(capsys):
    import nbformat
    check_beats("quick", "close", 0.51, 0.50, noise=0.05, at="medium")
    check_claim("quick", "late", False, at="medium", why="w")
    check_claim("quick", "ok", True)
    out = capsys.readouterr().out
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=out)]
    verdicts = [c["verdict"] for c in read_claims(nbformat.v4.new_notebook(cells=[cell]))]
    assert verdicts == ["within noise", "not reproduced", "checked"]


def test_results_one_layout_no_nan(capsys):
    class H:
        seconds = 12.4
    r = Results(Profile("medium"), device=torch.device("cpu"))
    r.add("acc", lecture="0.9", ours=0.81234, reproduced="within noise", seconds=H())
    r.add("params", ours=61706, reproduced=True)
    df = r.table()
    assert capsys.readouterr().out == "Results of this run: profile medium, device cpu\n"
    assert list(df.columns) == ["quantity", "lecture", "ours", "reproduced?", "seconds"]
    assert not df.isna().any().any()
    assert df.loc[0, "ours"] == "0.8123" and df.loc[0, "seconds"] == "12" and df.loc[1, "ours"] == "61,706"
    assert df.loc[1, "reproduced?"] == "yes"
    with pytest.raises(ValueError, match="NaN"):
        r.add("bad", ours=float("nan"))
    with pytest.raises(TypeError, match="profile must be"):
        Results("quick")
    with pytest.raises(ValueError, match="no results yet"):
        Results(Profile("quick")).table()
    with pytest.raises(TypeError, match="seconds must be"):
        r.add("x", ours=1, seconds="long")


def test_say_prints_outside_ipython(capsys):
    say("The CNN reaches **83.1%**.")
    assert capsys.readouterr().out == "The CNN reaches **83.1%**.\n"
    with pytest.raises(TypeError, match="Markdown"):
        say("")
