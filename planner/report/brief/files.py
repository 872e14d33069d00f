"""The brief's files: the PDF (one A4 figure per page), the HTML page and sheet Brief's
pictures, rendered from the pages drawn once; each file written whole or not at all."""

from __future__ import annotations

import io
from pathlib import Path

from planner.report.brief.content import Brief
from planner.report.brief.html_page import html_of
from planner.report.brief.pages import IN_HTML, IN_SHEET, Drawn, draw
from planner.report.xlsx import write_atomic

PICTURE_DPI = 120  # sheet Brief's pictures


def brief_paths(results: Path) -> tuple[Path, Path]:
    """<name>-brief.pdf and <name>-brief.html beside ``results`` (<name>.xlsx)."""
    results = Path(results)
    stem = results.with_suffix("")
    return (stem.with_name(stem.name + "-brief.pdf"), stem.with_name(stem.name + "-brief.html"))


def render_files(b: Brief, drawn: Drawn | None = None) -> tuple[bytes, bytes]:
    """The PDF's bytes and the HTML page's; ``drawn``: the brief's pages where drawn already."""
    from matplotlib.backends.backend_pdf import PdfPages

    drawn = drawn or draw(b)
    buf = io.BytesIO()
    with PdfPages(buf, metadata={"Title": f"Decision brief: {b.source}",
                                 "Creator": "Corridor Planner", "CreationDate": None}) as pdf_out:
        for page in drawn.pages:
            pdf_out.savefig(page)
    svgs = {name: drawn.part(name, "svg") for name in IN_HTML if name in drawn.charts}
    return buf.getvalue(), html_of(b, svgs).encode("utf-8")


def sheet_pictures(drawn: Drawn) -> dict[str, bytes]:
    """Sheet Brief's pictures: the map and the schedule as PNG, {chart name: bytes}."""
    return {name: drawn.part(name, "png", dpi=PICTURE_DPI) for name in IN_SHEET
            if name in drawn.charts}


def write_files(files: tuple[bytes, bytes], pdf: Path, html: Path) -> list[Path]:
    """The PDF and the HTML page, each written whole or not at all (write_atomic)."""
    write_atomic(pdf, files[0])
    write_atomic(html, files[1])
    return [pdf, html]


def write_brief(b: Brief, pdf: Path, html: Path, drawn: Drawn | None = None) -> list[Path]:
    """The PDF and the HTML page of ``b``, written (``drawn``: as in render_files)."""
    return write_files(render_files(b, drawn), pdf, html)
