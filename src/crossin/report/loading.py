"""Finding eval runs and reading what they wrote: results.json, samples_<bench>.jsonl, arm.json, and the recipe
an adapter was trained on (from its training folder)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import CrossinError
from ..io import RESULTS_FILE, iter_jsonl, parse_json, read_json, read_text, samples_file
from ..langs import to_code
from ..metrics import HEADLINE_K, headline_k
from ..predictions import MatrixBuilder, PredictionMatrix
from ..schemas import ARM, NOT_TEXT, RESULTS, check_record

ARM_FILE = "arm.json"


@dataclass
class Run:
    """One model (or arm) evaluated on one benchmark."""

    name: str
    bench: str
    folder: Path  # the folder holding results.json
    results: dict
    meta: dict = field(default_factory=dict)  # arm.json when the run comes from an experiment

    @property
    def k(self) -> int | None:
        """The consistency order the table shows (crossin.metrics.headline_k)."""
        return headline_k(len(self.results["languages"]))

    def metric(self, name: str) -> float | None:
        k = self.k
        if name == "accuracy":
            return float(self.results["accuracy"])
        if k is None:
            return None
        value = self.results.get(name, {}).get(str(k))  # consistency, ac3, kappa are keyed by k
        return None if value is None else float(value)

    def ci(self, name: str) -> list[float] | None:
        key = {"accuracy": "accuracy", "consistency": "consistency_3", "ac3": "ac3_3", "kappa": "kappa_3"}.get(name)
        if key is None:
            return None
        if name != "accuracy" and self.k != HEADLINE_K:  # the bootstrap CIs are at this k only
            return None
        return self.results.get("ci95", {}).get(key)


# samples_<bench>.jsonl as a (sets, langs) matrix of chosen options (-1 = unparsed) with gold per set.
Samples = PredictionMatrix


# ---------------------------------------------------------------------------------------------- runs


def present(names: list[str], benches: list[str], by: dict[tuple[str, str], Run]) -> Iterator[tuple[str, str, Run]]:
    """(run name, benchmark, run) for every cell of the names x benchmarks grid that has a run, in the grid's order."""
    for name in names:
        for bench in benches:
            if (name, bench) in by:
                yield name, bench, by[(name, bench)]


CHECKPOINT_EVAL = re.compile(r"^step-(\d+)$")  # <run>/checkpoints_eval/step-N/<bench>/results.json (eval_checkpoints)


def checkpoint_of(file: Path) -> int | None:
    """The training step of a checkpoint's results.json, None for a run's own results."""
    m = CHECKPOINT_EVAL.match(file.parent.parent.name)
    return int(m.group(1)) if m and file.parent.parent.parent.name == "checkpoints_eval" else None


def find_runs(inputs: list[str | Path]) -> list[Run]:
    """Every results.json under the inputs, named by its arm (arm.json) or by its folder; a checkpoint's results
    (`find_checkpoints`) are not runs."""
    runs: list[Run] = []
    for raw in inputs:
        runs += [r for r in _runs_under(Path(raw)) if checkpoint_of(r.folder / RESULTS_FILE) is None]
    _check_unique_names(runs)
    # Same folder given twice (e.g. DIR and DIR/arm): keep one.
    unique: dict[tuple[str, str], Run] = {}
    for run in runs:
        unique.setdefault((run.name, run.bench), run)
    return list(unique.values())


def find_checkpoints(inputs: list[str | Path]) -> dict[tuple[str, str], list[tuple[int, Run]]]:
    """{(run name, benchmark): [(step, the checkpoint's results), ...] by step} for experiments run with
    eval_checkpoints."""
    out: dict[tuple[str, str], list[tuple[int, Run]]] = {}
    for raw in inputs:
        for r in _runs_under(Path(raw)):
            step = checkpoint_of(r.folder / RESULTS_FILE)
            if step is not None:
                out.setdefault((r.name, r.bench), []).append((step, r))
    return {k: sorted(v, key=lambda t: t[0]) for k, v in out.items()}


