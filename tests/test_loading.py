"""ex01/loading.py: dependency checks in real environments, the pip/Poetry
comparison, the analysis and its figure, and fetching from a real server."""
import shutil
import signal
import socket
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import pytest

from conftest import ROOT, clean_env, load_script, site_packages, venv_python

loading = load_script("loading")

SUBJECT_HEAD = [
    "LOADING STATUS: Loading programs...",
    "",
    "Checking dependencies:",
]
SUBJECT_TAIL = [
    "Analyzing Matrix data...",
    "Processing 1000 data points...",
    "Generating visualization...",
    "",
    "Analysis complete!",
    "Results saved to: matrix_analysis.png",
]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FAKES = (("pandas", "pandas"), ("requests", "requests"),
         ("matplotlib", "matplotlib"), ("numpy", "numpy"))


def plant(venv: Path, dist: str, module: str, version: str = "9.9.9",
          body: str = "", installer: "str | None" = "pip") -> None:
    """A fake installed package: a module and its dist-info record."""
    site = site_packages(venv)
    (site / module).mkdir(exist_ok=True)
    (site / module / "__init__.py").write_text(body)
    info = site / ("%s-%s.dist-info" % (dist, version))
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: %s\n"
                                   "Version: %s\n" % (dist, version))
    if installer is not None:
        (info / "INSTALLER").write_text(installer + "\n")


def marker_body(marker: Path) -> str:
    """Module code that leaves a marker file when it is imported."""
    return "open(%r, 'a').write(__name__ + '\\n')\n" % str(marker)


def dependency_lines(lines: list[str]) -> list[str]:
    start = lines.index("Checking dependencies:") + 1
    return lines[start:lines.index("", start)]


COLUMNS = ("package", "installed", "requirements.txt", "poetry.lock",
           "installed by", "verdict")


def comparison_rows(lines: list[str]) -> dict[str, list[str]]:
    """The comparison table, cut at its header's column positions."""
    header = lines.index("pip versus Poetry:") + 2
    starts = [lines[header].index(name) for name in COLUMNS] + [None]
    rows = {}
    for line in lines[header + 1:header + 5]:
        cells = [line[a:b].strip() for a, b in zip(starts, starts[1:])]
        rows[cells[0]] = cells[1:]
    return rows


# --- Missing, broken and fake packages -------------------------------------

@pytest.mark.parametrize("cwd, typed, requirements", [
    (".", "ex01/loading.py", "ex01/requirements.txt"),
    ("ex01", "loading.py", "requirements.txt"),
    ("tests", "../ex01/loading.py", "../ex01/requirements.txt"),
])
def test_bare_venv_lists_everything_missing_with_both_routes(
        run_script, bare_venv: Path, cwd: str, typed: str,
        requirements: str) -> None:
    done = run_script(Path(typed), python=venv_python(bare_venv),
                      cwd=ROOT / cwd)
    assert done.returncode == 1 and done.stderr == ""
    assert done.lines[:3] == SUBJECT_HEAD
    assert dependency_lines(done.lines) == [
        "[MISSING] pandas - needed for data manipulation",
        "[MISSING] requests - needed for network access",
        "[MISSING] matplotlib - needed for visualization",
        "[MISSING] numpy - needed for numerical computation",
    ]
    assert "  with pip:    %s -m pip install -r %s" % (
        venv_python(bare_venv), requirements) in done.lines
    assert "  with Poetry: poetry install && poetry run python %s" % typed \
        in done.lines
    assert all(row[-1] == "not installed"
               for row in comparison_rows(done.lines).values())
    assert "Analyzing Matrix data..." not in done.lines


def test_global_interpreter_is_told_to_make_a_venv_first(
        run_script, global_python: Path) -> None:
    done = run_script("loading", python=global_python)
    if done.returncode == 0:
        pytest.skip("the global interpreter has every dependency")
    assert "This environment is run by the global interpreter (no " \
        "virtual environment)." in done.lines
    assert any(line.startswith("  with pip:    python3 -m venv matrix_env")
               for line in done.lines)


