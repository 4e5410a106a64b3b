"""Shared fixtures: scripts run as users run them, real interpreters, real
virtual environments, a loopback HTTP server and throwaway git repositories.
"""
import glob
import http.server
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Iterator, NamedTuple, Optional

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = {
    "construct": ROOT / "ex0" / "construct.py",
    "loading": ROOT / "ex01" / "loading.py",
    "oracle": ROOT / "ex02" / "oracle.py",
}
# The environment a user's shell gives every run; tests add what they need.
# VIRTUAL_ENV, PYTHONPATH, MATRIX_* and the rest are deliberately left out.
# POETRY_VIRTUALENVS_PATH: where the user keeps Poetry's environments (CI
# keeps one per interpreter); a pasted poetry command must find the same.
PASSED_THROUGH = ("PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR",
                  "POETRY_VIRTUALENVS_PATH")


class Result(NamedTuple):
    returncode: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def clean_env(extra: Optional[dict[str, str]] = None) -> dict[str, str]:
    """A minimal environment: PATH, HOME, LANG and what the test adds."""
    env = {k: os.environ[k] for k in PASSED_THROUGH if k in os.environ}
    env.setdefault("LANG", "C.UTF-8")
    # A venv's bin directory on PATH would be an activation in disguise.
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", os.defpath).split(os.pathsep)
        if not (Path(p) / "activate").exists())
    env.update(extra or {})
    return env


def run(argv: list[str], env: Optional[dict[str, str]] = None,
        cwd: Optional[Path] = None, timeout: float = 120,
        input_text: Optional[str] = None) -> Result:
    done = subprocess.run(argv, env=clean_env(env), cwd=cwd or ROOT,
                          capture_output=True, text=True, timeout=timeout,
                          input=input_text, errors="replace")
    return Result(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="session")
def run_script() -> Callable[..., Result]:
    """run_script(name or path, python=..., env=..., cwd=..., args=...)."""
    def runner(script: "str | Path", python: "str | Path | None" = None,
               env: Optional[dict[str, str]] = None,
               cwd: Optional[Path] = None, args: tuple[str, ...] = (),
               timeout: float = 120) -> Result:
        path = SCRIPTS.get(str(script), script)
        return run([str(python or sys.executable), str(path), *args],
                   env=env, cwd=cwd, timeout=timeout)
    return runner


def interruptible(argv: list[str], **popen: object
                  ) -> "subprocess.Popen[str]":
    """Start argv so that a SIGINT reaches it as Ctrl-C would.

    A suite started in the background (``pytest &``) ignores SIGINT, and
    a child inherits an ignored signal; a handler of ours is reset to the
    default in the child instead.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen(argv, **popen)  # type: ignore[call-overload]
    finally:
        signal.signal(signal.SIGINT, previous)


# --- Real interpreters ----------------------------------------------------

def interpreter_version(python: "str | Path") -> Optional[tuple[int, int]]:
    try:
        out = subprocess.run(
            [str(python), "-c", "import sys; print(sys.version_info[0], "
             "sys.version_info[1])"], capture_output=True, text=True,
            timeout=30, env=clean_env()).stdout.split()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (int(out[0]), int(out[1])) if len(out) == 2 else None


def pyenv_interpreters() -> dict[str, Path]:
    """Each pyenv CPython found, by 'X.Y' (the newest patch release)."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    found: dict[str, Path] = {}
    for folder in sorted(glob.glob(str(root / "versions" / "3.*"))):
        name = Path(folder).name
        parts = name.split(".")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            continue
        python = Path(folder) / "bin" / ("python%s.%s" % tuple(parts[:2]))
        if python.exists():
            found["%s.%s" % tuple(parts[:2])] = python
    return found


GLOBAL_PYTHON = Path(sys.base_prefix) / "bin" / ("python%d.%d"
                                                 % sys.version_info[:2])
PYENV = pyenv_interpreters()
SUPPORTED = {v: p for v, p in PYENV.items()
             if tuple(map(int, v.split("."))) >= (3, 10)}
TOO_OLD = {v: p for v, p in PYENV.items()
           if (3, 6) <= tuple(map(int, v.split("."))) < (3, 10)}
DEBIAN_PYTHON = Path("/usr/bin/python3")


@pytest.fixture(scope="session")
def global_python() -> Path:
    """The global interpreter behind this test run (sys.base_prefix's)."""
    if not GLOBAL_PYTHON.exists():
        pytest.skip("no global interpreter at %s" % GLOBAL_PYTHON)
    return GLOBAL_PYTHON


def clean_global_python(without: str) -> Path:
    """A global interpreter that lacks the module ``without`` (pyenv's
    3.12 and 3.13 here hold nothing but pip); skips when there is none."""
    for version in ("3.12", "3.13", "3.10", "3.11"):
        python = PYENV.get(version)
        if python and subprocess.run(
                [str(python), "-c", "import " + without],
                capture_output=True, env=clean_env()).returncode != 0:
            return python
    pytest.skip("no global Python without %s" % without)


