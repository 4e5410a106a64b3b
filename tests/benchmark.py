"""Speed and memory of the three scripts, as whole processes, against
baselines measured in the same run on the same interpreter.

    poetry run python tests/benchmark.py [--runs N] [--quick] [--check]

Each comparison alternates baseline and script (paired runs) after a
warm-up, with PYTHONDONTWRITEBYTECODE unset so that imports use their
cached bytecode as they do on a user's machine, and reports medians and
their ratio. Peak memory is each process's own maximum resident set size
(wait4). Last, not a target: how much of construct.py's run is compiling
its source. Each PASS or MISS line is one target; the last line counts
them. It reports; with --check it also exits 1 when a target is missed.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ENV = {k: v for k, v in os.environ.items()
       if k not in ("PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV", "PYTHONPATH")
       and not k.startswith(("MATRIX_", "MPL"))}
HEAVY_IMPORTS = ("import numpy, pandas, matplotlib; matplotlib.use('Agg'); "
                 "import matplotlib.pyplot")


def measure(argv: list[str], cwd: Path) -> tuple[float, int]:
    """(wall seconds, peak RSS in KiB) of one run, which must succeed."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, env=ENV,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss


def paired_medians(argvs: list[list[str]], cwd: Path,
                   runs: int) -> list[tuple[float, float]]:
    """(median seconds, median peak RSS in KiB) of each command, run in
    turn ``runs`` times after a warm-up."""
    for _ in range(3):                               # warm-up
        for argv in argvs:
            measure(argv, cwd)
    samples: list[list[tuple[float, int]]] = [[] for _ in argvs]
    for _ in range(runs):
        for argv, taken in zip(argvs, samples):
            taken.append(measure(argv, cwd))
    return [(statistics.median(t for t, _ in taken),
             statistics.median(rss for _, rss in taken))
            for taken in samples]


def compare(name: str, baseline: list[str], script: list[str], cwd: Path,
            runs: int, time_target: float,
            memory_target: Optional[float] = None) -> bool:
    (base_t, base_rss), (script_t, script_rss) = paired_medians(
        [baseline, script], cwd, runs)
    ratio = script_t / base_t
    ok = ratio <= time_target
    line = "%-34s %8.1f ms vs %8.1f ms  x%.3f (target <= %.2f)" % (
        name, script_t * 1000, base_t * 1000, ratio, time_target)
    if memory_target is not None:
        memory = script_rss / base_rss
        ok = ok and memory <= memory_target
        line += "; memory %.0f vs %.0f MiB x%.3f (target <= %.2f)" % (
            script_rss / 1024, base_rss / 1024, memory, memory_target)
    print(("PASS " if ok else "MISS ") + line, flush=True)
    return ok


def print_construct_split(base: Path, runs: int) -> None:
    """Not a target: how much of construct.py's run is compiling it, from
    a copy that compiles and defines everything but never calls main()
    (a script run by path, unlike an imported module, is compiled from
    source on every run)."""
    source = (ROOT / "ex0" / "construct.py").read_text(encoding="utf-8")
    copy = base / "construct_without_main.py"
    copy.write_text(source.replace('if __name__ == "__main__":',
                                   "if False:"), encoding="utf-8")
    (empty, _), (compiled, _), (whole, _) = paired_medians(
        [[PYTHON, "-c", "pass"], [PYTHON, str(copy)],
         [PYTHON, str(ROOT / "ex0" / "construct.py")]], base, runs)
    print("     construct.py takes %.2f ms more than python -c pass; a copy"
          " that never calls main() takes %.2f ms more" % (
              (whole - empty) * 1000, (compiled - empty) * 1000), flush=True)


def drawing_seconds(points: int) -> float:
    """Median time of loading.py's draw() alone (figure and PNG)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("loading",
                                                  ROOT / "ex01" / "loading.py")
    assert spec is not None and spec.loader is not None
    loading = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loading)
    values, injected = loading.simulate(points, 1999)
    data = loading.Data(values)
    data.injected = injected
    analysis, figure = loading.analyse(data)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        loading.draw(analysis, figure, "bench")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def scale() -> bool:
    """10 million points: total time and memory."""
    with tempfile.TemporaryDirectory() as tmp:
        argv = [PYTHON, str(ROOT / "ex01" / "loading.py"), "--points",
                "10000000"]
        elapsed, peak = measure(argv, Path(tmp))
    ok = elapsed < 10 and peak < 1.5 * 1024 * 1024
    print("%s loading.py --points 10000000      %8.2f s (target < 10 s); "
          "peak memory %.0f MiB (target < 1536)" % (
              "PASS" if ok else "MISS", elapsed, peak / 1024), flush=True)
    return ok


def drawing() -> bool:
    """The drawing's cost does not grow with the points."""
    small, large = drawing_seconds(100_000), drawing_seconds(10_000_000)
    # Equal work up to noise: allow 10% (a few tens of milliseconds).
    ok = large <= small * 1.10
    print("%s drawing at 10M vs 100k points   %8.1f ms vs %8.1f ms  x%.2f "
          "(target: no larger)" % ("PASS" if ok else "MISS",
                                   large * 1000, small * 1000, large / small),
          flush=True)
    return ok


def bare_venv(base: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip",
                    str(base / "bare")], check=True)
    return base / "bare" / "bin" / "python"


def oracle_copy(base: Path) -> Path:
    """ex02/ with .env copied from the example, in a git repository as a
    learner's is (oracle.py then asks git whether .env is ignored)."""
    (base / "ex02").mkdir()
    for name in ("oracle.py", ".env.example", ".gitignore"):
        shutil.copy(ROOT / "ex02" / name, base / "ex02" / name)
    shutil.copy(ROOT / "ex02" / ".env.example", base / "ex02" / ".env")
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(base)], check=True)
    return base / "ex02" / "oracle.py"


def main(argv: list[str]) -> int:
    runs = 9 if "--quick" in argv else 25
    if "--runs" in argv:
        runs = int(argv[argv.index("--runs") + 1])
    print("Python %s at %s; %d paired runs each, medians\n"
          % (sys.version.split()[0], PYTHON, runs), flush=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        checks: list[Callable[[], bool]] = [
            lambda: compare("construct.py vs python -c pass",
                            [PYTHON, "-c", "pass"],
                            [PYTHON, str(ROOT / "ex0" / "construct.py")],
                            base, runs * 2, 1.30),
            lambda: compare("construct.py vs python -m site",
                            [PYTHON, "-m", "site"],
                            [PYTHON, str(ROOT / "ex0" / "construct.py")],
                            base, runs * 2, 1.10),
            lambda: compare("oracle.py vs import dotenv",
                            [PYTHON, "-c", "import dotenv"],
                            [PYTHON, str(oracle_copy(base))],
                            base, runs * 2, 1.25),
            lambda: compare("loading.py missing path (bare venv)",
                            [str(bare_venv(base)), "-c",
                             "import importlib.util, importlib.metadata"],
                            [str(base / "bare" / "bin" / "python"),
                             str(ROOT / "ex01" / "loading.py")],
                            base, runs * 2, 1.35),
            lambda: compare("loading.py default run",
                            [PYTHON, "-c", HEAVY_IMPORTS],
                            [PYTHON, str(ROOT / "ex01" / "loading.py")],
                            base, runs, 1.25, memory_target=1.20),
            scale,
            drawing,
        ]
        for check in checks:
            results.append(check())
        print_construct_split(base, runs * 2)
    print("\n%d of %d targets met" % (sum(results), len(results)))
    return 1 if "--check" in argv and not all(results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
