"""Smoke test of the frozen app: build the one-folder bundle and run it as a user would.

    python packaging/smoke_test.py                  # build into build/smoke/, then test
    python packaging/smoke_test.py --bundle DIR     # test a folder built before (any OS)

It checks that the bundle holds every resource and Qt plugin the app needs and, on Linux, that
every library a bundled binary links against is in the bundle or is one PyInstaller leaves to the
system; runs the frozen CLI (import, summary, export in both formats) and compares its output
with the input; runs it on the hostile sample (tests/data/hostile/, packaging/smoke_hostile.py:
text that tries to act, in every field, imported, exported, merged and reported); starts the
frozen GUI with ``--self-test`` (offscreen, and on X11 under Xvfb when xvfb-run is there), each
with a temporary data folder; checks that nothing was written into the
bundle; and checks the size budgets. Any failure exits non-zero.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from build import disk_size, version  # packaging/ is on the path: this file runs as a script
from smoke_hostile import HostileFailed, check_hostile

ROOT = Path(__file__).resolve().parent.parent
LINUX = sys.platform.startswith("linux")
WINDOWS = sys.platform == "win32"
MB = 1_000_000
FOLDER_BUDGET = 110 * MB
TARBALL_BUDGET = 55 * MB
# Libraries PyInstaller never bundles (PyInstaller/depend/dylib.py): the system provides them.
SYSTEM_LIBS = re.compile(
    r"(libc|libdl|libm|libpthread|librt|libutil|libresolv|libcrypt|libanl|ld-linux-x86-64|"
    r"ld-linux-aarch64|libGL|libEGL|libOpenGL|libGLX|libGLESv2|libdrm|libxcb|"
    r"libwayland-(client|cursor|egl|server))\.so"
)
# Qt warnings that mean a broken bundle, whatever the exit status.
BAD_QT_OUTPUT = re.compile(
    r"(?i)(could not|cannot|failed to) (load|find|open|create)|qt\.qpa\.plugin|fontconfig error"
)


class Failed(Exception):
    pass


def executable(bundle: Path, name: str) -> Path:
    return bundle / (f"{name}.exe" if WINDOWS else name)


def internal(bundle: Path) -> Path:
    return bundle / "_internal"


def run(
    command: list[str | Path], env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(c) for c in command],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=env,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise Failed(
            f"{' '.join(map(str, command))} exited with {done.returncode}\n"
            f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
        )
    return done


# -- the bundle's contents -------------------------------------------------------------------


def check_contents(bundle: Path) -> str:
    for name in ("annotator", "annotator-cli"):
        if not executable(bundle, name).is_file():
            raise Failed(f"{executable(bundle, name)} is missing")
    inside = internal(bundle)
    for resource in (
        "resources/sample/sample.jsonl",
        "resources/icons/annotator.svg",
        "resources/annotator.desktop",
    ):
        if not (inside / resource).is_file():
            raise Failed(f"resource {resource} is missing from the bundle")
    plugins = _plugin_dir(inside)
    wanted = ["iconengines/qsvgicon", "imageformats/qsvg", "platforms/qoffscreen"]
    if LINUX:
        wanted += [
            "platforms/qxcb",
            "platforms/qwayland",
            "wayland-shell-integration/xdg-shell",
            "platforminputcontexts/composeplatforminputcontextplugin",
        ]
    elif WINDOWS:
        wanted += ["platforms/qwindows"]
    else:
        wanted += ["platforms/qcocoa"]
    present = {_plugin_key(p, plugins) for p in plugins.rglob("*") if p.is_file()}
    missing = [w for w in wanted if w not in present]
    if missing:
        raise Failed(f"Qt plugins missing: {', '.join(missing)} (in {plugins})")
    unwanted = [p for p in present if p.split("/")[0] in {"egldeviceintegrations", "generic"}]
    if any(inside.rglob("qtbase_*.qm")) or unwanted:
        raise Failed(f"the lean build carries what it should drop: {unwanted or 'translations'}")
    return f"{len(present)} Qt plugins, resources present"


def _plugin_dir(inside: Path) -> Path:
    for candidate in (inside / "PySide6" / "Qt" / "plugins", inside / "PySide6" / "plugins"):
        if candidate.is_dir():
            return candidate
    raise Failed("no Qt plugins folder in the bundle")


def _plugin_key(path: Path, plugins: Path) -> str:
    folder = path.relative_to(plugins).parts[0]
    name = path.name.split(".")[0].removeprefix("lib")
    return f"{folder}/{name}"


def check_linked(bundle: Path) -> str:
    """Linux: each bundled ELF's DT_NEEDED is in the bundle or is a library left to the system."""
    elves = [p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink() and _is_elf(p)]
    names = {p.name for p in bundle.rglob("*")}
    problems = []
    for elf in elves:
        for needed in _needed(elf.read_bytes()):
            if needed not in names and not SYSTEM_LIBS.match(needed):
                problems.append(f"{elf.relative_to(bundle)} needs {needed}")
    if problems:
        raise Failed("libraries missing from the bundle:\n  " + "\n  ".join(sorted(problems)))
    return f"{len(elves)} binaries, all their libraries bundled or system"


