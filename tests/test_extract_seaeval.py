"""`--extractor seaeval` against the real rule: tiger-eval 0.0.2's `heuristic_align` (SeaEval's scoring package,
installed by the `dev` extra; its module is loaded from its file so that tiger-eval's package imports, torch and
transformers, are not needed). Where the real rule is deterministic our reading must be the same option; where it
draws at random ours is seeded: the same seed gives the same fill, in any order."""

import importlib.util
import json
from pathlib import Path

from crossin.extract_seaeval import seaeval_align, seaeval_choices

DATA = Path(__file__).parent / "data"


def _tiger_module():
    spec = importlib.util.find_spec("tiger_eval")
    if spec is None or not spec.submodule_search_locations:
        raise AssertionError("tiger-eval is not installed: pip install -e '.[dev]' (it is in the dev extra)")
    path = Path(next(iter(spec.submodule_search_locations))) / "multichoice_align.py"
    module_spec = importlib.util.spec_from_file_location("tiger_multichoice_align", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


class _NoRandom:
    """Stands in for `random` in tiger-eval's module: a random pick means the rule is not deterministic there."""

    class Drew(Exception):
        pass

    def choice(self, seq):
        raise self.Drew


def _real(module, choices, output):
    """tiger-eval's option index, or None where it would draw at random."""
    module.random = _NoRandom()
    try:
        return choices.index(module.heuristic_align(choices, output))
    except _NoRandom.Drew:
        return None


EXTRA = [  # shapes the rule treats specially: the " A " mark, sentence votes, case, Chinese punctuation, ties
    ("A", ["responsible", "funny", "sociable", "followers"]),
    ("I think it is a b c", ["responsible", "funny", "sociable", "followers"]),
    ("The answer is B. Because B is funny. (C) no.", ["responsible", "funny", "sociable", "followers"]),
    ("答案是（Ｂ）。有趣的。", ["负责任的", "有趣的", "善于交际的", "追随者"]),
    ("答案是（B）。", ["负责任的", "有趣的", "善于交际的", "追随者"]),
    ("RESPONSIBLE!", ["responsible", "funny", "sociable", "followers"]),
    ("It is 4.5 billion years old", ["4.5 billion years.", "750 million years.", "2 billion years.", "3 billion years."]),
    ("(a) or (b)? (b).", ["x", "y", "z", "w"]),
    ("Option A is right", ["x", "y", "z", "w"]),
    ("", ["x", "y"]),
]


def _cases():
    rows = [json.loads(line) for name in ("extraction_labelled.jsonl", "extraction_labelled_freeform.jsonl", "extraction_labelled_freeform2.jsonl")
            for line in (DATA / name).read_text(encoding="utf-8").splitlines()]
    return [(r["output"], r["choices"]) for r in rows] + EXTRA


def test_equals_tiger_eval_where_it_is_deterministic():
    module = _tiger_module()
    compared = 0
    for output, texts in _cases():
        real = _real(module, seaeval_choices(texts), output)
        ours = seaeval_align(output, texts, seed=0, key="k")
        if real is None:
            assert ours.random in ("fill", "tie"), output
            continue
        assert ours.random == "" and ours.choice == real, (output, ours, real)
        compared += 1
    print(f"compared {compared} deterministic outputs")
    assert compared >= 350  # most of the labelled set is deterministic for SeaEval's rule


def test_random_picks_are_seeded_and_reported():
    texts = ["responsible", "funny", "sociable", "followers"]
    fills = [seaeval_align("", texts, seed=7, key=f"test_{i}:en") for i in range(40)]
    assert all(r.random == "fill" for r in fills)
    again = [seaeval_align("", texts, seed=7, key=f"test_{i}:en") for i in reversed(range(40))][::-1]
    assert fills == again  # same seed, same fill, whatever the order
    other = [seaeval_align("", texts, seed=8, key=f"test_{i}:en") for i in range(40)]
    assert [r.choice for r in other] != [r.choice for r in fills]
    assert len({r.choice for r in fills}) > 1  # a fill, not a constant
    tie = seaeval_align("(A) responsible. (B) funny.", texts, seed=3, key="t")
    assert tie.random == "tie" and tie.choice in (0, 1)
    assert seaeval_align("(A) responsible. (B) funny.", texts, seed=3, key="t") == tie


def test_a_tie_between_sentences_is_a_draw_for_seaeval():
    # One sentence states (A), three others each eliminate one option: SeaEval counts every sentence as a vote.
    output = ("The most appropriate answer is (A) batay sa comparative advantage. Option (B) is incorrect. Option (C) is "
              "incorrect. Option (D) is incorrect.")
    texts = ["batay sa comparative advantage.", "pagsasagawa ng mga serbisyo", "paggawa ng mga kalakal", "na may punong tanggapan"]
    assert _real(_tiger_module(), seaeval_choices(texts), output) is None
    assert seaeval_align(output, texts, seed=0, key="x").random == "tie"
