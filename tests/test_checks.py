"""cnnkit.checks: the registry, the three verdicts, and a clear error for every kind of bad input."""
import ast
from pathlib import Path

import pytest

from cnnkit import checks
from cnnkit.checks import registry

PACKAGE = Path(checks.__file__).parent


@pytest.fixture
def double():
    """A throw-away check 99.1: the answer doubles its argument."""
    @checks.exercise("99.1")
    def _check_double(fn):
        assert fn(2) == 4, f"answer(2) should be 4, got {fn(2)}"
    yield _check_double
    checks._CHECKS.pop("99.1")
    checks._TAKES.pop("99.1")


def test_every_chapter_module_registers_its_checks():
    modules = sorted(p.stem for p in PACKAGE.glob("ch[0-9][0-9].py"))
    assert modules == [f"ch{n:02d}" for n in range(1, 12)]
    for name in modules:
        chapter = name[2:]
        ids = checks.registered(chapter)
        assert ids, f"{name} registers no check"
        assert all(checks._CHECKS[i].__module__ == f"cnnkit.checks.{name}" for i in ids), \
            f"a check of chapter {chapter} is registered outside {name}.py"
    assert checks.registered(3) == checks.registered("03") == ["03.1", "03.2", "03.3"]
    assert len(checks.registered()) == sum(len(checks.registered(n)) for n in range(1, 12))


def test_no_check_function_is_defined_twice():
    """Chapter 05 and chapter 10 each had a `_check_separable_cost`; every name is now unique."""
    names = [node.name for path in sorted(PACKAGE.glob("*.py"))
             for node in ast.parse(path.read_text()).body if isinstance(node, ast.FunctionDef)]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})
    assert checks._CHECKS["05.3"].__name__ != checks._CHECKS["10.2"].__name__
    assert all(len(path.read_text().splitlines()) <= 400 for path in PACKAGE.glob("*.py"))


def test_right_answer_prints_a_tick(double, capsys):
    assert checks.check("99.1", lambda v: v * 2) is None
    assert capsys.readouterr().out == "✓ Exercise 99.1: correct.\n"


def test_wrong_answer_raises_with_the_checks_message(double):
    with pytest.raises(checks.ExerciseFailed, match=r"Exercise 99.1: not yet right. answer\(2\) should be 4, got 3"):
        checks.check("99.1", lambda v: v + 1)


def test_stub_prints_not_done_and_returns(double, capsys):
    def stub(v):
        raise NotImplementedError("Exercise 99.1: double it")
    assert checks.check("99.1", stub) is None
    assert capsys.readouterr().out == "○ Exercise 99.1: not done yet. Hint: double it\n"

    def nbgrader_stub(v):
        raise NotImplementedError()
    checks.check("99.1", nbgrader_stub)
    assert "not done yet. Hint: replace the stub with your answer" in capsys.readouterr().out
    with pytest.raises(checks.ExerciseNotDone, match="Exercise 99.1 is not done yet: double it"):
        checks.check("99.1", stub, strict=True)
    assert issubclass(checks.ExerciseNotDone, AssertionError) and issubclass(checks.ExerciseFailed, AssertionError)


def test_a_libraries_not_implemented_error_is_not_mistaken_for_the_stub(double, capsys):
    import torch
    with pytest.raises(NotImplementedError, match="missing the required \"forward\" function"):
        checks.check("99.1", lambda v: torch.nn.Module()(v))   # raised inside torch, not by a stub
    assert "not done" not in capsys.readouterr().out


def test_errors_inside_the_learners_code_keep_their_traceback(double):
    with pytest.raises(ZeroDivisionError):
        checks.check("99.1", lambda v: v / 0)


def test_an_answer_of_the_wrong_kind_is_a_failure_not_a_crash_inside_the_check(capsys):
    with pytest.raises(checks.ExerciseFailed, match="could not use what the answer returned"):
        checks.check("03.1", lambda c, h, w, k, s: 5)          # tuple(5) inside the check
    with pytest.raises(checks.ExerciseFailed, match="four numbers"):
        checks.check("05.3", lambda *a: 5)


