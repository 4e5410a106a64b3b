"""ex02/oracle.py, run as users run it in temporary copies of ex02/."""
import os
import secrets
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, git, load_script, venv_python

oracle = load_script("oracle")

EX02_FILES = ("oracle.py", ".env.example", ".gitignore", "requirements.txt")
SUBJECT = [
    "ORACLE STATUS: Reading the Matrix...",
    "",
    "Configuration loaded:",
    "Mode: development",
    "Database: Connected to local instance",
    "API Access: Authenticated",
    "Log Level: DEBUG",
    "Zion Network: Online",
    "",
    "Environment security check:",
    "[OK] No hardcoded secrets detected",
    "[OK] .env file properly configured",
    "[OK] Production overrides available",
    "",
]
CLOSING = "The Oracle sees all configurations."
OK_SECRETS = "[OK] No hardcoded secrets detected"
OK_ENV_FILE = "[OK] .env file properly configured"
OK_OVERRIDES = "[OK] Production overrides available"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project's ex02/ (and top-level .gitignore), no .env."""
    root = tmp_path / "project"
    (root / "ex02").mkdir(parents=True)
    for name in EX02_FILES:
        shutil.copy(ROOT / "ex02" / name, root / "ex02" / name)
    shutil.copy(ROOT / ".gitignore", root / ".gitignore")
    return root


def write_env(project: Path, text: "str | bytes | None" = None,
              mode: int = 0o600) -> Path:
    """ex02/.env: the example's copy by default, with its permissions."""
    env = project / "ex02" / ".env"
    if text is None:
        text = (project / "ex02" / ".env.example").read_text()
    if isinstance(text, str):
        text = text.encode()
    env.write_bytes(text)
    env.chmod(mode)
    return env


def run_oracle(run_script, project: Path, env: "dict | None" = None,
               args: tuple[str, ...] = (), cwd: "Path | None" = None,
               python: "Path | None" = None):
    return run_script(project / "ex02" / "oracle.py", env=env, args=args,
                      cwd=cwd or project, python=python)


def security(lines: list[str]) -> list[str]:
    start = lines.index("Environment security check:") + 1
    return lines[start:lines.index("", start)]


def section(lines: list[str], title: str) -> list[str]:
    start = lines.index(title)
    return lines[start:lines.index("", start)] if "" in lines[start:] \
        else lines[start:]


PRODUCTION_ENV = {
    "MATRIX_MODE": "production",
    "DATABASE_URL": "postgresql://neo:Kx82jdHq0pZm@db.zion.example:5432/zion",
    "API_KEY": "zk_9f8A7s6D5f4G3h2J1k0L",
    "LOG_LEVEL": "WARNING",
    "ZION_ENDPOINT": "https://zion.example/api",
}
PRODUCTION_FILE = "MATRIX_MODE=production\nLOG_LEVEL=WARNING\n" \
    "ZION_ENDPOINT=https://zion.example/api\n"


# --- The subject's run and its sources --------------------------------------

@pytest.mark.parametrize("where", ["root", "ex02"])
def test_copied_example_gives_the_subject_block(run_script, project: Path,
                                                where: str) -> None:
    write_env(project)
    cwd = project if where == "root" else project / "ex02"
    done = run_oracle(run_script, project, cwd=cwd)
    assert done.returncode == 0, done.output
    assert done.stderr == ""
    assert done.lines[:len(SUBJECT)] == SUBJECT
    assert done.lines[-1] == CLOSING
    assert done.lines[-2] == ""
    assert "Configuration file: %s" % (
        ".env" if where == "ex02" else "ex02/.env") in done.lines


def test_no_env_file_and_no_variables(run_script, project: Path) -> None:
    done = run_oracle(run_script, project)
    assert done.returncode == 0
    assert section(done.lines, "Configuration loaded:") == [
        "Configuration loaded:", "Mode: development",
        "Database: Not configured", "API Access: Not configured",
        "Log Level: INFO (default)", "Zion Network: Offline (not configured)"]
    assert "[WARN] .env file: no .env file found: cp ex02/.env.example " \
        "ex02/.env" in done.lines
    assert "Configuration file: none found (environment and defaults only)" \
        in done.lines
    assert "WARNING: API_KEY is not set: export it (or add it to .env)" \
        in done.lines
    assert done.lines[-1] == CLOSING


