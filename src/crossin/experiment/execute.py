"""One run, wherever it runs (this process, a local worker process, a Slurm job, a Ray task): claim it, run its
unfinished steps, record its state. Every executor calls `execute_run`; the claim makes a run happen once
however many processes try (see `state`)."""

from __future__ import annotations

import os
import shutil
import time
import traceback
from pathlib import Path
from typing import Callable

from ..errors import CrossinError
from ..io import RESULTS_FILE, atomic_write_text, confined, remove_stale_tmp, write_json
from .config import ExecutorConfig, ExperimentConfig, Run
from .state import LOG_FILE, RunLock, now, read_run_state, regular_or_absent, this_process, write_run_state
from .steps import Steps, die_with_parent

# What execute_run says happened
DONE, FAILED, SKIPPED, HELD, OTHER_SETTINGS = "done", "failed", "skipped", "held", "other settings"


class RunLog:
    """The run's messages to the caller's log and to arms/<run>/log.txt (appended: every attempt stays)."""

    def __init__(self, path: Path, log: Callable[[str], None]):
        self.path, self.log = path, log
        path.parent.mkdir(parents=True, exist_ok=True)
        regular_or_absent(path, "run log")  # appending to a FIFO would block the run forever

    def __call__(self, message: str) -> None:
        self.log(message)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(f"{now()} {message}\n")


def execute_run(cfg: ExperimentConfig, run: Run, out: Path, fingerprint: str, meta: dict, steps: Steps,
                log: Callable[[str], None], *, wait: bool = False, where: dict | None = None, label: str = "") -> str:
    """Claim the run (waiting for its holder when `wait`), run what is left of it, record the outcome.

    Returns DONE / FAILED, SKIPPED (finished earlier), HELD (another live process runs it) or OTHER_SETTINGS
    (finished earlier under other settings)."""
    out = Path(out)
    where = where or this_process()
    lock = RunLock(out, run.name)
    if not lock.acquire(where, wait=wait):
        return HELD
    try:
        state = read_run_state(out, run.name)  # again, now that it is ours: it may have finished meanwhile
        if state.get("status") == "done":
            if state.get("fingerprint") == fingerprint:
                log(f"{label}{run.name}: done earlier, skipped")
                return SKIPPED
            log(f"{label}{run.name}: finished earlier under other settings; not run again")
            return OTHER_SETTINGS
        folder = confined(out / "arms", run.name)
        if state.get("fingerprint") not in (None, fingerprint):
            # An unfinished run whose settings changed (say, a smaller batch after running out of memory) starts
            # over: its partial data, checkpoints and cache-backed eval belong to the old settings.
            shutil.rmtree(folder, ignore_errors=True)
            state = {"status": "pending", "steps": {}}
            log(f"{run.name}: settings changed since its unfinished attempt; starting it over")
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale_tmp(folder)  # ours alone now: whatever temp file is here was left by a dead attempt
        write_json(folder / "arm.json", meta)
        state.update(status="running", fingerprint=fingerprint, error=None, started=now(), finished=None,
                     attempts=state.get("attempts", 0) + 1, **where)
        write_run_state(out, run.name, state)
        runlog = RunLog(folder / LOG_FILE, log)
        steps.log = runlog
        runlog(f"{label}{run.name}: running on {where['host']} (pid {where['pid']}"
               + (f", {where['executor']} job {where['job_id']})" if where.get("job_id") else ")"))
        t0 = time.time()
        try:
            run_steps(cfg, run, out, folder, state, steps, runlog)
        except Exception as e:  # one failed run must not stop the others; KeyboardInterrupt still does
            atomic_write_text(folder / "error.txt", traceback.format_exc())
            _record_end(out, run.name, state, t0, status="failed", error=f"{type(e).__name__}: {e}")
            runlog(f"{label}{run.name}: FAILED: {type(e).__name__}: {e} (see {folder / 'error.txt'})")
            return FAILED
        finally:
            steps.log = None
        _record_end(out, run.name, state, t0, status="done")
        runlog(f"{label}{run.name}: done in {time.time() - t0:.0f} s")
        return DONE
    finally:
        lock.release()


def _record_end(out: Path, name: str, state: dict, t0: float, **end) -> None:
    """A run's end in its state.json: status (and error), when, and the wall time of all its attempts."""
    state.update(**end, finished=now())
    state["wall_s"] = round(state.get("wall_s", 0) + time.time() - t0, 1)
    write_run_state(out, name, state)


