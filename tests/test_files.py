"""Hostile and odd files, in and out (issue 22): what is read is only what a sheet holds,
what is written is only ever a regular file, and each refusal exits 2 with a message that
names the file, sheet and column and says what to do."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from tests.builders import two_corridors, write

ROOT = Path(__file__).resolve().parents[1]


def run(*args, limit_bytes: int | None = None, timeout: float = 60, cwd=None):
    """The planner command in a process of its own: (exit status, stdout, stderr).
    ``limit_bytes``: the address space it may use (RLIMIT_AS)."""
    def limit():
        if limit_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if limit_bytes:  # a BLAS thread pool reserves address space per core: one thread
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-m", "planner", *map(str, args)], env=env,
                          cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          preexec_fn=limit)
    return done.returncode, done.stdout, done.stderr


def cli(capsys, *args):
    """The planner command in this process (as fast as a check can be): (exit status,
    stdout, stderr)."""
    from planner.cli import main
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


# -- 1. a sheet's used range reaching XFD1048576 ----------------------------------------------

def test_one_value_in_the_last_cell_is_read_in_bounded_memory(tmp_path):
    """One note in XFD1048576 of sheet Segments makes the used range 1,048,576 x 16,384
    cells (17 billion); reading every cell of it ran out of memory. Only cells that hold a
    value are read: under a 1 GB address space the workbook validates, and the note, in a
    column without a header, is ignored as a note with a warning naming its cell."""
    path = write(tmp_path, two_corridors())
    book = openpyxl.load_workbook(path)
    book["Segments"]["XFD1048576"] = "a stray note"
    book.save(path)
    assert path.stat().st_size < 40_000
    code, out, err = run("validate", path, limit_bytes=1 << 30)
    assert code == 0, err
    assert "ready to solve" in out
    assert "Traceback" not in err and "MemoryError" not in err
    assert "sheet Segments, row 1048576" in err and "XFD1048576" in err


# -- what every writing command may replace ---------------------------------------------------

def results_book(path: Path, portfolio: list[list] | None = None,
                 header=("project", "start_period", "name"), summary=None) -> Path:
    """A results workbook as 'planner solve' lays it out, as far as 'compare' reads it:
    Summary (metric, value, unit from row 2) and Portfolio (a header row, one row a project)."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Summary"
    ws.append(["metric", "value", "unit"])
    for row in summary if summary is not None else [
            ["status", "optimal", ""], ["worst_disruption", 0.25, "share"],
            ["total_capex", 100.0, "USD m"], ["unmet_demand", 0.0, "Mt/yr"]]:
        ws.append(row)
    ws = book.create_sheet("Portfolio")
    if header is not None:
        ws.append(list(header))
    for row in portfolio if portfolio is not None else [["PB", "2026", "Port B"]]:
        ws.append(row)
    book.save(path)
    return path


def command_writing(name: str, tmp_path: Path, output: Path) -> list:
    """The arguments of command ``name`` writing ``output``, on a tiny valid input."""
    if name == "template":
        return ["template", output, "--force"]
    if name == "compare":
        return ["compare", results_book(tmp_path / "a.xlsx"),
                results_book(tmp_path / "b.xlsx"), "-o", output]
    return [name, write(tmp_path, two_corridors()), "-o", output]


WRITERS = ["solve", "scenarios", "robust", "frontier", "alternatives", "compare", "template"]


@pytest.mark.parametrize("command", WRITERS)
def test_a_fifo_as_output_is_refused_and_left_alone(tmp_path, capsys, command):
    """-o naming a FIFO (or any other file that is not a regular file): exit 2 before any
    solve, a message naming it, and the FIFO still a FIFO (it was replaced by a workbook).
    The solve's in a process of its own, for its exit status."""
    import stat
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    args = command_writing(command, tmp_path, fifo)
    code, out, err = run(*args, timeout=30) if command == "solve" else cli(capsys, *args)
    assert code == 2, (out, err)
    assert f"cannot write {fifo}" in err and "not a regular file" in err
    assert "Traceback" not in err and "wrote" not in out
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def device_node(tmp_path: Path) -> Path:
    """A character device of our own in tmp, with /dev/null's numbers (needs root)."""
    import stat
    node = tmp_path / "null"
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    return node


ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")


@ROOT_ONLY
def test_a_device_node_as_output_is_refused_and_left_alone(tmp_path):
    """As root (CI is), -o naming a device replaced it with a workbook. A device node of our
    own, in tmp: exit 2, and it is still the device."""
    import stat
    node = device_node(tmp_path)
    code, out, err = run(*command_writing("solve", tmp_path, node), timeout=30)
    assert code == 2, (out, err)
    assert stat.S_ISCHR(node.lstat().st_mode)
    assert "not a regular file" in err and "character device" in err


