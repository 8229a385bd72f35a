"""`--bench global-mmlu`, `mmlu-prox`, `belebele` (and `global-mmlu-lite`, `mmlu-prox-lite`, same columns): the
field's large parallel benchmarks (registry entries, lazy).

Each reads the dataset lm-eval's own task YAMLs read (the Hub id and config names below), or a local copy of the
Hub repository's files under `<data-dir>/<folder>/`, and joins the languages by the dataset's question id:
- Global-MMLU (`CohereLabs/Global-MMLU`, formerly CohereForAI/; 42 languages, configs `en`, `zh`, ...; files
  `<lang>/test-*.parquet`): `sample_id`; `question`, `option_a`-`option_d`, `answer` (a letter). Its
  `cultural_sensitivity_label` (`CS` culturally sensitive, `CA` culturally agnostic, else not annotated) gives
  the subsets `cs` and `ca`: `--subset cs|ca|all`, and with `all` each subset's metrics too.
- MMLU-ProX (`li-lab/MMLU-ProX`; 29 languages, configs `en`, `zh`, ...; files `<lang>/test-*.parquet`):
  `question_id`; `question`, `option_0`-`option_9` (up to 10 options, A-J; an absent option is null),
  `answer` (a letter) or `answer_index`.
- Belebele (`facebook/belebele`; 122 FLORES-200 configs such as `zho_Hans`, split `test`; files
  `data/<flores>.jsonl`): `link` + `question_number`; the passage `flores_passage`, `question`,
  `mc_answer1`-`mc_answer4`, `correct_answer_num` ("1"-"4"). Languages are crossin codes (`zh`, `es`; crossin.lang_table
  maps FLORES codes, which are accepted too).
- MMMLU (`openai/MMMLU`, MIT; OpenAI's professional translations of the MMLU test set into 14 languages, no
  English; configs `AR_XA`, `ZH_CN`, ...; files `test/mmlu_<CONFIG>.csv`): the row index (the CSV's unnamed first
  column, `Unnamed: 0` through `datasets`), the same MMLU test row in every language; `Question`, `A`-`D`,
  `Answer` (a letter). One of the benchmarks DCO (Liu, Qi et al. 2026) reports on.
- X-CSQA (`INK-USC/xcsr`, MIT; CommonsenseQA's dev questions in 16 languages, configs `X-CSQA-en`, `X-CSQA-zh`,
  ..., Japanese `X-CSQA-jap`; split `validation`: the test split's answers are hidden; files
  `<config>/validation/*.parquet` (the Hub's parquet export) or `<config>/validation.jsonl`): `id`;
  `question.stem`, `question.choices.text` (5 options, labels A-E), `answerKey`. Also reported on by DCO.
This module never imports the registry (the registry names its specs by "module:attribute").
"""

from __future__ import annotations

import dataclasses
from functools import partial

from ..errors import CrossinError
from ..letters import LETTERS
from ..lang_table import FLORES, FLORES_OF
from .base import MCQ, BenchmarkSpec
from .parallel import Layout, Row, letter_index, load_parallel, text

GLOBAL_MMLU_LANGS = ("am ar bn cs de el en es fa fil fr ha he hi id ig it ja ko ky lt mg ms ne nl ny pl pt ro ru si sn "
                     "so sr sv sw te tr uk vi yo zh").split()
MMLU_PROX_LANGS = "af ar bn cs de en es fr hi hu id it ja ko mr ne pt ru sr sw te th uk ur vi wo yo zh zu".split()
GLOBAL_MMLU_LITE_LANGS = "ar bn de en es fr hi id it ja ko pt sw yo zh".split()
PARQUET_SPLIT = ("{config}/{split}-*.parquet", "{config}/{split}.parquet", "{config}/{split}.jsonl")
MMLU_PROX_OPTIONS = 10


def _id(raw: dict, key: str, where: str, number: int) -> str:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value) == "":
        raise CrossinError(f"no question id {key!r} (got {value!r})", path=where, line=number)
    return str(value)


def global_mmlu_row(raw: dict, where: str, number: int) -> Row:
    choices = tuple(text(raw, f"option_{x}", where, number) for x in "abcd")
    gold = letter_index(raw.get("answer"), len(choices), where, number)
    labels = {"cultural_sensitivity_label": raw.get("cultural_sensitivity_label"), "subject": raw.get("subject"),
              "subject_category": raw.get("subject_category")}
    return Row(_id(raw, "sample_id", where, number), MCQ(text(raw, "question", where, number), choices, gold), labels)


