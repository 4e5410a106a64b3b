"""The module's rules, as tests: authorized imports, Python 3.10+, the linters
peer graders run, and the behaviour of the harness the other tests rely on."""
import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SCRIPTS, TOO_OLD, clean_env, git, run

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
def test_script_parses_as_python_310(name: str) -> None:
    source = existing(name).read_text(encoding="utf-8")
    ast.parse(source, feature_version=(3, 10))


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


@pytest.mark.parametrize("args", [(), ("--help",)])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_closed_stdout_gives_one_line_not_a_traceback(
        name: str, args: tuple[str, ...], tmp_path: Path) -> None:
    """``script | head`` once head has exited: stdout has no reader."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([sys.executable, str(existing(name)), *args],
                              stdout=write_end, stderr=subprocess.PIPE,
                              text=True, cwd=tmp_path, env=clean_env(),
                              timeout=120)
    finally:
        os.close(write_end)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "%s: output closed early (broken pipe)" % existing(name).name]


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


# --- The harness itself ---------------------------------------------------

def test_run_script_passes_a_minimal_environment(
        run_script, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIRTUAL_ENV", "/somewhere/else")
    monkeypatch.setenv("PYTHONPATH", "/planted")
    probe = tmp_path / "probe.py"
    probe.write_text("import os, sys\nprint(sorted(os.environ))\n"
                     "print(os.getcwd())\nprint(sys.argv[1:])\n"
                     "sys.exit(3)\n")
    done = run_script(probe, env={"EXTRA": "1"}, cwd=tmp_path,
                      args=("a", "b"))
    names, cwd, args = done.lines
    assert done.returncode == 3
    assert "VIRTUAL_ENV" not in names and "PYTHONPATH" not in names
    assert "'EXTRA'" in names and "'PATH'" in names
    assert cwd == str(tmp_path) and args == "['a', 'b']"


def test_clean_env_drops_an_activated_venv_from_path(
        bare_venv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "%s/bin:/usr/bin" % bare_venv)
    assert clean_env()["PATH"] == "/usr/bin"


def test_global_python_is_not_a_venv(global_python: Path) -> None:
    done = run([str(global_python), "-c",
                "import sys; print(sys.prefix == sys.base_prefix)"])
    assert done.stdout.strip() == "True"


def test_debian_python_has_dist_packages(debian_python: Path) -> None:
    done = run([str(debian_python), "-c",
                "import site; print(site.getsitepackages())"])
    assert "dist-packages" in done.stdout


def test_old_python_is_older_than_310(old_python: Path) -> None:
    done = run([str(old_python), "-c", "import sys; print(sys.version_info "
                "< (3, 10))"])
    assert done.stdout.strip() == "True"


def test_bare_and_leaky_venvs(bare_venv: Path, system_site_venv: Path,
                              global_python: Path) -> None:
    probe = ("import sys, importlib.util; print(sys.prefix != "
             "sys.base_prefix, importlib.util.find_spec('numpy') is not None)")
    # The global interpreter has numpy: only the leaky venv sees it.
    assert run([str(global_python), "-c", probe]).stdout.split()[1] == "True"
    assert run([str(bare_venv / "bin" / "python"), "-c", probe]
               ).stdout.split() == ["True", "False"]
    assert run([str(system_site_venv / "bin" / "python"), "-c", probe]
               ).stdout.split() == ["True", "True"]
    assert "include-system-site-packages = true" in \
        (system_site_venv / "pyvenv.cfg").read_text()


def test_project_venv_has_every_dependency(project_venv: Path) -> None:
    probe = ("import importlib.util as u; print(all(u.find_spec(m) for m in "
             "('numpy', 'pandas', 'matplotlib', 'requests', 'dotenv')))")
    assert run([str(project_venv / "bin" / "python"), "-c", probe]
               ).stdout.strip() == "True"


def test_loopback_server_serves_status_delay_and_limits(http_server) -> None:
    import requests
    url = http_server.serve("/ok", "1,2,3", content_type="text/csv")
    assert requests.get(url, timeout=5).text == "1,2,3"
    assert requests.get(http_server.serve("/gone", status=410),
                        timeout=5).status_code == 410
    assert requests.get(http_server.url("/nothing"),
                        timeout=5).status_code == 404
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(http_server.serve("/slow", "x", delay=1.0),
                     timeout=(2, 0.2))
    with requests.get(http_server.serve("/endless", endless=True),
                      timeout=5, stream=True) as reply:
        assert "Content-Length" not in reply.headers
        assert len(next(reply.iter_content(1 << 20))) > 0
    assert ("/ok", None) in http_server.requests


def test_git_repo_fixture_answers_check_ignore(git_repo) -> None:
    repo = git_repo()
    (repo / ".gitignore").write_text(".env\n")
    (repo / ".env").write_text("A=1\n")
    assert git(repo, "check-ignore", ".env").stdout.strip() == ".env"
    assert subprocess.run(["git", "check-ignore", "-q", "kept.txt"],
                          cwd=repo, env=clean_env()).returncode == 1
