"""ex0/construct.py, run by real interpreters in real environments."""
import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import (DEBIAN_PYTHON, ROOT, load_script, site_packages,
                      supported_pythons, venv_python)

PLUGGED_IN = [
    "MATRIX STATUS: You're still plugged in",
    "",
    "Current Python: {python}",
    "Virtual Environment: None detected",
    "",
    "WARNING: You're in the global environment!",
    "The machines can see everything you install.",
    "",
    "To enter the construct, run:",
    "python -m venv matrix_env",
    "source matrix_env/bin/activate # On Unix",
    "matrix_env\\Scripts\\activate # On Windows",
    "",
    "Then run this program again.",
    "",
]
WELCOME = [
    "MATRIX STATUS: Welcome to the construct",
    "",
    "Current Python: {python}",
    "Virtual Environment: {name}",
    "Environment Path: {path}",
    "",
    "SUCCESS: You're in an isolated environment!",
    "Safe to install packages without affecting",
    "the global system.",
    "",
    "Package installation path:",
    "{site_packages}",
    "",
]

construct = load_script("construct")


def ask(python: "str | Path", code: str) -> str:
    return subprocess.run([str(python), "-c", code], capture_output=True,
                          text=True, check=True, timeout=30).stdout.strip()


def section(lines: list[str], title: str) -> list[str]:
    """The lines of a blank-line-separated section, title first."""
    start = lines.index(title)
    end = lines.index("", start) if "" in lines[start:] else len(lines)
    return lines[start:end]


def notes(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("NOTE: ")]


# --- Global interpreters --------------------------------------------------

@pytest.mark.parametrize("python", supported_pythons())
def test_global_interpreter_is_plugged_in(run_script, python: Path) -> None:
    if not python.exists():
        pytest.skip("%s is not installed" % python)
    done = run_script("construct", python=python)
    executable = ask(python, "import sys; print(sys.executable)")
    assert done.returncode == 0 and done.stderr == ""
    assert done.lines[:len(PLUGGED_IN)] == [
        line.format(python=executable) for line in PLUGGED_IN]
    assert "Environment details:" not in done.lines
    assert notes(done.lines) == []
    # The global package directories are the ones site reports there.
    reported = ask(python, "import site, os; print('\\n'.join(p for p in "
                   "site.getsitepackages() if os.path.isdir(p)))")
    locations = section(done.lines, "Package locations:")
    assert locations[1] == "Global packages: " + ", ".join(
        reported.splitlines())
    assert locations[2] == "This interpreter installs into: " + \
        reported.splitlines()[0]


def test_debian_python_shows_dist_packages(run_script) -> None:
    if not DEBIAN_PYTHON.exists():
        pytest.skip("no Debian Python")
    done = run_script("construct", python=DEBIAN_PYTHON)
    global_line = section(done.lines, "Package locations:")[1]
    assert "/usr/lib/python3/dist-packages" in global_line
    assert "site-packages" not in global_line


def test_user_site_is_shown_when_enabled_and_hidden_when_disabled(
        run_script, global_python: Path) -> None:
    user_site = ask(global_python,
                    "import site; print(site.getusersitepackages())")
    shown = run_script("construct", python=global_python)
    assert "User site (pip install --user): " + user_site in shown.lines
    hidden = run_script("construct", python=global_python,
                        env={"PYTHONNOUSERSITE": "1"})
    assert not any(line.startswith("User site") for line in hidden.lines)


# --- Virtual environments -------------------------------------------------

def welcome(venv: Path) -> list[str]:
    return [line.format(python=venv_python(venv), name=venv.name,
                        path=venv, site_packages=site_packages(venv))
            for line in WELCOME]


def test_bare_venv_run_by_path_without_activation(run_script,
                                                  bare_venv: Path) -> None:
    done = run_script("construct", python=venv_python(bare_venv))
    assert done.returncode == 0
    assert done.lines[:len(WELCOME)] == welcome(bare_venv)
    assert notes(done.lines) == []
    details = section(done.lines, "Environment details:")
    assert "Created by: venv (the standard library)" in details
    assert "Global packages visible here: no" in details
    locations = section(done.lines, "Package locations:")
    assert locations[1].startswith("Global packages: " + sys.base_prefix)
    assert locations[2] == "This interpreter installs into: %s" \
        % site_packages(bare_venv)


def test_activated_venv_gives_the_same_verdict(run_script,
                                               bare_venv: Path) -> None:
    activated = {"VIRTUAL_ENV": str(bare_venv),
                 "PATH": "%s/bin:%s" % (bare_venv, os.environ["PATH"])}
    done = run_script("construct", python="python", env=activated)
    assert done.lines[:len(WELCOME)] == welcome(bare_venv)
    assert notes(done.lines) == []