def _runs_under(root: Path) -> list[Run]:
    if not root.exists():
        raise CrossinError("no such folder", path=str(root))
    files = [root] if root.is_file() else sorted(root.rglob(RESULTS_FILE))
    if not files:
        raise CrossinError(f"no {RESULTS_FILE} under this folder", path=str(root))
    base = root.parent if root.is_file() else root
    runs = []
    for file in files:
        results = _read_record(file, RESULTS, "not an eval results file")
        bench = results.get("inputs", {}).get("benchmark") or file.parent.name
        run_root = file.parent.parent  # <run>/<bench>/results.json
        if checkpoint_of(file) is not None:  # <run>/checkpoints_eval/step-N/<bench>/results.json: named by <run>
            run_root = run_root.parent.parent
        meta = _find_meta(run_root, base.parent)
        if not meta.get("recipe"):  # an adapter trained outside an experiment
            meta = {**_adapter_recipe(results.get("adapter")), **meta}
        name = str(meta["name"]) if meta.get("name") else _folder_name(run_root, base)
        if re.search(NOT_TEXT, name):  # a folder name of non-UTF-8 bytes decodes to lone surrogates
            raise CrossinError(f"run name {name!r} holds a control character or bytes that are not UTF-8; rename "
                               "the folder", path=str(file.parent).encode("utf-8", "backslashreplace").decode())
        runs.append(Run(name=name, bench=bench, folder=file.parent, results=results, meta=meta))
    return runs


def _folder_name(run_root: Path, base: Path) -> str:
    """The run folder relative to the input folder's parent (so the input's own name is kept)."""
    parent = base.resolve().parent
    rel = run_root.resolve().relative_to(parent) if run_root.resolve().is_relative_to(parent) else run_root
    return str(rel) if str(rel) not in ("", ".") else run_root.resolve().name


def _check_unique_names(runs: list[Run]) -> None:
    seen: dict[tuple[str, str], Path] = {}
    for run in runs:
        key = (run.name, run.bench)
        if key in seen and seen[key] != run.folder:
            raise CrossinError(f"two runs are both named {run.name!r} on {run.bench} (also {seen[key]})", path=str(run.folder))
        seen[key] = run.folder


def _read_record(path: Path, schema: dict, what: str) -> dict:
    """A JSON file crossin wrote, checked against its schema (crossin.schemas) as it is read."""
    text = read_text(path)
    record = parse_json(text, path=str(path))
    check_record(record, schema, path=str(path), text=text, what=what)
    return record


def _find_meta(run_root: Path, stop: Path) -> dict:
    """arm.json in the run folder or a folder above it, up to the input folder's parent."""
    stop = stop.resolve()
    here = run_root.resolve()
    while True:
        candidate = here / ARM_FILE
        if candidate.is_file():
            return _read_record(candidate, ARM, "not an arm record")
        if here == stop or here == here.parent:
            return {}
        here = here.parent


def _adapter_recipe(adapter: str | None) -> dict:
    """recipe, n, translation, seed of the mix an adapter was trained on, read from its training folder
    (`<out>/adapter` beside `<out>/train_config.json`, whose data file sits beside the mix's manifest.json);
    {} when any of it is missing (a foreign adapter, a moved folder, data not built by `crossin data build`)."""
    if not adapter:
        return {}
    record = Path(adapter).parent / "train_config.json"
    try:
        data_file = Path(read_json(record)["data_file"])
        config = read_json(data_file.parent / "manifest.json")["config"]
    except (CrossinError, KeyError, TypeError):
        return {}
    meta = {k: config[k] for k in ("recipe", "n", "translation", "seed") if k in config}
    return {**meta, "recipe_from": str(data_file.parent / "manifest.json")} if meta.get("recipe") else {}


# ------------------------------------------------------------------------------------------- samples


