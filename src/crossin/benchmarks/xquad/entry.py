"""`--bench cross-xquad-built`: the registry's entry (SPEC, imported by name on first use) and the cached build."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ...errors import CrossinError
from ...io import atomic_write_text, built_benchmarks_dir, sha256_file, sha256_text, write_json, xquad_download_dir
from ..base import BenchmarkSpec
from .build import BUILD_VERSION, build_cross_xquad
from .reader import download_xquad, find_xquad_files


def build_cached(xquad_dir: str | os.PathLike, langs: tuple[str, ...], seed: int = 0) -> Path:
    """Build into the cache, keyed by the input files' hashes, seed, languages and BUILD_VERSION; reuse if there."""
    files = find_xquad_files(xquad_dir)
    key = json.dumps({
        "inputs": {lang: sha256_file(path) for lang, path in files.items()},
        "seed": seed, "langs": list(langs), "version": BUILD_VERSION,
    }, sort_keys=True)
    target = built_benchmarks_dir() / f"cross_xquad_{sha256_text(key)[:16]}.jsonl"
    if target.is_file():
        return target
    result = build_cross_xquad(xquad_dir, langs, seed=seed)
    write_json(target.with_suffix(".report.json"), result.report)
    atomic_write_text(target, result.jsonl())
    return target


def build_for_registry(data_root: Path | None, langs: tuple[str, ...]) -> Path:
    """`--bench cross-xquad-built`: a seed-0 build from `<root>/xquad` (downloaded from XQuAD's GitHub without a root).

    `<root>/cross_xquad/test.jsonl` is the *released* set (`--bench cross-xquad`), never read here; a build written
    with `crossin bench build-xquad --out FILE` is loaded with `--bench cross-xquad-built --bench-file FILE`.
    """
    if data_root is None:
        return build_cached(download_xquad(xquad_download_dir()), langs)
    root = Path(data_root)
    if root.is_file():
        return root
    for folder in (root / "xquad", root):
        if folder.is_dir() and any(folder.glob("xquad.*.json")):
            return build_cached(folder, langs)
    raise CrossinError("no xquad/xquad.<lang>.json here to build cross-xquad-built from", path=str(root))


# Named in registry.py as "crossin.benchmarks.xquad.entry:SPEC"; this module never imports the registry.
SPEC = BenchmarkSpec(
    name="cross-xquad-built",
    description="Cross-XQuAD built offline by crossin (seed 0): 1,190 XQuAD questions as parallel 4-option MCQ with a "
                "passage, distractors from other answers of the same article (12 languages)",
    local_relpath="cross_xquad_built/test.jsonl",
    builder=build_for_registry,
)
