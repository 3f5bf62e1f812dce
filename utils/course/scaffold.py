"""`paperlab new MODULE/NOTEBOOK`: a new lesson's text source in the anatomy of DESIGN.md, with stub
mutant and alternate files, ready for `paperlab release` and `paperlab check`."""

from __future__ import annotations

import re
from pathlib import Path

from . import authoring
from .checks import HIDDEN_MARKERS, SOLUTION_MARKERS
from .layout import SOLUTIONS, SOURCE_SUFFIX, CourseError
from .mutants import path_for

NAME = re.compile(r"^[a-z0-9][a-z0-9_]*$")
POINTS = (2, 2, 2)
REFLECT_POINTS = 1

# Three placeholder exercises: each a statement, an answer, a test cell, and a wrong answer (a patch).
EXERCISES = [
    ("square", "square(x)", "x * x", "elementwise square; same shape and dtype",
     "    return x * x", "    return x + x", "x ** 2"),
    ("cube", "cube(x)", "x * x * x", "elementwise cube; same shape and dtype",
     "    return x * x * x", "    return x * x", "x ** 3"),
    ("double", "double(x)", "2 * x", "elementwise double; same shape and dtype",
     "    return 2 * x", "    return 2 * x.float()", "x + x"),
]


def _marked(text: str) -> str:
    """Put nbgrader's markers where the templates say (utils/ itself must never contain them)."""
    for placeholder, marker in zip(("@BEGIN-SOLUTION@", "@END-SOLUTION@", "@BEGIN-HIDDEN@", "@END-HIDDEN@"),
                                   SOLUTION_MARKERS + HIDDEN_MARKERS):
        text = text.replace(placeholder, marker)
    return text


def _exercise(number: int, name: str, call: str, body: str, doc: str, points: int) -> list[dict]:
    formula = body.replace("*", r"\cdot ")
    statement = f"""\
    ## Exercise {number} — TODO: what the student builds ({points} points)

    TODO: the idea in one paragraph, with the formula it rests on, e.g. $y = {formula}$.

    **Implement** `{call}` for a float tensor `x` of any shape: {doc}. The hidden tests compare with an
    independent formulation in float64, check the dtype, and check that `x` is not changed.

    *Hint:* TODO (one hint that does not give the code away)."""
    answer = f'''\
    def {name}(x: torch.Tensor) -> torch.Tensor:
        """{doc[0].upper() + doc[1:]}."""
        @BEGIN-SOLUTION@
        return {body}
        @END-SOLUTION@'''
    reference = EXERCISES[number - 1][6]
    test = f'''\
    out = {name}(torch.tensor([1.0, -2.0, 3.0]))
    assert out.shape == (3,) and out.dtype == torch.float32, f"same shape and dtype as x, got {{tuple(out.shape)}}, {{out.dtype}}"
    print("visible checks passed")
    @BEGIN-HIDDEN@
    g = torch.Generator().manual_seed({number})
    for shape in [(1,), (7,), (3, 4)]:
        x = torch.randn(*shape, generator=g, dtype=torch.float64)
        before = x.clone()
        torch.testing.assert_close({name}(x), {reference}, rtol=1e-12, atol=1e-12)
        assert torch.equal(x, before), "{name} must not change its input"
    @END-HIDDEN@'''
    return [authoring.markdown(f"{name}-background", statement),
            authoring.answer(f"{name}-answer", _marked(answer)),
            authoring.tests(f"{name}-tests", _marked(test), points=points)]