def run_steps(cfg: ExperimentConfig, run: Run, out: Path, folder: Path, state: dict, steps: Steps, log) -> None:
    """The run's steps that have not finished; each finished step is written to its state.json at once."""
    done = state["steps"]

    def save():
        write_run_state(out, run.name, state)

    def once(step: str, key: str, make) -> Path:
        """The step's output path: made now and recorded, or as recorded by an earlier attempt."""
        if step not in done:
            made = make()
            done[step] = {key: _relative(made, folder), "finished": now()}
            save()
            log(f"    {step}: {made}")
        return folder / done[step][key]

    adapter: Path | None = None
    if not run.zero_shot:
        data_dir = once("data", "path", lambda: steps.data(cfg, run, folder))
        adapter = once("train", "adapter", lambda: steps.train(cfg, run, folder, data_dir))
        if run.arm.then:  # a preference stage on the SFT adapter (ArmConfig.then)
            sft = adapter
            pairs = once("pairs", "path", lambda: steps.pairs(cfg, run, folder, sft))
            adapter = once("then", "adapter", lambda: steps.then(cfg, run, folder, pairs, sft))
    if cfg.eval_checkpoints and not run.zero_shot and "checkpoints" not in done:
        done["checkpoints"] = {"steps": steps.eval_checkpoints(cfg, run, folder), "finished": now()}
        save()
    results = steps.eval(cfg, run, folder, adapter)
    done["eval"] = {"finished": now(), "benchmarks": sorted(results) if isinstance(results, dict) else list(cfg.benchmarks)}
    missing = [b for b in bench_names(cfg) if not (folder / "eval" / b / RESULTS_FILE).exists()]
    if missing:
        raise CrossinError(f"evaluation wrote no results for {', '.join(missing)}", path=str(folder / "eval"))
    if adapter is not None:
        from ..publish.card import add_results_to_card
        from ..report.loading import find_runs

        add_results_to_card(adapter, find_runs([folder / "eval"]))  # the adapter's model card gets its model-index
    save()


def _relative(path: Path, folder: Path) -> str:
    """Paths in state.json are relative to the run folder, so a moved experiment folder still resumes."""
    try:
        return str(Path(path).resolve().relative_to(folder.resolve()))
    except ValueError:
        return str(Path(path).resolve())


def bench_names(cfg: ExperimentConfig) -> list[str]:
    from ..benchmarks.registry import get_spec

    return [get_spec(b).name for b in cfg.benchmarks]


def _print(message: str) -> None:
    print(message, flush=True)


# ------------------------------------------------------------------------ entry points of the executors' jobs


def worker_gpus(queue, parent: int) -> None:
    """Initializer of a local worker process: it dies with its parent, and takes one set of GPUs for its whole
    life (before torch loads)."""
    die_with_parent(parent)
    gpus = queue.get()
    if gpus is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = gpus


def local_job(cfg: ExperimentConfig, run: Run, out: str, fingerprint: str, meta: dict, ex: ExecutorConfig) -> str:
    """One run in a worker process of `--max-parallel N` (waits for the run when another process holds it)."""
    return execute_run(cfg, run, Path(out), fingerprint, meta, Steps(ex.gpus_per_run, ex.accelerate_config), _print,
                       wait=True, where=this_process("local"))


class SlurmJob:
    """The callable a Slurm job runs (pickled by submitit). `checkpoint` makes it requeue-able: when Slurm
    preempts the job or its time runs out, submitit calls it and requeues the same call, which claims the run
    again and resumes it from its last finished step, training checkpoint and eval request cache."""

    def __init__(self, cfg: ExperimentConfig, run: Run, out: str, fingerprint: str, meta: dict, ex: ExecutorConfig):
        self.args = (cfg, run, out, fingerprint, meta, ex)

    def __call__(self) -> str:
        cfg, run, out, fingerprint, meta, ex = self.args
        outcome = execute_run(cfg, run, Path(out), fingerprint, meta, Steps(ex.gpus_per_run, ex.accelerate_config),
                              _print, wait=False, where=this_process("slurm"))
        if outcome == FAILED:
            raise RuntimeError(f"run {run.name} failed: {read_run_state(Path(out), run.name).get('error')}")
        return outcome

    def checkpoint(self, *args, **kwargs):
        from submitit.helpers import DelayedSubmission

        return DelayedSubmission(self, *args, **kwargs)


def ray_job(cfg: ExperimentConfig, run: Run, out: str, fingerprint: str, meta: dict, ex: ExecutorConfig) -> str:
    """The function of a Ray task; Ray runs it again on another worker when its worker dies (max_retries)."""
    import ray

    task = ray.get_runtime_context().get_task_id()
    return execute_run(cfg, run, Path(out), fingerprint, meta, Steps(ex.gpus_per_run, ex.accelerate_config), _print,
                       wait=True, where=this_process("ray", task))
