"""crossin experiment past one process: real Slurm (.ci/setup_slurm.sh), a real local Ray cluster, two concurrent
`crossin experiment run` processes on one folder, the status table, the per-run state and its lock.

The micro experiment (configs/experiments/micro.yaml) on the tiny random model; its training has STEPS steps here
(a checkpoint after each), so a job can be cancelled or a worker killed in the middle of it. Every run folder gets
its own eval request cache, so results are computed, not read back from another run's answers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from test_experiment import CONFIGS, FakeSteps, tiny_model, write_config  # noqa: F401 (tiny_model: a fixture)
from typer.testing import CliRunner

from crossin.cli import app
from crossin.config import build_config
from crossin.errors import CrossinError
from crossin.experiment import accelerate_command, load_experiment, run_experiment, status_rows, train_config
from crossin.experiment.state import RunLock, slurm_active, this_process
from crossin.io import read_json, write_json
from crossin.train import TrainConfig

RUNS = ("zero-shot", "x2x-n8")


# Training steps of the trained run (a checkpoint after each): enough that cancelling or killing it after the first
# checkpoint lands mid-training even on an idle machine, where one step of the tiny model takes milliseconds.
STEPS = 24


def micro_config(path: Path, model: Path, cache: Path, **train) -> Path:
    """micro.yaml with the tiny model, its own eval cache and STEPS training steps."""
    cfg = yaml.safe_load((CONFIGS / "micro.yaml").read_text())
    cfg["model"] = str(model)
    cfg["eval"]["cache_dir"] = str(cache)
    cfg["train"].update({"max_steps": STEPS, **train})
    path.write_text(yaml.safe_dump(cfg))
    return path


def crossin(*args, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "crossin", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **popen)


def finish(proc: subprocess.Popen, timeout: float = 900) -> str:
    output, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, output[-3000:]
    return output


def wait_for(condition, timeout: float, what: str, step: float = 0.2, proc: subprocess.Popen | None = None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"crossin ended (exit {proc.returncode}) before {what}: {proc.stdout.read()[-3000:]}")
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def checkpoint_1(out: Path) -> bool:
    return (out / "arms" / "x2x-n8" / "train" / "checkpoints" / "checkpoint-1" / "trainer_state.json").exists()


def results(out: Path, name: str) -> tuple[dict, list]:
    folder = out / "arms" / name / "eval" / "cross-mmlu"
    samples = [json.loads(line) for line in (folder / "samples_cross-mmlu.jsonl").open()]
    return read_json(folder / "results.json"), sorted((s["id"], s["lang"], s["option_scores"]) for s in samples)


def assert_same_results(out: Path, reference: Path) -> None:
    for name in RUNS:
        (res, samples), (ref, ref_samples) = results(out, name), results(reference, name)
        for key in ("accuracy", "consistency", "ac3", "kappa"):
            assert res[key] == ref[key], (name, key)
        assert [s[:2] for s in samples] == [s[:2] for s in ref_samples]
        np.testing.assert_allclose([s[2] for s in samples], [s[2] for s in ref_samples], rtol=1e-5, atol=1e-6)


def assert_resumed_once(out: Path) -> None:
    """x2x-n8 ran twice (interrupted, then resumed): its training steps are each logged once (it went on from its
    checkpoint instead of starting over) and its data was built once."""
    state = read_json(out / "arms" / "x2x-n8" / "state.json")
    assert state["status"] == "done" and state["attempts"] == 2, state
    log = (out / "arms" / "x2x-n8" / "train" / "train_log.jsonl").read_text().splitlines()
    assert [json.loads(row)["step"] for row in log if "loss" in json.loads(row)] == list(range(1, STEPS + 1))
    lines = (out / "arms" / "x2x-n8" / "log.txt").read_text().splitlines()
    assert sum("x2x-n8: running on" in line for line in lines) == 2
    assert sum(line.strip().endswith("/data") and "data:" in line for line in lines) == 1


@pytest.fixture(scope="module")
def reference(tiny_model, tmp_path_factory):  # noqa: F811
    """The micro experiment run uninterrupted, in one process (the local executor)."""
    tmp = tmp_path_factory.mktemp("reference")
    config = micro_config(tmp / "micro.yaml", tiny_model, tmp / "cache")
    run_experiment(config, tmp / "out", log=lambda _m: None, report=False)
    return tmp / "out"


# ------------------------------------------------------------------------------------------------- Slurm


def test_slurm_cancelled_job_resumes_and_equals_a_local_run(tiny_model, reference, tmp_path):  # noqa: F811
    assert shutil.which("sinfo"), "no Slurm on this machine: run .ci/setup_slurm.sh as root"
    config = micro_config(tmp_path / "micro.yaml", tiny_model, tmp_path / "cache")
    out = tmp_path / "out"
    slurm = ("--executor", "slurm", "--cpus-per-run", "1", "--poll-s", "1")
    # Submit and return: one job per run, in one array.
    output = finish(crossin("experiment", "run", config, "--out", out, *slurm, "--detach"), timeout=120)
    jobs = {name: read_json(out / "arms" / name / "job.json")["job_id"] for name in RUNS}
    assert len({j.split("_")[0] for j in jobs.values()}) == 1  # one array
    for name, job in jobs.items():
        assert f"{name}: Slurm job {job}" in output
    # Cancel the trained run's job in the middle of its training.
    wait_for(lambda: checkpoint_1(out), 600, "x2x-n8's first checkpoint", step=0.05)
    # Freeze the job's process first: on an idle machine the tiny model's last steps take less than scancel's latency.
    os.kill(read_json(out / "arms" / "x2x-n8" / "state.json")["pid"], signal.SIGSTOP)
    subprocess.run(["scancel", jobs["x2x-n8"]], check=True)
    wait_for(lambda: slurm_active(list(jobs.values())) == set(), 300, "both jobs to leave the queue", step=1)
    rows = {r["run"]: r for r in status_rows(out)}
    assert rows["x2x-n8"]["status"] == "interrupted" and rows["zero-shot"]["status"] == "done"
    assert not (out / "arms" / "x2x-n8" / "train" / "adapter" / "adapter_config.json").exists()
    # Rerun: only the cancelled run gets a new job; it resumes; the command follows it and writes the report.
    output = finish(crossin("experiment", "run", config, "--out", out, *slurm), timeout=900)
    assert "zero-shot: done earlier, skipped" in output and "x2x-n8: Slurm job" in output
    assert read_json(out / "arms" / "zero-shot" / "state.json")["attempts"] == 1
    assert_resumed_once(out)
    assert_same_results(out, reference)
    assert {r["name"] for r in read_json(out / "report" / "report.json")["runs"]} == set(RUNS)


# --------------------------------------------------------------------------------------------------- Ray


def test_ray_equals_local_and_a_killed_worker_is_retried(tiny_model, reference, tmp_path):  # noqa: F811
    config = micro_config(tmp_path / "micro.yaml", tiny_model, tmp_path / "cache")
    out = tmp_path / "out"
    proc = crossin("experiment", "run", config, "--out", out, "--executor", "ray", "--ray-cpus", "2",
                   "--cpus-per-run", "1", "--poll-s", "1")
    try:
        wait_for(lambda: checkpoint_1(out), 600, "x2x-n8's first checkpoint", proc=proc)
        state = read_json(out / "arms" / "x2x-n8" / "state.json")
        assert state["executor"] == "ray" and state["status"] == "running"
        os.kill(state["pid"], signal.SIGKILL)  # the Ray worker running the task dies mid-training
        output = finish(proc, timeout=900)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "x2x-n8: Ray task" in output
    assert_resumed_once(out)
    pids = [line for line in (out / "arms" / "x2x-n8" / "log.txt").read_text().splitlines() if "running on" in line]
    assert str(state["pid"]) in pids[0] and str(state["pid"]) not in pids[1]  # retried on another worker
    assert_same_results(out, reference)


# ---------------------------------------------------------------------------- two processes, one folder


def test_two_concurrent_processes_run_every_run_exactly_once(tiny_model, tmp_path):  # noqa: F811
    config = micro_config(tmp_path / "micro.yaml", tiny_model, tmp_path / "cache", max_steps=1)
    cfg = yaml.safe_load(config.read_text())
    cfg["arms"] = [{"recipe": "x2x", "n": 8}, {"recipe": "en2x", "n": 8}]
    cfg["eval"]["limit"] = 3
    config.write_text(yaml.safe_dump(cfg))
    out = tmp_path / "out"
    a = crossin("experiment", "run", config, "--out", out, "--max-parallel", "2", "--no-report")
    b = crossin("experiment", "run", config, "--out", out, "--only", "en2x-n8", "--only", "x2x-n8", "--no-report")
    finish(a), finish(b)
    names = ["zero-shot", "x2x-n8", "en2x-n8"]
    states = {n: read_json(out / "arms" / n / "state.json") for n in names}
    assert all(s["status"] == "done" and s["attempts"] == 1 for s in states.values()), states
    for name in names:  # each run's steps ran once, in one process
        log = (out / "arms" / name / "log.txt").read_text()
        assert log.count(f"{name}: running on") == 1 and log.count(" done in ") == 1
    assert len({s["pid"] for s in states.values()}) >= 2
    assert {r["status"] for r in status_rows(out)} == {"done"}


# ------------------------------------------------------------------------------------------- status table


HOLD = """
import sys, time
from pathlib import Path
from crossin.experiment.state import RunLock, this_process, write_run_state
out, name = Path(sys.argv[1]), sys.argv[2]
assert RunLock(out, name).acquire(this_process("slurm", "77_1"))
write_run_state(out, name, {"status": "running", "steps": {"data": {}}, "started": "2026-01-01T00:00:00Z",
                            **this_process("slurm", "77_1")})
