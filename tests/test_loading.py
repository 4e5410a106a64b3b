"""ex01/loading.py: dependency checks in real environments, the pip/Poetry
comparison, the analysis and its figure, and fetching from a real server."""
import contextlib
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import (budget, canary, clean_env, clean_global_python,
                      interruptible, leaks, load_script, Result, ROOT, run,
                      section,
                      site_packages, supported_pythons, venv_python)

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
    return section(lines, "Checking dependencies:")[1:]


COLUMNS = ("package", "installed", "requirements.txt", "poetry.lock",
           "installed by", "verdict")


def comparison_rows(lines: list[str]) -> dict[str, list[str]]:
    """The comparison table, cut at its header's column positions."""
    header = next(i for i, line in enumerate(lines)
                  if line.startswith("package "))
    starts = [lines[header].index(name) for name in COLUMNS] + [None]
    rows = {}
    for line in lines[header + 1:header + 5]:
        cells = [line[a:b].strip() for a, b in zip(starts, starts[1:])]
        rows[cells[0]] = cells[1:]
    return rows


def install_commands(lines: list[str]) -> dict[str, str]:
    """{'pip': command, 'Poetry': command} from the install section."""
    found = section(lines, "Install the missing packages, then run this "
                           "program again:")[1:]
    return {line.split(":")[0].split()[-1]: line.split(": ", 1)[1].strip()
            for line in found}


def project_site(project_venv: Path) -> Path:
    return site_packages(project_venv)


def partial_site(tmp_path: Path, project_venv: Path) -> Path:
    """A directory that mirrors the project venv's site-packages without
    requests and pip: a .pth line pointing at it gives a venv every
    package but requests, without installing anything."""
    mirror = tmp_path / "site-without-requests"
    mirror.mkdir()
    for entry in project_site(project_venv).iterdir():
        name = entry.name.lower()
        if name in ("requests", "pip") or entry.suffix == ".pth" \
                or name.startswith(("requests-", "pip-")):
            continue
        (mirror / entry.name).symlink_to(entry)
    return mirror


# --- Missing, broken and fake packages -------------------------------------

@pytest.mark.parametrize("cwd, typed, requirements, poetry", [
    (".", "ex01/loading.py", "ex01/requirements.txt",
     "poetry install && poetry run python ex01/loading.py"),
    ("ex01", "loading.py", "requirements.txt",
     "poetry install && poetry run python loading.py"),
    ("tests", "../ex01/loading.py", "../ex01/requirements.txt",
     "poetry -P .. install && poetry -P .. run python ../ex01/loading.py"),
])
def test_bare_venv_lists_everything_missing_with_both_routes(
        run_script, bare_venv: Path, cwd: str, typed: str,
        requirements: str, poetry: str) -> None:
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
    python = venv_python(bare_venv)
    # A venv made --without-pip has no pip: ensurepip first.
    assert install_commands(done.lines) == {
        "pip": "%s -m ensurepip && %s -m pip install -r %s"
               % (python, python, requirements),
        "Poetry": poetry}
    assert all(row[-1] == "not installed"
               for row in comparison_rows(done.lines).values())
    assert "Analyzing Matrix data..." not in done.lines


def test_global_interpreter_is_told_to_make_a_venv_first(run_script) -> None:
    python = clean_global_python("numpy")
    done = run_script(Path("ex01/loading.py"), python=python)
    assert done.returncode == 1
    assert "This environment is run by the global interpreter (no " \
        "virtual environment)." in done.lines
    # The interpreter that ran, by its real path: "python3" may be another.
    real = subprocess.run([str(python), "-c", "import sys; print("
                           "sys.executable)"], capture_output=True,
                          text=True).stdout.strip()
    assert install_commands(done.lines)["pip"] == \
        "%s -m venv matrix_env && matrix_env/bin/python -m pip install -r " \
        "ex01/requirements.txt && matrix_env/bin/python ex01/loading.py" \
        % real


def test_uv_venv_is_told_to_use_uv(run_script, fresh_venv) -> None:
    venv = fresh_venv("uv_env")
    cfg = venv / "pyvenv.cfg"
    cfg.write_text(cfg.read_text() + "uv = 0.5.1\n")
    done = run_script(Path("ex01/loading.py"), python=venv_python(venv))
    assert "This environment is run by uv (a uv virtual environment)." \
        in done.lines
    assert install_commands(done.lines)["pip"] == \
        "uv pip install --python %s -r ex01/requirements.txt" \
        % venv_python(venv)


@pytest.mark.parametrize("cfg_line, manager", [
    ("", "pip in a venv"),
    ("virtualenv = 20.25.0\n", "pip in a virtualenv"),
])
def test_who_runs_a_venv(run_script, fresh_venv, cfg_line: str,
                         manager: str) -> None:
    venv = fresh_venv("managed")
    cfg = venv / "pyvenv.cfg"
    cfg.write_text(cfg.read_text() + cfg_line)
    done = run_script("loading", python=venv_python(venv))
    assert "This environment is run by %s." % manager in done.lines


def paste(command: str, cwd: Path, python_dir: "Path | None" = None):
    """Run a printed command in bash, where the user stood."""
    env = clean_env({"PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    if python_dir is not None:
        env["PATH"] = "%s:%s" % (python_dir, env["PATH"])
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_pasted_pip_commands_install_and_rerun(
        run_script, fresh_venv, project_venv: Path, tmp_path: Path) -> None:
    """In a venv without pip (ensurepip first) the printed command, pasted
    from another directory with a space in its name, installs what is
    missing and the analysis runs; in one with pip, the same command
    without ensurepip. Every package but requests comes from the project's
    environment through a .pth line, so only requests is downloaded."""
    mirror = partial_site(tmp_path, project_venv)
    elsewhere = tmp_path / "my place"
    elsewhere.mkdir()
    for name in ("no pip", "with pip"):
        venv = fresh_venv(name.replace(" ", "_"))
        (site_packages(venv) / "project.pth").write_text(str(mirror) + "\n")
        if name == "with pip":
            pip = project_site(project_venv) / "pip"
            (site_packages(venv) / "pip").symlink_to(pip)
        done = run_script("loading", python=venv_python(venv), cwd=elsewhere)
        assert dependency_lines(done.lines)[1] == \
            "[MISSING] requests - needed for network access"
        command = install_commands(done.lines)["pip"]
        python = venv_python(venv)
        if name == "with pip":
            assert command == "%s -m pip install -r %s" % (
                python, ROOT / "ex01" / "requirements.txt")
            continue
        assert command.startswith("%s -m ensurepip && " % python)
        assert paste(command, elsewhere).returncode == 0
        again = run_script("loading", python=venv_python(venv),
                           cwd=elsewhere)
        assert again.returncode == 0, again.output
        assert (elsewhere / "matrix_analysis.png").exists()
        (elsewhere / "matrix_analysis.png").unlink()


def test_pasted_venv_route_from_a_global_python(
        project_venv: Path, tmp_path: Path) -> None:
    """The global interpreter's command makes matrix_env with itself,
    installs and reruns. The global interpreter is the project's base,
    run with -S so that none of its own packages are found; the venv is
    made beforehand with the project's packages on a .pth line, so the
    install is quick. The command pasted is the one printed, word for
    word."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    base = Path(sys.base_prefix) / "bin" / ("python%d.%d"
                                            % sys.version_info[:2])
    subprocess.run([str(base), "-m", "venv", str(elsewhere / "matrix_env")],
                   check=True, env=clean_env(), timeout=300)
    mirror = partial_site(tmp_path, project_venv)
    (site_packages(elsewhere / "matrix_env") / "project.pth").write_text(
        str(mirror) + "\n")
    done = run([str(base), "-S", str(ROOT / "ex01" / "loading.py")],
               cwd=elsewhere)
    command = install_commands(done.stdout.splitlines())["pip"]
    assert command.startswith("%s -m venv matrix_env && " % base)
    pasted = paste(command, elsewhere, base.parent)
    assert pasted.returncode == 0, pasted.stderr
    assert "Analysis complete!" in pasted.stdout
    assert (elsewhere / "matrix_analysis.png").exists()


def test_pasted_poetry_command_from_another_directory(
        run_script, bare_venv: Path) -> None:
    """From tests/, the Poetry command names the project with -P; pasted
    there it installs (the project is installed already) and runs. The
    command printed in ex01/ itself is the README's, which .ci/run runs."""
    if shutil.which("poetry") is None:
        pytest.skip("poetry is not on PATH")
    done = run_script(Path("../ex01/loading.py"), python=venv_python(
        bare_venv), cwd=ROOT / "tests")
    command = install_commands(done.lines)["Poetry"]
    pasted = paste(command, ROOT / "tests")
    assert pasted.returncode == 0, pasted.stderr
    assert "Analysis complete!" in pasted.stdout
    (ROOT / "tests" / "matrix_analysis.png").unlink()
    readme = (ROOT / "README.md").read_text()
    assert "cd ex01 && poetry install && poetry run python loading.py" \
        in readme


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
    assert "A package is installed but broken. Reinstall it: %s -m pip " \
        "install --force-reinstall numpy" % venv_python(venv) in done.lines
    # numpy comes first: nothing that depends on it was imported after.
    assert marker.read_text().split() == ["numpy"]


def test_a_matplotlibrc_that_breaks_the_import_is_named_too(
        run_script, tmp_path: Path) -> None:
    (tmp_path / "matplotlibrc").write_bytes(b"lines.linewidth: 2\n# caf\xe9\n")
    done = run_script("loading", cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.output
    assert any(line.startswith("matplotlib is installed but cannot be "
                               "imported. If its configuration is at fault,")
               for line in done.lines)


def test_matplotlib_configuration_errors_are_named_as_such(
        run_script, tmp_path: Path) -> None:
    done = run_script("loading", cwd=tmp_path, env={"MPLBACKEND": "nonsense"})
    assert done.returncode == 1
    assert any(line.startswith("[BROKEN] matplotlib (") and
               "ValueError: Key backend: 'nonsense' is not a valid value"
               in line for line in done.lines)
    assert "--force-reinstall" not in done.stdout
    assert any(line.startswith("matplotlib is installed, but its "
                               "configuration names an invalid value")
               for line in done.lines)


def test_the_users_matplotlib_settings_do_not_change_the_figure(
        run_script, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    styled = tmp_path / "styled"
    for folder in (plain, styled):
        folder.mkdir()
    (styled / "matplotlibrc").write_text(
        "text.usetex: True\nbackend: TkAgg\naxes.facecolor: black\n"
        "lines.linewidth: 9\nsavefig.dpi: 10\n")
    for folder in (plain, styled):
        done = run_script("loading", cwd=folder, args=("--points", "200"),
                          env={"DISPLAY": ""})
        assert done.returncode == 0, done.output
        assert "Traceback" not in done.output
    assert (plain / "matrix_analysis.png").read_bytes() == \
        (styled / "matrix_analysis.png").read_bytes()


@pytest.mark.parametrize("env, rc, note", [
    ({"MPLCONFIGDIR": "/proc/nonexistent"}, "",
     "NOTE: matplotlib cannot write its cache folder (MPLCONFIGDIR, else "
     "~/.config/matplotlib): it used a temporary one, made again on each "
     "run"),
    ({}, "lines.linewidth: abc\nfoo.bar: 1\nno colon here\n",
     "NOTE: matplotlibrc: ignored lines it does not understand (in "
     "MATPLOTLIBRC, ./matplotlibrc or ~/.config/matplotlib/matplotlibrc); "
     "the figure uses this script's own settings"),
])
def test_matplotlibs_own_warnings_are_one_line_of_the_scripts(
        run_script, tmp_path: Path, env: dict, rc: str, note: str) -> None:
    """Never matplotlib's raw words (mkdir -p failed, Bad key, a URL):
    one NOTE naming the cause, in a section of its own; the figure is
    written and the run succeeds."""
    if rc:
        (tmp_path / "mplrc").write_text(rc)
        env = {"MATPLOTLIBRC": str(tmp_path / "mplrc")}
    done = run_script("loading", cwd=tmp_path, env=env,
                      args=("--points", "100"))
    assert done.returncode == 0, done.output
    assert done.stderr == ""
    for raw in ("mkdir", "Matplotlib created", "Bad value", "Bad key",
                "https://", "Missing colon"):
        assert raw not in done.output
    assert done.lines.count(note) == 1
    at = done.lines.index(note)
    assert done.lines[at - 1] == "" and done.lines[at - 2].startswith(
        "[OK] numpy (")
    assert (tmp_path / "matrix_analysis.png").read_bytes()[:8] == \
        PNG_SIGNATURE


def test_a_clean_matplotlib_says_nothing_more(default_run) -> None:
    done, _ = default_run
    assert not any(line.startswith("NOTE:") for line in done.lines)
    assert done.stderr == ""


def test_unknown_library_warnings_are_named_not_shown() -> None:
    notes = loading.library_notes("pandas", [
        "UserWarning: Pandas requires version '1.3.6' of 'bottleneck'\n",
        "Matplotlib is building the font cache; this may take a moment.\n"],
        "as it was imported")
    assert notes == ["NOTE: pandas warned as it was imported (its own "
                     "words are not shown here)"]
    assert loading.library_notes("matplotlib", [
        "Matplotlib is building the font cache; this may take a moment.\n"],
        "as it drew the figure") == []


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
    assert section(done.lines, "Results:") == [
        "Results:",
        "Points analysed: 1000 (rolling window of 25 points)",
        "Signal: mean 0.004, std 2.212, min -7.596, max 6.227",
        "Noise level (robust sigma of residuals): 0.491",
        "Anomalies found (|residual| > 5 sigma): 5",
        "Injected: 5, found: 5, missed: 0, false alarms: 0",
        "Strongest: point 942 at 9.2 sigma"]


def test_results_line_counts_misses_and_false_alarms() -> None:
    analysis = loading.Analysis(100, 5, 1.0)
    analysis.injected, analysis.matched, analysis.found = 5, 3, 7
    assert "Injected: 5, found: 3, missed: 2, false alarms: 4" in \
        loading.results_lines(analysis)
    analysis.injected = None
    assert not any(line.startswith("Injected")
                   for line in loading.results_lines(analysis))


def test_poetry_environment_is_recognised(default_run,
                                          project_venv: Path) -> None:
    done, _ = default_run
    installer = (metadata.distribution("numpy").read_text("INSTALLER")
                 or "").strip()
    if not installer.startswith("Poetry"):
        pytest.skip("the test environment was not installed by Poetry")
    rows = comparison_rows(done.lines)
    assert section(done.lines, "pip versus Poetry:")[1] == \
        "This environment is run by Poetry (its virtualenv; packages " \
        "installed by %s)." % installer
    for dist, _ in FAKES:
        assert rows[dist][3] == installer
        assert rows[dist][4] == "matches", rows[dist]


def run_in_process(args: list[str], cwd: Path,
                   monkeypatch: pytest.MonkeyPatch,
                   capsys: pytest.CaptureFixture[str]):
    """main() in this process, as a user's run: quick, since the libraries
    are imported already. (exit status, stdout lines, stderr)"""
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, "argv", [str(ROOT / "ex01" / "loading.py")])
    status = loading.main(args)
    out, err = capsys.readouterr()
    return status, out.splitlines(), err


def test_same_seed_same_picture_other_seed_other_numbers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    outputs = []
    for name, seed in (("a.png", "7"), ("b.png", "7"), ("c.png", "8")):
        status, lines, err = run_in_process(
            ["--seed", seed, "--output", name], tmp_path, monkeypatch, capsys)
        assert status == 0, err
        assert "Results saved to: %s" % name in lines
        outputs.append(section(lines, "Results:"))
    a, b, c = ((tmp_path / name).read_bytes()
               for name in ("a.png", "b.png", "c.png"))
    assert a == b and a != c
    assert outputs[0] == outputs[1] and outputs[0] != outputs[2]


def test_large_series_is_drawn_as_an_envelope() -> None:
    values, injected = loading.simulate(100_000, 1999)
    data = loading.Data(values)
    data.injected = injected
    analysis, figure = loading.analyse(data)
    assert analysis.per_bin == 50
    assert len(figure.x) == len(figure.low) == len(figure.high) == \
        len(figure.rolling) == loading.PLOT_BINS
    assert figure.signal == []
    # Each bin holds the true minimum and maximum of its points, so every
    # spike, injected or not, stays in the picture.
    for start, low, high in list(zip(figure.x, figure.low,
                                     figure.high))[::97]:
        chunk = values[start:start + 50]
        assert (low, high) == (chunk.min(), chunk.max())
    assert max(figure.high) == values.max()
    assert min(figure.low) == values.min()
    assert figure.injected_x == injected.tolist()
    assert figure.marked_x == sorted(figure.marked_x)
    assert set(injected.tolist()) <= set(figure.marked_x)
    # The rolling mean is drawn as the mean of each bin.
    import pandas as pd
    rolling = loading.rolling_mean(pd.Series(values), analysis.window)
    for index in (0, 17, loading.PLOT_BINS - 1):
        start = figure.x[index]
        assert figure.rolling[index] == pytest.approx(
            rolling[start:start + 50].mean())


def analysed(values: "list[float]") -> "tuple[object, object]":
    import numpy as np
    return loading.analyse(loading.Data(np.asarray(values, dtype=float)))


@pytest.mark.parametrize("slope", [0.5, 1.0, 3.0, -2.0, 1e6])
def test_a_clean_trend_has_no_anomalies_at_its_ends(slope: float) -> None:
    """A window cut short at an end is off-centre: its mean lags any
    trend, and the first and last points looked like anomalies."""
    import numpy as np
    noise = np.random.default_rng(7).standard_normal(200) * 0.5 * abs(slope)
    analysis, figure = analysed((np.arange(200) * slope + noise).tolist())
    assert analysis.found == 0
    assert analysis.strongest < 5
    # The line drawn follows the trend to both ends.
    assert figure.rolling[0] == pytest.approx(0, abs=3 * abs(slope))
    assert figure.rolling[-1] == pytest.approx(199 * slope,
                                               abs=3 * abs(slope))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("at", [0, 1, 100, 198, 199])
def test_a_spike_at_an_end_is_found_alone(at: int, seed: int) -> None:
    """Found; a spike at the very end leaves its neighbours alone (one
    step in, it may drag one neighbour along: the curve carried to the end
    is fitted to means that hold it)."""
    import numpy as np
    values = np.sin(np.arange(200) / 8) * 3 \
        + np.random.default_rng(seed).standard_normal(200) * 0.2
    values[at] -= 4
    analysis, figure = analysed(values.tolist())
    if at in (0, 100, 199):
        assert figure.marked_x == [at]
    else:
        assert at in figure.marked_x and len(figure.marked_x) <= 2
    assert analysis.strongest_at == at


@pytest.mark.parametrize("name, values", [
    ("a line in floats", [0.1 * i + 0.3 for i in range(300)]),
    ("a parabola", [(0.01 * i) ** 2 for i in range(300)]),
    ("a parabola in integers", [i * i for i in range(300)]),
    ("a steep line", [1e6 * i for i in range(300)]),
    ("a slow sine", [math.sin(i / 40) for i in range(300)]),
])
def test_a_clean_curve_has_no_anomalies(name: str,
                                        values: "list[float]") -> None:
    """No noise at all: residuals are a curvature's constant offset and
    float64's rounding, which are no anomalies."""
    analysis, _ = analysed(values)
    assert analysis.found == 0, name


def test_a_series_in_floats_is_judged_as_in_integers() -> None:
    """Residuals at float64's rounding are no noise to measure against."""
    integers, _ = analysed([(i % 7) for i in range(300)])
    floats, _ = analysed([(i % 7) * 1.5 + 0.1 for i in range(300)])
    assert floats.found == integers.found == 0
    assert floats.sigma == pytest.approx(integers.sigma * 1.5)
    assert floats.strongest == pytest.approx(integers.strongest)


@pytest.mark.parametrize("value, shown", [
    (9.04, "9.0"), (999999.94, "999999.9"), (1e6, "1e+06"),
    (4.04e99, "4.04e+99")])
def test_strengths_are_shown_short(value: float, shown: str) -> None:
    assert loading.shown_sigmas(value) == shown


@pytest.mark.parametrize("points, scale", [(1000, 1.0), (1000, 1e6),
                                           (50_000, 1e-6)])
def test_the_histogram_holds_every_residual_in_sigmas(points: int,
                                                      scale: float) -> None:
    values, _ = loading.simulate(points, 11)
    analysis, figure = loading.analyse(loading.Data(values * scale))
    limit = max(analysis.strongest, loading.ANOMALY_SIGMA) * 1.05
    assert figure.edges[0] == pytest.approx(-limit)
    assert figure.edges[-1] == pytest.approx(limit)
    assert sum(figure.counts) == points


def test_the_title_says_where_the_data_comes_from(http_server) -> None:
    options, _ = loading.parse_args(["--seed", "7", "--points", "50"])
    data, _ = loading.load_data(options)
    assert data is not None
    assert loading.figure_title(data) == "Simulated Matrix data (seed 7)"
    url = http_server.serve("/t.csv", "\n".join(["1", "2"] * 20))
    options, _ = loading.parse_args(["--source", url])
    data, _ = loading.load_data(options)
    assert data is not None
    assert loading.figure_title(data) == "Matrix data from " + url


@pytest.mark.parametrize("points, per_bin", [
    (4000, 1), (4001, 3), (39_999, 20), (40_001, 21)])
def test_the_envelope_starts_above_4000_points(points: int,
                                               per_bin: int) -> None:
    values, _ = loading.simulate(points, 5)
    analysis, figure = loading.analyse(loading.Data(values))
    assert analysis.per_bin == per_bin
    assert len(figure.x) == (points if per_bin == 1 else loading.PLOT_BINS)


def test_small_series_is_drawn_point_by_point() -> None:
    values, injected = loading.simulate(4000, 3)
    data = loading.Data(values)
    data.injected = injected
    analysis, figure = loading.analyse(data)
    assert analysis.per_bin == 1 and figure.low == []
    assert figure.signal == values.tolist()
    assert len(figure.marked_x) == analysis.found
    assert sum(figure.counts) == len(values)


def test_drawing_at_scale_runs_the_script(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    status, lines, err = run_in_process(["--points", "100000"], tmp_path,
                                        monkeypatch, capsys)
    assert status == 0, err
    assert "Processing 100000 data points..." in lines
    assert (tmp_path / "matrix_analysis.png").read_bytes()[:8] == \
        PNG_SIGNATURE


# --- Where the figure goes ---------------------------------------------------

def test_unwritable_output_is_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file.txt").write_text("not a directory")
    for target, why in (("file.txt/out.png", "Not a directory"),
                        ("missing/dir/out.png", "No such file or directory")):
        status, _, err = run_in_process(
            ["--points", "50", "--output", target], tmp_path, monkeypatch,
            capsys)
        assert status == 1
        assert err.splitlines() == [
            "loading.py: cannot write %s: %s (nothing was written)"
            % (target, why)]


@pytest.mark.parametrize("python", supported_pythons())
def test_importlibs_atomic_writer_is_there(python: Path) -> None:
    """save() leans on importlib's private atomic writer (os is not an
    authorized import): pinned on every Python the project supports."""
    if not Path(python).exists():
        pytest.skip("no %s here" % python)
    done = run([str(python), "-c", "from importlib import _bootstrap_"
                "external as f; import inspect; print(list(inspect."
                "signature(f._write_atomic).parameters), f._path_stat('.')"
                ".st_mode > 0)"])
    assert done.stdout == "['path', 'data', 'mode'] True\n", done.stderr


def ulimited(tmp_path: Path, blocks: int, *args: str) -> Result:
    """loading.py with a file size limit (ulimit -f, in KiB): a write past
    it fails with EFBIG (Python ignores SIGXFSZ), or comes up short."""
    return run(["bash", "-c", 'ulimit -f "$0" && exec "$@"', str(blocks),
                sys.executable, str(ROOT / "ex01" / "loading.py"),
                "--points", "50", *args], cwd=tmp_path)


def test_a_failed_write_leaves_the_previous_figure_and_no_litter(
        tmp_path: Path) -> None:
    (tmp_path / "kept.png").write_bytes(b"the previous picture")
    done = ulimited(tmp_path, 0, "--output", "kept.png")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "loading.py: cannot write kept.png: File too large (nothing was "
        "written)"]
    assert (tmp_path / "kept.png").read_bytes() == b"the previous picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.png"]
    assert "Analysis complete!" not in done.stdout


def test_a_short_write_is_caught_not_reported_as_saved(
        tmp_path: Path) -> None:
    """The atomic writer does not check write()'s count: a disk that fills
    midway leaves a part, which save() must not call a figure."""
    done = ulimited(tmp_path, 4)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "loading.py: cannot write matrix_analysis.png: the disk is full (or "
        "a file size limit was reached) and the file is incomplete: delete "
        "it"]
    assert "Analysis complete!" not in done.stdout


@pytest.mark.parametrize("kind", ["folder", "fifo", "device"])
def test_what_is_not_a_regular_file_is_refused(tmp_path: Path,
                                               kind: str) -> None:
    """A FIFO would block the run forever; a device or folder is no place
    for a figure."""
    target = tmp_path / "odd.png"
    if kind == "folder":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        if not Path("/dev/full").exists():
            pytest.skip("no /dev/full")
        target.symlink_to("/dev/full")
    done = run([sys.executable, str(ROOT / "ex01" / "loading.py"),
                "--points", "50", "--output", "odd.png"], cwd=tmp_path,
               timeout=60)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "loading.py: cannot write odd.png: it is not a regular file (a "
        "folder, FIFO or device); name a .png file"]


