"""Every plot of the report, each saved through crossin.io.save_figure: accuracy per language and the pairwise
consistency heatmaps (Figure 2) for every benchmark, and Figures 3-5, which need arms with a known recipe, size
and translation count (arm.json); when the inputs have no such arms a figure is skipped with the reason."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from ..io import pyplot, save_figure
from ..recipe_names import ARM_RECIPES, EN_ONLY, FORMULATIONS, ZERO_SHOT
from .loading import Run


def draw_figures(runs: list[Run], names: list[str], benches: list[str], by: dict[tuple[str, str], Run], out: Path
                 ) -> tuple[dict[str, str], dict[str, str]]:
    """Draw every figure into `out`: ({figure key: file name}, {skipped figure key: why})."""
    figures: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for bench in benches:
        bench_runs = [by[(n, bench)] for n in names if (n, bench) in by]
        file = f"accuracy_by_language_{_slug(bench)}.png"
        plot_language_accuracy(bench_runs, bench, out / file)
        figures[f"accuracy_by_language:{bench}"] = file
        file = f"pairwise_consistency_{_slug(bench)}.png"
        plot_pairwise_heatmaps(bench_runs, bench, out / file)
        figures[f"pairwise_consistency:{bench}"] = file
        ranked = [r for r in bench_runs if r.results.get("rankc")]
        if ranked:  # runs that recorded option scores (loglik, cloze, circular)
            file = f"rankc_{_slug(bench)}.png"
            plot_pairwise_heatmaps(ranked, bench, out / file, metric="rankc")
            figures[f"rankc:{bench}"] = file
    _figure3(runs, benches, out, figures, skipped)
    _figure4(runs, benches, out, figures, skipped)
    _figure5(runs, benches, out, figures, skipped)
    return figures, skipped


# ------------------------------------------------------------------------------------ per benchmark


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


HEATMAP_TITLES = {
    "pairwise_consistency": ("pairwise cross-lingual consistency\n(share of sets answered with the same option)",
                             "consistency"),
    "rankc": ("pairwise RankC\n(overlap of the two languages' option rankings, top-weighted; Qi et al. 2023)", "RankC"),
}


def plot_pairwise_heatmaps(runs: list[Run], bench: str, path: Path, metric: str = "pairwise_consistency") -> None:
    """A language x language heatmap per run: the paper's Figure 2 (share of sets with the same answer in two
    languages), or RankC (`metric="rankc"`)."""
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
        m = _pairwise_matrix(run, metric)
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
    title, label = HEATMAP_TITLES[metric]
    fig.suptitle(f"{bench}: {title}", fontsize=10)
    if image is not None:
        fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, label=label)
    save_figure(fig, path)


def _pairwise_matrix(run: Run, metric: str = "pairwise_consistency") -> np.ndarray:
    """results.json's pairwise consistency (or RankC) as a symmetric language x language matrix (NaN where none)."""
    langs = run.results["languages"]
    m = np.full((len(langs), len(langs)), np.nan)
    pairs = (run.results.get("rankc") or {}).get("pairwise", {}) if metric == "rankc" else run.results.get(metric, {})
    for pair, value in pairs.items():
        # Codes may hold a hyphen themselves (zh-Hant): split where both halves are languages of the run.
        x, y = next(((a, pair[len(a) + 1:]) for a in langs if pair.startswith(a + "-") and pair[len(a) + 1:] in langs),
                    (None, None))
        if x in langs and y in langs:
            i, j = langs.index(x), langs.index(y)
            m[i, j] = m[j, i] = value
    return m


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "x"


# ------------------------------------------------------------------------------------- Figures 3-5


def _panels(n: int, width: float):
    """A figure of the paper's set (3-5): a row of `n` panels, each `width` inches wide; (figure, the n axes)."""
    fig, axes = pyplot().subplots(1, n, figsize=(width * n, 4.4), squeeze=False)
    return fig, axes[0]


def _save(fig, out: Path, figures: dict, key: str) -> None:
    """A figure of the paper's set (3-5): saved as <out>/<key>.png and listed under its key."""
    fig.tight_layout()
    save_figure(fig, out / f"{key}.png")
    figures[key] = f"{key}.png"