def test_one_missing_package_and_nothing_imported(
        run_script, fresh_venv, tmp_path: Path) -> None:
    venv = fresh_venv()
    marker = tmp_path / "imported"
    for dist, module in FAKES:
        if dist != "matplotlib":
            plant(venv, dist, module, body=marker_body(marker))
    done = run_script("loading", python=venv_python(venv))
    assert done.returncode == 1
    assert dependency_lines(done.lines) == [
        "[OK] pandas (9.9.9) - Data manipulation ready",
        "[OK] requests (9.9.9) - Network access ready",
        "[MISSING] matplotlib - needed for visualization",
        "[OK] numpy (9.9.9) - Numerical computation ready",
    ]
    assert not marker.exists(), "a library was imported before the checks"


def test_broken_package_is_reported_cleanly(run_script, fresh_venv,
                                            tmp_path: Path) -> None:
    venv = fresh_venv()
    marker = tmp_path / "imported"
    for dist, module in FAKES:
        body = marker_body(marker)
        if dist == "numpy":
            body += ("raise ImportError('numpy.core.multiarray failed to "
                     "import\\nsecond line')\n")
        plant(venv, dist, module, body=body)
    done = run_script("loading", python=venv_python(venv))
    assert done.returncode == 1
    assert "Traceback" not in done.output
    assert "[BROKEN] numpy (9.9.9) - cannot be imported: ImportError: " \
        "numpy.core.multiarray failed to import" in done.lines
    assert "second line" not in done.output
    assert any("--force-reinstall numpy" in line for line in done.lines)
    # numpy comes first: nothing that depends on it was imported after.
    assert marker.read_text().split() == ["numpy"]


def test_requests_is_imported_only_to_fetch(run_script, fresh_venv,
                                            project_venv: Path,
                                            tmp_path: Path) -> None:
    venv = fresh_venv()
    # The real libraries come from the project's environment (a .pth line
    # comes after the venv's own site-packages); requests is a fake.
    (site_packages(venv) / "project.pth").write_text(
        str(site_packages(project_venv)) + "\n")
    marker = tmp_path / "imported"
    plant(venv, "requests", "requests", body=marker_body(marker) +
          "raise ImportError('a fake requests')\n")
    default = run_script("loading", python=venv_python(venv), cwd=tmp_path,
                         args=("--points", "50"))
    assert default.returncode == 0, default.output
    assert not marker.exists(), "the default run imported requests"
    fetch = run_script("loading", python=venv_python(venv), cwd=tmp_path,
                       args=("--source", "http://127.0.0.1:9/data.csv"))
    assert fetch.returncode == 1
    assert "[BROKEN] requests (9.9.9) - cannot be imported: ImportError: " \
        "a fake requests" in fetch.lines
    assert marker.read_text().split() == ["requests"]


def test_installer_records_are_shown(run_script, fresh_venv) -> None:
    venv = fresh_venv()
    for (dist, module), installer in zip(FAKES, ("pip", "uv", None, "pip")):
        plant(venv, dist, module, installer=installer)
    (site_packages(venv) / "numpy" / "__init__.py").write_text(
        "raise ImportError('stop before the analysis')\n")
    rows = comparison_rows(run_script("loading",
                                      python=venv_python(venv)).lines)
    assert [rows[d][3] for d in ("pandas", "requests", "matplotlib")] == [
        "pip", "uv", "-"]
    assert rows["pandas"][4] == "differs from the lock, differs from " \
        "requirements.txt"


# --- The full environment ---------------------------------------------------

@pytest.fixture(scope="module")
def default_run(run_script, tmp_path_factory: pytest.TempPathFactory):
    cwd = tmp_path_factory.mktemp("default_run")
    return run_script("loading", cwd=cwd), cwd


