"""The state many processes share in one experiment folder: each run's own `arms/<run>/state.json`, the lock
that says who runs it, and the status table assembled from them.

Any number of processes may work on one folder at once (two `crossin experiment run` in two terminals, with or
without --only; Slurm jobs on other nodes; Ray workers). What keeps them from losing or doubling a run:

- A run is claimed with an exclusive `flock` on `locks/<run>.lock`. The kernel drops the lock when its holder
  dies, however it dies (SIGKILL, out of memory, scancel), and on NFS the server drops it when the client's lease
  ends (a rebooted node), so a dead job never holds a run and nothing has to decide when a lock is "stale".
  A pid file alone could not be trusted: the pid may be reused, or live on another host where it cannot be
  checked. The holder still writes its host, pid and job id into the lock file, for the status table.
- Only the holder writes its run's state.json (atomic rename), and it reads it again after claiming, so a run
  finished while a process waited for it is not run twice.
- The locks live outside `arms/<run>/`, so starting a run over (its folder removed) keeps its lock.
- A filesystem that has no flock at all (a Lustre mount without `-o flock`) is refused with one line, rather
  than run without protection.
"""

from __future__ import annotations

import calendar
import contextlib
import errno
import fcntl
import json
import os
import re
import socket
import subprocess
import time
from pathlib import Path

from ..errors import CrossinError
from ..io import check_input_file, confined, parse_json, read_json, read_text, write_json
from ..schemas import EXPERIMENT, JOB, LOCK_HOLDER, RUN_STATE as RUN_STATE_SCHEMA, check_record

RUN_STATE = "state.json"  # arms/<run>/state.json, written by the process running the run
OLD_STATE = "state.json"  # <out>/state.json of crossin <= 0.1: one file for every run, migrated once
JOB_FILE = "job.json"  # arms/<run>/job.json: the job a submitter queued for the run (executor, job id, time)
LOG_FILE = "log.txt"


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def run_state_path(out: Path, name: str) -> Path:
    return confined(Path(out) / "arms", name) / RUN_STATE


def read_record(path: Path, schema: dict, what: str) -> dict | list | None:
    """The one reader of the folder's own files (experiment.json, state.json, job.json): None when absent; a
    FIFO, device, folder, symlink loop, non-UTF-8, non-JSON or off-schema file is a CrossinError naming it (never
    a hang, a traceback or a run quietly taken for pending)."""
    if not os.path.lexists(path):  # a dangling link or a link loop exists(): it is read, and refused, below
        return None
    text = read_text(path, what=what)
    data = parse_json(text, path=str(path))
    check_record(data, schema, path=str(path), text=text, what=what)
    return data


def regular_or_absent(path: Path, what: str) -> bool:
    """Whether `path` exists, refusing anything but a regular file (or a link to one) before it is opened."""
    if not os.path.lexists(path):
        return False
    check_input_file(path, what)
    return True


def read_run_state(out: Path, name: str) -> dict:
    data = read_record(run_state_path(out, name), RUN_STATE_SCHEMA, "run state")
    if data is None:
        return {"status": "pending", "steps": {}}
    data.setdefault("steps", {})
    return data


def write_run_state(out: Path, name: str, data: dict) -> None:
    write_json(run_state_path(out, name), data)


def this_process(executor: str = "local", job_id: str | None = None) -> dict:
    """Where a run runs: recorded in its lock and its state."""
    return {"host": socket.gethostname().split(".")[0], "pid": os.getpid(), "executor": executor,
            "job_id": job_id or slurm_job_id()}


def slurm_job_id() -> str | None:
    """This process's Slurm job (array jobs as ARRAYID_TASK, as squeue and submitit print them)."""
    array, task = os.environ.get("SLURM_ARRAY_JOB_ID"), os.environ.get("SLURM_ARRAY_TASK_ID")
    return f"{array}_{task}" if array and task else os.environ.get("SLURM_JOB_ID")


