"""Reports over eval result folders: the paper's Table 3, its figures, and paired significance tests.

Input: any folders holding `<run>/<bench>/results.json` (+ `samples_<bench>.jsonl`), as written by `crossin eval`,
by `crossin experiment` (`arms/<arm>/eval/<bench>/...`, with `arms/<arm>/arm.json` describing the arm) or by
hand. Output: `report.md`, `report.json` (every number in the report, machine-readable) and PNG plots.

- The table's numbers are read from results.json as they are (the eval's own scoring and bootstrap CIs).
- Paired comparisons re-read samples_<bench>.jsonl, align two runs on the sets and languages they share, and
  resample the *same* sets for both (paired bootstrap), so a difference is judged against the variation
  of the difference, not of each run separately. The p-value is two-sided, from the bootstrap
  distribution of the difference shifted to the null (Efron & Tibshirani 1993, 16.4):
  p = (1 + #{|d* - d| >= |d|}) / (B + 1).
- Figures 3-5 need arms with a known recipe, size and translation count (arm.json); when the inputs
  have no such arms a figure is skipped and report.md says why.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import CrossinError
from .io import RESULTS_FILE, atomic_write_text, iter_jsonl, pyplot, read_json, samples_file, save_figure, write_json
from .langs import to_code
from .metrics import harmonic, per_set_accuracy, per_set_consistency
from .predictions import MatrixBuilder, PredictionMatrix

ARM_FILE = "arm.json"
REQUIRED_KEYS = ("accuracy", "language_accuracy", "consistency", "ac3", "languages", "n_sets")
# Order of the paper's data formulations in Figure 3 (zero-shot first as the reference).
# Table 3's columns, plus kappa: a model that always answers "A" is perfectly consistent, kappa shows it.
TABLE_METRICS = ("accuracy", "consistency", "ac3", "kappa")
FORMULATIONS = ("zero-shot", "en-only", "monolingual", "en2x", "x2en", "x2x")


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
        """The consistency order used in the table: 3, or the number of languages when fewer."""
        n = len(self.results["languages"])
        return min(3, n) if n >= 2 else None

    def metric(self, name: str) -> float | None:
        k = self.k
        if name == "accuracy":
            return float(self.results["accuracy"])
        if k is None:
            return None
        value = self.results.get(name, {}).get(str(k))  # consistency, ac3, kappa are keyed by k
        return None if value is None else float(value)

    def ci(self, name: str) -> list[float] | None:
        key = {"accuracy": "accuracy", "consistency": "consistency_3", "ac3": "ac3_3"}.get(name)
        if key is None:
            return None
        if name != "accuracy" and self.k != 3:
            return None
        return self.results.get("ci95", {}).get(key)


# samples_<bench>.jsonl as a (sets, langs) matrix of chosen options (-1 = unparsed) with gold per set.
Samples = PredictionMatrix


# ---------------------------------------------------------------------------------------------- loading


def _check_results(results: dict, path: Path) -> None:
    if not isinstance(results, dict):
        raise CrossinError("results.json must be a JSON object", path=str(path))
    missing = [k for k in REQUIRED_KEYS if k not in results]
    if missing:
        raise CrossinError(f"not an eval results file: missing {', '.join(missing)}", path=str(path))


def _find_meta(run_root: Path, stop: Path) -> dict:
    """arm.json in the run folder or a folder above it, up to the input folder's parent."""
    stop = stop.resolve()
    here = run_root.resolve()
    while True:
        candidate = here / ARM_FILE
        if candidate.is_file():
            meta = read_json(candidate)
            if not isinstance(meta, dict):
                raise CrossinError("arm.json must be a JSON object", path=str(candidate))
            return meta
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


