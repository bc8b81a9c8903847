"""Assemble the page: the Jinja template, the inlined styles and script, uPlot and the data."""

from __future__ import annotations

from functools import cache
from importlib import resources

import jinja2

from halab.chaos.journal.schema import Journal
from halab.chaos.views import chartlib as vendor
from halab.chaos.views.html import _view

_PACKAGE = resources.files(__package__)


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader(__package__, "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _asset(name: str) -> str:
    return (_PACKAGE / "static" / name).read_text(encoding="utf-8")


def _inline(text: str, element: str) -> str:
    """`text` as the body of a <script> or <style>: it must not close its own element."""
    if f"</{element}" in text.lower():
        raise ValueError(f"an inlined {element} contains </{element}")
    return text


def render(journal: Journal, *, journal_path: str) -> str:
    chart_lib = vendor.load()  # first: a missing library is named before any work is done
    page = _view.build(journal, journal_path)
    return _environment().get_template("report.html.j2").render(
        page=page,
        css=_inline(_asset("report.css"), "style"),
        js=_inline(_asset("report.js"), "script"),
        uplot={
            "version": chart_lib.version,
            "css": _inline(chart_lib.css, "style"),
            "js": _inline(chart_lib.js, "script"),
            "licence": chart_lib.licence,
            "notice": next((line.strip() for line in chart_lib.licence.splitlines() if line.startswith("Copyright")), ""),
        },
        charts_json=_view.as_json(page.charts),
    )
