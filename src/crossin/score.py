"""`crossin score`: a predictions file (choices, or raw texts read by an extractor) -> the results dict.

The results dict itself (metrics + inputs) is built by `crossin.results.score`, which `crossin eval` uses too;
it is re-exported here as `crossin.score.score`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .benchmarks import Benchmark
from .config import arg, check_fields, refuse_no_ops
from .errors import CrossinError
from .extraction import EXTRACTORS, ExtractorSpec, Item, check_spec, extraction_block, read_items
from .io import iter_jsonl, sha256_file
from .langs import to_code
from .letters import LETTERS
from .metrics import MAX_N_BOOT, UNPARSED
from .predictions import MatrixBuilder
from .results import gold_vector, score


@dataclass
class ScoreConfig:
    bench: str | None = arg(None, help="Benchmark name: cross-mmlu, cross-logiqa, cross-xquad, cross-xquad-built, "
                                       "global-mmlu, mmlu-prox, belebele (with --lm-eval-samples: only these, "
                                       "comma-separated; default every one found).")
    predictions: str | None = arg(None, help="JSONL: {id, lang, prediction} or {id, lang, choice}.")
    lm_eval_samples: str | None = arg(None, help="lm_eval's --output_path of a --log_samples run of tasks from "
                                                 "`crossin export lm-eval`, or of lm-eval's own global_mmlu_full_*, "
                                                 "mmlu_prox_*, belebele_* tasks, instead of --predictions.")
    langs: str | None = arg(None, help="Comma-separated language codes (default: en,zh,es,vi; with "
                                       "--lm-eval-samples every language found).")
    out: str | None = arg(None, help="Write results.json here (a folder per benchmark with --lm-eval-samples).")
    data_dir: str | None = arg(None, help="Local data root or file (default: $CROSSIN_DATA_DIR, else the Hub).")
    bench_file: str | None = arg(None, help="A SeaEval-format JSONL file to use instead of the registered source.")
    allow_missing: bool = arg(False, help="Score missing (set, language) predictions as unparsed.")
    only_complete: bool = arg(False, help="Score only the sets predicted in every language (e.g. a run with "
                                          "--limit); says how many were left out.")
    subset: str = arg("all", choices=("all", "cs", "ca"), help="global-mmlu: cs (culturally sensitive), ca "
                                                               "(agnostic) or all (every question, plus each "
                                                               "subset's metrics).")
    seed: int = arg(0, min=0, max=2**32 - 1, help="Seed of the bootstrap confidence intervals.")
    n_boot: int = arg(1000, min=1, max=MAX_N_BOOT, help="Bootstrap resamples.")
    extractor: str = arg("crossin", choices=EXTRACTORS, help="Who reads raw-text predictions: crossin, seaeval "
                                                             "(SeaEval's tiger-eval rule; its random fill seeded by "
                                                             "--seed), judge (an LLM: --judge-model, --judge-base-url) "
                                                             "or crossin+judge (the rules, then the judge for what "
                                                             "they leave unread).")
    judge_model: str | None = arg(None, help="--extractor judge or crossin+judge: openai:NAME on the judge server.")
    judge_base_url: str | None = arg(None, help="--extractor judge or crossin+judge: the OpenAI-compatible server "
                                                "URL, e.g. http://127.0.0.1:8000/v1.")
    think_end_token: str | None = arg(None, help="A reasoning model's end-of-thinking token (like lm-eval's "
                                                 "think_end_token), for delimiters crossin does not know; the "
                                                 "thinking before it is never read as the answer.")
    show_disagreements: int = arg(0, min=0, max=100_000, help="Print up to N items that the crossin and seaeval "
                                                              "extractors read differently.")

    def spec(self):
        return ExtractorSpec(name=self.extractor, seed=self.seed, judge_model=self.judge_model,
                             judge_base_url=self.judge_base_url, think_end_token=self.think_end_token)

    def validate(self) -> None:
        """Every check of a score config, before any file is read."""
        check_fields(self)
        check_spec(self.spec())
        if (self.predictions is None) == (self.lm_eval_samples is None):
            raise CrossinError("give either --predictions FILE or --lm-eval-samples DIR")
        samples = self.lm_eval_samples is not None
        refuse_no_ops([
            (samples and any(x is not None for x in (self.data_dir, self.bench_file)),
             "--data-dir and --bench-file are not read with --lm-eval-samples (lm-eval's samples carry the items); "
             "drop them"),
            (samples and (self.allow_missing or self.only_complete),
             "--allow-missing and --only-complete are for --predictions; lm-eval's samples of a language are "
             "complete (languages run with different --limit are refused)"),
            (self.allow_missing and self.only_complete,
             "--allow-missing does nothing with --only-complete (only sets predicted in every language are scored); "
             "use one of them"),
            (samples and (self.extractor != "crossin" or bool(self.show_disagreements)
                          or self.think_end_token is not None),
             "--extractor and --show-disagreements read raw-text predictions (--predictions); lm-eval samples "
             "carry lm-eval's own choice"),
        ])
        if not samples and self.bench is None:
            raise CrossinError("--predictions needs --bench")


def parse_choice(value, n_choices: int, *, path: str, line: int) -> int:
    """A choice given as a 0-based index or a letter ("B", "(B)")."""
    if isinstance(value, bool):
        raise CrossinError(f"choice {value!r} is not an index or a letter", path=path, line=line)
    if isinstance(value, int):
        index = value
    elif isinstance(value, str) and len(label := value.strip().strip("()").upper()) == 1 and label in LETTERS:
        index = LETTERS.index(label)
    else:
        raise CrossinError(f"choice {value!r} is not an index or a letter", path=path, line=line)
    if not 0 <= index < n_choices:
        raise CrossinError(f"choice {value!r} out of range for {n_choices} options", path=path, line=line)
    return index


MISSING_HINT = ("pass --allow-missing to score them as unparsed, or --only-complete to score only the sets predicted "
                "in every language")


def read_text_items(path: str, bench: Benchmark) -> tuple[MatrixBuilder, list[Item]]:
    """The file's lines: a choice given as an index or letter goes into the matrix; a raw text becomes an `Item`
    for the extractor (its cell is reserved, so duplicates are still found on the line where they occur)."""
    sets = bench.by_id()
    langs = set(bench.langs)
    matrix = MatrixBuilder(path=path)
    items: list[Item] = []
    for line, obj in iter_jsonl(path):
        if "id" not in obj or "lang" not in obj:
            raise CrossinError("each line needs 'id' and 'lang'", path=path, line=line)
        set_id = str(obj["id"])
        try:
            lang = to_code(str(obj["lang"]))
        except CrossinError as e:
            raise CrossinError(e.reason, path=path, line=line) from None
        if set_id not in sets:
            if set_id in bench.meta.get("other_ids", ()):
                continue  # a question of the dataset outside the scored subset
            raise CrossinError(f"unknown id {set_id!r} (not in {bench.name})", path=path, line=line)
        if lang not in langs:
            continue
        item = sets[set_id].items[lang]
        text = obj.get("prediction")
        if text is not None and not isinstance(text, str):
            raise CrossinError("'prediction' must be a string", path=path, line=line)
        if text is not None or ("prediction" in obj and obj.get("choice") is None):
            # raw text is read by the extractor even when a choice is there too (a samples file read again)
            matrix.add(set_id, lang, None, line)
            items.append(Item(f"{set_id}:{lang}", lang, text, tuple(item.choices), item.question))
        elif "choice" in obj and obj["choice"] is not None:
            matrix.add(set_id, lang, parse_choice(obj["choice"], len(item.choices), path=path, line=line), line)
        else:
            raise CrossinError("line needs 'prediction' (raw text) or 'choice' (index or letter)", path=path, line=line)
    return matrix, items


def _read_cells(path: str, bench: Benchmark, extractor: ExtractorSpec) -> tuple[MatrixBuilder, list]:
    matrix, items = read_text_items(path, bench)
    readings = read_items(extractor, items, progress=True)
    for it, r in zip(items, readings):
        set_id, lang = it.key.rsplit(":", 1)
        matrix.cells[(set_id, lang)] = UNPARSED if r.choice is None else r.choice
    return matrix, list(zip(items, readings))


def read_option_scores(path: str, bench: Benchmark) -> np.ndarray | None:
    """(sets, langs, options) from the lines' optional `option_scores` (one number per option, higher = preferred,
    e.g. log-probabilities), for RankC; None unless every scored (set, language) has them."""
    rows = {s.id: i for i, s in enumerate(bench.sets)}
    cols = {lang: j for j, lang in enumerate(bench.langs)}
    out = np.full((len(bench.sets), len(bench.langs), bench.n_choices), np.nan)
    seen = np.zeros(out.shape[:2], dtype=bool)
    for line, obj in iter_jsonl(path):
        values = obj.get("option_scores")
        lang = to_code(str(obj.get("lang")))
        if values is None or str(obj.get("id")) not in rows or lang not in cols:
            continue
        i, j = rows[str(obj["id"])], cols[lang]
        n = len(bench.sets[i].items[lang].choices)
        if (not isinstance(values, list) or len(values) != n
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)):
            raise CrossinError(f"'option_scores' must be a list of {n} numbers (one per option)", path=path, line=line)
        out[i, j, :n], seen[i, j] = values, True
    return out if seen.all() else None


def score_file(bench: Benchmark, predictions: str | Path, *, allow_missing: bool = False, only_complete: bool = False,
               seed: int = 0, n_boot: int = 1000, extractor: ExtractorSpec | None = None,
               readings: list | None = None) -> dict:
    """Results for a predictions file. `only_complete` scores just the sets with a prediction in every requested
    language (e.g. a run on the first N sets); `inputs.sets_left_out` counts the others. Raw texts are read by
    `extractor` (default: crossin's); `extraction` records which, and its unparsed/ambiguous counts per language.
    `readings`, when given, receives the (Item, Reading) of every raw text read (for `write_readings`)."""
    extractor = extractor or ExtractorSpec(seed=seed)
    cells, read = _read_cells(str(predictions), bench, extractor)
    if readings is not None:
        readings.extend(read)
    left_out = 0
    if only_complete:
        kept = [s for s in bench.sets if all((s.id, lang) in cells.cells for lang in bench.langs)]
        left_out = len(bench.sets) - len(kept)
        if not kept:
            raise CrossinError(f"no set has a prediction in every language of {', '.join(bench.langs)}",
                               path=str(predictions))
        bench = dataclasses.replace(bench, sets=kept)
    pred = cells.build([s.id for s in bench.sets], list(bench.langs), gold_vector(bench), allow_missing=allow_missing,
                       hint=MISSING_HINT).pred
    results = score(bench, pred, seed=seed, n_boot=n_boot, scores=read_option_scores(str(predictions), bench), extra_inputs={
        "predictions": str(predictions),
        "predictions_sha256": sha256_file(predictions),
        "allow_missing": allow_missing,
        "only_complete": only_complete,
        "sets_left_out": left_out,
        "extractor": extractor.name,
    })
    scored = {s.id for s in bench.sets}  # with --only-complete, the texts of the sets scored
    results["extraction"] = extraction_block(extractor, bench.langs,
                                             [(it.lang, r) for it, r in read if it.key.rsplit(":", 1)[0] in scored])
    return results


def write_readings(path: Path, read: list) -> Path:
    """samples.jsonl of `crossin score`: one line per raw text read, as `crossin eval` writes its samples: id, lang,
    the text, the option read (`choice`, 0-based, null when none), and which rule or path read it (`read_by`: final,
    leading, assertion, mention, text, seaeval, random, judge, cut_off, or "" when nothing was read), so that any
    extractor can be audited (lm-eval's --log_samples habit)."""
    from .io import write_jsonl
    from .thinking import split_thinking

    rows = []
    for it, r in read:
        set_id, lang = it.key.rsplit(":", 1)
        row = {"id": set_id, "lang": lang, "prediction": it.output, "choice": r.choice, "read_by": r.rule,
               "ambiguous": r.ambiguous}
        thinking = split_thinking(it.output or "").thinking
        if thinking or r.cut_off:
            row["cut_off"] = r.cut_off
        rows.append(row)
    write_jsonl(path, rows)
    return path
