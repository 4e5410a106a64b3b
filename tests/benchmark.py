"""Speed and memory of the three scripts, as whole processes, against
the tools a user would otherwise run and against baselines, measured in the
same run on the same interpreter.

    poetry run python tests/benchmark.py [--runs N] [--quick] [--check]
                                         [--oracle | --secrets]

Each comparison alternates the other command and the script (paired runs)
after a warm-up, with PYTHONDONTWRITEBYTECODE unset so that imports use
their cached bytecode as they do on a user's machine, and reports medians
and their ratio. Peak memory is each process's own maximum resident set
size (wait4).

The targets (a PASS or MISS line each; the last line counts them):
- against the tools a user would run instead, side by side: construct.py
  against ``poetry env info`` (``python -m site``, which only lists
  sys.path, as a figure); loading.py's
  dependency report (a venv with pip and nothing else) against ``python -m
  pip check`` and ``pip list`` there; oracle.py against ``pip list`` and
  ``detect-secrets scan --all-files`` of the same folder, and its scan of
  an ex02/ of 1000 files against detect-secrets on the same files: each at
  most half the other's time;
- main()'s own work, by callgrind's instruction counts (deterministic,
  unlike wall time): a run, minus a copy of the script that never calls
  main() (what compiling and defining cost: a script run by path is
  compiled from source on every run), minus what the baseline imports
  beyond ``python -c pass`` (dotenv, importlib.metadata): at most 10% of
  the baseline's count for construct.py and loading.py, 15% for oracle.py,
  whose scan reads its own source. Skipped without valgrind;
- loading.py's default run within 1.25x the time (1.2x the memory) of
  importing numpy, pandas and matplotlib; 10 million points within 10 s
  and 1.5 GiB; drawing as fast at 10M points as at 100k;
- oracle.py's secret scan beside detect-secrets (when installed): what
  each finds in the corpus of tests/secret_corpus.py, and how many alarms
  each raises per 1000 files of trees that hold no secret (this
  environment's installed packages, Debian's and /etc, copied in batches
  under the scan's limits; a few minutes, most of them detect-secrets').

Figures without a target: each script against ``python -c pass``,
``import dotenv`` or the importlib floor, and each script's tokens and what
a copy that never calls main() adds to ``python -c pass``.

It reports; with --check it also exits 1 when a target is missed.
--oracle measures oracle.py's run and the corpus only; --secrets the
secret scan only.
"""
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tokenize
from pathlib import Path
from typing import Any, Callable, Optional

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ENV = {k: v for k, v in os.environ.items()
       if k not in ("PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV", "PYTHONPATH")
       and not k.startswith(("MATRIX_", "MPL"))}
# Secret-free trees the scan's precision is measured on (besides this
# environment's installed packages), where present.
PRECISION_TREES = ("/usr/lib/python3/dist-packages", "/etc")
FILES_PER_TREE = 10000               # all of them, here
MAX_FILE_BYTES = 2 * 1024 * 1024     # oracle.py's MAX_SCANNED
BATCH_FILES = 1000                   # oracle.py's MAX_SCANNED_FILES
BATCH_BYTES = 16 * 1024 * 1024       # oracle.py's MAX_SCANNED_TOTAL
HEAVY_IMPORTS = ("import numpy, pandas, matplotlib; matplotlib.use('Agg'); "
                 "import matplotlib.pyplot")


def measure(argv: list[str], cwd: Path) -> tuple[float, int]:
    """(wall seconds, peak RSS in KiB) of one run, which must succeed.

    Linux carries a process's peak RSS over execve, so a child's is at
    least this process's at the fork: the memory targets are measured
    before this process imports anything large (drawing() comes last)."""
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
            runs: int, time_target: Optional[float],
            memory_target: Optional[float] = None) -> bool:
    """One script against another command; with no time target, a figure
    only (reported, always passing)."""
    (base_t, base_rss), (script_t, script_rss) = paired_medians(
        [baseline, script], cwd, runs)
    ratio = script_t / base_t
    if time_target is None:
        print("     %-34s %8.1f ms vs %8.1f ms  x%.3f (a figure)" % (
            name, script_t * 1000, base_t * 1000, ratio), flush=True)
        return True
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


