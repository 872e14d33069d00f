"""The pictures of the Kazakhstan results (README, docs/results.md), made from real workbooks.

    python docs/make_pictures.py            # writes docs/pictures/*.png

Solves the shipped instance (solve, frontier, scenarios, robust) into a temporary folder,
prints every workbook to PDF through LibreOffice (as a planner would print it), and keeps the
pages that hold charts as PNG files (pdftoppm; trimmed of blank margins when Pillow is
installed). Needs soffice and pdftoppm on the PATH.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from planner.cli import main  # noqa: E402

INSTANCE = ROOT / "instances" / "kazakhstan.xlsx"
OUT = ROOT / "docs" / "pictures"
# workbook -> picture name -> the chart's title, which finds its page (pages move when a
# table before the chart prints on more or fewer pages)
PAGES = {
    "results": {"results-share-by-corridor": "Share of trade by corridor",
                "results-stranded-by-corridor": "Share of trade stranded by closing one corridor",
                "results-stranded-by-country": "Share of trade stranded by closing one transit"},
    "frontier": {"frontier": "Price of resilience"},
    "scenarios": {"scenarios-dependence": "Dependence (", "scenarios-capex": "Total capex by",
                  "scenarios-unmet": "Unmet demand over the horizon by"},  # only where a
    # scenario leaves demand unmet: the workbook draws that chart then, and only then
    "robust": {"robust-dependence": "Dependence per scenario", "robust-capex": "Capex per"},
}
COMMANDS = {
    "results": ["solve"],
    "frontier": ["frontier", "--jobs", "1"],
    "scenarios": ["scenarios", "--jobs", "1"],
    "robust": ["robust", "--jobs", "1"],
}


def page_of(pdf: Path, title: str) -> int | None:
    """The page number (1-based) of the first page that prints ``title`` (a chart's), None
    when none does."""
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = [re.sub(r"\s+", " ", page) for page in text.split("\f")]
    found = [i for i, page in enumerate(flat, start=1) if title in page]
    return found[0] if found else None


def trim(png: Path) -> None:
    try:
        from PIL import Image, ImageChops
    except ImportError:
        return
    image = Image.open(png).convert("RGB")
    body = image.copy()
    body.paste("white", (0, int(image.height * 0.92), image.width, image.height))  # footer
    box = ImageChops.difference(body, Image.new("RGB", image.size, "white")).getbbox()
    if box:
        left, top, right, bottom = box
        image.crop((max(0, left - 12), max(0, top - 12), min(image.width, right + 12),
                    min(image.height, bottom + 12))).save(png)


def main_pictures() -> None:
    for tool in ("soffice", "pdftoppm", "pdftotext"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is needed (apt-get install libreoffice-calc-nogui poppler-utils)")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        books = []
        for name, argv in COMMANDS.items():
            target = work / f"{name}.xlsx"
            if main(argv + [str(INSTANCE), "-o", str(target)]) != 0:
                sys.exit(f"planner {argv[0]} failed")
            books.append(target)
        subprocess.run(["soffice", f"-env:UserInstallation=file://{work / 'profile'}",
                        "--headless", "--convert-to", "pdf", "--outdir", str(work),
                        *map(str, books)], check=True, capture_output=True)
        for name, pictures in PAGES.items():
            pdf = work / f"{name}.pdf"
            for picture, title in pictures.items():
                page = page_of(pdf, title)
                target = OUT / f"{picture}.png"
                if page is None:  # the workbook has no such chart: no stale picture kept
                    target.unlink(missing_ok=True)
                    print(f"no page of {pdf.name} prints '{title}': no {target.name}")
                    continue
                stem = work / picture
                subprocess.run(["pdftoppm", "-r", "90", "-png", "-singlefile", "-f",
                                str(page), "-l", str(page), str(pdf), str(stem)], check=True)
                shutil.move(f"{stem}.png", target)
                trim(target)
                print(f"wrote {target.relative_to(ROOT)}")
        brief_picture(work / "results-brief.pdf")

    corridor_map_picture()


def brief_picture(pdf: Path) -> None:
    """docs/pictures/kazakhstan-brief.png: page 1 of the decision brief 'planner solve' wrote
    beside the results workbook (docs/results.md, The brief)."""
    target = OUT / "kazakhstan-brief.png"
    stem = pdf.with_name("kazakhstan-brief")
    subprocess.run(["pdftoppm", "-r", "90", "-png", "-singlefile", "-f", "1", "-l", "1",
                    str(pdf), str(stem)], check=True)
    shutil.move(f"{stem}.png", target)
    print(f"wrote {target.relative_to(ROOT)}")


def corridor_map_picture() -> None:
    """docs/pictures/kazakhstan-map.png: the plan of the shipped instance on the corridor map,
    drawn as the brief draws it (planner/report/corridor_map.py)."""
    from planner.analysis.measures import evaluate
    from planner.inputs.read import read_workbook
    from planner.report.corridor_map import corridor_map_figure, network_from_instance
    from planner.solve.run import solve

    inst = read_workbook(INSTANCE)
    sol = solve(inst)
    ms = evaluate(inst, sol.portfolio, sol.flows, sol.unmet, sol.draws)
    target = OUT / "kazakhstan-map.png"
    corridor_map_figure(network_from_instance(inst, sol, ms)).savefig(
        target, dpi=130, bbox_inches="tight")
    print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main_pictures()
