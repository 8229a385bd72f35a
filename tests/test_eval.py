"""Unit tests of crossin eval on a tiny random Gemma 3 (milliseconds per forward) and a scripted backend."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from crossin.benchmarks import MCQ, Benchmark, ParallelSet, load_benchmark
from crossin.errors import CrossinError
from crossin.evaluate import EvalCache, EvalConfig, build_requests, execute, rotate, run_eval, score_options, unrotate_scores
from crossin.evaluate.hf_backend import HFBackend
from crossin.evaluate.scoring import cloze_continuation
from crossin.prompts import format_cloze, format_mcq
from crossin.score import score_file

DATA_DIR = Path(os.environ["CROSSIN_DATA_DIR"])  # set by conftest.py


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def mmlu():
    return load_benchmark("cross-mmlu", "en,zh", data_dir=DATA_DIR, limit=6)


# --- prompts -------------------------------------------------------------------------------------------------------

def test_mcq_prompt_goes_through_the_training_formatter():
    alpaca = format_mcq("Q?", ("x", "y"), "passage", template=2)
    assert alpaca.startswith("Below is an instruction") and alpaca.endswith("### Response:\n")
    assert "(A) x\n(B) y" in alpaca and "### Input:\npassage" in alpaca
    plain = format_mcq("Q?", ("x", "y"), template=4, fmt="plain")
    assert plain.endswith("Which option is correct?\nAnswer:") and "Below is" not in plain
    assert format_cloze("Q?", fmt="alpaca").endswith("### Instruction:\nQ?\n\n### Response:\n")
    assert cloze_continuation("Answer:", "Paris") == " Paris" and cloze_continuation("x\n", "Paris") == "Paris"
    with pytest.raises(ValueError):
        format_mcq("Q?", ("x", "y"), template=99)


def test_rotation_round_trip():
    item = MCQ("q", ("a", "b", "c", "d"), gold=2)
    for r in range(4):
        rotated = rotate(item, r)
        assert rotated.choices[rotated.gold] == "c"
        assert unrotate_scores([float("abcd".index(c)) for c in rotated.choices], r) == [0.0, 1.0, 2.0, 3.0]


# --- model maths on the tiny model --------------------------------------------------------------------------------

def _scores(backend, mode, prompts, options, norm="chars"):
    """Option scores through the scoring policy on a backend's loglikelihood primitive."""
    from crossin.evaluate.scoring import option_scores, question_requests

    pairs = [question_requests(p, o, mode, norm) for p, o in zip(prompts, options)]
    answers = backend.loglikelihood([x for ps in pairs for x in ps])
    out, k = [], 0
    for p, o, ps in zip(prompts, options, pairs):
        out.append(option_scores(p, o, mode, answers[k:k + len(ps)], norm))
        k += len(ps)
    return out


def _naive_cloze(model, tok, prompt, option):
    text = cloze_continuation(prompt, option)
    p = tok(prompt).input_ids
    c = tok(text, add_special_tokens=False).input_ids
    with torch.inference_mode():
        logp = model(input_ids=torch.tensor([p + c])).logits[0].float().log_softmax(-1)
    return sum(logp[len(p) - 1 + j, c[j]].item() for j in range(len(c))) / len(text)


@pytest.mark.parametrize("strategy", ["share", "recompute"])
def test_cloze_equals_full_sequences(tiny, strategy):
    """Prompts of different lengths (left padding), longer than the sliding window, options of different lengths."""
    model, tok = tiny
    prompts = ["Question: what is the capital of France, the country?\nAnswer:", "Short?\n"]
    options = [["Paris", "the city of Lyon on the Rhône", "Nice"], ["a", "bb bb bb bb bb bb", "c", "dd"]]
    backend = HFBackend(model=model, tokenizer=tok, cloze_strategy=strategy)
    got = _scores(backend, "cloze", prompts, options)
    assert backend._lm().split is not None  # the LM head ran on the continuation positions only
    want = [[_naive_cloze(model, tok, p, o) for o in opts] for p, opts in zip(prompts, options)]
    for g, w in zip(got, want):
        assert g == pytest.approx(w, abs=1e-4)