def test_environment_wins_over_the_file(run_script, project: Path) -> None:
    write_env(project)
    done = run_oracle(run_script, project, args=("--show",), env={
        "MATRIX_MODE": "production", "API_KEY": "secret123"})
    assert "Mode: production" in done.lines
    assert "[WARN] DATABASE_URL comes from the .env file: in production, " \
        "set secrets in the environment" in done.lines
    table = section(done.lines, "Configuration values (secrets masked):")
    assert table[1].split() == ["MATRIX_MODE", "production", "environment",
                                "(overrides", ".env:9)"]
    assert table[3].split() == ["API_KEY", "****", "(hidden)",
                                "environment", "(overrides", ".env:13)"]
    assert "secret123" not in done.output


def test_overrides_line_names_the_variables_set_now(run_script,
                                                    project: Path) -> None:
    write_env(project)
    done = run_oracle(run_script, project, env={"LOG_LEVEL": "info"})
    assert "[OK] Production overrides available (set in the environment " \
        "now: LOG_LEVEL)" in done.lines
    assert "Log Level: INFO" in done.lines


def test_env_file_option_and_stray_parent_env(run_script, project: Path,
                                              tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("MATRIX_MODE=production\n")
    (project / ".env").unlink(missing_ok=True)
    inside = project / "ex02" / "deep"
    inside.mkdir()
    done = run_oracle(run_script, project, cwd=inside)
    assert "Mode: development" in done.lines
    assert "Configuration file: none found (environment and defaults " \
        "only)" in done.lines
    chosen = tmp_path / "chosen.env"
    chosen.write_text("MATRIX_MODE=development\nLOG_LEVEL=error\n")
    done = run_oracle(run_script, project, args=("--env-file", str(chosen)))
    assert "Log Level: ERROR" in done.lines
    assert "Configuration file: %s" % chosen in done.lines


def test_env_file_in_working_directory_wins_over_the_scripts(
        run_script, project: Path) -> None:
    write_env(project)
    (project / ".env").write_text("LOG_LEVEL=critical\n")
    done = run_oracle(run_script, project)
    assert "Log Level: CRITICAL" in done.lines
    assert "Configuration file: .env" in done.lines


# --- Production policy ----------------------------------------------------

def test_production_complete_is_clean(run_script, project: Path) -> None:
    write_env(project, PRODUCTION_FILE)
    done = run_oracle(run_script, project, env=PRODUCTION_ENV)
    assert done.returncode == 0, done.output
    assert security(done.lines) == [
        OK_SECRETS, OK_ENV_FILE,
        "[OK] Production overrides available (set in the environment now: "
        "MATRIX_MODE, DATABASE_URL, API_KEY, LOG_LEVEL, ZION_ENDPOINT)"]
    assert "Database: Connected to remote instance (db.zion.example)" \
        in done.lines
    assert not any(line.startswith(("WARNING", "ERROR"))
                   for line in done.lines)
    assert done.lines[-1] == CLOSING


@pytest.mark.parametrize("change, status, error", [
    ({"DATABASE_URL": None}, "Database: Not configured",
     "ERROR: DATABASE_URL is not set"),
    ({"API_KEY": "example-key-replace-me"},
     "API Access: Refused (the example key)",
     "ERROR: API_KEY is still the .env.example sample"),
    ({"ZION_ENDPOINT": "http://zion.example/api"},
     "Zion Network: Refused (plain http)",
     "ERROR: ZION_ENDPOINT uses plain http"),
    ({"LOG_LEVEL": "verbose"}, "Log Level: Invalid (using INFO)",
     "ERROR: LOG_LEVEL must be one of"),
    ({"DATABASE_URL": "not a url"}, "Database: Invalid URL",
     "ERROR: DATABASE_URL is not a URL"),
    ({"ZION_ENDPOINT": "https://"}, "Zion Network: Invalid URL",
     "ERROR: ZION_ENDPOINT must be an http(s) URL"),
])
def test_production_refuses(run_script, project: Path, change: dict,
                            status: str, error: str) -> None:
    write_env(project, "MATRIX_MODE=production\n")
    env = {k: v for k, v in {**PRODUCTION_ENV, **change}.items() if v}
    done = run_oracle(run_script, project, env=env)
    assert done.returncode == 1
    assert status in done.lines
    assert any(line.startswith(error) for line in done.lines)
    assert done.lines[-1] == "The Oracle cannot see: fix the errors above."
    assert CLOSING not in done.lines


def test_development_forgives_what_production_refuses(
        run_script, project: Path) -> None:
    write_env(project, "")
    env = {**PRODUCTION_ENV, "MATRIX_MODE": "development",
           "ZION_ENDPOINT": "http://zion.example/api", "LOG_LEVEL": "loud"}
    done = run_oracle(run_script, project, env=env)
    assert done.returncode == 0
    assert "Zion Network: Online" in done.lines
    assert "WARNING: LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, " \
        "CRITICAL" in done.lines


def test_production_requires_log_level_to_be_set(run_script,
                                                 project: Path) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "LOG_LEVEL"}
    done = run_oracle(run_script, project, env=env)
    assert done.returncode == 1
    assert "ERROR: production requires LOG_LEVEL to be set" in done.lines


