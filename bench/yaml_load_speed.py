"""Time crossin's YAML loader (libyaml's parser, duplicate keys and alias bombs checked) against PyYAML's pure-Python
SafeLoader on one long list: the README's "a 100,000-item list: X s instead of Y s".

Usage: python bench/yaml_load_speed.py [--items N] [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from crossin.config import load_yaml


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.yaml"
        path.write_text("items:\n" + "".join(f"  - {{id: q{i}, lang: en, choice: {i % 4}}}\n"
                                              for i in range(args.items)), encoding="utf-8")

        def timed(fn) -> tuple[float, object]:
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                out = fn()
                times.append(time.perf_counter() - started)
            return statistics.median(times), out

        t_crossin, (data, _) = timed(lambda: load_yaml(path))
        t_python, plain = timed(lambda: yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader))
    assert data == plain and len(data["items"]) == args.items  # the same document both ways
    print(f"crossin load_yaml (libyaml: {hasattr(yaml, 'CSafeLoader')}): {t_crossin:6.2f} s")
    print(f"PyYAML SafeLoader (pure Python):     {t_python:6.2f} s  ({t_python / t_crossin:.1f}x)")
    print(f"{args.items:,} items, median of {args.repeat}")


if __name__ == "__main__":
    main()