def source_tokens(source: str) -> int:
    """The tokens the parser reads (comments and line breaks aside)."""
    skipped = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE,
               tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    return sum(1 for token in tokenize.generate_tokens(
        io.StringIO(source).readline) if token.type not in skipped)


def print_compile_split(base: Path, runs: int) -> None:
    """Not a target: how much of each script's run is compiling it, from
    a copy that compiles and defines everything but never calls main()
    (a script run by path, unlike an imported module, is compiled from
    source on every run). Each copy runs in a folder of its own that
    holds nothing else, so oracle.py's copy and loading.py's read no
    other file; loading.py's copy still imports importlib at its top."""
    for folder, name in (("ex0", "construct"), ("ex02", "oracle"),
                         ("ex01", "loading")):
        source = (ROOT / folder / (name + ".py")).read_text(encoding="utf-8")
        copy = base / ("%s_without_main.py" % name)
        copy.write_text(source.replace('if __name__ == "__main__":',
                                       "if False:"), encoding="utf-8")
        (empty, _), (compiled, _) = paired_medians(
            [[PYTHON, "-c", "pass"], [PYTHON, str(copy)]], base, runs)
        print("     %s.py: %d tokens; a copy that never calls main() takes"
              " %.2f ms more than python -c pass" % (
                  name, source_tokens(source), (compiled - empty) * 1000),
              flush=True)


def drawing_seconds(points: int) -> float:
    """Median time of loading.py's draw() alone (figure and PNG)."""
    loading: Any = load_script("loading")
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
    """A venv without pip and nothing else (made once)."""
    if not (base / "bare").exists():
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


def secret_corpus_figures() -> bool:
    """oracle.py's scan and detect-secrets (when installed) on the corpus
    of tests/secret_corpus.py, side by side; the target: at least 95% of
    the planted secrets found, no look-alike flagged."""
    import secret_corpus
    oracle = load_script("oracle")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        planted, _ = secret_corpus.write_corpus(folder)
        found = {"oracle.py": secret_corpus.oracle_lines(oracle, folder)}
        try:
            found["detect-secrets"] = secret_corpus.detect_secrets_lines(
                folder)
        except ImportError:
            print("     detect-secrets is not installed: not compared")
    ours = found["oracle.py"]
    ok = len(ours & planted) >= 0.95 * len(planted) and not ours - planted
    for tool, lines in found.items():
        verdict = "    "
        if tool == "oracle.py":
            verdict = "PASS" if ok else "MISS"
        print("%s secret corpus, %-15s found %2d of %d planted (%.0f%%), "
              "missed %2d, look-alikes flagged %d" % (
                  verdict, tool + ":", len(lines & planted), len(planted),
                  100 * len(lines & planted) / len(planted),
                  len(planted - lines), len(lines - planted)), flush=True)
    return ok


def secret_free_trees() -> list[Path]:
    """Trees of files nobody here wrote and that hold no secret: this
    environment's installed packages, and where present Debian's and
    /etc."""
    import sysconfig
    trees = [Path(sysconfig.get_paths()["purelib"])]
    trees += [Path(tree) for tree in PRECISION_TREES if Path(tree).is_dir()]
    return trees