@pytest.mark.parametrize("strategy", ["share", "recompute"])
def test_the_unsplit_head_fallback_scores_the_same(tiny, strategy, monkeypatch):
    """hf_ops.LMReader without a split head (a model whose forward does more than head + softcapping) runs the
    model's own head on every position: the same sums and greedy flags as the split head."""
    from crossin.evaluate import hf_ops

    model, tok = tiny
    pairs = [("Question: what is the capital of France?\nAnswer:", c) for c in (" Paris", " the city of Lyon", " B")]
    split = HFBackend(model=model, tokenizer=tok, cloze_strategy=strategy)
    want = split.loglikelihood(pairs)
    monkeypatch.setattr(hf_ops, "split_head", lambda model, pad_id: None)
    unsplit = HFBackend(model=model, tokenizer=tok, cloze_strategy=strategy)
    got = unsplit.loglikelihood(pairs)
    assert split._lm().split is not None and unsplit._lm().split is None
    assert [g[0] for g in got] == pytest.approx([w[0] for w in want], abs=1e-5)
    assert [g[1:] for g in got] == [w[1:] for w in want]


def _naive_loglik(model, tok, context, continuation):
    """(sum, tokens, is_greedy) of one (context, continuation) from one full forward pass."""
    p = tok(context).input_ids
    c = tok(continuation, add_special_tokens=False).input_ids
    with torch.inference_mode():
        logp = model(input_ids=torch.tensor([p + c])).logits[0].float().log_softmax(-1)
    rows = logp[len(p) - 1:len(p) - 1 + len(c)]
    return (sum(rows[j, c[j]].item() for j in range(len(c))), len(c),
            all(rows[j].argmax().item() == c[j] for j in range(len(c))))


@pytest.mark.parametrize("strategy", ["share", "recompute"])
def test_loglikelihood_primitive_and_every_cloze_norm_equal_full_forwards(tiny, strategy):
    from crossin.evaluate.scoring import UNCONDITIONAL_CONTEXT

    model, tok = tiny
    backend = HFBackend(model=model, tokenizer=tok, cloze_strategy=strategy)
    prompt = "Question: what is the capital of France?\nAnswer:"
    options = ["Paris", "the city of Lyon on the Rhône", "巴黎"]
    # A continuation the model would write itself: the greedy next token of a context, for the first of a few
    # contexts whose greedy token is a whole character (the random model often writes byte pieces).
    greedy_pair = None
    for context in [prompt] + [f"{prompt} {w}" for w in ("Paris", "is", "the", "a", "1", "x", "Lyon", "and")]:
        ids = tok(context).input_ids
        with torch.inference_mode():
            best = model(input_ids=torch.tensor([ids])).logits[0, -1].argmax().item()
        if tok(tok.decode([best]), add_special_tokens=False).input_ids == [best]:
            greedy_pair = (context, tok.decode([best]))
            break
    assert greedy_pair is not None
    pairs = [(prompt, cloze_continuation(prompt, o)) for o in options] + [greedy_pair]
    got = backend.loglikelihood(pairs)
    for (lp, n, greedy), pair in zip(got, pairs):
        want = _naive_loglik(model, tok, *pair)
        assert lp == pytest.approx(want[0], abs=1e-4) and (n, greedy) == want[1:], pair
    assert got[-1][2] is True
    conts = [c for _, c in pairs[:3]]
    sums = [g[0] for g in got[:3]]
    uncond = [_naive_loglik(model, tok, UNCONDITIONAL_CONTEXT, c)[0] for c in conts]
    expected = {"chars": [s / len(c) for s, c in zip(sums, conts)],
                "bytes": [s / len(c.encode()) for s, c in zip(sums, conts)],
                "tokens": [s / g[1] for s, g in zip(sums, got)], "none": sums,
                "pmi": [s - u for s, u in zip(sums, uncond)]}
    for norm, want in expected.items():
        assert _scores(backend, "cloze", [prompt], [options], norm)[0] == pytest.approx(want, abs=1e-4), norm


