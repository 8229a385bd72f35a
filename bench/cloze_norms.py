"""The five cloze normalisations side by side: accuracy, consistency@3 and AC3@3 per benchmark (a Markdown table).

    python bench/cloze_norms.py --bench cross-mmlu,cross-xquad-built --langs en,zh,es,vi --limit 20

Every norm reads the same (prompt, option) log-likelihoods, so with the request cache only the first norm runs the
model (pmi adds one unconditional request per option). Uses `crossin.evaluate.run_eval`.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="gemma-3-270m")
    parser.add_argument("--bench", default="cross-mmlu,cross-xquad-built")
    parser.add_argument("--langs", default="en,zh,es,vi")
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--template", default="seaeval:1")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    from crossin.evaluate import CLOZE_NORMS, EvalConfig, run_eval

    print("| benchmark | norm | accuracy | per language | consistency@3 | AC3@3 | answers A/B/C/D | s |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for bench in args.bench.split(","):
            for norm in CLOZE_NORMS:
                started = time.perf_counter()
                cfg = EvalConfig(model=args.model, bench=[bench], langs=args.langs.split(","), limit=args.limit,
                                 mode="cloze", cloze_norm=norm, template=args.template, device="cpu",
                                 threads=args.threads, data_dir=os.environ.get("CROSSIN_DATA_DIR"),
                                 out=os.path.join(tmp, norm), cache_dir=os.path.join(tmp, "cache"), n_boot=200)
                r = next(iter(run_eval(cfg, progress=False).values()))
                per_lang = " / ".join(f"{r['language_accuracy'][lang]:.2f}" for lang in r["languages"])
                dist = r.get("answer_distribution", {})
                answers = " ".join(str(sum(d[k] for d in dist.values() if k < len(d))) for k in range(4))
                print(f"| {bench} | {norm} | {r['accuracy']:.3f} | {per_lang} | {r['consistency']['3']:.3f} | "
                      f"{r['ac3']['3']:.3f} | {answers} | {time.perf_counter() - started:.0f} |", flush=True)


if __name__ == "__main__":
    main()
