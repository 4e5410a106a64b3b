"""ex0/construct.py, run by real interpreters in real environments."""
import io
import ntpath
import os
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import (GLOBAL_PYTHON, ROOT, SCRIPTS, budget, clean_env,
                      interruptible, load_script, make_venv, site_packages,
                      supported_pythons, venv_python)

SCRIPT = SCRIPTS["construct"]
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
# A PATH that finds none of python, python3, pip and pip3: each test that
# is about them builds its own (see commands()).
NO_COMMANDS = {"PATH": "/nonexistent/matrix-bin"}


@pytest.fixture
def run_script(run_script):
    """conftest's runner, with NO_COMMANDS unless the test gives a PATH."""
    def runner(*args: object, env: Optional[dict[str, str]] = None,
               **options: object):
        return run_script(*args, env={**NO_COMMANDS, **(env or {})},
                          **options)
    return runner


def commands(folder: Path, **targets: "str | Path") -> dict[str, str]:
    """{"PATH": folder}, a folder of symbolic links: name -> target."""
    folder.mkdir(exist_ok=True)
    for name, target in targets.items():
        (folder / name).symlink_to(target)
    return {"PATH": str(folder)}


def ask(python: "str | Path", code: str) -> str:
    return subprocess.run([str(python), "-c", code], capture_output=True,
                          text=True, check=True, timeout=30,
                          env=clean_env()).stdout.strip()


def run_raw(python: "str | Path", env: Optional[dict[str, str]] = None,
            args: tuple[str, ...] = (), **streams: object
            ) -> "subprocess.CompletedProcess[bytes]":
    """The script's bytes as a terminal would get them."""
    options: dict[str, object] = {"stdout": subprocess.PIPE,
                                  "stderr": subprocess.PIPE}
    options.update(streams)
    return subprocess.run([str(python), str(SCRIPT), *args],
                          env=clean_env({**NO_COMMANDS, **(env or {})}),
                          cwd=ROOT, timeout=60, **options)


def section(lines: list[str], title: str) -> list[str]:
    """The lines of a blank-line-separated section, title first."""
    start = lines.index(title)
    end = lines.index("", start) if "" in lines[start:] else len(lines)
    return lines[start:end]


def notes(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("NOTE: ")]


# What a global interpreter may say of itself (Debian's is externally
# managed; a user cannot write to a system's site-packages), left out by
# the tests that are about something else.
OWN_NOTES = ("NOTE: This interpreter is externally managed",
             "NOTE: You cannot write to ")


def other_notes(lines: list[str]) -> list[str]:
    return [note for note in notes(lines) if not note.startswith(OWN_NOTES)]


def welcome(venv: Path) -> list[str]:
    return [line.format(python=venv_python(venv), name=venv.name, path=venv,
                        site_packages=site_packages(venv))
            for line in WELCOME]


def edit_cfg(venv: Path, old: str, new: str) -> None:
    cfg = venv / "pyvenv.cfg"
    text = cfg.read_text()
    assert old in text, text
    cfg.write_text(text.replace(old, new))


# --- Global interpreters --------------------------------------------------

@pytest.mark.parametrize("python", supported_pythons())
def test_global_interpreter_is_plugged_in(run_script, python: Path,
                                          tmp_path: Path) -> None:
    if not python.exists():
        pytest.skip("%s is not installed" % python)
    done = run_script("construct", python=python, env=commands(
        tmp_path / "bin", python=python, python3=python))
    executable = ask(python, "import sys; print(sys.executable)")
    assert done.returncode == 0 and done.stderr == ""
    assert done.lines[:len(PLUGGED_IN)] == [
        line.format(python=executable) for line in PLUGGED_IN]
    assert "Environment details:" not in done.lines
    # Debian's own Python carries PEP 668's marker; pyenv's do not.
    marker = Path(ask(python, "import sysconfig; print(sysconfig.get_path("
                      "'stdlib'))")) / "EXTERNALLY-MANAGED"
    assert notes(done.lines) == [
        "NOTE: This interpreter is externally managed (PEP 668, %s): pip "
        "install refuses to run here. Make a venv: python -m venv "
        "matrix_env" % marker] * marker.exists()
    # What site reports there: the global packages are in the existing
    # directories; pip installs into the first one listed, existing or not.
    listed = ask(python, "import site; print('\\n'.join(p for p in "
                 "site.getsitepackages() if p.endswith('-packages')))"
                 ).splitlines()
    existing = [folder for folder in listed if os.path.isdir(folder)]
    assert section(done.lines, "Package locations:")[1:3] == [
        "Global packages: " + ", ".join(existing),
        "This interpreter installs into: " + listed[0]]


def test_debian_installs_where_pip_would_even_before_it_exists(
        run_script, debian_python: Path, tmp_path: Path) -> None:
    """Debian's site lists /usr/local/lib/python3.X/dist-packages first,
    created by the first pip install: here a prefix laid out like /usr
    where that folder does not exist yet."""
    version = ask(debian_python, "import sys; print('%d.%d' % "
                  "sys.version_info[:2])")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / ("python" + version)).symlink_to(
        "/usr/lib/python" + version)
    (tmp_path / "lib" / "python3" / "dist-packages").mkdir(parents=True)
    done = run_script("construct", python=debian_python,
                      env={"PYTHONHOME": str(tmp_path)})
    assert done.returncode == 0 and done.stderr == ""
    assert section(done.lines, "Package locations:")[1:3] == [
        "Global packages: %s/lib/python3/dist-packages" % tmp_path,
        "This interpreter installs into: %s/local/lib/python%s/"
        "dist-packages" % (tmp_path, version)]


def test_debian_python_shows_dist_packages(run_script,
                                           debian_python: Path) -> None:
    done = run_script("construct", python=debian_python)
    global_line = section(done.lines, "Package locations:")[1]
    assert "/usr/lib/python3/dist-packages" in global_line
    assert "site-packages" not in global_line


def test_user_site_is_shown_when_enabled_and_hidden_when_disabled(
        run_script, global_python: Path) -> None:
    user_site = ask(global_python,
                    "import site; print(site.getusersitepackages())")
    shown = run_script("construct", python=global_python)
    assert "User site (pip install --user): " + user_site in \
        section(shown.lines, "Package locations:")
    hidden = run_script("construct", python=global_python,
                        env={"PYTHONNOUSERSITE": "1"})
    assert not any(line.startswith("User site") for line in hidden.lines)


# --- Virtual environments -------------------------------------------------

def test_bare_venv_run_by_path_without_activation(run_script,
                                                  bare_venv: Path) -> None:
    done = run_script("construct", python=venv_python(bare_venv))
    assert done.returncode == 0 and done.stderr == ""
    assert done.lines[:len(WELCOME)] == welcome(bare_venv)
    assert notes(done.lines) == []
    base_dirs = ask(GLOBAL_PYTHON, "import site, os; print(', '.join(p for p"
                    " in site.getsitepackages() if os.path.isdir(p)))")
    # A venv does not use the user site.
    assert section(done.lines, "Package locations:") == [
        "Package locations:", "Global packages: " + base_dirs,
        "This interpreter installs into: %s" % site_packages(bare_venv)]
    assert section(done.lines, "Environment details:") == [
        "Environment details:", "Created by: venv (the standard library)",
        "Made from the interpreter in: %s" % GLOBAL_PYTHON.parent,
        "Global packages visible here: no"]


def test_activated_venv_gives_the_same_verdict(run_script,
                                               bare_venv: Path) -> None:
    activated = {"VIRTUAL_ENV": str(bare_venv), "PATH": "%s/bin:%s" % (
        bare_venv, NO_COMMANDS["PATH"])}
    done = run_script("construct", python="python", env=activated)
    assert done.lines[:len(WELCOME)] == welcome(bare_venv)
    assert notes(done.lines) == []


def test_stale_virtual_env_says_deleted_moved_or_renamed(
        run_script, tmp_path: Path, global_python: Path) -> None:
    gone = tmp_path / "deleted_env"
    done = run_script("construct", python=global_python, env={
        "VIRTUAL_ENV": str(gone), **commands(tmp_path / "bin",
                                             python=global_python)})
    assert done.lines[0] == "MATRIX STATUS: You're still plugged in"
    assert other_notes(done.lines) == [
        "NOTE: Your shell activated %s, but this program runs %s, not its "
        "interpreter. That folder is gone: deleted, moved or renamed. Create"
        " the environment again and activate the new one."
        % (gone, global_python)]


def test_existing_venv_activated_but_global_interpreter_run(
        run_script, bare_venv: Path, global_python: Path) -> None:
    done = run_script("construct", python=global_python, env={
        "VIRTUAL_ENV": str(bare_venv), "PATH": str(bare_venv / "bin")})
    assert done.lines[0] == "MATRIX STATUS: You're still plugged in"
    assert other_notes(done.lines) == [
        "NOTE: Your shell activated %s, but this program runs %s, not its "
        "interpreter. Run that environment's own python, or deactivate and "
        "activate the one you mean." % (bare_venv, global_python)]


def test_venv_a_run_while_venv_b_is_activated(run_script, bare_venv: Path,
                                              system_site_venv: Path) -> None:
    done = run_script("construct", python=venv_python(bare_venv), env={
        "VIRTUAL_ENV": str(system_site_venv),
        "PATH": str(system_site_venv / "bin")})
    assert done.lines[:len(WELCOME)] == welcome(bare_venv)
    [note] = notes(done.lines)
    assert note.startswith("NOTE: Your shell activated %s, but this program "
                           "runs %s" % (system_site_venv,
                                        venv_python(bare_venv)))


