"""The harness the other tests rely on: scripts run with a minimal
environment, real interpreters and venvs, a loopback HTTP(S) server,
throwaway git repositories, canaries."""
import subprocess
import time
from pathlib import Path

import pytest

from conftest import canary, clean_env, git, leaks, run, section


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


def test_debian_python_has_dist_packages(debian_python: Path) -> None:
    done = run([str(debian_python), "-c",
                "import site; print(site.getsitepackages())"])
    assert "dist-packages" in done.stdout


def test_old_python_is_older_than_310(old_python: Path) -> None:
    done = run([str(old_python), "-c", "import sys; print(sys.version_info "
                "< (3, 10))"])
    assert done.stdout.strip() == "True"


def test_bare_and_leaky_venvs(bare_venv: Path, system_site_venv: Path,
                              global_python: Path, tmp_path: Path) -> None:
    """A marker package planted where the global interpreter looks (a user
    site of our own): the global interpreter and the leaky venv see it,
    the bare venv does not. Nothing installed globally is relied on."""
    user_base = tmp_path / "user"
    probe = ("import site, sys, importlib.util; print(sys.prefix != "
             "sys.base_prefix, importlib.util.find_spec('matrix_marker') "
             "is not None)")
    where = run([str(global_python), "-c", "import site; "
                 "print(site.getusersitepackages())"],
                env={"PYTHONUSERBASE": str(user_base)}).stdout.strip()
    Path(where).mkdir(parents=True)
    (Path(where) / "matrix_marker.py").write_text("")
    env = {"PYTHONUSERBASE": str(user_base)}
    assert run([str(global_python), "-c", probe], env=env
               ).stdout.split() == ["False", "True"]
    assert run([str(bare_venv / "bin" / "python"), "-c", probe], env=env
               ).stdout.split() == ["True", "False"]
    assert run([str(system_site_venv / "bin" / "python"), "-c", probe],
               env=env).stdout.split() == ["True", "True"]
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


def test_loopback_server_trickles_redirects_and_lies(http_server) -> None:
    import requests
    url = http_server.serve("/drip", "abc", trickle=0.05)
    start = time.monotonic()
    assert requests.get(url, timeout=5).text == "abc"
    assert time.monotonic() - start >= 0.1
    http_server.serve("/there", "here")
    assert requests.get(http_server.serve("/hop", status=302,
                                          location="/there"),
                        timeout=5).text == "here"
    reply = requests.get(http_server.serve("/teapot", status=418,
                                           reason="Short and stout"),
                         timeout=5)
    assert reply.reason == "Short and stout"
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(http_server.serve("/raw", raw=b"garbage\r\n\r\n"),
                     timeout=5)


def test_https_server_is_not_trusted(https_server) -> None:
    import requests
    url = https_server.serve("/tls", "secure")
    assert url.startswith("https://")
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(url, timeout=5)
    with pytest.warns(Warning):     # urllib3's InsecureRequestWarning
        assert requests.get(url, timeout=5, verify=False).text == "secure"


def test_canaries_and_leaks() -> None:
    first, second = canary(), canary(30)
    assert first != second and len(second) == 30
    assert leaks("x" + second[3:11] + "y", [first, second]) == [second[3:11]]
    assert leaks(b"nothing here", [first]) == []


def test_section_cuts_at_the_blank_line() -> None:
    lines = ["a", "", "Title:", "one", "two", "", "next"]
    assert section(lines, "Title:") == ["Title:", "one", "two"]
    assert section(["Title:", "last"], "Title:") == ["Title:", "last"]