def text_files(tree: Path, limit: int) -> list[Path]:
    """Up to ``limit`` regular text files of tree (UTF-8, no NUL, within
    the scan's size limit), evenly spread over its sorted list, links not
    followed."""
    found = []
    for folder, dirs, names in os.walk(tree):
        dirs.sort()
        found += [Path(folder) / name for name in sorted(names)]
    texts = []
    for path in found:
        try:
            if path.is_symlink() or not path.is_file() \
                    or path.stat().st_size > MAX_FILE_BYTES:
                continue
            data = path.read_bytes()
            data.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if b"\0" not in data:
            texts.append(path)
    step = max(1, len(texts) // limit)
    return texts[::step][:limit]


def batches(files: list[Path], base: Path) -> list[Path]:
    """The files copied into folders of at most 1000 files and 16 MB (the
    scan's limits for ex02/), each named by its number and its own
    name."""
    folders: list[Path] = []
    size = BATCH_BYTES
    for number, path in enumerate(files):
        data = path.read_bytes()
        if number % BATCH_FILES == 0 or size + len(data) > BATCH_BYTES:
            folders.append(base / ("batch%03d" % len(folders)))
            folders[-1].mkdir()
            size = 0
        (folders[-1] / ("%05d_%s" % (number, path.name))).write_bytes(data)
        size += len(data)
    return folders


def detect_secrets_alarms(folder: Path) -> int:
    """The (file, line) pairs ``detect-secrets scan --all-files`` reports
    in folder (every file, not only those git tracks)."""
    tool = Path(PYTHON).parent / "detect-secrets"
    done = subprocess.run([str(tool), "scan", "--all-files"], cwd=folder,
                          capture_output=True, text=True, check=True)
    results = json.loads(done.stdout)["results"]
    return len({(name, secret["line_number"])
                for name, secrets in results.items() for secret in secrets})


def precision_figures() -> bool:
    """Alarms per 1000 files on trees that hold no secret, oracle.py's
    scan and ``detect-secrets scan --all-files`` side by side on the same
    files; the target: at most 2 (one per 500 files) and fewer than
    detect-secrets."""
    oracle: Any = load_script("oracle")
    have_tool = (Path(PYTHON).parent / "detect-secrets").exists()
    total = [0, 0, 0]                       # files, ours, theirs
    for tree in secret_free_trees():
        files = text_files(tree, FILES_PER_TREE)
        ours = theirs = 0
        with tempfile.TemporaryDirectory() as tmp:
            for folder in batches(files, Path(tmp)):
                ours += len(oracle.scan_for_secrets(str(folder), [],
                                                    []).findings)
                theirs += detect_secrets_alarms(folder) if have_tool else 0
        print_alarms(str(tree), len(files), ours, theirs, have_tool)
        total = [total[0] + len(files), total[1] + ours, total[2] + theirs]
    ok = total[1] * 1000 <= 2 * total[0] and (
        not have_tool or total[1] < total[2])
    print_alarms("all trees (target <= 2 per 1000, fewer)", total[0],
                 total[1], total[2], have_tool, "PASS" if ok else "MISS")
    return ok


def print_alarms(label: str, files: int, ours: int, theirs: int,
                 have_tool: bool, verdict: str = "    ") -> None:
    line = "%s %-44s %5d files: oracle.py %3d alarms (%.2f per 1000)" % (
        verdict, label[-44:], files, ours, 1000 * ours / max(files, 1))
    if have_tool:
        line += ", detect-secrets %3d (%.2f per 1000)" % (
            theirs, 1000 * theirs / max(files, 1))
    print(line, flush=True)


def scan_of_many_files(base: Path, runs: int) -> bool:
    """oracle.py run in an ex02/ that holds 1000 ordinary files (pieces of
    this project's sources and README, 100 lines each, in turn) against
    the usual ex02/."""
    pieces = []
    for source in sorted(ROOT.glob("*/*.py")) + [ROOT / "README.md"]:
        lines = source.read_text(encoding="utf-8").splitlines(True)
        pieces += [(source.name, "".join(lines[start:start + 100]))
                   for start in range(0, len(lines), 100)]
    busy = base / "busy" / "ex02"
    busy.mkdir(parents=True)
    for name in ("oracle.py", ".env.example", ".gitignore"):
        shutil.copy(ROOT / "ex02" / name, busy / name)
    shutil.copy(ROOT / "ex02" / ".env.example", busy / ".env")
    size = 0
    for number in range(1000 - 2):      # with .env.example and oracle.py
        name, text = pieces[number % len(pieces)]
        (busy / ("%04d_%s" % (number, name))).write_text(text,
                                                         encoding="utf-8")
        size += len(text.encode())
    (usual, _), (many, _) = paired_medians(
        [[PYTHON, str(base / "ex02" / "oracle.py")],
         [PYTHON, str(busy / "oracle.py")]], base, runs)
    ok = many - usual < 1.0
    print("%s oracle.py, ex02/ of 1000 files     %8.1f ms vs %8.1f ms: the "
          "scan of %.1f MB more adds %.0f ms (target < 1 s)" % (
              "PASS" if ok else "MISS", many * 1000, usual * 1000,
              size / 1e6, (many - usual) * 1000), flush=True)
    detect_secrets = Path(PYTHON).parent / "detect-secrets"
    if detect_secrets.exists():
        ok = compare("ex02/ of 1000 files vs detect-secrets",
                     [str(detect_secrets), "scan", "--all-files", "ex02"],
                     [PYTHON, str(busy / "oracle.py")], busy.parent,
                     max(3, runs // 3), PEER_TARGET) and ok
    return ok


# Against the tools a user would otherwise run: at most half their time.
PEER_TARGET = 0.5
# main()'s own instructions, as a share of the baseline's count.
MAIN_WORK_TARGETS = {"construct": 0.10, "loading": 0.10, "oracle": 0.15}


def pip_venv(base: Path) -> Path:
    """A venv with pip and nothing else: loading.py reports its missing
    dependencies there, and pip check and pip list answer there."""
    folder = base / "with_pip"
    if not folder.exists():
        subprocess.run([sys.executable, "-m", "venv", str(folder)],
                       check=True)
    return folder / "bin" / "python"


def peers(base: Path, runs: int) -> list[bool]:
    """Each script against the tools a user would run instead."""
    construct = [PYTHON, str(ROOT / "ex0" / "construct.py")]
    results = []
    poetry = shutil.which("poetry")
    if poetry:
        results.append(compare("construct.py vs poetry env info",
                               [poetry, "env", "info"], construct, ROOT,
                               runs, PEER_TARGET))
    # python -m site only lists sys.path and the user site: a figure.
    compare("construct.py vs python -m site", [PYTHON, "-m", "site"],
            construct, ROOT, runs, None)
    python = str(pip_venv(base))
    loading = [python, str(ROOT / "ex01" / "loading.py")]
    for name, tool in (("pip check", [python, "-m", "pip", "check"]),
                       ("pip list", [python, "-m", "pip", "list"])):
        results.append(compare("loading.py missing vs " + name, tool,
                               loading, base, runs, PEER_TARGET))
    oracle = [PYTHON, str(base / "ex02" / "oracle.py")]
    results.append(compare("oracle.py vs pip list",
                           [PYTHON, "-m", "pip", "list"], oracle, base,
                           runs, PEER_TARGET))
    detect_secrets = Path(PYTHON).parent / "detect-secrets"
    if detect_secrets.exists():
        results.append(compare(
            "oracle.py vs detect-secrets of ex02/",
            [str(detect_secrets), "scan", "--all-files", "ex02"], oracle,
            base, runs, PEER_TARGET))
    return results


def instructions(argv: list[str], cwd: Path) -> int:
    """callgrind's count of instructions for one run (after a run that
    writes any bytecode cache, so that both read the same files)."""
    subprocess.run(argv, cwd=cwd, env=ENV, capture_output=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(["valgrind", "--tool=callgrind",
                        "--callgrind-out-file=%s" % out, *argv], cwd=cwd,
                       env=ENV, capture_output=True)
        for line in out.read_text().splitlines():
            if line.startswith("summary:"):
                return int(line.split()[1])
    raise RuntimeError("callgrind gave no count for %s" % argv)


def without_main(script: Path, folder: Path) -> Path:
    """A copy of script that compiles and defines everything but never
    calls main(), alone in a folder of its own."""
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / script.name
    copy.write_text(script.read_text(encoding="utf-8").replace(
        'if __name__ == "__main__":', "if False:"), encoding="utf-8")
    return copy


def main_work(base: Path) -> list[bool]:
    """main()'s own instructions: a run, less the copy that never calls
    main(), less what the baseline imports beyond python -c pass."""
    if shutil.which("valgrind") is None:
        print("     valgrind is not installed: main()'s work not measured")
        return []
    bare = str(bare_venv(base))
    cases = [
        ("construct", PYTHON, ROOT / "ex0" / "construct.py", ROOT, "pass"),
        ("oracle", PYTHON, base / "ex02" / "oracle.py", base,
         "import dotenv"),
        ("loading", bare, ROOT / "ex01" / "loading.py", base,
         "import importlib.util, importlib.metadata"),
    ]
    results = []
    for name, interpreter, script, cwd, baseline in cases:
        empty = instructions([interpreter, "-c", "pass"], cwd)
        floor = instructions([interpreter, "-c", baseline], cwd)
        run = instructions([interpreter, str(script)], cwd)
        copy = without_main(script, base / ("%s_without_main" % name))
        compiled = instructions([interpreter, str(copy)], copy.parent)
        own = run - compiled - (floor - empty)
        share = own / floor
        ok = share <= MAIN_WORK_TARGETS[name]
        print("%s %-34s %6.1f M instructions: run %.1f M, without main() "
              "%.1f M, baseline %.1f M (python -c pass %.1f M): %.1f%% of "
              "the baseline (target <= %.0f%%)" % (
                  "PASS" if ok else "MISS", name + ".py main()'s own work",
                  own / 1e6, run / 1e6, compiled / 1e6, floor / 1e6,
                  empty / 1e6, 100 * share, 100 * MAIN_WORK_TARGETS[name]),
              flush=True)
        results.append(ok)
    return results


def load_script(name: str) -> object:
    """A script imported by path, as a module."""
    import importlib.util
    folder = {"oracle": "ex02", "loading": "ex01"}[name]
    spec = importlib.util.spec_from_file_location(
        name, ROOT / folder / (name + ".py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> int:
    runs = 9 if "--quick" in argv else 25
    if "--runs" in argv:
        runs = int(argv[argv.index("--runs") + 1])
    print("Python %s at %s; %d paired runs each, medians\n"
          % (sys.version.split()[0], PYTHON, runs), flush=True)
    results: list[bool] = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        oracle = [PYTHON, str(oracle_copy(base))]
        bare = str(bare_venv(base))
        figures: list[Callable[[], bool]] = [
            lambda: compare("construct.py vs python -c pass",
                            [PYTHON, "-c", "pass"],
                            [PYTHON, str(ROOT / "ex0" / "construct.py")],
                            base, runs, None),
            lambda: compare("oracle.py vs import dotenv",
                            [PYTHON, "-c", "import dotenv"], oracle,
                            base, runs, None),
            lambda: compare("loading.py missing path (bare venv)",
                            [bare, "-c",
                             "import importlib.util, importlib.metadata"],
                            [bare, str(ROOT / "ex01" / "loading.py")],
                            base, runs, None),
        ]
        checks: list[Callable[[], list[bool]]] = [
            lambda: peers(base, max(3, runs // 3)),
            lambda: main_work(base),
            lambda: [scan_of_many_files(base, max(3, runs // 5))],
            lambda: [compare("loading.py default run",
                             [PYTHON, "-c", HEAVY_IMPORTS],
                             [PYTHON, str(ROOT / "ex01" / "loading.py")],
                             base, runs, 1.25, memory_target=1.20)],
            lambda: [scale()],
            lambda: [drawing()],
        ]
        if "--oracle" in argv:
            checks, figures = checks[2:3], figures[1:2]
        if "--secrets" in argv:
            checks, figures = [], []
        for check in checks:
            results += check()
        for figure in figures:
            figure()
        if "--oracle" not in argv and "--secrets" not in argv:
            print_compile_split(base, runs)
    results.append(secret_corpus_figures())
    if "--oracle" not in argv:
        results.append(precision_figures())
    print("\n%d of %d targets met" % (sum(results), len(results)))
    return 1 if "--check" in argv and not all(results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
