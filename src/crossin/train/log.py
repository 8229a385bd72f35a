"""The training log: one JSONL row per logging step (step, loss, lr, grad norm, tokens/s) and the loss plot."""

from __future__ import annotations

import json
import time
from pathlib import Path

from ..io import pyplot, save_figure, write_jsonl


def make_log_callback(log_path: Path):
    """A TrainerCallback appending one JSONL row per logging step: step, loss, lr, tokens/s.

    Appended, not rewritten (a rewrite per step grows quadratically over a long run); a resume rewrites the log
    atomically with the rows up to its checkpoint, dropping the interrupted tail and any line cut short."""
    from transformers import TrainerCallback

    class JsonlLog(TrainerCallback):
        def __init__(self):
            self.rows: list[dict] = []
            self.last_time = None
            self.last_tokens = None

        def on_train_begin(self, args, state, control, **kwargs):
            if state.is_world_process_zero:
                if log_path.exists() and state.global_step > 0:
                    self.rows = [r for r in _read_log_rows(log_path) if r.get("step", 0) <= state.global_step]
                write_jsonl(log_path, self.rows)
            self.last_time = time.perf_counter()

        def on_log(self, args, state, control, logs=None, **kwargs):
            if not state.is_world_process_zero or not logs or "loss" not in logs:
                return
            now = time.perf_counter()
            tokens = logs.get("num_tokens")
            row = {"step": state.global_step, "epoch": round(state.epoch or 0.0, 4), "loss": logs["loss"],
                   "learning_rate": logs.get("learning_rate"), "grad_norm": logs.get("grad_norm"),
                   "tokens": tokens}
            if tokens is not None and self.last_tokens is not None and now > self.last_time:
                row["tokens_per_s"] = round((tokens - self.last_tokens) / (now - self.last_time), 2)
            elif tokens is not None and now > self.last_time and not self.rows:
                row["tokens_per_s"] = round(tokens / (now - self.last_time), 2)
            self.last_time, self.last_tokens = now, tokens
            self.rows.append(row)
            with open(log_path, "a", encoding="utf-8") as log:
                log.write(json.dumps(row) + "\n")

    return JsonlLog()


def make_estimate_callback(say):
    """A TrainerCallback that measures this run's first optimizer step and says what the whole run will take
    (a measurement on this machine, not a constant: CPU steps vary tens of times with load, model and lengths)."""
    from transformers import TrainerCallback

    class FirstStepEstimate(TrainerCallback):
        def __init__(self):
            self.started = None
            self.first_step = None

        def on_step_begin(self, args, state, control, **kwargs):
            if self.started is None:
                self.started, self.first_step = time.perf_counter(), state.global_step + 1

        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step != self.first_step or not state.is_world_process_zero:
                return
            seconds = time.perf_counter() - self.started
            left = max(state.max_steps - state.global_step, 0)
            say(f"step {state.global_step} of {state.max_steps} took {seconds:.1f} s; the {left} left: about "
                f"{_duration(seconds * left)} at that pace")

    return FirstStepEstimate()


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _read_log_rows(log_path: Path) -> list[dict]:
    rows = []
    for line in log_path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut short when the run was killed
    return rows


def plot_loss(log_path: Path, png_path: Path, title: str = "") -> None:
    """Training loss (and learning rate, right axis) against optimizer step."""
    import matplotlib.ticker

    plt = pyplot()

    rows = _read_log_rows(log_path)
    if not rows:
        return
    steps = [r["step"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    ax.plot(steps, [r["loss"] for r in rows], color="tab:blue", marker="." if len(rows) < 50 else None,
            label="training loss")
    ax.set_xlabel("optimizer step")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_ylabel("loss (response tokens)")
    ax.grid(alpha=0.3)
    if any(r.get("learning_rate") is not None for r in rows):
        ax2 = ax.twinx()
        ax2.plot(steps, [r.get("learning_rate") or 0.0 for r in rows], color="tab:orange", alpha=0.6,
                 label="learning rate")
        ax2.set_ylabel("learning rate")
        ax2.ticklabel_format(axis="y", style="sci", scilimits=(0, 0))
    ax.set_title(title or "Training loss")
    fig.legend(loc="upper right", bbox_to_anchor=(0.88, 0.88))
    fig.tight_layout()
    save_figure(fig, png_path)