def test_generate_until_cuts_at_stop_strings(tiny):
    from crossin.evaluate import GenerationKwargs

    model, tok = tiny
    backend = HFBackend(model=model, tokenizer=tok)
    free = backend.generate_until([("Question: 2+2?\nAnswer:", GenerationKwargs(max_gen_toks=8))])[0]
    assert len(free) >= 2
    stop = free[1:3]
    cut = backend.generate_until([("Question: 2+2?\nAnswer:", GenerationKwargs(max_gen_toks=8, until=(stop,)))])[0]
    assert cut == free[:free.index(stop)]


def test_cloze_through_an_unmerged_adapter_passes_the_cache_by_its_current_name(tiny, mmlu, monkeypatch):
    """`crossin eval --adapter` scores through a PEFT wrapper, whose forward takes **kwargs: the shared prefix's KV
    cache must go under the wrapped model's name (`cache`), not the deprecated `past_key_values` (gone in 5.40)."""
    import copy
    import warnings

    from peft import LoraConfig, get_peft_model

    model, tok = tiny
    monkeypatch.setattr(model.config, "sliding_window", 4096)  # so the shared header's cache is used
    wrapped = get_peft_model(copy.deepcopy(model), LoraConfig(r=2, target_modules=["q_proj", "v_proj"]))  # B = 0
    requests = build_requests(mmlu, "cloze")[:3]
    prompts, options = [r.prompt for r in requests], [list(r.options) for r in requests]
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*past_key_values.*", category=FutureWarning)
        got = _scores(HFBackend(model=wrapped.eval(), tokenizer=tok), "cloze", prompts, options)
    want = _scores(HFBackend(model=model, tokenizer=tok), "cloze", prompts, options)
    for g, w in zip(got, want):
        assert g == pytest.approx(w, abs=1e-5)


def _naive_letters(model, tok, prompt):
    ids = tok(prompt, return_tensors="pt").input_ids
    with torch.inference_mode():
        logp = model(input_ids=ids).logits[0, -1].float().log_softmax(-1)
    return [torch.logsumexp(logp[[tok(x, add_special_tokens=False).input_ids[0] for x in (L, " " + L)]], 0).item()
            for L in "ABCD"]


@pytest.mark.parametrize("window", [4, 4096])
def test_shared_prefix_cache_gives_unshared_results(tiny, mmlu, monkeypatch, window):
    """The instruction header is computed once and its KV cache reused (only when the sliding window allows)."""
    model, tok = tiny
    monkeypatch.setattr(model.config, "sliding_window", window)
    loglik, cloze = build_requests(mmlu, "loglik"), build_requests(mmlu, "cloze")
    backend = HFBackend(model=model, tokenizer=tok)
    got = _scores(backend, "loglik", [r.prompt for r in loglik[:5]], [r.options for r in loglik[:5]])
    assert len(backend._prefix[0]) > 20  # alpaca header + template 1 up to "Question:"
    for r, g in zip(loglik[:5], got):
        assert g == pytest.approx(_naive_letters(model, tok, r.prompt), abs=1e-4)
    got = _scores(backend, "cloze", [r.prompt for r in cloze[:3]], [list(r.options) for r in cloze[:3]])
    for r, g in zip(cloze[:3], got):
        assert g == pytest.approx([_naive_cloze(model, tok, r.prompt, o) for o in r.options], abs=1e-4)


def test_loglik_is_last_position_letter_logprob_and_batch_independent(tiny, mmlu):
    model, tok = tiny
    one = score_options(model, tok, mmlu, mode="loglik", batch_size=1)
    many = score_options(model, tok, mmlu, mode="loglik", batch_size=5)
    assert one.keys() == many.keys() and len(one) == 12
    for key in one:
        assert one[key] == pytest.approx(many[key], abs=1e-4)
    # Against a plain unbatched forward: log-sum-exp of P("A") and P(" A").
    request = build_requests(mmlu, "loglik")[0]
    assert one[(request.set_id, request.lang)] == pytest.approx(_naive_letters(model, tok, request.prompt), abs=1e-4)


