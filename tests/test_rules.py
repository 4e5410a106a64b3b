"""The module's rules, as tests: authorized imports, Python 3.10+, the linters
peer graders run, and what every script promises about its output."""
import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SCRIPTS, SUPPORTED, TOO_OLD, clean_env, run

# The subject's authorized imports, per script (a module or its submodules).
AUTHORIZED = {
    "construct": {"sys", "os", "site"},
    "loading": {"pandas", "requests", "matplotlib", "numpy", "sys",
                "importlib"},
    "oracle": {"os", "sys", "dotenv"},
}


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in a file, nested ones included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, "." * node.level + (node.module or "")))
    return found


def unauthorized(path: Path, allowed: set[str]) -> list[str]:
    """'file:line imports module' for each import outside ``allowed``."""
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    return ["%s:%d imports %s" % (shown, line, module)
            for line, module in imports_of(path)
            if module.split(".")[0] not in allowed]


def existing(name: str) -> Path:
    path = SCRIPTS[name]
    if not path.exists():
        pytest.skip("%s does not exist yet" % path.relative_to(ROOT))
    return path


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_script_imports_only_authorized_modules(name: str) -> None:
    assert unauthorized(existing(name), AUTHORIZED[name]) == []


def test_import_scan_catches_nested_and_relative_imports(
        tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text("import os\n\ndef f():\n    import re\n"
                       "    from pathlib import Path\n    from . import x\n")
    assert unauthorized(planted, {"os"}) == [
        "%s:4 imports re" % planted, "%s:5 imports pathlib" % planted,
        "%s:6 imports ." % planted]


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_script_compiles_on_the_oldest_supported_python(name: str) -> None:
    """ast's feature_version is best effort: the oldest supported Python
    itself compiles each script (its --help, which runs every line up to
    main, is tested by the suite run on that Python)."""
    python = SUPPORTED.get("3.10")
    if python is None:
        pytest.skip("no Python 3.10 here")
    done = run([str(python), "-c", "import sys; compile(open(sys.argv[1], "
                "encoding='utf-8').read(), sys.argv[1], 'exec')",
                str(existing(name))])
    assert done.returncode == 0, done.stderr
    assert run([str(python), str(existing(name)), "--help"]
               ).stdout.startswith("usage: ")


@pytest.mark.parametrize("version", sorted(TOO_OLD) or ["none"])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_too_old_python_gets_one_clear_line(name: str, version: str) -> None:
    if version == "none":
        pytest.skip("no Python older than 3.10 installed")
    path = existing(name)
    done = run([str(TOO_OLD[version]), str(path)])
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "%s needs Python 3.10 or later; this is Python %s."
        % (path.name, version)]


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_script_is_executable_by_path_with_a_shebang(name: str) -> None:
    assert existing(name).read_text().startswith("#!/usr/bin/env python3\n")


def test_scripts_are_executable_in_git_and_run_by_path(tmp_path: Path
                                                       ) -> None:
    listed = subprocess.run(["git", "ls-files", "-s", "ex0", "ex01", "ex02"],
                            cwd=ROOT, capture_output=True, text=True,
                            env=clean_env(), timeout=30).stdout
    modes = {line.split()[-1]: line.split()[0]
             for line in listed.splitlines() if line.endswith(".py")}
    if not modes:
        pytest.skip("not a git checkout")
    assert modes == {str(path.relative_to(ROOT)): "100755"
                     for path in SCRIPTS.values()}
    done = subprocess.run(["./ex0/construct.py", "--help"], cwd=ROOT,
                          capture_output=True, text=True, env=clean_env(),
                          timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("usage: ")


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_help_fits_a_terminal_of_80_columns(name: str) -> None:
    done = run([sys.executable, str(existing(name)), "--help"])
    assert done.returncode == 0
    assert [line for line in done.stdout.splitlines() if len(line) > 79] \
        == []


# --- Output that cannot be written, input that cannot be encoded ------------
# The same promise in all three scripts: a reader that stops early (| head)
# is normal (the run ends as it would have, nothing on stderr); any other
# write error is one line on stderr and exit 1; never a traceback.

RUNS = {"construct": (), "loading": ("--points", "50"), "oracle": ()}


def run_with_stdout(name: str, stdout: "int | None", cwd: Path,
                    env: "dict[str, str] | None" = None,
                    args: "tuple[str, ...] | None" = None
                    ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(existing(name)),
                           *(RUNS[name] if args is None else args)],
                          stdout=stdout, stderr=subprocess.PIPE, text=True,
                          cwd=cwd, env=clean_env(env), timeout=120)