def mmlu_prox_row(raw: dict, where: str, number: int) -> Row:
    options = [text(raw, f"option_{i}", where, number, required=False) for i in range(MMLU_PROX_OPTIONS)]
    while options and options[-1] in (None, ""):  # questions with fewer than 10 options leave the last ones null
        options.pop()
    if None in options:
        raise CrossinError(f"option_{options.index(None)} is null but a later option is not", path=where, line=number)
    if len(options) < 2:
        raise CrossinError(f"{len(options)} options (need 2-{MMLU_PROX_OPTIONS})", path=where, line=number)
    answer = raw.get("answer") if raw.get("answer") not in (None, "") else raw.get("answer_index")
    gold = letter_index(answer, len(options), where, number)
    index = raw.get("answer_index")
    if isinstance(index, int) and raw.get("answer") not in (None, "") and index != gold:
        raise CrossinError(f"'answer' {raw['answer']!r} and 'answer_index' {index} disagree", path=where, line=number)
    labels = {"category": raw.get("category")}
    return Row(_id(raw, "question_id", where, number),
               MCQ(text(raw, "question", where, number), tuple(options), gold), labels)


def belebele_row(raw: dict, where: str, number: int) -> Row:
    link, q = raw.get("link"), raw.get("question_number")
    if not isinstance(link, str) or not link or isinstance(q, bool) or not isinstance(q, (int, str)) or str(q) == "":
        raise CrossinError(f"no question id ('link' {link!r}, 'question_number' {q!r})", path=where, line=number)
    choices = tuple(text(raw, f"mc_answer{i}", where, number) for i in range(1, 5))
    answer = raw.get("correct_answer_num")
    if str(answer).strip() not in ("1", "2", "3", "4"):
        raise CrossinError(f"'correct_answer_num' {answer!r} is not 1-4", path=where, line=number)
    item = MCQ(text(raw, "question", where, number), choices, int(str(answer).strip()) - 1,
               context=text(raw, "flores_passage", where, number))
    return Row(f"{link}#{q}", item, {"dialect": raw.get("dialect")})


def mmmlu_row(raw: dict, where: str, number: int) -> Row:
    index = raw.get("Unnamed: 0", raw.get(""))
    choices = tuple(text(raw, x, where, number) for x in "ABCD")
    return Row(_id({"index": index}, "index", where, number),
               MCQ(text(raw, "Question", where, number), choices, letter_index(raw.get("Answer"), 4, where, number,
                                                                             key="Answer")),
               {"subject": raw.get("Subject")})


def xcsqa_row(raw: dict, where: str, number: int) -> Row:
    question = raw.get("question")
    if not isinstance(question, dict) or not isinstance(question.get("choices"), dict):
        raise CrossinError("'question' must be {stem, choices: {label, text}}", path=where, line=number)
    texts = question["choices"].get("text")
    if not isinstance(texts, list) or not 2 <= len(texts) <= 10 or not all(isinstance(t, str) for t in texts):
        raise CrossinError("'question.choices.text' must be a list of 2-10 strings", path=where, line=number)
    return Row(_id(raw, "id", where, number),
               MCQ(text(question, "stem", where, number), tuple(texts),
                   letter_index(raw.get("answerKey"), len(texts), where, number, key="answerKey")))


MMMLU_CONFIGS = {"ar": "AR_XA", "bn": "BN_BD", "de": "DE_DE", "es": "ES_LA", "fr": "FR_FR", "hi": "HI_IN",
                 "id": "ID_ID", "it": "IT_IT", "ja": "JA_JP", "ko": "KO_KR", "pt": "PT_BR", "sw": "SW_KE",
                 "yo": "YO_NG", "zh": "ZH_CN"}
XCSQA_LANGS = "en zh de es fr it ja nl pl pt ru ar vi hi sw ur".split()


def _belebele_config(code: str) -> str:
    return FLORES_OF[code]