def test_stale_virtual_env_on_a_global_interpreter(
        run_script, tmp_path: Path, global_python: Path) -> None:
    gone = tmp_path / "deleted_env"
    done = run_script("construct", python=global_python,
                      env={"VIRTUAL_ENV": str(gone)})
    assert done.lines[0] == "MATRIX STATUS: You're still plugged in"
    [note] = notes(done.lines)
    assert "activated %s, but this program runs %s" % (gone, global_python) \
        in note
    assert "no longer exists" in note


def test_existing_venv_activated_but_global_interpreter_run(
        run_script, bare_venv: Path, global_python: Path) -> None:
    done = run_script("construct", python=global_python,
                      env={"VIRTUAL_ENV": str(bare_venv)})
    assert done.lines[0] == "MATRIX STATUS: You're still plugged in"
    [note] = notes(done.lines)
    assert "Run %s/bin/python" % bare_venv in note


def test_venv_a_run_while_venv_b_is_activated(run_script, bare_venv: Path,
                                              system_site_venv: Path) -> None:
    done = run_script("construct", python=venv_python(bare_venv),
                      env={"VIRTUAL_ENV": str(system_site_venv)})
    assert done.lines[:len(WELCOME)] == welcome(bare_venv)
    [note] = notes(done.lines)
    assert "activated %s" % system_site_venv in note


def test_system_site_packages_leak_is_reported(run_script,
                                               system_site_venv: Path) -> None:
    done = run_script("construct", python=venv_python(system_site_venv))
    assert done.lines[:len(WELCOME)] == welcome(system_site_venv)
    [note] = notes(done.lines)
    assert "include-system-site-packages = true" in note
    assert "leak" in note
    assert "Global packages visible here: yes (they are on sys.path)" \
        in done.lines


def test_poetry_venv_was_created_by_virtualenv(run_script,
                                               project_venv: Path) -> None:
    if "virtualenv" not in (project_venv / "pyvenv.cfg").read_text():
        pytest.skip("the test environment was not made by virtualenv")
    done = run_script("construct", python=venv_python(project_venv))
    assert done.lines[:len(WELCOME)] == welcome(project_venv)
    details = section(done.lines, "Environment details:")
    assert details[1].startswith("Created by: virtualenv ")


def test_version_mismatch_in_pyvenv_cfg_is_reported(run_script,
                                                    fresh_venv) -> None:
    venv = fresh_venv("upgraded_env")
    cfg = venv / "pyvenv.cfg"
    cfg.write_text(cfg.read_text().replace("version = ", "version = 0."))
    done = run_script("construct", python=venv_python(venv))
    [note] = notes(done.lines)
    assert "made with Python 0.3" in note and "runs Python %d.%d.%d" \
        % sys.version_info[:3] in note


def test_working_directory_changes_nothing(run_script, tmp_path: Path,
                                           bare_venv: Path) -> None:
    here = run_script("construct", python=venv_python(bare_venv), cwd=ROOT)
    there = run_script("construct", python=venv_python(bare_venv),
                       cwd=tmp_path)
    assert here == there


def test_bad_arguments_exit_2_with_usage(run_script) -> None:
    done = run_script("construct", args=("--verbose",))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("usage: construct.py")
    helped = run_script("construct", args=("--help",))
    assert helped.returncode == 0 and helped.lines[0].startswith("usage:")


# --- Unit tests: what cannot exist on this machine ------------------------

@pytest.mark.parametrize("prefix, base, real, conda, kind", [
    ("/opt/venv", "/usr", "", False, "venv"),
    ("/usr", "/usr", "", False, "global"),
    ("/home/neo/env", "/home/neo/env", "/usr", False, "legacy-virtualenv"),
    ("/opt/conda/envs/matrix", "/opt/conda/envs/matrix", "", True,
     "conda-env"),
    ("/opt/conda", "/opt/conda", "", True, "conda-base"),
    ("C:\\Users\\neo\\miniconda3\\envs\\zion",
     "C:\\Users\\neo\\miniconda3\\envs\\zion", "", True, "conda-env"),
    ("C:\\Users\\neo\\miniconda3", "C:\\Users\\neo\\miniconda3", "", True,
     "conda-base"),
])
def test_isolation_kind(prefix: str, base: str, real: str, conda: bool,
                        kind: str) -> None:
    assert construct.isolation_kind(prefix, base, real, conda) == kind


def facts(**changes: str) -> dict[str, str]:
    """What gather_facts() would read on a machine we do not have."""
    base = {
        "executable": "/usr/bin/python3", "version": "3.11.2",
        "prefix": "/usr", "base_prefix": "/usr", "real_prefix": "",
        "virtual_env": "", "conda_meta": "", "conda_name": "",
        "install_dir": "/usr/lib/site-packages",
        "global_dirs": "/usr/lib/site-packages", "user_site": "",
        "global_on_path": ""}
    base.update(changes)
    return base


def report(gathered: dict[str, str],
           cfg: "dict[str, str] | None" = None) -> list[str]:
    """The lines main() prints for these facts."""
    return "\n\n".join(construct.build_report(gathered, cfg)).splitlines()