def test_adapter_reload_gives_in_memory_scores(tiny, tiny_dir, mmlu, tmp_path):
    """What the train helper relies on: `crossin eval --adapter` reproduces the in-memory model's option scores."""
    from peft import LoraConfig, get_peft_model

    model, tok = tiny
    torch.manual_seed(1)
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                                                  init_lora_weights=False)).eval()
    try:
        in_memory = score_options(peft_model, tok, mmlu, mode="cloze", batch_size=4)
        peft_model.save_pretrained(tmp_path / "adapter")
    finally:
        peft_model.unload()  # leave the shared tiny model as it was
    cfg = EvalConfig(model=str(tiny_dir), adapter=str(tmp_path / "adapter"), bench=["cross-mmlu"], langs=["en", "zh"],
                     limit=6, mode="cloze", data_dir=str(DATA_DIR), out=str(tmp_path / "out"), no_cache=True, n_boot=10)
    run_eval(cfg, progress=False)
    for _, sample in _read_jsonl(tmp_path / "out" / "cross-mmlu" / "samples_cross-mmlu.jsonl"):
        assert sample["option_scores"] == pytest.approx(in_memory[(sample["id"], sample["lang"])], abs=1e-4)
    base = score_options(model, tok, mmlu, mode="cloze", batch_size=4)
    assert max(abs(a - b) for k in base for a, b in zip(base[k], in_memory[k])) > 1e-3  # the adapter does something


# --- cache, resume, outputs ----------------------------------------------------------------------------------------

def _read_jsonl(path):
    return [(i, json.loads(line)) for i, line in enumerate(Path(path).read_text().splitlines())]


def _config(tiny_dir, tmp_path, **kw):
    base = dict(model=str(tiny_dir), bench=["cross-mmlu"], langs=["en", "zh"], limit=6, batch_size=2,
                data_dir=str(DATA_DIR), out=str(tmp_path / "out"), cache_dir=str(tmp_path / "cache"), n_boot=10)
    if kw.get("no_cache"):
        base.pop("cache_dir")  # --cache-dir with --no-cache is refused (it would change nothing)
    return EvalConfig(**{**base, **kw})


@pytest.fixture
def run(tiny, tiny_dir):
    """run_eval on the already loaded tiny model, cached under the identity of its folder (as the CLI would)."""
    from crossin.models.hf import model_identity

    model, tok = tiny
    identity = model_identity(str(tiny_dir), device="cpu")

    def go(cfg, **kw):
        return run_eval(cfg, model=model, tokenizer=tok, model_id=identity, progress=False, **kw)["cross-mmlu"]

    return go


def test_second_run_is_served_from_cache(run, tiny_dir, tmp_path):
    first = run(_config(tiny_dir, tmp_path))
    assert first["requests"] == {"total": 12, "cache_hits": 0, "computed": 12}
    second = run(_config(tiny_dir, tmp_path))
    assert second["requests"] == {"total": 12, "cache_hits": 12, "computed": 0}
    assert second["language_accuracy"] == first["language_accuracy"]
    # Anything that changes the prompt or the mode is a different request.
    assert run(_config(tiny_dir, tmp_path, template=2))["requests"]["computed"] == 12
    assert run(_config(tiny_dir, tmp_path, langs=["en", "es"]))["requests"]["computed"] == 6


def test_interrupted_run_resumes_without_recomputing(run, tiny_dir, tmp_path):
    class Killed(Exception):
        pass

    def kill_after_two(batches):
        if batches == 2:
            raise Killed

    with pytest.raises(Killed):
        run(_config(tiny_dir, tmp_path, mode="cloze"), on_batch=kill_after_two)
    assert not (tmp_path / "out" / "cross-mmlu" / "results.json").exists()
    resumed = run(_config(tiny_dir, tmp_path, mode="cloze"))
    assert resumed["requests"] == {"total": 12, "cache_hits": 4, "computed": 8}
    fresh = run(_config(tiny_dir, tmp_path, mode="cloze", no_cache=True, out=str(tmp_path / "fresh")))
    assert resumed["language_accuracy"] == fresh["language_accuracy"]


def test_circular_cloze_is_refused_and_circular_loglik_runs_every_rotation(run, tiny_dir, tmp_path):
    # cloze never shows the options, so rotating them would change nothing: refused (was accepted and dropped)
    with pytest.raises(CrossinError, match="--circular changes nothing in cloze mode"):
        run(_config(tiny_dir, tmp_path, mode="cloze", circular=True))
    looped = run(_config(tiny_dir, tmp_path, mode="loglik", circular=True))
    assert looped["requests"]["total"] == 48 and looped["circular"] is True


