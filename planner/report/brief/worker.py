"""The brief drawn in a process of its own, started when the command starts.

Importing matplotlib and loading its fonts take about as long as drawing the whole brief. A
worker forked before the solve does both on the other core while the command reads, solves and
analyses. Handed the brief (``render``), it draws the pages once, forks a child of its own that
renders the PDF and the HTML page, and meanwhile renders sheet Brief's pictures: the command
waits for the pictures to save the workbook, and for the files after that.

Neither process writes a file (the command does, after the workbook), and both end with the
command however it ends (interrupt.worker_started; the child's parent is the worker, which
waits for it). Where a process cannot be had, or one fails, the command renders what is missing
itself: the same bytes, later.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import signal
import struct

from planner import interrupt
from planner.report.brief.content import Brief
from planner.report.brief.files import render_files, sheet_pictures
from planner.report.brief.pages import Drawn, draw


class BriefWorker:
    """A worker process for one brief (module docstring); a context manager: leaving the block
    ends the worker if the brief was never finished (an error, an infeasible plan, Ctrl-C)."""

    def __init__(self):
        self.pid: int | None = None
        self.b: Brief | None = None
        self.drawn: Drawn | None = None  # drawn here, where the worker failed
        self._fds: dict[str, int] = {}
        if not hasattr(os, "fork"):
            return
        parent = os.getpid()
        request_in, request_out = os.pipe()
        pictures_in, pictures_out = os.pipe()
        files_in, files_out = os.pipe()
        # the child starts with the stop signals held, and sets its own handlers before it
        # takes any: the command's handler would unwind it into the command's code
        with interrupt.held():
            try:
                pid = os.fork()
            except OSError:  # no process to be had: the command renders the brief itself
                pid = None
            if pid == 0:  # the worker: never returns into the command's code
                status = 1
                try:
                    interrupt.worker_started(parent)
                    for fd in (request_out, pictures_in, files_in):
                        os.close(fd)
                    status = _serve(request_in, pictures_out, files_out)
                finally:
                    os._exit(status)
        if pid is None:
            for fd in (request_in, request_out, pictures_in, pictures_out, files_in, files_out):
                os.close(fd)
            return
        for fd in (request_in, pictures_out, files_out):
            os.close(fd)
        self.pid = pid
        self._fds = {"request": request_out, "pictures": pictures_in, "files": files_in}

    def __enter__(self) -> BriefWorker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def render(self, b: Brief) -> None:
        """Hand the brief over: the worker draws it now."""
        self.b = b
        fd = self._fds.pop("request", None)
        if fd is None:
            return
        # a worker gone (a broken pipe) leaves the pictures and the files to the command
        with contextlib.suppress(OSError), os.fdopen(fd, "wb") as out:
            _put(out, b)

    def pictures(self) -> dict[str, bytes]:
        """Sheet Brief's pictures, {chart name: PNG bytes}, once the worker has made them."""
        pictures = self._read("pictures")
        return pictures if pictures is not None else sheet_pictures(self._drawn_here())

    def files(self) -> tuple[bytes, bytes]:
        """The PDF's bytes and the HTML page's, once the worker's child has made them."""
        files = self._read("files")
        if self._reap() == 0 and files is not None:
            return files
        return render_files(self.b, self._drawn_here())

    def close(self) -> None:
        """End the worker now, unless it has finished (its child dies with it)."""
        if self.pid is not None:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGTERM)
            self._reap()
        for fd in self._fds.values():
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fds = {}

    def _read(self, name: str):
        """What the worker sent on pipe ``name``; None where it sent nothing whole."""
        fd = self._fds.pop(name, None)
        if fd is None:
            return None
        try:
            with os.fdopen(fd, "rb") as source:
                return _get(source)
        except OSError:
            return None

    def _drawn_here(self) -> Drawn:
        if self.drawn is None:
            self.drawn = draw(self.b)
        return self.drawn

    def _reap(self) -> int | None:
        pid, self.pid = self.pid, None
        if pid is None:
            return None
        with contextlib.suppress(ChildProcessError):
            return os.waitpid(pid, 0)[1]
        return None


def _serve(request: int, pictures: int, files: int) -> int:
    """The worker's life: warm up, wait for the brief, draw it, then the pictures here and the
    files in a child (here after the pictures, where no child can be had). Its exit status."""
    warm()
    with os.fdopen(request, "rb") as source:
        b = _get(source)
    if b is None:  # the command ended before its brief
        return 0
    drawn = draw(b)
    worker = os.getpid()
    with interrupt.held():  # as in BriefWorker: the child's handlers set before it takes any
        try:
            child = os.fork()
        except OSError:
            child = None
        if child == 0:
            status = 1
            try:
                interrupt.worker_started(worker)
                os.close(pictures)
                _send(files, render_files(b, drawn))
                status = 0
            finally:
                os._exit(status)
    _send(pictures, sheet_pictures(drawn))
    if child is None:
        _send(files, render_files(b, drawn))
        return 0
    os.close(files)
    return 0 if os.waitpid(child, 0)[1] == 0 else 1


def _send(fd: int, what) -> None:
    with os.fdopen(fd, "wb") as out:
        _put(out, what)


def _put(out, what) -> None:
    """``what`` pickled, after its length: the reader stops there, not at the pipe's end,
    which a process forked from the command later would hold open too."""
    data = pickle.dumps(what)
    out.write(struct.pack("<Q", len(data)) + data)


def _get(source):
    """What _put wrote; None where the writer closed the pipe before all of it."""
    head = source.read(8)
    if len(head) < 8:
        return None
    size = struct.unpack("<Q", head)[0]
    data = source.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)  # noqa: S301 (our own processes' bytes)


def warm() -> None:
    """What the first drawing would wait for: matplotlib imported, its fonts loaded and their
    glyphs rendered once into each format, the borders and the HTML template read."""
    from matplotlib.figure import Figure

    from planner.report.brief.html_page import environment
    from planner.report.brief.pages import _rc
    from planner.report.corridor_map import load_borders

    _rc()
    load_borders()
    environment().get_template("brief.html.j2")
    figure = Figure(figsize=(2, 1))
    for size, weight in ((6, "normal"), (9.5, "normal"), (12, "bold")):
        figure.text(0.05, size / 15, "Warm 0123 4567 89 %,.() \u2192", fontsize=size,
                    weight=weight)
    figure.add_axes((0.1, 0.1, 0.5, 0.3)).plot([0, 1], [0, 1])
    for fmt in ("pdf", "svg", "png"):
        figure.savefig(io.BytesIO() if fmt != "svg" else io.StringIO(), format=fmt)