@ROOT_ONLY
@pytest.mark.parametrize("command", ["solve", "template"])
def test_dev_null_as_output_is_left_alone(tmp_path, command):
    """-o /dev/null would replace the system's device. Tried only once the writer's check
    refuses a device node of our own (else this very test would replace /dev/null)."""
    import stat
    from planner.report.xlsx import OutputError, check_target
    with pytest.raises(OutputError, match="not a regular file"):
        check_target(device_node(tmp_path))
    before = os.lstat("/dev/null")
    code, out, err = run(*command_writing(command, tmp_path, Path("/dev/null")), timeout=30)
    assert code == 2, (out, err)
    assert "cannot write /dev/null: it is a character device" in err
    assert "Traceback" not in err
    after = os.lstat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert after.st_ino == before.st_ino


# -- 10. the output checked before any solve --------------------------------------------------

@pytest.mark.parametrize("command", WRITERS)
def test_an_output_under_a_file_is_refused_before_solving(tmp_path, capsys, command):
    """-o x/file.txt/out.xlsx, where file.txt is a file: no folder can be made there. Exit 2
    at once (nothing solved: the command prints nothing), naming the file in the way and
    not suggesting to free disk space."""
    (tmp_path / "file.txt").write_text("notes")
    output = tmp_path / "file.txt" / "out.xlsx"
    args = command_writing(command, tmp_path, output)
    code, out, err = run(*args, timeout=30) if command == "solve" else cli(capsys, *args)
    assert code == 2, (out, err)
    assert f"{tmp_path / 'file.txt'} is a file, not a folder" in err
    assert "disk space" not in err and "Traceback" not in err
    assert out == ""
    assert (tmp_path / "file.txt").read_text() == "notes"


@pytest.mark.parametrize("command", ["solve", "compare", "template"])
def test_an_output_that_is_a_folder_is_refused_before_solving(tmp_path, capsys, command):
    """-o out.xlsx where out.xlsx is a folder: exit 2 at once, saying so; the folder and
    what it holds are left as they were."""
    folder = tmp_path / "out.xlsx"
    folder.mkdir()
    (folder / "keep.txt").write_text("kept")
    code, out, err = cli(capsys, *command_writing(command, tmp_path, folder))
    assert code == 2, (out, err)
    assert f"cannot write {folder}: it is a folder" in err
    assert "disk space" not in err and out == ""
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]


def test_a_folder_without_write_permission_is_refused_before_solving(tmp_path, monkeypatch,
                                                                    capsys):
    """A folder the user may not write in (as root a chmod'ed folder is writable, so the
    trial file's creation is refused here as the system would): exit 2 before the solve,
    with a hint about the folder, not about disk space."""
    import errno
    import tempfile

    from planner.solve import run as solve_module
    from planner.cli import main

    source = write(tmp_path, two_corridors())
    (tmp_path / "locked").mkdir()

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    def never(*args, **kwargs):
        raise AssertionError("solved before the output was checked")
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    monkeypatch.setattr(solve_module, "solve", never)
    assert main(["solve", str(source), "-o", str(tmp_path / "locked" / "r.xlsx")]) == 2
    err = capsys.readouterr().err
    assert f"cannot write in {tmp_path / 'locked'}: Permission denied" in err
    assert "you may not write in this folder" in err and "disk space" not in err


# -- 11. template never overwrites without --force --------------------------------------------

def test_template_refuses_an_existing_file_unless_forced(tmp_path):
    """A filled workbook is not overwritten by an empty one without a word: exit 2 and the
    file unchanged; with --force it is replaced by the template."""
    filled = write(tmp_path, two_corridors(), "plan.xlsx")
    before = filled.read_bytes()
    code, out, err = run("template", filled)
    assert code == 2, (out, err)
    assert f"{filled} exists" in err and "--force" in err
    assert filled.read_bytes() == before
    code, out, err = run("template", filled, "--force")
    assert code == 0, err
    assert "Instructions" in openpyxl.load_workbook(filled).sheetnames


# -- 7. compare on a malformed results workbook -----------------------------------------------

MALFORMED = {
    "no project column": (dict(header=("id", "start_period", "name")),
                          "sheet Portfolio, row 1, column project"),
    "no start_period column": (dict(header=("project", "name")),
                               "sheet Portfolio, row 1, column start_period"),
    "an empty Portfolio": (dict(header=None, portfolio=[]),
                           "sheet Portfolio, row 1, column project"),
    "an empty Summary": (dict(summary=[]), "sheet Summary, row 2, column metric"),
}


