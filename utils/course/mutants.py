"""Mutants: plausible wrong answers, written as small patches against an exercise's answer cell.

A mutant file is tests/mutants/MODULE/NOTEBOOK/ANSWER_ID.patch, a series of sections:

    # %% mutant: forgot-the-max
    @@
     m = x.max(dim=dim, keepdim=True).values       (context: a space, then the line)
    -return (m + torch.log(...)).squeeze(dim)      (a line of the solution that goes)
    +return torch.log(...).squeeze(dim)            (a line that comes instead)

Each `@@` hunk's context and removed lines must occur exactly once, consecutively, in the solution's
answer cell (its nbgrader marker lines left out); otherwise the mutant is stale and applying it raises, so a mutant cannot silently stop
testing anything when the solution changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

MUTANTS_DIR = Path("tests") / "mutants"
SUFFIX = ".patch"
HEADER = re.compile(r"^# %% mutant: *(\S.*?)\s*$")


class StaleMutant(ValueError):
    """A mutant's lines no longer occur in the answer cell it patches."""


@dataclass(frozen=True)
class Hunk:
    """Consecutive lines of the answer (`old`, context included) and what replaces them (`new`)."""

    old: tuple[str, ...]
    new: tuple[str, ...]


def parse(text: str, where: str = "mutant file") -> dict[str, list[Hunk]]:
    """The mutants of a file: {name: hunks}; a line outside the format raises ValueError. An empty
    line inside a hunk is a blank context line; empty lines that end a hunk only separate sections."""
    mutants: dict[str, list[Hunk]] = {}
    name: str | None = None
    raw: list[str] = []

    def close() -> None:
        while raw and raw[-1] == "":
            raw.pop()
        if name is not None and raw:
            old = tuple(line[1:] for line in raw if line[:1] in (" ", "-", ""))
            new = tuple(line[1:] for line in raw if line[:1] in (" ", "+", ""))
            mutants[name].append(Hunk(old, new))
        raw.clear()

    for number, line in enumerate(text.splitlines(), 1):
        header = HEADER.match(line)
        if header:
            close()
            name = header.group(1)
            if name in mutants:
                raise ValueError(f"{where}:{number}: two mutants are named {name!r}")
            mutants[name] = []
        elif name is None:
            if line.strip():
                raise ValueError(f"{where}:{number}: text before the first '# %% mutant: NAME' line")
        elif line.rstrip() == "@@":
            close()
        elif line[:1] in (" ", "-", "+") or line == "":
            raw.append(line)
        else:
            raise ValueError(f"{where}:{number}: a patch line starts with ' ', '-' or '+', got {line[:20]!r}")
    close()
    empty = [n for n, hunks in mutants.items() if not hunks]
    if empty:
        raise ValueError(f"{where}: mutants with no change: {', '.join(empty)}")
    return mutants


def apply(source: str, hunks: list[Hunk], name: str = "mutant") -> str:
    """The answer cell's source with every hunk applied; StaleMutant when a hunk's lines are not there
    exactly once."""
    lines = source.splitlines()
    for hunk in hunks:
        size = len(hunk.old)
        if size == 0:
            raise StaleMutant(f"{name}: a hunk has neither context nor removed lines")
        at = [i for i in range(len(lines) - size + 1) if tuple(lines[i:i + size]) == hunk.old]
        if len(at) != 1:
            shown = "\n".join(hunk.old[:3])
            found = "not found" if not at else f"found {len(at)} times"
            raise StaleMutant(f"{name}: the lines it patches are {found} in the answer cell:\n{shown}")
        lines[at[0]:at[0] + size] = hunk.new
    return "\n".join(lines) + "\n"


def solution_code(source: str) -> str:
    """An answer cell's source without nbgrader's solution-marker lines: what a patch applies to."""
    markers = ("### BEGIN " + "SOLUTION", "### END " + "SOLUTION")  # split: utils/ must not hold them
    return "\n".join(line for line in source.splitlines() if line.strip() not in markers)


def path_for(root: Path, module: str, stem: str, answer_id: str) -> Path:
    """tests/mutants/MODULE/STEM/ANSWER_ID.patch."""
    return root / MUTANTS_DIR / module / stem / f"{answer_id}{SUFFIX}"


def load(root: Path, module: str, stem: str) -> dict[str, dict[str, list[Hunk]]]:
    """{answer cell id: {mutant name: hunks}} for one notebook."""
    folder = root / MUTANTS_DIR / module / stem
    return {p.stem: parse(p.read_text(encoding="utf-8"), str(p)) for p in sorted(folder.glob(f"*{SUFFIX}"))}


def diff(solution: str, mutant: str, context: int = 0) -> list[Hunk]:
    """The smallest hunks (growing context until every hunk is unique) that turn `solution` into `mutant`."""
    import difflib

    a, b = solution.splitlines(), mutant.splitlines()
    for n in range(context, len(a) + 1):
        hunks = []
        for group in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_grouped_opcodes(n):
            i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
            hunks.append(Hunk(tuple(a[i1:i2]), tuple(b[j1:j2])))
        try:
            if apply(solution, hunks).splitlines() == b:
                return hunks
        except StaleMutant:
            continue
    raise ValueError("no unique patch found")


