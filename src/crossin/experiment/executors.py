"""Handing runs to an engine: this process, a pool of local processes, Slurm (submitit) or Ray. crossin only
describes the jobs (resources, the call to make); the engines schedule, requeue and retry them."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable

from ..errors import CrossinError
from .config import ExecutorConfig, ExperimentConfig, Run
from .execute import HELD, SlurmJob, execute_run, local_job, ray_job, worker_gpus
from .state import NEVER_STARTS, RunLock, read_job, read_run_state, slurm_active, slurm_pending, status_rows, write_job
from .steps import Steps, accelerate_config_file

Job = tuple[ExperimentConfig, Run, str, str, dict]  # cfg, run, out, fingerprint, arm meta


def check_executor(ex: ExecutorConfig, detach: bool) -> None:
    """What can be refused before any work: a missing engine, a --detach that would kill its own runs."""
    if ex.gpus_per_run > 1:
        accelerate_config_file(ex.accelerate_config)
    if ex.type in ("slurm", "ray"):
        try:
            __import__("submitit" if ex.type == "slurm" else "ray")
        except ImportError:
            raise CrossinError(f"--executor {ex.type} needs {'submitit' if ex.type == 'slurm' else 'ray'}: "
                               "pip install 'crossin[cluster]'") from None
    if ex.type == "slurm" and shutil.which("sbatch") is None:
        raise CrossinError("--executor slurm: sbatch is not on PATH (run on a Slurm login node, or load its module)")
    if ex.type == "ray" and ex.ray_address not in ("", "auto", "local"):
        ray_reachable(ex.ray_address)
    if detach and ex.type != "slurm":
        raise CrossinError("--detach needs --executor slurm: local runs and Ray tasks end with the process that "
                           "started them (submit the whole command as a Ray job instead: ray job submit -- crossin ...)")


def ray_reachable(address: str, timeout: float = 5.0) -> None:
    """A Ray head that answers at `address` (HOST:PORT or ray://HOST:PORT), asked with a short timeout: nothing
    listening is one line now, not Ray's minute of retries and its traceback."""
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"ray://{address}")
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=timeout).close()
    except OSError as e:
        raise CrossinError(f"--ray-address {address}: no Ray cluster answers there "
                           f"({e.strerror or type(e).__name__})") from None


def run_local(ex: ExecutorConfig, jobs: list[Job], steps: Steps, log: Callable[[str], None]) -> None:
    """In this process, one run after another; runs another process holds are waited for at the end (and run
    here if that process died without finishing them)."""
    held = []
    for index, (cfg, run, out, fingerprint, meta) in enumerate(jobs, 1):
        label = f"[{index}/{len(jobs)}] "
        if execute_run(cfg, run, Path(out), fingerprint, meta, steps, log, label=label) == HELD:
            held.append((label, (cfg, run, out, fingerprint, meta)))
    for label, (cfg, run, out, fingerprint, meta) in held:
        holder = RunLock(Path(out), run.name).holder() or {}
        log(f"{label}{run.name}: running in another process ({holder.get('host', '?')}:{holder.get('pid', '?')}); "
            "waiting for it")
        execute_run(cfg, run, Path(out), fingerprint, meta, steps, log, wait=True, label=label)


def gpu_groups(ex: ExecutorConfig) -> list[str | None]:
    """CUDA_VISIBLE_DEVICES for each of the max_parallel workers: their own GPUs when there are several."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        ids = [x for x in visible.split(",") if x.strip()]
    else:
        try:
            import torch

            ids = [str(i) for i in range(torch.cuda.device_count())]
        except ImportError:
            ids = []
    per_run = max(ex.gpus_per_run, 1)
    if len(ids) <= 1:
        return [None] * ex.max_parallel  # no GPU, or one: every run sees what there is
    if len(ids) < per_run * ex.max_parallel:
        raise CrossinError(f"--max-parallel {ex.max_parallel} x gpus_per_run {per_run} needs "
                           f"{per_run * ex.max_parallel} GPUs; this machine has {len(ids)}")
    return [",".join(ids[i * per_run:(i + 1) * per_run]) for i in range(ex.max_parallel)]


def run_pool(ex: ExecutorConfig, jobs: list[Job], log: Callable[[str], None]) -> None:
    """`--max-parallel N`: N worker processes of concurrent.futures, each with its own GPU(s)."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: CUDA_VISIBLE_DEVICES set before torch loads
    groups = context.Queue()
    for group in gpu_groups(ex):
        groups.put(group)
    with concurrent.futures.ProcessPoolExecutor(ex.max_parallel, mp_context=context, initializer=worker_gpus,
                                                initargs=(groups, os.getpid())) as pool:
        futures = {pool.submit(local_job, *job, ex): job[1].name for job in jobs}
        for future in concurrent.futures.as_completed(futures):
            try:
                future.result()
            except concurrent.futures.process.BrokenProcessPool as e:
                log(f"{futures[future]}: its worker process died ({e}); rerun to resume it")


