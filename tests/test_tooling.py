"""Unit tests of the course tooling in utils/: course discovery, authoring, helpers, triage, CLI errors."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from utils.common import (
    ClaimError,
    above,
    at_least,
    below,
    between,
    check_params,
    claim,
    equal,
    set_seed,
    setup_lesson,
)
from utils.course import authoring
from utils.course.execute import assigned_names, notebook_namespace, triage_lesson
from utils.course.layout import (
    CourseError,
    Notebook,
    exercises_of,
    find_root,
    parse_card,
    read_notebook,
    select,
)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "utils.course.cli", *args], cwd=cwd, capture_output=True,
                          text=True, env={"PYTHONPATH": str(Path(__file__).resolve().parents[1]), "PATH": ""})


def test_card_is_parsed() -> None:
    card = parse_card([authoring.markdown("c", "# T\n\n**Papers:** A (2024)\n\n**Time:** 25 min\n\n**Points:** 7")])
    assert (card.title, card.papers, card.minutes, card.points) == ("T", "A (2024)", 25, 7)
    assert parse_card([authoring.code("c", "x = 1")]) is None


def test_exercises_pair_answers_with_tests() -> None:
    cells = [authoring.answer("a1", "def f(): pass"), authoring.markdown("m", "text"),
             authoring.tests("t1", "assert True", points=2), authoring.answer("a2", "def g(): pass"),
             authoring.tests("t2", "assert True", points=3)]
    found = exercises_of(cells)
    assert [(e.answer_id, e.test_id, e.points) for e in found] == [("a1", "t1", 2.0), ("a2", "t2", 3.0)]


def test_authoring_validates_and_normalises(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cell_id"):
        authoring.code("bad id!", "x")
    with pytest.raises(ValueError, match="duplicate"):
        authoring.new_notebook([authoring.code("a", "x"), authoring.code("a", "y")])
    with pytest.raises(ValueError, match="points"):
        authoring.tests("t", "pass", points=0)
    nb = authoring.new_notebook([authoring.code("a", "x = 1")])
    nb["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "1"}]
    nb["cells"].append({"cell_type": "code", "metadata": {}, "source": ["y", " = 2"], "outputs": [],
                        "execution_count": 3})
    path = tmp_path / "n.ipynb"
    assert authoring.save(nb, path) is True
    saved = read_notebook(path)
    assert saved["cells"][0]["outputs"] == [] and saved["cells"][1]["execution_count"] is None
    assert saved["cells"][1]["id"] == authoring.stable_id(1, saved["cells"][1])
    assert authoring.save(read_notebook(path), path) is False  # idempotent


def test_read_notebook_errors_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    with pytest.raises(CourseError, match="not valid JSON"):
        read_notebook(bad)
    with pytest.raises(CourseError, match="no such notebook"):
        read_notebook(tmp_path / "missing.ipynb")


def test_select_resolves_names(root: Path) -> None:
    assert [nb.name for nb in select(root, ["00_welcome"])] == ["00_welcome/welcome"]
    assert [nb.name for nb in select(root, ["lessons/00_welcome/welcome.ipynb"])] == ["00_welcome/welcome"]
    with pytest.raises(CourseError, match="unknown notebook"):
        select(root, ["no_such_module"])


def test_find_root_errors_outside_a_course(tmp_path: Path) -> None:
    with pytest.raises(CourseError, match="no course found"):
        find_root(tmp_path)


def test_helpers_validate() -> None:
    assert torch.equal(torch.rand(3, generator=set_seed(4)), torch.rand(3, generator=set_seed(4)))
    with pytest.raises(ValueError, match="seed"):
        set_seed(-1)
    with pytest.raises(ValueError, match=r"STEPS=0 \(expected an int >= 1\); N=9 \(expected an int in \[1, 8\]\)"):
        check_params(STEPS=(0, at_least(1)), N=(9, between(1, 8)), OK=(3, at_least(1)))
    with pytest.raises(ValueError, match="SMOKE='yes'"):
        setup_lesson(0, "yes")
    with pytest.raises(ValueError, match="SEED=-1"):
        setup_lesson(-1, False)
    claim("x", "p", "h", checks=[above(1, 2)], smoke=True)  # reported, not raised, in a smoke run
    with pytest.raises(ClaimError):
        claim("x", "p", "h", checks=[above(3, 2), below(5, 4)])
    with pytest.raises(ClaimError):
        claim("x", "p", "h", ok=False)
    claim("x", "p", "h", checks=[above(3, 2), equal(4, 4)])
    claim("x", "p", "h", checks=[above(1, 2)], asserted=False, why_reported="it holds for some seeds only")  # never raised
    with pytest.raises(ValueError, match="why_reported"):
        claim("x", "p", "h", checks=[above(3, 2)], asserted=False)  # a reported claim says why it is not asserted
    assert above(3, 2).margin == pytest.approx(0.5) and below(1, 4).margin == pytest.approx(0.75)
    assert above(-1, 0).margin == -1 and equal(1, 2).margin < 0 and equal(2, 2).margin == 0


def test_triage_accepts_only_unfinished_work() -> None:
    def cell(src: str, ename: str | None = None, evalue: str = "") -> dict:
        c = authoring.code(f"c{abs(hash(src)) % 10**6}", src)
        if ename:
            c["outputs"] = [{"output_type": "error", "ename": ename, "evalue": evalue, "traceback": []}]
        return c

    ok_cells = [cell("res = f()", "NotImplementedError"), cell("print(res)", "NameError", "name 'res' is not defined")]
    assert triage_lesson(ok_cells)[1] is None and len(triage_lesson(ok_cells)[0]) == 2
    bad = [cell("res = f()", "NotImplementedError"), cell("print(other)", "NameError", "name 'other' is not defined")]
    assert "other" in triage_lesson(bad)[1]
    assert "ZeroDivisionError" in triage_lesson([cell("1/0", "ZeroDivisionError", "division by zero")])[1]
    injected = authoring.code("injected", "SMOKE = True", tags=["injected-parameters"])
    assert triage_lesson([injected, cell("x = 1"), cell("1/0", "ZeroDivisionError")])[1].startswith("cell 1 ")
    assert assigned_names("import numpy as np\nfor i in range(3):\n    a, b = 1, 2\ndef f(): pass") >= {"np", "i", "a", "b", "f"}


def test_notebook_namespace_runs_cells_in_process(root: Path) -> None:
    ns = notebook_namespace(root / "solutions/00_welcome/welcome.py", until="lse-tests", smoke=True)
    assert ns["SMOKE"] is True and ns["LENGTH"] <= 4_000
    assert math.isclose(ns["logsumexp"](torch.zeros(4)).item(), math.log(4), rel_tol=1e-6)
    with pytest.raises(ValueError, match="not a cell id"):
        notebook_namespace(root / "solutions/00_welcome/welcome.py", until="nope")


def test_cli_bad_input_is_one_line_and_nonzero(root: Path, tmp_path: Path) -> None:
    proc = _cli("run", "--smoke", "no_such_notebook", cwd=root)
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0
    assert "unknown notebook or module 'no_such_notebook'" in proc.stderr
    proc = _cli("list", cwd=tmp_path)  # no nbgrader_config.py here
    assert proc.returncode == 2 and "no course found" in proc.stderr and proc.stderr.strip().count("\n") == 0
    course = tmp_path / "course"
    (course / "solutions" / "m").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    (course / "solutions" / "m" / "broken.py").write_text('# %% nbgrader={"grade": oops\nx = 1\n')
    proc = _cli("list", cwd=course)
    assert proc.returncode == 2 and "not a valid percent source" in proc.stderr, proc.stderr
    assert proc.stderr.strip().count("\n") == 0


def test_cli_list_shows_points_and_time(root: Path) -> None:
    proc = _cli("list", "00_welcome", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert "00_welcome/welcome" in proc.stdout and "15 min" in proc.stdout and " 11 (3 by hand) " in proc.stdout


def test_committed_notebooks_are_valid_json(root: Path) -> None:
    assert not list((root / "solutions").rglob("*.ipynb")), "solutions/ holds text sources only"
    for path in sorted((root / "lessons").rglob("*.ipynb")):
        assert json.loads(path.read_text())["nbformat"] == 4, path


def test_plotting_labels_and_validates() -> None:
    from utils.plotting import label, line_plot, subplots

    ax = line_plot([1, 2, 3], {"a": [1, 4, 9]}, "title", "x", "y", logy=True)
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("title", "x", "y")
    assert ax.get_legend() is not None and ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="series 'b' has 2 points"):
        line_plot([1, 2, 3], {"b": [1, 2]}, "t", "x", "y")
    with pytest.raises(ValueError, match="non-empty"):
        label(subplots()[1], "", "x", "y")


@pytest.mark.notebook
def test_run_names_the_failing_cell(root: Path, tmp_path: Path) -> None:
    from utils.course.execute import run
    from utils.course.layout import Notebook

    nb = read_notebook(root / "solutions/00_welcome/welcome.py")
    index = next(i for i, c in enumerate(nb["cells"]) if c["id"] == "experiment-agree")
    nb["cells"][index]["source"] = "1 / 0"
    authoring.save(nb, tmp_path / "solutions/00_welcome/welcome.py")
    result = run(Notebook(root=tmp_path, module="00_welcome", stem="welcome"), smoke=True, timeout=120)
    assert result.failed and result.failure.startswith(f"cell {index} (id experiment-agree): ZeroDivisionError")
    assert Path(result.output).is_relative_to(tmp_path / "build" / "executed")


def test_mutant_patches_apply_and_go_stale() -> None:
    from utils.course import mutants

    solution = "def f(x):\n    y = x + 1\n    return y\n"
    text = "# %% mutant: off-by-one\n@@\n-    y = x + 1\n+    y = x + 2\n\n# %% mutant: ctx\n@@\n     y = x + 1\n-    return y\n+    return -y\n"
    parsed = mutants.parse(text)
    assert mutants.apply(solution, parsed["off-by-one"]) == "def f(x):\n    y = x + 2\n    return y\n"
    assert mutants.apply(solution, parsed["ctx"]).endswith("return -y\n")
    with pytest.raises(mutants.StaleMutant, match="not found"):
        mutants.apply(solution.replace("x + 1", "x + 3"), parsed["off-by-one"])
    with pytest.raises(mutants.StaleMutant, match="found 2 times"):
        mutants.apply(solution + "    y = x + 1\n", parsed["off-by-one"])
    with pytest.raises(ValueError, match="patch line"):
        mutants.parse("# %% mutant: a\n@@\nno prefix\n")
    with pytest.raises(ValueError, match="no change"):
        mutants.parse("# %% mutant: a\n")
    hunks = mutants.diff(solution, "def f(x):\n    y = x - 1\n    return y\n")
    assert mutants.parse("# %% mutant: m\n" + mutants.format_hunks(hunks))["m"] == hunks


def test_workspace_update_keeps_edits_and_brings_new_releases(tmp_path: Path) -> None:
    """A student's edit survives a new release, which lands beside it; untouched notebooks refresh."""
    from utils.course.workspace import update

    def lesson(path: Path, *sources: str) -> None:
        authoring.save(authoring.new_notebook([authoring.code(f"c{i}", s) for i, s in enumerate(sources)]), path)

    course = tmp_path / "course"
    lesson(course / "lessons/m/a.ipynb", "x = 1")
    lesson(course / "lessons/m/b.ipynb", "y = 1")
    first = update(course)
    assert sorted(first.added) == ["m/a.ipynb", "m/b.ipynb"]
    work = course / "work"
    edited = read_notebook(work / "m/a.ipynb")
    edited["cells"][0]["source"] = "x = 42  # my answer"
    (work / "m/a.ipynb").write_text(json.dumps(edited))
    ran = read_notebook(work / "m/b.ipynb")  # run, not edited: outputs only
    ran["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "1"}]
    (work / "m/b.ipynb").write_text(json.dumps(ran))
    lesson(course / "lessons/m/a.ipynb", "x = 1", "print('new in release 2')")
    lesson(course / "lessons/m/b.ipynb", "y = 2")
    lesson(course / "lessons/m/c.ipynb", "z = 1")
    second = update(course)
    assert second.added == ["m/c.ipynb"] and second.refreshed == ["m/b.ipynb"]
    assert len(second.kept) == 1 and "KEPT YOURS m/a.ipynb" in second.lines()[-1]
    assert "my answer" in (work / "m/a.ipynb").read_text()  # the edit survived
    beside = list((work / "m").glob("a.release-*.ipynb"))
    assert len(beside) == 1 and "new in release 2" in beside[0].read_text()  # the new content arrived
    assert "y = 2" in (work / "m/b.ipynb").read_text()
    assert update(course).added == []  # idempotent


def test_claims_table_reports_smallest_margin_per_check() -> None:
    from utils.course.claims import format_report, parse_range, summarise

    def rec(name, figure, threshold, op=">", asserted=True):
        from utils.common import Check

        check = Check(figure, op, threshold)
        passed, margin = check.passed, check.margin
        return {"claim": name, "passed": passed, "asserted": asserted, "here": "",
                "checks": [{"figure": figure, "op": op, "threshold": threshold, "margin": margin}]}

    runs = [{"notebook": "m/nb", "seed": s, "threads": t, "status": "ok", "seconds": 1.0, "failure": None,
             "claims": [rec("speed", f, 2.0), rec("luck", f - 2.5, 0.0, asserted=False)]}
            for s, t, f in [(0, 1, 3.0), (1, 1, 4.0), (0, 2, 2.5)]]
    rows = summarise(runs)
    speed = next(r for r in rows if r["claim"] == "speed")
    assert speed["smallest_margin"] == pytest.approx(0.25) and speed["runs_passed"] == 3
    text = format_report({"runs": runs, "rows": rows})
    assert "+25%" in text and "2.5 .. 4" in text and "(reported only)" in text and "CLAIM FAILED" not in text
    assert parse_range("0-2,5", "--seeds") == [0, 1, 2, 5]
    with pytest.raises(CourseError, match="--threads"):
        parse_range("x", "--threads")


def test_claims_fingerprint_follows_the_source_and_its_utils(tmp_path: Path) -> None:
    from utils.course.claims import fingerprint

    (tmp_path / "solutions/m").mkdir(parents=True)
    (tmp_path / "utils").mkdir()
    for name in ("common", "theme", "other"):
        (tmp_path / f"utils/{name}.py").write_text(f"# {name}\n")
    source = tmp_path / "solutions/m/nb.py"
    source.write_text("from utils.theme import f\nx = 1\n")
    nb = Notebook(tmp_path, "m", "nb")
    first = fingerprint(nb)
    (tmp_path / "utils/other.py").write_text("# not imported: no effect\n")
    assert fingerprint(nb) == first
    (tmp_path / "utils/theme.py").write_text("# imported: a new fingerprint\n")
    second = fingerprint(nb)
    assert second != first
    source.write_text("from utils.theme import f\nx = 2\n")
    third = fingerprint(nb)
    assert third not in (first, second)
    (tmp_path / "utils/theme.py").write_text("from utils.other import g\n")  # a utils module's own import
    fourth = fingerprint(nb)
    (tmp_path / "utils/other.py").write_text("# imported by theme: a new fingerprint\n")
    assert fingerprint(nb) != fourth