def _figure3(runs, benches, out, figures, skipped):
    groups = figure3_groups(runs)
    if not groups:
        skipped["ac3_by_formulation"] = (f"needs arms of at least two data formulations ({', '.join(ARM_RECIPES)}) "
                                         "without translation data; the inputs have none or one")
        return
    fig, (ax,) = _panels(1, max(6.5, 1.6 * len(groups) + 2.5))
    series = {}
    for bench in benches:
        series[bench] = [_point([r for r in g if r.bench == bench], "ac3") if any(r.bench == bench for r in g) else None
                         for _, g in groups]
    _ac3_bars(ax, [label for label, _ in groups], series, xlabel="training data formulation",
              title="AC3 by data formulation (error bars: 95% bootstrap CI)", legend_title="benchmark")
    _save(fig, out, figures, "ac3_by_formulation")


def _figure4(runs, benches, out, figures, skipped):
    pairs = figure4_pairs(runs)
    if not pairs:
        skipped["translation_effect"] = ("needs an arm with translation samples and the same arm (recipe, size) "
                                         "without them; the inputs have no such pair")
        return
    fig, axes = _panels(len(benches), max(4.5, 2.2 * len(pairs) + 1.5))
    for ax, bench in zip(axes, benches):
        series = {"without translation": [], "with translation": []}
        for _, without, with_t in pairs:
            for label, group in (("without translation", without), ("with translation", with_t)):
                g = [r for r in group if r.bench == bench]
                series[label].append(_point(g, "ac3") if g else None)
        _ac3_bars(ax, [label for label, _, _ in pairs], series, xlabel="arm", title=bench,
                  colors=["tab:gray", "tab:green"])
    fig.suptitle("With vs without translation data (error bars: 95% bootstrap CI)", fontsize=10)
    _save(fig, out, figures, "translation_effect")


def _figure5(runs, benches, out, figures, skipped):
    series = figure5_series(runs)
    if not series:
        skipped["ac3_vs_size"] = ("needs one recipe at two or more sizes without translation data "
                                  "(a `sweep` in the experiment config); the inputs have none")
        return
    fig, axes = _panels(len(series), 6.0)
    for ax, (recipe, points) in zip(axes, series.items()):
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
    _save(fig, out, figures, "ac3_vs_size")


# ------------------------------------------------------------------------------- figure selection


def _arm_key(meta: dict) -> tuple:
    return (meta.get("recipe"), int(meta.get("n") or 0), int(meta.get("translation") or 0), meta.get("model_name") or "")


def _by_config(runs: list[Run]) -> dict[tuple, list[Run]]:
    """Runs of the same arm configuration (differing only in seed) together."""
    out: dict[tuple, list[Run]] = {}
    for r in runs:
        # Another base set is not a point of the figures, nor is a model evaluated as it is (eval_only).
        if r.meta.get("recipe") and not r.meta.get("other_base") and not r.meta.get("eval_only"):
            out.setdefault(_arm_key(r.meta), []).append(r)
    return out


def _label(key: tuple, runs: list[Run]) -> str:
    names = sorted({str(r.meta.get("config_name") or r.name) for r in runs})
    label = names[0] if len(names) == 1 else f"{key[0]} n={key[1]}"
    return f"{key[3]}: {label}" if key[3] else label


def figure3_groups(runs: list[Run]) -> list[tuple[str, list[Run]]]:
    """Data formulations without translation data, at the size of the explicitly listed arms (not the sweep)."""
    picked = []
    for key, group in _by_config([r for r in runs if not r.meta.get("sweep")]).items():
        recipe, n, translation, model = key
        if recipe in FORMULATIONS and translation == 0:
            picked.append((model, FORMULATIONS.index(recipe), n, _label(key, group), group))
    picked.sort(key=lambda t: t[:3])
    trained = {g[0].meta.get("recipe") for *_, g in picked if g[0].meta.get("recipe") != ZERO_SHOT}
    return [(label, group) for *_, label, group in picked] if len(trained) >= 2 else []


