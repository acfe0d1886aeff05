"""Package size: the `sam build` output against PERFORMANCE.md's budget (the layer <= 15 MB
unzipped, each function <= 1 MB; 1 MB = 1,048,576 bytes).

    python bench/package_size.py              # sam build --cached into .aws-sam/build, then measure
    python bench/package_size.py --no-build   # measure what .aws-sam/build already holds

`sam build` needs a `python3.13` (TOOLING.md): the one running this script if it is 3.13, else
`python3.13` on PATH, else pyenv's 3.13. tests/template/ reuses `find_python313`, `sam_build` and
`artifacts` from here.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]  # run as a script: bench.bars importable

from bench.bars import Bar  # noqa: E402

TEMPLATE = ROOT / "template.yaml"
BUILD_DIR = ROOT / ".aws-sam" / "build"
MB = 1024 * 1024
BUDGETS = {"AWS::Serverless::LayerVersion": 15 * MB, "AWS::Serverless::Function": 1 * MB}
PYTHON = "python3.13"


# ---------------------------------------------------------------- finding python3.13
def _is_python313(candidate: Path) -> bool:
    try:
        done = subprocess.run(
            [str(candidate), "-c", "import sys; sys.exit(sys.version_info[:2] != (3, 13))"],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return False
    return done.returncode == 0


def _pyenv_candidates() -> Iterator[Path]:
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return
    listed = subprocess.run(
        [pyenv, "versions", "--bare"], capture_output=True, text=True, check=False
    ).stdout.split()
    versions = [v for v in listed if v.startswith("3.13.") and v[5:].isdigit()]
    # 3.13.0 first (the README's version), then the newest other 3.13.x.
    versions.sort(key=lambda v: (v != "3.13.0", -int(v[5:])))
    for version in versions:
        prefix = subprocess.run(
            [pyenv, "prefix", version], capture_output=True, text=True, check=False
        ).stdout.strip()
        if prefix:
            yield Path(prefix) / "bin" / PYTHON


def find_python313() -> Path | None:
    """A working `python3.13` executable (a pyenv shim that refuses to run does not count)."""
    candidates: list[Path] = []
    if sys.version_info[:2] == (3, 13):
        candidates.append(Path(sys.executable).with_name(PYTHON))
    on_path = shutil.which(PYTHON)
    if on_path:
        candidates.append(Path(on_path))
    for candidate in [*candidates, *_pyenv_candidates()]:
        if candidate.is_file() and _is_python313(candidate):
            return candidate
    return None


def sam_executable() -> str:
    beside = Path(sys.executable).with_name("sam")
    found = str(beside) if beside.is_file() else shutil.which("sam")
    if found is None:
        raise SystemExit("sam (aws-sam-cli) is not installed: run `make install` first.")
    return found


# ---------------------------------------------------------------- building
@contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    """One `sam build` per build directory at a time (pytest-xdist workers share it)."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def sam_build(build_dir: Path, python313: Path) -> None:
    """`sam build --cached --parallel` into build_dir, its cache beside it. The directory is kept
    between runs on purpose: SAM keys its cache by build.toml in build_dir's parent, so a fresh
    temporary directory would reinstall the layer's dependencies every time."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PATH"] = f"{python313.parent}{os.pathsep}{env.get('PATH', '')}"
    env["SAM_CLI_TELEMETRY"] = "0"
    command = [
        sam_executable(),
        "build",
        "--template-file",
        str(TEMPLATE),
        "--build-dir",
        str(build_dir),
        "--cache-dir",
        str(build_dir.parent / "cache"),
        "--cached",
        "--parallel",
    ]
    with _exclusive(build_dir.parent / f".{build_dir.name}.lock"):
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
    if done.returncode != 0:
        raise RuntimeError(
            f"sam build failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )


# ---------------------------------------------------------------- measuring
@dataclass(frozen=True)
class Artifact:
    logical_id: str
    kind: str  # the resource type
    path: Path

    @property
    def budget(self) -> int:
        return BUDGETS[self.kind]

    @property
    def size(self) -> int:
        return tree_size(self.path)


def tree_size(path: Path) -> int:
    """Unzipped bytes: the sum of the regular files' sizes, symlinks not followed."""
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def artifacts(build_dir: Path) -> list[Artifact]:
    """Every layer and function of the built template, with the directory SAM wrote it to."""
    from samcli.yamlhelper import yaml_parse

    built = yaml_parse((build_dir / "template.yaml").read_text())
    found = []
    for logical_id, resource in built.get("Resources", {}).items():
        kind = resource.get("Type")
        if kind not in BUDGETS:
            continue
        props = resource.get("Properties", {})
        uri = props.get("ContentUri" if kind == "AWS::Serverless::LayerVersion" else "CodeUri")
        found.append(Artifact(logical_id, kind, build_dir / str(uri)))
    return found


