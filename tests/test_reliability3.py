"""Issue 35's classes beyond the fuzz suite: good inputs still pass the new checks, pool workers die with their
parent (a real SIGKILL), real Slurm refuses an impossible request in one line and a never-start reason fails the
follow, Slurm names cannot inject script lines, and letter spellings that tie are merged by token id only."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_experiment import write_config
from test_fuzz_inputs import adapter_damages, tiny_adapter
from typer.testing import CliRunner

from crossin.cli import app
from crossin.errors import CrossinError

SRC = str(Path(__file__).resolve().parents[1] / "src")


def test_good_adapters_of_both_layouts_pass_the_folder_check(tiny_dir, tmp_path):
    from crossin.serve.config import ServeConfig
    from crossin.models.adapter_check import check_adapter_folder

    for compact in (False, True):
        folder = tiny_adapter(tiny_dir, tmp_path / f"a{compact}", compact=compact)
        assert check_adapter_folder(folder, tiny_dir)["r"] == 4
        cfg = ServeConfig(model=str(tiny_dir), adapter=str(folder), lora_modules=[f"x={folder}"])
        assert cfg.validate() is None and cfg.lora_adapters() == {"x": str(folder)}
    bad = tiny_adapter(tiny_dir, tmp_path / "bad")
    (bad / "adapter_model.safetensors").write_bytes(b"\0" * 3)
    for kwargs in ({"adapter": str(bad)}, {"lora_modules": [f"x={bad}"]}):
        with pytest.raises(CrossinError, match="adapter weights: empty or truncated"):
            ServeConfig(model=str(tiny_dir), **kwargs).validate()


def test_serve_refuses_every_adapter_damage_before_the_model_loads(tiny_dir, tmp_path):
    """The fuzz suite's adapter damages (both layouts) through `serve --adapter` and `--lora-modules`'s check."""
    from crossin.serve.config import ServeConfig

    damages = adapter_damages(tiny_dir, tmp_path)
    assert len(damages) >= 80
    for label, folder in damages:
        for kwargs in ({"adapter": str(folder)}, {"lora_modules": [f"x={folder}"]}):
            started = time.perf_counter()
            with pytest.raises(CrossinError) as caught:
                ServeConfig(model=str(tiny_dir), **kwargs).validate()
            assert time.perf_counter() - started < 5, label
            assert "\n" not in str(caught.value) and "Traceback" not in str(caught.value), label


def test_status_of_a_sound_folder_still_prints_its_table(tmp_path):
    out = tmp_path / "e"
    (out / "arms" / "a").mkdir(parents=True)
    (out / "experiment.json").write_text('{"runs": [{"name": "a"}]}')
    (out / "arms" / "a" / "state.json").write_text('{"status": "done", "steps": {}, "wall_s": 61.5}')
    (out / "arms" / "a" / "log.txt").write_text("2026-01-01T00:00:00Z a: done in 61 s\n")
    res = CliRunner().invoke(app, ["experiment", "status", str(out)], terminal_width=200)
    assert res.exit_code == 0 and "done" in res.output and "1m01s" in res.output and "a: done in 61 s" in res.output


def test_tied_letter_spellings_of_different_tokens_both_count():
    """Two spellings with the same log-probability: one token counts once, two tokens count twice."""
    import math

    from crossin.evaluate.scoring import letter_scores, letter_spellings

    answers = [(-1.0, 1, False)] * 2 + [(-2.0, 1, False)] * 2
    spellings = letter_spellings(2)
    distinct = {s: (i,) for i, s in enumerate(spellings)}
    same = {"A": (7,), " A": (7,), "B": (8,), " B": (9,)}
    assert letter_scores(answers, 2, distinct) == pytest.approx([-1 + math.log(2), -2 + math.log(2)])
    assert letter_scores(answers, 2, same) == pytest.approx([-1.0, -2 + math.log(2)])


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_pool_workers_die_with_their_killed_parent(tmp_path):
    """SIGKILL of `crossin experiment run --max-parallel 2`: no worker is alive 10 s later."""
    config = write_config(tmp_path / "c.yaml")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "crossin", "experiment", "run", str(config), "--out",
                             str(tmp_path / "out"), "--max-parallel", "2", "--cpus-per-run", "1"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        workers = [c for c in _children(proc.pid)
                   if "multiprocessing" in Path(f"/proc/{c}/cmdline").read_bytes().decode(errors="replace")
                   and "resource_tracker" not in Path(f"/proc/{c}/cmdline").read_bytes().decode(errors="replace")]
        if len(workers) >= 2:
            break
        time.sleep(0.1)
    assert len(workers) >= 2, f"the pool never had 2 workers (exit {proc.poll()})"
    time.sleep(1)  # past the workers' initializer
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(10)
    survivors = [w for w in workers if _alive(w)]
    for w in survivors:
        os.kill(w, signal.SIGKILL)
    assert not survivors, f"workers alive 10 s after their parent's SIGKILL: {survivors}"


# ------------------------------------------------------------------------------------------- real Slurm

def _run_cli(*args, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "crossin", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=timeout)


def test_slurm_request_the_cluster_can_never_satisfy_is_one_line(tmp_path):
    config = write_config(tmp_path / "c.yaml")
    for flags in (["--mem-gb", "100000"], ["--cpus-per-run", "4096"], ["--partition", "nosuchpartition"],
                  ["--sbatch", "nosuchoption=1"], ["--gpus-per-run", "1", "--cpus-per-run", "1"]):
        started = time.time()
        proc = _run_cli("experiment", "run", config, "--out", tmp_path / "out", "--executor", "slurm", *flags)
        assert time.time() - started < 60
        assert proc.returncode == 2 and proc.stderr.startswith("error: Slurm can never run this request"), proc.stderr
        assert proc.stderr.count("\n") == 1 and not (tmp_path / "out" / "jobs").exists(), proc.stderr


def test_slurm_without_sbatch_on_path_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no sbatch here
    config = write_config(tmp_path / "c.yaml")
    res = CliRunner().invoke(app, ["experiment", "run", str(config), "--out", str(tmp_path / "out"), "--executor",
                                   "slurm"])
    assert res.exit_code == 2 and res.output.startswith("error: --executor slurm: sbatch is not on PATH"), res.output


def test_slurm_names_cannot_add_lines_to_the_job_script(tmp_path):
    config = write_config(tmp_path / "c.yaml")
    for flag in ("--partition", "--account", "--qos"):
        proc = _run_cli("experiment", "run", config, "--out", tmp_path / "out", "--executor", "slurm", flag,
                        "debug\n#SBATCH --wrap=touch " + str(tmp_path / "pwned"))
        assert proc.returncode == 2 and f"executor: {flag[2:]}: " in proc.stderr, proc.stderr
    assert not (tmp_path / "out" / "jobs").exists() and not (tmp_path / "pwned").exists()


def test_a_job_slurm_will_never_start_fails_the_follow(tmp_path):
    """A real pending job whose reason means never (2 nodes on a 1-node partition): one line, the job cancelled."""
    from crossin.experiment.config import ExecutorConfig
    from crossin.experiment.executors import follow_slurm
    from crossin.experiment.state import slurm_active, status_rows, write_job

    script = tmp_path / "job.sh"
    script.write_text("#!/bin/bash\nsleep 1\n")
    job = subprocess.run(["sbatch", "--parsable", "-N", "2", "-c", "1", "-o", "/dev/null", str(script)],
                         capture_output=True, text=True, check=True).stdout.strip().split(";")[0]
    (tmp_path / "arms" / "a").mkdir(parents=True)
    write_job(tmp_path, "a", "slurm", job)
    try:
        rows = status_rows(tmp_path)
        assert rows[0]["status"] == "queued" and "pending: " in rows[0]["where"], rows
        logged = []
        started = time.time()
        with pytest.raises(CrossinError, match=f"Slurm job {job} of run a can never start"):
            follow_slurm(ExecutorConfig(poll_s=1), {"a": job}, tmp_path, logged.append)
        assert time.time() - started < 60 and any("pending: Partition" in m for m in logged), logged
        deadline = time.time() + 30
        while slurm_active([job]) and time.time() < deadline:
            time.sleep(0.5)
        assert not slurm_active([job])
    finally:
        subprocess.run(["scancel", job], capture_output=True)


def test_a_password_in_a_refused_url_is_never_printed():
    for url in ("http://user:PASSWORD@host:99999/v1", "ftp://user:PASSWORD@host/v1", "http://u:PASSWORD@ho st/v1"):
        res = CliRunner().invoke(app, ["score", "--extractor", "judge", "--judge-base-url", url, "--judge-model",
                                       "openai:m", "--bench", "cross-mmlu", "-p", "x.jsonl"])
        assert res.exit_code == 2 and "error:" in res.output and "***@" in res.output, res.output
        assert "PASSWORD" not in res.output


def test_report_baseline_that_is_no_run_is_refused_even_with_one_run(tmp_path):
    import json

    from test_fuzz_inputs import mmlu_row

    pred = tmp_path / "pred.jsonl"
    pred.write_text(json.dumps({"id": mmlu_row()["id"], "lang": "en", "choice": 0}) + "\n")
    results = tmp_path / "runs" / "only" / "cross-mmlu" / "results.json"
    results.parent.mkdir(parents=True)
    runner = CliRunner()
    assert runner.invoke(app, ["score", "--bench", "cross-mmlu", "--langs", "en,zh", "-p", str(pred), "--allow-missing",
                               "--out", str(results)]).exit_code == 0
    res = runner.invoke(app, ["report", str(tmp_path / "runs"), "--out", str(tmp_path / "r"), "--baseline", "nobody"])
    assert res.exit_code == 2 and res.output.startswith("error: --baseline 'nobody' is not one of the runs: ")
    assert not (tmp_path / "r").exists()
    assert runner.invoke(app, ["report", str(tmp_path / "runs"), "--out", str(tmp_path / "r"), "--baseline",
                               "runs/only"]).exit_code == 0
