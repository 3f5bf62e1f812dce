"""Feedback a student can be given: an nbgrader preprocessor that renders the formulas of markdown cells
as MathML (browsers draw it natively, so no MathJax from a CDN, and the page works offline) and keeps
figures inside the page. nbgrader's own ClearHiddenTests removes the hidden tests (nbgrader_config.py)."""

from __future__ import annotations

import html
import re
from typing import Any

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

# $$...$$ first, then $...$ (not \$, not spanning blank lines); code spans and fences are left alone
_CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)
_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE = re.compile(r"(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$(?!\d)")
FIGURE_CSS = "div.output_png img, div.output_area img { max-width: 100%; height: auto; }"


def to_mathml(tex: str, display: bool) -> str:
    """One formula as MathML; the LaTeX itself (escaped, in a code span) when it cannot be converted."""
    from latex2mathml.converter import convert

    try:
        return convert(tex.strip(), display="block" if display else "inline")
    except Exception:  # an unsupported macro: show the source rather than nothing
        return f"<code>{html.escape(tex)}</code>"


def render_math(markdown: str) -> str:
    """Replace $...$ and $$...$$ in markdown text by MathML, outside code."""
    parts = _CODE.split(markdown)
    for i in range(0, len(parts), 2):  # even parts are outside code
        text = _DISPLAY.sub(lambda m: to_mathml(m.group(1), True), parts[i])
        parts[i] = _INLINE.sub(lambda m: to_mathml(m.group(1), False), text)
    return "".join(parts)


class OfflineFeedback(Preprocessor):
    """Formulas as MathML, and figures no wider than the page."""

    enabled = Bool(True, help="nbconvert preprocessors are off unless enabled").tag(config=True)

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """Convert every markdown cell's math; add the figure CSS."""
        for cell in nb.cells:
            if cell.get("cell_type") == "markdown":
                cell.source = render_math(cell.source)
        resources.setdefault("inlining", {}).setdefault("css", []).append(FIGURE_CSS)
        return nb, resources