def test_activated_through_a_symlink_is_the_same_venv(
        run_script, bare_venv: Path, tmp_path: Path) -> None:
    link = tmp_path / "link_env"
    link.symlink_to(bare_venv)
    done = run_script("construct", python=venv_python(bare_venv),
                      env={"VIRTUAL_ENV": str(link),
                           "PATH": str(link / "bin")})
    assert notes(done.lines) == []


def test_system_site_packages_leak_is_reported(run_script,
                                               system_site_venv: Path) -> None:
    done = run_script("construct", python=venv_python(system_site_venv))
    assert done.lines[:len(WELCOME)] == welcome(system_site_venv)
    assert notes(done.lines) == [
        "NOTE: include-system-site-packages = true in %s/pyvenv.cfg: global"
        " packages leak in. Recreate the environment without "
        "--system-site-packages." % system_site_venv]
    assert section(done.lines, "Environment details:")[-1] == \
        "Global packages visible here: yes (they are on sys.path)"


@pytest.mark.parametrize("setting, leaks", [
    ("Include-System-Site-Packages = TRUE", True),
    ("include-system-site-packages=true", True),
    ("include-system-site-packages = false", False),
])
def test_system_site_setting_is_read_as_site_reads_it(
        run_script, fresh_venv, setting: str, leaks: bool) -> None:
    venv = fresh_venv()
    edit_cfg(venv, "include-system-site-packages = false", setting)
    done = run_script("construct", python=venv_python(venv))
    assert (notes(done.lines) != []) is leaks
    assert ("Global packages visible here: yes (they are on sys.path)"
            in done.lines) is leaks


def test_poetry_venv_was_created_by_virtualenv(run_script,
                                               project_venv: Path) -> None:
    if "virtualenv" not in (project_venv / "pyvenv.cfg").read_text():
        pytest.skip("the test environment was not made by virtualenv")
    done = run_script("construct", python=venv_python(project_venv))
    assert done.lines[:len(WELCOME)] == welcome(project_venv)
    details = section(done.lines, "Environment details:")
    assert details[1].startswith("Created by: virtualenv ")
    assert notes(done.lines) == []


@pytest.mark.parametrize("signature, made_by", [
    ("", "venv (the standard library)"),
    ("virtualenv = 20.25.0\nversion_info = {v}.final.0\n",
     "virtualenv 20.25.0"),
    ("uv = 0.5.1\nversion_info = {v}\n", "uv 0.5.1"),
], ids=["venv", "virtualenv", "uv"])
def test_the_tool_that_made_the_venv(run_script, fresh_venv, signature: str,
                                     made_by: str) -> None:
    """virtualenv and uv sign pyvenv.cfg and record the version under
    version_info (virtualenv with a release level): as they write it."""
    venv = fresh_venv()
    version = "%d.%d.%d" % sys.version_info[:3]
    if signature:
        edit_cfg(venv, "version = %s\n" % version,
                 signature.format(v=version))
    done = run_script("construct", python=venv_python(venv))
    assert done.lines[:len(WELCOME)] == welcome(venv)
    details = section(done.lines, "Environment details:")
    assert details[1:2] == ["Created by: " + made_by]
    assert notes(done.lines) == []


def test_broken_venv_whose_interpreter_is_gone(run_script, fresh_venv,
                                               tmp_path: Path) -> None:
    venv = fresh_venv()
    gone = tmp_path / "uninstalled" / "bin"
    edit_cfg(venv, "home = %s" % GLOBAL_PYTHON.parent, "home = %s" % gone)
    done = run_script("construct", python=venv_python(venv))
    assert done.lines[:len(WELCOME)] == welcome(venv)
    assert notes(done.lines) == [
        "NOTE: Broken: the interpreter this environment was made from (%s) "
        "is gone. Delete and recreate it." % gone]


def test_pyvenv_cfg_without_home(run_script, fresh_venv) -> None:
    """CPython then finds the standard library from the executable itself;
    site.py still makes the folder a venv."""
    venv = fresh_venv()
    edit_cfg(venv, "home = %s\n" % GLOBAL_PYTHON.parent, "")
    base = ask(venv_python(venv), "import sys; print(sys.base_prefix)")
    done = run_script("construct", python=venv_python(venv))
    assert done.lines[:len(WELCOME)] == welcome(venv)
    assert section(done.lines, "Environment details:")[1] == \
        "Created by: unknown"
    assert notes(done.lines) == [
        "NOTE: %s/pyvenv.cfg has no 'home' line naming the interpreter this"
        " environment was made from: Python guessed %s from the executable."
        " Recreate it." % (venv, base)]


def test_version_mismatch_in_pyvenv_cfg_is_reported(run_script,
                                                    fresh_venv) -> None:
    """Another minor version breaks compiled packages (a new ABI)."""
    venv = fresh_venv("upgraded_env")
    major, minor, micro = sys.version_info[:3]
    edit_cfg(venv, "version = %d.%d." % (major, minor),
             "version = %d.%d." % (major, minor - 1))
    done = run_script("construct", python=venv_python(venv))
    assert notes(done.lines) == [
        "NOTE: Made with Python %d.%d.%d, this environment runs Python "
        "%d.%d.%d: its compiled packages may not work. Recreate it with the "
        "Python you use." % (major, minor - 1, micro, major, minor, micro)]


@pytest.mark.parametrize("recorded", ["{M}.{m}.0", "{M}.{m}.99",
                                      "{M}.{m}.0.final.0"])
def test_another_patch_release_is_no_mismatch(run_script, fresh_venv,
                                              recorded: str) -> None:
    """A venv made by 3.11.2 and run by 3.11.7 keeps working: a patch
    release keeps the ABI."""
    venv = fresh_venv()
    version = "%d.%d.%d" % sys.version_info[:3]
    edit_cfg(venv, "version = %s" % version, "version = " + recorded.format(
        M=sys.version_info[0], m=sys.version_info[1]))
    assert notes(run_script("construct", python=venv_python(venv)).lines) \
        == []


@pytest.mark.parametrize("python", supported_pythons())
def test_moved_venv_is_reported(run_script, python: Path,
                                tmp_path: Path) -> None:
    """Each release writes its activate script its own way (3.12 and 3.13
    add a cygpath line, Debian's quotes nothing)."""
    if not python.exists():
        pytest.skip("%s is not installed" % python)
    old = make_venv(tmp_path, "matrix_env", python=python)
    new = tmp_path / "renamed_env"
    old.rename(new)
    done = run_script("construct", python=venv_python(new))
    assert done.returncode == 0
    assert done.lines[:5] == welcome(new)[:5]
    assert notes(done.lines) == [
        "NOTE: This environment was created at %s, then moved, renamed or "
        "copied: its activate script and its scripts still point there. "
        "Recreate it here." % old]
    # The shell that activated it before the move still names the old
    # place, and activating it again would too.
    stale = run_script("construct", python=venv_python(new),
                       env={"VIRTUAL_ENV": str(old)})
    assert any("That folder is gone: deleted, moved or renamed. Create the "
               "environment again and activate the new one." in note
               for note in notes(stale.lines))


@pytest.mark.parametrize("name", ["o'brien", "trailing space ", 'say "hi"'])
def test_quotes_and_spaces_in_a_venv_path_are_not_a_move(
        run_script, tmp_path: Path, name: str) -> None:
    venv = make_venv(tmp_path, name)
    done = run_script("construct", python=venv_python(venv))
    assert done.lines[:5] == welcome(venv)[:5]
    assert notes(done.lines) == []


def test_a_shell_quoted_path_is_not_misread_as_a_move(
        run_script, tmp_path: Path) -> None:
    """virtualenv (which Poetry uses) writes a path holding a quote the
    shell's way, '/o'"'"'brien/env': not undone, and not a move either."""
    venv = make_venv(tmp_path / "o'brien", "env")
    activate = venv / "bin" / "activate"
    quoted = str(venv).replace("'", "'\"'\"'")
    activate.write_text("VIRTUAL_ENV='%s'\n" % quoted + activate.read_text()
                        .replace("VIRTUAL_ENV=", "OLD_VIRTUAL_ENV="))
    done = run_script("construct", python=venv_python(venv))
    assert notes(done.lines) == []


def test_a_fifo_for_an_activate_script_does_not_block(
        run_script, fresh_venv) -> None:
    venv = fresh_venv("fifo_env")
    (venv / "bin" / "activate").unlink()
    os.mkfifo(venv / "bin" / "activate")
    done = run_script("construct", python=venv_python(venv), timeout=20)
    assert done.returncode == 0 and notes(done.lines) == []


