"""Benchmarks, run by ``make bench`` (``python -m benchmarks [NAME ...]``).

Each ``bench_*.py`` module has ``main() -> None`` that measures its subject *and* a baseline
in the same run and prints the ratio: these machines are noisy, so only ratios compare.
"""