def scaffold_cells(title: str) -> list[dict]:
    """The cells of a new lesson: card, parameters, setup, background, three exercises, experiment,
    claim check, reflect."""
    total = sum(POINTS) + REFLECT_POINTS
    cells = [
        authoring.markdown("card", f"""\
        # {title}

        **Papers:** TODO: authors, *title* (year, arXiv:XXXX.XXXXX).

        **Learning objectives**
        - TODO: what a student can do afterwards (2–4 items).

        **Prerequisites:** TODO.

        **Time:** 30 min

        **Points:** {total} (three autograded exercises, {POINTS[0]} points each; one written answer)

        **Claim:** TODO: the paper's headline claim in one sentence."""),
        authoring.parameters("parameters", """\
        SMOKE = False  # True: tiny sizes, runs in seconds
        SEED = 0
        STEPS = 200  # TODO: the sizes SMOKE shrinks"""),
        authoring.code("setup", """\
        import torch

        from utils.common import at_least, claim, progress, setup_lesson
        from utils.plotting import label, show, subplots

        if SMOKE:
            STEPS = min(STEPS, 20)
        generator = setup_lesson(SEED, SMOKE, STEPS=(STEPS, at_least(10)))""", locked=True),
        authoring.markdown("background", """\
        ## Background

        TODO: the math, short, next to the code that uses it; a derivation where the claim rests on it."""),
    ]
    for number, (name, call, body, doc, *_rest) in enumerate(EXERCISES, 1):
        cells += _exercise(number, name, call, body, doc, POINTS[number - 1])
    cells += [
        authoring.markdown("experiment-intro", """\
        ## Experiment

        TODO: the paper's claim in miniature, with a plot and a progress bar on long loops."""),
        authoring.code("experiment", """\
        x = torch.linspace(-2, 2, STEPS)
        gaps = [(square(x) - x * x).abs().max().item() for _ in progress(range(3), desc="TODO: a long loop")]
        gap = max(gaps)
        fig, ax = subplots()
        ax.plot(x, square(x), label="square")
        ax.plot(x, cube(x), label="cube")
        label(ax, "TODO: what the figure shows", "x", "y")
        show(fig)"""),
        authoring.markdown("claim-intro", """\
        ## Claim check

        The figure measured above, next to the paper's. A full run asserts it; `SMOKE=True` only reports."""),
        authoring.code("claim-check", """\
        claim("todo", paper="TODO: the paper's figure", here=f"max gap {gap:.1e}", ok=gap < 1e-6)""",
                       tags=["claim-check"]),
        authoring.markdown("reflect", """\
        ## Reflect

        Answer in the cell below; your instructor grades it by hand.

        1. TODO: a question that makes the student predict or explain."""),
        authoring.written_answer("reflect-1", _marked("""\
        @BEGIN-SOLUTION@
        **Model answer.** TODO: what a strong student writes, tied to this notebook's figures.

        **Rubric (1 point).** TODO: what earns 0.5, what earns 1, which common wrong answer earns 0.
        @END-SOLUTION@"""), points=REFLECT_POINTS),
        authoring.markdown("further-reading", "**Further reading:** TODO."),
    ]
    return cells


def new_lesson(root: Path, name: str, title: str | None = None) -> list[Path]:
    """Write solutions/MODULE/NOTEBOOK.py and its stub mutant and alternate files; return the paths."""
    parts = name.strip().strip("/").removesuffix(SOURCE_SUFFIX).split("/")
    if len(parts) != 2 or not all(NAME.match(p) for p in parts):
        raise CourseError(f"name must be MODULE/NOTEBOOK in lower case, digits and '_' "
                          f"(e.g. 05_value_learning/01_classification), got {name!r}")
    module, stem = parts
    source = root / SOLUTIONS / module / f"{stem}{SOURCE_SUFFIX}"
    if source.exists():
        raise CourseError(f"{source.relative_to(root)} exists already")
    title = title or stem.split("_", 1)[-1].replace("_", " ").capitalize()
    written = [source]
    authoring.save(authoring.new_notebook(scaffold_cells(title)), source)
    for ex_name, _call, body, _doc, solution_line, wrong_line, reference in EXERCISES:
        mutant = path_for(root, module, stem, f"{ex_name}-answer")
        mutant.parent.mkdir(parents=True, exist_ok=True)
        mutant.write_text(f"# %% mutant: TODO-name-the-mistake\n@@\n-{solution_line}\n+{wrong_line}\n\n"
                          f"# %% mutant: TODO-a-second-mistake\n@@\n-{solution_line}\n+    return ({body}).float()\n",
                          encoding="utf-8")
        alternate = root / "tests" / "alternates" / module / stem / f"{ex_name}-answer.py"
        alternate.parent.mkdir(parents=True, exist_ok=True)
        alternate.write_text(f'def {ex_name}(x):\n    """TODO: a correct answer written differently."""\n'
                             f"    return {reference}\n", encoding="utf-8")
        written += [mutant, alternate]
    return written
