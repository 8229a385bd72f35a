"""Benchmark registry (in the spirit of lm-eval's task registry): a name maps to where its data lives.

A benchmark defined in its own module is registered here by a "module:attribute" string naming its BenchmarkSpec,
imported on first use (as lm-eval's registry does): so that module never imports this one, and importing the
registry does not import every benchmark's code.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import CrossinError
from ..io import iter_jsonl, sha256_file
from ..langs import PAPER_LANGS, parse_langs
from ..registry import Registry
from .base import Benchmark, BenchmarkSpec, ParallelSet, parse_rows, resolve_file

DATA_DIR_ENV = "CROSSIN_DATA_DIR"

# name -> BenchmarkSpec, or the "module:attribute" of one not imported yet
BENCHMARKS = Registry("benchmark")


def register(spec: BenchmarkSpec) -> BenchmarkSpec:
    return BENCHMARKS.register(spec.name, spec)


def register_lazy(name: str, target: str) -> None:
    """Register `name` by the "module:attribute" of its BenchmarkSpec; the module is imported by `get_spec`."""
    BENCHMARKS.register_lazy(name, target)


def benchmark_names() -> list[str]:
    """Every registered name, sorted, without importing any lazy benchmark's module."""
    return BENCHMARKS.names()


register(BenchmarkSpec(
    name="cross-mmlu",
    description="Cross-MMLU (SeaEval): 150 parallel 4-option MMLU questions in 7 languages",
    local_relpath="cross_mmlu/test.jsonl",
    hub_id="SeaEval/cross_mmlu",
))
register(BenchmarkSpec(
    name="cross-logiqa",
    description="Cross-LogiQA (SeaEval): 176 parallel 4-option logical reasoning questions with a passage, 7 languages",
    local_relpath="cross_logiqa/test.jsonl",
    hub_id="SeaEval/cross_logiqa",
))
register(BenchmarkSpec(
    name="cross-xquad",
    description="Cross-XQuAD as released (SeaEval; the paper's): 1,190 XQuAD questions as parallel 4-option MCQ with "
                "ChatGPT-written, human-reviewed distractors, 7 languages",
    local_relpath="cross_xquad/test.jsonl",
    hub_id="SeaEval/cross_xquad",
    how_to_get="download the released set (`datasets.load_dataset('SeaEval/cross_xquad', split='test').to_json("
               "'<data-dir>/cross_xquad/test.jsonl', force_ascii=False)`) or use --bench cross-xquad-built "
               "(built offline from XQuAD)",
))
register_lazy("cross-xquad-built", "crossin.benchmarks.xquad.entry:SPEC")
register_lazy("global-mmlu", "crossin.benchmarks.multilingual:GLOBAL_MMLU")
register_lazy("mmlu-prox", "crossin.benchmarks.multilingual:MMLU_PROX")
register_lazy("belebele", "crossin.benchmarks.multilingual:BELEBELE")
register_lazy("global-mmlu-lite", "crossin.benchmarks.multilingual:GLOBAL_MMLU_LITE")
register_lazy("mmlu-prox-lite", "crossin.benchmarks.multilingual:MMLU_PROX_LITE")
register_lazy("mmmlu", "crossin.benchmarks.multilingual:MMMLU")
register_lazy("global-mmlu-dev", "crossin.benchmarks.multilingual:GLOBAL_MMLU_DEV")
register_lazy("x-csqa", "crossin.benchmarks.multilingual:X_CSQA")


DOWNLOAD = "the public download (Hugging Face Hub; XQuAD from its GitHub release), cached"


def data_source(env: str | None, shared: Path | None, cache: Path | None = None) -> tuple[Path | None, str]:
    """(data root, how it was chosen), the one order every command and the tests use: `$CROSSIN_DATA_DIR`, else
    `shared/data` beside the checkout (developers, CI), else `cache` (the tests fetch into it) or None: each
    benchmark is downloaded from its public source when first needed."""
    if env:
        return Path(env), "$CROSSIN_DATA_DIR"
    if shared is not None and shared.is_dir():
        return shared, "../shared/data"
    if cache is not None:
        return cache, "downloaded into the crossin cache"
    return None, DOWNLOAD