def test_model_change_invalidates_cache(tiny_dir, tmp_path):
    from crossin.models.hf import model_identity

    before = model_identity(str(tiny_dir), device="cpu")
    weights = next(tiny_dir.glob("*.safetensors"))
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 1))
    assert model_identity(str(tiny_dir), device="cpu") != before


def test_eval_loads_a_model_once_per_process(tiny_dir):
    """Eval runs in one process (a notebook, tests/test_readme_examples.py) load the same model once; another dtype
    or changed weights (another identity) load anew, and only the model loaded last is kept."""
    from crossin.evaluate.backend import make_backend

    def model(**kw):
        return make_backend(EvalConfig(model=str(tiny_dir), device="cpu", **kw))._ensure()[0]

    first = model()
    assert model() is first
    assert model(dtype="bf16") is not first
    assert model() is not first  # the bf16 one replaced it
    weights = next(tiny_dir.glob("*.safetensors"))
    again = model()
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 1))
    assert model() is not again


def test_output_files_and_rescoring(run, tiny_dir, tmp_path):
    results = run(_config(tiny_dir, tmp_path, no_cache=True, seed=7))
    folder = tmp_path / "out" / "cross-mmlu"
    on_disk = json.loads((folder / "results.json").read_text())
    for key in ("accuracy", "consistency", "ac3", "kappa", "model", "adapter", "mode", "template", "seed", "versions",
                "wall_time_s"):
        assert key in on_disk
    assert on_disk["seed"] == 7 and on_disk["mode"] == "loglik" and "transformers" in on_disk["versions"]
    samples = [s for _, s in _read_jsonl(folder / "samples_cross-mmlu.jsonl")]
    assert len(samples) == 12
    assert all(set(s) >= {"id", "lang", "prompt", "option_scores", "choice", "gold"} for s in samples)
    assert all(s["choice"] == max(range(4), key=lambda i: s["option_scores"][i]) for s in samples)
    # The samples file is a predictions file for `crossin score`.
    bench = load_benchmark("cross-mmlu", "en,zh", data_dir=DATA_DIR, limit=6)
    assert score_file(bench, folder / "samples_cross-mmlu.jsonl", n_boot=10)["accuracy"] == results["accuracy"]


# --- circular and generate, with a scripted backend ---------------------------------------------------------------

class Scripted:
    """Scores always favour a fixed *position* for set s0 (position bias) and a fixed *option text* for set s1."""

    identity = None

    def loglikelihood(self, requests, on_batch=None):
        out = []
        for p, letter in requests:
            shown = [line for line in p.splitlines() if line.startswith("(")]
            k = "ABCD".index(letter.strip())
            good = k == 0 if "position-biased" in p else ") right" in shown[k]
            out.append((1.0 if good else 0.0, 1, good))
        return out

    def generate_until(self, requests, on_batch=None):
        return ["The answer is (A)." if "position-biased" in p else
                next(line.split(" ", 1)[1] for line in p.splitlines() if line.endswith("right")) for p, _ in requests]


def _toy_bench():
    def mcq(question, choices, gold):
        return MCQ(question, tuple(choices), gold)

    sets = [ParallelSet("s0", {lang: mcq("position-biased " + lang, ["w", "x", "y", "z"], 1) for lang in ("en", "zh")}),
            ParallelSet("s1", {lang: mcq("content " + lang, ["wrong", "wrong too", "right", "nope"], 2)
                               for lang in ("en", "zh")})]
    return Benchmark("toy", ("en", "zh"), sets)


@pytest.mark.parametrize("mode", ["loglik", "generate"])
def test_circular_counts_only_rotation_invariant_answers(mode):
    from crossin.benchmarks import best_option

    bench = _toy_bench()
    for circular, expected in ((False, {"s0": 0, "s1": 2}), (True, {"s0": None, "s1": 2})):
        rotations = (lambda n: list(range(n))) if circular else (lambda n: [0])
        requests = build_requests(bench, mode, rotations=rotations)
        values = execute(requests, mode, Scripted())
        picks: dict = {}
        for r, v in zip(requests, values):
            if mode == "loglik":
                choice = best_option(unrotate_scores(v, r.rotation))
            else:
                from crossin.extract import extract_choice

                choice = (extract_choice(v, r.options) + r.rotation) % 4
            picks.setdefault(r.set_id, set()).add(choice)
        got = {s: (c.pop() if len(c) == 1 else None) for s, c in picks.items()}
        assert got == expected


