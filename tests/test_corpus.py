"""Every broken workbook of tests/corpus: exit 2, each problem named, nothing written, the
input untouched (the corpus is made by tests/corpus/make_corpus.py)."""

import hashlib

import pytest

from planner.cli import main
from tests.corpus.make_corpus import CASES, HERE, good
from tests.builders import write


def where(sheet, row, column) -> str:
    parts = [f"sheet {sheet}"] + ([f"row {row}"] if row else []) + \
        ([f"column {column}"] if column else [])
    return ", ".join(parts)


def test_the_corpus_is_large_and_complete():
    assert len(CASES) >= 40
    on_disk = {p.name for p in HERE.iterdir() if p.suffix in (".xlsx", ".xls", ".ods", ".csv")}
    assert {name for name, _, _ in CASES} == on_disk


def test_the_good_workbook_it_breaks_is_good(tmp_path):
    out = tmp_path / "out.xlsx"
    assert main(["solve", str(write(tmp_path, good())), "-o", str(out), "--no-brief"]) == 0


@pytest.mark.parametrize("name, what, places", CASES, ids=[c[0] for c in CASES])
def test_broken_workbook(tmp_path, capsys, name, what, places):
    source = HERE / name
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    out = tmp_path / "out.xlsx"
    for command in (["solve", str(source), "-o", str(out)], ["validate", str(source)]):
        assert main(command) == 2, what
        err = capsys.readouterr().err
        assert "Traceback" not in err
        assert err.count("error: ") >= 1
        for sheet, row, column in places:
            if sheet is None:
                assert f"{name}:" in err, err  # the whole file is refused, by name
            else:
                assert f"error: {where(sheet, row, column)}" in err, err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before


def test_the_generator_writes_the_same_cases(tmp_path):
    from tests.corpus import make_corpus
    written = make_corpus.make(tmp_path)
    # files that need LibreOffice or msoffcrypto may be missing on this machine
    optional = {"old_format.xls", "opendocument.ods", "password.xlsx"}
    assert {n for n, _, _ in CASES} - optional <= set(written)
