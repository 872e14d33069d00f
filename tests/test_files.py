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
    done = subprocess.run([sys.executable, "-m", "planner", *map(str, args)], env=env,
                          cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          preexec_fn=limit)
    return done.returncode, done.stdout, done.stderr


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