class RunLock:
    """The exclusive claim on one run (see the module docstring)."""

    def __init__(self, out: Path, name: str):
        self.path = Path(out) / "locks" / f"{confined(Path(out) / 'arms', name).name}.lock"
        self.fd: int | None = None

    def _open(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        regular_or_absent(self.path, "lock file")
        return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)

    def acquire(self, holder: dict, wait: bool = False) -> bool:
        fd = self._open()
        try:
            # A status probe holds a shared lock for microseconds: try a few times before calling the run taken.
            for attempt in range(1 if wait else 20):
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
                    break
                except BlockingIOError:
                    time.sleep(0.05)
            else:
                os.close(fd)
                return False
        except OSError as e:
            os.close(fd)
            if e.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
                raise CrossinError(f"this filesystem does not support file locks (flock: {e.strerror}); put the "
                                   "experiment folder on one that does (NFS, or Lustre mounted with -o flock)",
                                   path=str(self.path)) from None
            raise
        # Written in place: the lock belongs to this inode, so no rename.
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps({**holder, "since": now()}) + "\n").encode(), 0)
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing drops the flock
            self.fd = None

    def holder(self) -> dict | None:
        """Who holds the run now (host, pid, job id), or None when nobody does."""
        if not regular_or_absent(self.path, "lock file"):
            return None
        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)  # O_NONBLOCK: swapped for a FIFO since the check
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                raw = os.pread(fd, 4096, 0)
            else:
                return None
        finally:
            os.close(fd)
        try:
            holder = json.loads(raw.decode() or "{}")
        except ValueError:  # being written this instant (truncated, then written in place)
            return {}
        check_record(holder, LOCK_HOLDER, path=str(self.path), what="lock holder")
        return holder


@contextlib.contextmanager
def folder_lock(out: Path):
    """One process at a time sets the folder up (migration, settings checks, experiment.json)."""
    path = Path(out) / "locks" / ".folder.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def migrate_old_state(out: Path, log) -> None:
    """<out>/state.json of earlier versions -> one arms/<run>/state.json per run (kept where one exists), then
    the old file is kept as state.json.migrated so it is not read again. Call under `folder_lock`."""
    old = Path(out) / OLD_STATE
    if not old.is_file():
        return
    data = read_json(old)
    if not isinstance(data, dict) or not isinstance(data.get("runs"), dict):
        raise CrossinError("not an experiment state file (no 'runs')", path=str(old))
    for name, entry in data["runs"].items():
        try:
            path = run_state_path(out, name)
        except CrossinError:
            continue  # a name no config can ask for any more ('..'): nothing of it is touched
        if not path.exists() and isinstance(entry, dict):
            write_json(path, {"steps": {}, **entry})
    os.replace(old, old.with_name(OLD_STATE + ".migrated"))
    log(f"state: {old} split into arms/<run>/{RUN_STATE} (the old file is kept as {OLD_STATE}.migrated)")


def write_job(out: Path, name: str, executor: str, job_id: str) -> None:
    write_json(confined(Path(out) / "arms", name) / JOB_FILE, {"executor": executor, "job_id": job_id, "submitted": now()})


def read_job(out: Path, name: str) -> dict | None:
    return read_record(confined(Path(out) / "arms", name) / JOB_FILE, JOB, "job file")