def read_samples(path: Path) -> Samples:
    """Validate samples_<bench>.jsonl: every (set, language) once, an integer or null choice, one gold per set."""
    ids: list[str] = []
    langs: list[str] = []
    gold: dict[str, int] = {}
    matrix = MatrixBuilder(path=str(path), what="sample")
    scores: dict[tuple[str, str], list] | None = {}  # option scores (loglik, cloze): RankC in paired comparisons
    for line, obj in iter_jsonl(path):
        set_id, lang, choice, g = _sample_fields(obj, path, line)
        if scores is not None:
            scores = _option_scores(obj, scores, set_id, lang)
        if set_id in gold and gold[set_id] != g:
            raise CrossinError(f"set {set_id!r} has gold {g} here but {gold[set_id]} on an earlier line", path=str(path), line=line)
        matrix.add(set_id, lang, choice, line)
        if set_id not in gold:
            ids.append(set_id)
            gold[set_id] = g
        if lang not in langs:
            langs.append(lang)
    if not ids:
        raise CrossinError("no samples in file", path=str(path))
    built = matrix.build(ids, langs, [gold[i] for i in ids], hint="")
    if scores:
        width, rows = max(len(v) for v in scores.values()), {i: r for r, i in enumerate(ids)}
        built.scores = np.full((len(ids), len(langs), width), np.nan)
        for (set_id, lang), v in scores.items():
            built.scores[rows[set_id], langs.index(lang), :len(v)] = v
    return built


def _option_scores(obj: dict, scores: dict, set_id: str, lang: str) -> dict | None:
    """Adds the line's `option_scores` (finite numbers) to `scores`; None from the first line without them."""
    v = obj.get("option_scores")
    if not isinstance(v, list) or not v or not all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                                   and math.isfinite(x) for x in v):
        return None
    scores[(set_id, lang)] = [float(x) for x in v]
    return scores


def _sample_fields(obj: dict, path: Path, line: int) -> tuple[str, str, int | None, int]:
    """(set id, language code, choice, gold) of one sample line, each checked."""
    for key in ("id", "lang", "gold"):
        if key not in obj:
            raise CrossinError(f"sample line needs {key!r}", path=str(path), line=line)
    try:
        lang = to_code(str(obj["lang"]))
    except CrossinError as e:
        raise CrossinError(e.reason, path=str(path), line=line) from None
    choice = obj.get("choice")
    if choice is not None and (isinstance(choice, bool) or not isinstance(choice, int) or choice < 0):
        raise CrossinError(f"'choice' must be a non-negative integer or null, got {choice!r}", path=str(path), line=line)
    g = obj["gold"]
    if isinstance(g, bool) or not isinstance(g, int) or g < 0:
        raise CrossinError(f"'gold' must be a non-negative integer, got {g!r}", path=str(path), line=line)
    return str(obj["id"]), lang, choice, g


def samples_agree(run: Run, samples: Samples) -> str | None:
    """None when samples_<bench>.jsonl reproduces results.json's accuracy, else why not."""
    langs = run.results["languages"]
    if sorted(langs) != sorted(samples.langs):
        return f"languages differ ({','.join(samples.langs)} in samples, {','.join(langs)} in results)"
    if len(samples.ids) != run.results["n_sets"]:
        return f"{len(samples.ids)} sets in samples, {run.results['n_sets']} in results"
    acc = float((samples.pred == samples.gold[:, None]).mean())
    if abs(acc - run.results["accuracy"]) > 1e-9:
        return f"accuracy {acc:.4f} from samples, {run.results['accuracy']:.4f} in results"
    return None


def usable_samples(runs: list[Run], notes: list[str]) -> dict[tuple[str, str], Samples]:
    """Samples for paired tests by (run, bench); a run without samples, or whose samples do not reproduce its
    results, is left out of them with a note."""
    samples: dict[tuple[str, str], Samples] = {}
    for r in runs:
        path = r.folder / samples_file(r.bench)
        if not path.exists():
            notes.append(f"`{r.name}` on {r.bench}: no {path.name}, left out of paired comparisons.")
            continue
        s = read_samples(path)
        problem = samples_agree(r, s)
        if problem:
            notes.append(f"`{r.name}` on {r.bench}: {path.name} does not match {RESULTS_FILE} ({problem}); "
                         "left out of paired comparisons.")
            continue
        samples[(r.name, r.bench)] = s
    return samples