def find_runs(inputs: list[str | Path]) -> list[Run]:
    """Every results.json under the inputs, named by its arm (arm.json) or by its folder."""
    runs: list[Run] = []
    for raw in inputs:
        root = Path(raw)
        if not root.exists():
            raise CrossinError("no such folder", path=str(root))
        files = [root] if root.is_file() else sorted(root.rglob(RESULTS_FILE))
        if not files:
            raise CrossinError(f"no {RESULTS_FILE} under this folder", path=str(root))
        base = root.parent if root.is_file() else root
        for file in files:
            results = read_json(file)
            _check_results(results, file)
            bench = results.get("inputs", {}).get("benchmark") or file.parent.name
            run_root = file.parent.parent  # <run>/<bench>/results.json
            meta = _find_meta(run_root, base.parent)
            if not meta.get("recipe"):  # an adapter trained outside an experiment
                meta = {**_adapter_recipe(results.get("adapter")), **meta}
            if meta.get("name"):
                name = str(meta["name"])
            else:
                rel = run_root.resolve().relative_to(base.resolve().parent) if run_root.resolve().is_relative_to(base.resolve().parent) else run_root
                name = str(rel) if str(rel) not in ("", ".") else run_root.resolve().name
            runs.append(Run(name=name, bench=bench, folder=file.parent, results=results, meta=meta))
    seen: dict[tuple[str, str], Path] = {}
    for run in runs:
        key = (run.name, run.bench)
        if key in seen and seen[key] != run.folder:
            raise CrossinError(f"two runs are both named {run.name!r} on {run.bench} (also {seen[key]})", path=str(run.folder))
        seen[key] = run.folder
    # Same folder given twice (e.g. DIR and DIR/arm): keep one.
    unique: dict[tuple[str, str], Run] = {}
    for run in runs:
        unique.setdefault((run.name, run.bench), run)
    return list(unique.values())


def read_samples(path: Path) -> Samples:
    """Validate samples_<bench>.jsonl: every (set, language) once, an integer or null choice, one gold per set."""
    ids: list[str] = []
    langs: list[str] = []
    gold: dict[str, int] = {}
    matrix = MatrixBuilder(path=str(path), what="sample")
    for line, obj in iter_jsonl(path):
        for key in ("id", "lang", "gold"):
            if key not in obj:
                raise CrossinError(f"sample line needs {key!r}", path=str(path), line=line)
        set_id = str(obj["id"])
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
    return matrix.build(ids, langs, [gold[i] for i in ids], hint="")


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


# ------------------------------------------------------------------------------------ paired bootstrap


def paired_bootstrap(a: Samples, b: Samples, *, n_choices: int, n_boot: int = 10000, seed: int = 0) -> dict:
    """Difference a - b in accuracy, consistency@k and AC3@k on the sets and languages both have.

    k = 3, or the number of shared languages when fewer. Each resample draws the same sets for a and b.
    """
    langs = [lang for lang in a.langs if lang in b.langs]
    row_a = {i: r for r, i in enumerate(a.ids)}
    row_b = {i: r for r, i in enumerate(b.ids)}
    ids = [i for i in a.ids if i in row_b]
    if not ids:
        raise CrossinError("the two runs share no set ids", path=str(b.path))
    if len(langs) < 2:
        raise CrossinError(f"the two runs share fewer than 2 languages ({','.join(langs) or 'none'})", path=str(b.path))
    ra = np.array([row_a[i] for i in ids])
    rb = np.array([row_b[i] for i in ids])
    ca = [a.langs.index(lang) for lang in langs]
    cb = [b.langs.index(lang) for lang in langs]
    pa, pb = a.pred[np.ix_(ra, ca)], b.pred[np.ix_(rb, cb)]
    gold = a.gold[ra]
    if not np.array_equal(gold, b.gold[rb]):
        bad = ids[int(np.argmax(gold != b.gold[rb]))]
        raise CrossinError(f"the two runs disagree on the gold answer of set {bad!r}", path=str(b.path))
    k = min(3, len(langs))
    per_set = {
        "a": (per_set_accuracy(pa, gold), per_set_consistency(pa, k, n_choices)),
        "b": (per_set_accuracy(pb, gold), per_set_consistency(pb, k, n_choices)),
    }
    n = len(ids)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    out: dict = {"n_sets": n, "languages": langs, "k": k, "n_boot": n_boot, "seed": seed, "metrics": {}}
    point, boot = {}, {}
    for side, (acc, cons) in per_set.items():
        point[side] = {"accuracy": float(acc.mean()), "consistency": float(cons.mean())}
        point[side]["ac3"] = harmonic(point[side]["accuracy"], point[side]["consistency"])
        bacc, bcons = acc[idx].mean(axis=1), cons[idx].mean(axis=1)
        boot[side] = {"accuracy": bacc, "consistency": bcons, "ac3": harmonic(bacc, bcons)}
    for metric in ("accuracy", "consistency", "ac3"):
        d_obs = point["a"][metric] - point["b"][metric]
        d = boot["a"][metric] - boot["b"][metric]
        lo, hi = np.percentile(d, [2.5, 97.5])
        extreme = int(np.sum(np.abs(d - d_obs) >= abs(d_obs) - 1e-12))
        out["metrics"][metric] = {
            "a": point["a"][metric], "b": point["b"][metric], "diff": d_obs,
            "ci95": [float(lo), float(hi)], "p_value": (1 + extreme) / (n_boot + 1),
        }
    return out