def checkout_shared_data(cwd: Path | None = None) -> Path | None:
    """`../shared/data` beside the source checkout crossin runs from, or beside the crossin checkout that is the
    current folder (`pip install .` then `crossin demo` in the checkout: the installed package lies elsewhere); None
    for an installed package run outside a checkout."""
    checkout = Path(__file__).resolve().parents[3]  # src/crossin/benchmarks/registry.py -> the checkout
    for folder in (checkout, Path.cwd() if cwd is None else cwd):
        if _is_crossin_checkout(folder):
            return folder.parent / "shared" / "data"
    return None


def _is_crossin_checkout(folder: Path) -> bool:
    try:
        text = (folder / "pyproject.toml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return re.search(r'^name\s*=\s*"crossin"\s*$', text, re.MULTILINE) is not None


def current_data_source() -> tuple[Path | None, str]:
    """`data_source` for this process; a `$CROSSIN_DATA_DIR` that does not exist is an error, not a silent
    fall-through to a download."""
    root, how = data_source(os.environ.get(DATA_DIR_ENV), checkout_shared_data())
    if how == "$CROSSIN_DATA_DIR":
        check_data_dir(root, f"${DATA_DIR_ENV}")
    return root, how


def default_data_dir() -> Path | None:
    """The local data root (see `data_source`), or None: the public copies are downloaded."""
    return current_data_source()[0]


def data_source_line(data_dir: str | os.PathLike | None = None) -> str:
    """One line saying where a command's benchmark data comes from."""
    if data_dir:
        return f"data: {check_data_dir(data_dir)} (--data-dir)"
    root, how = current_data_source()
    return f"data: {root} ({how})" if root is not None else f"data: {how}"


def check_data_dir(path: str | os.PathLike, what: str = "--data-dir") -> Path:
    """A local data root (or file) the user named must exist."""
    if not os.path.exists(path):
        instead = "unset it" if what.startswith("$") else "drop it"
        raise CrossinError(f"{what} {path}: no such file or folder ({instead} to download the public copy, or point "
                           "it at a local copy of the data)")
    return Path(path)


def get_spec(name: str) -> BenchmarkSpec:
    key = name.strip().lower().replace("_", "-")
    spec = BENCHMARKS.get(key)
    if not isinstance(spec, BenchmarkSpec) or spec.name != key:
        raise CrossinError(f"the registry entry of {key!r} is not its BenchmarkSpec")  # a slip in the table above
    return spec


def load_benchmark(
    name: str,
    langs: str | tuple[str, ...] | list[str] | None = None,
    data_dir: str | os.PathLike | None = None,
    limit: int | None = None,
    path: str | os.PathLike | None = None,
    subset: str | None = None,
) -> Benchmark:
    """Load a registered benchmark.

    Order of sources: an explicit `path` (a SeaEval-format JSONL file; for a benchmark published one file per
    language, its folder), then `data_dir`, then `default_data_dir()` ($CROSSIN_DATA_DIR, ../shared/data beside the
    checkout), then the Hugging Face Hub. `subset` selects
    one of the benchmark's subsets (global-mmlu: cs, ca; "all" or None: every set).
    """
    spec = get_spec(name)
    codes = parse_langs(langs, PAPER_LANGS)
    root = check_data_dir(data_dir) if data_dir else default_data_dir()
    if subset not in (None, "all") and not spec.subsets:
        raise CrossinError(f"{spec.name} has no subsets (--subset is for {', '.join(_with_subsets()) or 'none'})")
    if spec.loader is not None:
        return spec.loader(codes, root=path if path is not None else root, limit=limit, subset=subset,
                           explicit=path is not None)
    if path is not None:
        file = resolve_file(Path(path), spec.local_relpath)
    elif spec.builder is not None:
        file = spec.builder(root, codes)
    elif root is not None and (spec.hub_id is None or _local_file(root, spec.local_relpath)):
        file = resolve_file(root, spec.local_relpath)
    else:
        return _load_from_hub(spec, codes, limit, root)
    sets = parse_rows(iter_jsonl(file), codes, path=str(file))
    if limit is not None:
        sets = sets[:limit]
    digest = sha256_file(file)
    return Benchmark(name=spec.name, langs=codes, sets=sets, source=str(file), sha256=digest,
                     meta={"source": {"name": spec.name, "file": str(file), "sha256": digest}})


def _with_subsets() -> list[str]:
    return [name for name in benchmark_names() if get_spec(name).subsets]


def download_benchmark(name: str, root: str | os.PathLike) -> Path:
    """Save a registered benchmark's public copy (the Hub, as `load_benchmark` reads it online) as
    `<root>/<local_relpath>` in SeaEval's format, every language, so later runs read it offline with `data_dir=root`."""
    from ..io import write_jsonl
    from ..langs import SEAEVAL_LANGS
    from .base import to_seaeval_row

    spec = get_spec(name)
    target = Path(root) / spec.local_relpath
    if not target.is_file():
        bench = _load_from_hub(spec, tuple(SEAEVAL_LANGS), None)
        write_jsonl(target, [to_seaeval_row(s) for s in bench.sets])
    return target


def _local_file(root: Path, relpath: str) -> Path | None:
    try:
        return resolve_file(root, relpath)
    except CrossinError:
        return None


def hub_dataset(hub_id: str, split: str, name: str | None = None):
    """(rows, revision) of a Hub dataset (config `name`); the revision is the commit the files came from, when the
    Hub says.

    Online, one request (5 s timeout) asks the Hub first, so a typo or no network is one line within seconds rather
    than `datasets`' retries; with HF_HUB_OFFLINE=1 the local datasets cache is read as it is."""
    import datasets
    from huggingface_hub import HfApi, constants

    revision = None
    if not constants.is_offline_mode():
        try:
            revision = HfApi(endpoint=constants.ENDPOINT).dataset_info(hub_id, timeout=5).sha
        except Exception as e:  # noqa: BLE001 - DNS, refused, timeout, 404: whatever the HTTP client raises
            raise ConnectionError(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''} "
                                  "(with a local datasets cache, set HF_HUB_OFFLINE=1)") from None
    return datasets.load_dataset(hub_id, name, split=split), revision