@pytest.mark.parametrize("which", ["A", "B"])
@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_compare_names_the_file_sheet_and_column_of_a_malformed_results_workbook(
        tmp_path, capsys, which, case):
    """A results workbook that is not as 'planner solve' writes it: exit 2 (not an internal
    error), naming which file (A or B), the sheet and the column; nothing written."""
    changes, place = MALFORMED[case]
    a = results_book(tmp_path / "a.xlsx", **(changes if which == "A" else {}))
    b = results_book(tmp_path / "b.xlsx", **(changes if which == "B" else {}))
    out = tmp_path / "cmp.xlsx"
    code, _, err = cli(capsys, "compare", a, b, "-o", out)
    assert code == 2, err
    bad = a if which == "A" else b
    assert f"error: {bad} ({which}), {place}" in err, err
    assert "internal error" not in err and not out.exists()


def test_compare_of_a_malformed_results_workbook_exits_2(tmp_path):
    """The same through the command's own process: its exit status is 2."""
    a = results_book(tmp_path / "a.xlsx")
    b = results_book(tmp_path / "b.xlsx", header=("id", "start_period"))
    code, out, err = run("compare", a, b, "-o", tmp_path / "cmp.xlsx")
    assert code == 2, err
    assert f"{b} (B), sheet Portfolio, row 1, column project" in err
    assert "Traceback" not in err and not (tmp_path / "cmp.xlsx").exists()


def test_compare_reads_a_well_formed_pair(tmp_path, capsys):
    """The reader the checks guard still reads what 'planner solve' lays out: B adds PX,
    so the terminal says so, and the comparison is written."""
    a = results_book(tmp_path / "a.xlsx")
    b = results_book(tmp_path / "b.xlsx", portfolio=[["PB", "2026", "Port B"],
                                                     ["PX", "2028", "Rail X"]])
    out = tmp_path / "cmp.xlsx"
    code, stdout, err = cli(capsys, "compare", a, b, "-o", out)
    assert code == 0, err
    assert "b against a: adds PX; drops nothing" in stdout
    starts = openpyxl.load_workbook(out)["Starts"]
    assert [[c.value for c in row] for row in starts.iter_rows(max_col=3)] == [
        ["project", "a", "b"], ["PB", "2026", "2026"], ["PX", None, "2028"]]


# -- 12. smaller ------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["C:B", "corridor:C:B"])
def test_a_close_target_whose_id_holds_a_colon_is_accepted(tmp_path, target):
    """Ids are free text, so a corridor may be called 'C:B'. Closing it (by its id, or as
    corridor:C:B) removes its route rB and only that one."""
    from planner.inputs.read import read_workbook
    from planner.inputs.scenarios import scenario_instances

    tables = two_corridors()
    tables["Corridors"][1]["corridor"] = "C:B"
    tables["Routes"][1]["corridor"] = "C:B"
    tables["Scenarios"] = [{"scenario": "shut", "change": "close", "target": target}]
    inst = read_workbook(write(tmp_path, tables))
    assert set(scenario_instances(inst)["shut"].routes) == {"rA"}


def with_prolog(source: Path, target: Path, part: str, prolog: str,
                encoding: str = "utf-8", use: tuple[bytes, bytes] | None = None) -> Path:
    """A copy of workbook ``source`` whose ``part`` starts with ``prolog`` (after its XML
    declaration), re-encoded in ``encoding``; ``use``: a (text, replacement) edit of its
    body, to use an entity the prolog declares."""
    import re
    import zipfile
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as out:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == part:
                if use:
                    body = body.replace(*use, 1)
                text = re.sub(r"^<\?xml[^>]*\?>", "", body.decode("utf-8"))
                body = (f'<?xml version="1.0" encoding="{encoding}"?>' + prolog +
                        text).encode(encoding)
            out.writestr(info, body)
    return target


LONG_COMMENT = "<!--" + "a comment longer than the first 4 KB of the part " * 120 + "-->"
BAD_PROLOGS = {
    "DOCTYPE after a long comment": (LONG_COMMENT + "<!DOCTYPE workbook>", "utf-8", None),
    "entities after a long comment": (
        LONG_COMMENT + '<!DOCTYPE worksheet [<!ENTITY a "setting"><!ENTITY b "&a;">]>',
        "utf-8", (b"<t>setting</t>", b"<t>&b;</t>")),
    "DOCTYPE in UTF-16": ("<!DOCTYPE workbook>", "utf-16", None),
}


@pytest.mark.parametrize("case", BAD_PROLOGS, ids=list(BAD_PROLOGS))
def test_a_doctype_anywhere_is_refused_with_its_own_message(tmp_path, capsys, case):
    """The README promises that a DOCTYPE is refused; only the first 4 KB of a part were
    looked at, so one after a long comment was read (and entities there were refused only
    by the XML parser, with a generic message). Any DOCTYPE in any part, in any encoding the
    parser reads: refused unread, naming the part, exit 2."""
    prolog, encoding, use = BAD_PROLOGS[case]
    good = write(tmp_path, two_corridors(), "good.xlsx")
    part = "xl/workbook.xml" if use is None else "xl/worksheets/sheet1.xml"
    bad = with_prolog(good, tmp_path / "bad.xlsx", part, prolog, encoding, use)
    code, out, err = cli(capsys, "validate", bad)
    assert code == 2, (out, err)
    assert f"error: bad.xlsx: found 'a DOCTYPE declaration in {part}'" in err, err
    assert "without DOCTYPE or entity declarations" in err


