"""Small file helpers: atomic writes, JSONL reading with line numbers, hashes, where the cache lives."""

from __future__ import annotations

import hashlib
import json
import os
import re
import reprlib
import secrets
import shutil
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .errors import CrossinError, redact_text

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


TMP_PREFIX = ".crossin-tmp-"
# `.crossin-tmp-<pid>-<8 hex>-<name>`: only a name crossin made matches (a user's `.thesis.999.tmp.docx` never does)
_TMP = re.compile(r"^\.crossin-tmp-(\d+)-[0-9a-f]{8}-.+$")


def tmp_name(name: str) -> str:
    """Name of a temporary sibling of `name` (file or folder): a crossin prefix, our process id (so a later run can
    tell a leftover of a killed run, `remove_stale_tmp`, from the live temp file of a concurrent one), a random part
    (two writers of one name in one process never collide), then `name` (so its suffix, e.g. .png, is kept)."""
    if len(os.fsencode(name)) > NAME_MAX - 40:  # the prefix must not push a long name past the file system's limit
        name = name[-100:]
    return f"{TMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}-{name}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def remove_stale_tmp(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files and folders (see `tmp_name`) of dead processes directly in `folder` (not below:
    each command cleans the top of the folders it writes, and nothing else); return them."""
    folder = Path(folder)
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for entry in os.scandir(folder):
        m = _TMP.match(entry.name)
        if not m or int(m.group(1)) == os.getpid() or _alive(int(m.group(1))):
            continue
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


NAME_MAX = 255  # bytes per path component on ext4, xfs, btrfs, tmpfs, NTFS


def _check_components(path: Path, what: str) -> None:
    for part in path.parts:
        if len(os.fsencode(part)) > NAME_MAX:
            raise CrossinError(f"{what}: a path component is longer than {NAME_MAX} bytes ({short(part, 40)})",
                               path=short(str(path), 120))


def _writable_ancestor(path: Path, what: str) -> None:
    """The nearest existing folder above `path` (or `path` itself for a folder) must be a folder we may write."""
    probe = path
    while not os.path.lexists(probe):
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise CrossinError(f"{what}: {probe} is not a folder", path=str(path))
    if not os.access(probe, os.W_OK | os.X_OK):
        raise CrossinError(f"{what}: no permission to write in {probe}", path=str(path))


def check_output_file(path: str | os.PathLike, what: str = "output") -> Path:
    """An output file crossin may replace: absent or a regular file (never a symlink, FIFO or device: `--out
    /dev/null` must not replace the system's), in a folder that exists or can be made and that we may write.
    Checked before any work, so a bad place fails in a second, not after the run."""
    path = Path(path)
    _check_components(path, what)
    if os.path.lexists(path):
        st = os.lstat(path)
        if stat.S_ISDIR(st.st_mode):
            raise CrossinError(f"{what}: a folder is in the way (a file is written here)", path=str(path))
        if not stat.S_ISREG(st.st_mode):
            kind = "a symlink" if stat.S_ISLNK(st.st_mode) else "not a regular file"
            raise CrossinError(f"{what}: {kind}; crossin replaces only regular files", path=str(path))
    _writable_ancestor(path.parent, what)
    return path


def check_output_dir(path: str | os.PathLike, what: str = "output folder") -> Path:
    """An output folder: a folder (or a link to one) we may write in, or absent below one we may write in."""
    path = Path(path)
    _check_components(path, what)
    if os.path.lexists(path) and not path.is_dir():
        raise CrossinError(f"{what}: a file is in the way (a folder is needed)", path=str(path))
    _writable_ancestor(path, what)
    return path


def check_cache_writable() -> Path:
    """$CROSSIN_CACHE (or ~/.cache/crossin) usable for writing, checked before a command does any work."""
    root = cache_root()
    try:
        return check_output_dir(root, f"${CACHE_ENV}")
    except CrossinError as e:
        raise CrossinError(f"{e.reason} (set ${CACHE_ENV} to a folder you may write)", path=e.path) from None


def short(value: Any, limit: int = 80) -> str:
    """repr of `value` cut to about `limit` characters: error messages never print a whole (possibly huge, or
    alias-expanded) value. Containers are shortened level by level (reprlib), strings before their repr."""
    if isinstance(value, str):
        text = repr(value[:limit])
        return text if len(value) <= limit else text[:-1] + "..." + text[-1]
    r = reprlib.Repr()
    r.maxlevel, r.maxlist, r.maxtuple, r.maxdict, r.maxset = 3, 6, 6, 6, 6
    r.maxstring, r.maxother, r.maxlong = limit, limit, limit
    text = r.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
    in the way, no permission, a missing drive) or a target that is not a regular file is a CrossinError naming it."""
    path = check_output_file(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(tmp_name(path.name))
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as e:
        raise CrossinError(f"cannot write here ({e.strerror or e})", path=str(path)) from None
    try:
        os.fchmod(fd, normal_mode())
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as f:  # a lone surrogate: \udXXX
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


def redact_secrets(obj: Any) -> Any:
    """`obj` with credentials in URLs replaced by `***` (user:password@host, ?api_key=...): for what we write."""
    if isinstance(obj, str):
        return redact_text(obj)
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
    path = check_output_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(tmp_name(path.name))  # keeps the suffix: matplotlib picks the format from it
    try:
        fig.savefig(tmp, dpi=dpi)
        os.replace(tmp, path)
    finally:
        pyplot().close(fig)
        if tmp.exists():
            tmp.unlink()


MAX_LINE_BYTES = 64 << 20  # a longer line is not a record but a broken (or hostile) file
MAX_TEXT_BYTES = 1 << 30  # a whole-file read (JSON, YAML) larger than this is refused, not read into memory


def check_input_file(path: str | os.PathLike, what: str = "file") -> Path:
    """An input crossin may open: an existing regular file (or a link to one). A FIFO would block forever,
    /dev/zero would fill the memory, a folder is a mistake: each is a CrossinError naming it."""
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise CrossinError(f"{what} not found", path=str(path)) from None
    except OSError as e:
        raise CrossinError(f"cannot read {what} ({e.strerror or e})", path=str(path)) from None
    if stat.S_ISDIR(st.st_mode):
        raise CrossinError(f"{what} expected, got a folder", path=str(path))
    if not stat.S_ISREG(st.st_mode):
        raise CrossinError(f"{what} expected, got a FIFO, device or socket", path=str(path))
    return path


def read_text(path: str | os.PathLike, *, what: str = "file") -> str:
    """A user's UTF-8 text file; a missing, non-regular, huge or undecodable one is a CrossinError naming it."""
    path = check_input_file(path, what)
    try:
        if path.stat().st_size > MAX_TEXT_BYTES:
            raise CrossinError(f"{what} is larger than {MAX_TEXT_BYTES >> 20} MB", path=str(path))
        data = path.read_bytes()
    except OSError as e:
        raise CrossinError(f"cannot read {what} ({e.strerror or e})", path=str(path)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise CrossinError(f"not UTF-8 text ({e.reason})", path=str(path), line=line) from None


def iter_lines(path: str | os.PathLike, what: str = "file") -> Iterator[tuple[int, str]]:
    """(line number, decoded line) of a regular UTF-8 file, each line bounded (MAX_LINE_BYTES)."""
    path = check_input_file(path, what)
    with open(path, "rb") as f:  # decoded line by line, so a non-UTF-8 byte is reported on its own line
        lineno = 0
        while raw := f.readline(MAX_LINE_BYTES + 1):
            lineno += 1
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                raise CrossinError(f"line longer than {MAX_LINE_BYTES >> 20} MB", path=str(path), line=lineno)
            try:
                yield lineno, raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise CrossinError(f"not UTF-8 text ({e.reason})", path=str(path), line=lineno) from None


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
    for lineno, line in iter_lines(path, "JSONL file"):
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
    """Hash of `text` as atomic_write_text writes it (a lone surrogate as \\udXXX)."""
    return hashlib.sha256(text.encode("utf-8", errors="backslashreplace")).hexdigest()
