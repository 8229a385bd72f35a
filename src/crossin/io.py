"""Small file helpers: atomic writes, JSONL reading with line numbers, hashes, where the cache lives."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .errors import CrossinError

# Output names shared by the writer (crossin eval) and the readers (report, experiment): <out>/<bench>/...
RESULTS_FILE = "results.json"
CACHE_ENV = "CROSSIN_CACHE"


def cache_root() -> Path:
    """$CROSSIN_CACHE, else ~/.cache/crossin: what crossin downloads, converts and builds, shared between runs."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "crossin")


# The cache's layout in one place; each is read from the environment at the call, so a test's $CROSSIN_CACHE holds.
def eval_cache_dir() -> Path:
    """Model requests answered before (crossin eval)."""
    return cache_root() / "eval_cache"


def data_cache_dir() -> Path:
    """Benchmark files downloaded for a run without local data."""
    return cache_root() / "data"


def xquad_download_dir() -> Path:
    """Where XQuAD is downloaded when no local copy is given."""
    return data_cache_dir() / "xquad"


def built_benchmarks_dir() -> Path:
    """Benchmarks crossin builds itself (Cross-XQuAD), keyed by their inputs."""
    return cache_root() / "benchmarks"


def embedded_model_cache_dir() -> Path:
    """The embedded model converted from GGUF to safetensors (converted once, loaded from here afterwards)."""
    return cache_root() / "models" / "gemma-3-270m"


def samples_file(bench: str) -> str:
    """Per-sample log of one benchmark, named like lm-eval's samples_<task> files."""
    return f"samples_{bench}.jsonl"


def umask() -> int:
    """The process umask (only readable by setting it; set back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def normal_mode(folder: bool = False) -> int:
    """The mode `open()` or `mkdir()` would give: temp files and folders are created private (0600/0700), and
    results on a shared machine should be as readable as any other file the user writes."""
    return (0o777 if folder else 0o666) & ~umask()


def tmp_name(name: str) -> str:
    """Name of a temporary sibling of `name` (file or folder). It carries our process id, so a later run can tell a
    leftover of a killed run (`remove_stale_tmp`) from the live temporary file of a concurrent one."""
    return f".{name}.{os.getpid()}.tmp"


_TMP = re.compile(r"^\..+\.(\d+)\.(?:[a-z0-9_]+\.)?tmp(?:\.\w+)?$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def remove_stale_tmp(folder: str | os.PathLike) -> list[Path]:
    """Remove, under `folder`, the temporary files and folders (see `tmp_name`) whose process is gone; return them."""
    folder = Path(folder)
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for root, dirs, files in os.walk(folder):
        for name in [*files, *dirs]:
            m = _TMP.match(name)
            if not m or int(m.group(1)) == os.getpid() or _alive(int(m.group(1))):
                continue
            path = Path(root) / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
                dirs.remove(name)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def confined(parent: str | os.PathLike, name: str) -> Path:
    """`parent/name` for a name taken from a config (arm, run): one plain path component that stays inside
    `parent` (no '..', no separator, no absolute path), so nothing is ever written or removed outside it."""
    parent = Path(parent)
    if not name or name in (".", "..") or "/" in name or "\\" in name or os.sep in name or "\0" in name:
        raise CrossinError(f"{name!r} is not a plain folder name", path=str(parent))
    path = parent / name
    if path.resolve().parent != parent.resolve():
        raise CrossinError(f"{name!r} leads outside its folder", path=str(parent))
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write via a temp file + rename so a crash never leaves a half-written file. An unwritable place (a folder
    in the way, no permission, a missing drive) is a CrossinError naming it."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=tmp_name(path.name)[:-len("tmp")], suffix=".tmp")
    except OSError as e:
        raise CrossinError(f"cannot write here ({e.strerror or e})", path=str(path)) from None
    try:
        os.fchmod(fd, normal_mode())
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise CrossinError(f"cannot write here ({e.strerror or e})", path=str(path)) from None
        raise


# user:password@ or token@ in a URL, and key-like query parameters
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@]+@")
_URL_SECRET_PARAM = re.compile(r"(?i)([?&](?:api[_-]?key|key|token|access[_-]?token|password|secret|sig)=)[^&#\s]+")


def redact_secrets(obj: Any) -> Any:
    """`obj` with credentials in URLs replaced by `***` (user:password@host, ?api_key=...): for what we write."""
    if isinstance(obj, str):
        if "://" not in obj:
            return obj
        return _URL_SECRET_PARAM.sub(r"\1***", _URL_USERINFO.sub(r"\g<scheme>***@", obj))
    if isinstance(obj, dict):
        return {k: redact_secrets(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [redact_secrets(v) for v in obj]
    return obj


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Atomic, readable JSON; credentials in URLs are redacted (results, manifests and state are shared)."""
    atomic_write_text(path, json.dumps(redact_secrets(obj), ensure_ascii=False, indent=2) + "\n")