def test_subject_block_verbatim(default_run, project_venv: Path) -> None:
    done, cwd = default_run
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    from importlib import metadata
    versions = {d: metadata.version(d) for d, _ in FAKES}
    assert done.lines[:3] == SUBJECT_HEAD
    assert dependency_lines(done.lines) == [
        "[OK] pandas (%s) - Data manipulation ready" % versions["pandas"],
        "[OK] requests (%s) - Network access ready" % versions["requests"],
        "[OK] matplotlib (%s) - Visualization ready"
        % versions["matplotlib"],
        "[OK] numpy (%s) - Numerical computation ready" % versions["numpy"],
    ]
    start = done.lines.index("Analyzing Matrix data...")
    assert done.lines[start - 1] == ""
    assert done.lines[start:start + len(SUBJECT_TAIL)] == SUBJECT_TAIL
    assert (cwd / "matrix_analysis.png").read_bytes()[:8] == PNG_SIGNATURE


def test_results_compare_found_with_injected(default_run) -> None:
    done, _ = default_run
    results = done.lines[done.lines.index("Results:"):]
    assert "Points analysed: 1000 (rolling window of 25 points)" in results
    assert "Injected: 5, found: 5, missed: 0, false alarms: 0" in results


def test_poetry_environment_is_recognised(default_run,
                                          project_venv: Path) -> None:
    done, _ = default_run
    rows = comparison_rows(done.lines)
    if not rows["numpy"][3].startswith("Poetry"):
        pytest.skip("the test environment was not installed by Poetry")
    assert done.lines[done.lines.index("pip versus Poetry:") + 1] \
        .startswith("This environment is run by Poetry")
    for dist, _ in FAKES:
        assert rows[dist][4] == "matches", rows[dist]


def test_same_seed_same_picture_other_seed_other_numbers(
        run_script, tmp_path: Path) -> None:
    outputs = []
    for name, seed in (("a.png", "7"), ("b.png", "7"), ("c.png", "8")):
        done = run_script("loading", cwd=tmp_path,
                          args=("--seed", seed, "--output", name))
        assert done.returncode == 0, done.stderr
        assert "Results saved to: %s" % name in done.lines
        outputs.append(done.lines[done.lines.index("Results:"):])
    a, b, c = ((tmp_path / name).read_bytes()
               for name in ("a.png", "b.png", "c.png"))
    assert a == b and a != c
    assert outputs[0] == outputs[1] and outputs[0] != outputs[2]


def test_gui_backend_requests_are_overridden(run_script,
                                             tmp_path: Path) -> None:
    (tmp_path / "matplotlibrc").write_text("backend: TkAgg\n")
    done = run_script("loading", cwd=tmp_path, args=("--points", "200"),
                      env={"MPLBACKEND": "TkAgg", "DISPLAY": ""})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "matrix_analysis.png").read_bytes()[:8] == \
        PNG_SIGNATURE


def test_large_series_is_drawn_as_an_envelope(run_script,
                                              tmp_path: Path) -> None:
    done = run_script("loading", cwd=tmp_path, args=("--points", "100000"))
    assert done.returncode == 0, done.stderr
    assert "Processing 100000 data points..." in done.lines
    assert (tmp_path / "matrix_analysis.png").stat().st_size > 10000