(out / "arms" / name / "log.txt").write_text("step 3/10 loss 2.5\\n")
print("holding", flush=True)
time.sleep(600)
"""


def test_status_shows_done_running_failed_and_pending_runs(tmp_path):
    arms = [{"recipe": "en-only"}, {"recipe": "x2x", "n": 8}, {"recipe": "en2x", "n": 8}, {"recipe": "x2en", "n": 8}]
    config = write_config(tmp_path / "c.yaml", arms=arms, n_boot=100)
    out = tmp_path / "exp"
    run_experiment(config, out, only=["zero-shot", "en-only", "x2x-n8"], steps=FakeSteps(fail={"x2x-n8": "train"}),
                   log=lambda _m: None, report=False)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out), "en2x-n8"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        rows = {r["run"]: r for r in status_rows(out)}
        assert {n: r["status"] for n, r in rows.items()} == {
            "zero-shot": "done", "en-only": "done", "x2x-n8": "failed", "en2x-n8": "running", "x2en-n8": "pending"}
        assert rows["x2x-n8"]["error"] == "RuntimeError: simulated crash in train"
        assert rows["en2x-n8"]["where"] == f"{this_process()['host']}:{holder.pid}"
        assert rows["en2x-n8"]["job"] == "77_1" and rows["en2x-n8"]["last_log"] == "step 3/10 loss 2.5"
        assert rows["en2x-n8"]["elapsed_s"] > 3600  # since its start
        assert rows["x2x-n8"]["last_log"].startswith("[3/3] x2x-n8: FAILED: RuntimeError: simulated crash in train")
        res = CliRunner().invoke(app, ["experiment", "status", str(out)], env={"COLUMNS": "250"})
        assert res.exit_code == 0, res.output
        for name, status in (("zero-shot", "done"), ("x2x-n8", "failed"), ("en2x-n8", "running"), ("x2en-n8", "pending")):
            assert any(name in line and f" {status} " in line for line in res.output.splitlines()), res.output
        # Another process does not take a run someone holds.
        assert not RunLock(out, "en2x-n8").acquire(this_process())
    finally:
        holder.kill()
        holder.wait()
    # A dead holder's lock holds nothing: the run is interrupted and the next process may claim it.
    rows = {r["run"]: r for r in status_rows(out)}
    assert rows["en2x-n8"]["status"] == "interrupted"
    lock = RunLock(out, "en2x-n8")
    assert lock.acquire(this_process())
    lock.release()
    res = CliRunner().invoke(app, ["experiment", "status", str(tmp_path / "nothing")])
    assert res.exit_code == 2 and "not an experiment folder" in res.output


# ------------------------------------------------------------------------------------- state, config, accelerate


def test_old_single_state_file_is_migrated(tmp_path):
    config = write_config(tmp_path / "c.yaml", n_boot=100)
    out = tmp_path / "exp"
    run_experiment(config, out, steps=FakeSteps(fail={"x2x-n8": "eval"}), log=lambda _m: None, report=False)
    # the layout of earlier versions: one state.json for every run
    old = {"runs": {}}
    for name in ("zero-shot", "en-only", "x2x-n8"):
        path = out / "arms" / name / "state.json"
        old["runs"][name] = read_json(path)
        path.unlink()
    write_json(out / "state.json", old)
    steps = FakeSteps()
    result = run_experiment(config, out, steps=steps, log=lambda _m: None, report=False)
    assert steps.calls == [("eval", "x2x-n8")]  # finished runs and steps were read from the old file
    assert all(e["status"] == "done" for e in result["state"]["runs"].values())
    assert not (out / "state.json").exists() and (out / "state.json.migrated").exists()


@pytest.mark.parametrize("fields, flags, message", [
    ({"executor": {"type": "pbs"}}, {}, "executor: type: must be one of local, slurm, ray"),
    ({"executor": {"partiton": "gpu"}}, {}, "did you mean partiton -> partition"),
    ({}, {"sbatch": ["=x"]}, "executor: sbatch"),
    ({}, {"type": "local", "max_parallel": 2}, "--detach needs --executor slurm"),
    ({}, {"gpus_per_run": 2, "accelerate_config": "zero9"}, "accelerate_config: .*zero9.yaml not found"),
])
def test_executor_settings_are_checked_before_any_work(tmp_path, fields, flags, message):
    config = write_config(tmp_path / "c.yaml", **fields)
    with pytest.raises(CrossinError, match=message):
        run_experiment(config, tmp_path / "out", executor=flags, detach="detach" in message, steps=FakeSteps(),
                       log=lambda _m: None)
    assert not (tmp_path / "out" / "arms").exists()


def test_cli_executor_flags_and_yaml_section(tmp_path):
    config = write_config(tmp_path / "c.yaml", executor={"type": "ray", "gpus_per_run": 1})
    res = CliRunner().invoke(app, ["experiment", "run", str(config), "--out", str(tmp_path / "o"), "--detach"])
    assert res.exit_code == 2 and "--detach needs --executor slurm" in res.output  # the YAML's executor is ray
    res = CliRunner().invoke(app, ["experiment", "run", str(config), "--out", str(tmp_path / "o"), "--executor", "pbs"])
    assert res.exit_code == 2 and "type: must be one of local, slurm, ray" in " ".join(res.output.split())


def test_several_gpus_per_run_train_through_accelerate_launch(tmp_path):
    cfg, runs = load_experiment(CONFIGS / "paper.yaml")
    run = next(r for r in runs if r.name == "Mistral-7B-v0.1__x2x-n15000")
    config = train_config(cfg, run, tmp_path / "data", tmp_path / "train")
    assert config.model == "mistralai/Mistral-7B-v0.1"  # the run's own base model
    command = accelerate_command(config, 4, "zero2", tmp_path / "train_config.yaml")
    assert command[:3] == [sys.executable, "-m", "accelerate.commands.launch"]
    flags = dict(zip(command[3:11:2], command[4:11:2]))
    assert Path(flags["--config_file"]).name == "zero2.yaml" and Path(flags["--config_file"]).is_file()
    assert flags["--num_processes"] == "4" and flags["--num_machines"] == "1" and int(flags["--main_process_port"]) > 0
    assert command[11:] == ["-m", "crossin", "train", "--config", str(tmp_path / "train_config.yaml")]
    # What `crossin train --config` reads back is the run's training config, the paper's settings included.
    assert build_config(TrainConfig, command[-1]) == config
    assert config.learning_rate == 1e-4 and config.lora_r == 64 and config.seed == run.seed


def test_local_workers_get_their_own_gpus(monkeypatch):
    from crossin.experiment import ExecutorConfig
    from crossin.experiment.executors import gpu_groups

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1,2,3")
    assert gpu_groups(ExecutorConfig(max_parallel=4)) == ["0", "1", "2", "3"]
    assert gpu_groups(ExecutorConfig(max_parallel=2, gpus_per_run=2)) == ["0,1", "2,3"]
    with pytest.raises(CrossinError, match="needs 6 GPUs; this machine has 4"):
        gpu_groups(ExecutorConfig(max_parallel=3, gpus_per_run=2))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")
    assert gpu_groups(ExecutorConfig(max_parallel=2)) == [None, None]  # one GPU: shared, as it is