def _human(size: int) -> str:
    return f"{size / MB:.2f} MB" if size >= MB / 10 else f"{size / 1024:.1f} KB"


def _largest(path: Path, top: int = 4) -> str:
    root = path / "python" if (path / "python").is_dir() else path
    sizes = [
        (tree_size(p) if p.is_dir() else p.lstat().st_size, p.name)
        for p in root.iterdir()
        if not p.name.endswith((".dist-info", ".data"))
    ]
    return ", ".join(f"{name} {_human(size)}" for size, name in sorted(sizes, reverse=True)[:top])


class NoBuild(Exception):
    """Nothing to measure: no python3.13 for `sam build`, or no build where asked."""


def measure(build_dir: Path = BUILD_DIR, build: bool = True) -> list[tuple[Artifact, int]]:
    """`sam build` into build_dir (unless build is False), then every artifact with its size."""
    build_dir = build_dir.resolve()
    if build:
        python313 = find_python313()
        if python313 is None:
            raise NoBuild("No python3.13 found: `sam build` needs one (see README.md).")
        sam_build(build_dir, python313)
    if not (build_dir / "template.yaml").is_file():
        raise NoBuild(f"{build_dir} holds no build: run without --no-build.")
    return [(artifact, artifact.size) for artifact in artifacts(build_dir)]


def print_sizes(build_dir: Path, sizes: list[tuple[Artifact, int]]) -> None:
    width = max(len(a.logical_id) for a, _ in sizes) + 2
    print(f"Package size, unzipped ({build_dir.resolve()}, 1 MB = 1,048,576 bytes)")
    print(f"{'artifact':<{width}}{'size':>12}{'budget':>12}  result")
    for artifact, size in sizes:
        verdict = "ok" if size <= artifact.budget else "OVER"
        budget = _human(artifact.budget)
        print(f"{artifact.logical_id:<{width}}{_human(size):>12}{budget:>12}  {verdict}")
        if artifact.kind == "AWS::Serverless::LayerVersion":
            print(f"{'':<4}largest: {_largest(artifact.path)}")


def bars(sizes: list[tuple[Artifact, int]]) -> list[Bar]:
    """A row per layer, and one for every function together (the largest, and any over)."""
    rows = [
        Bar.check(
            f"package: layer {artifact.logical_id}",
            f"<= {artifact.budget / MB:g} MB unzipped",
            _human(size),
            size <= artifact.budget,
        )
        for artifact, size in sizes
        if artifact.kind == "AWS::Serverless::LayerVersion"
    ]
    functions = [(a, n) for a, n in sizes if a.kind == "AWS::Serverless::Function"]
    if functions:
        over = [f"{a.logical_id} {_human(n)}" for a, n in functions if n > a.budget]
        largest, size = max(functions, key=lambda pair: pair[1])
        measured = f"largest {largest.logical_id} {_human(size)} of {len(functions)}"
        if over:
            measured = f"{len(over)} over: {', '.join(over[:3])}; {measured}"
        budget = BUDGETS["AWS::Serverless::Function"] / MB
        rows.append(
            Bar.check("package: each function", f"<= {budget:g} MB unzipped", measured, not over)
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--build-dir", type=Path, default=BUILD_DIR)
    parser.add_argument("--no-build", action="store_true", help="measure the existing build")
    args = parser.parse_args(argv)
    try:
        sizes = measure(args.build_dir, build=not args.no_build)
    except NoBuild as reason:
        print(reason, file=sys.stderr)
        return 2
    print_sizes(args.build_dir, sizes)
    return 1 if any(bar.verdict == "miss" for bar in bars(sizes)) else 0


if __name__ == "__main__":
    sys.exit(main())
