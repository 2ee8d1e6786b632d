"""Build annotator for this OS: the one-folder app, then its installer or archive.

    python packaging/build.py            # from the repository root, in a venv with the app and
                                         # PyInstaller installed (see packaging/README.md)

Linux    dist/annotator-VERSION/ and dist/annotator-VERSION-linux-x86_64.tar.gz
Windows  dist/annotator-VERSION/, dist/annotator-VERSION-windows-x64.zip and, with Inno Setup's
         iscc on PATH (or ISCC set), dist/annotator-VERSION-setup.exe
macOS    dist/annotator.app and dist/annotator-VERSION-macos-ARCH.dmg (signed and notarized when
         the variables of packaging/macos/make_dmg.sh are set)

Archives are reproducible: sorted entries, one timestamp (SOURCE_DATE_EPOCH, else the last commit's
time), no owner names.
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "annotator.spec"


def version() -> str:
    text = (ROOT / "annotator" / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r'__version__ = "([^"]+)"', text)
    if found is None:
        raise SystemExit("build: no __version__ in annotator/__init__.py")
    return found.group(1)


def source_date_epoch() -> int:
    """SOURCE_DATE_EPOCH, else the last commit's time, else now: the archives' one timestamp."""
    if "SOURCE_DATE_EPOCH" in os.environ:
        return int(os.environ["SOURCE_DATE_EPOCH"])
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "log", "-1", "--format=%ct"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        return int(out)
    except (OSError, subprocess.CalledProcessError, ValueError):
        return int(time.time())


def run_pyinstaller(dist: Path, work: Path) -> float:
    """Run the spec (a clean build); return the seconds it took."""
    try:
        import PyInstaller.__main__ as pyinstaller
    except ImportError:
        raise SystemExit(
            "build: PyInstaller is not installed here: pip install pyinstaller "
            "(in the venv that has annotator's dependencies)"
        ) from None
    started = time.perf_counter()
    pyinstaller.run(
        [
            "--noconfirm", "--clean", "--log-level", "WARN",
            "--distpath", str(dist), "--workpath", str(work), str(SPEC),
        ]
    )  # fmt: skip
    return time.perf_counter() - started


def _tar_filter(mtime: int) -> Callable[[tarfile.TarInfo], tarfile.TarInfo]:
    def normalize(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = mtime
        if not info.issym():
            executable = info.isdir() or info.mode & 0o111
            info.mode = 0o755 if executable else 0o644
        return info

    return normalize


def _add_tree(tar: tarfile.TarFile, path: Path, arcname: str, mtime: int) -> None:
    """Add PATH with its contents in sorted order (tarfile.add walks in directory order)."""
    tar.add(path, arcname, recursive=False, filter=_tar_filter(mtime))
    if path.is_dir() and not path.is_symlink():
        for child in sorted(path.iterdir()):
            _add_tree(tar, child, f"{arcname}/{child.name}", mtime)


def linux_tarball(folder: Path, out: Path, mtime: int) -> Path:
    """The one-folder app as a .tar.gz, with the desktop entry, icons and install.sh on top."""
    staging = out.parent / f".{folder.name}-extras"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    extras = {
        "annotator.desktop": ROOT / "resources" / "annotator.desktop",
        "annotator.png": ROOT / "resources" / "icons" / "annotator-256.png",
        "annotator.svg": ROOT / "resources" / "icons" / "annotator.svg",
        "annotator-mime.xml": ROOT / "resources" / "annotator-mime.xml",
        "install.sh": PACKAGING / "linux" / "install.sh",
        "README.txt": PACKAGING / "linux" / "README.txt",
    }
    for name, source in extras.items():
        shutil.copy2(source, staging / name)
    with open(staging / "README.txt", "a", encoding="utf-8") as readme:
        libc, libc_version = platform.libc_ver()
        readme.write(f"\nannotator {version()}, built on {_os_name()} ({libc} {libc_version}).\n")
    (staging / "install.sh").chmod(0o755)
    with (
        open(out, "wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=9, mtime=mtime) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        _add_tree(tar, folder, folder.name, mtime)
        for name in sorted(extras):
            _add_tree(tar, staging / name, f"{folder.name}/{name}", mtime)
    shutil.rmtree(staging)
    return out


def _os_name() -> str:
    try:
        return platform.freedesktop_os_release().get("PRETTY_NAME", "Linux")
    except OSError:
        return "Linux"


def windows_zip(folder: Path, out: Path, mtime: int) -> Path:
    stamp = time.gmtime(max(mtime, 315532800))[:6]  # zip cannot store dates before 1980
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                name = f"{folder.name}/{path.relative_to(folder).as_posix()}"
                info = zipfile.ZipInfo(name, stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, path.read_bytes())
    return out


def windows_installer(folder: Path, dist: Path, ver: str) -> Path | None:
    iscc = os.environ.get("ISCC") or shutil.which("iscc") or shutil.which("ISCC")
    default = Path(os.environ.get("PROGRAMFILES(X86)", r"C:\Program Files (x86)"))
    if iscc is None and (default / "Inno Setup 6" / "ISCC.exe").exists():
        iscc = str(default / "Inno Setup 6" / "ISCC.exe")
    if iscc is None:
        print("build: Inno Setup's iscc not found: no installer (set ISCC or add it to PATH)")
        return None
    numeric = ".".join((re.findall(r"\d+", ver) + ["0", "0", "0"])[:3])
    subprocess.run(
        [
            iscc, "/Qp", f"/DAppVersion={ver}", f"/DAppVersionNumeric={numeric}",
            f"/DSourceDir={folder}", f"/DOutputDir={dist}",
            str(PACKAGING / "windows" / "annotator.iss"),
        ],
        check=True,
    )  # fmt: skip
    return dist / f"annotator-{ver}-setup.exe"


def macos_dmg(app: Path, dist: Path, ver: str) -> Path:
    arch = platform.machine() or "universal"
    out = dist / f"annotator-{ver}-macos-{arch}.dmg"
    subprocess.run(
        ["bash", str(PACKAGING / "macos" / "make_dmg.sh"), str(app), str(out), ver], check=True
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build annotator's one-folder app and installer.")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output (default: dist/)")
    parser.add_argument(
        "--work", type=Path, default=ROOT / "build" / "pyinstaller", help="PyInstaller's work dir"
    )
    parser.add_argument(
        "--no-build", action="store_true", help="package the folder already in --dist"
    )
    parser.add_argument(
        "--no-package", action="store_true", help="only the one-folder app: no archive, installer"
    )
    args = parser.parse_args(argv)
    dist, ver, mtime = args.dist.resolve(), version(), source_date_epoch()
    folder = dist / f"annotator-{ver}"

    seconds = None if args.no_build else run_pyinstaller(dist, args.work.resolve())
    if not folder.is_dir():
        raise SystemExit(f"build: {folder} is missing")
    artefacts = [folder]
    if not args.no_package:
        if sys.platform.startswith("linux"):
            machine = platform.machine() or "x86_64"
            artefacts.append(
                linux_tarball(folder, dist / f"annotator-{ver}-linux-{machine}.tar.gz", mtime)
            )
        elif sys.platform == "win32":
            artefacts.append(windows_zip(folder, dist / f"annotator-{ver}-windows-x64.zip", mtime))
            installer = windows_installer(folder, dist, ver)
            if installer is not None:
                artefacts.append(installer)
        elif sys.platform == "darwin":
            artefacts.append(macos_dmg(dist / "annotator.app", dist, ver))
    if seconds is not None:
        print(f"build: PyInstaller took {seconds:.0f} s")
    for path in artefacts:
        print(f"build: {path}  ({disk_size(path) / 1e6:.1f} MB)")
    return 0


def disk_size(path: Path) -> int:
    """Bytes of a file, or of the files in a folder (links not followed)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


if __name__ == "__main__":
    raise SystemExit(main())
