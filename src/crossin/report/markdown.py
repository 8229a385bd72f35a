"""Writing the report: build_report runs loading, statistics and figures over the inputs, then writes
report.json (every number in the report) and report.md (the same, for people) into the output folder."""

from __future__ import annotations

from pathlib import Path

from ..io import atomic_write_text, write_json
from ..metrics import headline_k
from .figures import checkpoint_curves, draw_figures, plot_checkpoints
from .loading import Run, find_checkpoints, find_runs, present, usable_samples
from .statistics import (TABLE_METRICS, build_table, default_comparisons, ordered_names, paper_comparison,
                         run_comparisons)


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
    runs = find_runs(inputs)
    names = ordered_names(runs)
    if baseline is not None and baseline not in names:  # with one run it would be ignored in silence
        from ..errors import CrossinError

        raise CrossinError(f"--baseline {baseline!r} is not one of the runs: {', '.join(names)}")
    out.mkdir(parents=True, exist_ok=True)
    benches = list(dict.fromkeys(r.bench for r in sorted(runs, key=lambda r: r.bench)))
    by = {(r.name, r.bench): r for r in runs}
    notes: list[str] = list(notes or [])
    samples = usable_samples(runs, notes)
    table = build_table(names, benches, by)
    paper = paper_comparison(table, names, by)
    figures, skipped = draw_figures(runs, names, benches, by, out)
    curves = checkpoint_curves(find_checkpoints(inputs))
    plot_checkpoints(curves, benches, out, figures, skipped)
    pairs = compare if compare else (default_comparisons(names, runs, baseline) if len(names) > 1 else [])
    comparisons = run_comparisons(pairs, names, benches, by, samples, notes, n_boot=n_boot, seed=seed)
    report = {
        "title": title,
        "inputs": [str(p) for p in inputs],
        "runs": [{"name": r.name, "bench": r.bench, "folder": str(r.folder), "meta": r.meta,
                  "model": r.results.get("model"), "adapter": r.results.get("adapter"), "mode": r.results.get("mode")}
                 for n in names for r in runs if r.name == n],
        "benchmarks": benches,
        "table": table,
        "paper": paper,
        "checkpoints": curves,
        "measures": measures(names, benches, by),
        "comparisons": comparisons,
        "figures": figures,
        "skipped_figures": skipped,
        "notes": notes,
        "bootstrap": {"n": n_boot, "seed": seed},
    }
    write_json(out / "report.json", report)
    atomic_write_text(out / "report.md", render_markdown(report, names, benches, by))
    return report


def render_markdown(report: dict, names: list[str], benches: list[str], by: dict[tuple[str, str], Run]) -> str:
    lines = [f"# {report['title']}", ""]
    lines.append("Inputs: " + ", ".join(f"`{p}`" for p in report["inputs"]))
    lines += _runs_section(names, benches, by)
    lines += _table_section(report["table"], names, benches, by)
    lines += _paper_section(report.get("paper") or {}, by)
    lines += _figures_section(report, benches)
    lines += _measures_section(report, benches)
    lines += _comparisons_section(report)
    if report["notes"]:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in report["notes"]]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------ sections