def test_unknown_exercise_lists_the_chapters_ids():
    with pytest.raises(ValueError, match=r"exercise 03\.9 has no check; chapter 03's checked exercises are 03\.1, 03\.2, 03\.3"):
        checks.check("03.9", print)
    with pytest.raises(ValueError, match="open-ended"):
        checks.check("01.4", print)
    with pytest.raises(ValueError, match=r"chapter 42 has no checked exercises; chapters with checks: 01, 02, .*10"):
        checks.check("42.1", print)


@pytest.mark.parametrize("ex_id,error,message", [
    (3.1, TypeError, "ex_id must be a string like '03.1'.*got float 3.1"),
    (None, TypeError, "ex_id must be a string.*got NoneType"),
    ("3.1", ValueError, "two-digit chapter.*did you mean '03.1'"),
    ("03-1", ValueError, "must look like 'NN.k'"),
    ("", ValueError, "must look like 'NN.k'"),
])
def test_malformed_exercise_id(ex_id, error, message):
    with pytest.raises(error, match=message):
        checks.check(ex_id, print)


def test_a_value_where_a_function_is_expected_says_so():
    with pytest.raises(TypeError, match=r"exercise 03.1 expects a function.*not its result.*got tuple \(64, 12, 12\)"):
        checks.check("03.1", (64, 12, 12))
    with pytest.raises(TypeError, match="expects a function.*got NoneType None"):
        checks.check("04.4", None)


def test_function_or_value_exercises_take_both(capsys):
    import torch
    sobel = torch.tensor([[-1., -2., -1.], [0., 0., 0.], [1., 2., 1.]])
    checks.check("02.4", sobel)
    checks.check("02.4", lambda: sobel)
    checks.check("09.2", (0.25, 1.0))
    assert capsys.readouterr().out.count("✓") == 3


def test_a_function_where_a_value_is_expected_says_so():
    @checks.exercise("99.2", takes="value")
    def _check_answer(v):
        assert v == 42
    try:
        with pytest.raises(TypeError, match="expects a value as the answer, not a function"):
            checks.check("99.2", lambda: 42)
    finally:
        checks._CHECKS.pop("99.2"), checks._TAKES.pop("99.2")


def test_strict_must_be_a_bool(double):
    with pytest.raises(TypeError, match="strict must be True or False"):
        checks.check("99.1", lambda v: 2 * v, strict="yes")


def test_registering_bad_checks(double):
    with pytest.raises(ValueError, match="exercise 99.1 already has a check .*_check_double"):
        checks.exercise("99.1")(double)
    with pytest.raises(ValueError, match="did you mean '09.3'"):
        checks.exercise("9.3")
    with pytest.raises(ValueError, match="takes must be one of 'function', 'value', 'function or value'"):
        checks.exercise("99.3", takes="tensor")
    with pytest.raises(TypeError, match=r"@exercise\('99.3'\) decorates the check function; got int"):
        checks.exercise("99.3")(3)
    assert "99.3" not in checks.registered()


@pytest.mark.parametrize("chapter", ["three", 3.0, True, "-1"])
def test_registered_rejects_a_bad_chapter(chapter):
    with pytest.raises(ValueError, match="chapter must be a chapter number"):
        checks.registered(chapter)


def test_separable_cost_checks_05_3_and_10_2_accept_their_own_answers_only(capsys):
    def cost_05(c_in, c_out, k, out_h, out_w):
        std, sep = k * k * c_in * c_out, k * k * c_in + c_in * c_out
        return std, std * out_h * out_w, sep, sep * out_h * out_w

    def cost_10(c_in, c_out, k, h, w):
        sep = k * k * c_in + c_in * c_out
        return sep, sep * h * w
    checks.check("05.3", cost_05)
    checks.check("10.2", cost_10)
    assert capsys.readouterr().out.count("✓") == 2
    with pytest.raises(checks.ExerciseFailed):
        checks.check("05.3", lambda *a: cost_05(*a)[2:] + cost_05(*a)[:2])   # the two halves swapped
    with pytest.raises(checks.ExerciseFailed):
        checks.check("10.2", lambda *a: cost_05(*a)[:2])                     # a standard convolution's cost