def figure4_pairs(runs: list[Run]) -> list[tuple[str, list[Run], list[Run]]]:
    """(recipe, n) present both without and with translation samples."""
    groups = _by_config(runs)
    pairs = []
    for (recipe, n, translation, model), with_t in sorted(groups.items(),
                                                          key=lambda kv: (kv[0][3], str(kv[0][0]), kv[0][1], kv[0][2])):
        if translation > 0 and (recipe, n, 0, model) in groups:
            pairs.append((f"{model + ': ' if model else ''}{recipe} n={n}\n(+{translation} trans.)",
                          groups[(recipe, n, 0, model)], with_t))
    return pairs


def figure5_series(runs: list[Run]) -> dict[str, list[tuple[int, list[Run]]]]:
    """Per (base model and) recipe, sizes without translation; the model's English-only arm is the n = 0 point of
    every recipe."""
    groups = _by_config(runs)
    out = {}
    for model, recipe in sorted({(k[3], k[0]) for k in groups if k[0] not in (ZERO_SHOT, EN_ONLY)}):
        zero = [g for k, g in groups.items() if k[0] == EN_ONLY and k[2] == 0 and k[3] == model]
        sizes = sorted(((k[1], g) for k, g in groups.items() if k[0] == recipe and k[2] == 0 and k[1] > 0
                        and k[3] == model), key=lambda t: t[0])
        if len(sizes) >= 2:
            out[f"{model}: {recipe}" if model else recipe] = ([(0, zero[0])] if zero else []) + sizes
    return out

# ---------------------------------------------------------------------------------------- drawing


def _point(runs: list[Run], metric: str) -> tuple[float, float, float]:
    """Mean over seeds; error bar = bootstrap CI for one run, min-max over seeds for several."""
    values = [r.metric(metric) for r in runs]
    values = [v for v in values if v is not None]
    mean = float(np.mean(values))
    if len(runs) == 1:
        ci = runs[0].ci(metric)
        return (mean, ci[0], ci[1]) if ci else (mean, mean, mean)
    return mean, float(min(values)), float(max(values))


def _ac3_bars(ax, groups: list[str], series: dict[str, list[tuple[float, float, float] | None]], *, xlabel: str,
              title: str, colors=None, legend_title: str | None = None):
    """AC3@3 as grouped bars (Figures 3 and 4): CI whiskers, the value above each bar, room above the highest."""
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
    ax.set_xlabel(xlabel)
    ax.set_ylabel("AC3@3")
    tops = [p[2] for points in series.values() for p in points if p]
    ax.set_ylim(0, min(1.1, max(tops + [0.1]) + 0.15))
    ax.set_title(title)
    ax.legend(title=legend_title, fontsize=8)


# ------------------------------------------------------------------------------------ learning curves


def checkpoint_curves(checkpoints: dict) -> dict:
    """report.json's `checkpoints`: {run: {bench: [{step, accuracy, consistency, ac3}, ...]}} (metrics at the
    table's k)."""
    out: dict = {}
    for (name, bench), points in sorted(checkpoints.items()):
        out.setdefault(name, {})[bench] = [{"step": step, **{m: r.metric(m) for m in ("accuracy", "consistency", "ac3")}}
                                           for step, r in points]
    return out


def plot_checkpoints(curves: dict, benches: list[str], out: Path, figures: dict, skipped: dict) -> None:
    """Accuracy, consistency and AC3 against training steps: one row of panels per benchmark, a line per run."""
    if not curves:  # an optional figure (eval_checkpoints), not one of the paper's: nothing to note when absent
        return
    import matplotlib.pyplot as plt

    shown = [b for b in benches if any(b in per for per in curves.values())]
    fig, axes = plt.subplots(len(shown), 3, figsize=(13, 3.4 * len(shown)), squeeze=False)
    for row, bench in zip(axes, shown):
        for ax, metric in zip(row, ("accuracy", "consistency", "ac3")):
            for name, per in curves.items():
                points = [p for p in per.get(bench, []) if p[metric] is not None]
                if points:
                    ax.plot([p["step"] for p in points], [p[metric] for p in points], marker="o", label=name)
            ax.set_title(f"{bench}: {metric}", fontsize=9)
            ax.set_xlabel("training step")
            ax.grid(alpha=0.3)
        row[0].legend(fontsize=7)
    fig.suptitle("Saved checkpoints (eval_checkpoints)", fontsize=10)
    _save(fig, out, figures, "learning_curves")
