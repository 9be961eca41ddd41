"""A batch job handed off from the Restore dock: its folder, its detached process, its progress.

The job folder is keyed by the input and the options (a hash), so that handing off the same image with the
same options again finds the same folder, and ``napari-dip batch`` (which skips finished outputs and kept
tiles) resumes there instead of fitting again. The job runs in its own process session: closing napari
does not end it. Everything here reads or writes small files; no napari, no Qt, no torch.

Files of a job folder: ``job.json`` (the command, its process id, how many fits or tiles, when it started),
``job.log`` (the command's output), ``input.tif`` (the layer's pixels, when its file could not be used),
``mask.tif``/``psf.tif`` (array inputs), ``out/`` (the batch's output folder: the result, its sidecar,
``batch-report.json``, the kept tiles while it runs).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from napari_dip.io import describe, read_image, write_image
from napari_dip.io.region import open_region

from .api import REPORT
from .inputs import jsonable, plane_list, stack_shape
from .tiles import tile_total

#: Where job folders go unless this environment variable names another folder.
JOBS_ENV = "NAPARI_DIP_JOBS"
MANIFEST, LOG, OUT = "job.json", "job.log", "out"
#: The last ``k/n`` of the batch's progress bar in the log (fits done of this run's fits).
_BAR = re.compile(r"(\d+)/(\d+) \[")
#: Windows: the job in a process group of its own, without napari's console (POSIX: a new session).
_DETACHED = (getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0) | getattr(subprocess, "DETACHED_PROCESS", 0)
             if os.name == "nt" else 0)
#: Rows compared at the top, middle and bottom when deciding that a layer still holds its file's pixels.
_ROWS = 4


def jobs_root() -> Path:
    """The folder of job folders: ``$NAPARI_DIP_JOBS``, else ``~/napari-dip-jobs``."""
    return Path(os.environ.get(JOBS_ENV) or Path.home() / "napari-dip-jobs")


def job_key(source: dict, task: str, options: dict, arrays: dict) -> str:
    """The hash of what a job restores: its input (a file's name, size and time, or the pixels' hash), the
    task, the options (not ``device``: another device resumes) and the array inputs (their hashes)."""
    doc = {"source": jsonable(source), "task": task,
           "options": jsonable({k: v for k, v in sorted(options.items()) if k != "device"}),
           "arrays": jsonable(dict(sorted(arrays.items())))}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def job_folder(root: Path, name: str, task: str, key: str) -> Path:
    """``root/NAME-TASK-KEY``: readable, and one folder per input and options."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "image"
    return Path(root) / f"{safe[:40]}-{task}-{key[:12]}"


def pixels_id(data: np.ndarray, scale, units) -> dict:
    """What identifies pixels without a file: their hash, shape, dtype and geometry."""
    return {"pixels": jsonable(np.asarray(data)), "scale": [float(s) for s in scale],
            "units": [str(u) for u in units]}