def test_a_long_comment_alone_is_read(tmp_path, capsys):
    """The same long comment without a DOCTYPE is a workbook like any other."""
    good = write(tmp_path, two_corridors(), "good.xlsx")
    fine = with_prolog(good, tmp_path / "fine.xlsx", "xl/workbook.xml", LONG_COMMENT)
    code, out, err = cli(capsys, "validate", fine)
    assert code == 0, err


def test_the_size_limit_is_stated_as_the_docs_state_it(capsys):
    """The corpus's zip bomb (300 MB of XML packed small) is refused with the limit the
    docs give: 200 MB (the message said 210, from 200 MiB shown in MB)."""
    from tests.corpus.make_corpus import HERE
    code, _, err = cli(capsys, "validate", HERE / "zip_bomb.xlsx")
    assert code == 2
    assert "a workbook under 200 MB unpacked" in err
    docs = " ".join((ROOT / "docs" / "workbook.md").read_text().split())
    assert "archives that would unpack past 200 MB" in docs


INPUTS = [("fifo", "validate"), ("fifo", "solve"), ("fifo", "compare"),
          ("/dev/zero", "validate"), ("/dev/null", "validate")]


@pytest.mark.parametrize("kind, command", INPUTS, ids=[f"{k}-{c}" for k, c in INPUTS])
def test_an_input_that_is_not_a_regular_file_is_refused(tmp_path, kind, command):
    """A FIFO as input hung (opening it waits for a writer) and /dev/zero grew until
    MemoryError: anything but a regular file is refused unread, exit 2, at once, by the
    one check every command's reading passes."""
    if kind == "fifo":
        source = tmp_path / "plan.xlsx"
        os.mkfifo(source)
    else:
        source = Path(kind)
    args = {"validate": ["validate", source],
            "solve": ["solve", source, "-o", tmp_path / "r.xlsx"],
            "compare": ["compare", source, source, "-o", tmp_path / "c.xlsx"]}[command]
    code, out, err = run(*args, limit_bytes=1 << 30, timeout=15)
    assert code == 2, (out, err)
    assert "not a regular file" in err and "Traceback" not in err
    assert not (tmp_path / "r.xlsx").exists() and not (tmp_path / "c.xlsx").exists()


def test_a_merged_range_to_the_last_cell_is_refused_unread(tmp_path):
    """The same kind of bomb as a value in XFD1048576: a merged range B2:XFD1048576 (on
    sheet RiskLimits, added to its XML) makes the reader create an object per cell. It is
    refused before reading, in bounded memory, saying how many cells it covers; a small
    merge is still read and named as before (tests/corpus/merged_cells.xlsx)."""
    import zipfile
    good = write(tmp_path, two_corridors(), "good.xlsx")
    bad = tmp_path / "merged.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet9.xml":
                body = body.replace(b"</sheetData>", b'</sheetData><mergeCells count="1">'
                                    b'<mergeCell ref="B2:XFD1048576"/></mergeCells>')
            out.writestr(info, body)
    code, out, err = run("validate", bad, limit_bytes=1 << 30, timeout=30)
    assert code == 2, (out, err)
    assert "merged cells covering 17,178,804,225 cells" in err, err


@pytest.mark.parametrize("where, value", [("tenor_years", 10**9), ("grace_years", 10**9),
                                          ("benefit_years_after", 1e14)])
def test_years_that_would_be_counted_one_by_one_are_bounded(tmp_path, where, value):
    """A loan's payments and the appraisal's years after the horizon are listed a year at a
    time: a tenor of 1e9 years or 1e14 years after the horizon passed validate and then ran
    out of memory or never ended. At most 100 years each, named by validate."""
    t = two_corridors()
    if where == "benefit_years_after":
        t["Settings"].append({"setting": where, "value": value})
        place = "sheet Settings, row 3, column value"
    else:
        t["Sources"] = [{"source": "ADB", "kind": "loan", "rate": 0.03, "tenor_years": 20,
                         "grace_years": 5, where: value}]
        t["SourceBudgets"] = [{"source": "ADB", "period": 2026, "amount": 50}]
        place = f"sheet Sources, row 2, column {where}"
    code, out, err = run("validate", write(tmp_path, t), limit_bytes=1 << 30, timeout=20)
    assert code == 2, (out, err)
    assert f"error: {place}" in err and "at most 100" in err, err