def test_a_link_is_replaced_and_its_target_left_alone(
        tmp_path: Path) -> None:
    (tmp_path / "elsewhere.png").write_bytes(b"someone else's file")
    (tmp_path / "link.png").symlink_to(tmp_path / "elsewhere.png")
    (tmp_path / "mine.png").write_bytes(b"old")
    (tmp_path / "mine.png").chmod(0o640)
    for name in ("link.png", "mine.png"):
        done = run([sys.executable, str(ROOT / "ex01" / "loading.py"),
                    "--points", "50", "--output", name], cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert (tmp_path / name).read_bytes().startswith(PNG_SIGNATURE)
    assert not (tmp_path / "link.png").is_symlink()
    assert (tmp_path / "elsewhere.png").read_bytes() == b"someone else's file"
    # The permissions of the file replaced are kept.
    assert (tmp_path / "mine.png").stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "elsewhere.png", "link.png", "mine.png"]


def test_a_taken_temporary_name_is_tried_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two runs, or a killed one, may leave the temporary name taken."""
    from importlib import _bootstrap_external as files
    real = files._write_atomic
    names: list[int] = []

    def taken_twice(path: str, data: bytes, mode: int = 0o666) -> None:
        names.append(id(path))
        if len(names) < 3:
            raise FileExistsError(17, "File exists")
        real(path, data, mode)

    monkeypatch.setattr(files, "_write_atomic", taken_twice)
    png = PNG_SIGNATURE + loading.PNG_END
    target = str(tmp_path / "out.png")
    assert loading.save(png, target) is None
    assert Path(target).read_bytes() == png
    assert len(set(names)) == 3         # three strings, three names

    def always_taken(path: str, data: bytes, mode: int = 0o666) -> None:
        raise FileExistsError(17, "File exists")

    monkeypatch.setattr(files, "_write_atomic", always_taken)
    assert loading.save(png, target) == \
        "cannot write %s: its temporary names are taken" % target


def test_concurrent_runs_leave_one_whole_figure(tmp_path: Path) -> None:
    """Runs that meet on one file: it is one run's figure, whole."""
    argv = [sys.executable, str(ROOT / "ex01" / "loading.py"), "--output",
            "shared.png", "--points"]
    runs = [subprocess.Popen(argv + [str(points)], cwd=tmp_path,
                             env=clean_env(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
            for points in (400, 401)]
    assert [r.wait(timeout=120) for r in runs] == [0, 0]
    written = (tmp_path / "shared.png").read_bytes()
    alone = []
    for points in (400, 401):
        done = run(argv[:3] + ["p%d.png" % points, "--points", str(points)],
                   cwd=tmp_path)
        assert done.returncode == 0
        alone.append((tmp_path / ("p%d.png" % points)).read_bytes())
    assert written in alone
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "p400.png", "p401.png", "shared.png"]


def test_a_failed_drawing_leaves_the_previous_file_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "kept.png"
    target.write_bytes(b"the previous picture")

    def broken(*args: object) -> bytes:
        raise RuntimeError("Pillow ran out of luck\nsecond line")

    monkeypatch.setattr(loading, "draw", broken)
    monkeypatch.setattr(sys, "argv", [str(ROOT / "ex01" / "loading.py")])
    assert loading.main(["--points", "50", "--output", str(target)]) == 1
    assert target.read_bytes() == b"the previous picture"
    assert capsys.readouterr().err.splitlines() == [
        "loading.py: cannot draw the figure: RuntimeError: Pillow ran out "
        "of luck"]


@pytest.mark.parametrize("args", [
    ("--points", "0"), ("--points", "-5"), ("--points", "abc"),
    ("--points", "9"), ("--points", "20000001"), ("--points", "1e3"),
    ("--seed", "-1"), ("--seed", "x"), ("--seed", str(2 ** 64)),
    ("--frobnicate",), ("--points",),
    ("--output", "out.jpg"), ("--source", "ftp://example.com/data"),
    ("--source", "file:///etc/passwd"),
    ("--source", "http://127.0.0.1/x", "--points", "100"),
    ("--source", "http://127.0.0.1/x", "--seed", "1"),
])
def test_bad_arguments_exit_2_with_usage(run_script, args) -> None:
    done = run_script("loading", args=args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines()[0] == loading.USAGE
    assert done.stderr.splitlines()[1].startswith("loading.py: error: ")
    assert len(done.stderr.splitlines()) == 2


@pytest.mark.parametrize("args, points, seed", [
    (["--points", "10"], 10, 1999), (["--points=20_000_000"], 20_000_000,
                                     1999),
    (["--seed", "0"], 1000, 0), (["--seed", str(2 ** 64 - 1)], 1000,
                                 2 ** 64 - 1),
])
def test_option_bounds_are_accepted(args: list[str], points: int,
                                    seed: int) -> None:
    options, error = loading.parse_args(args)
    assert error is None
    assert (options.points, options.seed) == (points, seed)


def test_the_smallest_run_works(tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    status, lines, err = run_in_process(["--points", "10"], tmp_path,
                                        monkeypatch, capsys)
    assert status == 0, err
    assert "Processing 10 data points..." in lines


def test_an_unknown_option_is_named_without_its_value(run_script) -> None:
    done = run_script("loading", args=("--token=Zq8pW3nY6tKcVb",))
    assert done.stderr.splitlines()[1] == \
        "loading.py: error: unknown argument: --token"
    assert "Zq8pW3nY" not in done.output


def test_help(run_script) -> None:
    done = run_script("loading", args=("-h",))
    assert done.returncode == 0 and done.stderr == ""
    assert done.lines[0] == loading.USAGE
    for words in ("--points N", "30 s", "symbolic link", "exit status"):
        assert words in done.stdout


def test_sigint_exits_130_with_one_line(tmp_path: Path) -> None:
    process = interruptible(
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
    assert stderr == "loading.py: interrupted\n"


# --- pip versus Poetry, from the files ---------------------------------------

def copy_project(tmp_path: Path, requirements: "str | None",
                 lock: bool) -> Path:
    (tmp_path / "ex01").mkdir()
    shutil.copy(ROOT / "ex01" / "loading.py", tmp_path / "ex01")
    if requirements is not None:
        (tmp_path / "ex01" / "requirements.txt").write_text(requirements)
    if lock:
        shutil.copy(ROOT / "poetry.lock", tmp_path)
        shutil.copy(ROOT / "pyproject.toml", tmp_path)
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
    script = copy_project(tmp_path, "pandas>=2\nnumpy==2.*\nnumpy==2.\u00b2\n"
                          "requests==2.0; sys_platform == 'linux'\n"
                          "matplotlib==1.0\nmatplotlib==2.0\n", lock=True)
    done = run_script(script, args=("--points", "50"), cwd=tmp_path)
    assert any("line 1 not understood: pandas>=2" in line
               for line in done.lines)
    assert any("line 2 not understood: numpy==2.*" in line
               for line in done.lines)
    # isdigit() takes "²", int() does not: not a version, no traceback.
    assert any("line 3 not understood: numpy==2.\u00b2" in line
               for line in done.lines)
    assert "Traceback" not in done.stderr
    rows = comparison_rows(done.lines)
    assert rows["requests"][1] == "? (marker not understood)"
    assert rows["requests"][4] == "cannot tell (marker not understood)"
    assert rows["matplotlib"][1] == "? (several apply)"
    assert rows["matplotlib"][4] == "cannot tell (several apply)"


def test_credentials_in_requirements_lines_are_never_shown(
        run_script, tmp_path: Path) -> None:
    """Index URLs and direct references carry tokens: a line that is not a
    pin is cited by number; only a name and specifiers are shown."""
    token, password, oauth, plain = (canary() for _ in range(4))
    script = copy_project(tmp_path, (
        "--extra-index-url https://__token__:%s@pypi.example/simple\n"
        "-i https://neo:%s@mirror.example/simple\n"
        "zion @ git+https://oauth2:%s@git.example/zion.git\n"
        "https://files.example/pkg.whl?token=%s\n"
        "numpy>=2  # fine to show\n" % (token, password, oauth, plain)),
        lock=False)
    done = run_script(script, args=("--points", "50"), cwd=tmp_path)
    assert leaks(done.stdout + done.stderr,
                 [token, password, oauth, plain]) == []
    hidden = "(an option or a URL: not shown, it may hold a credential)"
    for number in (1, 2, 3, 4):
        assert any(line.endswith("line %d not understood: %s"
                                 % (number, hidden)) for line in done.lines)
    assert any(line.endswith("line 5 not understood: numpy>=2")
               for line in done.lines)


@pytest.mark.parametrize("line, shown", [
    ("pandas>=2", "pandas>=2"), ("numpy==2.*", "numpy==2.*"),
    ("zion @ git+git@git.example:zion.git", None),
    ("foo == 1.0 --config-settings=key=Cx7f3a9b2c1d", None),
    ("foo==1.0 --hash=sha256:abc", None), ("foo>=1 -C x=y", None),
    ("zion@git+neo:Cx7f3a9b2c1d@host:zion.git", None),
    ("-r other.txt", None), ("--hash=sha256:abc", None),
    ("pkg@https://x/y", None), ("pkg @ file:///tmp/x", None),
    ("https://u:p@h/x.whl", None), ("./local/pkg", None),
    ("x" * 100, "x" * 57 + "..."),
])
def test_shown_requirement(line: str, shown: "str | None") -> None:
    assert loading.shown_requirement(line) == (
        shown or "(an option or a URL: not shown, it may hold a credential)")


@pytest.mark.parametrize("cwd, typed, compared", [
    (".", "ex01/loading.py",
     "Compared with: ex01/requirements.txt (pip) and poetry.lock (Poetry)"),
    ("ex01", "loading.py",
     "Compared with: requirements.txt (pip) and poetry.lock (Poetry)"),
    ("tests", "../ex01/loading.py", "Compared with: ../ex01/requirements.txt"
     " (pip) and ../poetry.lock (Poetry)"),
])
def test_the_manifests_of_the_project_the_user_is_in(
        run_script, bare_venv: Path, cwd: str, typed: str,
        compared: str) -> None:
    done = run_script(Path(typed), python=venv_python(bare_venv),
                      cwd=ROOT / cwd)
    assert section(done.lines, "pip versus Poetry:")[2] == compared


def test_run_through_a_symbolic_link(run_script, bare_venv: Path,
                                     tmp_path: Path) -> None:
    (tmp_path / "loading.py").symlink_to(ROOT / "ex01" / "loading.py")
    done = run_script(Path("loading.py"), python=venv_python(bare_venv),
                      cwd=tmp_path)
    assert section(done.lines, "pip versus Poetry:")[2] == \
        "Compared with: %s/requirements.txt (pip) and %s/poetry.lock " \
        "(Poetry)" % (ROOT / "ex01", ROOT)
    assert not any("not found" in line for line in done.lines)


@pytest.mark.parametrize("flag", ["-I", "-P", "PYTHONSAFEPATH"])
def test_a_link_run_with_a_safe_path_says_so(
        bare_venv: Path, tmp_path: Path, flag: str) -> None:
    """-P, -I and PYTHONSAFEPATH keep the script's real directory off
    sys.path: never compare against the standard library's zip."""
    if flag != "-I" and sys.version_info < (3, 11):
        pytest.skip("-P and PYTHONSAFEPATH came with Python 3.11")
    (tmp_path / "loading.py").symlink_to(ROOT / "ex01" / "loading.py")
    argv = [str(venv_python(bare_venv)), "loading.py"]
    if flag.startswith("-"):
        argv.insert(1, flag)
    done = run(argv, cwd=tmp_path, env={"PYTHONSAFEPATH": "1"}
               if flag == "PYTHONSAFEPATH" else None)
    lines = done.stdout.splitlines()
    assert section(lines, "pip versus Poetry:")[2] == \
        "Compared with: requirements.txt (pip) and ../poetry.lock (Poetry)"
    assert "If this script is a link: under -P, -I or PYTHONSAFEPATH " \
        "Python does not tell where the real one is; run it by its real " \
        "path." in lines
    assert ".zip" not in done.stdout


def test_ex01_handed_in_alone_reads_its_own_lock(run_script,
                                                 tmp_path: Path) -> None:
    hand_in = tmp_path / "ex01"
    hand_in.mkdir()
    for name in ("loading.py", "requirements.txt", "pyproject.toml",
                 "poetry.lock"):
        shutil.copy(ROOT / "ex01" / name, hand_in)
    lock = hand_in / "poetry.lock"
    lock.write_text(lock.read_text().replace(
        'name = "requests"\nversion = "', 'name = "requests"\nversion = "0.'))
    done = run_script(hand_in / "loading.py", cwd=tmp_path,
                      args=("--points", "50"))
    assert section(done.lines, "pip versus Poetry:")[2] == \
        "Compared with: %s/requirements.txt (pip) and %s/poetry.lock " \
        "(Poetry)" % (hand_in, hand_in)
    assert comparison_rows(done.lines)["requests"][4] == \
        "differs from the lock"


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


def pin_of(entries, python) -> tuple:
    pin = loading.pick_version(entries, python)
    return pin.version, pin.missing


def test_lock_with_two_versions_under_markers() -> None:
    locked = loading.parse_poetry_lock(LOCK)
    assert locked == {"numpy": [("2.2.6", 'python_version == "3.10"'),
                                ("2.4.6", 'python_version >= "3.11"')],
                      "python-dotenv": [("1.2.4", "")]}
    assert pin_of(locked["numpy"], (3, 10)) == ("2.2.6", "")
    assert pin_of(locked["numpy"], (3, 13)) == ("2.4.6", "")
    assert pin_of(locked["numpy"], (3, 9)) == (None, "none for this Python")
    assert pin_of(None, (3, 11)) == (None, "not listed")
    assert pin_of([("1", ""), ("2", 'python_version >= "3.0"')],
                  (3, 11)) == (None, "several apply")
    assert pin_of([("1", 'os_name == "nt"')], (3, 11)) == (
        None, "marker not understood")


@pytest.mark.parametrize("marker, python, expected", [
    ('python_version == "3.10"', (3, 10), True),
    ('python_version >= "3.11"', (3, 10), False),
    ('python_version > "3.10"', (3, 10), False),
    ('python_version <= "3.10"', (3, 10), True),
    ('python_version != "3.10"', (3, 11), True),
    ("python_version < '3.12' and python_version >= '3.11'", (3, 11), True),
    ("python_version < '3.12' and python_version >= '3.11'", (3, 12), False),
    ('sys_platform == "win32"', (3, 11), None),
    ('python_version >= "3.11" or python_version < "3"', (3, 11), None),
    ('python_version ~= "3.11"', (3, 11), None),
])
def test_marker_applies(marker: str, python: tuple[int, int],
                        expected: "bool | None") -> None:
    assert loading.marker_applies(marker, python) is expected


Pin = loading.Pin


@pytest.mark.parametrize("installed, pinned, locked, verdict", [
    ("2.0", Pin("2.0"), Pin("2.0"), "matches"),
    ("2.0", Pin("2.0"), Pin("2.1"), "differs from the lock"),
    ("2.0", Pin("1.0"), Pin("2.0"), "differs from requirements.txt"),
    ("2.0", Pin(None, "not listed"), Pin(None, "not listed"), "not pinned"),
    (None, Pin("2.0"), Pin("2.0"), "not installed"),
    ("2.0", Pin(None, "no file"), Pin("2.0"), "matches"),
    ("2.0", Pin("2.0"), Pin(None, "no file"), "matches"),
    ("2.0", Pin(None, "several apply"), Pin("2.0"),
     "cannot tell (several apply)"),
])
def test_verdict(installed, pinned, locked, verdict) -> None:
    assert loading.judge_versions(installed, pinned, locked) == verdict


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
    assert "expected one numeric column, found 2 (label and value)" \
        in done.stderr
    url = http_server.serve("/one.csv", "name,value\n" + "\n".join(
        "%s,%d" % ("abc"[i % 3], i % 11) for i in range(300)))
    done = fetch(run_script, url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Received: CSV, 300 values from column 'value'" in done.lines
    assert "Processing 300 data points..." in done.lines
    assert not any(line.startswith("Injected") for line in done.lines)


NUMBERS_NAMED = ("Its first line is read as the columns' names, as pandas "
                 "reads a CSV: if it holds values to analyse, add a line "
                 "of names above it.")


@pytest.mark.parametrize("body, column, mean", [
    # pd.Series(np.linspace(100, 140, 40)).to_csv(index=False)
    ("0\n" + "\n".join(repr(100 + i * 40 / 39) for i in range(40)) + "\n",
     "0", "120.000"),
    ("2024,2025\n" + "\n".join("%d,%s" % (100 + i % 41, "abc"[i % 3])
                               for i in range(40)), "2024", "119.500"),
    ("\n".join(str(i % 7 - 3.5) for i in range(41)), "-3.5", "-0.500"),
])
def test_a_first_line_of_numbers_is_the_header_as_pandas_reads_it(
        run_script, http_server, tmp_path: Path, body: str, column: str,
        mean: str) -> None:
    """pandas' to_csv writes a Series' header as "0", and read_csv takes
    the first line as the header: no point of it is analysed, and the run
    says how it took that line."""
    import pandas as pd
    url = http_server.serve("/named-%s.csv" % column, body)
    done = fetch(run_script, url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "Received: CSV, 40 values from column '%s'" % column in done.lines
    assert NUMBERS_NAMED in done.lines
    assert "Processing 40 data points..." in done.lines
    assert any(line.startswith("Signal: mean %s," % mean)
               for line in done.lines)
    assert "%.3f" % pd.read_csv(url)[column].mean() == mean


TEMPERATURES = [20.5, 21.3, 19.8, 22.1, 20.9, 21.7, 20.2, 19.5, 22.4, 21.1,
                20.6, 21.9]


@pytest.mark.parametrize("body", [
    "temp\n" + "\n".join(str(t).replace(".", ",") for t in TEMPERATURES),
    "city;temp\n" + "\n".join("Lyon;" + str(t).replace(".", ",")
                              for t in TEMPERATURES),
    "city;temp\n" + "\n".join("Lyon;%s" % t for t in TEMPERATURES),
    "city\ttemp\n" + "\n".join("Lyon\t%s" % t for t in TEMPERATURES),
    "city,temp\n" + "\n".join('"Lyon, FR",%s' % t for t in TEMPERATURES),
])
def test_european_and_other_csvs_are_read_as_meant(body: str) -> None:
    """Decimal commas, ";" and tabs between fields: the numbers analysed
    are the column named, every digit of them."""
    data, why = loading.numbers_from_text(body)
    assert why == ""
    assert (data.kind, data.column) == ("CSV", "temp")
    assert data.values.tolist() == TEMPERATURES


@pytest.mark.parametrize("body, why", [
    ("city,temp\n" + "\n".join("Lyon,%s" % str(t).replace(".", ",")
                               for t in TEMPERATURES),
     "its rows have one field more than its header: decimal commas in a "
     "comma-separated file? Separate the fields with ';'"),
    ("a,b\n1,2\n3\n" + "4,5\n" * 10, "its line 3 has 1 field, its header 2"),
    ("n\n" + "\n".join("1,%03d" % i for i in range(50)),
     "its numbers read as thousands (1,000) as well as decimals (1,000 = "
     "1.0): write 1000 or 1.000"),
    ("a,b\n1,2\n3,4,5\n" + "4,5\n" * 10,
     "its line 3 has 3 fields, its header 2"),
    # A US spreadsheet's export: thousands in quotes read no better.
    ("Sales\n" + "\n".join('"%d,%03d"' % (30 + i, i * 7 % 1000)
                           for i in range(40)),
     "its numbers read as thousands (1,000) as well as decimals (1,000 = "
     "1.0): write 1000 or 1.000"),
])
def test_a_csv_that_cannot_be_read_as_meant_is_refused(body: str,
                                                       why: str) -> None:
    assert loading.numbers_from_text(body) == (None, why)


CSV_NAMES = st.one_of(
    st.sampled_from(["v", "temp", "x y", "nan", "0", "-3.5", "1e5", "2024"]),
    st.integers(-99, 9999).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(repr))
CSV_VALUES = st.lists(st.one_of(
    st.integers(-10 ** 6, 10 ** 6).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(repr)), min_size=8, max_size=40)


@budget(40, 1000)
@given(names=st.lists(CSV_NAMES, min_size=1, max_size=3), values=CSV_VALUES)
def test_a_csv_is_read_as_pandas_reads_it(names: list[str],
                                          values: list[str]) -> None:
    """pd.read_csv is the reference: its first line is the header, be it
    names or numbers (one column or several, the others words); the
    script analyses the same column of the same numbers, or refuses in
    one line where pandas has no single numeric column of 10."""
    import io
    import pandas as pd
    words = ["abc"[i % 3] for i in range(len(values))]
    body = ",".join(names) + "\n" + "\n".join(
        ",".join([value] + [word] * (len(names) - 1))
        for value, word in zip(values, words))
    frame = pd.read_csv(io.StringIO(body))
    numeric = [name for name in frame.columns
               if pd.api.types.is_numeric_dtype(frame[name])]
    data, why = loading.numbers_from_text(body)
    if data is None:
        assert why and "\n" not in why
        assert len(numeric) != 1 or frame[numeric[0]].count() < 10, why
        return
    assert [data.column] == numeric
    assert data.values.tolist() == frame[numeric[0]].astype(float).tolist()
    assert data.numbers_named == all(
        loading.is_number(str(name)) for name in frame.columns)


@pytest.mark.parametrize("quote", ['"', ""])
def test_thousands_are_refused_quoted_or_not(run_script, http_server,
                                             tmp_path: Path,
                                             quote: str) -> None:
    """A US spreadsheet writes 32,190 for thirty-two thousand: read as
    32.19 the statistics would be a thousand times too small."""
    body = "Sales\n" + "\n".join("%s%d,%03d%s" % (quote, 30 + i,
                                                  i * 7 % 1000, quote)
                                 for i in range(40))
    url = http_server.serve("/sales-%d.csv" % len(quote), body)
    done = fetch(run_script, url, tmp_path)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "loading.py: cannot use %s: its numbers read as thousands (1,000) "
        "as well as decimals (1,000 = 1.0): write 1000 or 1.000" % url]
    assert not (tmp_path / "matrix_analysis.png").exists()


def test_a_header_in_other_digits_is_a_header() -> None:
    """float() reads Arabic-Indic digits, pandas does not: a header written
    in them is a name, not a first row of numbers."""
    data, why = loading.numbers_from_text(
        "\u0661\u0662\n" + "\n".join(str(i % 6) for i in range(20)))
    assert why == ""
    assert data.column == "\u0661\u0662" and len(data.values) == 20


def test_integers_beyond_64_bits_are_numbers() -> None:
    body = "v\n99999999999999999999999\n" + "\n".join(
        str(i % 5) for i in range(20))
    data, why = loading.numbers_from_text(body)
    assert why == "" and len(data.values) == 21
    assert data.values[0] == pytest.approx(1e23)  # pandas rounds by version
    assert loading.numbers_from_text("[99999999999999999999999, 1]") == (
        None, "a number has more digits than a reader of JSON takes (write "
        "it as 1e23)")


def test_a_header_with_one_numeric_name_is_a_header(
        run_script, http_server, tmp_path: Path) -> None:
    """A name that reads as a number is a name: no note about it while
    the header holds other names."""
    url = http_server.serve("/years.csv", "city,2024\n" + "\n".join(
        "%s,%d" % ("abc"[i % 3], i % 9) for i in range(50)))
    done = fetch(run_script, url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Received: CSV, 50 values from column '2024'" in done.lines
    assert NUMBERS_NAMED not in done.lines


def test_a_long_column_name_is_cut(run_script, http_server,
                                   tmp_path: Path) -> None:
    name = "reading_" + "x" * 200
    url = http_server.serve("/long.json", "[" + ", ".join(
        '{"%s": %d}' % (name, i % 7) for i in range(30)) + "]")
    done = fetch(run_script, url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Received: JSON, 30 values from column 'reading_%s..." % (
        "x" * 28) in done.lines


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


@pytest.mark.parametrize("body, why", [
    ("[" + ", ".join(["5, true, 7, false"] * 10) + "]",
     "its array mixes true/false with numbers (pandas would count them as "
     "1 and 0): write 1 and 0 if that is what they mean"),
    ("[" + ", ".join('{"t": %d, "v": %s}' % (i, "true" if i == 3 else i % 5)
                     for i in range(40)) + "]",
     "its field 'v' mixes true/false with numbers (pandas would count them "
     "as 1 and 0): write 1 and 0 if that is what they mean"),
    ("[" + ", ".join(["true, false"] * 20) + "]",
     "expected one numeric column, found 0"),
])
def test_json_booleans_are_not_numbers(run_script, http_server,
                                       tmp_path: Path, body: str,
                                       why: str) -> None:
    url = http_server.serve("/flags-%d.json" % len(body), body,
                            content_type="application/json")
    done = fetch(run_script, url, tmp_path)
    assert done.returncode == 1
    assert done.stderr.splitlines() == ["loading.py: cannot use %s: %s"
                                        % (url, why)]
    assert "Analyzing Matrix data..." not in done.lines
    assert not (tmp_path / "matrix_analysis.png").exists()


def test_json_with_true_and_false_in_its_text_is_still_read() -> None:
    """Only true and false as values are refused: in a name or a string
    they are words."""
    body = "[" + ", ".join('{"true": "false", "v": %d}' % (i % 6)
                           for i in range(30)) + "]"
    data, why = loading.numbers_from_text(body)
    assert why == "" and data.column == "v" and len(data.values) == 30


@pytest.mark.parametrize("numbers", [
    [1e99, -1e99, 3e98] * 40, [1e-99, -2e-99, 5e-100] * 40,
    [0.0] * 99 + [1e100], [0.0] * 50, [-1e100] + [1.0] * 30,
    [1e-300, 0.0] * 25 + [1e50] + [1e-300, 0.0] * 25,
    [0.0, 1e-320] * 50 + [1.0],
])
def test_extreme_but_usable_values_are_analysed(numbers: list[float]) -> None:
    data, error = loading.numbers_from_text(
        "v\n" + "\n".join(map(repr, numbers)))
    assert data is not None, error
    assert len(data.values) == len(numbers)
    analysis, figure = loading.analyse(data)
    png, error = loading.render_png(analysis, figure, "t")
    assert error == "" and png is not None and png[:8] == PNG_SIGNATURE


@pytest.mark.parametrize("value, shown", [
    (0.0036, "0.004"), (-0.0, "0.000"), (2.212, "2.212"), (1e-90, "1.000e-90"),
    (-3e99, "-3.000e+99"), (123456.789, "123456.789")])
def test_results_show_every_magnitude(value: float, shown: str) -> None:
    assert loading.shown_number(value) == shown


def test_titles_are_drawn_as_written_never_as_math() -> None:
    """A URL may hold "$": as mathtext, "$\\left($" would not even draw."""
    values, _ = loading.simulate(100, 1)
    analysis, figure = loading.analyse(loading.Data(values))
    png, error = loading.render_png(analysis, figure,
                                    "Matrix data from http://h/a$\\left($b")
    assert error == "" and png is not None


def test_fetched_data_is_analysed_without_injected_anomalies(
        run_script, http_server, tmp_path: Path) -> None:
    url = http_server.serve("/big.csv", "v\n" + "\n".join(["1e99",
                                                           "-1e99"] * 30))
    done = fetch(run_script, url, tmp_path)
    assert done.returncode == 0, done.output
    assert "Received: CSV, 60 values from column 'v'" in done.lines
    assert not any(line.startswith("Injected") for line in done.lines)


@pytest.mark.parametrize("path, kwargs, message", [
    ("/missing", None, "the server answered HTTP 404 Not Found"),
    ("/empty", {"body": ""}, "the body is empty"),
    ("/garbage", {"body": "hello\nworld\nthis is not data\n"},
     "expected one numeric column, found 0"),
    ("/binary", {"body": b"\xff\xfe\x00garbage" * 10},
     "the body is not UTF-8 text"),
    ("/few", {"body": "v\n1\n2\n3\n"}, "found 3 numbers; the analysis needs"),
    ("/liar", {"body": "1\n", "length": 64 * 1024 * 1024},
     "over the 16 MiB limit"),
    ("/endless", {"endless": True}, "the body is over the 16 MiB limit"),
    ("/error", {"body": "boom", "status": 500},
     "the server answered HTTP 500"),
    ("/bad-request", {"body": "1\n" * 20, "status": 400},
     "the server answered HTTP 400 Bad Request"),
    ("/huge", {"body": "1e308\n-1e308\n" * 20},
     "its values reach 1e+308: float64 statistics need magnitudes between "
     "1e-100 and 1e+100 (scale the data)"),
    ("/tiny", {"body": "1e-300\n-2e-300\n" * 20}, "its values reach 2e-300"),
    ("/infinite", {"body": "1\ninf\n" * 20},
     "the numeric column holds infinite values"),
    ("/wide", {"body": ",".join("c%d" % i for i in range(5000)) + "\n"
               + ",".join("1" for _ in range(5000)) + "\n"},
     "expected one numeric column, found 5000 (c0, c1, c2, c3, c4 and "
     "4995 more)"),
    ("/names", {"body": "\x1b[2J%s,b\n1,2\n" % ("x" * 500)},
     "expected one numeric column, found 2 (\\x1b[2Jxxxxxxxxxxxxxxxxxxxx..."
     " and b)"),
    ("/escape", {"body": "x", "status": 418,
                 "reason": "I'm a \x1b[31mteapot"},
     "the server answered HTTP 418"),
    ("/bad-reply", {"raw": b"HELLO THERE\r\n\r\n"},
     "the reply is not valid HTTP"),
    ("/silent-close", {"raw": b""}, "the reply is not valid HTTP"),
    ("/two-lengths", {"raw": b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
                             b"Content-Length: 5\r\n\r\n12345"},
     "the reply is not valid HTTP"),
    ("/bad-location", {"status": 302, "location": "http://[::1:99999/\x1b"},
     "the URL (or a redirect's) cannot be fetched"),
    ("/cut", {"body": "1\n" * 10, "length": 1000},
     "the body ended early"),
    ("/loop", {"status": 302, "location": "/loop"},
     "more than 5 redirects"),
    ("/to-file", {"status": 302, "location": "file:///etc/passwd"},
     "the URL (or a redirect's) cannot be fetched"),
])
def test_fetch_failures_are_named(http_server, path: str, kwargs,
                                  message: str) -> None:
    url = http_server.serve(path, **kwargs) if kwargs else \
        http_server.url(path)
    options, _ = loading.parse_args(["--source", url])
    data, error = loading.load_data(options)
    assert data is None
    assert error.startswith("cannot use %s: " % url)
    assert message in error, error
    assert len(error) < 250 and error.isprintable()


@pytest.mark.parametrize("status, phrase", [
    (403, " Forbidden"), (404, " Not Found"), (429, " Too Many Requests"),
    (502, " Bad Gateway"), (418, ""), (599, "")])
def test_the_servers_reason_phrase_is_never_echoed(
        http_server, status: int, phrase: str) -> None:
    """A server or proxy may echo the request target, query and token
    included, as its reason phrase: the standard phrase is shown."""
    token = canary()
    url = http_server.serve("/echo-%d" % status, "x", status=status,
                            reason="/echo?tok=%s \x1b[2J" % token)
    text, error = loading.fetch_text(url + "?tok=" + token)
    assert text is None
    assert error == "the server answered HTTP %d%s" % (status, phrase)


def test_a_failed_fetch_is_one_line_and_no_figure(run_script, http_server,
                                                  tmp_path: Path) -> None:
    url = http_server.url("/nowhere")
    done = fetch(run_script, url, tmp_path)
    assert done.returncode == 1
    assert done.stderr == "loading.py: cannot use %s: the server answered " \
        "HTTP 404 Not Found\n" % url
    assert not (tmp_path / "matrix_analysis.png").exists()
    assert "Analyzing Matrix data..." not in done.lines


def test_connection_refused(run_script, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = fetch(run_script, "http://127.0.0.1:%d/data" % port, tmp_path)
    assert done.returncode == 1
    assert done.stderr == "loading.py: cannot use http://127.0.0.1:%d/data: " \
        "the connection was refused (nothing listens on that port)\n" % port


@pytest.mark.parametrize("env, message", [
    ({"HTTP_PROXY": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
      "NO_PROXY": "", "no_proxy": ""},
     "the proxy (HTTP_PROXY, HTTPS_PROXY or ALL_PROXY) refused or failed"),
    ({"ALL_PROXY": "http://127.0.0.1:9", "NO_PROXY": "", "no_proxy": ""},
     "the proxy (HTTP_PROXY, HTTPS_PROXY or ALL_PROXY) refused or failed"),
    ({"ALL_PROXY": "socks5://127.0.0.1:9", "NO_PROXY": "", "no_proxy": ""},
     "the proxy is a SOCKS proxy (socks:// in ALL_PROXY, HTTP_PROXY or "
     "HTTPS_PROXY), which requests reaches only with PySocks installed"),
    ({"REQUESTS_CA_BUNDLE": "FIFO"},
     "the TLS certificates it was told to trust cannot be read "
     "(REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE names a FIFO or a device)"),
    ({"CURL_CA_BUNDLE": "FIFO"},
     "the TLS certificates it was told to trust cannot be read "
     "(REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE names a FIFO or a device)"),
    ({"REQUESTS_CA_BUNDLE": "/nonexistent/ca.pem"},
     "the TLS certificates it was told to trust cannot be read"),
])
def test_proxies_and_certificate_bundles_are_named(
        run_script, http_server, https_server, tmp_path: Path,
        env: dict, message: str) -> None:
    if "FIFO" in env.values():
        os.mkfifo(tmp_path / "ca.pem")
        env = {k: str(tmp_path / "ca.pem") for k in env}
    server = https_server if set(env) & {"REQUESTS_CA_BUNDLE",
                                         "CURL_CA_BUNDLE"} else http_server
    url = server.serve("/via.csv", "1\n" * 20)
    done = run_script("loading", args=("--source", url), cwd=tmp_path,
                      env=env, timeout=60)
    assert done.returncode == 1
    assert message in done.stderr, done.stderr


def test_an_untrusted_certificate_is_named(run_script, https_server,
                                           tmp_path: Path) -> None:
    url = https_server.serve("/tls.csv", "1\n" * 20)
    done = fetch(run_script, url, tmp_path)
    assert done.returncode == 1
    assert done.stderr.endswith(": the server's TLS certificate is not "
                                "trusted (certificate verify failed)\n")


def test_https_to_a_plain_http_port_is_named(run_script, http_server,
                                             tmp_path: Path) -> None:
    http_server.serve("/plain.csv", "1\n" * 20)
    url = "https://127.0.0.1:%d/plain.csv" % http_server.port
    done = fetch(run_script, url, tmp_path)
    assert done.returncode == 1
    assert done.stderr.endswith(": the TLS handshake failed: the port does "
                                "not speak TLS (plain http? try http://)\n")


def test_a_silent_server_times_out(http_server,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "READ_TIMEOUT", 0.3)
    url = http_server.serve("/slow", "1\n2\n", delay=1.5)
    assert loading.fetch_text(url) == (
        None, "the server stopped answering (read timeout: 3.05 s to connect "
        "and shake hands, 10 s between reads)")


@contextlib.contextmanager
def raw_server(respond: Callable[[socket.socket], None]) -> Iterator[str]:
    """A server for one request, answered by ``respond`` on the raw
    socket (what http.server cannot send: a stall, a trickled header)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()

        def serve() -> None:
            conn, _ = listener.accept()
            conn.recv(65536)
            try:
                respond(conn)
            except OSError:
                pass
            conn.close()

        threading.Thread(target=serve, daemon=True).start()
        yield "http://127.0.0.1:%d/x" % listener.getsockname()[1]


def test_a_body_that_stalls_times_out(monkeypatch: pytest.MonkeyPatch
                                      ) -> None:
    monkeypatch.setattr(loading, "READ_TIMEOUT", 0.3)

    def stall(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n12")
        time.sleep(2)

    with raw_server(stall) as url:
        text, error = loading.fetch_text(url)
    assert text is None and "read timeout" in str(error)


def test_the_size_limit_holds_without_a_declared_length(
        http_server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "FETCH_LIMIT", 1000)
    url = http_server.serve("/undeclared", "1\n" * 750, length=-1)
    assert loading.fetch_text(url) == (None,
                                       "the body is over the 0 MiB limit")
    url = http_server.serve("/small-enough", "1\n" * 500, length=-1)
    assert loading.fetch_text(url) == ("1\n" * 500, None)


@pytest.mark.parametrize("head", [b"", b"HTTP/1.1 200 OK\r\n"])
def test_trickled_headers_meet_the_deadline(
        head: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """A status line or headers sent a byte at a time, each byte within
    the read timeout: only the deadline for the whole transfer ends it."""
    monkeypatch.setattr(loading, "FETCH_DEADLINE", 1.0)

    def trickle(conn: socket.socket) -> None:
        conn.sendall(head)
        for byte in b"HTTP/1.1 200 OK\r\n"[len(head):] + b"X-Slow: " \
                + b"x" * 100:
            conn.sendall(bytes([byte]))
            time.sleep(0.1)

    with raw_server(trickle) as url:
        start = time.monotonic()
        result = loading.fetch_text(url)
    assert result == (None, "the transfer took longer than 1 s")
    assert time.monotonic() - start < 3
    assert sys.getprofile() is None


def test_redirects_are_followed_five_times_at_most(http_server) -> None:
    url = http_server.serve("/round", status=302, location="/round")
    before = len(http_server.requests)
    assert loading.fetch_text(url) == (None, "more than 5 redirects")
    asked = [path for path, _ in http_server.requests[before:]]
    assert asked == ["/round"] * 6


def test_a_trickling_server_meets_the_deadline(
        http_server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "FETCH_DEADLINE", 1.0)
    url = http_server.serve("/trickle", "1\n" * 100, trickle=0.1)
    start = time.monotonic()
    assert loading.fetch_text(url) == (None,
                                       "the transfer took longer than 1 s")
    assert time.monotonic() - start < 3


def test_a_read_gets_no_more_time_than_is_left(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A byte just before the deadline, then silence: the read that
    follows must end at the deadline, not a whole read timeout later."""
    monkeypatch.setattr(loading, "FETCH_DEADLINE", 1.0)
    monkeypatch.setattr(loading, "READ_TIMEOUT", 2.0)

    def late_byte_then_silence(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")
        time.sleep(0.6)
        conn.sendall(b"1")
        time.sleep(4)

    with raw_server(late_byte_then_silence) as url:
        start = time.monotonic()
        result = loading.fetch_text(url)
        elapsed = time.monotonic() - start
    assert result == (None, "the transfer took longer than 1 s")
    assert elapsed < 2.0            # a whole read timeout: 2.6 s


def test_redirect_hops_share_one_deadline(
        http_server, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each hop slow, none over the read timeout: the deadline holds for
    the whole chain."""
    monkeypatch.setattr(loading, "FETCH_DEADLINE", 1.0)
    for hop in range(5):
        http_server.serve("/hop%d" % hop, status=302, delay=0.35,
                          location="/hop%d" % (hop + 1))
    http_server.serve("/hop5", "1\n" * 20)
    start = time.monotonic()
    assert loading.fetch_text(http_server.url("/hop0")) == (
        None, "the transfer took longer than 1 s")
    assert time.monotonic() - start < 1.6


@pytest.mark.skipif(not Path("/proc/self/status").exists(),
                    reason="the probe's peak memory is read from /proc")
def test_a_redirects_body_is_never_read(tmp_path: Path, http_server) -> None:
    """A 302 whose gzip body inflates to 256 MiB: requests would inflate it
    whole (to reuse the connection) before any limit applied."""
    import zlib
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)     # gzip framing
    bomb = b"".join(packer.compress(b"\0" * (1 << 20)) for _ in range(256))
    bomb += packer.flush()
    target = http_server.serve("/after-bomb.csv", "1\n" * 20)
    http_server.serve("/bomb", raw=b"HTTP/1.1 302 Found\r\nLocation: %s\r\n"
                      b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
                      % (target.encode(), len(bomb)) + bomb)
    # The probe's own peak: Linux carries ru_maxrss over execve, so it
    # would report this test process's size when that is larger; the
    # high-water mark of /proc/self/status belongs to the new program.
    probe = ("import importlib.util, sys\n"
             "spec = importlib.util.spec_from_file_location('m', "
             "sys.argv[1])\n"
             "module = importlib.util.module_from_spec(spec)\n"
             "spec.loader.exec_module(module)\n"
             "print(module.fetch_text(sys.argv[2]))\n"
             "status = open('/proc/self/status').read().split('VmHWM:')\n"
             "print(status[1].split()[0])\n")
    done = run([sys.executable, "-c", probe, str(ROOT / "ex01" / "loading.py"),
                http_server.url("/bomb")], cwd=tmp_path)
    result, peak_kib = done.stdout.splitlines()
    assert result == repr(("1\n" * 20, None))
    assert int(peak_kib) < 200 * 1024, peak_kib


def test_credentials_follow_a_redirect_to_the_same_host_only(
        http_server) -> None:
    user, password = canary(), canary()
    http_server.serve("/same-target", "1\n" * 20)
    http_server.serve("/other-target", "1\n" * 20)
    http_server.serve("/to-same", status=302, location="/same-target")
    http_server.serve("/to-other", status=302, location="http://localhost:%d"
                      "/other-target" % http_server.port)
    for start in ("/to-same", "/to-other"):
        text, error = loading.fetch_text(http_server.url(
            start, userinfo="%s:%s" % (user, password)))
        assert error is None
    sent = dict(http_server.requests)
    assert sent["/to-same"] and sent["/same-target"] == sent["/to-same"]
    assert sent["/to-other"] and sent["/other-target"] is None


def test_a_netrc_fifo_never_hangs_a_fetch(run_script, http_server,
                                          tmp_path: Path) -> None:
    """requests opens ~/.netrc (or NETRC) blindly: a FIFO there would
    hang the run; the fetch never reads it."""
    os.mkfifo(tmp_path / ".netrc")
    url = http_server.serve("/netrc.csv",
                            "\n".join(str(i % 7) for i in range(30)))
    for env in ({"HOME": str(tmp_path)}, {"NETRC": str(tmp_path / ".netrc")}):
        done = run_script("loading", args=("--source", url), cwd=tmp_path,
                          env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "Analysis complete!" in done.lines


@pytest.mark.parametrize("length", ["\u00b2\u00b3", "12x", "-1", "\u0663"])
def test_a_content_length_that_is_not_a_number_is_named(
        length: str) -> None:
    def reply(conn: socket.socket) -> None:
        # http.client reads header bytes as Latin-1: a server sends the
        # byte of "²" as such (a UTF-8 "٣" arrives as two other bytes).
        conn.sendall(("HTTP/1.1 200 OK\r\nContent-Length: %s\r\n\r\n1\n"
                      % length).encode("latin-1", "replace")
                     if length.isascii() or length < "\u0100"
                     else ("HTTP/1.1 200 OK\r\nContent-Length: %s\r\n\r\n"
                           "1\n" % length).encode())

    with raw_server(reply) as url:
        text, error = loading.fetch_text(url)
    assert text is None
    assert error == "the reply is not valid HTTP (its Content-Length is " \
        "not a number)"


def test_a_backslash_in_the_source_is_refused(run_script) -> None:
    """requests reads "\\" as "/": 127.0.0.1 would be contacted while
    host.invalid was shown."""
    done = run_script("loading", args=(
        "--source", "http://127.0.0.1:9\\@host.invalid/x"))
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == \
        "loading.py: error: --source: a URL cannot hold '\\' (write it as %5C)"


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9#@host.invalid/x", "http://127.0.0.1:9?@host.invalid/",
    "http://127.0.0.1:9/@host.invalid/", "https://u:pa/ss@host.invalid/x",
    "https://h.invalid/x?email=neo@zion.example"])
def test_an_at_sign_past_the_host_is_refused(run_script, url: str) -> None:
    """requests ends the host at the first '/', '?' or '#', the mask at the
    last '@': the host shown would not be the host contacted."""
    done = run_script("loading", args=("--source", url))
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == "loading.py: error: --source: an " \
        "'@' after a '/', '?' or '#' leaves the host unclear (write it as %40)"
    assert "127.0.0.1" not in done.stdout + done.stderr


def test_credentials_in_the_url_are_masked(run_script, http_server,
                                           tmp_path: Path) -> None:
    http_server.serve("/secret.csv", "\n".join(str(i % 9)
                                               for i in range(50)))
    user, secret, token, fragment = (canary() for _ in range(4))
    url = http_server.url("/secret.csv?api_token=%s&n=1#%s"
                          % (token, fragment),
                          userinfo="%s:%s" % (user, secret))
    done = fetch(run_script, url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Data source: http://***:***@127.0.0.1:%d/secret.csv?***#***" \
        % http_server.port in done.lines
    missing = http_server.url("/nothing?password=" + token, userinfo=secret)
    failed = fetch(run_script, missing, tmp_path)
    png = (tmp_path / "matrix_analysis.png").read_bytes()
    planted = [user, secret, token, fragment]
    assert leaks(done.output + failed.output, planted) == []
    assert leaks(png, planted) == []
    options, _ = loading.parse_args(["--source", url])
    data, _ = loading.load_data(options)
    assert data is not None
    assert leaks(loading.figure_title(data), planted) == []


def test_canaries_in_arguments_never_reach_the_output(
        run_script, http_server, tmp_path: Path) -> None:
    """Every error path a --source URL or an argument can take."""
    user, secret, token, fragment, other = (canary(20, extra)
                                            for extra in ("", "@/:", "=&",
                                                          "#", " x"))
    planted = [user, secret, token, fragment, other]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    creds = "%s:%s@" % (user, secret)
    tail = "?key=%s#%s" % (token, fragment)
    port = http_server.port
    runs = [
        ("--source", "http://%s127.0.0.1:%d/none%s" % (creds, port, tail)),
        ("--source", "http://%s127.0.0.1:%d/x%s" % (creds, closed, tail)),
        ("--source", "https://%s127.0.0.1:%d/x%s" % (creds, port, tail)),
        ("--source", "ftp://%s127.0.0.1/x%s" % (creds, tail)),
        ("--source", "http://%s127.0.0.1:%d/x%s" % (creds, port, tail),
         "--points", "50"),
        ("--points", other), ("--seed", other), ("--output", other),
        ("--%s=1" % other,), (other,),
    ]
    for args in runs:
        done = run_script("loading", cwd=tmp_path, args=args)
        assert done.returncode in (1, 2), args
        assert "Traceback" not in done.output
        assert leaks(done.output, planted) == [], args


def test_shown_url_hides_what_oracle_hides() -> None:
    # The same rules as oracle.py's: see tests/test_twins.py.
    assert loading.shown_url("https://u:p@h:1/x?a=1#f") == \
        "https://***:***@h:1/x?***#***"


@pytest.mark.parametrize("reason, words", [
    ("NameResolutionError gaierror", "host name cannot be resolved"),
    ("ConnectionRefusedError", "connection was refused"),
    ("ConnectTimeoutError timed out", "no connection within"),
    ("ChunkedEncodingError", "the body ended early"),
    ("ContentDecodingError", "compression is broken"),
    ("OSError unreachable", "cannot connect"),
    ("ValueError", "the URL (or a redirect's) cannot be fetched"),
    ("KeyError", "the request failed (Boom)"),
])
def test_failure_reasons_by_kind(reason: str, words: str) -> None:
    kind, _, message = reason.partition(" ")
    error_class = type(kind, (Exception,), {})
    outer = type("Boom", (Exception,), {})
    try:
        try:
            raise error_class(message)
        except Exception as inner:
            raise outer("http://user:secret@h/") from inner
    except Exception as error:
        said = loading.failure_reason(error)
    assert words in said and "secret" not in said


def test_failure_reason_survives_cyclic_chains() -> None:
    first, second = KeyError("a"), IndexError("b")
    first.__context__, second.__context__ = second, first
    assert loading.failure_reason(first) == "the request failed (KeyError)"


def test_png_buffer_collects_what_savefig_writes() -> None:
    buffer = loading.PngBuffer()
    assert buffer.write(b"ab") == 2 and buffer.write(bytearray(b"c")) == 1
    buffer.flush()
    assert b"".join(buffer.parts) == b"abc"


def test_text_buffer_reads_like_a_file() -> None:
    buffer = loading.TextBuffer("a\nbc\n")
    assert buffer.readline() == "a\n" and buffer.tell() == 2
    assert list(buffer) == ["bc\n"]
    assert buffer.seek(0) == 0 and buffer.read(1) == "a"
    assert buffer.seek(-1, 2) == 4 and buffer.read() == "\n"
    with pytest.raises(OSError):
        buffer.fileno()


def test_environment_variables_stay_out_of_the_figure(
        run_script, tmp_path: Path) -> None:
    secret = canary()
    done = run_script("loading", cwd=tmp_path, args=("--points", "50"),
                      env={"API_KEY": secret, "MPLBACKEND": "Agg"})
    assert done.returncode == 0
    assert leaks((tmp_path / "matrix_analysis.png").read_bytes(),
                 [secret]) == []


# --- Every documented bound at its edge, and one on each side ----------------

@pytest.mark.parametrize("count, accepted", [(9, False), (10, True),
                                             (11, True)])
def test_the_minimum_of_fetched_numbers(count: int, accepted: bool) -> None:
    data, why = loading.numbers_from_text("v\n" + "\n".join(
        str(i % 4) for i in range(count)))
    assert (data is not None) == accepted, why
    if not accepted:
        assert why == "found 9 numbers; the analysis needs at least 10"


@pytest.mark.parametrize("peak, accepted", [
    (1e100, True), (1.0000000000000002e100, False), (9.99e99, True),
    (1e-100, True), (9.99e-101, False), (1.01e-100, True)])
def test_the_magnitudes_analysed(peak: float, accepted: bool) -> None:
    data, why = loading.numbers_from_text("\n".join(
        ["v", repr(peak)] + ["0"] * 20))
    assert (data is not None) == accepted, why


@pytest.mark.parametrize("value, shown", [
    (0.001, "0.001"), (0.000999, "9.990e-04"), (0.0010001, "0.001"),
    (999999999.9, "999999999.900"), (1e9, "1.000e+09"),
    (1.0000001e9, "1.000e+09"), (-1e9, "-1.000e+09"), (-0.001, "-0.001")])
def test_the_switch_to_exponents(value: float, shown: str) -> None:
    assert loading.shown_number(value) == shown


@pytest.mark.parametrize("points", [10, 11, 59, 60, 61, 79, 80, 99, 100,
                                    101, 499, 500, 501, 520, 1000, 5000])
def test_the_rolling_window_is_odd_and_centred(points: int) -> None:
    """An even window cannot be centred: odd for every size, from 3 for
    the smallest inputs to 25."""
    analysis, _ = analysed([float(i % 5) for i in range(points)])
    assert analysis.window % 2 == 1
    assert analysis.window == max(3, min(25, points // 20)) | 1
    assert 3 <= analysis.window <= 25


@pytest.mark.parametrize("name, accepted", [
    ("out.png", True), ("OUT.PNG", True), ("out.Png", True),
    ("out.pngx", False), ("out.jpg", False), ("png", False)])
def test_the_output_must_be_a_png(name: str, accepted: bool) -> None:
    options, error = loading.parse_args(["--output", name])
    assert (error is None) == accepted
    if accepted:
        assert options.output == name


def test_an_upper_case_png_is_written(tmp_path: Path) -> None:
    done = run([sys.executable, str(ROOT / "ex01" / "loading.py"),
                "--points", "50", "--output", "FIGURE.PNG"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "FIGURE.PNG").read_bytes()[:8] == PNG_SIGNATURE


@pytest.mark.parametrize("size, accepted", [(999, True), (1000, True),
                                            (1001, False)])
def test_the_size_limit_at_its_edge(http_server, size: int, accepted: bool,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "FETCH_LIMIT", 1000)
    body = ("1\n" * 500)[:size - 1] + "\n" if size > 1 else "1"
    for length in (None, -1):           # declared, and undeclared
        url = http_server.serve("/edge-%d-%s" % (size, length), body,
                                length=length)
        text, error = loading.fetch_text(url)
        assert (text == body) == accepted, error


@pytest.mark.parametrize("hops, accepted", [(4, True), (5, True),
                                            (6, False)])
def test_the_redirect_limit_at_its_edge(http_server, hops: int,
                                        accepted: bool) -> None:
    final = http_server.serve("/chain-%d-end" % hops, "1\n" * 20)
    for hop in range(hops):
        http_server.serve("/chain-%d-%d" % (hops, hop), status=302,
                          location=final if hop == hops - 1
                          else "/chain-%d-%d" % (hops, hop + 1))
    text, error = loading.fetch_text(http_server.url("/chain-%d-0" % hops))
    assert (text is not None) == accepted, error
    if not accepted:
        assert error == "more than 5 redirects"


@pytest.mark.parametrize("count", [4, 5, 6, 7])
def test_the_listing_cap(count: int) -> None:
    items = ["c%d" % i for i in range(count)]
    text = loading.listed(items)
    if count <= 5:
        assert text == ", ".join(items[:-1]) + " and " + items[-1]
    else:
        assert text == ", ".join(items[:5]) + " and %d more" % (count - 5)


@pytest.mark.parametrize("length", [59, 60, 61])
def test_the_echo_cap(length: int) -> None:
    text = "x" * length
    shown = loading.clipped(text)
    assert shown == (text if length <= 60 else "x" * 57 + "...")


# --- Printed commands paste from a folder whose name needs quoting -----------

@pytest.mark.parametrize("where", ["above", "ex01"])
@pytest.mark.parametrize("interpreter", ["venv", "global"])
def test_install_commands_name_real_files_from_an_awkward_folder(
        bare_venv: Path, tmp_path: Path, where: str,
        interpreter: str) -> None:
    """A space, a quote and a '$' in the folder: each path the shell reads
    back from the printed commands is a real file, in a venv's route and
    in a global interpreter's (a new matrix_env, then its own pip)."""
    import shlex
    root = tmp_path / "neo's matrix $dir"
    root.mkdir()
    script = copy_project(root, "numpy==2.2.6\n", lock=True)
    cwd = tmp_path if where == "above" else script.parent
    typed = script.relative_to(cwd)
    python = venv_python(bare_venv)
    if interpreter == "global":
        python = clean_global_python("pandas")
    done = run([str(python), str(typed)], cwd=cwd)
    commands = install_commands(done.stdout.splitlines())
    pip = shlex.split(commands["pip"])
    if interpreter == "global":
        assert pip[1:4] == ["-m", "venv", "matrix_env"]
        assert (cwd / pip[-1]).resolve() == script.resolve()
    assert (cwd / pip[pip.index("-r") + 1]).is_file()
    assert (cwd / pip[pip.index("-r") + 1]).parent.resolve() \
        == script.parent.resolve()
    poetry = shlex.split(commands["Poetry"])
    assert (cwd / poetry[-1]).resolve() == script.resolve()
    if "-P" in poetry:
        assert (cwd / poetry[poetry.index("-P") + 1] / "pyproject.toml"
                ).is_file()
    else:
        assert (cwd / "pyproject.toml").is_file()


# --- Properties: any body, any manifest, any argument -----------------------

ODD = st.sampled_from(list(
    " \t\r\n\x0b\x0c\x85\xa0\u2028\u2029\ufeff\x00\x1b\u202e\"';,.-+eE"
    "\u00b2\u0663\uff11#@:/?=%\\$") + ["1e308", "99999999999999999999999",
                                       "nan", "inf", "1,5", "${X}"])
BODY = st.lists(st.one_of(ODD, st.characters(), st.sampled_from(
    "0123456789")), max_size=200).map("".join)
NUMBERS = st.lists(st.floats(allow_nan=True, allow_infinity=True),
                   min_size=0, max_size=60)


@settings(max_examples=200, deadline=None)
@given(body=st.one_of(
    BODY,
    NUMBERS.map(lambda xs: "\n".join(map(repr, xs))),
    NUMBERS.map(lambda xs: "v;w\n" + "\n".join(
        "%r;%s" % (x, repr(x).replace(".", ",")) for x in xs)),
    NUMBERS.map(lambda xs: "[" + ", ".join(map(repr, xs)) + "]")))
def test_any_body_is_analysed_or_refused_in_one_line(body: str) -> None:
    data, why = loading.numbers_from_text(body)
    if data is None:
        assert why and why.isprintable() and "\n" not in why
        return
    assert len(data.values) >= loading.MIN_POINTS
    analysis, figure = loading.analyse(data)
    assert all(line.isprintable() for line in loading.results_lines(analysis))


@settings(max_examples=300, deadline=None)
@given(text=BODY)
def test_any_manifest_parses_without_an_exception(text: str) -> None:
    secret = canary()
    text = text + "\n-i https://u:%s@h/simple\n" % secret
    pins = loading.parse_requirements(text)
    loading.parse_poetry_lock(text)
    for _, line in pins[""]:
        shown = loading.shown_requirement(line)
        assert shown.isprintable() and leaks(shown, [secret]) == []
    for marker in text.split(";"):
        assert loading.marker_applies(marker, (3, 11)) in (True, False, None)


@settings(max_examples=300, deadline=None)
@given(argv=st.lists(st.one_of(BODY, st.sampled_from(
    ["--points", "--seed", "--source", "--output", "-h", "--points=\u00b2",
     "--source=http://127.0.0.1:\u00b2/x", "--output=x.PNG"])), max_size=4))
def test_any_arguments_parse_or_give_one_printable_error(argv: list[str]
                                                         ) -> None:
    secret = canary()
    argv = argv + ["--source=https://u:%s@h/?t=%s" % (secret, secret)]
    options, error = loading.parse_args(argv)
    if error is not None:
        assert error.isprintable() and leaks(error, [secret]) == []


def test_hostile_names_are_escaped_wherever_they_are_echoed(
        tmp_path: Path, bare_venv: Path) -> None:
    """An output file, a folder and a column named with ESC, a newline and
    a bidi override: every echo is escaped."""
    hostile = "bad\x1b[2J\u202e\nname"
    done = run([sys.executable, str(ROOT / "ex01" / "loading.py"),
                "--points", "50", "--output", hostile + ".png"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Results saved to: bad\\x1b[2J\\u202e\\nname.png" in done.stdout
    done = run([sys.executable, str(ROOT / "ex01" / "loading.py"),
                "--points", "50", "--output", hostile + "/x.png"],
               cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.isprintable() is False       # its one newline
    assert done.stderr.rstrip("\n").isprintable(), done.stderr
    folder = tmp_path / hostile
    folder.mkdir()
    script = copy_project(folder, "numpy==2.2.6\n", lock=True)
    done = run([str(venv_python(bare_venv)), str(script.relative_to(
        tmp_path))], cwd=tmp_path)
    for output in (done.stdout, done.stderr):
        assert "\x1b" not in output and "\u202e" not in output
    assert all(line.isprintable() for line in done.stdout.splitlines())


# --- What import really loads, and what the packages themselves need --------

def requiring(venv: Path, marker: Path, requires: dict[str, list[str]],
              versions: "dict[str, str] | None" = None) -> None:
    """FAKES planted in a venv, with Requires-Dist lines and versions."""
    for dist, module in FAKES:
        version = (versions or {}).get(dist, "9.9.9")
        plant(venv, dist, module, version=version, body=marker_body(marker))
        info = site_packages(venv) / ("%s-%s.dist-info" % (dist, version))
        with open(info / "METADATA", "a") as metadata_file:
            metadata_file.write("".join("Requires-Dist: %s\n" % line
                                        for line in requires.get(dist, [])))


def hiding_venv(tmp_path: Path, fresh_venv) -> tuple[Path, Path]:
    """A venv with every package planted, and a copy of ex01 beside."""
    venv = fresh_venv()
    for dist, module in FAKES:
        plant(venv, dist, module, version="2.4.6")
    ex01 = tmp_path / "ex01"
    shutil.copytree(ROOT / "ex01", ex01)
    return venv, ex01


def test_a_file_named_like_a_package_in_the_scripts_folder(
        run_script, tmp_path: Path, fresh_venv) -> None:
    """A learner's ex01/numpy.py: never [OK], nothing imported, no advice
    to reinstall; the file is named, and what to do with it."""
    venv, ex01 = hiding_venv(tmp_path, fresh_venv)
    (ex01 / "numpy.py").write_text("raise SystemExit('RAN-NUMPY-PY')\n")
    done = run_script(ex01 / "loading.py", python=venv_python(venv))
    assert done.returncode == 1 and "RAN-NUMPY-PY" not in done.output
    assert dependency_lines(done.lines)[3] == (
        "[HIDDEN] numpy (2.4.6) - import numpy loads %s/numpy.py instead"
        % ex01)
    assert section(done.lines, "Earlier on sys.path than the installed "
                   "packages, and imported in their place:")[1:] == [
        "  %s/numpy.py (from this script's folder): rename or move it"
        % ex01]
    assert not any("reinstall" in line.lower() for line in done.lines)
    assert "Analyzing Matrix data..." not in done.lines


def test_a_package_folder_on_pythonpath(run_script, tmp_path: Path,
                                        fresh_venv) -> None:
    venv, ex01 = hiding_venv(tmp_path, fresh_venv)
    folder = tmp_path / "practice"
    (folder / "requests").mkdir(parents=True)
    (folder / "requests" / "__init__.py").write_text("")
    done = run_script(ex01 / "loading.py", python=venv_python(venv),
                      env={"PYTHONPATH": str(folder)})
    assert done.returncode == 1
    assert "[HIDDEN] requests (2.4.6) - import requests loads %s/requests/"\
        "__init__.py instead" % folder in done.lines
    assert "  %s/requests/__init__.py (from PYTHONPATH): unset PYTHONPATH "\
        "(or take that folder out of it), or rename or move it" % folder \
        in done.lines


def test_a_hiding_file_and_nothing_installed(run_script, tmp_path: Path,
                                             bare_venv: Path) -> None:
    ex01 = tmp_path / "ex01"
    shutil.copytree(ROOT / "ex01", ex01)
    (ex01 / "pandas.py").write_text("")
    done = run_script(ex01 / "loading.py", python=venv_python(bare_venv))
    assert done.returncode == 1
    assert dependency_lines(done.lines)[0] == (
        "[HIDDEN] pandas (not installed) - import pandas loads %s/pandas.py"
        " instead" % ex01)
    assert "Install the missing packages, then run this program again:" \
        in done.lines


def test_two_installed_copies_say_which_loads(run_script, tmp_path: Path,
                                              fresh_venv) -> None:
    """A second numpy installed with pip into a PYTHONPATH folder comes
    first on sys.path: it loads, the venv's own is hidden."""
    pytest.importorskip("pip")
    venv, ex01 = hiding_venv(tmp_path, fresh_venv)
    wheel = tmp_path / "numpy-1.26.4-py3-none-any.whl"
    import zipfile
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("numpy/__init__.py", "")
        info = "numpy-1.26.4.dist-info/"
        archive.writestr(info + "METADATA", "Metadata-Version: 2.1\n"
                         "Name: numpy\nVersion: 1.26.4\n")
        archive.writestr(info + "WHEEL", "Wheel-Version: 1.0\n"
                         "Generator: test\nRoot-Is-Purelib: true\n"
                         "Tag: py3-none-any\n")
        archive.writestr(info + "RECORD", "")
    second = tmp_path / "second"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "--no-index", "--no-deps", "--target", str(second),
                    str(wheel)], check=True, capture_output=True,
                   timeout=120)
    done = run_script(ex01 / "loading.py", python=venv_python(venv),
                      env={"PYTHONPATH": str(second)})
    assert "[OK] numpy (1.26.4) - Numerical computation ready" in done.lines
    assert section(done.lines, "Installed more than once (import loads "
                   "the first it finds on sys.path):")[1:] == [
        "  numpy 1.26.4 in %s: loads" % second,
        "  numpy 2.4.6 in %s: hidden" % site_packages(venv)]


def test_unmet_requirements_are_told_as_pip_check_tells_them(
        run_script, fresh_venv, tmp_path: Path) -> None:
    venv = fresh_venv()
    requiring(venv, tmp_path / "imported", {"pandas": [
        "numpy>=2.0.2", "tzdata>=2022.7", "pytest>=7; extra == 'test'",
        "numpy<1; python_version < '3.0'",
        # A marker it cannot evaluate here is not counted: pip would read
        # platform_machine; this script cannot, does not guess, and says
        # so in one line.
        "numpy>=99; platform_machine == 'x86_64'",
        "numpy (>=1.0,!=1.26.3) ; sys_platform != 'nonesuch'"]},
        versions={"numpy": "1.26.4"})
    done = run_script("loading", python=venv_python(venv))
    python = venv_python(venv)
    assert section(done.lines, "Requirements of the installed packages (as"
                   " pip check reads them):")[1:] == [
        "pandas 9.9.9 requires numpy>=2.0.2, but numpy 1.26.4 is installed",
        "pandas 9.9.9 requires tzdata>=2022.7, which is not installed",
        "pandas 9.9.9 requires numpy>=99: not checked (its marker is not "
        "one this script reads)",
        "Fix: %s -m ensurepip && %s -m pip install 'numpy>=2.0.2' "
        "'tzdata>=2022.7'" % (python, python)]


def test_a_package_broken_by_an_unmet_requirement_is_not_reinstalled(
        run_script, fresh_venv, tmp_path: Path) -> None:
    venv = fresh_venv()
    requiring(venv, tmp_path / "imported", {"pandas": ["numpy>=2"]},
              versions={"numpy": "1.26.4"})
    (site_packages(venv) / "pandas" / "__init__.py").write_text(
        "raise ImportError('numpy.core.multiarray failed to import')\n")
    done = run_script("loading", python=venv_python(venv))
    assert done.returncode == 1
    assert "A package is installed but cannot be imported: meet the "\
        "requirements above first (reinstalling pandas alone would not "\
        "change them)." in done.lines
    assert not any("--force-reinstall" in line for line in done.lines)


@pytest.mark.parametrize("version, specifier, meets", [
    ("2.0.2", ">=2.0.2", True), ("1.26.4", ">=2.0.2", False),
    ("2.0.0rc1", ">=2.0.0", False), ("2.0.0", ">2.0.0rc1", True),
    ("1.4.5", "~=1.4", True), ("2.0", "~=1.4", False),
    ("1.4.5", "~=1.4.2", True), ("1.5.0", "~=1.4.2", False),
    ("2.3.1", "==2.*", True), ("3.0", "==2.*", False),
    ("2.3.1", "!=2.3.*", False), ("1.0.post1", ">1.0.dev0", True),
    # PEP 440: >V excludes V's post-releases, <V its pre-releases.
    ("1.0.post1", ">1.0", False), ("1.0.dev0", "<1.0", False),
    ("0.9", "<1.0", True), ("1.0+local", "==1.0", True),
    ("3", "<4", True), ("1.21.1", "<3,>=1.21.1".split(",")[1], True),
    ("weird", ">=1", None),
    # isdigit() takes "²", int() does not: not a version it reads.
    ("2.\u00b2", ">=1", None), ("2.0", ">=1.\u00b2", None),
    ("\u0662.0", ">=1", None),
    # A post-release's dev release is after the release it follows; a dev
    # release under a dev bound is compared as it is.
    ("1.0.post1.dev1", ">=1.0", True), ("1.0.dev3", "<1.0.dev5", True),
    ("1.0.dev5", "<1.0.dev5", False),
])
def test_satisfies(version: str, specifier: str, meets) -> None:
    assert loading.satisfies(version, specifier) is meets


@pytest.mark.parametrize("marker, applies", [
    ('python_version >= "3.9"', True),
    ('python_version < "3.9"', False),
    ("extra == 'test'", False),
    ('(python_version >= "3.9" or extra == "x") and '
     'implementation_name == "cpython"', True),
    ('sys_platform == "win32" and python_version >= "3"',
     sys.platform == "win32"),
    ('platform_machine == "x86_64"', None),
    ('"linux" in sys_platform', "linux" in sys.platform),
    ('python_full_version not in "2.7.1, 3.0.0"', True),
    # An unknown side decides nothing when the other does: one true side
    # makes "or" true, one false side makes "and" false.
    ('platform_machine == "x" or python_version >= "3"', True),
    ('python_version >= "3" or platform_machine == "x"', True),
    ('platform_machine == "x" and python_version < "3"', False),
    ('python_version < "3" and platform_machine == "x"', False),
    ('platform_machine == "x" and python_version >= "3"', None),
    # Brackets up to MAX_DEPTH deep are read; one more is refused.
    ("(" * 30 + 'python_version >= "3"' + ")" * 30, True),
    ("(" * 31 + 'python_version >= "3"' + ")" * 31, None),
])
def test_markers_are_evaluated_for_this_interpreter(marker: str,
                                                    applies) -> None:
    env = loading.marker_environment()
    env["implementation_name"] = "cpython"
    assert loading.evaluate_marker(marker, env) is applies


@pytest.mark.parametrize("first, origin", [
    ("", "the working directory"), (".", "the working directory"),
    ("/home/neo/ex01", "this script's folder")])
def test_what_comes_before_the_installed_packages(
        monkeypatch: pytest.MonkeyPatch, first: str, origin: str) -> None:
    """sys.path up to the standard library's zip: the script's folder (the
    working directory under python -c), then PYTHONPATH; nothing after."""
    monkeypatch.setattr(sys, "path", [
        first, "/opt/extra", "/usr/lib/python311.zip", "/usr/lib/python3.11",
        "/usr/lib/python3/dist-packages"])
    monkeypatch.setattr(sys, "flags", type("flags", (), {
        "safe_path": False, "isolated": 0})())
    assert loading.path_origins() == {first: origin,
                                      "/opt/extra": "PYTHONPATH"}


# --- Differential tests: each re-implementation against the real tool -------
#
# Generated inputs, a small fixed budget in the ordinary run and a larger
# one with MATRIX_DEEP=1; the script must give the real tool's answer, or
# refuse in one line what it does not read.

# PEP 440 versions as people write them: every spelling packaging takes,
# and a few it refuses.
SEPARATOR = st.sampled_from(["", ".", "-", "_"])
NUMBER = st.one_of(st.integers(0, 12).map(str), st.sampled_from(
    ["00", "007", "2024", "1" * 31, "9" * 40]))
PRE = st.tuples(SEPARATOR, st.sampled_from(
    ["a", "b", "rc", "c", "alpha", "beta", "pre", "preview", "A", "RC"]),
    SEPARATOR, st.one_of(st.just(""), NUMBER)).map("".join)
POST = st.one_of(st.tuples(st.just("-"), NUMBER).map("".join), st.tuples(
    SEPARATOR, st.sampled_from(["post", "rev", "r", "POST"]), SEPARATOR,
    st.one_of(st.just(""), NUMBER)).map("".join))
DEV = st.tuples(SEPARATOR, st.sampled_from(["dev", "DEV"]), SEPARATOR,
                st.one_of(st.just(""), NUMBER)).map("".join)
LOCAL = st.tuples(st.just("+"), st.sampled_from(
    ["local", "ubuntu.1", "abc-2_x", "1.0", "", "a..b", "é"])).map("".join)
# Mostly the same few releases, so that a version and a specifier often
# share one and meet PEP 440's exclusions (>1.0 and 1.0.post1).
RELEASE = st.one_of(st.sampled_from(["1", "1.0", "1.0.0", "0.9", "1.1"]),
                    st.lists(NUMBER, min_size=1, max_size=5).map(".".join))
VERSION_TEXT = st.tuples(
    st.sampled_from(["", "", "", "v", "V", " "]),
    st.sampled_from(["", "", "", "", "1!", "0!", "x!"]), RELEASE,
    st.one_of(st.just(""), PRE), st.one_of(st.just(""), POST),
    st.one_of(st.just(""), DEV), st.one_of(st.just(""), st.just(""), LOCAL),
    st.sampled_from(["", "", "", "", " ", ".", "-", "x", "\u00b2"]),
).map("".join)
SPECIFIER_TEXT = st.tuples(
    st.sampled_from(["==", "!=", ">=", "<=", ">", "<", "~=", "===", "=",
                     ""]), st.sampled_from(["", "", " "]),
    st.one_of(VERSION_TEXT, RELEASE.map(lambda r: r + ".*"),
              VERSION_TEXT.map(lambda v: v + ".*"))).map("".join)


def too_long(text: str) -> bool:
    """Whether text holds a number of more digits than the script reads."""
    run = 0
    for character in text:
        run = run + 1 if character in "0123456789" else 0
        if run > loading.MAX_DIGITS:
            return True
    return False


def packaging_contains(version: str, specifier: str) -> "bool | None":
    """pip check's own call: Specifier.contains(..., prereleases=True);
    None when packaging refuses the version or the specifier."""
    from packaging.specifiers import InvalidSpecifier, Specifier
    from packaging.version import InvalidVersion, Version
    try:
        spec = Specifier(specifier)
        if spec.operator != "===":
            Version(version)
    except (InvalidSpecifier, InvalidVersion, ValueError):
        return None
    return spec.contains(version, prereleases=True)


@budget(400, 5000)
@given(version=VERSION_TEXT, specifier=SPECIFIER_TEXT)
def test_specifiers_agree_with_packaging(version: str, specifier: str
                                         ) -> None:
    """The same verdict as packaging; a refusal (None) only where
    packaging refuses too, or for what the script says it does not read:
    numbers of over MAX_DIGITS digits, a specifier with a local part."""
    pytest.importorskip("packaging")
    expected = packaging_contains(version, specifier)
    got = loading.satisfies(version, specifier)
    if got is None:
        assert expected is None or too_long(version + specifier) \
            or "+" in specifier, (version, specifier, expected)
    else:
        assert got is expected, (version, specifier, expected)


MARKER_VALUES = {
    "python_version": ["3", "3.8", "3.10", "3.11", "3.12", "3.13", "3.9",
                       "2.7", "3.*", "3.11.*", "4", "3.11.0", "x"],
    "python_full_version": ["3.11.7", "3.10.0", "3.12.1rc1", "3.13.0",
                            "3.11", "3.11.*", "3.14.0a1"],
    "sys_platform": ["linux", "win32", "darwin", "lin", "emscripten"],
    "platform_system": ["Linux", "Windows", "Darwin"],
    "os_name": ["posix", "nt", "po"],
    "implementation_name": ["cpython", "pypy", "c"],
    "platform_python_implementation": ["CPython", "PyPy"],
    "extra": ["test", "", "doc"],
    "platform_machine": ["x86_64", "aarch64"],
}
MARKER_OPS = ["==", "!=", "<", "<=", ">", ">=", "~=", "===", "in",
              "not in"]


@st.composite
def comparisons(draw: st.DrawFn) -> str:
    variable = draw(st.sampled_from(sorted(MARKER_VALUES)))
    value = draw(st.sampled_from(MARKER_VALUES[variable]))
    quote = draw(st.sampled_from(['"', "'"]))
    op = draw(st.sampled_from(MARKER_OPS))
    space = draw(st.sampled_from([" ", "", "  "]))
    literal = quote + value + quote
    sides = [variable, literal]
    if draw(st.integers(0, 4)) == 0:
        sides.reverse()         # "3.8" < python_version
    return sides[0] + space + op + space + sides[1]


MARKERS = st.recursive(
    comparisons(),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from([" and ", " or "]), inner).map(
            "".join),
        inner.map(lambda m: "(" + m + ")")),
    max_leaves=6)


def refusable(marker: str) -> bool:
    """What the script says it cannot tell: a variable sys does not
    give, and text compared by order (packaging's answer for it changed
    between its versions)."""
    from packaging.version import InvalidVersion, Version
    if "platform_machine" in marker:
        return True
    if any(op in marker for op in ("<", ">", "~=", "===")):
        return True
    # A version variable against what is no version: packaging raised,
    # and now answers False.
    for literal in marker.replace("'", '"').split('"')[1::2]:
        try:
            Version(literal)
        except InvalidVersion:
            if "version" in marker:
                return True
    return False


@budget(300, 5000)
@given(marker=MARKERS)
def test_markers_agree_with_packaging(marker: str) -> None:
    packaging_markers = pytest.importorskip("packaging.markers")
    env = loading.marker_environment()
    full = dict(packaging_markers.default_environment())
    full.update(env)
    try:
        expected = packaging_markers.Marker(marker).evaluate(full)
    except Exception:   # InvalidMarker, UndefinedComparison and the like
        expected = None
    got = loading.evaluate_marker(marker, env)
    if got is None:
        assert expected is None or refusable(marker), (marker, expected)
    else:
        assert got is expected, (marker, expected)


def test_a_marker_nested_beyond_reason_is_refused_not_a_crash() -> None:
    env = loading.marker_environment()
    deep = "(" * 3000 + 'python_version >= "3"' + ")" * 3000
    assert loading.evaluate_marker(deep, env) is None
    shallow = "(" * 20 + 'python_version >= "3"' + ")" * 20
    assert loading.evaluate_marker(shallow, env) is True


# What import loads, and whose files those are: the script's answer and
# the real one, from one interpreter started with -S (no site-packages of
# its own) whose sys.path is the generated layout: PYTHONPATH folders,
# then a site folder added as site adds one (its .pth files read).
IMPORT_PROBE = r"""
import importlib.util, json, site, sys
from importlib import metadata
site.addsitedir(sys.argv[2])
spec = importlib.util.spec_from_file_location("probe_loading", sys.argv[1])
loading = importlib.util.module_from_spec(spec)
spec.loader.exec_module(loading)
package = loading.find_package("pandas", "pandas", "Data manipulation",
                               loading.path_origins())
shown = loading.dependency_lines([package])[1]
copies = loading.copies_lines([package])[1:]
import pandas
loaded = getattr(pandas, "__file__", None) or list(pandas.__path__)[0]
provider = None
for distribution in metadata.distributions():
    for name in distribution.files or []:
        if str(distribution.locate_file(name)) == loaded:
            provider = provider or distribution
print(json.dumps({"shown": shown, "copies": copies, "loaded": loaded,
                  "version": provider and provider.version,
                  "folder": provider and str(provider.locate_file(""))}))
"""

MODULE_KINDS = ("none", "none", "package", "module", "namespace")
METADATA_KINDS = ("dist-info", "egg-info", "egg-info file")


@st.composite
def import_layouts(draw: st.DrawFn) -> list[dict[str, object]]:
    """Folders in sys.path order (PYTHONPATH ones, the site folder, one a
    .pth names): in each, pandas or not (a package, a module, a namespace
    folder) and installed records of it: the one that lists its files,
    and leftovers that list none."""
    count = draw(st.integers(1, 4))
    folders = []
    for number in range(count):
        kind = draw(st.sampled_from(MODULE_KINDS))
        leftovers = draw(st.lists(st.tuples(
            st.sampled_from(METADATA_KINDS), st.sampled_from(
                ["0.1", "1.5.3", "2.0rc1"])), max_size=2))
        owner = None
        if kind != "none":
            # A record with no list of files is taken at its word (the
            # script's rule for records made by hand): the leftovers
            # beside a module list their own files only.
            leftovers = [(k, v) for k, v in leftovers if k != "egg-info file"]
        if kind in ("package", "module"):
            owner = draw(st.sampled_from(("dist-info", "egg-info", None)))
            if owner is None and leftovers:
                owner = "dist-info"     # one record in its folder lists it
        folders.append({"kind": kind, "owner": owner, "leftovers": leftovers,
                        "version": "%d.%d.%d" % (number + 2, number, 1)})
    return folders


def write_layout(root: Path, folders: list[dict[str, object]]
                 ) -> tuple[list[Path], Path]:
    """The layout on disk: (PYTHONPATH folders, site folder). The last
    folder is the site folder, the one before it may be named in a .pth
    of it (read after it, as site appends it)."""
    paths = [root / ("folder%d" % number) for number in range(len(folders))]
    for path, folder in zip(paths, folders):
        path.mkdir()
        files = []
        if folder["kind"] == "package":
            (path / "pandas").mkdir()
            (path / "pandas" / "__init__.py").write_text("")
            files = ["pandas/__init__.py"]
        elif folder["kind"] == "module":
            (path / "pandas.py").write_text("")
            files = ["pandas.py"]
        elif folder["kind"] == "namespace":
            (path / "pandas").mkdir()
        if folder["owner"] == "dist-info":
            info = path / ("pandas-%s.dist-info" % folder["version"])
            info.mkdir()
            (info / "METADATA").write_text("Metadata-Version: 2.1\nName: "
                                           "pandas\nVersion: %s\n"
                                           % folder["version"])
            (info / "RECORD").write_text("".join(
                name + ",,\n" for name in files))
        elif folder["owner"] == "egg-info":
            info = path / ("pandas-%s.egg-info" % folder["version"])
            info.mkdir()
            (info / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: "
                                           "pandas\nVersion: %s\n"
                                           % folder["version"])
            (info / "SOURCES.txt").write_text("".join(
                name + "\n" for name in files))
        for kind, version in folder["leftovers"]:   # type: ignore
            write_leftover(path, kind, version)
    site_folder = paths[-1]
    if len(paths) > 2:      # the one before the site folder: from a .pth
        (site_folder / "extra.pth").write_text(str(paths[-2]) + "\n")
        return paths[:-2], site_folder
    return paths[:-1], site_folder


def write_leftover(path: Path, kind: str, version: str) -> None:
    """An old version's record, its files gone."""
    text = "Metadata-Version: 2.1\nName: pandas\nVersion: %s\n" % version
    if kind == "egg-info file":
        (path / ("pandas-%s-py3.egg-info" % version)).write_text(text)
        return
    suffix = ".dist-info" if kind == "dist-info" else ".egg-info"
    info = path / ("pandas-%s%s" % (version, suffix))
    info.mkdir(exist_ok=True)
    if kind == "dist-info":
        (info / "METADATA").write_text(text)
        (info / "RECORD").write_text(info.name + "/METADATA,,\n")
    else:
        (info / "PKG-INFO").write_text(text)
        (info / "SOURCES.txt").write_text("setup.py\n")


@budget(25, 400)
@given(layout=import_layouts())
def test_which_copy_loads_agrees_with_import(layout) -> None:
    """The version shown is that of the distribution whose files import
    really loads; a module no distribution provides is [HIDDEN] when it
    comes from PYTHONPATH, else shown without a version."""
    import json
    import tempfile
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        pythonpath, site_folder = write_layout(root, layout)
        if len(layout) == 2:    # a folder twice on sys.path: once each
            pythonpath.append(site_folder)
        done = run([sys.executable, "-S", "-c", IMPORT_PROBE,
                    str(ROOT / "ex01" / "loading.py"), str(site_folder)],
                   env={"PYTHONPATH": os.pathsep.join(map(str, pythonpath))},
                   cwd=root)
        if "No module named 'pandas'" in done.stderr:
            return                  # nothing to load: nothing to compare
        assert done.returncode == 0, done.stderr
        seen = json.loads(done.stdout)
    shown, version = seen["shown"], seen["version"]
    if version is not None:
        assert shown == "[OK] pandas (%s) - Data manipulation ready" \
            % version, (layout, seen)
        assert not seen["copies"] or "  pandas %s in %s: loads" % (
            version, seen["folder"]) in seen["copies"], (layout, seen)
    elif any(seen["loaded"].startswith(str(p) + "/") for p in pythonpath):
        assert shown.startswith("[HIDDEN] pandas ("), (layout, seen)
    else:
        assert shown == "[OK] pandas (version unknown) - Data manipulation "\
            "ready", (layout, seen)
    assert sum(line.endswith(": loads") for line in seen["copies"]) <= 1


# pip check itself against the script, over generated sets of installed
# metadata: records written by hand into a venv's site-packages.
REQUIREMENT_PROBE = r"""
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("probe_loading", sys.argv[1])
loading = importlib.util.module_from_spec(spec)
spec.loader.exec_module(loading)
packages = [loading.find_package(*row, {}) for row in loading.PACKAGES]
found = []
for problem in loading.requirement_problems(packages):
    kind = "unread" if problem.unread else (
        "missing" if problem.installed is None else "conflict")
    found.append([problem.who.split()[0], problem.name, kind])
print(json.dumps(found))
"""
OTHERS = ("tzdata", "six", "idna")
INSTALLED_VERSIONS = st.sampled_from(["1.0", "1.26.4", "2.0.2", "2.1rc1",
                                      "0.9.post1", "3.0.dev2", "2!1.0"])
REQUIREMENT_SPECS = st.lists(st.tuples(
    st.sampled_from(["==", "!=", ">=", "<=", ">", "<", "~="]),
    st.sampled_from(["1.0", "1.26", "2.0.2", "2.1rc1", "0.9", "3.0",
                     "2!0.5"])).map("".join), max_size=2).map(",".join)
REQUIREMENT_MARKERS = st.sampled_from([
    "", "", "", 'python_version < "3.0"', "extra == 'test'",
    'sys_platform == "win32"', 'python_version >= "3"',
    '"3.8" < python_version', 'os_name == "posix" and python_version > "3"'])


@st.composite
def requirement_lines_of(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(["numpy", "tzdata", "six", "Six", "idna",
                                 "python_dateutil"]))
    if draw(st.integers(0, 9)) == 0:
        spec = " @ https://user:tok@example.com/%s.whl" % name
    else:
        spec = draw(REQUIREMENT_SPECS)
        if spec and draw(st.booleans()):
            spec = " (" + spec + ")"
    marker = draw(REQUIREMENT_MARKERS)
    return name + spec + (" ; " + marker if marker else "")


def write_record(site: Path, name: str, version: str,
                 requires: list[str]) -> None:
    info = site / ("%s-%s.dist-info" % (name, version))
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: %s\nVersion: %s\n%s" % (
            name, version, "".join("Requires-Dist: %s\n" % line
                                   for line in requires)))
    module = dict(FAKES).get(name)
    (info / "RECORD").write_text("%s/__init__.py,,\n" % module
                                 if module else "")


@pytest.fixture(scope="module")
def check_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("pip")
    folder = tmp_path_factory.mktemp("pip-check")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip",
                    str(folder / "env")], check=True, timeout=120)
    return folder / "env"


@budget(4, 40)
@given(installed=st.fixed_dictionaries(
    {dist: INSTALLED_VERSIONS for dist, _ in FAKES},
    optional={other: INSTALLED_VERSIONS for other in OTHERS}),
    requires=st.fixed_dictionaries({dist: st.lists(requirement_lines_of(),
                                                   max_size=3)
                                    for dist, _ in FAKES}))
def test_unmet_requirements_agree_with_pip_check(check_venv: Path,
                                                 installed, requires) -> None:
    import json
    site = site_packages(check_venv)
    for entry in site.iterdir():
        shutil.rmtree(entry)
    for dist, module in FAKES:
        (site / module).mkdir()
        (site / module / "__init__.py").write_text("")
    for name, version in installed.items():
        write_record(site, name, version, requires.get(name, []))
    checked = subprocess.run(
        [sys.executable, "-m", "pip", "--python",
         str(venv_python(check_venv)), "check"], capture_output=True,
        text=True, timeout=120, env=clean_env())
    expected = set()
    for line in checked.stdout.splitlines():
        words = line.split()
        if len(words) >= 4 and words[2] in ("requires", "has"):
            wanted = words[3] if words[2] == "requires" else words[4]
            kind = "missing" if "not installed" in line else "conflict"
            name = wanted[:len(wanted) - len(wanted.lstrip(
                loading.NAME_CHARACTERS))]
            expected.add((words[0], loading.normalize(name), kind))
    done = run([str(venv_python(check_venv)), "-c", REQUIREMENT_PROBE,
                str(ROOT / "ex01" / "loading.py")])
    assert done.returncode == 0, done.stderr
    found = {(who, loading.normalize(name), kind)
             for who, name, kind in json.loads(done.stdout)}
    unread = {(who, name) for who, name, kind in found if kind == "unread"}
    expected = {row for row in expected if row[0] in dict(FAKES)
                and row[:2] not in unread}
    assert {row for row in found if row[2] != "unread"} == expected, (
        checked.stdout, installed, requires)


# Columns of numbers as spreadsheets and databases export them: the
# numbers analysed are exactly the ones written, or the file is refused
# in one line that names why; never a raw warning.
NUMBER_TEXT = st.tuples(st.sampled_from(["", "", "-", "+"]),
                        st.integers(0, 10 ** 6),
                        st.one_of(st.just(""), st.integers(0, 10 ** 4).map(
                            lambda n: "." + str(n)),
                            st.sampled_from([".5", ".25", ".0", ".125"]))
                        ).map(lambda t: t[0] + str(t[1]) + t[2])


@st.composite
def csv_exports(draw: st.DrawFn) -> tuple[bytes, list[float], str, str]:
    """(body, the numbers written, how it was written, the refusal it
    may earn: "" when it must be read)."""
    numbers = draw(st.lists(NUMBER_TEXT, min_size=14, max_size=30))
    # Empty cells (a value not measured): read as missing, not analysed.
    blanks = draw(st.sets(st.integers(1, len(numbers) - 1), max_size=3))
    separator = draw(st.sampled_from([",", ";", "\t", "|"]))
    decimal = draw(st.sampled_from([".", ","]))
    quoting = draw(st.sampled_from(["none", "all", "text", "header"]))
    header = draw(st.sampled_from(["value", "Wert", "v (mV)", ""] + (
        ["Wert; mV", "a,b"] if quoting != "none" else [])))
    # Without a header, a first line with text is read as one (as
    # "city,2024" is): a second column comes with a header.
    extra = draw(st.sampled_from(["", "label", "date"])) if header else ""
    trailing = draw(st.booleans())      # a separator ending every line
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    bom = draw(st.booleans())

    def cell(text: str, numeric: bool) -> str:
        if quoting == "all" or quoting == "text" and not numeric:
            return '"' + text + '"'
        return text

    rows = []
    if header:
        names = [header] + ([extra] if extra else [])
        rows.append([('"%s"' % n if quoting != "none" else n)
                     for n in names])
    for number, text in enumerate(numbers):
        written = "" if number in blanks else text.replace(".", decimal)
        row = [cell(written, True) if written else ""]
        if extra == "label":
            row.append(cell("item %d" % number, False))
        elif extra == "date":
            row.append(cell("2024-01-%02d" % (number + 1), False))
        rows.append(row)
    body = ending.join(separator.join(row) + (separator if trailing else "")
                       for row in rows) + draw(st.sampled_from(["", ending]))
    refusal = ""
    if blanks and (extra or trailing) and separator == "," and \
            decimal == ",":
        blanks = set()          # refused anyway: keep the case simple
    commas = decimal == "," and any("." in text for text in numbers)
    if commas and separator == "," and (extra or trailing
                                        or quoting in ("none", "text")):
        refusal = "decimal commas"
    # 1,000 ... 1,049 are thousands or decimals, in quotes or not.
    if commas and separator == "," and not extra and not trailing \
            and all(len(text.partition(".")[2]) == 3 for text in numbers):
        refusal = "thousands"
    how = repr((separator, decimal, quoting, header, extra, trailing,
                ending, bom))
    # Without a header line, the first row is the header, as pandas'
    # read_csv takes it: its number is a name, not a value.
    first = 0 if header else 1
    return ((b"\xef\xbb\xbf" if bom else b"") + body.encode(),
            [float(text) for number, text in enumerate(numbers)
             if number not in blanks and number >= first], how, refusal)


@budget(150, 3000)
@given(export=csv_exports())
def test_exported_columns_are_read_as_written(export) -> None:
    import warnings
    body, numbers, how, refusal = export
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data, why = loading.numbers_from_text(body.decode("utf-8-sig"))
    assert [str(w.message) for w in caught] == [], how
    if data is None:
        assert refusal, (how, why)
        assert why.isprintable() and any(
            cause in why for cause in ("decimal comma", "thousands",
                                       "fields, its header")), (how, why)
        return
    assert data.values.tolist() == numbers, (how, body)


# --- Findings: which copy loads, requirements, CSV ---------------------------

def test_a_folder_whose_name_starts_like_the_scripts_is_not_inside_it(
        run_script, tmp_path: Path, fresh_venv) -> None:
    """The script in tmp/ex01, the packages in tmp/ex01_env: a path that
    merely starts with the script's folder name is not in that folder."""
    venv = fresh_venv("ex01_env")
    for dist, module in FAKES:
        plant(venv, dist, module, version="2.4.6")
    ex01 = tmp_path / "ex01"
    shutil.copytree(ROOT / "ex01", ex01)
    done = run_script(ex01 / "loading.py", python=venv_python(venv))
    assert dependency_lines(done.lines)[3] == \
        "[OK] numpy (2.4.6) - Numerical computation ready"
    assert not any(line.startswith("[HIDDEN]") for line in done.lines)
    assert not loading.is_inside("/a/numpy2/__init__.py", "/a/numpy")
    assert loading.is_inside("/a/numpy/__init__.py", "/a/numpy/")


@pytest.mark.skipif(sys.version_info < (3, 11), reason="-P is 3.11's")
def test_under_safe_path_a_pythonpath_file_is_blamed_on_pythonpath(
        run_script, tmp_path: Path, fresh_venv) -> None:
    """python -P leaves the script's folder off sys.path: the first entry
    is PYTHONPATH's, and so is the blame and the fix."""
    venv, ex01 = hiding_venv(tmp_path, fresh_venv)
    folder = tmp_path / "practice"
    folder.mkdir()
    (folder / "numpy.py").write_text("raise SystemExit('RAN')\n")
    done = run([str(venv_python(venv)), "-P", str(ex01 / "loading.py")],
               env={"PYTHONPATH": str(folder)})
    assert done.returncode == 1 and "RAN" not in done.output
    assert section(done.lines, "Earlier on sys.path than the installed "
                   "packages, and imported in their place:")[1:] == [
        "  %s/numpy.py (from PYTHONPATH): unset PYTHONPATH (or take that "
        "folder out of it), or rename or move it" % folder]


def requirement_section(lines: list[str]) -> list[str]:
    return section(lines, "Requirements of the installed packages (as pip "
                   "check reads them):")[1:]


def test_a_marker_with_the_version_on_the_left_compares_versions(
        run_script, fresh_venv, tmp_path: Path) -> None:
    """"3.8" < python_version is true on 3.10 and later: as text, "3.8"
    sorts after "3.10" and the requirement would be skipped."""
    venv = fresh_venv()
    requiring(venv, tmp_path / "imported", {"pandas": [
        'numpy>=99; "3.8" < python_version',
        'numpy>=98; "3.8" > python_version']})
    done = run_script("loading", python=venv_python(venv))
    assert requirement_section(done.lines)[0] == (
        "pandas 9.9.9 requires numpy>=99, but numpy 9.9.9 is installed")
    assert not any("numpy>=98" in line for line in done.lines)


@pytest.mark.parametrize("kind", ["dist-info", "egg-info", "egg-info file"])
def test_a_leftover_record_earlier_on_the_path_is_not_the_loaded_copy(
        run_script, tmp_path: Path, fresh_venv, kind: str) -> None:
    """An old pandas-0.1 record in a PYTHONPATH folder, its files gone:
    the version shown, and the requirements checked, are the real
    pandas's; the leftover is listed as hidden."""
    venv, ex01 = hiding_venv(tmp_path, fresh_venv)
    folder = tmp_path / "leftovers"
    folder.mkdir()
    text = "Metadata-Version: 2.1\nName: pandas\nVersion: 0.1\n" \
        "Requires-Dist: numpy>=99\n"
    if kind == "egg-info file":
        (folder / "pandas-0.1-py3.11.egg-info").write_text(text)
    else:
        info = folder / ("pandas-0.1." + kind)
        info.mkdir()
        (info / ("METADATA" if kind == "dist-info" else "PKG-INFO")
         ).write_text(text)
    done = run_script(ex01 / "loading.py", python=venv_python(venv),
                      env={"PYTHONPATH": str(folder)})
    assert dependency_lines(done.lines)[0] == \
        "[OK] pandas (2.4.6) - Data manipulation ready"
    assert not any("numpy>=99" in line for line in done.lines)
    assert section(done.lines, "Installed more than once (import loads "
                   "the first it finds on sys.path):")[1:] == [
        "  pandas 0.1 in %s: hidden" % folder,
        "  pandas 2.4.6 in %s: loads" % site_packages(venv)]


def test_hostile_metadata_is_bounded_escaped_and_masked(
        run_script, fresh_venv, tmp_path: Path) -> None:
    """Versions of 5000 digits (installed, pinned, in a marker), a marker
    nested 3000 brackets deep, a URL with a token, a version holding
    escape sequences: no traceback, nothing raw, no token, no line
    longer than a screenful."""
    token = canary()
    huge = "1" * 5000
    venv = fresh_venv()
    requiring(venv, tmp_path / "imported", {"pandas": [
        "numpy>=" + huge, "numpy>=1; python_version >= '%s'" % ("1" * 40),
        "numpy>=1; " + "(" * 3000 + "python_version >= '3'" + ")" * 3000,
        "tzdata @ git+https://neo:%s@example.com/tz.git" % token,
        "requests>=1"]}, versions={"requests": "1.0\x1b[31m"})
    record = site_packages(venv) / "matplotlib-9.9.9.dist-info" / "METADATA"
    record.write_text(record.read_text().replace("9.9.9", huge))
    # numpy's files gone, its record left: the run stops before the
    # analysis (these packages are empty shells).
    shutil.rmtree(site_packages(venv) / "numpy")
    script = copy_project(tmp_path, "numpy==%s\n" % huge, lock=False)
    done = run_script(script, python=venv_python(venv))
    assert "Traceback" not in done.stderr and done.returncode == 1
    assert leaks(done.output, [token]) == []
    assert "\x1b" not in done.output
    assert all(len(line) < 400 and line.isprintable()
               for line in done.lines)
    found = requirement_section(done.lines)
    assert found[:4] == [
        "pandas 9.9.9 requires numpy>=%s...: not checked (not a "
        "requirement this script reads)" % ("1" * 50),
        "pandas 9.9.9 requires numpy>=1: not checked (its marker is not "
        "one this script reads)",
        "pandas 9.9.9 requires numpy>=1; %s...: not checked (not a "
        "requirement this script reads)" % ("(" * 47),
        "pandas 9.9.9 requires tzdata @ git+https://***:***@example.com/"
        "tz.git, which is not installed"]
    assert found[4] == "pandas 9.9.9 requires requests>=1: not checked (a " \
        "version or specifier this script does not read)"
    assert "[OK] requests (1.0\\x1b[31m) - Network access ready" \
        in done.lines
    # Nothing to paste for a URL whose credentials are hidden: said so.
    assert found[5:] == ["A requirement installed from a URL is shown "
                         "without its credentials: install it from the URL "
                         "you hold."]


def test_thousands_of_unmet_requirements_are_capped(
        run_script, fresh_venv, tmp_path: Path) -> None:
    venv = fresh_venv()
    requiring(venv, tmp_path / "imported", {"pandas": [
        "missing-%d>=1" % number for number in range(5000)]})
    done = run_script("loading", python=venv_python(venv))
    found = requirement_section(done.lines)
    assert found[:2] == [
        "pandas 9.9.9 requires missing-0>=1, which is not installed",
        "pandas 9.9.9 requires missing-1>=1, which is not installed"]
    assert found[loading.MAX_REPORTED] == "... and 4980 more"
    assert found[-1].startswith("Fix: ") and "missing-19>=1" in found[-1]
    assert "missing-20>=1" not in done.stdout
    assert len(done.stdout) < 20000


def test_negative_decimal_commas_are_read_whole(run_script, http_server,
                                                tmp_path: Path) -> None:
    """-20,5 is minus twenty and a half, in a one-column file too."""
    numbers = ["-20,5", "3,25", "-0,75", "12"] * 5
    url = http_server.serve("/negative.csv", "Wert\n" + "\n".join(numbers))
    done = fetch(run_script, url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Signal: mean -1.500, std 12.208, min -20.500, max 12.000" \
        in done.lines
    assert done.stderr == ""


def test_quoted_one_column_files_with_decimal_commas(
        run_script, http_server, tmp_path: Path) -> None:
    """A quoted header, then 12,34: read as 12.34, never as 12 (with a
    raw ParserWarning on stderr)."""
    url = http_server.serve("/quoted.csv", '"Wert"\n' + "\n".join(
        ["12,34", "-1,5", "0,25", "7"] * 5) + "\n")
    done = fetch(run_script, url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "Signal: mean 4.522, std 5.661, min -1.500, max 12.340" \
        in done.lines
    assert "Received: CSV, 20 values from column 'Wert'" in done.lines


@pytest.mark.parametrize("separator", [";", "\t"])
def test_quoted_separated_files_with_one_numeric_column(
        separator: str) -> None:
    body = separator.join(['"name"', '"Wert"']) + "\r\n" + "\r\n".join(
        separator.join(['"item %d"' % i, '"%d,5"' % i]) for i in range(12))
    data, why = loading.numbers_from_text(body)
    assert why == "" and data.column == "Wert"
    assert data.values.tolist() == [i + 0.5 for i in range(12)]


def test_a_spike_on_a_curve_with_offset_residuals_is_found() -> None:
    """On a parabola a centred mean sits above every point by the same
    amount: measured from zero instead of the residuals' median, that
    offset makes the yardstick and hides a big spike."""
    values = [0.5 * (i - 200) ** 2 + math.sin(i * 1.7) for i in range(400)]
    values[150] += 80.0
    analysis, _ = analysed(values)
    lines = loading.results_lines(analysis)
    assert "Anomalies found (|residual| > 5 sigma): 1" in lines
    assert lines[-1].startswith("Strongest: point 150 at ")


def test_credentials_never_follow_to_another_port(http_server) -> None:
    """Same host, another port: another origin, no Authorization."""
    from conftest import LoopbackServer
    user, password = canary(), canary()
    other = LoopbackServer()
    try:
        other.serve("/target", "1\n" * 20)
        http_server.serve("/to-port", status=302,
                          location=other.url("/target"))
        text, error = loading.fetch_text(http_server.url(
            "/to-port", userinfo="%s:%s" % (user, password)))
        assert error is None and text == "1\n" * 20
        assert dict(http_server.requests)["/to-port"]
        assert other.requests == [("/target", None)]
    finally:
        other.close()


def request_head(connection: socket.socket) -> bytes:
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = connection.recv(4096)
        if not chunk:
            break
        head += chunk
    return head


def authorization(head: bytes) -> "str | None":
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "authorization":
            return value.strip()
    return None


def test_credentials_never_follow_from_https_to_http(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """https://user:pw@127.0.0.1:P redirected to http://127.0.0.1:P, the
    same host and port: another scheme, so no Authorization in the clear
    (one server on P speaks TLS or plain HTTP, by the first byte)."""
    import ssl
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True,
                   timeout=60)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    received: list[tuple[str, "str | None", bytes]] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    def serve() -> None:
        for _ in range(2):
            connection, _ = listener.accept()
            try:
                if connection.recv(1, socket.MSG_PEEK) == b"\x16":
                    connection = context.wrap_socket(connection,
                                                     server_side=True)
                    head = request_head(connection)
                    received.append(("https", authorization(head), head))
                    connection.sendall(
                        b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:"
                        b"%d/plain\r\nContent-Length: 0\r\nConnection: "
                        b"close\r\n\r\n" % port)
                else:
                    head = request_head(connection)
                    received.append(("http", authorization(head), head))
                    connection.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n"
                        b"Connection: close\r\n\r\n" + b"1\n" * 20)
            except (OSError, ssl.SSLError):
                pass
            finally:
                connection.close()

    threading.Thread(target=serve, daemon=True).start()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    user, password = canary(), canary()
    try:
        text, error = loading.fetch_text("https://%s:%s@127.0.0.1:%d/start"
                                         % (user, password, port))
    finally:
        listener.close()
    assert error is None and text == "1\n" * 20
    assert [(scheme, auth is not None) for scheme, auth, _ in received] == [
        ("https", True), ("http", False)]
    assert leaks(received[1][2], [user, password]) == []


@budget(60, 1500)
@given(numbers=st.lists(st.floats(-1e90, 1e90, allow_nan=False).filter(
    lambda x: x == 0 or abs(x) > 1e-90), min_size=10, max_size=30),
    shape=st.sampled_from(["array", "records", "records with text"]),
    bom=st.booleans(), spacing=st.sampled_from(["", " ", "\n  ", "\r\n"]))
def test_json_numbers_are_read_as_written(numbers: list[float], shape: str,
                                          bom: bool, spacing: str) -> None:
    """A JSON array of numbers, or of records with one numeric field, as
    json.dumps writes them: the numbers analysed are the same floats."""
    import json
    import warnings
    if shape == "array":
        document: object = numbers
    elif shape == "records":
        document = [{"value": x} for x in numbers]
    else:
        document = [{"name": "p%d" % i, "value": x}
                    for i, x in enumerate(numbers)]
    body = ("\ufeff" if bom else "") + json.dumps(
        document, separators=("," + spacing, ":" + spacing))
    text = body.encode().decode("utf-8-sig")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data, why = loading.numbers_from_text(text)
    assert [str(w.message) for w in caught] == []
    if data is None:
        assert why.startswith("its values reach") and max(
            map(abs, numbers)) > loading.MAX_MAGNITUDE or \
            0 < max(map(abs, numbers)) < loading.MIN_MAGNITUDE, why
        return
    assert data.values.tolist() == numbers


def test_long_lists_of_copies_and_lines_not_understood_are_capped(
        run_script, tmp_path: Path, fresh_venv) -> None:
    """A PYTHONPATH of 30 folders, each with an old numpy record, and a
    requirements.txt of 500 lines it does not read: 20 of each, then how
    many more; the copy that loads is always shown."""
    venv, ex01 = hiding_venv(tmp_path, fresh_venv)
    folders = []
    for number in range(30):
        folder = tmp_path / ("old%d" % number)
        info = folder / ("numpy-0.%d.dist-info" % number)
        info.mkdir(parents=True)
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: numpy"
                                       "\nVersion: 0.%d\n" % number)
        folders.append(str(folder))
    (ex01 / "requirements.txt").write_text("-e ./x\n" * 500)
    done = run_script(ex01 / "loading.py", python=venv_python(venv),
                      env={"PYTHONPATH": os.pathsep.join(folders)})
    copies = section(done.lines, "Installed more than once (import loads "
                     "the first it finds on sys.path):")[1:]
    assert len(copies) == 22
    assert copies[20] == "  numpy 2.4.6 in %s: loads" % site_packages(venv)
    assert copies[21] == "  ... and 10 more copies of numpy"
    assert sum("not understood: " in line for line in done.lines) == 20
    assert "... and 480 more lines not understood" in done.lines


# --- Edges the seeded slips showed ----------------------------------------

def test_every_specifier_of_a_requirement_must_hold() -> None:
    """foo>=1.0,<1.5 with foo 2.0: unmet, as pip check says."""
    env = loading.marker_environment()
    unmet = loading.check_requirement("foo>=1.0,<1.5", env, {"foo": "2.0"})
    assert unmet is not None and unmet.installed == "2.0"
    assert loading.check_requirement("foo>=1.0,<2.5", env,
                                     {"foo": "2.0"}) is None


@pytest.mark.parametrize("length, read", [(300, True), (301, False)])
def test_a_requirement_is_read_up_to_its_length_limit(length: int,
                                                      read: bool) -> None:
    line = "a" * (length - 5) + ">=2.0"
    unmet = loading.check_requirement(line, loading.marker_environment(),
                                      {"a" * (length - 5): "1.0"})
    assert unmet is not None
    assert (unmet.unread == "not a requirement this script reads") \
        is not read


def test_an_ipv6_zone_is_no_percent_encoded_host() -> None:
    _, error = loading.parse_args(["--source",
                                   "http://[fe80::1%25eth0]:8080/x"])
    assert error is None


def test_a_json_object_with_a_boolean_field_analyses_its_number() -> None:
    body = "[" + ",".join('{"v": %d.5, "ok": true}' % n
                          for n in range(30)) + "]"
    data, why = loading.numbers_from_text(body)
    assert data is not None, why
    assert len(data.values) == 30


def record_copy(folder: Path, version: str, files: "list[str] | None"
                ) -> object:
    """A foo-VERSION.dist-info in folder; RECORD lists files (None: no
    RECORD, as a record made by hand)."""
    from importlib import metadata
    info = folder / ("foo-%s.dist-info" % version)
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: foo\n"
                                   "Version: %s\n" % version)
    if files is not None:
        (info / "RECORD").write_text("".join(f + ",,\n" for f in files))
    return metadata.PathDistribution(info)


def test_the_copy_whose_record_lists_the_loaded_file_loads(
        tmp_path: Path) -> None:
    """Two records in one folder: one made by hand (no RECORD), one whose
    RECORD names the file import loads: that one is the loaded copy."""
    (tmp_path / "foo").mkdir()
    (tmp_path / "foo" / "__init__.py").write_text("")
    copies = [record_copy(tmp_path, "0.1", None),
              record_copy(tmp_path, "2.0", ["foo/__init__.py"])]
    package = loading.Package("foo", "foo", "x")
    package.origin = str(tmp_path / "foo" / "__init__.py")
    package.copies = [(str(tmp_path), "0.1"), (str(tmp_path), "2.0")]
    assert loading.loaded_copy(package, copies) == 1


def test_a_namespace_folder_is_loaded_from_the_copy_listing_a_file_in_it(
        tmp_path: Path) -> None:
    (tmp_path / "ns").mkdir()
    (tmp_path / "ns" / "mod.py").write_text("")
    copies = [record_copy(tmp_path, "1.0", ["ns/mod.py"])]
    package = loading.Package("foo", "ns", "x")
    package.origin = str(tmp_path / "ns")
    package.copies = [(str(tmp_path), "1.0")]
    assert loading.loaded_copy(package, copies) == 0


# --- Edges a second blind round showed -------------------------------------

def test_a_dev_release_is_before_the_alphas_of_its_release() -> None:
    """1.0.dev0 < 1.0a1 < 1.0, as packaging orders them."""
    assert loading.satisfies("1.0.dev0", ">=1.0a1") is False
    assert loading.satisfies("1.0.dev0", "<1.0a1") is True


def test_a_compatible_release_marker_is_read() -> None:
    env = loading.marker_environment()
    assert loading.evaluate_marker('python_version ~= "3.0"', env) is True


def test_a_failing_specifier_is_told_beside_one_not_read() -> None:
    """One specifier fails, one is not read: pip check's verdict is
    known, and it is unmet."""
    unmet = loading.check_requirement("numpy>=2.0,>=1.0+local",
                                      loading.marker_environment(),
                                      {"numpy": "1.0"})
    assert unmet is not None and unmet.unread == ""
    assert unmet.fix == "numpy>=2.0,>=1.0+local"


def test_four_digits_after_a_comma_are_decimals() -> None:
    """Thousands have exactly three digits after their comma."""
    body = "x\n" + "\n".join("%d,%s" % (n, "5000" if n % 2 else "0000")
                             for n in range(1, 21)) + "\n"
    data, why = loading.numbers_from_text(body)
    assert data is not None, why
    assert list(data.values[:3]) == [1.5, 2.0, 3.5]