# ----------------------------------------------------------------------------------------------- plots


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "x"


def plot_language_accuracy(runs: list[Run], bench: str, path: Path) -> None:
    """Grouped bars: x = language, one bar per run, the value written on each bar."""
    plt = pyplot()
    langs = list(dict.fromkeys(lang for r in runs for lang in r.results["languages"]))
    n = len(runs)
    width = 0.8 / n
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 + len(langs) * (0.35 * n + 0.6)), 4.2))
    cmap = plt.get_cmap("tab10" if n <= 10 else "tab20")
    counts = sorted({r.results["n_sets"] for r in runs})
    for j, run in enumerate(runs):
        xs = np.arange(len(langs)) + (j - (n - 1) / 2) * width
        ys = [run.results["language_accuracy"].get(lang, np.nan) for lang in langs]
        label = run.name if len(counts) == 1 else f"{run.name} ({run.results['n_sets']} sets)"
        bars = ax.bar(xs, ys, width=width * 0.95, label=label, color=cmap(j % cmap.N))
        for bar, y in zip(bars, ys):
            if not np.isnan(y):
                ax.text(bar.get_x() + bar.get_width() / 2, y + 0.01, f"{y:.2f}", ha="center", va="bottom",
                        fontsize=7 if n <= 4 else 6, rotation=0 if n <= 4 else 90)
    chance = _chance(runs)
    if chance:
        ax.axhline(chance, color="grey", linestyle=":", linewidth=1, label=f"chance ({chance:.2f})")
    ax.set_xticks(np.arange(len(langs)), langs)
    ax.set_xlabel("language")
    ax.set_ylabel("accuracy")
    top = max([max(r.results["language_accuracy"].values()) for r in runs] + [chance or 0])
    ax.set_ylim(0, min(1.05, top + 0.15))
    sets = f"{counts[0]} sets" if len(counts) == 1 else f"{counts[0]}-{counts[-1]} sets, per run in the legend"
    ax.set_title(f"{bench}: accuracy per language ({sets})")
    ax.legend(fontsize=7, ncol=1 if n <= 6 else 2, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    fig.tight_layout()
    save_figure(fig, path)


def _chance(runs: list[Run]) -> float | None:
    sizes = {len(r.results.get("gold_distribution", [])) for r in runs}
    return 1.0 / sizes.pop() if len(sizes) == 1 and 0 not in sizes else None


def plot_pairwise_heatmaps(runs: list[Run], bench: str, path: Path) -> None:
    """The paper's Figure 2: share of sets with the same answer in two languages, one panel per run."""
    plt = pyplot()
    n = len(runs)
    ncols = min(n, 4)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols + 1.2, 3.1 * nrows + 0.6), squeeze=False,
                             layout="constrained")
    cmap = plt.get_cmap("viridis").with_extremes(bad="white")  # the diagonal (a language with itself) is blank
    image = None
    for index, (ax, run) in enumerate(zip(axes.flat, runs)):
        langs = run.results["languages"]
        m = np.full((len(langs), len(langs)), np.nan)
        for pair, value in run.results.get("pairwise_consistency", {}).items():
            x, y = pair.split("-", 1)
            if x in langs and y in langs:
                i, j = langs.index(x), langs.index(y)
                m[i, j] = m[j, i] = value
        image = ax.imshow(m, vmin=0, vmax=1, cmap=cmap)
        for i in range(len(langs)):
            for j in range(len(langs)):
                if i != j and not np.isnan(m[i, j]):
                    ax.text(j, i, f"{m[i, j]:.2f}", ha="center", va="center", fontsize=8,
                            color="black" if m[i, j] > 0.6 else "white")
        ax.set_xticks(range(len(langs)), langs)
        ax.set_yticks(range(len(langs)), langs)
        if index // ncols == nrows - 1 or index + ncols >= n:
            ax.set_xlabel("language")
        if index % ncols == 0:
            ax.set_ylabel("language")
        ax.set_title(f"{run.name} ({run.results['n_sets']} sets)", fontsize=9)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle(f"{bench}: pairwise cross-lingual consistency\n(share of sets answered with the same option)", fontsize=10)
    if image is not None:
        fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, label="consistency")
    save_figure(fig, path)