def test_unwritable_output_is_one_line(run_script, tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_text("not a directory")
    for target in ("file.txt/out.png", "missing/dir/out.png"):
        done = run_script("loading", cwd=tmp_path,
                          args=("--points", "50", "--output", target))
        assert done.returncode == 1
        assert done.stderr.splitlines() == [done.stderr.strip()]
        assert done.stderr.startswith("loading.py: cannot write %s: "
                                      % target)


@pytest.mark.parametrize("args", [
    ("--points", "0"), ("--points", "-5"), ("--points", "abc"),
    ("--points", "9"), ("--points", str(10 ** 12)), ("--points", "1e3"),
    ("--seed", "-1"), ("--seed", "x"), ("--frobnicate",), ("--points",),
    ("--output", "out.jpg"), ("--source", "ftp://example.com/data"),
    ("--source", "file:///etc/passwd"),
    ("--source", "http://127.0.0.1/x", "--points", "100"),
])
def test_bad_arguments_exit_2_with_usage(run_script, args) -> None:
    done = run_script("loading", args=args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("usage: loading.py")
    assert "Traceback" not in done.stderr


def test_help(run_script) -> None:
    done = run_script("loading", args=("-h",))
    assert done.returncode == 0 and "--points N" in done.stdout


def test_sigint_exits_130_with_one_line(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "ex01" / "loading.py"), "--points",
         "20000000"], cwd=tmp_path, env=clean_env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("Processing"):
            break
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert stderr.strip() == "loading.py: interrupted"


# --- pip versus Poetry, from the files ---------------------------------------

def copy_project(tmp_path: Path, requirements: "str | None",
                 lock: bool) -> Path:
    (tmp_path / "ex01").mkdir()
    shutil.copy(ROOT / "ex01" / "loading.py", tmp_path / "ex01")
    if requirements is not None:
        (tmp_path / "ex01" / "requirements.txt").write_text(requirements)
    if lock:
        shutil.copy(ROOT / "poetry.lock", tmp_path)
    return tmp_path / "ex01" / "loading.py"


def test_drift_from_a_copied_requirements_file(run_script,
                                               tmp_path: Path) -> None:
    text = (ROOT / "ex01" / "requirements.txt").read_text()
    script = copy_project(tmp_path, text.replace("requests==",
                                                 "requests==1.0.0\n#"),
                          lock=True)
    done = run_script(script, args=("--points", "50"), cwd=tmp_path)
    rows = comparison_rows(done.lines)
    assert rows["requests"][1] == "1.0.0"
    assert rows["requests"][4] == "differs from requirements.txt"
    assert done.returncode == 0


def test_script_copied_alone_says_files_are_missing(run_script,
                                                    tmp_path: Path) -> None:
    script = copy_project(tmp_path, None, lock=False)
    done = run_script(script, args=("--points", "50"), cwd=tmp_path)
    assert done.returncode == 0
    assert all(row[1:3] == ["(no file)", "(no file)"]
               for row in comparison_rows(done.lines).values())
    assert any(line.endswith("requirements.txt not found: no pip pins to "
                             "compare.") for line in done.lines)
    assert any(line.endswith("poetry.lock not found: no Poetry lock to "
                             "compare.") for line in done.lines)


def test_requirements_lines_not_understood_are_shown(run_script,
                                                     tmp_path: Path) -> None:
    script = copy_project(tmp_path, "pandas>=2\nnumpy==2.*\n"
                          "requests==2.0; sys_platform == 'linux'\n",
                          lock=True)
    done = run_script(script, args=("--points", "50"), cwd=tmp_path)
    assert any("line 1 not understood: pandas>=2" in line
               for line in done.lines)
    assert any("line 2 not understood: numpy==2.*" in line
               for line in done.lines)
    rows = comparison_rows(done.lines)
    assert rows["requests"][1] == "? (marker not understood)"


LOCK = '''# comment
[[package]]
name = "numpy"
version = "2.2.6"
description = "x"
optional = false
python-versions = ">=3.10"
groups = ["main"]
markers = "python_version == \\"3.10\\""
files = [
    {file = "numpy-2.2.6.tar.gz", hash = "sha256:0"},
]

[[package]]
name = "numpy"
version = "2.4.6"
markers = "python_version >= \\"3.11\\""

[package.extras]
version = "0.0.0"

[[package]]
name = "Python_Dotenv"
version = "1.2.4"

[metadata]
lock-version = "2.1"
'''


def test_lock_with_two_versions_under_markers() -> None:
    locked = loading.parse_poetry_lock(LOCK)
    assert locked == {"numpy": [("2.2.6", 'python_version == "3.10"'),
                                ("2.4.6", 'python_version >= "3.11"')],
                      "python-dotenv": [("1.2.4", "")]}
    assert loading.pick_version(locked["numpy"], (3, 10)) == "2.2.6"
    assert loading.pick_version(locked["numpy"], (3, 13)) == "2.4.6"
    assert loading.pick_version(locked["numpy"], (3, 9)).startswith("- (")
    assert loading.pick_version(None, (3, 11)) == "-"


@pytest.mark.parametrize("marker, python, expected", [
    ('python_version == "3.10"', (3, 10), True),
    ('python_version >= "3.11"', (3, 10), False),
    ("python_version < '3.12' and python_version >= '3.11'", (3, 11), True),
    ('sys_platform == "win32"', (3, 11), None),
    ('python_version >= "3.11" or python_version < "3"', (3, 11), None),
    ('python_version ~= "3.11"', (3, 11), None),
])
def test_marker_applies(marker: str, python: tuple[int, int],
                        expected: "bool | None") -> None:
    assert loading.marker_applies(marker, python) is expected


@pytest.mark.parametrize("installed, pinned, locked, verdict", [
    ("2.0", "2.0", "2.0", "matches"),
    ("2.0", "2.0", "2.1", "differs from the lock"),
    ("2.0", "1.0", "2.0", "differs from requirements.txt"),
    ("2.0", "-", "-", "not pinned"),
    (None, "2.0", "2.0", "not installed"),
    ("2.0", "(no file)", "2.0", "matches"),
])
def test_verdict(installed, pinned, locked, verdict) -> None:
    assert loading.verdict(installed, pinned, locked) == verdict


@pytest.mark.parametrize("text, version", [
    ("Metadata-Version: 2.1\nName: pandas\nVersion: 3.1.1\n", "3.1.1"),
    ("metadata-version: 2.1\nversion:  1.0.post1 \n\nVersion: 9\n",
     "1.0.post1"),
    ("Name: x\n\nVersion: 9.9\n", None),    # in the description, not a field
    ("Name: x\nVersion:\n", None),
    ("", None),
])
def test_metadata_version(text: str, version: "str | None") -> None:
    assert loading.metadata_version(text) == version


@pytest.mark.parametrize("dist", [dist for dist, _ in FAKES])
def test_metadata_version_agrees_with_importlib_metadata(dist: str) -> None:
    distribution = metadata.distribution(dist)
    assert loading.metadata_version(
        distribution.read_text("METADATA") or "") == distribution.version


# --- Fetching with requests from a real loopback server -------------------

def fetch(run_script, url: str, cwd: Path):
    return run_script("loading", args=("--source", url), cwd=cwd)


def test_csv_with_a_header(run_script, http_server, tmp_path: Path) -> None:
    rows = "\n".join("%d,%s,%.3f" % (i, "abc"[i % 3], (i % 17) * 0.5)
                     for i in range(300))
    url = http_server.serve("/data.csv", "label,name,value\n" + rows)
    done = fetch(run_script, url, tmp_path)
    assert done.returncode == 1
    assert "expected one numeric column, found 2 (label, value)" \
        in done.stderr
    url = http_server.serve("/one.csv", "name,value\n" + "\n".join(
        "%s,%d" % ("abc"[i % 3], i % 11) for i in range(300)))
    done = fetch(run_script, url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Received: CSV, 300 values from column 'value'" in done.lines
    assert "Processing 300 data points..." in done.lines
    assert not any(line.startswith("Injected") for line in done.lines)


def test_csv_without_a_header(run_script, http_server,
                              tmp_path: Path) -> None:
    url = http_server.serve("/bare.csv", "\n".join(str(i % 7 - 3.5)
                                                   for i in range(100)))
    done = fetch(run_script, url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Processing 100 data points..." in done.lines


@pytest.mark.parametrize("body, count", [
    ("[" + ", ".join(str(i % 13) for i in range(120)) + "]", 120),
    ("[" + ", ".join('{"t": "x%d", "v": %d}' % (i, i % 5)
                     for i in range(80)) + "]", 80),
])
def test_json_arrays(run_script, http_server, tmp_path: Path, body: str,
                     count: int) -> None:
    url = http_server.serve("/data%d.json" % count, body,
                            content_type="application/json")
    done = fetch(run_script, url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Processing %d data points..." % count in done.lines


@pytest.mark.parametrize("path, kwargs, message", [
    ("/missing", None, "the server answered HTTP 404 Not Found"),
    ("/empty", {"body": ""}, "the body is empty"),
    ("/garbage", {"body": "hello\nworld\nthis is not data\n"},
     "expected one numeric column, found 0"),
    ("/binary", {"body": b"\xff\xfe\x00garbage" * 10},
     "the body is not UTF-8 text"),
    ("/few", {"body": "1\n2\n3\n"}, "found 3 numbers; the analysis needs"),
    ("/liar", {"body": "1\n", "length": 64 * 1024 * 1024},
     "over the 16 MiB limit"),
    ("/endless", {"endless": True}, "the body is over the 16 MiB limit"),
    ("/error", {"body": "boom", "status": 500},
     "the server answered HTTP 500"),
])
def test_fetch_failures_are_one_line(run_script, http_server, tmp_path: Path,
                                     path: str, kwargs, message: str) -> None:
    url = http_server.serve(path, **kwargs) if kwargs else \
        http_server.url(path)
    done = fetch(run_script, url, tmp_path)
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1
    assert message in done.stderr
    assert done.stderr.startswith("loading.py: cannot use %s: " % url)
    assert not (tmp_path / "matrix_analysis.png").exists()
    assert "Analyzing Matrix data..." not in done.lines


def test_connection_refused(run_script, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = fetch(run_script, "http://127.0.0.1:%d/data" % port, tmp_path)
    assert done.returncode == 1
    assert "cannot connect" in done.stderr


def test_read_timeout(http_server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "FETCH_TIMEOUT", (2.0, 0.3))
    url = http_server.serve("/slow", "1\n2\n", delay=1.5)
    assert loading.fetch_text(url) == (None,
                                       "no data for 0.3 s (read timeout)")


def test_credentials_in_the_url_are_masked(run_script, http_server,
                                           tmp_path: Path) -> None:
    http_server.serve("/secret.csv", "\n".join(str(i % 9)
                                               for i in range(50)))
    secret, token = "Zq8pW3nY6tKc", "t0k3nV4lu3xyz"
    url = http_server.url("/secret.csv?api_token=%s&n=1" % token,
                          userinfo="neo:" + secret)
    done = fetch(run_script, url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Data source: http://neo:***@127.0.0.1:%d/secret.csv?" \
        "api_token=***&n=1" % http_server.port in done.lines
    missing = http_server.url("/nothing?token=" + token, userinfo=secret)
    failed = fetch(run_script, missing, tmp_path)
    for leaked in (secret, token):
        assert leaked not in done.output and leaked not in failed.output


@pytest.mark.parametrize("url, shown", [
    ("https://example.com/a", "https://example.com/a"),
    ("https://u:p@h/x", "https://u:***@h/x"),
    ("https://tok@h", "https://***@h"),
    ("https://u:p@s/s@h:1/x?a=1&key=2#f",
     "https://u:***@h:1/x?a=1&key=***#f"),
    ("http://h/p?api_token=abc&n=1", "http://h/p?api_token=***&n=1"),
])
def test_mask_url(url: str, shown: str) -> None:
    assert loading.mask_url(url) == shown
