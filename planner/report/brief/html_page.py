"""The brief's HTML page: one self-contained file (Jinja2, each chart inline as SVG, no
request to any server), readable from a USB stick on a laptop with no network. Text from a
workbook is escaped (autoescape): it never becomes markup."""

from __future__ import annotations

import re
from functools import lru_cache

from planner.report.brief.content import Brief
from planner.report.map_network import MAP_DISCLAIMER, SCHEMATIC_NOTE


@lru_cache(maxsize=1)
def environment():
    """The templates of planner/report/templates, loaded once (a worker loads them early)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(loader=PackageLoader("planner.report", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True))


def svg_of(fig) -> str:
    """A whole figure as inline SVG."""
    import io

    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return inline_svg(buf.getvalue())


def inline_svg(text: str, zoom: float = 1.6) -> str:
    """SVG to put inside HTML: no XML prolog, no metadata (it names outside URLs); shown
    ``zoom`` times its printed size (its 6-point labels read on a screen), every chart alike."""
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)

    def bigger(found):
        return f'{found.group(1)}="{float(found.group(2)) * zoom:.1f}pt"'
    head, _, body = text.partition(">")
    head = re.sub(r'\b(width|height)="([0-9.]+)pt"', bigger, head)
    return head + ">" + body


def html_of(b: Brief, svgs: dict[str, str]) -> str:
    """The brief's page, ``svgs``: {chart name: inline SVG}."""
    from markupsafe import Markup

    return environment().get_template("brief.html.j2").render(
        b=b, svgs={k: Markup(v) for k, v in svgs.items()}, disclaimer=MAP_DISCLAIMER,
        no_map=None if b.network is None or b.network.has_places else SCHEMATIC_NOTE)