def same_pixels(path: str | os.PathLike, data: np.ndarray) -> bool:
    """Whether the file at ``path`` holds ``data`` as stored (shape and dtype from the header; a 2D image's
    top, middle and bottom rows compared, a stack's pixels all): the layer is its file, unchanged."""
    try:
        shape, _, _ = describe(path)
        if tuple(shape) != data.shape:
            return False
        if data.ndim - (data.shape[-1] in (3, 4)) <= 2:
            reader = open_region(path)
            if np.dtype(reader.dtype) != data.dtype:
                return False
            h = data.shape[0]
            for y0 in sorted({0, max(0, h // 2 - _ROWS // 2), max(0, h - _ROWS)}):
                rows = slice(y0, min(h, y0 + _ROWS))
                if not np.array_equal(reader.read(rows, slice(0, data.shape[1])), data[rows]):
                    return False
            return True
        return bool(np.array_equal(read_image(path).data, data))
    except (OSError, ValueError):
        return False


def write_once(path: Path, data: np.ndarray, *, axes: str, scale=None, units=None) -> Path:
    """Write ``data`` to ``path`` unless a file is there already: a resumed job keeps its input's
    modification time, which the batch's fingerprint records (a rewritten input would be fitted again)."""
    if not path.is_file():
        write_image(path, data, axes=axes, scale=scale, units=units)
    return path


def total_fits(shape: tuple, axes: str, options: dict) -> tuple[int, bool]:
    """``(n, tiled)``: how many fits the batch makes of one input (its tiles, its planes, or one)."""
    lead = stack_shape(shape, axes, options.get("mode"))
    if lead:
        planes = plane_list(options.get("planes"), lead)
        return (1 if options.get("warm_start") or len(planes) < 2 else len(planes)), False
    n = tile_total(shape, axes, options) if options.get("mode") != "volume" else 1
    return n, n > 1


@dataclass
class Job:
    """One hand-off: its folder, the command, the result it writes, how many fits (tiles) it has."""

    folder: Path
    argv: list[str]
    output: Path
    total: int = 1
    tiled: bool = False
    proc: subprocess.Popen | None = field(default=None, repr=False)
    pid: int | None = None
    started: float = 0.0
    stopped: bool = False

    @property
    def report(self) -> Path:
        return self.output.parent / REPORT

    def done_before(self) -> int:
        """Fits already done (a finished output counts them all; else the kept tiles)."""
        if self.output.exists() and self.record().get("status") in ("done", "skipped"):
            return self.total
        if not self.tiled:
            return 0
        return len(list(self.output.parent.glob(f".{self.output.name}.tiles/*/tile_*.npz")))

    def record(self) -> dict:
        """The batch report's record of the input ({} while there is none)."""
        try:
            doc = json.loads(self.report.read_text(encoding="utf-8"))
            return doc[0] if doc else {}
        except (OSError, ValueError, IndexError, KeyError):
            return {}


#: ``napari-dip`` with this Python (``-c``: no main module for Dask's spawned workers to re-import).
_CLI = "import sys; from napari_dip.cli import main; sys.exit(main())"


def command(args: list[str]) -> list[str]:
    """The detached process's command: ``napari-dip batch ARGS`` with this Python."""
    return [sys.executable, "-c", _CLI, "batch", *map(str, args)]


def start(job: Job) -> Job:
    """Start the job's command as a detached process (its own session: closing napari leaves it running;
    output appended to ``job.log``), unless the job's process from an earlier hand-off still runs: then
    follow that one. Writes ``job.json``."""
    old = read_manifest(job.folder)
    if old.get("pid") and pid_alive(int(old["pid"])):
        job.pid, job.started = int(old["pid"]), float(old.get("started", time.time()))
        return job
    job.report.unlink(missing_ok=True)  # the new run's report, not an earlier one's
    job.started = time.time()
    with open(job.folder / LOG, "ab") as log:
        log.write(f"\n$ {subprocess.list2cmdline(job.argv)}\n".encode())
        log.flush()
        job.proc = subprocess.Popen(job.argv, cwd=job.folder, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True, creationflags=_DETACHED,
                                    env={**os.environ, "PYTHONUNBUFFERED": "1"})
    job.pid = job.proc.pid
    (job.folder / MANIFEST).write_text(json.dumps(
        {"pid": job.pid, "argv": job.argv, "output": str(job.output), "total": job.total, "tiled": job.tiled,
         "started": job.started}, indent=1) + "\n", encoding="utf-8")
    return job


def read_manifest(folder: Path) -> dict:
    try:
        return json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` runs (not a zombie), and on Linux whether it is a napari-dip batch."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    except OSError:
        return False
    stat, cmd = Path(f"/proc/{pid}/stat"), Path(f"/proc/{pid}/cmdline")
    try:
        if stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return False
        return b"napari_dip" in cmd.read_bytes()
    except (OSError, IndexError):
        return True  # no /proc (macOS, Windows): the signal said it exists


def running(job: Job) -> bool:
    if job.proc is not None:
        return job.proc.poll() is None
    return job.pid is not None and pid_alive(job.pid)


def stop(job: Job) -> None:
    """End the job's process group (the batch, its Dask scheduler and workers)."""
    job.stopped = True
    if job.pid is None or not running(job):
        return
    try:
        if hasattr(os, "killpg"):
            os.killpg(job.pid, signal.SIGTERM)
        else:  # Windows: the process alone
            os.kill(job.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass


@dataclass
class Progress:
    """A job's state read from its files: ``state`` is running, done, failed or stopped."""

    state: str
    done: int
    total: int
    text: str


def progress(job: Job) -> Progress:
    """The job's state, from its report (written when the batch ends), its kept tiles and its log."""
    alive = running(job)
    rec = job.record() if not alive else {}
    if rec.get("status") in ("done", "skipped") and job.output.exists():
        verb = "already done: nothing fitted" if rec["status"] == "skipped" else "done"
        return Progress("done", job.total, job.total, f"batch job {verb} ({rec.get('seconds', 0):.0f} s)")
    if not alive:
        if job.stopped:
            return Progress("stopped", job.done_before(), job.total, "batch job stopped: hand it off again "
                            "to resume")
        why = rec.get("error") or log_tail(job.folder)
        return Progress("failed", job.done_before(), job.total, f"batch job failed: {why} (see job.log)")
    if job.tiled:
        done = min(job.total, job.done_before())
        return Progress("running", done, job.total, f"batch job: {done} of {job.total} tiles done")
    bar = _BAR.findall(log_tail(job.folder, 4096, last_line=False))
    done = int(bar[-1][0]) if bar else 0
    done += max(0, job.total - int(bar[-1][1])) if bar else 0  # fits done before this run
    return Progress("running", min(done, job.total), job.total,
                    f"batch job: {min(done, job.total)} of {job.total} fits done")


def log_tail(folder: Path, size: int = 2048, last_line: bool = True) -> str:
    """The end of the job's log (its last non-empty line, or its last ``size`` characters)."""
    try:
        with open(Path(folder) / LOG, "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - size))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return "no log"
    if not last_line:
        return text
    lines = [s.strip() for s in re.split(r"[\r\n]+", text) if s.strip()]
    return lines[-1] if lines else "see job.log"