@pytest.mark.parametrize("change, warning", [
    ({"LOG_LEVEL": "DEBUG"}, "WARNING: LOG_LEVEL is DEBUG in production"),
    ({"DATABASE_URL": "postgresql://neo:Kx82jdHq0pZm@127.0.0.1/zion"},
     "WARNING: a local database in production mode"),
    ({"DATABASE_URL": "sqlite:///var/zion.db"},
     "WARNING: a local database in production mode"),
])
def test_production_warns(run_script, project: Path, change: dict,
                          warning: str) -> None:
    write_env(project, PRODUCTION_FILE)
    done = run_oracle(run_script, project, env={**PRODUCTION_ENV, **change})
    assert done.returncode == 0
    assert warning in " ".join(done.lines)


def test_world_readable_env_file_in_production(run_script,
                                               project: Path) -> None:
    env_file = write_env(project, PRODUCTION_FILE, mode=0o644)
    done = run_oracle(run_script, project, env=PRODUCTION_ENV)
    assert "[WARN] .env file: other users can read it: chmod 600 ex02/.env" \
        in done.lines
    assert OK_ENV_FILE not in done.lines
    env_file.chmod(0o600)
    assert OK_ENV_FILE in run_oracle(run_script, project,
                                     env=PRODUCTION_ENV).lines
    # Development does not ask for it.
    env_file.chmod(0o644)
    dev = {**PRODUCTION_ENV, "MATRIX_MODE": "development"}
    assert OK_ENV_FILE in run_oracle(run_script, project, env=dev).lines


def test_secrets_from_the_file_in_production(run_script,
                                             project: Path) -> None:
    write_env(project, PRODUCTION_FILE + "API_KEY=%s\nDATABASE_URL=%s\n" % (
        PRODUCTION_ENV["API_KEY"], PRODUCTION_ENV["DATABASE_URL"]))
    env = {k: v for k, v in PRODUCTION_ENV.items()
           if k not in ("API_KEY", "DATABASE_URL")}
    done = run_oracle(run_script, project, env=env)
    assert done.returncode == 0
    checks = security(done.lines)
    assert "[WARN] API_KEY comes from the .env file: in production, set " \
        "secrets in the environment" in checks
    assert "[WARN] DATABASE_URL comes from the .env file: in production, " \
        "set secrets in the environment" in checks
    assert not any(line.startswith(OK_OVERRIDES) for line in checks)


def test_invalid_mode_exits_1(run_script, project: Path) -> None:
    done = run_oracle(run_script, project, env={"MATRIX_MODE": "staging"})
    assert done.returncode == 1
    assert "Mode: invalid" in done.lines
    assert "ERROR: MATRIX_MODE must be development or production (set in " \
        "environment)" in done.lines
    assert "staging" not in done.output


def test_mode_is_case_insensitive(run_script, project: Path) -> None:
    done = run_oracle(run_script, project, env={"MATRIX_MODE": "Development"})
    assert done.returncode == 0 and "Mode: development" in done.lines


# --- What python-dotenv would silently get wrong -----------------------------