def _is_elf(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) == b"\x7fELF"


def _needed(data: bytes) -> list[str]:
    """DT_NEEDED of an ELF64 little-endian file, read from its .dynamic section."""
    if data[4] != 2 or data[5] != 1:
        return []
    shoff, shentsize, shnum = (
        struct.unpack_from("<Q", data, 0x28)[0],
        *struct.unpack_from("<HH", data, 0x3A),
    )
    sections = [
        struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)
    ]
    result = []
    for section in sections:
        if section[1] != 6:  # SHT_DYNAMIC
            continue
        strtab = sections[section[6]][4]
        for i in range(section[5] // 16):
            tag, value = struct.unpack_from("<qQ", data, section[4] + 16 * i)
            if tag == 1:  # DT_NEEDED
                result.append(data[strtab + value : data.index(b"\0", strtab + value)].decode())
    return result


# -- the frozen CLI --------------------------------------------------------------------------


def check_cli(bundle: Path, tmp: Path) -> str:
    cli = executable(bundle, "annotator-cli")
    out = run([cli, "--version"]).stdout.strip()
    if out != f"annotator {version()}":
        raise Failed(f"annotator-cli --version printed {out!r}, not 'annotator {version()}'")
    sample = internal(bundle) / "resources" / "sample" / "sample.jsonl"
    lines = [json.loads(line) for line in sample.read_text(encoding="utf-8").splitlines() if line]
    ids = {line["id"] for line in lines if "id" in line}  # the first line is the project header
    expected = len(ids)
    base = tmp / "cli-data"
    report = json.loads(run([cli, "import", sample, "--basedir", base, "--json"]).stdout)
    workspace = Path(report["workspace"])
    # resolve(): on macOS the temporary folder is under a symlink (/var -> /private/var)
    if (
        report["cases"] != expected
        or report["skipped_lines"] != 0
        or workspace.resolve().parent.parent != (base / "data").resolve()
    ):
        raise Failed(f"import: expected {expected} cases in {base}, got {report}")
    if report["disagreements"] <= 0:
        raise Failed(f"import found no disagreements: {report}")
    summary = json.loads(run([cli, "summary", workspace, "--json", "--basedir", base]).stdout)
    if summary["cases"] != expected or sum(summary["kinds"].values()) != expected:
        raise Failed(f"summary does not count the {expected} cases: {summary}")
    text = run([cli, "summary", workspace, "--basedir", base]).stdout
    if "disagreements" not in text:
        raise Failed(f"summary printed no disagreements:\n{text}")
    jsonl, csv_out = tmp / "labelled.jsonl", tmp / "labelled.csv"
    run([cli, "export", workspace, "-o", jsonl, "--all", "--basedir", base])
    run([cli, "export", workspace, "-o", csv_out, "--all", "--basedir", base])
    records = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    if len(records) != expected or {r["id"] for r in records} != ids:
        raise Failed(f"export wrote {len(records)} records, expected the {expected} sample ids")
    if any(r.get("format") != "annotator.decisions" for r in records):
        raise Failed("export: records without format annotator.decisions")
    rows = list(csv.DictReader(io.StringIO(csv_out.read_text(encoding="utf-8-sig"))))
    if len(rows) != expected or "id" not in rows[0]:
        raise Failed(f"CSV export wrote {len(rows)} rows, expected {expected}")
    bad = subprocess.run(
        [str(cli), "export", str(tmp / "missing.annotator"), "-o", str(tmp / "x.jsonl")],
        capture_output=True,
        text=True,
        check=False,
    )
    if bad.returncode == 0 or "error" not in bad.stderr:
        raise Failed("export of a missing workspace did not fail with an error")
    merged = check_merge(cli, sample.parent / "reviews", workspace, base, tmp)
    return (
        f"import, summary, export jsonl/csv of {expected} cases; {merged}; "
        f"errors exit {bad.returncode}"
    )


def check_merge(cli: Path, reviews: Path, workspace: Path, base: Path, tmp: Path) -> str:
    """A lead's commands on the bundled reviewer files: merge (checked against the sample's
    workspace) and the agreement report (orjson and the statistics are in the bundle)."""
    files = sorted(reviews.glob("*.jsonl"))
    if len(files) < 2:
        raise Failed(f"the bundled reviewer files are missing from {reviews}")
    merged = tmp / "merged.jsonl"
    run([cli, "merge", *files, "-o", merged, "--workspace", workspace, "--basedir", base])
    cases = [json.loads(line) for line in merged.read_text(encoding="utf-8").splitlines()]
    if not cases or any(c.get("format") != "annotator.merged" for c in cases):
        raise Failed(f"merge wrote no merged cases to {merged}")
    # Large files are read in worker processes: the frozen executable started again, which
    # multiprocessing.freeze_support() in packaging/launch_cli.py turns into a worker. Asked
    # for (ANNOTATOR_MERGE_WORKERS), a worker that fails fails the merge.
    parallel = tmp / "merged-in-workers.jsonl"
    done = run(
        [cli, "merge", *files, "-o", parallel, "--workspace", workspace, "--basedir", base],
        env=dict(os.environ, ANNOTATOR_MERGE_WORKERS="2"),
    )
    if parallel.read_bytes() != merged.read_bytes():
        raise Failed("merge in worker processes wrote another file than the merge in one")
    if done.stderr.strip():
        raise Failed(f"merge in worker processes printed:\n{done.stderr}")
    conflicts = sum(c["resolution"] == "conflict" for c in cases)
    report = json.loads(run([cli, "agreement", merged, "--json", "--basedir", base]).stdout)
    if report.get("counts", {}).get("conflicts") != conflicts:
        raise Failed(f"agreement counts {report.get('counts')}, the merge {conflicts} conflicts")
    return (
        f"merge of {len(files)} reviewer files ({len(cases)} cases, the same in worker "
        "processes), agreement"
    )


# -- the frozen GUI --------------------------------------------------------------------------


def check_gui(bundle: Path, tmp: Path, platform: str, wrapper: list[str]) -> str:
    base = tmp / f"gui-{platform}"
    env = dict(os.environ, QT_QPA_PLATFORM=platform, ANNOTATOR_BASEDIR=str(base))
    env.pop("QT_PLUGIN_PATH", None)
    started = time.perf_counter()
    done = run([*wrapper, executable(bundle, "annotator"), "--self-test"], env=env, timeout=90)
    seconds = time.perf_counter() - started
    if not WINDOWS and "self-test: ok" not in done.stdout:
        raise Failed(f"--self-test printed no success line:\n{done.stdout}\n{done.stderr}")
    bad = [line for line in done.stderr.splitlines() if BAD_QT_OUTPUT.search(line)]
    if bad:
        raise Failed(f"the GUI ({platform}) reported:\n  " + "\n  ".join(bad))
    if not list((base / "data" / "workspaces").glob("*.annotator")):
        raise Failed(f"the GUI wrote no workspace into its data folder {base}")
    shown = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "ok"
    return f"{shown.removeprefix('self-test: ok: ')} in {seconds:.1f} s"


# -- the build -------------------------------------------------------------------------------


def build(out: Path) -> tuple[Path, Path | None]:
    command = [
        sys.executable,
        str(ROOT / "packaging" / "build.py"),
        "--dist",
        str(out / "dist"),
        "--work",
        str(out / "work"),
    ]
    print("smoke: building:", " ".join(command), flush=True)
    subprocess.run(command, check=True)
    bundle = out / "dist" / f"annotator-{version()}"
    tarballs = sorted((out / "dist").glob(f"annotator-{version()}-linux-*.tar.gz"))
    return bundle, (tarballs[0] if tarballs else None)


def check_sizes(bundle: Path, tarball: Path | None) -> str:
    """The budgets hold for the Linux build; elsewhere the size is only reported."""
    size = disk_size(bundle)
    text = f"folder {size / MB:.1f} MB (budget {FOLDER_BUDGET // MB} on Linux)"
    if size > FOLDER_BUDGET and LINUX:
        raise Failed(f"over budget: {text}")
    if tarball is not None:
        packed = tarball.stat().st_size
        text += f", {tarball.name} {packed / MB:.1f} MB (budget {TARBALL_BUDGET // MB})"
        if packed > TARBALL_BUDGET:
            raise Failed(f"over budget: {text}")
    return text


def snapshot(bundle: Path) -> set[str]:
    return {str(p.relative_to(bundle)) for p in bundle.rglob("*")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Smoke test of the frozen annotator.")
    parser.add_argument("--bundle", type=Path, help="test this one-folder build; don't build")
    parser.add_argument("--tarball", type=Path, help="with --bundle: its .tar.gz, for the budget")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "build" / "smoke", help="where to build (build/smoke)"
    )
    parser.add_argument("--no-xvfb", action="store_true", help="skip the X11 run under Xvfb")
    args = parser.parse_args(argv)

    if args.bundle:
        bundle, tarball = args.bundle.resolve(), args.tarball
    else:
        shutil.rmtree(args.out, ignore_errors=True)
        bundle, tarball = build(args.out.resolve())
    before = snapshot(bundle)
    # Each check may use the temporary folder; it returns what it saw or raises Failed.
    checks: list[tuple[str, Callable[[Path], str]]] = [
        ("contents", lambda _tmp: check_contents(bundle))
    ]
    if LINUX:
        checks.append(("libraries", lambda _tmp: check_linked(bundle)))
    checks += [("cli", lambda tmp: check_cli(bundle, tmp))]
    cli = [executable(bundle, "annotator-cli")]
    checks.append(("hostile", lambda tmp: check_hostile(cli, tmp)))
    checks.append(("gui offscreen", lambda tmp: check_gui(bundle, tmp, "offscreen", [])))
    xvfb = shutil.which("xvfb-run")
    if LINUX and xvfb and not args.no_xvfb:
        wrapper = [xvfb, "-a", "-s", "-screen 0 1600x1000x24"]
        checks.append(("gui xcb (Xvfb)", lambda tmp: check_gui(bundle, tmp, "xcb", wrapper)))
    elif LINUX:
        print("smoke: xvfb-run not found: the X11 run is skipped", flush=True)
    checks.append(("sizes", lambda _tmp: check_sizes(bundle, tarball)))

    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="annotator-smoke-") as tmp_name:
        tmp = Path(tmp_name)
        for name, check in checks:
            try:
                print(f"smoke: {name}: ok: {check(tmp)}", flush=True)
                passed += 1
            except (
                Failed, HostileFailed, subprocess.TimeoutExpired, OSError, ValueError, KeyError
            ) as exc:  # fmt: skip
                print(f"smoke: {name}: FAILED: {exc}", flush=True)
                failed += 1
    written = snapshot(bundle) - before
    if written:
        print(f"smoke: bundle: FAILED: the app wrote into its own folder: {sorted(written)}")
        failed += 1
    else:
        passed += 1
    print(f"smoke: {passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
