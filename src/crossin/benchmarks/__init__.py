"""Parallel multiple-choice benchmarks: data model, registry and loaders."""

from .base import LETTERS, MCQ, Benchmark, ParallelSet, parse_seaeval_row, to_seaeval_row
from .registry import BENCHMARKS, BenchmarkSpec, get_spec, load_benchmark, register

__all__ = [
    "LETTERS", "MCQ", "Benchmark", "ParallelSet", "parse_seaeval_row", "to_seaeval_row",
    "BENCHMARKS", "BenchmarkSpec", "get_spec", "load_benchmark", "register",
]
