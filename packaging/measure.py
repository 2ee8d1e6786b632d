"""Measure the budgets of packaging/README.md: build time, sizes, start time of the frozen GUI.

    python packaging/measure.py [--builds 2] [--starts 5] [--drop-caches] [--json out.json]

Each build is a clean ``packaging/build.py`` (PyInstaller, then the archive) into a temporary
folder. A start runs ``annotator --self-test`` (offscreen, a new empty data folder each time, so
it is a first start that imports the sample project) and times, from the moment the process is
started, the first paint of the main window, the first case shown and the exit. With
``--drop-caches`` (Linux, root) the page cache is emptied before each start, which makes it a
cold start: every file of the bundle is read from disk again.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))

from smoke_test import MB, disk_size, version  # noqa: E402


def build(out: Path) -> tuple[float, Path, Path]:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "build.py"), "--dist", str(out / "dist"),
         "--work", str(out / "work")],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    bundle = out / "dist" / f"annotator-{version()}"
    return seconds, bundle, next((out / "dist").glob("*.tar.gz"))


def drop_caches() -> None:
    os.sync()
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def start(bundle: Path, cold: bool) -> dict[str, float]:
    """Seconds from exec to: the first paint, the first case shown, the exit."""
    if cold:
        drop_caches()
    with tempfile.TemporaryDirectory() as base:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", ANNOTATOR_BASEDIR=base)
        started = time.perf_counter()
        proc = subprocess.Popen(
            [str(bundle / "annotator"), "--self-test"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
        )  # fmt: skip
        times: dict[str, float] = {}
        assert proc.stdout is not None
        for line in proc.stdout:
            now = time.perf_counter() - started
            if "painted" in line:
                times["painted"] = now
            elif line.startswith("self-test: ok"):
                times["case"] = now
        if proc.wait() != 0 or len(times) != 2:
            raise SystemExit(f"measure: the self-test failed ({proc.returncode}, {times})")
        times["exit"] = time.perf_counter() - started
    return times


def summary(values: list[float]) -> str:
    return (
        f"{statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f}, "
        f"n={len(values)})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure build time, sizes and start time.")
    parser.add_argument("--builds", type=int, default=2)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--drop-caches", action="store_true", help="cold starts (Linux, root)")
    parser.add_argument("--json", type=Path, help="also write the numbers as JSON")
    args = parser.parse_args(argv)

    result: dict[str, object] = {
        "machine": f"{platform.platform()}, {os.cpu_count()} cores",
        "load_average_before": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }
    with tempfile.TemporaryDirectory(prefix="annotator-measure-") as tmp:
        build_times = []
        for i in range(args.builds):
            out = Path(tmp) / f"build{i}"
            seconds, bundle, tarball = build(out)
            build_times.append(seconds)
            print(f"measure: build {i + 1}: {seconds:.0f} s", flush=True)
            if i + 1 < args.builds:
                shutil.rmtree(out)
        files = [p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()]
        folder_bytes, tarball_bytes = disk_size(bundle), tarball.stat().st_size
        result.update(
            build_seconds=build_times,
            folder_bytes=folder_bytes,
            folder_files=len(files),
            tarball_bytes=tarball_bytes,
        )
        first = start(bundle, cold=args.drop_caches)
        starts = [start(bundle, cold=args.drop_caches) for _ in range(args.starts)]
        warm = [start(bundle, cold=False) for _ in range(args.starts)] if args.drop_caches else []
        result.update(first_start=first, starts=starts, warm_starts=warm, cold=args.drop_caches)

    kind = "cold (page cache dropped)" if args.drop_caches else "warm"
    print(f"build (clean, PyInstaller + archive): {summary(build_times)}")
    print(f"one-folder size: {folder_bytes / MB:.1f} MB in {len(files)} files")
    print(f"tar.gz size:     {tarball_bytes / MB:.1f} MB")
    print(f"first start after the build: painted {first['painted']:.2f} s")
    for key, label in (("painted", "first paint"), ("case", "first case"), ("exit", "exit")):
        print(f"{kind} start to {label}: {summary([s[key] for s in starts])}")
        if warm:
            print(f"warm start to {label}: {summary([s[key] for s in warm])}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