def submit_slurm(ex: ExecutorConfig, jobs: list[Job], out: Path, log: Callable[[str], None]) -> dict[str, str]:
    """One job per run, as one job array; returns {run: job id}."""
    import submitit

    executor = submitit.AutoExecutor(folder=out / "jobs" / "%j", cluster="slurm",
                                     slurm_max_num_timeout=ex.max_requeues)
    params = dict(name=f"crossin-{out.name}", timeout_min=ex.time_min, nodes=1, tasks_per_node=1,
                  cpus_per_task=ex.cpus_per_run)
    if ex.max_parallel:
        params["slurm_array_parallelism"] = ex.max_parallel
    if ex.gpus_per_run:
        params["gpus_per_node"] = ex.gpus_per_run
    if ex.mem_gb:
        params["mem_gb"] = ex.mem_gb
    for key in ("partition", "account", "qos"):
        if getattr(ex, key):
            params[f"slurm_{key}"] = getattr(ex, key)
    if ex.sbatch:
        params["slurm_additional_parameters"] = dict((line.split("=", 1) + [None])[:2] for line in ex.sbatch)
    executor.update_parameters(**params)
    slurm_test_only(executor)
    try:
        with executor.batch():
            submitted = [(job[1].name, executor.submit(SlurmJob(*job, ex))) for job in jobs]
    except Exception as e:  # sbatch refused it after all (submitit raises its own error types, or CalledProcessError)
        raise CrossinError(f"Slurm refused the jobs: {_first_line(getattr(e, 'stderr', None) or str(e))}") from None
    ids = {}
    for name, job in submitted:
        ids[name] = job.job_id
        write_job(out, name, "slurm", job.job_id)
        log(f"{name}: Slurm job {job.job_id}")
    return ids


def _first_line(text) -> str:
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    lines = [x.strip() for x in text.splitlines() if x.strip() and "Try " not in x]
    text = " ".join(lines[-2:]) if lines else "no reason given"
    return text if len(text) <= 300 else text[:297] + "..."