GLOBAL_MMLU_LAYOUT = Layout(
    hub_id="CohereLabs/Global-MMLU", folder="global_mmlu", split="test", config=lambda code: code,
    patterns=PARQUET_SPLIT, parse=global_mmlu_row, languages=tuple(GLOBAL_MMLU_LANGS),
    subsets={"cs": lambda labels: labels.get("cultural_sensitivity_label") == "CS",
             "ca": lambda labels: labels.get("cultural_sensitivity_label") == "CA"},
)
GLOBAL_MMLU_LITE_LAYOUT = Layout(
    hub_id="CohereLabs/Global-MMLU-Lite", folder="global_mmlu_lite", split="test", config=lambda code: code,
    patterns=PARQUET_SPLIT, parse=global_mmlu_row, languages=tuple(GLOBAL_MMLU_LITE_LANGS),
    subsets=GLOBAL_MMLU_LAYOUT.subsets,
)
MMLU_PROX_LAYOUT = Layout(
    hub_id="li-lab/MMLU-ProX", folder="mmlu_prox", split="test", config=lambda code: code, patterns=PARQUET_SPLIT,
    parse=mmlu_prox_row, languages=tuple(MMLU_PROX_LANGS),
)
MMLU_PROX_LITE_LAYOUT = Layout(
    hub_id="li-lab/MMLU-ProX-Lite", folder="mmlu_prox_lite", split="test", config=lambda code: code,
    patterns=PARQUET_SPLIT, parse=mmlu_prox_row, languages=tuple(MMLU_PROX_LANGS),
)
BELEBELE_LAYOUT = Layout(
    hub_id="facebook/belebele", folder="belebele", split="test", config=_belebele_config,
    patterns=("data/{config}.jsonl", "{config}.jsonl", "{config}/{split}-*.parquet"), parse=belebele_row,
    languages=tuple(FLORES.values()),
)


MMMLU_LAYOUT = Layout(
    hub_id="openai/MMMLU", folder="mmmlu", split="test", config=lambda code: MMMLU_CONFIGS[code],
    patterns=("{split}/mmlu_{config}.csv", "{config}/{split}-*.parquet"), parse=mmmlu_row,
    languages=tuple(MMMLU_CONFIGS),
)
XCSQA_LAYOUT = Layout(
    hub_id="INK-USC/xcsr", folder="xcsr", split="validation",
    config=lambda code: f"X-CSQA-{'jap' if code == 'ja' else code}",
    patterns=("{config}/{split}/*.parquet", "{config}/{split}-*.parquet", "{config}/{split}.jsonl"), parse=xcsqa_row,
    languages=tuple(XCSQA_LANGS),
)


def _loader(name: str, layout: Layout):
    return partial(load_parallel, name, layout)


def _spec(name: str, layout: Layout, description: str) -> BenchmarkSpec:
    return BenchmarkSpec(name=name, description=description, local_relpath=f"{layout.folder}/", hub_id=layout.hub_id,
                         hub_split=layout.split, loader=_loader(name, layout), subsets=tuple(layout.subsets))


GLOBAL_MMLU = _spec("global-mmlu", GLOBAL_MMLU_LAYOUT, "Global-MMLU (Cohere): 14,042 MMLU questions in 42 languages, "
                    "4 options; culturally sensitive (cs) / agnostic (ca) subsets")
MMLU_PROX = _spec("mmlu-prox", MMLU_PROX_LAYOUT, "MMLU-ProX: the same 11,829 MMLU-Pro questions in 29 languages, up "
                  f"to {MMLU_PROX_OPTIONS} options ({LETTERS[0]}-{LETTERS[MMLU_PROX_OPTIONS - 1]})")
GLOBAL_MMLU_LITE = _spec("global-mmlu-lite", GLOBAL_MMLU_LITE_LAYOUT, "Global-MMLU-Lite (Cohere): 400 human-translated "
                         "Global-MMLU questions (200 cs + 200 ca) in 15 languages")
MMLU_PROX_LITE = _spec("mmlu-prox-lite", MMLU_PROX_LITE_LAYOUT, "MMLU-ProX-Lite: 658 MMLU-ProX questions in 29 languages")
BELEBELE = _spec("belebele", BELEBELE_LAYOUT, "Belebele (Meta): 900 reading-comprehension questions on FLORES-200 "
                 "passages in 122 language variants, 4 options")
# Training pools (`crossin data pairs --pool NAME`), not benchmarks: Global-MMLU's dev split (MMLU's 5 dev
# questions per subject) in the same layout, `<lang>/dev-*.parquet`.
GLOBAL_MMLU_DEV = _spec("global-mmlu-dev", dataclasses.replace(GLOBAL_MMLU_LAYOUT, split="dev", subsets={}),
                        "Global-MMLU dev split (285 MMLU dev questions in 42 languages): a training pool")
MMMLU = _spec("mmmlu", MMMLU_LAYOUT, "MMMLU (OpenAI): the 14,042 MMLU test questions professionally translated into 14 "
              "languages (no English), 4 options")
X_CSQA = _spec("x-csqa", XCSQA_LAYOUT, "X-CSQA (X-CSR): 1,000 CommonsenseQA questions (validation split; the test "
               "answers are hidden) in 16 languages, 5 options")