@pytest.fixture(scope="session")
def debian_python() -> Path:
    """Debian's own interpreter, with dist-packages."""
    if not DEBIAN_PYTHON.exists() or \
            (interpreter_version(DEBIAN_PYTHON) or (0, 0)) < (3, 10):
        pytest.skip("no Debian Python 3.10+ at /usr/bin/python3")
    return DEBIAN_PYTHON


@pytest.fixture(scope="session")
def old_python() -> Path:
    """A Python older than 3.10, for the 'too old' path."""
    if not TOO_OLD:
        pytest.skip("no Python older than 3.10 installed")
    return TOO_OLD[max(TOO_OLD, key=lambda v: tuple(map(int, v.split("."))))]


def supported_pythons() -> list[object]:
    """pytest params: each global CPython 3.10+ here, Debian's included."""
    params: list[object] = [pytest.param(p, id="pyenv-" + v)
                            for v, p in sorted(SUPPORTED.items())]
    params.append(pytest.param(DEBIAN_PYTHON, id="debian"))
    return params


# --- The unprivileged user, for permissions root ignores ---------------------

NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")


def runs_as_nobody(argv: list[str], cwd: Path = Path("/")) -> bool:
    try:
        return subprocess.run([*NOBODY, *argv], cwd=cwd, env=clean_env(),
                              capture_output=True, timeout=30
                              ).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="session")
def nobody_folder() -> Iterator[Path]:
    """A world-readable folder for runs as the unprivileged user (tests run
    as root, who reads any file whatever its mode); skips where setpriv or
    that user is missing."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("not root, or no setpriv: permissions hold as they are")
    import tempfile
    folder = Path(tempfile.mkdtemp(prefix="matrix-nobody-", dir="/tmp"))
    folder.chmod(0o755)
    if not runs_as_nobody(["ls", str(folder)]):
        shutil.rmtree(folder)
        pytest.skip("the unprivileged user cannot run here")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def nobody_python(nobody_folder: Path) -> Path:
    """A Python with python-dotenv that the unprivileged user can run: a
    venv in a world-readable folder, made from a global interpreter that
    user can reach, with python-dotenv (pure Python) copied in."""
    from importlib import metadata
    bases = [DEBIAN_PYTHON, *SUPPORTED.values()]
    base = next((b for b in bases if b.exists()
                 and runs_as_nobody([str(b), "-c", "pass"])), None)
    if base is None:
        pytest.skip("no Python that the unprivileged user can run")
    venv = make_venv(nobody_folder, "nobody_env", python=base)
    dotenv = metadata.distribution("python-dotenv")
    for name in {str(f).split("/")[0] for f in dotenv.files or []}:
        source = Path(str(dotenv.locate_file(name)))
        if source.is_dir() and not name.startswith(".."):
            shutil.copytree(source, site_packages(venv) / name)
    subprocess.run(["chmod", "-R", "a+rX", str(nobody_folder)], check=True)
    return venv_python(venv)


# --- Real virtual environments, built once per test run --------------------

def make_venv(base: Path, name: str, *options: str,
              python: "str | Path | None" = None) -> Path:
    target = base / name
    subprocess.run([str(python or GLOBAL_PYTHON), "-m", "venv",
                    "--without-pip", *options, str(target)], check=True,
                   env=clean_env(), timeout=120)
    return target


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3.*/site-packages"))


@pytest.fixture(scope="session")
def venvs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("venvs")


@pytest.fixture(scope="session")
def bare_venv(venvs_dir: Path, global_python: Path) -> Path:
    """A venv with nothing installed (python -m venv --without-pip)."""
    return make_venv(venvs_dir, "matrix_env")


@pytest.fixture(scope="session")
def system_site_venv(venvs_dir: Path, global_python: Path) -> Path:
    """A bare venv that sees the global packages (--system-site-packages)."""
    return make_venv(venvs_dir, "leaky_env", "--system-site-packages")


@pytest.fixture(scope="session")
def project_venv() -> Path:
    """The environment the tests run in: Poetry's, with every dependency."""
    if sys.prefix == sys.base_prefix:
        pytest.skip("the tests are not running in a virtual environment")
    return Path(sys.prefix)


@pytest.fixture
def fresh_venv(tmp_path: Path, global_python: Path) -> Callable[..., Path]:
    """fresh_venv(name, *venv options): a new bare venv for this test."""
    def factory(name: str = "fresh_env", *options: str) -> Path:
        return make_venv(tmp_path, name, *options)
    return factory


# --- A loopback HTTP server -----------------------------------------------

class Route(NamedTuple):
    body: bytes
    status: int
    content_type: str
    delay: float
    endless: bool
    length: Optional[int]
    trickle: float          # seconds between bytes of the body
    reason: Optional[str]   # the status line's reason phrase
    location: Optional[str]     # a redirect's target
    raw: Optional[bytes]    # sent as is instead of an HTTP reply