def _runs_section(names: list[str], benches: list[str], by: dict[tuple[str, str], Run]) -> list[str]:
    lines = ["", "## Runs", "", "| run | model | adapter | mode | recipe | CrossIn n | translation | seed | benchmarks (sets) | languages |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name in names:
        rs = [by[(name, b)] for b in benches if (name, b) in by]
        r, m = rs[0], rs[0].meta
        langs = sorted({",".join(x.results["languages"]) for x in rs})
        lines.append(f"| {name} | {r.results.get('model', '')} | {_short(r.results.get('adapter'))} | {r.results.get('mode', '')} | "
                     f"{m.get('recipe', '')} | {m.get('n', '')} | {m.get('translation', '')} | {m.get('seed', r.results.get('seed', ''))} | "
                     + ", ".join(f"{x.bench} ({x.results['n_sets']})" for x in rs) + f" | {'; '.join(langs)} |")
    return lines


def _table_section(table: dict, names: list[str], benches: list[str], by: dict[tuple[str, str], Run]) -> list[str]:
    lines = ["", "## Accuracy, consistency and AC3 (Table 3)", "",
             "Value (95% bootstrap CI over sets, from each results.json). Consistency and AC3 at k = 3 languages "
             "(k = the number of languages when fewer; no CI then). Kappa@3 (with its CI) is consistency corrected for the "
             "agreement expected from each language's answer distribution alone (0 = no agreement beyond position "
             "bias).", ""]

    def k_label(bench):
        ks = {table[n][bench]["k"] for n in names if bench in table[n]}
        return str(ks.pop()) if len(ks) == 1 else "k"

    header = "| run |" + "".join(f" {b} Acc | {b} Cons@{k_label(b)} | {b} AC3@{k_label(b)} | {b} kappa@{k_label(b)} |"
                                 f" {b} answers |" for b in benches)
    lines += [header, "|---|" + "---|" * (len(TABLE_METRICS) + 1) * len(benches)]
    labels = {n: r.meta.get("label") for (n, _), r in by.items()}  # Table 3's row names, from arm.json
    warned: list[str] = []
    for name in names:
        label = labels.get(name)
        row = f"| {label} ({name}) |" if label and label != name else f"| {name} |"
        for bench in benches:
            cell = table[name].get(bench)
            if cell is None:
                row += " - |" * (len(TABLE_METRICS) + 1)
                continue
            row += "".join(f" {_fmt(cell[m]['value'], cell[m]['ci95'])} |" for m in TABLE_METRICS)
            marks = ""
            for warning in cell.get("warnings", []):
                warned.append(f"{name} on {bench}: {warning}.")
                marks += f" **warning {len(warned)}**"
            unread = f" (unread {cell['unread_share']:.1%})" if cell.get("unread_share") else ""
            row += f" {' '.join(map(str, cell.get('answers', [])))}{unread}{marks} |"
        lines.append(row)
    if warned:
        lines += ["", "Answers are the choices per option (A B C D ...) over all languages, and the share of answers "
                  "no option was read from (unread: counted as wrong). Warnings:", ""]
        lines += [f"{i}. {w}" for i, w in enumerate(warned, 1)]
    return lines


def _paper_section(paper: dict, by: dict[tuple[str, str], Run]) -> list[str]:
    """The rows of Table 3 that stand for a row of the paper's: its value beside ours."""
    if not paper:
        return []
    from ..paper_table3 import CITATION

    lines = ["", f"### Beside the paper ({CITATION})", "",
             "Runs standing for a row of the paper's Table 3 (same base model and recipe label, or the same general "
             "LLM): the paper's value, ours with its 95% CI, ours - paper, and whether the paper's value lies in our CI. "
             "Consistency and AC3 at 3 languages, as the paper's. Other runs have no paper value.", "",
             "| run | paper row | benchmark | metric | paper | ours (95% CI) | ours - paper | paper in CI |",
             "|---|---|---|---|---|---|---|---|"]
    notes = []
    for name, entry in paper.items():
        row = " / ".join(x for x in (entry["row"]["base"], entry["row"]["label"]) if x)
        for bench, cell in entry["benchmarks"].items():
            if not cell["same_languages"]:
                notes.append(f"{name} on {bench}: not the paper's four languages (en, zh, es, vi), so not the same measure.")
            for metric, m in cell["metrics"].items():
                inside = "-" if m["paper_in_ci"] is None else "yes" if m["paper_in_ci"] else "no"
                diff = "-" if m["diff"] is None else f"{m['diff']:+.3f}"
                lines.append(f"| {name} | {row} | {bench} | {metric} | {m['paper']:.3f} | {_fmt(m['ours'], m['ci95'])} "
                             f"| {diff} | {inside} |")
    if notes:
        lines += [""] + [f"- {n}" for n in notes]
    return lines


def _figures_section(report: dict, benches: list[str]) -> list[str]:
    lines = ["", "## Accuracy per language", ""]
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
    if "learning_curves" in report["figures"]:  # only experiments that evaluated their checkpoints have it
        lines += ["", "## Accuracy, consistency and AC3 against training steps (saved checkpoints)", "",
                  f"![learning curves]({report['figures']['learning_curves']})"]
    return lines


def _comparisons_section(report: dict) -> list[str]:
    lines = ["", "## Paired comparisons", ""]
    if not report["comparisons"]:
        return lines + ["No comparisons (one run only, or none with usable samples)."]
    b = report["bootstrap"]
    lines += [f"A minus B on the sets and languages both runs have; paired bootstrap over sets ({b['n']} resamples, "
              f"seed {b['seed']}), 95% CI of the difference and two-sided p-value (not corrected for multiple comparisons). "
              "Kappa: consistency beyond what the two runs' answer distributions predict; RankC: agreement of the "
              "option rankings (only where both runs scored every option: loglik, cloze).", "",
              "| A | B | benchmark | sets | metric | A | B | A - B (95% CI) | p |",
              "|---|---|---|---|---|---|---|---|---|"]
    for c in report["comparisons"]:
        for metric, m in c["metrics"].items():
            lines.append(f"| {c['a']} | {c['b']} | {c['bench']} | {c['n_sets']} | {PAIRED_NAMES[metric]} | {m['a']:.3f} | "
                         f"{m['b']:.3f} | {m['diff']:+.3f} ({m['ci95'][0]:+.3f}, {m['ci95'][1]:+.3f}) | "
                         f"{_fmt_p(m['p_value'])} |")
    ks = sorted({c["k"] for c in report["comparisons"]})
    return lines + ["", f"Cons, AC3 and kappa at k = {', '.join(map(str, ks))} languages."]


PAIRED_NAMES = {"accuracy": "Acc", "consistency": "Cons", "ac3": "AC3", "kappa": "kappa", "rankc": "RankC"}


def measures(names: list[str], benches: list[str], by: dict[tuple[str, str], Run]) -> list[dict]:
    """Per run and benchmark: RankC (with its CI and chance level), the answer-language share (generate mode) and
    each subset's accuracy and consistency (Global-MMLU's cs / ca), from results.json."""
    rows = []
    for name, bench, run in present(names, benches, by):
        res = run.results
        rankc, lang = res.get("rankc"), res.get("answer_language")
        k = headline_k(len(res["languages"]))
        rows.append({
            "run": name, "bench": bench,
            "rankc": rankc and {"value": rankc["overall"], "ci95": (res.get("ci95") or {}).get("rankc"),
                                "chance": rankc["chance"]},
            "answer_language": lang and {"overall": lang["overall"],
                                         "languages": {c: v.get("share") for c, v in lang["languages"].items()}},
            "subsets": {sub: {"n_sets": v["n_sets"], "accuracy": v.get("accuracy"),
                              "consistency": (v.get("consistency") or {}).get(str(k)), "k": k}
                        for sub, v in (res.get("subsets") or {}).items()},
        })
    return rows


def _measures_section(report: dict, benches: list[str]) -> list[str]:
    rows = report["measures"]
    lines = ["", "## Ranking consistency (RankC), answer language, subsets", "",
             "RankC: how much two languages' rankings of all the options overlap, weighted towards the top (Qi et al. "
             "2023; 1 = identical rankings; chance = independent random rankings); from the option scores of loglik, "
             "cloze and circular runs. Answer language: the share of generated answers written in the language asked "
             "(lingua, line level; generate mode).", "",
             "| run | benchmark | RankC (95% CI) | chance | answer language (per language) | subsets: Acc / Cons |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        rank = r["rankc"]
        lang = r["answer_language"]
        per_lang = ", ".join(f"{c} {v:.2f}" if v is not None else f"{c} n/a" for c, v in (lang or {}).get("languages", {}).items())
        subsets = "; ".join(f"{sub} ({v['n_sets']}): {_fmt(v['accuracy'])} / {_fmt(v['consistency'])}"
                            for sub, v in r["subsets"].items() if v["n_sets"])
        lines.append(f"| {r['run']} | {r['bench']} | {_fmt(rank['value'], rank['ci95']) if rank else 'n/a'} | "
                     f"{_fmt(rank['chance']) if rank else ''} | "
                     f"{(_fmt(lang['overall']) + ' (' + per_lang + ')') if lang else 'n/a'} | {subsets} |")
    figures = [f"![RankC on {b}]({report['figures'][f'rankc:{b}']})" for b in benches if f"rankc:{b}" in report["figures"]]
    return lines + ([""] + figures if figures else [])


# ------------------------------------------------------------------------------------------ formats


def _fmt(value: float | None, ci: list[float] | None = None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f} ({ci[0]:.3f}-{ci[1]:.3f})" if ci else f"{value:.3f}"


def _fmt_p(p: float) -> str:
    return f"{p:.4f}" if p >= 1e-4 else "<0.0001"


def _short(path) -> str:
    if not path:
        return ""
    parts = Path(str(path)).parts
    return "/".join(parts[-3:])
