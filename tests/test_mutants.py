"""Mutants: each exercise's test cell must fail for every plausible wrong answer in tests/mutants/
(patches against the answer cell, see utils/course/mutants.py), and pass for every correct answer
written differently in tests/alternates/.

One kernel per notebook: the solution runs with SMOKE=True up to each exercise; at an answer cell each
mutant replaces the solution and the test cell runs (it must fail), then the solution is restored and the
notebook goes on. Cells after the last exercise are not run.
"""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import NOTEBOOKS, ROOT
from jupyter_client.manager import start_new_kernel

from utils.course import mutants as patches
from utils.course.grading import alternate_answers
from utils.course.layout import Notebook, cell_source, cell_tags

TIMEOUT = 120  # seconds for one cell; a mutant that hangs counts as caught (nbgrader times it out too)


def mutants_for(nb: Notebook) -> dict[str, dict[str, str]]:
    """{answer cell id: {mutant name: patched source}}; a stale patch fails the test that asks."""
    cells = nb.cells()
    answers = {e.answer_id: cell_source(cells[e.answer_index]) for e in nb.exercises()}
    found: dict[str, dict[str, str]] = {}
    for answer_id, named in patches.load(ROOT, nb.module, nb.stem).items():
        if answer_id not in answers:
            raise AssertionError(f"{nb.name}: mutants for an unknown answer cell {answer_id!r}")
        code = patches.solution_code(answers[answer_id])
        found[answer_id] = {name: patches.apply(code, hunks, f"{nb.name}/{answer_id} {name!r}")
                            for name, hunks in named.items()}
    return found


class Kernel:
    """A Jupyter kernel that runs code and reports (ok, error summary)."""

    def __init__(self) -> None:
        self.manager, self.client = start_new_kernel(kernel_name="python3", cwd=str(ROOT))

    def run(self, code: str) -> tuple[bool, str]:
        """Execute `code`; return (succeeded, 'Ename: evalue' or 'timeout')."""
        try:
            reply = self.client.execute_interactive(code, timeout=TIMEOUT, output_hook=lambda msg: None)
        except TimeoutError:
            self.manager.interrupt_kernel()
            self.client.get_shell_msg(timeout=30)
            return False, "timeout"
        content = reply["content"]
        if content["status"] == "ok":
            return True, ""
        return False, f"{content.get('ename')}: {content.get('evalue')}"[:200]

    def close(self) -> None:
        """Shut the kernel down."""
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


WITH_EXERCISES = [nb for nb in NOTEBOOKS if nb.exercises()]


@pytest.mark.notebook
@pytest.mark.parametrize("nb", WITH_EXERCISES, ids=lambda nb: nb.name)
def test_every_exercise_has_two_mutants(nb: Notebook) -> None:
    """DESIGN: at least two plausible wrong implementations per exercise, and none for unknown cells."""
    mutants = mutants_for(nb)  # raises on a stale patch or a file for an unknown answer cell
    answers = {e.answer_id for e in nb.exercises()}
    thin = {a: len(mutants.get(a, {})) for a in answers if len(mutants.get(a, {})) < 2}
    assert not thin, f"{nb.name}: exercises with fewer than 2 mutants: {thin}"


@pytest.mark.notebook
@pytest.mark.parametrize("nb", WITH_EXERCISES, ids=lambda nb: nb.name)
def test_tests_catch_mutants_and_accept_alternates(nb: Notebook) -> None:
    """Every mutant makes its test cell fail; the solution and any alternate make it pass."""
    cells = nb.cells()
    exercises = {e.answer_index: e for e in nb.exercises()}
    last = max(e.test_index for e in exercises.values())
    mutants, alternates = mutants_for(nb), alternate_answers(ROOT, nb.module, nb.stem)
    equivalent = patches.load_equivalent(ROOT, nb.module, nb.stem)
    escaped, broken = [], []
    counts: Counter[str] = Counter()
    kernel = Kernel()
    try:
        for index, cell in enumerate(cells[: last + 1]):
            if cell.get("cell_type") != "code":
                continue
            source = cell_source(cell)
            exercise = exercises.get(index)
            if exercise is not None:
                test_source = cell_source(cells[exercise.test_index])
                variants = [(f"mutant {n!r}", s, False) for n, s in mutants.get(exercise.answer_id, {}).items()]
                if exercise.answer_id in alternates:
                    variants.append(("alternate", alternates[exercise.answer_id], True))
                for label, variant, should_pass in variants:
                    defined, why = kernel.run(variant)
                    if not defined:
                        broken.append(f"{exercise.answer_id} {label} does not even define: {why}")
                        continue
                    passed, why = kernel.run(test_source)
                    if passed != should_pass:
                        (escaped if not should_pass else broken).append(
                            f"{exercise.test_id}: {label} " + ("passed the tests" if passed else f"failed: {why}"))
                code = patches.solution_code(source)
                for kind in patches.GENERIC:
                    generic = patches.generic_mutant(code, kind)
                    if generic is None:
                        continue
                    kernel.run(generic)
                    passed, _ = kernel.run(test_source)
                    applied = kernel.run("assert _PAPERLAB_APPLIED")[0]
                    reason = equivalent.pop((exercise.answer_id, kind), None)
                    if passed and applied and reason is None:
                        escaped.append(f"{exercise.test_id}: generic mutant {kind!r} passed the tests "
                                       f"(catch it, or list it in {patches.EQUIVALENT_FILE} with the reason)")
                    elif reason is not None and not (passed and applied):
                        broken.append(f"{exercise.answer_id} {kind!r} is listed as equivalent but "
                                      + ("does not apply" if not applied else "is caught") + ": unlist it")
                    counts[kind if applied else "not applicable"] += 1
            ok, why = kernel.run(source)
            assert ok, f"{nb.name}: solution cell {index} ({cell.get('id')}) failed: {why}"
            if "parameters" in cell_tags(cell):
                assert kernel.run("SMOKE = True")[0]
    finally:
        kernel.close()
    broken += [f"{answer} {kind!r} is listed as equivalent, but no such exercise or kind ran"
               for answer, kind in equivalent]
    print(f"{nb.name}: hand-written {sum(map(len, mutants.values()))}, generic {dict(counts)}")
    assert not broken, "\n".join(broken)
    assert not escaped, "mutants not caught by their tests:\n" + "\n".join(escaped)