def _point(runs: list[Run], metric: str) -> tuple[float, float, float]:
    """Mean over seeds; error bar = bootstrap CI for one run, min-max over seeds for several."""
    values = [r.metric(metric) for r in runs]
    values = [v for v in values if v is not None]
    mean = float(np.mean(values))
    if len(runs) == 1:
        ci = runs[0].ci(metric)
        return (mean, ci[0], ci[1]) if ci else (mean, mean, mean)
    return mean, float(min(values)), float(max(values))


def _grouped_bars(ax, groups: list[str], series: dict[str, list[tuple[float, float, float] | None]], colors=None):
    """Bars with CI whiskers and the value above each bar."""
    n = len(series)
    width = 0.8 / max(n, 1)
    for j, (label, points) in enumerate(series.items()):
        xs = np.arange(len(groups)) + (j - (n - 1) / 2) * width
        ys = np.array([p[0] if p else np.nan for p in points])
        lo = np.array([p[0] - p[1] if p else 0 for p in points])
        hi = np.array([p[2] - p[0] if p else 0 for p in points])
        ax.bar(xs, ys, width=width * 0.95, yerr=[lo, hi], capsize=3, label=label,
               color=None if colors is None else colors[j], error_kw={"elinewidth": 1})
        for x, p in zip(xs, points):
            if p:
                ax.text(x, p[2] + 0.01, f"{p[0]:.3f}", ha="center", va="bottom", fontsize=7, rotation=90 if n > 3 else 0)
    ax.set_xticks(np.arange(len(groups)), groups)


def _ylim_top(values: list[float]) -> float:
    return min(1.1, max(values + [0.1]) + 0.15)


# ------------------------------------------------------------------------------------- figure selection


def _arm_key(meta: dict) -> tuple:
    return (meta.get("recipe"), int(meta.get("n") or 0), int(meta.get("translation") or 0))


def _by_config(runs: list[Run]) -> dict[tuple, list[Run]]:
    """Runs of the same arm configuration (differing only in seed) together."""
    out: dict[tuple, list[Run]] = {}
    for r in runs:
        if r.meta.get("recipe") and not r.meta.get("other_base"):  # another base set is not a point of the figures
            out.setdefault(_arm_key(r.meta), []).append(r)
    return out


def _label(key: tuple, runs: list[Run]) -> str:
    names = sorted({str(r.meta.get("config_name") or r.name) for r in runs})
    return names[0] if len(names) == 1 else f"{key[0]} n={key[1]}"