class LoopbackServer:
    """An HTTP server on 127.0.0.1 (port 0) serving what a test asks for;
    with ``certificate`` (a (cert, key) pair of files), an HTTPS one."""

    def __init__(self, certificate: Optional[tuple[Path, Path]] = None
                 ) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, Optional[str]]] = []
        routes, seen = self.routes, self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                path = self.path.split("?")[0]
                seen.append((self.path, self.headers.get("Authorization")))
                route = routes.get(path)
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                time.sleep(route.delay)
                if route.raw is not None:
                    self.wfile.write(route.raw)
                    self.close_connection = True
                    return
                self.send_response(route.status, route.reason)
                self.send_header("Content-Type", route.content_type)
                if route.location:
                    self.send_header("Location", route.location)
                if route.length == -1:      # the end of the body is the
                    self.close_connection = True    # end of the connection
                elif not route.endless:
                    self.send_header("Content-Length", str(
                        route.length if route.length is not None
                        else len(route.body)))
                self.end_headers()
                try:
                    if route.endless:
                        chunk = route.body or b"1\n" * 32768
                        for _ in range(100000):     # bounded: ~6 GB at most
                            self.wfile.write(chunk)
                    elif route.trickle:
                        for byte in route.body:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(route.trickle)
                    else:
                        self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     Handler)
        self.httpd.daemon_threads = True
        self.scheme = "http"
        if certificate is not None:
            import ssl
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*map(str, certificate))
            self.httpd.socket = context.wrap_socket(self.httpd.socket,
                                                    server_side=True)
            self.scheme = "https"
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def serve(self, path: str, body: "bytes | str" = b"", status: int = 200,
              content_type: str = "text/plain", delay: float = 0.0,
              endless: bool = False, length: Optional[int] = None,
              trickle: float = 0.0, reason: Optional[str] = None,
              location: Optional[str] = None,
              raw: Optional[bytes] = None) -> str:
        """Register a route; returns its URL. length: the Content-Length
        to announce (-1: none, the body ends with the connection)."""
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = Route(data, status, content_type, delay, endless,
                                  length, trickle, reason, location, raw)
        return self.url(path)

    def url(self, path: str, userinfo: str = "") -> str:
        at = userinfo + "@" if userinfo else ""
        return "%s://%s127.0.0.1:%d%s" % (self.scheme, at, self.port, path)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def http_server() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def https_server(tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[LoopbackServer]:
    """An HTTPS server whose certificate nobody trusts (self-signed)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True,
                   capture_output=True, timeout=60)
    server = LoopbackServer((cert, key))
    yield server
    server.close()


# --- Throwaway git repositories --------------------------------------------

@pytest.fixture
def git_repo(tmp_path: Path) -> Callable[..., Path]:
    """git_repo(path=None): an initialised repository (skips without git)."""
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")

    def factory(path: Optional[Path] = None) -> Path:
        repo = path or tmp_path / "repo"
        repo.mkdir(parents=True, exist_ok=True)
        env = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
        for argv in (["init", "-q"],
                     ["config", "user.email", "neo@example.com"],
                     ["config", "user.name", "Neo"]):
            subprocess.run([git, *argv], cwd=repo, check=True,
                           env=clean_env(env), timeout=30)
        return repo
    return factory


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run git in a test repository, failing the test on error."""
    env = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", *args], cwd=repo, check=True, text=True,
                          capture_output=True, env=clean_env(env),
                          timeout=30)


# --- Loading a script as a module, for unit tests ---------------------------

def load_script(name: str, path: Optional[Path] = None) -> object:
    """Import a script by path (it has no package) as a fresh module."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "matrix_" + name, path or SCRIPTS[name])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- Reading a report --------------------------------------------------------

def section(lines: list[str], title: str) -> list[str]:
    """The lines of a blank-line-separated section of output, title first."""
    start = lines.index(title)
    end = lines.index("", start) if "" in lines[start:] else len(lines)
    return lines[start:end]


# --- Canary secrets ---------------------------------------------------------

def canary(length: int = 24, extra: str = "") -> str:
    """A random secret to plant: it must never reach any output."""
    import secrets
    return "Cx" + secrets.token_hex(length // 2)[:length - 2] + extra


def leaks(output: "str | bytes", planted: list[str]) -> list[str]:
    """Every 8-character slice of a canary found in the output."""
    text = output.decode("utf-8", "replace") if isinstance(output, bytes) \
        else output
    return sorted({secret[i:i + 8] for secret in planted
                   for i in range(len(secret) - 7)
                   if secret[i:i + 8] in text})


# Generated (Hypothesis) tests: a small fixed budget in the ordinary run,
# a larger one with MATRIX_DEEP=1 (the closing figures name both).
DEEP = os.environ.get("MATRIX_DEEP") == "1"


def budget(ordinary: int, deep: int) -> settings:
    return settings(max_examples=deep if DEEP else ordinary, deadline=None,
                    derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))
