"""Translation engines. Each turns a list of Requests into Replies and calls `on_reply(index, reply)` as each one
is done (the runner caches it at once, so a killed run keeps every finished answer).

- OpenAIEngine: any OpenAI-compatible chat server (vLLM, hosted APIs, `crossin serve`), concurrent requests,
  through crossin.models.openai_api (pooled client; backoff with jitter on connection errors, HTTP 429 and 5xx).
- HFEngine: a local transformers seq2seq translation model (MarianMT, NLLB, M2M100), batched, on a GPU when present.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ...errors import CrossinError
from ...langs import to_name
from ...threads import map_concurrent


@dataclass(frozen=True)
class Request:
    text: str
    src: str
    tgt: str
    attempt: int  # 0 = first try, 1 = the one retry (decoded differently, so it can give another answer)


@dataclass
class Reply:
    text: str
    finish: str  # stop | length | rejected
    detail: str = ""


OnReply = Callable[[int, Reply], None]


def render_prompt(template: str, req: Request) -> str:
    # The template was checked (config.check_template: only these fields, plainly); braces in the text are data.
    return template.format(source=to_name(req.src), target=to_name(req.tgt), text=req.text)


class OpenAIEngine:
    def __init__(self, *, base_url: str, model: str, prompt: str, max_tokens: int, temperature: float,
                 retry_temperature: float, seed: int, concurrency: int, stop: list[str] | None = None,
                 api_key: str = "", timeout: float = 300.0, retries: int = 5):
        from ...models.servers import ServerPool, parse_base_urls

        self.pool = ServerPool(parse_base_urls(base_url))  # several servers, as crossin eval spreads over them
        self.model, self.prompt, self.max_tokens, self.stop = model, prompt, max_tokens, list(stop or [])
        self.temperature, self.retry_temperature, self.seed = temperature, retry_temperature, seed
        self.concurrency, self.timeout, self.retries = concurrency, timeout, retries
        self.api_key = api_key  # empty: post_json reads $OPENAI_API_KEY

    @classmethod
    def from_config(cls, cfg, model: str) -> OpenAIEngine:
        return cls(base_url=cfg.base_url, model=model, prompt=cfg.prompt, max_tokens=cfg.max_tokens,
                   temperature=cfg.temperature, retry_temperature=cfg.retry_temperature, seed=cfg.seed,
                   concurrency=cfg.concurrency, stop=cfg.stop, api_key=cfg.api_key, timeout=cfg.timeout,
                   retries=cfg.retries)

    def identity(self) -> dict:
        """What decides an answer (the cache key): not the URL, so a moved server keeps its cache."""
        return {"engine": "openai", "model": self.model, "prompt": self.prompt, "max_tokens": self.max_tokens,
                "stop": self.stop, "temperature": self.temperature, "retry_temperature": self.retry_temperature,
                "seed": self.seed}

    def body(self, req: Request) -> dict:
        body = {"model": self.model, "messages": [{"role": "user", "content": render_prompt(self.prompt, req)}],
                "max_tokens": self.max_tokens, "seed": self.seed + req.attempt,
                "temperature": self.temperature if req.attempt == 0 else self.retry_temperature}
        return body | ({"stop": self.stop} if self.stop else {})

    def _reply(self, choice: dict) -> Reply:
        text = choice["message"].get("content") or ""
        finish = "length" if choice.get("finish_reason") == "length" else "stop"
        # A server that ignores `stop` went on past it: cut there, as one that honours it would have.
        cut = min((p for p in (text.find(s) for s in self.stop) if p >= 0), default=-1)
        return Reply(text[:cut], "stop") if cut >= 0 else Reply(text, finish)

    def _post(self, req: Request) -> Reply:
        from ...models.openai_api import RequestRejected, post_json

        def post(url: str) -> dict:
            retries = self.retries if len(self.pool.urls) == 1 else self.pool.retries  # others can take over
            return post_json(url + "/chat/completions", self.body(req), api_key=self.api_key or None,
                             timeout=self.timeout, retries=retries)

        try:
            payload = self.pool.call(post)
        except RequestRejected as e:
            # This request is wrong for the server (e.g. too long): a failure of this text, not of the run.
            return Reply("", "rejected", e.reason[:200])
        except CrossinError as e:
            raise CrossinError(f"{e.reason}; finished answers are cached: rerun to resume") from None
        try:
            return self._reply(payload["choices"][0])
        except (KeyError, IndexError, TypeError, ValueError) as e:
            raise CrossinError(f"the server returned an unexpected response ({type(e).__name__}: {e})") from None

    def run(self, reqs: list[Request], on_reply: OnReply) -> None:
        map_concurrent(self._post, reqs, workers=self.concurrency, on_result=on_reply)


# Language tokens of the model families: NLLB (FLORES-200 codes), M2M100 (ISO 639-1), multi-target MarianMT
# (>>xx<< tokens: ISO 639-1 or 639-3 depending on the model; the first one in the vocabulary is used).
NLLB_CODES = {"en": "eng_Latn", "zh": "zho_Hans", "es": "spa_Latn", "vi": "vie_Latn", "id": "ind_Latn",
              "ms": "zsm_Latn", "fil": "tgl_Latn", "ar": "arb_Arab", "de": "deu_Latn", "el": "ell_Grek",
              "hi": "hin_Deva", "ro": "ron_Latn", "ru": "rus_Cyrl", "th": "tha_Thai", "tr": "tur_Latn",
              "fr": "fra_Latn", "ja": "jpn_Jpan", "ko": "kor_Hang", "pt": "por_Latn", "it": "ita_Latn"}
M2M_CODES = {**{c: c for c in NLLB_CODES}, "fil": "tl"}
MARIAN_CODES = {c: (c, n[:3]) for c, n in NLLB_CODES.items()} | {"zh": ("zh", "cmn_Hans", "zho_Hans", "zho", "cmn")}


def model_family(model_type: str, vocab) -> str:
    if model_type == "marian":
        return "marian"
    if model_type == "m2m_100":
        return "nllb" if "eng_Latn" in vocab else "m2m100"
    raise CrossinError(f"unsupported translation model type {model_type!r} (MarianMT, NLLB or M2M100)")


def target_token(family: str, lang: str, vocab) -> str | None:
    """The token that selects the target language, or None for a fixed-pair MarianMT model (opus-mt-en-es)."""
    if family == "nllb":
        code = NLLB_CODES.get(lang)
    elif family == "m2m100":
        code = f"__{M2M_CODES[lang]}__" if lang in M2M_CODES else None
    else:
        if not any(t.startswith(">>") and t.endswith("<<") for t in vocab):
            return None
        code = next((f">>{c}<<" for c in MARIAN_CODES.get(lang, (lang,)) if f">>{c}<<" in vocab), None)
    if code is None or code not in vocab:
        raise CrossinError(f"the {family} model has no language token for {lang!r}")
    return code


class HFEngine:
    def __init__(self, *, model: str, max_tokens: int, batch_size: int, device: str = "", retry_beams: int = 4):
        self.name, self.max_tokens, self.batch_size = model, max_tokens, batch_size
        self.device, self.retry_beams = device, retry_beams
        self._model = self._tok = self.family = self._vocab = None

    @classmethod
    def from_config(cls, cfg, model: str) -> HFEngine:
        return cls(model=model, max_tokens=cfg.max_tokens, batch_size=cfg.batch_size, device=cfg.device)

    def identity(self) -> dict:
        return {"engine": "hf", "model": self.name, "max_tokens": self.max_tokens, "retry_beams": self.retry_beams}

    def _load(self) -> None:
        """On first use only: a rerun that finds everything cached never loads the model."""
        import torch
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        from ...models.embedded import is_embedded

        if is_embedded(self.name):
            raise CrossinError("the embedded model is not a translation model; use --engine openai with "
                               "`crossin serve`, or an hf MarianMT/NLLB/M2M100 model")
        from ...models.hf import resolve_model_path

        # A Hub id is checked with one quick request first (as eval does): offline or a typo is one line in
        # seconds, not transformers' minute of retries.
        path = resolve_model_path(self.name)
        device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
        try:
            self._tok = AutoTokenizer.from_pretrained(path)
            dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
            self._model = AutoModelForSeq2SeqLM.from_pretrained(path, dtype=dtype).to(device).eval()
        except (OSError, ValueError) as e:
            raise CrossinError(f"cannot load translation model: {e}", path=self.name) from None
        self._vocab = self._tok.get_vocab()  # NLLB's is 256k entries: built once, not per batch
        self.family = model_family(self._model.config.model_type, self._vocab)

    def run(self, reqs: list[Request], on_reply: OnReply) -> None:
        if not reqs:
            return
        if self._model is None:
            self._load()
        groups: dict[tuple[str, str, int], list[int]] = {}
        for i, r in enumerate(reqs):
            groups.setdefault((r.src, r.tgt, r.attempt), []).append(i)
        for (src, tgt, attempt), idx in groups.items():
            idx.sort(key=lambda i: len(reqs[i].text))  # similar lengths per batch: less padding
            target = target_token(self.family, tgt, self._vocab)
            for start in range(0, len(idx), self.batch_size):
                batch = idx[start:start + self.batch_size]
                for i, reply in zip(batch, self._generate([reqs[i].text for i in batch], src, target, attempt)):
                    on_reply(i, reply)

    def _generate(self, texts: list[str], src: str, target: str | None, attempt: int) -> list[Reply]:
        """`target`: the target language's token (target_token), None for a fixed-pair model."""
        import torch

        tok, model = self._tok, self._model
        kwargs = {}
        if self.family in ("nllb", "m2m100"):
            tok.src_lang = NLLB_CODES[src] if self.family == "nllb" else M2M_CODES[src]
            kwargs["forced_bos_token_id"] = self._vocab[target]
        else:
            texts = [f"{target} {t}" for t in texts] if target else texts
        enc = tok(texts, return_tensors="pt", padding=True, truncation=True).to(model.device)
        beams = 1 if attempt == 0 else self.retry_beams  # the retry searches wider instead of sampling: reproducible
        with torch.inference_mode():
            out = model.generate(**enc, max_new_tokens=self.max_tokens, num_beams=beams, do_sample=False, **kwargs)
        start = 1 + ("forced_bos_token_id" in kwargs)  # decoder start token, then the forced language token
        eos = model.generation_config.eos_token_id
        eos = set(eos if isinstance(eos, list) else [eos])
        replies = []
        for row in out.tolist():
            new = row[start:]
            ended = next((j for j, t in enumerate(new) if t in eos), None)
            # Reaching max_tokens counts as cut short even when a forced EOS closed it (opus-mt models force one).
            generated = start - 1 + (len(new) if ended is None else ended + 1)
            finish = "length" if ended is None or generated >= self.max_tokens else "stop"
            replies.append(Reply(tok.decode(new[:ended], skip_special_tokens=True).strip(), finish))
        return replies