def figure3_groups(runs: list[Run]) -> list[tuple[str, list[Run]]]:
    """Data formulations without translation data, at the size of the explicitly listed arms (not the sweep)."""
    picked = []
    for key, group in _by_config([r for r in runs if not r.meta.get("sweep")]).items():
        recipe, _, translation = key
        if recipe in FORMULATIONS and translation == 0:
            picked.append((FORMULATIONS.index(recipe), key[1], _label(key, group), group))
    picked.sort(key=lambda t: (t[0], t[1]))
    trained = {g[0].meta.get("recipe") for _, _, _, g in picked if g[0].meta.get("recipe") != "zero-shot"}
    return [(label, group) for _, _, label, group in picked] if len(trained) >= 2 else []


def figure4_pairs(runs: list[Run]) -> list[tuple[str, list[Run], list[Run]]]:
    """(recipe, n) present both without and with translation samples."""
    groups = _by_config(runs)
    pairs = []
    for (recipe, n, translation), with_t in sorted(groups.items(), key=lambda kv: (str(kv[0][0]), kv[0][1], kv[0][2])):
        if translation > 0 and (recipe, n, 0) in groups:
            pairs.append((f"{recipe} n={n}\n(+{translation} trans.)", groups[(recipe, n, 0)], with_t))
    return pairs


def figure5_series(runs: list[Run]) -> dict[str, list[tuple[int, list[Run]]]]:
    """Per recipe, sizes without translation; the English-only arm is the n = 0 point of every recipe."""
    groups = _by_config(runs)
    zero = [(k, g) for k, g in groups.items() if k[0] == "en-only" and k[2] == 0]
    out = {}
    for recipe in sorted({k[0] for k in groups if k[0] not in ("zero-shot", "en-only")}):
        sizes = sorted((k[1], g) for k, g in groups.items() if k[0] == recipe and k[2] == 0 and k[1] > 0)
        if len(sizes) >= 2:
            out[recipe] = ([(0, zero[0][1])] if zero else []) + sizes
    return out


# ---------------------------------------------------------------------------------------------- report


def _fmt(value: float | None, ci: list[float] | None = None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f} ({ci[0]:.3f}-{ci[1]:.3f})" if ci else f"{value:.3f}"


def _fmt_p(p: float) -> str:
    return f"{p:.4f}" if p >= 1e-4 else "<0.0001"


def _ordered_names(runs: list[Run]) -> list[str]:
    """Zero-shot first, then the experiment's order (arm.json `order`), then by name."""
    first: dict[str, tuple] = {}
    for r in runs:
        key = (0 if r.meta.get("recipe") == "zero-shot" else 1, r.meta.get("order", 10**6), r.name)
        first[r.name] = min(first.get(r.name, key), key)
    return sorted(first, key=lambda n: first[n])


def default_comparisons(names: list[str], runs: list[Run], baseline: str | None) -> list[tuple[str, str]]:
    """Every run against the baseline: the named one, else the English-only arm, else the first run."""
    if baseline is None:
        en_only = [r.name for r in runs if r.meta.get("recipe") == "en-only"]
        baseline = en_only[0] if en_only else names[0]
    if baseline not in names:
        raise CrossinError(f"baseline {baseline!r} is not one of the runs: {', '.join(names)}")
    return [(name, baseline) for name in names if name != baseline]