def test_circular_run_marks_disagreement_unparsed(tmp_path, monkeypatch):
    from crossin.evaluate import runner

    monkeypatch.setattr(runner, "load_benchmark", lambda *a, **k: _toy_bench())
    cfg = EvalConfig(model="openai:scripted", base_url="http://unused", mode="generate", circular=True, bench=["toy"],
                     langs=["en", "zh"], out=str(tmp_path), no_cache=True, n_boot=10)
    from crossin.evaluate import openai_backend

    monkeypatch.setattr(openai_backend, "OpenAIBackend", lambda *a, **k: Scripted())
    results = run_eval(cfg, progress=False)["toy"]
    assert results["unparsed"] == {"en": 1, "zh": 1} and results["accuracy"] == 0.5
    samples = [s for _, s in _read_jsonl(tmp_path / "toy" / "samples_toy.jsonl")]
    assert [len(s["rotations"]) for s in samples] == [4, 4, 4, 4]
    assert [s["choice"] for s in samples] == [None, None, 2, 2]


# --- user errors ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kw, message", [
    ({"mode": "mcq"}, "mode: must be one of loglik, cloze, generate"),
    ({"prompt_format": "xml"}, "prompt_format: must be one of"),
    ({"template": 42}, "unknown template"),
    ({"batch_size": 0}, "batch_size: must be >= 1"),
    ({"batch_size": "big"}, "batch_size: must be auto or a number >= 1"),
    ({"model": "openai:x", "mode": "generate"}, "needs --base-url"),
])
def test_bad_config_is_a_user_error(kw, message):
    with pytest.raises(CrossinError, match=message):
        run_eval(EvalConfig(**kw), progress=False)