@pytest.mark.parametrize("args", [None, ("--help",)])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
@pytest.mark.parametrize("buffering", ["buffered", "unbuffered"])
def test_a_reader_that_has_gone_is_not_an_error(
        name: str, args: "tuple[str, ...] | None", buffering: str,
        tmp_path: Path) -> None:
    """``script | head`` once head has exited: stdout has no reader."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = {"PYTHONUNBUFFERED": "1"} if buffering == "unbuffered" else {}
    try:
        done = run_with_stdout(name, write_end, tmp_path, env, args)
    finally:
        os.close(write_end)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    if name == "loading" and args is None:
        # The run went on: the figure is written all the same.
        assert (tmp_path / "matrix_analysis.png").exists()


@pytest.mark.parametrize("name", sorted(SCRIPTS))
@pytest.mark.parametrize("buffering", ["buffered", "unbuffered"])
def test_piped_into_head_exits_as_it_would_have(name: str, buffering: str,
                                                tmp_path: Path) -> None:
    env = clean_env({"PYTHONUNBUFFERED": "1"} if buffering == "unbuffered"
                    else {})
    done = subprocess.run(["bash", "-o", "pipefail", "-c",
                           '"$0" "$1" %s | head -1' % " ".join(RUNS[name]),
                           sys.executable, str(existing(name))],
                          capture_output=True, text=True, cwd=tmp_path,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 1 and done.stderr == ""


@pytest.mark.parametrize("args", [None, ("--help",), ("-h",)])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_a_full_disk_is_one_line(name: str, args: "tuple[str, ...] | None",
                                 tmp_path: Path) -> None:
    """The report and every early exit that writes to stdout (--help)."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    with open("/dev/full", "w") as full:
        done = run_with_stdout(name, full.fileno(), tmp_path, args=args)
    assert done.returncode == 1
    assert done.stderr == "%s: cannot write the output: No space left on " \
        "device\n" % existing(name).name


@pytest.mark.parametrize("args", [None, ("--help",)])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_a_stdout_open_for_reading_is_one_line(
        name: str, args: "tuple[str, ...] | None", tmp_path: Path) -> None:
    with open(os.devnull) as read_only:
        done = run_with_stdout(name, read_only.fileno(), tmp_path,
                               args=args)
    assert done.returncode == 1
    assert done.stderr == "%s: cannot write the output: Bad file " \
        "descriptor\n" % existing(name).name


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_a_closed_stdout_is_one_line(name: str, tmp_path: Path) -> None:
    done = subprocess.run(["bash", "-c", '"$0" "$1" >&-', sys.executable,
                           str(existing(name))], capture_output=True,
                          text=True, cwd=tmp_path, env=clean_env(),
                          timeout=120)
    assert done.returncode == 1
    assert done.stderr == "%s: standard output is closed\n" \
        % existing(name).name


@pytest.mark.parametrize("stderr", ["2>/dev/full", "2>&-"])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_a_failing_or_closed_stderr_never_raises(name: str, stderr: str,
                                                 tmp_path: Path) -> None:
    """Nothing reaches stdout instead (print to a closed stderr would)."""
    done = subprocess.run(["bash", "-c", '"$0" "$1" --nonsense ' + stderr,
                           sys.executable, str(existing(name))],
                          capture_output=True, text=True, cwd=tmp_path,
                          env=clean_env(), timeout=120)
    assert done.returncode == 2 and done.stdout == ""


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_a_narrow_encoding_never_crashes(name: str, tmp_path: Path) -> None:
    """Non-ASCII and undecodable names reach the output escaped."""
    odd = tmp_path / "caf\u00e9"
    odd.mkdir()
    script = odd / existing(name).name
    shutil.copy(existing(name), script)
    env = {"PYTHONIOENCODING": "ascii", "VIRTUAL_ENV": str(odd),
           "API_KEY": "\u00e9" * 20, "LOG_LEVEL": "\u00e9",
           "MATRIX_MODE": "d\u00e9v"}
    args = {"loading": ("--points", "50", "--output", "\u00e9.png"),
            "oracle": ("--show", "--env-file", "caf\u00e9\udcff.env")
            }.get(name, ())
    done = run_with_stdout(name, subprocess.PIPE, odd, env, args)
    assert "Traceback" not in done.stderr
    assert done.returncode in (0, 1), done.stderr
    assert done.stdout.isascii()


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_interrupted_before_anything_is_one_line(name: str,
                                                 tmp_path: Path) -> None:
    """Ctrl-C as the run starts: one line, exit 130."""
    probe = tmp_path / "interrupt.py"
    probe.write_text(
        "import runpy, sys\n"
        "sys.argv = [%r] + sys.argv[1:]\n"
        "module = runpy.run_path(%r, run_name='not_main')\n"
        "real = module['main'].__globals__\n"
        "def stop(*args, **kwargs):\n    raise KeyboardInterrupt\n"
        "for hook in ('gather_facts', 'gather', 'check_dependencies'):\n"
        "    if hook in real:\n        real[hook] = stop\n"
        "sys.exit(module['main'](sys.argv[1:]))\n"
        % (str(existing(name)), str(existing(name))))
    done = subprocess.run([sys.executable, str(probe)], capture_output=True,
                          text=True, cwd=tmp_path, env=clean_env(),
                          timeout=120)
    assert done.returncode == 130
    assert done.stderr == "%s: interrupted\n" % existing(name).name


def test_flake8_default_settings_pass() -> None:
    scripts = [str(existing(name)) for name in sorted(SCRIPTS)]
    done = subprocess.run([sys.executable, "-m", "flake8", "--isolated",
                           *scripts], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict_passes() -> None:
    scripts = [str(existing(name)) for name in sorted(SCRIPTS)]
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict",
                           *scripts], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
