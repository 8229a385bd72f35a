"""--extractor crossin-paper: every branch of the CrossIn authors' answer mapping (Lingy12/my_seaeval src/metric.py,
Metric._compute_cross_mmlu), where it differs from tiger-eval's, and --protocol crossin-paper end to end."""

from __future__ import annotations

import json

import pytest

from crossin.errors import CrossinError
from crossin.evaluate import EvalConfig
from crossin.extract_paper import paper_align
from crossin.extract_seaeval import seaeval_align

TEXTS = ["responsible", "funny", "sociable", "followers"]


def read(output, texts=TEXTS, seed=0, key="k"):
    r = paper_align(output, texts, seed=seed, key=key)
    return r.choice, r.random


@pytest.mark.parametrize("output, choice", [
    ("(B) funny.", 1),                       # the whole option string
    ("The answer is (B).", 1),               # "(b)"
    ("I pick (C because it fits.", 2),       # "(c" alone is a spelling they accept
    ("the answer is d) followers", 3),       # "d)" too
    ("答案是（B）。", 1),                      # Chinese punctuation becomes ASCII first
    ("(A). (B). (B).", 1),                   # most votes over the sentences win
])
def test_first_pass_spellings_and_votes(output, choice):
    assert read(output) == (choice, "")


def test_several_options_in_one_sentence_are_drawn_at_random_seeded_per_item():
    """Their first pass picks one of the spellings found in a sentence at random (tiger-eval takes the longest)."""
    picks = {read("(A) or (B)", key=f"set{i}:en")[0] for i in range(40)}
    assert picks == {0, 1}
    assert read("(A) or (B)", key="x")[1] == "several"
    assert read("(A) or (B)", key="x") == read("(A) or (B)", key="x")  # same seed and item: same reading
    # tiger-eval's rule reads the same text deterministically (the first of the equally long keys).
    assert {seaeval_align("(A) or (B)", TEXTS, seed=0, key=f"set{i}:en").choice for i in range(40)} == {0}


def test_a_tie_between_sentences_is_drawn_between_the_two():
    readings = {read("(A). (C).", key=str(i)) for i in range(40)}
    assert readings == {(0, "tie"), (2, "tie")}


@pytest.mark.parametrize("output, choice", [
    ("I think B is right", 1),        # " b " (second pass: a bare letter)
    ("A is right", 0),                # " A " stands for option A (their marker), not the article "a"
    ("It is sociable", 2),            # an option's text
    ("It is sociable, or funny", 2),  # the first of the longest keys in the sentence: one vote per sentence
])
def test_second_pass_letters_and_texts(output, choice):
    assert read(output) == (choice, "")


def test_a_lower_case_article_is_no_vote_and_nothing_read_is_a_seeded_random_fill():
    picks = [read("a cat sat on the mat", key=str(i)) for i in range(40)]
    assert {why for _, why in picks} == {"fill"} and len({c for c, _ in picks}) == 4
    assert [read("a cat", seed=1, key=str(i)) for i in range(10)] == [read("a cat", seed=1, key=str(i)) for i in range(10)]


def test_an_empty_output_is_read_as_the_text_none():
    assert read("")[1] == "fill"
    assert read("", texts=["Some", "None", "All"]) == (1, "")  # "none" is then an option's text
    assert read(None, texts=["Some", "None", "All"]) == (1, "")
    assert read("   ")[1] == "fill"  # only an empty output becomes "None", as theirs


def test_five_options_are_refused_as_their_rule_does():
    with pytest.raises(ValueError, match="at most 4"):
        read("(A)", texts=list("abcde"))


def test_protocol_sets_the_papers_values_and_refuses_others():
    cfg = EvalConfig(protocol="crossin-paper", bench=["cross-mmlu"], langs=["en", "zh"])
    cfg.validate()
    assert (cfg.mode, cfg.template, cfg.prompt_format, cfg.max_new_tokens, cfg.extractor) == (
        "generate", "paper:1", "plain", 128, "crossin-paper")
    chat = EvalConfig(protocol="crossin-paper", prompt_format="chat")  # the authors' chat-model wrapper
    chat.validate()
    assert chat.prompt_format == "chat"
    with pytest.raises(CrossinError, match="sets mode = 'generate'"):
        EvalConfig(protocol="crossin-paper", mode="cloze").validate()
    with pytest.raises(CrossinError, match="sets max_new_tokens = 128"):
        EvalConfig(protocol="crossin-paper", max_new_tokens=8).validate()


def test_results_name_the_protocol_and_its_source(tiny_dir, tmp_path, one_torch_thread):
    from crossin.evaluate import run_eval

    run_eval(EvalConfig(protocol="crossin-paper", model=str(tiny_dir), bench=["cross-logiqa"], langs=["en", "zh"],
                        limit=1, out=str(tmp_path), no_cache=True, device="cpu"))
    res = json.loads((tmp_path / "cross-logiqa" / "results.json").read_text())
    assert res["protocol"]["name"] == "crossin-paper"
    assert res["protocol"]["source"]["repo"] == "Lingy12/my_seaeval"
    assert len(res["protocol"]["source"]["commit"]) == 40
    assert res["extraction"]["extractor"] == "crossin-paper" and res["template"] == "paper:1"
    sample = json.loads((tmp_path / "cross-logiqa" / "samples_cross-logiqa.jsonl").read_text().splitlines()[0])
    assert sample["prompt"].startswith("Content:\n") and sample["prompt"].endswith("\n\nAnswer:\n")