def test_named_conda_env_is_isolated_and_named() -> None:
    lines = report(facts(
        prefix="/opt/conda/envs/zion", base_prefix="/opt/conda/envs/zion",
        conda_meta="/opt/conda/envs/zion/conda-meta", conda_name="zion"))
    assert lines[0] == "MATRIX STATUS: Welcome to the construct"
    assert "Virtual Environment: zion" in lines
    assert "Created by: conda (a named environment)" in lines


def test_conda_base_is_global_with_advice() -> None:
    lines = report(facts(
        prefix="/opt/conda", base_prefix="/opt/conda",
        conda_meta="/opt/conda/conda-meta", conda_name="base"))
    assert lines[0] == "MATRIX STATUS: You're still plugged in"
    assert any("conda's base environment" in n for n in notes(lines))


def test_legacy_virtualenv_is_isolated() -> None:
    lines = report(facts(
        prefix="/home/neo/env", base_prefix="/home/neo/env",
        real_prefix="/usr",
        install_dir="/home/neo/env/lib/python3.11/site-packages"))
    assert lines[:5] == ["MATRIX STATUS: Welcome to the construct", "",
                         "Current Python: /usr/bin/python3",
                         "Virtual Environment: env",
                         "Environment Path: /home/neo/env"]
    assert any("sys.real_prefix" in line for line in lines)


def test_windows_layout() -> None:
    found = ["C:\\Python311", "C:\\Python311\\Lib\\site-packages"]
    assert construct.package_dirs(found) == [
        "C:\\Python311\\Lib\\site-packages"]
    lines = report(facts(
        executable="C:\\matrix_env\\Scripts\\python.exe",
        prefix="C:\\matrix_env", base_prefix="C:\\Python311",
        install_dir="C:\\matrix_env\\Lib\\site-packages",
        global_dirs=", ".join(construct.package_dirs(found))))
    assert "Virtual Environment: matrix_env" in lines
    assert lines[lines.index("Package installation path:") + 1] == \
        "C:\\matrix_env\\Lib\\site-packages"
    assert "Global packages: C:\\Python311\\Lib\\site-packages" in lines


def test_missing_getsitepackages_falls_back_on_sys_path(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(site, "getsitepackages")
    monkeypatch.setattr(sys, "path", ["", "/x/lib/python3.11",
                                      "/x/lib/python3.11/site-packages"])
    gathered = construct.gather_facts()
    assert gathered["install_dir"] == "/x/lib/python3.11/site-packages"
    assert "This interpreter installs into: /x/lib/python3.11/site-packages" \
        in report(gathered)


@pytest.mark.parametrize("text, expected", [
    ("home = /usr/bin\nversion = 3.11.2\n",
     {"home": "/usr/bin", "version": "3.11.2"}),
    ("home=/usr/bin\n  Include-System-Site-Packages   =   TRUE  \n",
     {"home": "/usr/bin", "include-system-site-packages": "TRUE"}),
    ("# made by hand\nhome = /a = b\nno separator here\nprompt = 'x'\n",
     {"home": "/a = b", "prompt": "'x'"}),
    ("", {}),
    ("uv = 0.5.1\nhome = /usr/bin\n", {"uv": "0.5.1", "home": "/usr/bin"}),
])
def test_parse_pyvenv_cfg(text: str, expected: dict[str, str]) -> None:
    assert construct.parse_pyvenv_cfg(text) == expected


@pytest.mark.parametrize("cfg, made_by", [
    ({"home": "/usr/bin", "version": "3.11.2"},
     "venv (the standard library)"),
    ({"home": "/usr/bin", "virtualenv": "20.25.0"}, "virtualenv 20.25.0"),
    ({"home": "/usr/bin", "uv": "0.5.1"}, "uv 0.5.1"),
    ({}, None),
    (None, None),
])
def test_creator(cfg: "dict[str, str] | None", made_by: "str | None") -> None:
    assert construct.creator(cfg) == made_by


def test_include_system_site_packages_is_read_case_insensitively() -> None:
    cfg = construct.parse_pyvenv_cfg("include-system-site-packages = True")
    lines = report(facts(prefix="/v"), cfg)
    assert any("leak" in n for n in notes(lines))


def test_broken_venv_home_is_reported(tmp_path: Path) -> None:
    lines = report(facts(prefix="/v"), {"home": str(tmp_path / "gone"),
                                        "version": "3.11.2"})
    [note] = notes(lines)
    assert "broken" in note and str(tmp_path / "gone") in note


def test_virtualenv_version_info_key_is_understood() -> None:
    assert construct.cfg_version({"version_info": "3.11.7.final.0"}) == \
        "3.11.7"


def test_no_pyvenv_cfg(tmp_path: Path) -> None:
    assert construct.read_pyvenv_cfg(str(tmp_path)) is None
    lines = report(facts(prefix=str(tmp_path)), None)
    assert "Created by: unknown (no pyvenv.cfg in %s)" % tmp_path in lines