@pytest.mark.parametrize("text, problem", [
    (b"MATRIX_MODE=development\nthis is not a pair\n",
     "[WARN] .env file: line 2 cannot be parsed (python-dotenv skips it): "
     "write KEY=value"),
    (b"\xef\xbb\xbfMATRIX_MODE=production\n",
     "[WARN] .env file: line 1 starts with a byte-order mark, which older "
     "python-dotenv releases read as part of MATRIX_MODE: save the file as "
     "UTF-8 without BOM"),
    (b"LOG_LEVEL=INFO\nLOG_LEVEL=ERROR\n",
     "[WARN] .env file: LOG_LEVEL is set twice (lines 1 and 2): the last one "
     "wins; keep one"),
    (b"API_KEY\nLOG_LEVEL=\n",
     "[WARN] .env file: API_KEY (line 1) has no value"),
    (b"# comment\nAPI_KEY='abc${HOME}'\n",
     "[WARN] .env file: API_KEY (line 2) holds '${': read as written here, "
     "but load_dotenv() would expand it (pass interpolate=False)"),
])
def test_parse_problems_are_named_by_key_and_line(run_script, project: Path,
                                                  text: bytes,
                                                  problem: str) -> None:
    write_env(project, text)
    done = run_oracle(run_script, project)
    assert problem in done.lines
    assert OK_ENV_FILE not in done.lines


def test_byte_order_mark_is_repaired_not_lost(run_script,
                                              project: Path) -> None:
    write_env(project, b"\xef\xbb\xbfLOG_LEVEL=ERROR\n")
    assert "Log Level: ERROR" in run_oracle(run_script, project).lines


def test_dollar_values_are_kept_as_written(run_script,
                                           project: Path) -> None:
    write_env(project, "ZION_ENDPOINT=https://zion.example/${PATH}\n")
    done = run_oracle(run_script, project, args=("--show",))
    assert "https://zion.example/${PATH}" in done.stdout


def test_crlf_file_parses_cleanly(run_script, project: Path) -> None:
    example = (project / "ex02" / ".env.example").read_text()
    write_env(project, example.replace("\n", "\r\n"))
    done = run_oracle(run_script, project)
    assert done.lines[:len(SUBJECT)] == SUBJECT


@pytest.mark.parametrize("content, message", [
    (b"\x00\x01\x02ELF binary", "holds binary data: not a .env file"),
    (b"\xff\xfe\xfa", "is not UTF-8 text"),
    (b"A=" + b"x" * (2 * 1024 * 1024), "is larger than 1024 KiB"),
])
def test_unusable_files_never_traceback(run_script, project: Path,
                                        content: bytes, message: str) -> None:
    write_env(project, content)
    auto = run_oracle(run_script, project)
    assert auto.returncode == 0 and "Traceback" not in auto.output
    assert any(message in line for line in auto.lines)
    named = run_oracle(run_script, project,
                       args=("--env-file", "ex02/.env"))
    assert named.returncode == 1
    assert any(line.startswith("ERROR: ") and message in line
               for line in named.lines)


@pytest.mark.parametrize("target", ["missing.env", "ex02"])
def test_unreadable_env_file_option_exits_1(run_script, project: Path,
                                            target: str) -> None:
    done = run_oracle(run_script, project, args=("--env-file", target))
    assert done.returncode == 1
    assert "Traceback" not in done.output
    assert any(line.startswith("ERROR: cannot read %s: " % target)
               for line in done.lines)