def test_a_short_recorded_version_matches_its_releases(
        run_script, fresh_venv) -> None:
    venv = fresh_venv("short_env")
    cfg = venv / "pyvenv.cfg"
    major_minor = "%d.%d" % sys.version_info[:2]
    text = "".join(line for line in cfg.read_text().splitlines(True)
                   if not line.startswith("version"))
    cfg.write_text(text + "version = %s\n" % major_minor)
    assert notes(run_script("construct", python=venv_python(venv)).lines) \
        == []
    for other in (major_minor + "1",                            # 3.111
                  "%d.%d" % (sys.version_info[0],
                             sys.version_info[1] // 10)):       # 3.1
        cfg.write_text(text + "version = %s\n" % other)
        assert any("Made with Python %s," % other in note for note in notes(
            run_script("construct", python=venv_python(venv)).lines))


def test_venv_reached_through_a_symlink_was_not_moved(
        run_script, bare_venv: Path, tmp_path: Path) -> None:
    link = tmp_path / "link_env"
    link.symlink_to(bare_venv)
    done = run_script("construct", python=venv_python(link))
    assert done.lines[:5] == welcome(link)[:5]
    assert notes(done.lines) == []


def test_undecodable_bytes_in_the_activate_script(run_script,
                                                  fresh_venv) -> None:
    """Edited in a Latin-1 editor, say. (A pyvenv.cfg that is not UTF-8
    stops Python itself before any script runs.)"""
    venv = fresh_venv()
    with open(venv / "bin" / "activate", "ab") as script:
        script.write(b"# caf\xe9\n")
    done = run_script("construct", python=venv_python(venv))
    assert done.returncode == 0 and done.stderr == ""
    assert done.lines[:len(WELCOME)] == welcome(venv)


def test_working_directory_changes_nothing(run_script, tmp_path: Path,
                                           bare_venv: Path) -> None:
    here = run_script("construct", python=venv_python(bare_venv), cwd=ROOT)
    there = run_script("construct", python=venv_python(bare_venv),
                       cwd=tmp_path)
    assert here == there


# --- Which python, which pip ----------------------------------------------

PYENV_ROOT = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
DEBIAN_PIP = Path("/usr/bin/pip")
PIP_HEAD = "# -*- coding: utf-8 -*-\nimport re\nimport sys\n"


def pyenv_python(version: str) -> Path:
    python = PYENV_ROOT / "versions" / version / "bin" / "python3"
    if not python.exists() or not (PYENV_ROOT / "shims" / "python3").exists():
        pytest.skip("pyenv %s is not installed" % version)
    return python


def debian_pip() -> Path:
    if not DEBIAN_PIP.exists() or not DEBIAN_PIP.read_text().startswith(
            "#!/usr/bin/python3\n"):
        pytest.skip("no Debian pip at %s" % DEBIAN_PIP)
    return DEBIAN_PIP


def with_pip(venv: Path) -> Path:
    """A venv made without pip, given the pip of the environment running
    the tests (its package linked in, its launcher as pip writes it)."""
    pip = pytest.importorskip("pip")
    (site_packages(venv) / "pip").symlink_to(Path(pip.__file__).parent)
    for name in ("pip", "pip3"):
        launcher = venv / "bin" / name
        launcher.write_text("#!%s\n%s" % (venv_python(venv), PIP_HEAD))
        launcher.chmod(0o755)
    return venv


def command_lines(lines: list[str]) -> list[str]:
    return section(lines, "Commands on PATH (what each name runs):")[1:]


def test_no_python_on_path_and_a_pip_of_another_python(
        run_script, tmp_path: Path) -> None:
    """pyenv's 3.12 run by path on a PATH of Debian's: python3 and pip,
    which installs into Debian's python3.11. The subject's lines stay as
    they are; the note gives what works here."""
    python = pyenv_python("3.12.1")
    pip = debian_pip()
    path = commands(tmp_path / "bin", python3=python)
    shutil.copy(pip, tmp_path / "bin" / "pip")
    done = run_script("construct", python=python, env=path)
    executable = ask(python, "import sys; print(sys.executable)")
    assert done.lines[:len(PLUGGED_IN)] == [
        line.format(python=executable) for line in PLUGGED_IN]
    target = os.path.realpath("/usr/bin/python3")
    assert command_lines(done.lines) == [
        "python: none",
        "python3: %s/bin/python3 -> %s (symlink), this interpreter"
        % (tmp_path, python.resolve()),
        "pip: %s/bin/pip -> %s (#! line)" % (tmp_path, target),
        "pip3: none"]
    assert notes(done.lines) == [
        "NOTE: This PATH has no python command: typing python fails here. "
        "Where the lines above say python, type python3:",
        "NOTE: pip here is %s/bin/pip, which installs into %s, not this "
        "interpreter. Install with this one: python3 -m pip install "
        "<package>" % (tmp_path, target)]
    assert "python3 -m venv matrix_env" in done.lines


@pytest.mark.parametrize("exec_line", [
    "'''exec' \"{python}\" \"$0\" \"$@\"",      # a path with spaces
    "'''exec' {python} \"$0\" \"$@\"",          # a long path
])
def test_pips_sh_launcher_and_an_env_line(run_script, tmp_path: Path,
                                          exec_line: str) -> None:
    """pip writes "#!/bin/sh" and an exec line when the interpreter's
    path is too long for #! or has spaces; "#!/usr/bin/env python3" finds
    python3 on PATH."""
    venv = make_venv(tmp_path, "my env" if '"{python}"' in exec_line
                     else "x" * 130)
    folder = tmp_path / "bin"
    path = commands(folder, python3=GLOBAL_PYTHON)
    (folder / "pip").write_text("#!/bin/sh\n%s\n' '''\n%s" % (
        exec_line.format(python=venv_python(venv)), PIP_HEAD))
    (folder / "pip3").write_text("#!/usr/bin/env python3\n" + PIP_HEAD)
    for name in ("pip", "pip3"):
        (folder / name).chmod(0o755)
    done = run_script("construct", python=venv_python(venv), env=path)
    assert command_lines(done.lines)[2:] == [
        "pip: %s/pip -> %s (#! line), this interpreter" % (
            folder, venv_python(venv)),
        "pip3: %s/pip3 -> %s (#! line)" % (folder, GLOBAL_PYTHON.resolve())]


@pytest.mark.parametrize("setting, cwd_file, wanted", [
    ({"PYENV_VERSION": "3.12.1"}, "", "3.12.1 from PYENV_VERSION"),
    ({"PYENV_VERSION": "3.9.99:3.13.0"}, "", "3.13.0 from PYENV_VERSION"),
    ({}, "# pinned\n3.10.13 extra words\n", "3.10.13 from {local}"),
    ({}, "", "{global}"),
])
def test_pyenv_shims_resolved_as_pyenv_does(
        run_script, tmp_path: Path, setting: dict[str, str], cwd_file: str,
        wanted: str) -> None:
    """PYENV_VERSION, else the nearest .python-version upward, else
    $PYENV_ROOT/version; a:b means the first that has the command."""
    python = pyenv_python("3.12.1")
    for version in ("3.13.0", "3.10.13"):
        pyenv_python(version)
    project, here = tmp_path / "project", tmp_path / "project" / "sub"
    here.mkdir(parents=True)
    if cwd_file:
        (project / ".python-version").write_text(cwd_file)
    global_file = PYENV_ROOT / "version"
    version = global_file.read_text().split()[0] if global_file.exists() \
        else "system"
    wanted = wanted.format(local=project / ".python-version",
                           **{"global": "%s from %s" % (version,
                                                        global_file)})
    done = run_script("construct", python=python, cwd=here, env={
        "PATH": str(PYENV_ROOT / "shims"), **setting})
    python3 = command_lines(done.lines)[1]
    chosen = wanted.split()[0]
    target = os.path.realpath(PYENV_ROOT / "versions" / chosen / "bin" /
                              "python3") if chosen != "system" else "?"
    assert python3.startswith("python3: %s/shims/python3 -> %s (pyenv %s)"
                              % (PYENV_ROOT, target, wanted)), python3
    assert python3.endswith(", this interpreter") is (chosen == "3.12.1")


def test_pyenv_system_is_the_command_on_path_without_the_shims(
        run_script, tmp_path: Path) -> None:
    python = pyenv_python("3.12.1")
    commands(tmp_path, python3=python)
    done = run_script("construct", python=python, env={
        "PATH": "%s/shims:%s" % (PYENV_ROOT, tmp_path),
        "PYENV_VERSION": "system"})
    assert command_lines(done.lines)[1] == (
        "python3: %s/shims/python3 -> %s (pyenv system from PYENV_VERSION)"
        ", this interpreter" % (PYENV_ROOT, python.resolve()))


def test_clean_activated_venv_prints_no_note(run_script,
                                             tmp_path: Path) -> None:
    """Its own python and pip first on the whole PATH of this machine."""
    venv = with_pip(make_venv(tmp_path, "clean_env"))
    done = run_script("construct", python="python", env={
        "VIRTUAL_ENV": str(venv),
        "PATH": "%s/bin:%s" % (venv, os.environ["PATH"])})
    assert done.lines[:len(WELCOME)] == welcome(venv)
    assert notes(done.lines) == []
    assert all(line.endswith(", this interpreter")
               for line in command_lines(done.lines))


def test_venv_without_pip_reaches_another_pip(run_script,
                                              tmp_path: Path) -> None:
    venv = make_venv(tmp_path, "no_pip_env")
    other = with_pip(make_venv(tmp_path, "other_env"))
    done = run_script("construct", python="python", env={
        "VIRTUAL_ENV": str(venv),
        "PATH": "%s/bin:%s" % (venv, commands(tmp_path / "bin", pip=(
            other / "bin" / "pip"))["PATH"])})
    assert notes(done.lines) == [
        "NOTE: This environment has no pip of its own: pip here is %s/bin/"
        "pip, which installs into %s. Give it one, then install with it: "
        "python -m ensurepip && python -m pip install <package>"
        % (tmp_path, venv_python(other))]


def test_activated_venv_whose_bin_is_not_first(run_script, bare_venv: Path,
                                               tmp_path: Path) -> None:
    """pyenv's or conda's setup run after activate put its folder first:
    python is the global one."""
    path = commands(tmp_path, python=GLOBAL_PYTHON)["PATH"]
    done = run_script("construct", python="python", env={
        "VIRTUAL_ENV": str(bare_venv),
        "PATH": "%s:%s/bin" % (path, bare_venv)})
    assert done.lines[0] == "MATRIX STATUS: You're still plugged in"
    assert "NOTE: Your shell activated %s, but the python this PATH finds "\
        "first is not its own: %s/python -> %s (symlink). Something run "\
        "after activate (pyenv or conda setup) put its folder first: run "\
        "source %s/bin/activate again, last." % (
            bare_venv, tmp_path, GLOBAL_PYTHON.resolve(), bare_venv) \
        in notes(done.lines)


def test_what_pip_cannot_write_asks_for_a_venv() -> None:
    """An unwritable global site-packages (tests run as root here): pip
    would ask for sudo."""
    gathered = facts(unwritable="/usr/lib/python3.11/site-packages")
    found = construct.decide(gathered, none_found()).notes
    assert found == ["no_python", "unwritable"]
    assert notes(report(gathered, [
        launcher("python", "/usr/bin/python3", this=True),
        launcher("python3"), launcher("pip", "/usr/bin/pip"),
        launcher("pip3")])) == [
        "NOTE: You cannot write to /usr/lib/python3.11/site-packages: pip "
        "install would ask for sudo (don't: it mixes your packages with the "
        "system's). Make a venv: python -m venv matrix_env"]


def test_a_fifo_and_hostile_names_on_path(run_script, tmp_path: Path) -> None:
    """A FIFO is passed over (never read: it would block); a launcher
    whose #! names a loop of links ends; a folder name with control
    characters is escaped."""
    folder = tmp_path / "bin\x1b[2J"
    folder.mkdir()
    os.mkfifo(folder / "pip")
    (folder / "pip").chmod(0o755)
    (tmp_path / "loop").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop")
    (folder / "pip3").write_text("#!%s/loop\n" % tmp_path)
    (folder / "pip3").chmod(0o755)
    path = commands(folder, python3=GLOBAL_PYTHON)
    done = run_raw(GLOBAL_PYTHON, env=path)
    assert done.returncode == 0 and b"\x1b" not in done.stdout
    lines = done.stdout.decode().splitlines()
    assert command_lines(lines) == [
        "python: none", "python3: %s/bin\\x1b[2J/python3 -> %s (symlink), "
        "this interpreter" % (tmp_path, GLOBAL_PYTHON.resolve()),
        "pip: none", "pip3: %s/bin\\x1b[2J/pip3 -> (none) (#! line, a loop)"
        % tmp_path]


# --- What the activate script says, whatever Python makes of the venv -----

@pytest.mark.parametrize("how", ["-S", "deleted", "directory", "dangling"])
def test_no_move_when_python_does_not_see_the_venv(tmp_path: Path,
                                                   how: str) -> None:
    """python -S, or pyvenv.cfg gone: Python runs as the global
    interpreter, but the venv was not moved."""
    venv = make_venv(tmp_path, "matrix_env")
    cfg = venv / "pyvenv.cfg"
    if how != "-S":
        cfg.unlink()
    if how == "directory":
        cfg.mkdir()
    elif how == "dangling":
        cfg.symlink_to(tmp_path / "nothing")
    done = subprocess.run(
        [str(venv_python(venv)), *[how] * (how == "-S"), str(SCRIPT)],
        capture_output=True, text=True, env=clean_env(NO_COMMANDS),
        timeout=60)
    assert done.returncode == 0 and done.stderr == ""
    assert not any("moved" in note for note in notes(done.stdout.splitlines()))


def test_non_ascii_venv_path_in_the_c_locale(tmp_path: Path) -> None:
    """LC_ALL=C without UTF-8 mode: file names are ASCII with escapes, and
    the paths read from the venv's files name them alike."""
    venv = make_venv(tmp_path, "caf\u00e9_env")
    done = subprocess.run(
        [str(venv_python(venv)), "-X", "utf8=0", str(SCRIPT)],
        capture_output=True, env=clean_env({**NO_COMMANDS, "LC_ALL": "C",
                                            "LANG": "C"}), timeout=60)
    assert (done.returncode, done.stderr) == (0, b"")
    assert notes(done.stdout.decode("ascii").splitlines()) == []


def test_deleted_working_directory_and_a_relative_virtual_env(
        tmp_path: Path, global_python: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    done = subprocess.run(
        ["/bin/sh", "-c", 'cd "$0" && PATH=/usr/bin:/bin rmdir "$0" && '
         'exec "$1" "$2"',
         str(gone),
         str(global_python), str(SCRIPT)], capture_output=True, text=True,
        env=clean_env({"VIRTUAL_ENV": "matrix_env", **commands(
            tmp_path / "bin", python=global_python)}), timeout=60)
    assert (done.returncode, done.stderr) == (0, "")
    assert other_notes(done.stdout.splitlines()) == [
        "NOTE: Your shell activated matrix_env, but this program runs %s, "
        "not its interpreter. That folder is gone: deleted, moved or "
        "renamed. Create the environment again and activate the new one."
        % global_python]


# --- Output, exit codes, hostile strings ----------------------------------

def test_help_and_bad_arguments(run_script) -> None:
    helped = run_script("construct", args=("--help",))
    assert helped.returncode == 0 and helped.stderr == ""
    assert helped.lines[0] == "usage: construct.py [-h]"
    bad = run_script("construct", args=("--verbose",))
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.splitlines() == [
        "usage: construct.py [-h]", "construct.py: takes no arguments"]
    extra = run_script("construct", args=("-h", "x"))
    assert extra.returncode == 2 and extra.stdout == ""


def test_closed_stdout_gives_one_line_and_exit_1() -> None:
    done = subprocess.run(["sh", "-c", '"$0" "$1" >&-', sys.executable,
                           str(SCRIPT)], capture_output=True, text=True,
                          env=clean_env(), timeout=60)
    assert (done.returncode, done.stderr) == (
        1, "construct.py: standard output is closed\n")


@pytest.mark.parametrize("target, mode, reason", [
    ("/dev/full", "w", "No space left on device"),
    (os.devnull, "r", "Bad file descriptor"),     # 1</dev/null
])
@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_unwritable_output_gives_one_line_and_exit_1(
        target: str, mode: str, reason: str, unbuffered: str) -> None:
    if not os.path.exists(target):
        pytest.skip("no %s here" % target)
    env = {"PYTHONUNBUFFERED": unbuffered} if unbuffered else None
    with open(target, mode) as stdout:
        done = run_raw(sys.executable, env=env, stdout=stdout)
    assert done.returncode == 1
    assert done.stderr == b"construct.py: cannot write the output: %s\n" \
        % reason.encode()


@pytest.mark.parametrize("args", [(), ("--help",)])
@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_reader_that_left_early_is_no_error(args: tuple[str, ...],
                                            unbuffered: str) -> None:
    """script | head, once head has exited: stdout has no reader."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = run_raw(sys.executable, args=args, stdout=write_end,
                       env={"PYTHONUNBUFFERED": unbuffered})
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (0, b"")


def test_failing_stderr_is_ignored() -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:
        both = run_raw(sys.executable, stdout=full, stderr=full)
        usage = run_raw(sys.executable, args=("-x",), stderr=full)
    assert both.returncode == 1
    assert (usage.returncode, usage.stdout) == (2, b"")
    closed = subprocess.run(["sh", "-c", '"$0" "$1" -x 2>&-',
                             sys.executable, str(SCRIPT)],
                            capture_output=True, env=clean_env(), timeout=60)
    assert (closed.returncode, closed.stdout) == (2, b"")


def test_ctrl_c_gives_one_line_and_exit_130() -> None:
    """A real SIGINT while the script waits to write: its stdout is a pipe
    that nobody has read yet."""
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    try:
        while True:
            os.write(write_end, b"." * 4096)
    except BlockingIOError:
        os.set_blocking(write_end, True)
    process = interruptible([sys.executable, str(SCRIPT)], cwd=ROOT,
                            stdout=write_end, stderr=subprocess.PIPE,
                            env=clean_env())
    os.close(write_end)
    # Linux names what a process waits for ("0" while it runs); where it
    # does not, a second is plenty.
    wchan = Path("/proc/%d/wchan" % process.pid)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if "pipe" in wchan.read_text():
                break
        except OSError:
            time.sleep(1)
            break
        time.sleep(0.005)
    process.send_signal(signal.SIGINT)
    os.set_blocking(read_end, False)
    while process.poll() is None:
        try:
            os.read(read_end, 1 << 16)
        except BlockingIOError:
            time.sleep(0.005)
    os.close(read_end)
    assert process.stderr is not None
    assert (process.returncode, process.stderr.read()) == (
        130, b"construct.py: interrupted\n")


HOSTILE = "/tmp/x\x1b[2J\x1b]0;pwned\x07\nNOTE: fake\u202e\udcff"


def test_control_characters_in_virtual_env_are_escaped(
        global_python: Path, tmp_path: Path) -> None:
    done = run_raw(global_python, env={"VIRTUAL_ENV": HOSTILE, **commands(
        tmp_path, python=global_python)})
    assert done.returncode == 0 and done.stderr == b""
    assert b"\x1b" not in done.stdout and b"\x07" not in done.stdout
    lines = done.stdout.decode("utf-8").splitlines()
    [note] = other_notes(lines)
    assert note.startswith("NOTE: Your shell activated /tmp/x\\x1b[2J"
                           "\\x1b]0;pwned\\x07\\nNOTE: fake\\u202e\\udcff, "
                           "but this program runs ")


def test_control_characters_in_the_venv_path_are_escaped(
        tmp_path: Path) -> None:
    venv = make_venv(tmp_path, "matrix\x1b[31m\nenv")
    done = run_raw(venv_python(venv))
    assert done.returncode == 0 and done.stderr == b""
    assert b"\x1b" not in done.stdout
    lines = done.stdout.decode("utf-8").splitlines()
    assert lines[3:5] == [
        "Virtual Environment: matrix\\x1b[31m\\nenv",
        "Environment Path: %s/matrix\\x1b[31m\\nenv" % tmp_path]


def test_non_ascii_path_with_an_ascii_terminal(tmp_path: Path) -> None:
    venv = make_venv(tmp_path, "caf\u00e9_env")
    done = run_raw(venv_python(venv), env={"PYTHONIOENCODING": "ascii"})
    assert done.returncode == 0 and done.stderr == b""
    assert b"Virtual Environment: caf\\xe9_env\n" in done.stdout


# --- Unit tests: what cannot exist on this machine ------------------------

def facts(**changes: object) -> object:
    """What gather_facts() would read on a machine we do not have; a
    "cfg_" change sets that field of pyvenv.cfg's record."""
    base = construct.Facts()
    base.executable, base.version = "/usr/bin/python3", "3.11.2"
    base.prefix = base.base_prefix = "/usr"
    base.install_dir = "/usr/lib/python3.11/site-packages"
    base.global_dirs = ("/usr/lib/python3.11/site-packages",)
    base.cfg = construct.VenvConfig()
    for name, value in changes.items():
        if name.startswith("cfg_"):
            setattr(base.cfg, name[4:], value)
        else:
            setattr(base, name, value)
    return base


def changed(gathered: object, **changes: object) -> object:
    """A copy of those facts with these changes (see facts())."""
    fields = {name: getattr(gathered, name) for name in vars(gathered)
              if name != "cfg"}
    fields.update({"cfg_" + name: value for name, value
                   in vars(gathered.cfg).items()})
    fields.update(changes)
    return facts(**fields)


def launcher(name: str, file: str = "", interpreter: str = "",
             this: bool = False) -> object:
    """What gather_launchers() would find on a machine we do not have."""
    found = construct.Launcher()
    found.name, found.file, found.this = name, file, this
    found.interpreter = interpreter or file
    return found


def none_found() -> list[object]:
    return [launcher(name) for name in construct.COMMANDS]


def report(gathered: object,
           launchers: Optional[list[object]] = None) -> list[str]:
    """The lines main() prints for these facts."""
    return construct.build_report(gathered, launchers or none_found()
                                  ).splitlines()


def conda_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 prefix: Path) -> Path:
    """sys as a conda Python in prefix sees it (conda-meta marks it)."""
    (prefix / "conda-meta").mkdir(parents=True)
    (prefix / "bin").mkdir()
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.setattr(sys, "prefix", str(prefix))
    monkeypatch.setattr(sys, "base_prefix", str(prefix))
    monkeypatch.setattr(sys, "executable", str(prefix / "bin" / "python"))
    # Where this platform's site.py puts base's packages: lib/python3.X/
    # site-packages, or Debian's local/lib/python3.X/dist-packages first.
    return Path(site.getsitepackages([str(tmp_path / "miniconda3")])[0])


def conda_facts() -> object:
    """gather_facts() for the conda Python laid out by conda_layout; the
    standard library is still the one running the tests, whose PEP 668
    marker (Debian's) a conda Python does not have."""
    gathered = construct.gather_facts()
    gathered.managed = ""
    return gathered


def test_named_conda_env_is_isolated_and_sees_base_packages(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Named after its folder, not after a CONDA_DEFAULT_ENV that a shell
    may have left behind; its global packages are base's."""
    prefix = tmp_path / "miniconda3" / "envs" / "zion"
    base_packages = conda_layout(tmp_path, monkeypatch, prefix)
    base_packages.mkdir(parents=True)
    monkeypatch.setenv("CONDA_DEFAULT_ENV", "base")
    lines = report(conda_facts())
    assert lines[:5] == ["MATRIX STATUS: Welcome to the construct", "",
                         "Current Python: %s/bin/python" % prefix,
                         "Virtual Environment: zion",
                         "Environment Path: %s" % prefix]
    assert "Global packages: %s" % base_packages in lines
    assert section(lines, "Environment details:") == [
        "Environment details:", "Created by: conda (an environment of its "
        "own)", "Global packages visible here: no"]
    assert notes(lines) == []


def test_conda_env_made_with_a_path_is_not_base(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """conda create -p ./zion: anywhere, not under envs/, and still an
    environment of its own; base is the one that holds condabin/ and
    pkgs/ (its global packages are not known from here)."""
    prefix = tmp_path / "project" / "zion"
    conda_layout(tmp_path, monkeypatch, prefix)
    lines = report(conda_facts())
    assert lines[:4] == ["MATRIX STATUS: Welcome to the construct", "",
                         "Current Python: %s/bin/python" % prefix,
                         "Virtual Environment: zion"]
    assert "Global packages: (unknown)" in lines
    assert "Created by: conda (an environment of its own)" in lines
    assert notes(lines) == []


def test_conda_base_is_global_with_advice(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prefix = tmp_path / "miniconda3"
    conda_layout(tmp_path, monkeypatch, prefix)
    (prefix / "condabin").mkdir()
    (prefix / "pkgs").mkdir()
    lines = report(conda_facts(), [
        launcher("python", str(prefix / "bin" / "python"), this=True),
        launcher("python3"), launcher("pip"), launcher("pip3")])
    assert lines[0] == "MATRIX STATUS: You're still plugged in"
    assert "Environment details:" not in lines
    assert notes(lines) == [
        "NOTE: This is conda's base environment, shared by all of conda. "
        "Make your own: conda create -n matrix_env python, then conda "
        "activate matrix_env."]


def test_legacy_virtualenv_is_isolated() -> None:
    lines = report(facts(
        prefix="/home/neo/env", base_prefix="/home/neo/env",
        real_prefix="/usr", executable="/home/neo/env/bin/python",
        install_dir="/home/neo/env/lib/python3.11/site-packages"))
    assert lines[:len(WELCOME)] == [line.format(
        python="/home/neo/env/bin/python", name="env", path="/home/neo/env",
        site_packages="/home/neo/env/lib/python3.11/site-packages")
        for line in WELCOME]
    assert section(lines, "Environment details:") == [
        "Environment details:", "Created by: virtualenv older than 20 "
        "(sys.real_prefix); better recreate it with python -m venv",
        "Global packages visible here: no"]
    assert notes(lines) == []


@pytest.mark.parametrize("system_site", [False, True])
def test_legacy_site_without_getsitepackages_falls_back_on_sys_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        system_site: bool) -> None:
    """virtualenv < 20 (on Python 3.10; 3.11 freezes site) replaces site.py
    with one that lacks it and sets sys.real_prefix: sys.path shows where
    this interpreter looks, and the global packages it sees."""
    env, real = tmp_path / "env", tmp_path / "python3.10"
    own = env / "lib" / "python3.10" / "site-packages"
    shared = real / "lib" / "python3.10" / "site-packages"
    own.mkdir(parents=True)
    shared.mkdir(parents=True)
    monkeypatch.delattr(site, "getsitepackages")
    monkeypatch.setattr(sys, "real_prefix", str(real), raising=False)
    monkeypatch.setattr(sys, "prefix", str(env))
    monkeypatch.setattr(sys, "base_prefix", str(env))
    monkeypatch.setattr(sys, "path", ["", str(real / "lib" / "python3.10"),
                                      str(own)] + [str(shared)] * system_site)
    gathered = construct.gather_facts()
    assert gathered.install_dir == str(own)
    assert gathered.global_dirs == ((str(shared),) if system_site else ())
    assert gathered.global_visible is system_site


def test_an_interpreter_that_does_not_know_its_path(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", "")
    assert report(construct.gather_facts())[2] == "Current Python: (unknown)"


def test_write_skips_a_closed_stdout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Once stdout is closed (after a failed write), nothing more is
    written and nothing is raised."""
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stdout", closed)
    assert construct.write("more") == 0


def test_windows_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(construct, "path", ntpath)
    lines = report(facts(
        executable="C:\\matrix_env\\Scripts\\python.exe",
        prefix="C:\\matrix_env", base_prefix="C:\\Python311",
        install_dir="C:\\matrix_env\\Lib\\site-packages",
        global_dirs=("C:\\Python311\\Lib\\site-packages",),
        virtual_env="C:\\zion_env", created_at="C:\\matrix_env"))
    assert lines[:len(WELCOME)] == [line.format(
        python="C:\\matrix_env\\Scripts\\python.exe", name="matrix_env",
        path="C:\\matrix_env",
        site_packages="C:\\matrix_env\\Lib\\site-packages")
        for line in WELCOME]
    assert "Global packages: C:\\Python311\\Lib\\site-packages" in lines
    [note] = notes(lines)
    assert note.startswith("NOTE: Your shell activated C:\\zion_env, but ")


@pytest.mark.parametrize("script, created_at", [
    ('VIRTUAL_ENV="/old/env"\nexport VIRTUAL_ENV\n', "/old/env"),
    ('if [ "$OSTYPE" = cygwin ]; then\n    export VIRTUAL_ENV=$(cygpath '
     '"/old/env")\nelse\n    export VIRTUAL_ENV="/old/env"\nfi\n',
     "/old/env"),
    ("VIRTUAL_ENV=/old/env\n", "/old/env"),
    ("VIRTUAL_ENV='/old/env'\nif [ cygwin ]; then\n    VIRTUAL_ENV=$(cygpath"
     ' "$VIRTUAL_ENV")\nfi\n', "/old/env"),
    ('    if [ ! -d /old/env ]; then\n        VIRTUAL_ENV="$CURRENT_ENV"\n'
     "    else\n        VIRTUAL_ENV=/old/env\n    fi\n", "/old/env"),
    ('VIRTUAL_ENV=$(dirname -- "$SCRIPT_DIR")\n', ""),
    ("", ""),
], ids=["venv-3.11", "venv-3.12", "debian", "virtualenv-20",
        "virtualenv-21", "relocatable", "none"])
def test_activate_scripts_name_where_a_venv_was_created(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str,
        created_at: str) -> None:
    """venv, Debian's venv, virtualenv and uv write it each their way."""
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "activate").write_text(script)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "bin" / "python"))
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    assert construct.gather_facts().created_at == created_at


def test_each_note_needs_its_condition() -> None:
    """The bare facts of a venv give no note; each change gives its own."""
    venv = facts(prefix="/v", executable="/v/bin/python",
                 cfg_file="/v/pyvenv.cfg", cfg_home="/usr/bin",
                 cfg_version="3.11.2")
    assert notes(report(venv)) == []
    flips = {
        "activated": {"virtual_env": "/elsewhere"},
        "leak": {"cfg_system_site": True},
        "broken": {"cfg_home": "/nonexistent/bin"},
        "no home": {"cfg_home": ""},
        "mismatch": {"cfg_version": "3.12.0"},
        "virtualenv's mismatch": {"cfg_version": "3.12.0.final.0"},
        "moved": {"created_at": "/old/v"},
    }
    for name, change in flips.items():
        assert len(notes(report(changed(venv, **change)))) == 1, name
    assert notes(report(changed(venv, created_at="/v"))) == []
    # A venv whose pyvenv.cfg is elsewhere (site.py also looks in bin/).
    unsigned = report(facts(prefix="/v", executable="/v/bin/python"))
    assert "Created by: unknown" in unsigned and notes(unsigned) == []


# --- Printed commands paste from folders whose names need quoting ----------

def test_commands_in_notes_paste_from_an_awkward_folder(
        run_script, tmp_path: Path) -> None:
    """A folder with a space, a quote and a '$': the notes' commands name
    its files so that the shell reads back the real paths."""
    import shlex
    awkward = tmp_path / "neo's $matrix dir"
    awkward.mkdir()
    venv = make_venv(awkward, "env")
    # No python on PATH: "type <this interpreter>", a global one reached
    # by a link in that folder (sys.executable keeps the link's path).
    (awkward / "python3").symlink_to(GLOBAL_PYTHON)
    done = run_script("construct", python=awkward / "python3",
                      env={"PATH": str(tmp_path / "nothing")})
    at = next(i for i, line in enumerate(done.lines)
              if line.startswith("NOTE: This PATH has no python command"))
    words = shlex.split(done.lines[at + 1])
    assert words[1:] == ["-m", "venv", "matrix_env"]
    assert Path(words[0]) == awkward / "python3"
    # An activated venv whose bin is not first on PATH: "source ...".
    path = commands(tmp_path / "first", python=GLOBAL_PYTHON)["PATH"]
    done = run_script("construct", python="python", env={
        "VIRTUAL_ENV": str(venv), "PATH": "%s:%s/bin" % (path, venv)})
    note = next(n for n in notes(done.lines) if "source " in n)
    source = note.split("run source ", 1)[1].rsplit(" again, last.", 1)[0]
    assert shlex.split(source) == [str(venv / "bin" / "activate")]


# --- Differential: pyenv's shims, against the real pyenv -------------------
#
# A throwaway PYENV_ROOT with generated installed versions (each bin/ a set
# of links to a real interpreter), shims made by the real `pyenv rehash`,
# and a generated choice (PYENV_VERSION, a .python-version here or above,
# the global version file). The shim is really run and prints the path it
# ran as; construct.py must name the same version, or say it cannot tell.

PYENV = PYENV_ROOT / "libexec" / "pyenv"
# Names pyenv installs, and the builds pyenv-latest leaves out.
INSTALLABLE = ["3.12.1", "3.12.10", "3.12.2", "3.11.7", "3.13.0", "3.13.1t",
               "3.12-dev", "3.14.0a1", "3.14.0rc2", "pypy3.10-7.3.12",
               "miniconda3-4.7.12", "2.7.18", "3.10", "3.9.18", "3.13"]
# What users write: names, prefixes, "python-", other builds, unknowns.
CHOSEN = INSTALLABLE + ["3", "3.12", "3.1", "3.13t", "python-3.12",
                        "python-3.11.7", "python-3", "pypy3.10", "miniconda3",
                        "system", "3.9.99", "3.12.", "3.14", "2", "pypy"]
SHIM_COMMANDS = ("python", "python3", "pip")
# What pyenv's bash scripts run, linked into a folder at the end of PATH
# (the system's own bin would hold a python3 of its own).
SHELL_TOOLS = ("bash", "cat", "sed", "grep", "sort", "awk", "cut", "head",
               "basename", "dirname", "tr", "mkdir", "ls", "readlink",
               "realpath", "xargs", "find", "uname", "rm", "ln", "chmod",
               "mv", "touch", "wc", "tail", "env")


def pyenv_or_skip() -> Path:
    if not PYENV.exists():
        pytest.skip("pyenv is not installed")
    return PYENV


@st.composite
def pyenv_layouts(draw: st.DrawFn) -> dict[str, object]:
    installed = draw(st.lists(st.sampled_from(INSTALLABLE), unique=True,
                              max_size=7))
    lacking = {name: draw(st.sets(st.sampled_from(SHIM_COMMANDS),
                                  max_size=2)) for name in installed}
    words = st.lists(st.sampled_from(CHOSEN), min_size=1, max_size=3)
    line = st.tuples(st.sampled_from(["", " ", "\t", "  "]), words,
                     st.sampled_from(["", " extra", "\t# note", "\r"])
                     ).map(lambda t: t[0] + " ".join(t[1][:1]) + t[2])
    file_text = st.lists(st.one_of(line, st.sampled_from(
        ["", "# a comment", "#3.12.1", "   "])), max_size=4).map("\n".join)
    where = draw(st.sampled_from(["PYENV_VERSION", "here", "above",
                                  "global", "nowhere"]))
    choice = ""
    if where == "PYENV_VERSION":
        choice = ":".join(draw(words))
    elif where != "nowhere":
        choice = draw(file_text)
    return {"installed": installed, "lacking": lacking, "where": where,
            "choice": choice,
            "system": draw(st.sets(st.sampled_from(SHIM_COMMANDS)))}


def build_pyenv(top: Path, layout: dict[str, object]) -> dict[str, str]:
    """The root, the working directory, and the environment of one run."""
    root, system = top / "root", top / "system"
    (root / "versions").mkdir(parents=True)
    system.mkdir()
    real = Path(os.path.realpath(GLOBAL_PYTHON))
    for name in layout["installed"]:
        (root / "versions" / name / "bin").mkdir(parents=True)
        for command in SHIM_COMMANDS:
            if command not in layout["lacking"][name]:
                (root / "versions" / name / "bin" / command).symlink_to(real)
    for command in layout["system"]:
        (system / command).symlink_to(real)
    tools = top / "tools"
    tools.mkdir()
    for tool in SHELL_TOOLS:
        if shutil.which(tool):
            (tools / tool).symlink_to(shutil.which(tool))
    here = top / "project" / "sub"
    here.mkdir(parents=True)
    env = clean_env({"PYENV_ROOT": str(root), "HOME": str(top),
                     "PWD": str(here), "LC_ALL": "C"})
    files = {"here": here, "above": top / "project", "global": root}
    if layout["where"] == "PYENV_VERSION":
        env["PYENV_VERSION"] = layout["choice"]
    elif layout["where"] in files:
        name = "version" if layout["where"] == "global" else ".python-version"
        (files[layout["where"]] / name).write_text(layout["choice"])
    subprocess.run([str(PYENV), "rehash"], env=env, check=True, timeout=60,
                   capture_output=True)
    env["PATH"] = "%s/shims:%s:%s" % (root, system, tools)
    return {"root": str(root), "here": str(here), **env}


def ran_as(command: str, env: dict[str, str], cwd: str) -> str:
    """What the shim really runs: the path it ran as, or "" on failure."""
    code = "import sys; print(sys.executable)"
    done = subprocess.run(["%s/shims/%s" % (env["root"], command), "-c",
                           code], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=60)
    if done.returncode != 0:
        return ""
    return os.path.normpath(done.stdout.strip())


def construct_says(line: str, env: dict[str, str]) -> "str | None":
    """Where construct.py says the shim goes: a path, "" for nothing, None
    when it says only running it would tell."""
    name, _, rest = line.partition(": ")
    if " (a pyenv shim, and " in rest:
        return None
    how = rest.rpartition(" (pyenv ")[2]
    if "-> (none)" in rest:
        return ""
    version = how.partition(" from ")[0]
    if version == "system":
        return "%s/%s" % (Path(env["root"]).parent / "system", name)
    return os.path.normpath("%s/versions/%s/bin/%s"
                            % (env["root"], version, name))


def shims_compared(top: Path, layout: dict[str, object]
                   ) -> list[tuple[str, "str | None", str]]:
    """(construct.py's line, where it says the shim goes, where it goes)
    for each shim, in a throwaway root laid out as layout says."""
    env = build_pyenv(top, layout)
    env.update(layout.get("env", {}))
    if layout.get("home_bin"):
        # A PATH entry written with "~", as pyenv-which expands it.
        (top / "bin").mkdir()
        (top / "bin" / "python3").symlink_to(os.path.realpath(GLOBAL_PYTHON))
        shims, _, rest = env["PATH"].partition(":")
        env["PATH"] = "%s:~/bin:%s" % (shims, rest)
    for folder in layout.get("extra", []):
        (Path(env["root"]) / folder).mkdir(parents=True)
        (Path(env["root"]) / folder / "python").symlink_to(
            os.path.realpath(GLOBAL_PYTHON))
    done = subprocess.run([str(GLOBAL_PYTHON), str(SCRIPT)], env=env,
                          cwd=env["here"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    compared = []
    for line in command_lines(done.stdout.splitlines()):
        name = line.partition(":")[0]
        if "%s/shims/%s " % (env["root"], name) in line:
            compared.append((line, construct_says(line, env),
                             ran_as(name, env, env["here"])))
    return compared


@budget(12, 150)
@given(layout=pyenv_layouts())
def test_pyenv_shims_agree_with_pyenv(layout: dict[str, object]) -> None:
    pyenv_or_skip()
    with tempfile.TemporaryDirectory() as folder:
        for line, said, real in shims_compared(Path(folder), layout):
            if said is not None:        # None: it says it cannot tell
                assert said == real, (line, real, layout)


def chosen(installed: list[str], choice: str, where: str = "PYENV_VERSION",
           extra: tuple[str, ...] = ()) -> dict[str, object]:
    return {"installed": installed, "lacking": {n: set() for n in installed},
            "where": where, "choice": choice, "system": set(SHIM_COMMANDS),
            "extra": list(extra)}


@pytest.mark.parametrize("layout", [
    chosen(["3.12.1"], "3.12:"),                    # one trailing ":"
    chosen(["pypy3.10-7.3.12"], "pypy3.10"),        # "-" after a prefix
    chosen(["3.12.2", "3.14.0rc2"], "3"),           # no release candidate
    chosen(["3.11.7", "3.12.1"], "3"),              # the newest minor
    chosen(["3.12.2", "3.12.10"], "3.12"),          # numbers, not text
    chosen(["3.12.1", "3.13.1t"], "3.13t"),         # free-threaded asked
    chosen(["miniconda3-4.7.12", "3.12.1"], "miniconda3"),
    chosen(["3.12.1"], "python-3.12\n# comment", "here"),
    chosen(["3.12.1"], "../versions-old/3.12", "here",
           ("versions-old/3.12/bin",)),          # leaves versions/
    chosen(["3.11.7"], "3.11.7/../3.11.7", "above"),
    chosen(["miniconda3-4.7.12", "miniconda3-23.1.0"], "miniconda3"),
    dict(chosen(["3.12.1"], "3.12", "here"), env={"PYENV_DIR": "/"}),
], ids=["trailing-colon", "dash", "rc", "minor", "numeric", "t", "conda",
        "python-", "outside", "inside", "conda-numbers", "pyenv-dir"])
def test_pyenv_choices_resolved_as_pyenv_does(
        tmp_path: Path, layout: dict[str, object]) -> None:
    """The forms pyenv reads, each compared with what the shim runs;
    none of them is one construct.py should refuse."""
    pyenv_or_skip()
    compared = shims_compared(tmp_path, layout)
    assert compared
    for line, said, real in compared:
        assert said == real, line


@pytest.mark.parametrize("setting, local, wanted", [
    ({"PYENV_VERSION": "3.11"}, "", "3.11.7"),
    ({"PYENV_VERSION": "python-3.12"}, "", "3.12.1"),
    ({"PYENV_VERSION": "3.12:3.11"}, "", "3.12.1"),
    ({}, "3.12\n", "3.12.1"),
    ({}, "python-3.13\r\n", "3.13.0"),
])
def test_pyenv_prefixes_resolve_to_the_newest_installed(
        run_script, debian_python: Path, tmp_path: Path,
        setting: dict[str, str], local: str, wanted: str) -> None:
    """pyenv local 3.12 writes "3.12": the shims run 3.12.1, not Debian's
    python3 that runs construct.py, which is not "this interpreter"."""
    target = pyenv_python(wanted)
    for version in ("3.11.7", "3.12.1"):
        pyenv_python(version)
    if local:
        (tmp_path / ".python-version").write_text(local)
    done = run_script("construct", python=debian_python, cwd=tmp_path,
                      env={"PATH": "%s/shims:/usr/bin" % PYENV_ROOT,
                           "PWD": str(tmp_path), **setting})
    python3 = command_lines(done.lines)[1]
    assert python3.startswith("python3: %s/shims/python3 -> %s (pyenv %s "
                              % (PYENV_ROOT, target.resolve(), wanted))
    assert not python3.endswith("this interpreter")
    assert "Make a venv: /usr/bin/python3 -m venv" in done.stdout


def test_an_uninstalled_version_python_refuses_python3_falls_back(
        run_script, debian_python: Path, tmp_path: Path) -> None:
    """PYENV_VERSION=3.99: no python on Debian's PATH, so the python shim
    fails; python3 falls back on "system", Debian's /usr/bin/python3."""
    pyenv_python("3.12.1")
    done = run_script("construct", python=debian_python, cwd=tmp_path,
                      env={"PATH": "%s/shims:/usr/bin" % PYENV_ROOT,
                           "PYENV_VERSION": "3.99"})
    python, python3 = command_lines(done.lines)[:2]
    assert python == ("python: %s/shims/python -> (none) (pyenv 3.99 from "
                      "PYENV_VERSION)" % PYENV_ROOT)
    assert python3 == ("python3: %s/shims/python3 -> %s (pyenv system from "
                       "PYENV_VERSION), this interpreter"
                       % (PYENV_ROOT, os.path.realpath("/usr/bin/python3")))


# --- Differential: #! lines, against what running them starts --------------

REAL = os.path.realpath(GLOBAL_PYTHON)
# Launchers as people and tools write them; {python} is a real
# interpreter's path, {bin} a folder on PATH holding python3.
SHEBANGS = [
    "#!{python}", "#! {python}", "#!{python} -I", "#!{python}\t-Es",
    "#!/usr/bin/env python3", "#!/usr/bin/env  python3 ",
    "#!/usr/bin/env python3 -I", "#!/usr/bin/env -S python3 -I",
    "#!/usr/bin/env -S python3", "#!/usr/bin/env -S -i python3",
    "#!/usr/bin/env -S -v python3", "#!/usr/bin/env -S -- python3",
    "#!/usr/bin/env -S PATH={bin} python3 -s",
    "#!/usr/bin/env -S 'python3' -I", "#!/usr/bin/env -S python3 # note",
    "#!/usr/bin/env -S \"python3\"", "#!/usr/bin/env -S A=1 python3",
    "#!/usr/bin/env -S A=1 -i python3", "#!/usr/bin/env -S",
    "#!/usr/bin/env -Spython3", "#!/usr/bin/env --split-string=python3 -I",
    "#!/usr/bin/env -i python3", "#!/usr/bin/env", "#!/usr/bin/env A=b",
    "#!/usr/bin/env -S ${{HOME}}/python3", "#!/usr/bin/env -S python\\_3",
    "#!/usr/bin/env python4", "#!/nonexistent/python3", "#!",
    "#!{python} -I" + " " * 300, "#!/" + "x/" * 150 + "python3",
    "#!/bin/sh\n'''exec' \"{python}\" \"$0\" \"$@\"\n' '''",
    "#!/bin/sh\n'''exec' {python} \"$0\" \"$@\"\n' '''",
    "#!/bin/sh\nexec {python} \"$0\" \"$@\"\n''' '''",
    "#!/usr/bin/env bash\nexec {python} \"$0\" \"$@\"\n''' '''",
]
BODY = "\nimport os\nprint(os.path.realpath('/proc/self/exe'))\n"


@st.composite
def launcher_chains(draw: st.DrawFn) -> list[str]:
    """The #! lines of a chain: pip's names the next script's path, the
    last names a real interpreter (or is one of SHEBANGS)."""
    depth = draw(st.integers(0, 7))
    return ["#!{next}"] * depth + [draw(st.sampled_from(SHEBANGS))]


@budget(40, 600)
@given(chain=launcher_chains(), crlf=st.booleans())
def test_launchers_agree_with_running_them(chain: list[str],
                                           crlf: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        top = Path(folder)
        bin_dir = top / "bin"
        bin_dir.mkdir()
        (bin_dir / "python3").symlink_to(REAL)
        files = [top / ("step%d" % at) for at in range(len(chain) - 1)]
        files.insert(0, bin_dir / "pip")
        for at, line in enumerate(chain):
            following = str(files[at + 1]) if at + 1 < len(files) else ""
            text = line.format(python=REAL, bin=bin_dir, next=following)
            if crlf and at == 0:
                text = text.replace("\n", "\r\n", 1)
            files[at].write_text(text + BODY)
            files[at].chmod(0o755)
        env = {"PATH": str(bin_dir), "HOME": str(top)}
        done = run_raw(GLOBAL_PYTHON, env=env)
        assert done.returncode == 0, done.stderr
        [pip] = [line for line in command_lines(
            done.stdout.decode().splitlines()) if line.startswith("pip:")]
        if pip.endswith(" tells what it runs)"):
            return      # construct.py says only running it would tell
        started = started_by(files[0], clean_env(env), top)
        if " -> (none) " in pip:
            assert started == "", (pip, chain)
        else:
            said = pip.partition(" -> ")[2].rpartition(" (")[0]
            assert said and os.path.realpath(said) == started, (pip, chain)


def started_by(launcher: Path, env: dict[str, str], cwd: Path) -> str:
    """The interpreter a launcher really starts, "" when exec fails."""
    try:
        ran = subprocess.run([str(launcher)], env=env, cwd=cwd,
                             capture_output=True, text=True, timeout=10)
    except OSError:             # ELOOP, ENOEXEC: nothing starts
        return ""
    if ran.returncode != 0:
        return ""
    return ran.stdout.strip()


def test_a_version_managers_wrapper_is_named_as_a_wrapper(
        run_script, tmp_path: Path) -> None:
    """A bash wrapper that execs another pip: not "installs into bash"."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pip").write_text('#!/usr/bin/env bash\nexec /opt/tool/pip'
                                 ' "$@"\n')
    (bin_dir / "pip").chmod(0o755)
    done = run_script("construct", env={"PATH": "%s:/usr/bin" % bin_dir})
    [pip] = [line for line in command_lines(done.lines)
             if line.startswith("pip:")]
    assert pip == ("pip: %s/pip (a bash script: pip --version tells what "
                   "it runs)" % bin_dir)
    assert not any("pip here is" in note for note in notes(done.lines))


def test_env_split_string_finds_the_command(run_script,
                                            tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    commands(bin_dir, python3=GLOBAL_PYTHON)
    (bin_dir / "pip").write_text("#!/usr/bin/env -S python3 -I\n")
    (bin_dir / "pip").chmod(0o755)
    done = run_script("construct", python=GLOBAL_PYTHON,
                      env={"PATH": str(bin_dir)})
    assert "pip: %s/pip -> %s (#! line), this interpreter" % (
        bin_dir, os.path.realpath(GLOBAL_PYTHON)) in done.lines


def test_a_nul_byte_in_the_activate_script(run_script,
                                           fresh_venv) -> None:
    venv = fresh_venv()
    (venv / "bin" / "activate").write_bytes(b'VIRTUAL_ENV="/old\0/env"\n')
    done = run_script("construct", python=venv_python(venv))
    assert done.returncode == 0 and done.stderr == ""
    assert notes(done.lines) == []


def test_pips_sh_launcher_naming_a_long_path(run_script,
                                             tmp_path: Path) -> None:
    """pip writes the sh form for paths over 127 bytes; one of 500 is
    read whole."""
    deep = tmp_path / "/".join(["d" * 50] * 10) / "bin"
    deep.mkdir(parents=True)
    (deep / "python3").symlink_to(GLOBAL_PYTHON)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pip").write_text("#!/bin/sh\n'''exec' \"%s/python3\" \"$0\" "
                                 "\"$@\"\n' '''\n%s" % (deep, PIP_HEAD))
    (bin_dir / "pip").chmod(0o755)
    done = run_script("construct", env={"PATH": str(bin_dir)})
    [pip] = [line for line in command_lines(done.lines)
             if line.startswith("pip:")]
    assert pip.startswith("pip: %s/pip -> %s (#! line)" % (
        bin_dir, os.path.realpath(GLOBAL_PYTHON)))


@pytest.mark.parametrize("first_line, shown", [
    # Linux cuts a #! line at 256 bytes: the interpreter's name is whole.
    ("#!{python} " + "x" * 300, "-> {real} (#! line)"),
    ("#!{python}\r", "-> (none) (#! line)"),       # no file "python\r"
    ("#!/usr/bin/env -S -- python3", "-> {real} (#! line)"),
    ("#!/usr/bin/env -S -v python3 -I", "-> {real} (#! line)"),
    ("#!/usr/bin/env FOO=1", "(its #! line has env FOO=1: "),
    ("#!{pypy}", "-> {pypy} (#! line)"),           # PyPy is a Python
    ("#!/usr/bin/env python3 -I", "-> (none) (#! line)"),  # one name
])
def test_launcher_lines_named_exactly(run_script, tmp_path: Path,
                                      first_line: str, shown: str) -> None:
    bin_dir = tmp_path / "bin"
    commands(bin_dir, python3=GLOBAL_PYTHON)
    pypy = tmp_path / "pypy" / "bin" / "pypy3"
    pypy.parent.mkdir(parents=True)
    shutil.copy(os.path.realpath(GLOBAL_PYTHON), pypy)
    values = {"python": os.path.realpath(GLOBAL_PYTHON), "pypy": pypy,
              "real": os.path.realpath(GLOBAL_PYTHON)}
    (bin_dir / "pip").write_text(first_line.format(**values) + "\n"
                                 + PIP_HEAD)
    (bin_dir / "pip").chmod(0o755)
    done = run_script("construct", env={"PATH": str(bin_dir)})
    [pip] = [line for line in command_lines(done.lines)
             if line.startswith("pip:")]
    wanted = "pip: %s/pip %s" % (bin_dir, shown.format(**values))
    assert pip.startswith(wanted), pip


def test_a_wrapper_first_on_path_is_no_proof_of_another_python(
        run_script, fresh_venv, tmp_path: Path) -> None:
    """An activated venv and a bash wrapper named python before it: only
    running the wrapper tells, so no note says PATH finds another."""
    venv = fresh_venv()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").write_text('#!/bin/bash\nexec "%s" "$@"\n'
                                    % venv_python(venv))
    (bin_dir / "python").chmod(0o755)
    done = run_script("construct", python=venv_python(venv), env={
        "VIRTUAL_ENV": str(venv), "PATH": "%s:%s/bin" % (bin_dir, venv)})
    assert command_lines(done.lines)[0].startswith(
        "python: %s/python (a bash script: " % bin_dir)
    assert not any("finds first is not its own" in note
                   for note in notes(done.lines))


def test_an_uninstalled_python_prefixed_version_is_named_bare(
        tmp_path: Path) -> None:
    """pyenv exec goes on with "3.9" for python-3.9 (not installed)."""
    pyenv_or_skip()
    env = build_pyenv(tmp_path, dict(chosen(["3.12.1"], "python-3.9"),
                                     system=set()))
    done = subprocess.run([str(GLOBAL_PYTHON), str(SCRIPT)], env=env,
                          cwd=env["here"], capture_output=True, text=True,
                          timeout=60)
    assert "-> (none) (pyenv 3.9 from PYENV_VERSION)" in done.stdout


def test_pyenv_system_searches_a_path_entry_written_with_a_tilde(
        tmp_path: Path) -> None:
    """pyenv-which makes every "~" of PATH $HOME before it looks."""
    pyenv_or_skip()
    layout = dict(chosen(["3.12.1"], "system"), system=set(), home_bin=True)
    [line] = [line for line, _, real in shims_compared(tmp_path, layout)
              if line.startswith("python3:") and real]
    assert "-> %s (pyenv system from PYENV_VERSION)" % os.path.realpath(
        GLOBAL_PYTHON) in line


def test_a_shebang_whose_interpreter_passes_256_bytes(
        run_script, tmp_path: Path) -> None:
    """Linux reads 256 bytes of a #! line: an interpreter's name that does
    not end within them runs nothing (ENOEXEC)."""
    folder = tmp_path
    while len(str(folder)) < 200:
        folder = folder / "d"
    name = "p" * (254 - len(str(folder)) - 1)
    (folder).mkdir(parents=True, exist_ok=True)
    (folder / name).symlink_to(GLOBAL_PYTHON)
    interpreter = "%s/%s" % (folder, name)
    assert len(interpreter) == 254
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pip").write_text("#!%s\n%s" % (interpreter, PIP_HEAD))
    (bin_dir / "pip").chmod(0o755)
    done = run_script("construct", env={"PATH": str(bin_dir)})
    [pip] = [line for line in command_lines(done.lines)
             if line.startswith("pip:")]
    assert "(its #! line is empty, or too long for Linux: " in pip
