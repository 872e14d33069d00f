"""The documentation holds together: every relative link of the README, CONTRIBUTING and
docs/*.md reaches a file of the repository (and, with a #fragment, a heading of it), the README
stays a first page of at most 150 lines, and its two quick-start commands stay word for word."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(page: Path) -> set[str]:
    """The fragments GitHub gives the headings of a Markdown page: lower case, punctuation
    other than '-' and '_' dropped, spaces made '-'; a repeated heading gets -1, -2, ..."""
    seen: dict[str, int] = {}
    out = set()
    for line in page.read_text().splitlines():
        heading = re.match(r"#{1,6}\s+(.*)", line)
        if not heading:
            continue
        slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def links(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)  # code is not a link
    return [t for t in LINK.findall(text) if not re.match(r"[a-z]+:", t)]


def test_the_anchors_are_githubs(tmp_path):
    """A heading with capitals, punctuation, an underscore and a repeat, slugged by hand."""
    page = tmp_path / "page.md"
    page.write_text("# How a plan is solved\n## worst_disruption at its floor (exact)\n"
                    "## Notes\n## Notes\n")
    assert anchors(page) == {"how-a-plan-is-solved", "worst_disruption-at-its-floor-exact",
                             "notes", "notes-1"}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    broken = []
    for target in links(page):
        path, _, fragment = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.is_relative_to(ROOT) or not file.exists():
            broken.append(target)
        elif fragment and file.suffix == ".md" and fragment not in anchors(file):
            broken.append(target)
    assert not broken, f"{page.name}: broken links {broken}"


def test_the_readme_is_a_first_page():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 150
    assert "\n    pip install . && planner solve instances/kazakhstan.xlsx\n" in readme
    assert "\n    pip install '.[test]' && pytest\n" in readme
    for command in ("solve", "validate", "template", "scenarios", "robust", "frontier",
                    "alternatives", "compare"):
        assert f"| `planner {command} " in readme, command
    assert ("0 solved, 1 internal error, 2 invalid input or output, 3 impossible plan, 4 no "
            "portfolio within the time limit, 130 Ctrl-C, 143 SIGTERM") in " ".join(readme.split())


def test_the_performance_page_keeps_the_markers_the_report_writes_between():
    from benchmarks.report import BEGIN, END

    text = (ROOT / "docs" / "performance.md").read_text()
    assert text.count(BEGIN) == 1 and text.index(BEGIN) < text.index(END)
