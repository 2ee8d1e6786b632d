"""The benchmark suite: how annotator holds up with 10,000 to 1,000,000 cases.

``python -m benchmarks`` generates synthetic projects (deterministic from a seed), measures
import, open, navigation, filter and search, export and merge on this machine, and writes
``docs/benchmarks.md``. ``python -m benchmarks --quick`` runs everything at 10,000 cases to
check that the suite works (in CI), without judging the timings. See docs/benchmarks.md.
"""