def format_hunks(hunks: list[Hunk]) -> str:
    """Hunks as patch text, `@@`-separated, minimal: common leading/trailing lines become context."""
    import difflib

    out = []
    for hunk in hunks:
        out.append("@@")
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=hunk.old, b=hunk.new, autojunk=False).get_opcodes():
            if tag == "equal":
                out += [" " + line for line in hunk.old[i1:i2]]
            else:
                out += ["-" + line for line in hunk.old[i1:i2]]
                out += ["+" + line for line in hunk.new[j1:j2]]
    return "\n".join(line.rstrip() if line.strip() in ("", "+", "-") else line for line in out)


# Generic mutants: the harness makes them from any answer cell that defines functions, by wrapping each
# function. `_PAPERLAB_APPLIED` records whether the wrapper changed anything during the test cell: a
# mutant that changed nothing (no float64 input, no tensor input) does not apply there.
GENERIC = ("float32", "detached", "mutates-input")
EQUIVALENT_FILE = "equivalent.txt"

_WRAPPER = '''
import functools as _pl_ft
import torch as _pl_torch

_PAPERLAB_APPLIED = False

def _pl_map(value, fn):
    if isinstance(value, _pl_torch.Tensor):
        return fn(value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*[_pl_map(v, fn) for v in value])
    if isinstance(value, (list, tuple)):
        return type(value)(_pl_map(v, fn) for v in value)
    if isinstance(value, dict):
        return {k: _pl_map(v, fn) for k, v in value.items()}
    return value

def _pl_wrap(fn, kind):
    @_pl_ft.wraps(fn)
    def mutant(*args, **kwargs):
        global _PAPERLAB_APPLIED
        if kind == "float32":
            low = {_pl_torch.float64: _pl_torch.float32, _pl_torch.complex128: _pl_torch.complex64}
            high = {v: k for k, v in low.items()}
            hit = []
            def down(t):
                if t.dtype in low:
                    hit.append(t.dtype)
                    return t.to(low[t.dtype])
                return t
            casted = [_pl_map(a, down) for a in args], {k: _pl_map(v, down) for k, v in kwargs.items()}
            out = fn(*casted[0], **casted[1])
            _PAPERLAB_APPLIED = _PAPERLAB_APPLIED or bool(hit)
            return _pl_map(out, lambda t: t.to(high[t.dtype]) if hit and t.dtype in high else t)
        if kind == "detached":
            out = fn(*[_pl_map(a, lambda t: t.detach()) for a in args],
                     **{k: _pl_map(v, lambda t: t.detach()) for k, v in kwargs.items()})
            def cut(t):
                global _PAPERLAB_APPLIED
                if t.is_floating_point() or t.is_complex():
                    _PAPERLAB_APPLIED = True
                    return t.detach()
                return t
            return _pl_map(out, cut)
        out = fn(*args, **kwargs)
        def spoil(t):
            global _PAPERLAB_APPLIED
            if t.numel() == 0:
                return t
            _PAPERLAB_APPLIED = True
            with _pl_torch.no_grad():
                if t.dtype == _pl_torch.bool:
                    t.logical_not_()
                else:
                    t.add_(1)
            return t
        for a in list(args) + list(kwargs.values()):
            _pl_map(a, spoil)
        return out
    return mutant
'''


def defined_functions(code: str) -> list[str]:
    """Names of the top-level functions an answer cell defines (classes are not wrapped)."""
    import ast

    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]


def generic_mutant(code: str, kind: str) -> str | None:
    """The answer cell's code with every function it defines wrapped as generic mutant `kind`; None when
    it defines no function."""
    if kind not in GENERIC:
        raise ValueError(f"kind must be one of {GENERIC}, got {kind!r}")
    names = defined_functions(code)
    if not names:
        return None
    wraps = "\n".join(f"{n} = _pl_wrap({n}, {kind!r})" for n in names)
    return f"{code}\n{_WRAPPER}\n{wraps}\n"


def load_equivalent(root: Path, module: str, stem: str) -> dict[tuple[str, str], str]:
    """{(answer id, generic kind): reason} from tests/mutants/MODULE/STEM/equivalent.txt, whose lines read
    `ANSWER_ID KIND: why this generic mutant is a correct answer here` (# starts a comment)."""
    path = root / MUTANTS_DIR / module / stem / EQUIVALENT_FILE
    found: dict[tuple[str, str], str] = {}
    if not path.exists():
        return found
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip() if line.lstrip().startswith("#") else line.strip()
        if not line:
            continue
        match = re.match(r"^(\S+)\s+(\S+):\s*(\S.*)$", line)
        if not match or match.group(2) not in GENERIC:
            raise ValueError(f"{path}:{number}: expected 'ANSWER_ID KIND: reason' with KIND in {GENERIC}")
        found[(match.group(1), match.group(2))] = match.group(3)
    return found