def slurm_test_only(executor) -> None:
    """The job script submitit would submit, shown to `sbatch --test-only`: Slurm checks the options, the
    partition, account and qos, and whether any node could ever run the job (memory, CPUs, GPUs, time), so a
    request the cluster can never satisfy is one line before anything is queued, not a job pending forever."""
    script = executor._executor._make_submission_file_text("true", "test-only")  # submitit builds the #SBATCH lines
    with tempfile.NamedTemporaryFile("w", suffix=".sh", prefix="crossin-test-only-") as f:
        f.write(script)
        f.flush()
        try:
            proc = subprocess.run(["sbatch", "--test-only", f.name], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise CrossinError(f"sbatch --test-only could not ask Slurm ({e})") from None
    if proc.returncode != 0:
        raise CrossinError(f"Slurm can never run this request: {_first_line(proc.stderr or proc.stdout)} "
                           "(check --partition, --mem-gb, --cpus-per-run, --gpus-per-run, --time-min, --sbatch)")


def runs_to_submit(jobs: list[Job], out: Path, log: Callable[[str], None]) -> list[Job]:
    """Runs that need a job: not finished, not held by a live process, not waiting in the queue already."""
    todo = []
    queued_ids = {name: job["job_id"] for _, run, *_ in jobs if (name := run.name) and (job := read_job(out, name))
                  and job.get("executor") == "slurm"}
    active = slurm_active(list(queued_ids.values())) or set()
    for job in jobs:
        run, fingerprint = job[1], job[3]
        state = read_run_state(out, run.name)
        if state.get("status") == "done" and state.get("fingerprint") == fingerprint:
            log(f"{run.name}: done earlier, skipped")
        elif (holder := RunLock(out, run.name).holder()) is not None:
            log(f"{run.name}: running already ({holder.get('host', '?')}:{holder.get('pid', '?')}"
                f"{', job ' + str(holder['job_id']) if holder.get('job_id') else ''})")
        elif queued_ids.get(run.name) in active:
            log(f"{run.name}: queued already (Slurm job {queued_ids[run.name]})")
        else:
            todo.append(job)
    return todo


def follow_slurm(ex: ExecutorConfig, ids: dict[str, str], out: Path, log: Callable[[str], None]) -> None:
    """Until every job has left the queue: each change of a run's status is printed."""
    seen: dict[str, str] = {}
    while True:
        active = slurm_active(list(ids.values()))
        pending = slurm_pending(list(ids.values()))
        rows = {r["run"]: r for r in status_rows(out, list(ids), check_queue=False)}
        for name, row in rows.items():
            reason = pending.get(ids[name])
            said = row["status"] + (f" (pending: {reason})" if reason else "")
            if seen.get(name) != said:
                seen[name] = said
                log(f"{name}: {said}" + (f" ({row['where']})" if row["status"] == "running" else "")
                    + (f": {row['error']}" if row["error"] else ""))
        never = {name: pending[job] for name, job in ids.items() if pending.get(job) in NEVER_STARTS}
        if never:
            subprocess.run(["scancel", *[ids[n] for n in never]], capture_output=True, timeout=60)
            name, reason = next(iter(never.items()))
            raise CrossinError(f"Slurm job {ids[name]} of run {name} can never start (reason {reason}: the partition "
                               f"cannot give what it asks for); cancelled {len(never)} job(s)")
        if active is not None and not active:
            return
        time.sleep(ex.poll_s)


def run_ray(ex: ExecutorConfig, jobs: list[Job], out: Path, log: Callable[[str], None]) -> None:
    """One Ray task per run with its GPUs and CPUs; Ray retries a task whose worker died. Followed to the end."""
    import ray

    local = not ex.ray_address
    ray.init(address=ex.ray_address or None, num_cpus=(ex.ray_cpus or None) if local else None,
             include_dashboard=False, log_to_driver=True, configure_logging=True, logging_level="WARNING",
             **({"object_store_memory": 100 * 2**20} if local else {}))
    try:
        total = ray.cluster_resources()
        for resource, need in (("CPU", ex.cpus_per_run), ("GPU", ex.gpus_per_run)):
            if need > total.get(resource, 0):
                raise CrossinError(f"each run asks for {need} {resource}(s) and the Ray cluster has "
                                   f"{total.get(resource, 0):g}: lower cpus_per_run / gpus_per_run")
        task = ray.remote(ray_job)
        refs = {}
        for job in jobs:
            ref = task.options(num_cpus=ex.cpus_per_run, num_gpus=ex.gpus_per_run, max_retries=ex.max_retries,
                               retry_exceptions=False, name=f"crossin:{job[1].name}").remote(*job, ex)
            refs[ref] = job[1].name
            write_job(out, job[1].name, "ray", ref.task_id().hex())
            log(f"{job[1].name}: Ray task {ref.task_id().hex()}")
        pending = list(refs)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1, timeout=ex.poll_s)
            for ref in ready:
                try:
                    ray.get(ref)
                except ray.exceptions.RayError as e:  # retries used up (or the cluster went away)
                    log(f"{refs[ref]}: Ray gave up on it ({type(e).__name__}); rerun to resume it")
    finally:
        ray.shutdown()


def dispatch(ex: ExecutorConfig, jobs: list[Job], out: Path, steps: Steps | None, log: Callable[[str], None],
             detach: bool = False) -> None:
    if ex.type == "local" and ex.max_parallel <= 1:
        run_local(ex, jobs, steps or Steps(ex.gpus_per_run, ex.accelerate_config), log)
    elif ex.type == "local":
        run_pool(ex, jobs, log)
    else:
        jobs = runs_to_submit(jobs, out, log)
        if not jobs:
            return
        if ex.type == "ray":
            run_ray(ex, jobs, out, log)
            return
        ids = submit_slurm(ex, jobs, out, log)
        if detach:
            log(f"submitted {len(ids)} job(s); follow them with: crossin experiment status {out} --watch")
            return
        follow_slurm(ex, ids, out, log)

