"""`paperlab preview`: a lesson's experiments, executed, as an HTML page a student can read before
solving: the solution notebook run headlessly, then nbgrader's own ClearSolutions and ClearHiddenTests
applied (answer bodies become the stub, hidden tests go), formulas as MathML. Written to build/preview/."""

from __future__ import annotations

from pathlib import Path

from .execute import run
from .layout import BUILD, SOLUTIONS, CourseError, Notebook

NOTE = ("**Preview.** This page shows the lesson executed with the course's own answers, which are "
        "hidden: the answer cells show the stub you will replace. Solve the exercises in your copy.")


def preview(nb: Notebook, smoke: bool = False, timeout: int = 600) -> Path:
    """Execute `nb`'s solution, strip answers and hidden tests, export HTML; return its path."""
    import nbformat
    from nbconvert import HTMLExporter
    from nbformat.v4 import new_markdown_cell
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

    from .feedback import OfflineFeedback

    result = run(nb, which=SOLUTIONS, smoke=smoke, timeout=timeout)
    if result.failed:
        raise CourseError(f"{nb.name} did not run: {result.failure}")
    executed = nbformat.read(result.output, as_version=4)
    stub = {"python": '# the answer is hidden in the preview\nraise NotImplementedError("solve it in your copy")'}
    for pp in (ClearSolutions(code_stub=stub, text_stub="(your answer)"), ClearHiddenTests(), OfflineFeedback()):
        executed, _ = pp.preprocess(executed, {})
    executed.cells.insert(1, new_markdown_cell(NOTE, id="preview-note"))
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(executed, {"inlining": {"css": []}})
    out = nb.root / BUILD / "preview" / nb.module / f"{nb.stem}{'.smoke' if smoke else ''}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body, encoding="utf-8")
    return out