def test_cli_prints_one_line_errors(tmp_path):
    from typer.testing import CliRunner

    from crossin.cli import app

    missing = tmp_path / "nope"
    result = CliRunner().invoke(app, ["eval", "--model", str(missing), "--bench", "cross-mmlu", "--limit", "1"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "model folder not found" in result.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "English": {"question": "q", "choices": ["(A) a", "(B) b"], "answer": "(C) c"}}\n')
    result = CliRunner().invoke(app, ["eval", "--model", "openai:x", "--base-url", "http://127.0.0.1:9", "--mode",
                                      "generate", "--bench-file", str(bad), "--langs", "en", "--no-cache"])
    assert result.exit_code == 2 and f"{bad}:1:" in result.output


def test_cache_file_survives_reopen(tmp_path):
    cache = EvalCache(tmp_path)
    cache.put_many({"k": [1.0, 2.0]})
    cache.close()
    assert EvalCache(tmp_path).get_many(["k", "missing"]) == {"k": [1.0, 2.0]}


def test_cli_runs_and_prints_the_table(tiny_dir, tmp_path):
    from typer.testing import CliRunner

    from crossin.cli import app

    (tmp_path / "eval.yaml").write_text("mode: cloze\nlimit: 3\n")
    args = ["eval", "--model", str(tiny_dir), "--bench", "cross-mmlu", "--langs", "en,zh,es", "--config",
            str(tmp_path / "eval.yaml"), "--limit", "2", "--out", str(tmp_path / "out"), "--cache-dir",
            str(tmp_path / "cache"), "--data-dir", str(DATA_DIR), "--n-boot", "10", "-q"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "consistency" in result.output and "AC3" in result.output and "@3" in result.output
    saved = json.loads((tmp_path / "out" / "cross-mmlu" / "results.json").read_text())
    assert saved["mode"] == "cloze" and saved["n_sets"] == 2 and saved["languages"] == ["en", "zh", "es"]
    assert CliRunner().invoke(app, args).exit_code == 0
    again = json.loads((tmp_path / "out" / "cross-mmlu" / "results.json").read_text())
    assert again["requests"] == {"total": 6, "cache_hits": 6, "computed": 0}


def test_chat_format_without_chat_template_is_a_user_error(run, tiny_dir, tmp_path):
    with pytest.raises(CrossinError, match="chat template"):
        run(_config(tiny_dir, tmp_path, prompt_format="chat"))


# --- parity of the batched engine with plain full forwards, on every benchmark -----------------------------------

@pytest.mark.parametrize("name", ["cross-mmlu", "cross-logiqa", "cross-xquad-built"])
def test_scores_equal_unbatched_forwards_on_every_benchmark(tiny, name):
    """20 sets x 2 languages: loglik, cloze, and a circular rotation; auto token budget and fixed batch sizes."""
    from crossin.evaluate.requests import build_prompt

    model, tok = tiny
    bench = load_benchmark(name, "en,zh", data_dir=DATA_DIR, limit=20)
    for mode, rotation in (("loglik", 0), ("loglik", 1), ("cloze", 0)):
        auto = score_options(model, tok, bench, mode=mode, rotation=rotation)
        fixed = score_options(model, tok, bench, mode=mode, rotation=rotation, batch_size=3)
        for pset in bench.sets:
            for lang in bench.langs:
                item = rotate(pset.items[lang], rotation)
                prompt = build_prompt(item, mode)
                if mode == "loglik":
                    want = unrotate_scores(_naive_letters(model, tok, prompt), rotation)
                else:
                    want = [_naive_cloze(model, tok, prompt, o) for o in pset.items[lang].choices]
                key = (pset.id, lang)
                assert auto[key] == pytest.approx(want, abs=1e-4), (mode, rotation, key)
                assert fixed[key] == pytest.approx(auto[key], abs=1e-4), (mode, rotation, key)


def test_plan_batches_longest_first_under_a_token_budget():
    from crossin.evaluate.hf_ops import plan_batches

    costs = [(10, 1), (50, 1), (30, 1), (50, 1), (5, 1)]
    assert plan_batches(costs, max_items=2, token_budget=None) == [[1, 3], [2, 0], [4]]
    batches = plan_batches(costs, max_items=None, token_budget=100)
    assert batches == [[1, 3], [2, 0, 4]]
    assert all(max(costs[i][0] for i in b) * len(b) <= 100 for b in batches)
    assert plan_batches([(500, 4)], max_items=None, token_budget=100) == [[0]]  # an item larger than the budget runs alone


def test_softcapped_head_on_gathered_positions(tiny_dir, tiny):
    """Gemma 2-style final logit softcapping is applied when the head runs on continuation positions only."""
    from transformers import Gemma3ForCausalLM

    _, tok = tiny
    model = Gemma3ForCausalLM.from_pretrained(tiny_dir, final_logit_softcapping=2.0).eval()
    backend = HFBackend(model=model, tokenizer=tok)
    prompts, options = ["Capital of France?\n"], [["Paris", "the city of Lyon on the Rhône"]]
    got = _scores(backend, "cloze", prompts, options)
    assert backend._lm().split is not None
    assert got[0] == pytest.approx([_naive_cloze(model, tok, prompts[0], o) for o in options[0]], abs=1e-4)


def test_damaged_cache_is_one_line_naming_the_file_and_the_way_out(tmp_path):
    """A corrupted page of the sqlite request cache: a CrossinError naming the file, --no-cache and deleting it."""
    cache = EvalCache(tmp_path)
    cache.put_many({f"k{i}": [float(i)] * 4 for i in range(2000)})
    cache.close()
    path = tmp_path / "requests.sqlite"
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    data = bytearray(path.read_bytes())
    page = 4096
    data[2 * page:6 * page] = b"\xff" * (4 * page)  # b-tree pages of the table overwritten
    path.write_bytes(bytes(data))
    with pytest.raises(CrossinError) as e:
        damaged = EvalCache(tmp_path)
        damaged.get_many([f"k{i}" for i in range(2000)])
        damaged.put_many({"new": [1.0]})
    message = str(e.value)
    assert str(path) in message and "--no-cache" in message and "delete" in message and "\n" not in message