def _load_from_hub(spec: BenchmarkSpec, codes: tuple[str, ...], limit: int | None, root: Path | None = None) -> Benchmark:
    if spec.hub_id is None:
        raise CrossinError(f"{spec.name} has no public download; pass --data-dir or set ${DATA_DIR_ENV}")
    try:
        ds, revision = hub_dataset(spec.hub_id, spec.hub_split)
    except Exception as e:  # network, auth, missing package: all are the user's environment
        where = f"no {root / spec.local_relpath} and " if root is not None else ""
        how = spec.how_to_get or f"pass --data-dir or set ${DATA_DIR_ENV} to a folder with {spec.local_relpath}"
        raise CrossinError(
            f"{spec.name}: {where}could not download {spec.hub_id} from the Hugging Face Hub "
            f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); {how}"
        ) from None
    rows = ((i + 1, dict(r)) for i, r in enumerate(ds))
    sets: list[ParallelSet] = parse_rows(rows, codes, path=f"hf://{spec.hub_id}")
    if limit is not None:
        sets = sets[:limit]
    fingerprint = getattr(ds, "_fingerprint", None)
    source = {"name": spec.name, "hub": spec.hub_id, "split": spec.hub_split, "revision": revision, "fingerprint": fingerprint}
    return Benchmark(name=spec.name, langs=codes, sets=sets, source=f"hf://{spec.hub_id}", sha256=fingerprint,
                     meta={"source": source})