def jsonl_text(rows: Iterable[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def write_jsonl(path: str | os.PathLike, rows: Iterable[dict]) -> None:
    atomic_write_text(path, jsonl_text(rows))


def package_versions(*names: str) -> dict[str, str]:
    """Installed versions of `names` (those that are installed), from package metadata: recorded in every output,
    and read without importing the packages (a fully cached eval never imports torch)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


def pyplot():
    """matplotlib.pyplot on the file-only Agg backend; imported on first use so `import crossin` stays light."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str | os.PathLike, dpi: int = 120) -> None:
    """Save a matplotlib figure atomically (temp file + rename, like atomic_write_text) and close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(tmp_name(path.name) + path.suffix)  # keeps the suffix: matplotlib picks the format from it
    try:
        fig.savefig(tmp, dpi=dpi)
        os.replace(tmp, path)
    finally:
        pyplot().close(fig)
        if tmp.exists():
            tmp.unlink()


def read_text(path: str | os.PathLike, *, what: str = "file") -> str:
    """A user's UTF-8 text file; a missing or undecodable one is a CrossinError naming it."""
    path = Path(path)
    if path.is_dir():
        raise CrossinError(f"{what} expected, got a folder", path=str(path))
    if not path.is_file():
        raise CrossinError(f"{what} not found", path=str(path))
    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        raise CrossinError(f"cannot read {what} ({e.strerror or e})", path=str(path)) from None
    except UnicodeDecodeError as e:
        line = path.read_bytes()[: e.start].count(b"\n") + 1
        raise CrossinError(f"not UTF-8 text ({e.reason})", path=str(path), line=line) from None


def parse_json(text: str, *, path: str, line: int | None = None) -> Any:
    """json.loads with every failure (bad syntax, nesting too deep for the parser) as a CrossinError."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise CrossinError(f"invalid JSON ({e.msg}, column {e.colno})", path=path,
                           line=line if line is not None else e.lineno) from None
    except RecursionError:
        raise CrossinError("JSON nested too deeply", path=path, line=line) from None


def read_json(path: str | os.PathLike) -> Any:
    return parse_json(read_text(path), path=str(path))


def iter_jsonl(path: str | os.PathLike) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object); blank lines are skipped, anything else that is not a JSON object is an error."""
    path = Path(path)
    if path.is_dir():
        raise CrossinError("expected a JSONL file, got a folder", path=str(path))
    if not path.exists():
        raise CrossinError("file not found", path=str(path))
    with open(path, "rb") as f:  # decoded line by line, so a non-UTF-8 byte is reported on its own line
        for lineno, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise CrossinError(f"not UTF-8 text ({e.reason})", path=str(path), line=lineno) from None
            if not line.strip():
                continue
            obj = parse_json(line, path=str(path), line=lineno)
            if not isinstance(obj, dict):
                raise CrossinError(f"expected a JSON object, got {type(obj).__name__}", path=str(path), line=lineno)
            yield lineno, obj


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
