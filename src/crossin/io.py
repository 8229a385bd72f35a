"""Small file helpers: atomic writes, JSONL reading with line numbers, hashes."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .errors import CrossinError

# Output names shared by the writer (crossin eval) and the readers (report, experiment): <out>/<bench>/...
RESULTS_FILE = "results.json"


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


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write via a temp file + rename so a crash never leaves a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, normal_mode())
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


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
    tmp = path.with_name(f".{path.name}.tmp{path.suffix}")  # keeps the suffix: matplotlib picks the format from it
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
    if not path.is_file():
        raise CrossinError(f"{what} not found", path=str(path))
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        line = path.read_bytes()[: e.start].count(b"\n") + 1
        raise CrossinError(f"not UTF-8 text ({e.reason})", path=str(path), line=line) from None


def read_json(path: str | os.PathLike) -> Any:
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise CrossinError(f"invalid JSON ({e.msg}, column {e.colno})", path=str(path), line=e.lineno) from None


def iter_jsonl(path: str | os.PathLike) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object); blank lines are skipped, anything else that is not a JSON object is an error."""
    path = Path(path)
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
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise CrossinError(f"invalid JSON ({e.msg}, column {e.colno})", path=str(path), line=lineno) from None
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