def test_fifo_or_device_is_refused_not_read(run_script, project: Path,
                                            tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.env"
    os.mkfifo(fifo)
    for target in (str(fifo), "/dev/zero"):
        done = run_oracle(run_script, project, args=("--env-file", target))
        assert done.returncode == 1
        assert "ERROR: %s is not a regular file" % target in done.lines


def test_unreadable_permissions(run_script, project: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    write_env(project, mode=0o000)
    done = run_oracle(run_script, project, args=("--env-file", "ex02/.env"))
    assert done.returncode == 1 and "Permission denied" in done.stdout


@pytest.mark.parametrize("args", [("--verbose",), ("--env-file",),
                                  ("--env-file=",), ("show",)])
def test_bad_arguments_exit_2(run_script, project: Path, args) -> None:
    done = run_oracle(run_script, project, args=args)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("usage: oracle.py")


def test_help(run_script, project: Path) -> None:
    done = run_oracle(run_script, project, args=("--help",))
    assert done.returncode == 0 and "--env-file PATH" in done.stdout


# --- Each [OK] line flips --------------------------------------------------

def test_hardcoded_secret_in_the_script_is_found(run_script,
                                                 project: Path) -> None:
    write_env(project)
    script = project / "ex02" / "oracle.py"
    lines = script.read_text().splitlines()
    planted = 'FALLBACK_API_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"'
    script.write_text("\n".join(lines + [planted]) + "\n")
    done = run_oracle(run_script, project)
    assert "[WARN] hardcoded secret in ex02/oracle.py:%d: a secret-looking " \
        "literal" % (len(lines) + 1) in done.lines
    assert OK_SECRETS not in done.lines
    assert "4eC39HqLyjWDarjtT1zdp7dc" not in done.output


@pytest.mark.parametrize("line, found", [
    ("db = 'postgresql://neo:Rk29xQ7wLm@db.example/zion'", True),
    ("db = 'postgresql://neo:changeme@localhost/zion'", False),
    ("db = 'postgresql://neo:${DB_PASSWORD}@localhost/zion'", False),
    ("token: 9a8b7c6d5e4f3a2b1c0d9e8f", True),
    ("password = 'your-password-here-0000'", False),
    ("API_KEY=short1", False),
    ("SECRET_WORDS = ('api_key', 'secret')", False),
    ("    password = userinfo.partition(':')[2]", False),
    ("token = self.tokens[0x1f2e3d4c5b6a7980]", False),
    ('"password": "Xk3-9dLq_2mZ8pW4vR"', True),
])
def test_secret_literal_detection(line: str, found: bool) -> None:
    assert oracle.secret_literals(line) is found


def test_loaded_secret_in_a_committed_file_is_found(run_script,
                                                    project: Path) -> None:
    write_env(project)
    key = "Q" + secrets.token_hex(12)
    (project / "ex02" / "settings.py").write_text(
        "# handy\nKEY = '%s'\n" % key)
    done = run_oracle(run_script, project, env={"API_KEY": key})
    assert "[WARN] hardcoded secret in ex02/settings.py:2: the value of " \
        "API_KEY now loaded" in done.lines
    assert key not in done.output


def test_env_files_themselves_are_not_scanned(run_script,
                                              project: Path) -> None:
    write_env(project, "API_KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dc\n")
    (project / "ex02" / ".env.local").write_text(
        "API_KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dc\n")
    assert OK_SECRETS in run_oracle(run_script, project).lines
    (project / "ex02" / "config.txt").write_text(
        "API_KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dc\n")
    assert OK_SECRETS not in run_oracle(run_script, project).lines


def test_env_file_check_fails_without_the_file(run_script,
                                               project: Path) -> None:
    write_env(project)
    assert OK_ENV_FILE in run_oracle(run_script, project).lines
    (project / "ex02" / ".env").unlink()
    assert OK_ENV_FILE not in run_oracle(run_script, project).lines


def test_env_file_check_wants_every_key(run_script, project: Path) -> None:
    write_env(project, "MATRIX_MODE=development\n")
    done = run_oracle(run_script, project, env={"API_KEY": "k" * 20})
    checks = security(done.lines)
    assert "[WARN] .env file: DATABASE_URL is not defined: add " \
        "DATABASE_URL=... (see .env.example)" in checks
    assert not any("API_KEY is not defined" in line for line in checks)


def test_overrides_check_fails_without_the_example(run_script,
                                                   project: Path) -> None:
    write_env(project)
    (project / "ex02" / ".env.example").unlink()
    done = run_oracle(run_script, project)
    assert "[WARN] ex02/.env.example is missing: nothing documents the " \
        "variables production must set" in done.lines
    assert not any(line.startswith(OK_OVERRIDES) for line in done.lines)


# --- git: ignored, not ignored, tracked ------------------------------------

def test_env_file_and_git(run_script, project: Path, git_repo) -> None:
    repo = git_repo(project)
    write_env(project)
    assert OK_ENV_FILE in run_oracle(run_script, project).lines

    (repo / ".gitignore").write_text("")
    (repo / "ex02" / ".gitignore").write_text("")
    done = run_oracle(run_script, project)
    assert "[WARN] .env file: git does not ignore it: add .env to " \
        ".gitignore" in done.lines

    git(repo, "add", "ex02/.env")
    git(repo, "commit", "-qm", "oops")
    shutil.copy(ROOT / "ex02" / ".gitignore", repo / "ex02" / ".gitignore")
    done = run_oracle(run_script, project)
    assert "[WARN] .env file: it is committed to git: git rm --cached " \
        "ex02/.env, then commit" in done.lines


def test_without_git_on_path_the_gitignore_files_decide(
        run_script, project: Path, git_repo) -> None:
    git_repo(project)
    write_env(project)
    no_git = {"PATH": "/nonexistent"}
    assert OK_ENV_FILE in run_oracle(run_script, project, env=no_git).lines
    (project / ".gitignore").write_text("")
    (project / "ex02" / ".gitignore").write_text("")
    done = run_oracle(run_script, project, env=no_git)
    assert "[WARN] .env file: git does not ignore it: add .env to " \
        ".gitignore" in done.lines


def test_gitignore_read_without_git(project: Path, tmp_path: Path) -> None:
    env = write_env(project)
    assert oracle.gitignore_says_ignored(str(env)) is True
    (project / "ex02" / ".gitignore").write_text("!.env\n")
    assert oracle.gitignore_says_ignored(str(env)) is False
    (project / "ex02" / ".gitignore").write_text("# nothing\n")
    assert oracle.gitignore_says_ignored(str(env)) is True    # top level
    (project / ".gitignore").write_text("/.env\n")
    assert oracle.gitignore_says_ignored(str(env)) is False   # root only


# --- python-dotenv absent -------------------------------------------------

def test_without_python_dotenv(run_script, project: Path,
                               bare_venv: Path) -> None:
    write_env(project)
    done = run_oracle(run_script, project, python=venv_python(bare_venv),
                      env={"MATRIX_MODE": "production"})
    assert "NOTE: python-dotenv is not installed: reading the real " \
        "environment only. Install it: pip install -r " \
        "ex02/requirements.txt" in done.lines
    assert "Mode: production" in done.lines
    assert "[WARN] .env file: not read: python-dotenv is not installed " \
        "(pip install python-dotenv)" in done.lines
    assert done.returncode == 1         # production, nothing else set
    assert "Traceback" not in done.output


# --- No secret ever reaches the output ------------------------------------

def canary() -> str:
    return "Cx" + secrets.token_hex(14)


def leaks(output: str, planted: list[str]) -> list[str]:
    """Every canary, or 8-character slice of one, found in the output."""
    found = []
    for secret in planted:
        for start in range(len(secret) - 7):
            if secret[start:start + 8] in output:
                found.append(secret[start:start + 8])
    return found


def test_canary_secrets_never_reach_the_output(run_script, project: Path,
                                               bare_venv: Path) -> None:
    key, db, zion, bad, broken = (canary() for _ in range(5))
    planted = [key, db, zion, bad, broken]
    good_file = ("MATRIX_MODE=development\nAPI_KEY=%s\n"
                 "DATABASE_URL=postgresql://neo:%s@db.example/zion\n"
                 "ZION_ENDPOINT=https://agent:%s@zion.example/api\n"
                 "LOG_LEVEL=INFO\n" % (key, db, zion))
    bad_file = ("API_KEY='%s\nDATABASE_URL=postgresql://neo:%s@ho st/zion\n"
                "ZION_ENDPOINT=ftp://u:%s@zion/x\nAPI_KEY\nAPI_KEY=%s $x\n"
                % (broken, bad, zion, key))
    scenarios = []
    for mode in ("development", "production", "staging"):
        for file_text in (good_file, bad_file, None):
            for args in ((), ("--show",)):
                scenarios.append((mode, file_text, args, None))
    scenarios.append(("production", good_file, ("--show",), bare_venv))
    scenarios.append(("production", good_file, ("--nope",), None))
    for mode, file_text, args, venv in scenarios:
        env_file = project / "ex02" / ".env"
        env_file.unlink(missing_ok=True)
        if file_text is not None:
            write_env(project, file_text, mode=0o644)
        for env in ({"MATRIX_MODE": mode},
                    {"MATRIX_MODE": mode, "API_KEY": key,
                     "DATABASE_URL": "mysql://root:%s@127.0.0.1/x" % db}):
            done = run_oracle(run_script, project, env=env, args=args,
                              python=venv_python(venv) if venv else None)
            assert "Traceback" not in done.output
            assert leaks(done.output, planted) == [], (mode, args, env)


@pytest.mark.parametrize("value, shown", [
    ("postgresql://neo:pw@localhost/zion",
     "postgresql://neo:***@localhost/zion"),
    ("https://token@host/x", "https://***@host/x"),
    ("https://u:p/a@ss@host:1/x", "https://u:***@host:1/x"),
    ("not a url", "(not a valid URL: hidden)"),
    ("https://host/x", "https://host/x"),
])
def test_mask_url(value: str, shown: str) -> None:
    assert oracle.mask_url(value) == shown


def test_api_key_shows_at_most_its_last_four_when_long() -> None:
    assert oracle.mask_value("API_KEY", "abcdefghijklmnop") == "****mnop"
    assert oracle.mask_value("API_KEY", "abcdefghijklmno") == "**** (hidden)"