def build_report(
    inputs: list[str | Path],
    out: str | Path,
    *,
    compare: list[tuple[str, str]] | None = None,
    baseline: str | None = None,
    n_boot: int = 10000,
    seed: int = 0,
    title: str = "crossin report",
    notes: list[str] | None = None,
) -> dict:
    """Write report.md, report.json and the plots into `out`; return report.json's content."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    runs = find_runs(inputs)
    names = _ordered_names(runs)
    benches = list(dict.fromkeys(r.bench for r in sorted(runs, key=lambda r: r.bench)))
    by = {(r.name, r.bench): r for r in runs}
    notes: list[str] = list(notes or [])
    figures: dict[str, str] = {}
    skipped: dict[str, str] = {}

    # Samples for paired tests; a run whose samples do not reproduce its results is left out of them.
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

    # Table 3.
    table = {}
    for name in names:
        table[name] = {}
        for bench in benches:
            r = by.get((name, bench))
            if r is None:
                continue
            table[name][bench] = {m: {"value": r.metric(m), "ci95": r.ci(m)} for m in TABLE_METRICS}
            table[name][bench]["k"] = r.k
            table[name][bench]["n_sets"] = r.results["n_sets"]
            table[name][bench]["languages"] = r.results["languages"]

    # Figures.
    for bench in benches:
        bench_runs = [by[(n, bench)] for n in names if (n, bench) in by]
        file = f"accuracy_by_language_{_slug(bench)}.png"
        plot_language_accuracy(bench_runs, bench, out / file)
        figures[f"accuracy_by_language:{bench}"] = file
        file = f"pairwise_consistency_{_slug(bench)}.png"
        plot_pairwise_heatmaps(bench_runs, bench, out / file)
        figures[f"pairwise_consistency:{bench}"] = file
    _figure3(runs, benches, out, figures, skipped)
    _figure4(runs, benches, out, figures, skipped)
    _figure5(runs, benches, out, figures, skipped)

    # Paired comparisons.
    pairs = compare if compare else (default_comparisons(names, runs, baseline) if len(names) > 1 else [])
    comparisons = []
    for a, b in pairs:
        for name in (a, b):
            if name not in names:
                raise CrossinError(f"cannot compare {name!r}: not one of the runs ({', '.join(names)})")
        for bench in benches:
            if (a, bench) not in by or (b, bench) not in by:
                continue
            sa, sb = samples.get((a, bench)), samples.get((b, bench))
            if sa is None or sb is None:
                notes.append(f"{a} vs {b} on {bench}: skipped (no usable samples for one of them).")
                continue
            n_choices = max(len(by[(a, bench)].results.get("gold_distribution", [])),
                            len(by[(b, bench)].results.get("gold_distribution", [])),
                            int(max(sa.pred.max(), sb.pred.max(), sa.gold.max())) + 1)
            try:
                result = paired_bootstrap(sa, sb, n_choices=n_choices, n_boot=n_boot, seed=seed)
            except CrossinError as e:
                notes.append(f"{a} vs {b} on {bench}: skipped ({e.reason}).")
                continue
            comparisons.append({"a": a, "b": b, "bench": bench, **result})

    report = {
        "title": title,
        "inputs": [str(p) for p in inputs],
        "runs": [{"name": r.name, "bench": r.bench, "folder": str(r.folder), "meta": r.meta,
                  "model": r.results.get("model"), "adapter": r.results.get("adapter"), "mode": r.results.get("mode")}
                 for n in names for r in runs if r.name == n],
        "benchmarks": benches,
        "table": table,
        "comparisons": comparisons,
        "figures": figures,
        "skipped_figures": skipped,
        "notes": notes,
        "bootstrap": {"n": n_boot, "seed": seed},
    }
    write_json(out / "report.json", report)
    atomic_write_text(out / "report.md", render_markdown(report, names, benches, by))
    return report


def _figure3(runs, benches, out, figures, skipped):
    groups = figure3_groups(runs)
    if not groups:
        skipped["ac3_by_formulation"] = ("needs arms of at least two data formulations (en-only, monolingual, en2x, "
                                         "x2en, x2x) without translation data; the inputs have none or one")
        return
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(6.5, 1.6 * len(groups) + 2.5), 4.4))
    series = {}
    for bench in benches:
        series[bench] = [_point([r for r in g if r.bench == bench], "ac3") if any(r.bench == bench for r in g) else None
                         for _, g in groups]
    _grouped_bars(ax, [label for label, _ in groups], series)
    ax.set_xlabel("training data formulation")
    ax.set_ylabel("AC3@3")
    ax.set_ylim(0, _ylim_top([p[2] for pts in series.values() for p in pts if p]))
    ax.set_title("AC3 by data formulation (error bars: 95% bootstrap CI)")
    ax.legend(title="benchmark", fontsize=8)
    fig.tight_layout()
    save_figure(fig, out / "ac3_by_formulation.png")
    figures["ac3_by_formulation"] = "ac3_by_formulation.png"


def _figure4(runs, benches, out, figures, skipped):
    pairs = figure4_pairs(runs)
    if not pairs:
        skipped["translation_effect"] = ("needs an arm with translation samples and the same arm (recipe, size) "
                                         "without them; the inputs have no such pair")
        return
    plt = pyplot()
    fig, axes = plt.subplots(1, len(benches), figsize=(max(4.5, 2.2 * len(pairs) + 1.5) * len(benches), 4.4), squeeze=False)
    for ax, bench in zip(axes[0], benches):
        series = {"without translation": [], "with translation": []}
        for _, without, with_t in pairs:
            for label, group in (("without translation", without), ("with translation", with_t)):
                g = [r for r in group if r.bench == bench]
                series[label].append(_point(g, "ac3") if g else None)
        _grouped_bars(ax, [label for label, _, _ in pairs], series, colors=["tab:gray", "tab:green"])
        ax.set_xlabel("arm")
        ax.set_ylabel("AC3@3")
        ax.set_ylim(0, _ylim_top([p[2] for pts in series.values() for p in pts if p]))
        ax.set_title(bench)
        ax.legend(fontsize=8)
    fig.suptitle("With vs without translation data (error bars: 95% bootstrap CI)", fontsize=10)
    fig.tight_layout()
    save_figure(fig, out / "translation_effect.png")
    figures["translation_effect"] = "translation_effect.png"


def _figure5(runs, benches, out, figures, skipped):
    series = figure5_series(runs)
    if not series:
        skipped["ac3_vs_size"] = ("needs one recipe at two or more sizes without translation data "
                                  "(a `sweep` in the experiment config); the inputs have none")
        return
    plt = pyplot()
    fig, axes = plt.subplots(1, len(series), figsize=(6.0 * len(series), 4.4), squeeze=False)
    for ax, (recipe, points) in zip(axes[0], series.items()):
        sizes = sorted({n for n, _ in points})
        dodge = 0.012 * (sizes[-1] - sizes[0] or 1)  # keeps the benchmarks' error bars apart
        for b_index, bench in enumerate(benches):
            xs, ys, lo, hi = [], [], [], []
            for n, group in points:
                g = [r for r in group if r.bench == bench]
                if g:
                    mean, low, high = _point(g, "ac3")
                    xs.append(n + (b_index - (len(benches) - 1) / 2) * dodge)
                    ys.append(mean), lo.append(mean - low), hi.append(high - mean)
            if not xs:
                continue
            line = ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", capsize=3, label=bench)
            for x, y in zip(xs, ys):
                ax.annotate(f"{y:.3f}", (x, y), textcoords="offset points", xytext=(5, 4), fontsize=7,
                            color=line[0].get_color(), bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8})
        ax.set_xticks(sizes)
        ax.set_xlabel(f"number of CrossIn ({recipe}) samples (0 = English-only base)")
        ax.set_ylabel("AC3@3")
        ax.set_title(f"AC3 vs CrossIn data size ({recipe}; error bars: 95% CI)")
        ax.legend(title="benchmark", fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, out / "ac3_vs_size.png")
    figures["ac3_vs_size"] = "ac3_vs_size.png"


def render_markdown(report: dict, names: list[str], benches: list[str], by: dict) -> str:
    table = report["table"]
    lines = [f"# {report['title']}", ""]
    lines.append("Inputs: " + ", ".join(f"`{p}`" for p in report["inputs"]))
    lines += ["", "## Runs", "", "| run | model | adapter | mode | recipe | CrossIn n | translation | seed | benchmarks (sets) | languages |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for name in names:
        rs = [by[(name, b)] for b in benches if (name, b) in by]
        r, m = rs[0], rs[0].meta
        langs = sorted({",".join(x.results["languages"]) for x in rs})
        lines.append(f"| {name} | {r.results.get('model', '')} | {_short(r.results.get('adapter'))} | {r.results.get('mode', '')} | "
                     f"{m.get('recipe', '')} | {m.get('n', '')} | {m.get('translation', '')} | {m.get('seed', r.results.get('seed', ''))} | "
                     + ", ".join(f"{x.bench} ({x.results['n_sets']})" for x in rs) + f" | {'; '.join(langs)} |")
    lines += ["", "## Accuracy, consistency and AC3 (Table 3)", "",
              "Value (95% bootstrap CI over sets, from each results.json). Consistency and AC3 at k = 3 languages "
              "(k = the number of languages when fewer; no CI then). Kappa@3 is consistency corrected for the "
              "agreement expected from each language's answer distribution alone (0 = no agreement beyond position "
              "bias).", ""]
    def k_label(bench):
        ks = {table[n][bench]["k"] for n in names if bench in table[n]}
        return str(ks.pop()) if len(ks) == 1 else "k"

    header = "| run |" + "".join(f" {b} Acc | {b} Cons@{k_label(b)} | {b} AC3@{k_label(b)} | {b} kappa@{k_label(b)} |"
                                 for b in benches)
    lines += [header, "|---|" + "---|" * len(TABLE_METRICS) * len(benches)]
    labels = {n: r.meta.get("label") for (n, _), r in by.items()}  # Table 3's row names, from arm.json
    for name in names:
        label = labels.get(name)
        row = f"| {label} ({name}) |" if label and label != name else f"| {name} |"
        for bench in benches:
            cell = table[name].get(bench)
            if cell is None:
                row += " - |" * len(TABLE_METRICS)
                continue
            row += "".join(f" {_fmt(cell[m]['value'], cell[m]['ci95'])} |" for m in TABLE_METRICS)
        lines.append(row)
    lines += ["", "## Accuracy per language", ""]
    for bench in benches:
        lines.append(f"![accuracy per language on {bench}]({report['figures'][f'accuracy_by_language:{bench}']})")
    lines += ["", "## Pairwise language consistency (Figure 2)", ""]
    for bench in benches:
        lines.append(f"![pairwise consistency on {bench}]({report['figures'][f'pairwise_consistency:{bench}']})")
    for key, heading in (("ac3_by_formulation", "AC3 by data formulation (Figure 3)"),
                         ("translation_effect", "With vs without translation data (Figure 4)"),
                         ("ac3_vs_size", "AC3 vs number of CrossIn samples (Figure 5)")):
        lines += ["", f"## {heading}", ""]
        if key in report["figures"]:
            lines.append(f"![{heading}]({report['figures'][key]})")
        else:
            lines.append(f"Skipped: {report['skipped_figures'][key]}.")
    lines += ["", "## Paired comparisons", ""]
    if report["comparisons"]:
        b = report["bootstrap"]
        lines += [f"A minus B on the sets and languages both runs have; paired bootstrap over sets ({b['n']} resamples, "
                  f"seed {b['seed']}), 95% CI of the difference and two-sided p-value (not corrected for multiple comparisons).", "",
                  "| A | B | benchmark | sets | Acc A / B | A - B Acc (95% CI), p | Cons A / B | A - B Cons (95% CI), p | AC3 A / B | A - B AC3 (95% CI), p |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for c in report["comparisons"]:
            row = f"| {c['a']} | {c['b']} | {c['bench']} | {c['n_sets']} |"
            for metric in ("accuracy", "consistency", "ac3"):
                m = c["metrics"][metric]
                row += (f" {m['a']:.3f} / {m['b']:.3f} | {m['diff']:+.3f} ({m['ci95'][0]:+.3f}, {m['ci95'][1]:+.3f}), "
                        f"p={_fmt_p(m['p_value'])} |")
            lines.append(row)
        ks = sorted({c["k"] for c in report["comparisons"]})
        lines += ["", f"Cons and AC3 at k = {', '.join(map(str, ks))} languages."]
    else:
        lines.append("No comparisons (one run only, or none with usable samples).")
    if report["notes"]:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in report["notes"]]
    return "\n".join(lines) + "\n"


def _short(path) -> str:
    if not path:
        return ""
    parts = Path(str(path)).parts
    return "/".join(parts[-3:])