def slurm_active(job_ids: list[str]) -> set[str] | None:
    """The jobs among `job_ids` that Slurm still has queued or running (a requeued job is pending again);
    None when squeue cannot be asked (no Slurm here)."""
    if not job_ids:
        return set()
    bases = sorted({j.split("_")[0] for j in job_ids})
    try:
        listing = subprocess.run(["squeue", "-h", "-r", "-j", ",".join(bases), "-o", "%i %t"], capture_output=True,
                                 text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if listing.returncode != 0 and "Invalid job id" not in listing.stderr:
        return None
    finished = {"CD", "CA", "F", "TO", "NF", "OOM", "BF", "DL", "PR"}
    active = {line.split()[0] for line in listing.stdout.splitlines() if line.split() and line.split()[1] not in finished}
    return {j for j in job_ids if j in active}


# Pending reasons after which Slurm will never start the job without an administrator changing the cluster.
NEVER_STARTS = frozenset({"PartitionConfig", "PartitionNodeLimit", "PartitionTimeLimit", "BadConstraints",
                          "InvalidAccount", "InvalidQOS", "DependencyNeverSatisfied", "QOSMaxCpuPerJobLimit",
                          "QOSMaxMemoryPerJob", "QOSMaxWallDurationPerJobLimit", "QOSMaxGRESPerJob"})


def slurm_pending(job_ids: list[str]) -> dict[str, str]:
    """{job id: Slurm's reason} for the jobs among `job_ids` that are pending ({} when squeue cannot be asked)."""
    if not job_ids:
        return {}
    bases = sorted({j.split("_")[0] for j in job_ids})
    try:
        listing = subprocess.run(["squeue", "-h", "-r", "-t", "PD", "-j", ",".join(bases), "-o", "%i %r"],
                                 capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    reasons = dict(line.split(None, 1) for line in listing.stdout.splitlines() if len(line.split(None, 1)) == 2)
    return {j: reasons[j].strip() for j in job_ids if j in reasons}


_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ")


def last_line(path: Path, limit: int = 100) -> str:
    if not regular_or_absent(path, "run log"):
        return ""
    with open(path, "rb") as f:
        f.seek(max(0, path.stat().st_size - 4096))
        lines = [x for x in f.read().decode("utf-8", "replace").splitlines() if x.strip()]
    text = _STAMP.sub("", lines[-1].strip()) if lines else ""  # the table has its own time column
    return text if len(text) <= limit else text[: limit - 3] + "..."


def seconds_since(stamp: str | None) -> float | None:
    if not stamp:
        return None
    return time.time() - calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))


def run_names(out: Path) -> list[str]:
    """The runs of the folder: experiment.json's order, then any other run folder."""
    out = Path(out)
    experiment = read_record(out / "experiment.json", EXPERIMENT, "experiment file") or {}
    names = [r["name"] for r in experiment.get("runs", [])]
    if (out / "arms").is_dir():
        names += sorted(p.name for p in (out / "arms").iterdir() if p.is_dir() and p.name not in names)
    return names


def status_rows(out: Path, names: list[str] | None = None, check_queue: bool = True) -> list[dict]:
    """One row per run: run, status, where, job, elapsed, last log line, error.

    status: done / failed / running (its lock is held) / queued (a submitted job that has not started it) /
    interrupted (it started, and nobody holds it now: rerun to resume) / pending (never started)."""
    out = Path(out)
    names = names if names is not None else run_names(out)
    states = {n: read_run_state(out, n) for n in names}
    jobs = {n: read_job(out, n) for n in names}
    slurm_ids = [j["job_id"] for j in jobs.values() if j and j.get("executor") == "slurm"]
    active = slurm_active(slurm_ids) if check_queue and slurm_ids else None
    pending = slurm_pending(slurm_ids) if check_queue and slurm_ids else {}
    rows = []
    for name in names:
        state, job = states[name], jobs[name]
        holder = RunLock(out, name).holder()
        status = state.get("status", "pending")
        where = f"{state.get('host', '')}:{state.get('pid', '')}" if state.get("host") else ""
        job_id = state.get("job_id") or ""
        elapsed = float(state.get("wall_s") or 0)
        if holder is not None:
            status = "running"
            where = f"{holder.get('host', '?')}:{holder.get('pid', '?')}"
            job_id = holder.get("job_id") or job_id
            elapsed += seconds_since(state.get("started") if state.get("status") == "running" else holder.get("since")) or 0
        elif status == "running":
            status = "interrupted"
        if status in ("pending", "interrupted", "failed") and job and job["submitted"] > (state.get("started") or ""):
            queued = active is None or job["job_id"] in active or job.get("executor") != "slurm"
            if queued:
                status, job_id, where = "queued", job["job_id"], job["executor"]
                if pending.get(job_id):  # why Slurm has not started it (Resources, Priority, PartitionConfig...)
                    where += f" (pending: {pending[job_id]})"
        rows.append({"run": name, "status": status, "where": where, "job": job_id or "",
                     "elapsed_s": round(elapsed, 1), "last_log": last_line(confined(out / "arms", name) / LOG_FILE),
                     "error": (state.get("error") or "") if status == "failed" else ""})
    return rows
