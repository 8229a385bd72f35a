"""Parallel multiple-choice benchmarks: data model, registry and loaders."""

from .base import LETTERS, MCQ, Benchmark, BenchmarkSpec, ParallelSet, best_option, parse_seaeval_row, to_seaeval_row
from .registry import BENCHMARKS, benchmark_names, get_spec, load_benchmark, register, register_lazy

__all__ = [
    "LETTERS", "MCQ", "Benchmark", "ParallelSet", "best_option", "parse_seaeval_row", "to_seaeval_row",
    "BENCHMARKS", "BenchmarkSpec", "benchmark_names", "get_spec", "load_benchmark", "register", "register_lazy",
]
