"""ex02/oracle.py, run as users run it in temporary copies of ex02/."""
import os
import random
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import secret_corpus
from conftest import (NOBODY, budget, canary, clean_env, clean_global_python,
                      git, leaks, load_script, ROOT, SCRIPTS, section,
                      site_packages, venv_python)

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
    "[OK] No hardcoded secrets detected (4 files in ex02/)",
    "[OK] .env file properly configured",
    "[OK] Production overrides available",
    "",
]
CLOSING = "The Oracle sees all configurations."
REFUSED = "The Oracle cannot see: fix the errors above."
OK_SECRETS = "[OK] No hardcoded secrets detected (4 files in ex02/)"
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
               python: "Path | None" = None, timeout: float = 120):
    return run_script(project / "ex02" / "oracle.py", env=env, args=args,
                      cwd=cwd or project, python=python, timeout=timeout)


def security(lines: list[str]) -> list[str]:
    return section(lines, "Environment security check:")[1:]


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
    assert done.lines[-2:] == ["", CLOSING]
    assert "Configuration file: %s" % (
        ".env" if where == "ex02" else "ex02/.env") in done.lines
    # The example's key is a sample: development says so, and goes on.
    assert "WARNING: API_KEY is the .env.example sample: production " \
        "refuses it; set a real key" in done.lines


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


def test_an_empty_environment_variable_counts_as_unset(
        run_script, project: Path) -> None:
    write_env(project, "LOG_LEVEL=ERROR\nAPI_KEY=%s\n"
              % PRODUCTION_ENV["API_KEY"])
    done = run_oracle(run_script, project, args=("--show",),
                      env={"LOG_LEVEL": "", "API_KEY": ""})
    assert "Log Level: ERROR" in done.lines
    assert "API Access: Authenticated" in done.lines
    table = section(done.lines, "Configuration values (secrets masked):")
    assert table[3].split()[-1] == ".env:2"
    assert table[4].split() == ["LOG_LEVEL", "ERROR", ".env:1"]


def test_overrides_line_names_the_variables_set_now(run_script,
                                                    project: Path) -> None:
    write_env(project)
    done = run_oracle(run_script, project, env={"LOG_LEVEL": "info"})
    assert "[OK] Production overrides available (set in the environment " \
        "now: LOG_LEVEL)" in done.lines
    assert "Log Level: INFO" in done.lines


def test_a_stray_env_file_in_a_parent_directory_is_never_read(
        run_script, project: Path, tmp_path: Path) -> None:
    # tmp_path holds project/: its .env is in a parent of every directory
    # the run sees, as python-dotenv's find_dotenv() would find it.
    (tmp_path / ".env").write_text("MATRIX_MODE=production\n")
    inside = project / "ex02" / "deep"
    inside.mkdir()
    for cwd in (inside, project):
        done = run_oracle(run_script, project, cwd=cwd)
        assert "Mode: development" in done.lines
        assert "Configuration file: none found (environment and defaults " \
            "only)" in done.lines


def test_env_file_option(run_script, project: Path, tmp_path: Path) -> None:
    write_env(project)
    chosen = tmp_path / "chosen.env"
    chosen.write_text("MATRIX_MODE=development\nLOG_LEVEL=error\n")
    for args in (("--env-file", str(chosen)), ("--env-file=%s" % chosen,)):
        done = run_oracle(run_script, project, args=args)
        assert "Log Level: ERROR" in done.lines
        assert "Configuration file: %s" % chosen in done.lines


def test_env_file_in_working_directory_wins_over_the_scripts(
        run_script, project: Path) -> None:
    write_env(project)
    (project / ".env").write_text("LOG_LEVEL=critical\n")
    done = run_oracle(run_script, project)
    assert "Log Level: CRITICAL" in done.lines
    assert "Configuration file: .env" in done.lines


# --- The policy of each mode, as a table -------------------------------------

def judged(project: Path, environ: dict[str, str],
           file_text: "str | None" = None) -> tuple[list[str], bool]:
    """The report's lines and whether it is usable, decided in-process
    from real files (no git: a temporary directory is no repository)."""
    if file_text is not None:
        write_env(project, file_text, mode=0o644)
    here = str(project / "ex02")
    facts = oracle.gather(oracle.parse_args([])[0], environ, here)
    blocks, usable = oracle.build_report(facts, False)
    return [line for block in blocks for line in block], usable


# (what changes from a clean production setup, the status line it gives,
#  then the line development prints and the one production prints; None:
#  the mode says nothing.)
POLICY_CASES = [
    ({"API_KEY": None}, "API Access: Not configured",
     "WARNING: API_KEY is not set: export it (or add it to .env)",
     "ERROR: API_KEY is not set: export it (or add it to .env)"),
    ({"DATABASE_URL": None}, "Database: Not configured",
     "WARNING: DATABASE_URL is not set: add it to .env or the environment",
     "ERROR: DATABASE_URL is not set: add it to .env or the environment"),
    ({"ZION_ENDPOINT": None}, "Zion Network: Offline (not configured)",
     "WARNING: ZION_ENDPOINT is not set: add it to .env or the environment",
     "ERROR: ZION_ENDPOINT is not set: add it to .env or the environment"),
    ({"API_KEY": "example-key-replace-me"}, None,
     "WARNING: API_KEY is the .env.example sample: production refuses it; "
     "set a real key",
     "ERROR: API_KEY is the .env.example sample: production refuses it; "
     "set a real key"),
    ({"API_KEY": "k" * 15}, None,
     "WARNING: API_KEY is shorter than 16 characters: too short for a real "
     "key",
     "ERROR: API_KEY is shorter than 16 characters: too short for a real "
     "key"),
    ({"API_KEY": "abcd efgh ijkl mnop"},
     "API Access: Invalid key (white space or control characters)",
     "WARNING: API_KEY contains white space or control characters: check "
     "how it was quoted",
     "ERROR: API_KEY contains white space or control characters: check how "
     "it was quoted"),
    ({"ZION_ENDPOINT": "http://zion.example/api"}, None, None,
     "ERROR: ZION_ENDPOINT uses plain http: production requires https"),
    # SQLAlchemy's "scheme+driver" is the scheme's.
    ({"DATABASE_URL": "postgresql+psycopg://neo:Kx82jdHq@db.example/zion"},
     "Database: Connected to remote instance (db.example)", None, None),
    ({"DATABASE_URL": "mysql+pymysql://neo:Kx82jdHq@db.example/zion"},
     "Database: Connected to remote instance (db.example)", None, None),
    ({"LOG_LEVEL": None}, "Log Level: INFO (default)", None,
     "ERROR: production requires LOG_LEVEL to be set"),
    ({"LOG_LEVEL": "debug"}, "Log Level: DEBUG", None,
     "WARNING: LOG_LEVEL is DEBUG in production: use INFO or WARNING (debug "
     "logs can leak data)"),
    ({"LOG_LEVEL": "verbose"}, "Log Level: Invalid (using INFO)",
     "WARNING: LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, "
     "CRITICAL",
     "ERROR: LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, "
     "CRITICAL"),
    ({"DATABASE_URL": "postgresql://neo:Kx82jdHq0pZm@127.0.0.1/zion"},
     "Database: Connected to local instance", None,
     "WARNING: DATABASE_URL is a local database in production mode"),
    ({"DATABASE_URL": "sqlite:///var/zion.db"},
     "Database: Connected to local instance", None,
     "WARNING: DATABASE_URL is a local database in production mode"),
    ({"DATABASE_URL": "postgresql:///zion?host=/run/postgresql"},
     "Database: Connected to local instance", None,
     "WARNING: DATABASE_URL is a local database in production mode"),
]
INVALID_URLS = [
    # requests ends the host at the first "/", "?" or "#".
    ("ZION_ENDPOINT", "https://good.example#@evil.example",
     "an '@' after a '/', '?' or '#' leaves its host unclear"),
    ("ZION_ENDPOINT", "https://good.example?@evil.example",
     "an '@' after a '/', '?' or '#' leaves its host unclear"),
    ("ZION_ENDPOINT", "https://\uff45\uff56\uff49\uff4c.example/zion",
     "its host name is not ASCII: write it in its xn-- form"),
    ("DATABASE_URL", "not a url", "it is not a URL (scheme://host/path)"),
    ("DATABASE_URL", "ftp://files.example/zion",
     "its scheme must be one of postgresql"),
    ("DATABASE_URL", "http://", "its scheme must be one of postgresql"),
    ("DATABASE_URL", "postgresql://db.example:99999/zion",
     "its port is not a number from 1 to 65535"),
    ("DATABASE_URL", "postgresql://db.example:0/zion",
     "its port is not a number from 1 to 65535"),
    ("DATABASE_URL", "postgresql://db.example:-1/zion",
     "its port is not a number from 1 to 65535"),
    ("DATABASE_URL", "postgresql://db.example:abc/zion",
     "its port is not a number from 1 to 65535"),
    ("DATABASE_URL", "postgresql://neo:Kx82jdHq0pZm/zion",
     "its port is not a number from 1 to 65535"),
    ("DATABASE_URL", "postgresql://db!example/zion",
     "its host is not a valid host name"),
    ("ZION_ENDPOINT", "https://", "it has no host"),
    ("ZION_ENDPOINT", "http://:8080/x", "it has no host"),
    ("ZION_ENDPOINT", "ftp://zion.example/x", "its scheme must be one of "
     "http, https"),
    # A driver ("x+driver") is a database URL's only: requests knows none;
    # and it is a name.
    ("DATABASE_URL", "postgresql+://db.example/zion",
     "its scheme must be one of postgresql"),
    ("DATABASE_URL", "sqlite+pysqlite+x:///zion.db",
     "its scheme must be one of postgresql"),
    ("ZION_ENDPOINT", "http+x://zion.example/x", "its scheme must be one "
     "of http, https"),
    ("ZION_ENDPOINT", "https+x://zion.example/x", "its scheme must be one "
     "of http, https"),
    ("ZION_ENDPOINT", "https://zion.example:65536/x",
     "its port is not a number from 1 to 65535"),
    ("ZION_ENDPOINT", "zion.example/api", "it is not a URL"),
]
for key, value, reason in INVALID_URLS:
    name = "Database" if key == "DATABASE_URL" else "Zion Network"
    start = "DATABASE_URL is not a database URL (scheme://user:password@" \
        "host:port/name): " if key == "DATABASE_URL" else \
        "ZION_ENDPOINT must be an http(s) URL with a host: "
    POLICY_CASES.append(({key: value}, name + ": Invalid URL",
                         "WARNING: " + start + reason,
                         "ERROR: " + start + reason))


@pytest.mark.parametrize("change, status, development, production",
                         POLICY_CASES)
def test_each_mode_judges_each_finding(
        project: Path, change: dict, status: "str | None",
        development: "str | None", production: "str | None") -> None:
    base = {k: v for k, v in {**PRODUCTION_ENV, **change}.items() if v}
    for mode, expected in (("development", development),
                           ("production", production)):
        lines, usable = judged(project, {**base, "MATRIX_MODE": mode}, "")
        if status:
            assert status in lines, (mode, lines)
        shown = [line for line in lines
                 if line.startswith(("WARNING: ", "ERROR: "))]
        if expected is None:
            assert shown == [], (mode, shown)
        else:
            assert any(line.startswith(expected) for line in shown), (
                mode, shown)
            assert len(shown) == 1, shown
        assert usable is not (expected or "").startswith("ERROR"), mode
        assert (lines[-1] == REFUSED) is not usable


def test_production_statuses_say_what_is_refused(project: Path) -> None:
    for change, status in (
            ({"API_KEY": "example-key-replace-me"},
             "API Access: Refused (the example key)"),
            ({"API_KEY": "k" * 15}, "API Access: Refused (too short)"),
            ({"ZION_ENDPOINT": "http://zion.example/api"},
             "Zion Network: Refused (plain http)")):
        lines, _ = judged(project, {**PRODUCTION_ENV, **change}, "")
        assert status in lines
        dev, _ = judged(project, {**PRODUCTION_ENV, **change,
                                  "MATRIX_MODE": "development"}, "")
        assert status not in dev


def test_a_sixteen_character_key_and_a_remote_database_pass(
        project: Path) -> None:
    lines, usable = judged(project, {**PRODUCTION_ENV, "API_KEY": "k" * 16},
                           "")
    assert usable and "API Access: Authenticated" in lines
    assert "Database: Connected to remote instance (db.zion.example)" \
        in lines
    assert lines[-1] == CLOSING


def test_policy_table_covers_every_kind_the_judges_give() -> None:
    assert set(oracle.POLICY) >= {"not set", "invalid", "example key",
                                  "short key", "plain http",
                                  "level by default", "debug level",
                                  "local database", "readable file",
                                  "secret in file", "invalid mode"}
    for development, production in oracle.POLICY.values():
        # Production never forgives what development refuses.
        order = (None, "warn", "error")
        assert order.index(production) >= order.index(development)


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


def test_production_refusal_exits_1(run_script, project: Path) -> None:
    write_env(project, "MATRIX_MODE=production\n")
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "API_KEY"}
    done = run_oracle(run_script, project, env=env)
    assert done.returncode == 1
    assert "ERROR: API_KEY is not set: export it (or add it to .env)" \
        in done.lines
    assert done.lines[-1] == REFUSED and CLOSING not in done.lines


def test_world_readable_env_file_in_production(run_script,
                                               project: Path) -> None:
    env_file = write_env(project, PRODUCTION_FILE, mode=0o644)
    done = run_oracle(run_script, project, env=PRODUCTION_ENV)
    assert "[WARN] .env file: other users can read it: chmod 600 ex02/.env" \
        in done.lines
    assert OK_ENV_FILE not in done.lines
    env_file.chmod(0o640)
    assert OK_ENV_FILE not in run_oracle(run_script, project,
                                         env=PRODUCTION_ENV).lines
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
    development = run_oracle(run_script, project,
                             env={**env, "MATRIX_MODE": "development"})
    assert any(line.startswith(OK_OVERRIDES) for line in development.lines)


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
     "line 2 cannot be parsed (python-dotenv skips it): write KEY=value"),
    (b"\xef\xbb\xbfMATRIX_MODE=production\n",
     "line 1 starts with a byte-order mark, which older python-dotenv "
     "releases read as part of the first key: save the file as UTF-8 "
     "without BOM"),
    (b"LOG_LEVEL=INFO\nLOG_LEVEL=ERROR\n",
     "LOG_LEVEL is set twice (lines 1 and 2): the last one wins; keep one"),
    (b"LOG_LEVEL=INFO\n\nLOG_LEVEL=ERROR\nLOG_LEVEL=INFO\n",
     "LOG_LEVEL is set 3 times (lines 1, 3 and 4): the last one wins; keep "
     "one"),
    (b"API_KEY\nLOG_LEVEL=\n", "API_KEY (line 1) has no '=': it is not set"),
    (b"API_KEY\nLOG_LEVEL=\n",
     "LOG_LEVEL (line 2) is empty: it counts as not set"),
    (b"# comment\nAPI_KEY='abc${HOME}'\n",
     "API_KEY (line 2) holds '${': read as written here, but load_dotenv() "
     "would expand it (pass interpolate=False)"),
    (b"A=1\n\n\nLOG_LEVEL=\n", "LOG_LEVEL (line 4) is empty: it counts as "
     "not set"),
    (b"A=1\nsk_live_0123456789abcdef\n", "line 2: not KEY=value (no '='); "
     "python-dotenv reads a name without a value"),
    (b"A=1\nsk-live-0123=x\n", "line 2: the name before '=' is not a "
     "variable name (letters, digits, _)"),
    (b"api_key=x\nLog_Level=y\n", "line 1: API_KEY written in other "
     "letters is not read (names are case-sensitive)"),
    (b'API_KEY="abc\nLOG_LEVEL=DEBUG\nX="y"\nMATRIX_MODE=development\n',
     "lines 1-3 cannot be parsed (python-dotenv skips them): write "
     "KEY=value"),
    (b'API_KEY="abc\nLOG_LEVEL=DEBUG\nX="y"\nMATRIX_MODE=development\n',
     "LOG_LEVEL is inside lines 1-3, which python-dotenv cannot parse: fix "
     "it there"),
    (b'API_KEY="abc\nLOG_LEVEL=DEBUG\n"\n',
     "API_KEY's quoted value runs over lines 1-3, swallowing the line of "
     "LOG_LEVEL: close its quote on its first line if that is not meant"),
    (b'API_KEY="abc\nLOG_LEVEL=DEBUG\n"\n',
     "LOG_LEVEL is inside the value of API_KEY (lines 1-3): fix it there"),
    # Line breaks that are not \n: an editor starts a new line there,
    # python-dotenv does not.
    ("API_KEY=abcdefghijklmnop1234\u2028MATRIX_MODE=production\n".encode(),
     "API_KEY (line 1) holds a line break that is not a newline (U+2028): "
     "python-dotenv reads what follows it as part of the value, swallowing "
     "MATRIX_MODE"),
    ("API_KEY=abcdefghijklmnop1234\u2028MATRIX_MODE=production\n".encode(),
     "MATRIX_MODE is inside the value of API_KEY (line 1): fix it there"),
    ("LOG_LEVEL=DEBUG\u2029x\n".encode(), "LOG_LEVEL (line 1) holds a line "
     "break that is not a newline (U+2029): python-dotenv reads what "
     "follows it as part of the value"),
    ("LOG_LEVEL=DEBUG\x85x\n".encode(), "LOG_LEVEL (line 1) holds a line "
     "break that is not a newline (U+0085): python-dotenv reads what "
     "follows it as part of the value"),
    (b"LOG_LEVEL='DEBUG\x0cx'\n", "LOG_LEVEL (line 1) holds a line "
     "break that is not a newline (U+000C): python-dotenv reads what "
     "follows it as part of the value"),
])
def test_parse_problems_are_named_by_key_and_line(run_script, project: Path,
                                                  text: bytes,
                                                  problem: str) -> None:
    write_env(project, text)
    done = run_oracle(run_script, project)
    assert "[WARN] .env file: " + problem in done.lines
    assert OK_ENV_FILE not in done.lines


def test_a_lost_key_is_not_reported_as_missing(run_script,
                                               project: Path) -> None:
    write_env(project, b'API_KEY="abc\nLOG_LEVEL=DEBUG\nX="y"\n')
    done = run_oracle(run_script, project)
    assert not any("LOG_LEVEL is not defined" in line for line in done.lines)
    assert "[WARN] .env file: ZION_ENDPOINT is not defined: add " \
        "ZION_ENDPOINT=... (see .env.example)" in done.lines


def test_empty_values_of_keys_not_read_are_fine(run_script,
                                                project: Path) -> None:
    example = (project / "ex02" / ".env.example").read_text()
    write_env(project, example + "OTHER=\nEMPTY= # a comment\nQUOTED=''\n"
              "export SHELL_STYLE=1\n")
    done = run_oracle(run_script, project)
    assert done.lines[:len(SUBJECT)] == SUBJECT


def test_line_numbers_are_the_lines_keys_are_on(run_script,
                                                project: Path) -> None:
    write_env(project, "# top\n\n\nLOG_LEVEL=ERROR\n\n\n\nAPI_KEY=%s\n"
              % PRODUCTION_ENV["API_KEY"])
    table = section(run_oracle(run_script, project, args=("--show",)).lines,
                    "Configuration values (secrets masked):")
    assert table[3].split()[-1] == ".env:8"
    assert table[4].split() == ["LOG_LEVEL", "ERROR", ".env:4"]


def test_repeated_findings_are_told_once_with_their_lines(
        run_script, project: Path) -> None:
    write_env(project, "LOG_LEVEL=INFO\nAPI_KEY\nnot a pair\n" * 25000)
    done = run_oracle(run_script, project)
    assert len(done.stdout) < 3000, len(done.stdout)
    checks = security(done.lines)
    assert "[WARN] .env file: LOG_LEVEL is set 25000 times (lines 1, 4, 7, "\
        "10, 13 and 24995 more): the last one wins; keep one" in checks
    assert "[WARN] .env file: API_KEY (lines 2, 5, 8, 11, 14 and 24995 more)"\
        " has no '=': it is not set" in checks
    assert "[WARN] .env file: lines 3, 6, 9, 12, 15 and 24995 more cannot be"\
        " parsed (python-dotenv skips them): write KEY=value" in checks


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
    (b"\x00\x01\x02ELF binary", "ex02/.env holds binary data: not a .env "
     "file"),
    (b"\xff\xfe\xfa", "ex02/.env is not UTF-8 text"),
    (b"A=" + b"x" * (2 * 1024 * 1024), "ex02/.env is larger than 1024 KiB: "
     "not a configuration file"),
])
def test_unusable_files_never_traceback(run_script, project: Path,
                                        content: bytes, message: str) -> None:
    write_env(project, content)
    auto = run_oracle(run_script, project)
    assert auto.returncode == 0 and "Traceback" not in auto.output
    assert "[WARN] .env file: " + message in auto.lines
    named = run_oracle(run_script, project,
                       args=("--env-file", "ex02/.env"))
    assert named.returncode == 1
    assert "ERROR: " + message in named.lines


@pytest.mark.parametrize("target, message", [
    ("missing.env", "cannot read missing.env: No such file or directory"),
    ("ex02", "ex02 is not a regular file"),
    ("/dev/zero", "/dev/zero is not a regular file"),
])
def test_unreadable_env_file_option_exits_1(run_script, project: Path,
                                            target: str,
                                            message: str) -> None:
    done = run_oracle(run_script, project, args=("--env-file", target))
    assert done.returncode == 1
    assert "Traceback" not in done.output
    assert "ERROR: " + message in done.lines
    assert done.lines[-1] == REFUSED


def test_fifos_are_refused_not_read(run_script, project: Path,
                                    tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.env"
    os.mkfifo(fifo)
    done = run_oracle(run_script, project, args=("--env-file", str(fifo)),
                      timeout=20)
    assert done.returncode == 1
    assert "ERROR: %s is not a regular file" % fifo in done.lines
    # A FIFO named like a file of ex02/ blocks neither the scan nor the
    # example nor the .gitignore fallback.
    write_env(project)
    for name in (".gitignore", ".env.example", "notes.txt"):
        (project / "ex02" / name).unlink(missing_ok=True)
        os.mkfifo(project / "ex02" / name)
    done = run_oracle(run_script, project, timeout=20)
    assert done.returncode == 0 and "Traceback" not in done.output


@pytest.mark.parametrize("args", [(), ("--env-file", "ex02/.env")])
def test_an_unreadable_env_file(nobody_folder: Path, nobody_python: Path,
                                tmp_path: Path, args: tuple[str, ...]
                                ) -> None:
    """Run as the unprivileged user: root reads any file."""
    project = nobody_folder / tmp_path.name
    (project / "ex02").mkdir(parents=True)
    for name in EX02_FILES:
        shutil.copy(ROOT / "ex02" / name, project / "ex02" / name)
    subprocess.run(["chmod", "-R", "a+rX", str(project)], check=True)
    secret = canary()
    write_env(project, "API_KEY=%s\n" % secret, mode=0o000)
    done = subprocess.run([*NOBODY, str(nobody_python),
                           str(project / "ex02" / "oracle.py"), *args],
                          cwd=project, env=clean_env(), capture_output=True,
                          text=True, timeout=120)
    # Asked for by name, it must be read; found by default, development
    # goes on with a warning.
    assert done.returncode == (1 if args else 0), done.stdout + done.stderr
    assert "[WARN] .env file: cannot read ex02/.env: Permission denied" \
        in done.stdout.splitlines(), done.stdout
    assert "Traceback" not in done.stderr
    assert leaks(done.stdout + done.stderr, [secret]) == []


@pytest.mark.parametrize("args, message", [
    (("--verbose",), "unknown option: --verbose"),
    (("--env-file",), "--env-file needs a path"),
    (("--env-file=",), "--env-file needs a path"),
    (("show",), "unexpected argument (options start with --)"),
    (("--api-key=hunter2hunter2",), "unknown option: --api-key"),
    (("-phunter",), "unknown option: (an argument that is not an option; "
     "see --help)"),
    (("--show=yes",), "--show takes no value"),
])
def test_bad_arguments_exit_2(run_script, project: Path, args,
                              message: str) -> None:
    done = run_oracle(run_script, project, args=args)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [oracle.USAGE,
                                        "oracle.py: error: " + message]
    assert "hunter2" not in done.stderr


def test_help(run_script, project: Path) -> None:
    done = run_oracle(run_script, project, args=("--help",))
    assert done.returncode == 0 and done.stderr == ""
    assert done.lines[0] == oracle.USAGE
    assert "--env-file PATH" in done.stdout and "exit status" in done.stdout


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


def test_the_example_file_is_scanned_too(run_script, project: Path) -> None:
    write_env(project)
    example = project / "ex02" / ".env.example"
    example.write_text(example.read_text().replace(
        "changeme@", "Rk29xQ7wLm@"))
    done = run_oracle(run_script, project)
    assert "[WARN] hardcoded secret in ex02/.env.example:11: a " \
        "secret-looking literal" in done.lines
    assert "Rk29xQ7wLm" not in done.output


@pytest.mark.parametrize("count, listed, more", [
    (oracle.MAX_LISTED, oracle.MAX_LISTED, None),
    (oracle.MAX_LISTED + 1, oracle.MAX_LISTED + 1, None),
    (oracle.MAX_LISTED + 2, oracle.MAX_LISTED, 2),
])
def test_many_hardcoded_secrets_are_capped(run_script, project: Path,
                                           count: int, listed: int,
                                           more: "int | None") -> None:
    """All are listed up to one past the cap (a line "... and 1 more"
    would say less than the finding); beyond, the cap and the count."""
    write_env(project)
    (project / "ex02" / "leaky.py").write_text("".join(
        "token = 'a1b2c3d4e5f6g7h8i9j0k%04d'\n" % i for i in range(count)))
    checks = security(run_oracle(run_script, project).lines)
    expected = ["[WARN] hardcoded secret in ex02/leaky.py:%d: a secret-"
                "looking literal" % i for i in range(1, listed + 1)]
    if more:
        expected.append("[WARN] ... and %d more hardcoded secrets" % more)
    assert checks[:-2] == expected
    assert checks[-2:] == [OK_ENV_FILE, OK_OVERRIDES]


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
    # A token looks random from MIN_RANDOM (16) characters on.
    ("token = 'a1b2c3d4e5f6g7h'", False),
    ("token = 'a1b2c3d4e5f6g7h8'", True),
    ("token = 'a1b2c3d4e5f6g7h8i'", True),
    # A password is worth a look from MIN_PASSWORD (8) characters on.
    ("password = 'hunter2'", False),
    ("password = 'hunter22'", True),
    ("password = 'hunter222'", True),
    # Names in any case and spelling, then values however they are given.
    ("apiKey: 'a1b2c3d4e5f6g7h8'", True),
    ("X-API-KEY: a1b2c3d4e5f6g7h8", True),
    ("DB_PASS=hunter22", True),
    ("Password: hunter22", True),
    ("aws_access_key_id = 'a1b2c3d4e5f6g7h8'", False),
    ("token_type = 'a1b2c3d4e5f6g7h8'", False),
    ("    return token_hash_v2(a1b2c3d4e5f6g7h8)", False),
    ("GH = 'ghp_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8'", True),
    ("GH = 'ghp_a1b2c3d4e5f6g7h8i9j0'", False),     # 36 characters
    ("GH = 'ghp_short'", False),
    # A UUID is an identifier, even under a secret name.
    ("session_token = '123e4567-e89b-12d3-a456-426614174000'", False),
    # A URL's password is read from the nearest "://" before its "@".
    ("see https://wiki/x then postgres://app:Rk29xQ7wLm@db/app", True),
    ("see https://wiki/x then postgres://app@db/app", False),
    # A (NAME, value) pair, also when it opens its line.
    ('("API_KEY", "a1b2c3d4e5f6g7h8i9j0"),', True),
    ('    ("API_KEY", "a1b2c3d4e5f6g7h8i9j0"),', True),
    ('("HOST", "a1b2c3d4e5f6g7h8i9j0"),', False),
    # A hash under a name ending with its algorithm is no secret.
    ('secret_sha256 = "%s"' % ("9f86d081884c7d65" * 4), False),
    ("API_TOKEN_SHA256: %s" % ("9f86d081884c7d65" * 4), False),
    ('"password.sha256": "%s"' % ("9f86d081884c7d65" * 4), False),
    ('archive_token = "%s"' % ("9f86d081884c7d65" * 4), True),
    # Capitalised placeholders as URL passwords; a user's own name.
    ("db = 'postgresql://neo:Password@db.example/zion'", False),
    ("db = 'redis://neo:ChangeMe@cache.example/0'", False),
    ("db = 'amqp://neo:SECRET@mq.example/'", False),
    ("db = 'postgresql://postgres:postgres@localhost/test'", False),
    ("db = 'postgresql://neo:Rk29xQ7wLmZ@db.example/zion'", True),
    # Values judged as values: any printable character when quoted, a
    # string's prefix dropped; names as names: a call is no literal.
    ("'PASSWORD': 'XQHqpd!VVRJn#689',", True),
    ("    'PASSWORD': 'XQHqpd!VVRJn',", True),
    ("app.secret_key = b'5f352a8c1e2b4d6f9a0c3e7b8d1f2a4c'", True),
    ("SECRET_KEY = 'k$1n(z=+q7&w@x!b^0%d*e-r_t)y8u9i'", True),
    ("r = requests.get(url, auth=('deploy', 'Rk29xQ7wLm'))", True),
    ("auth = ('deploy', os.environ['DEPLOY_PASSWORD'])", False),
    ("private_key = Ed25519PrivateKey.generate()", False),
    ('tokenizer = GPT2TokenizerFast.from_pretrained("gpt2")', False),
    ("cipher_secret = base64.b64encode(nonce2 + ciphertext)", False),
    # "pass" and "pwd" as words, not names.
    ('data = os.path.join(pwd, "data/sales2023.csv")', False),
    ("# to pass tests/test_api2.py, set the flag", False),
    ("# Issuer: CN=Buypass Class 2 Root CA O=Buypass AS-983163327", False),
    ("#password_encryption = scram-sha-256", False),
    ("# ftp.login()  # user anonymous, passwd anonymous@", False),
    ("DB_PASS=Rk29xQ7wLm", True),
    ("dbPass: 'Rk29xQ7wLm'", True),
    # A URL's user information holds no "/" and no brackets.
    ('<script src="http://localhost:5173/@vite/client2">', False),
    ('<script src="https://cdn.example/npm/lodash@4.17.21/x.js">', False),
    ("form scheme://[user:passwd@]proxy.server:port.", False),
    ('SECRET = "Tr0ub4dor&3x"', True),
    ('"Authorization": f"token Xk3pQ9zLm2Wv8RtY4nBc"', True),
    ("<password>Tr0ub4dor3x</password>", True),
    ('proxy_url="socks5h://<username>:<password>@proxy-host"', False),
    # Passwords on command lines.
    ("curl -u deploy:Rk29xQ7wLm https://repo.example.com/", True),
    ("docker login -u deploy -p Rk29xQ7wLm registry.example.com", True),
    ("mkdir -p build/output2024", False),
    ("docker run -p 8080:80 nginx:1.25.3", False),
    # Letters only, under an unmistakable name given the value.
    ("MYSQL_ROOT_PASSWORD: XEHPLqijjFBm", True),
    ('MYSQL_ROOT_PASSWORD="XEHPLqijjFBm"', True),
    ("password: XEHPLqijjFBm", False),
    ("docker run -e POSTGRES_PASSWORD=postgres postgres:16", False),
    ('SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:'
     'db-AbCdEf"', False),
    ("at least MIN_PASSWORD characters", False),
    # Private keys of every common armour; not a parser's constant.
    ("-----BEGIN PGP PRIVATE KEY BLOCK-----", True),
    ('"key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQ",', True),
    ("PuTTY-User-Key-File-3: ssh-ed25519", True),
    ('if line.startswith("-----BEGIN RSA PRIVATE KEY-----"):', False),
    ("-----BEGIN PUBLIC KEY-----", False),
])
def test_secret_literal_detection(line: str, found: bool) -> None:
    assert oracle.holds_secret_literal(line) is found


# Tokens of real providers, built here so that no file holds one whole.
NAMELESS_TOKENS = [
    "xo" + "xb-" + "1234567890123-1234567890123-a1B2c3D4e5F6g7H8i9J0k1L2",
    "gh" + "p_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "AS" + "IA" + "Q3EGRLZ7K5NX2MWD",
    "AI" + "za" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
    "SG." + "a1B2c3D4e5F6g7H8i9J0k1" + "."
    + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1V",
    "hf" + "_" + "aBcDeFgHiJkLmNoPqRsTuVwXyZaBcDeFgH",
    "sk-" + "proj-" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1V2w3X4",
    "eyJhbGciOiJIUzI1NiJ9" + "." + "eyJzdWIiOiIxMjM0NTY3ODkwIn0" + "."
    + "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
]


@pytest.mark.parametrize("token", NAMELESS_TOKENS)
def test_tokens_are_found_by_their_prefix_alone(token: str) -> None:
    """No secret word on the line: the prefix, the length and the
    alphabet say what it is; cut short, or with a character out of the
    alphabet, it is not taken."""
    for line in ("client = Client('%s')" % token, "x: %s" % token):
        assert oracle.scan_text("f", line + "\n", []) == [
            "f:1: a secret-looking literal"]
    for wrong in (token[:12], token[:-1] + "~"):
        assert oracle.scan_text("f", "client = Client('%s')\n" % wrong,
                                []) == []


def test_every_token_rule_takes_its_shape_and_no_other() -> None:
    """Each row of the table: a random token of its prefix, alphabet,
    length and parts is found in a line with no name; one character
    shorter or longer than the row allows, or with a character out of
    its alphabet, it is not."""
    rng = random.Random(1999)
    for rule in oracle.TOKEN_RULES:
        prefix, alphabet, shortest, longest, parts, what = rule
        for length in (shortest, min(longest, 300)):
            token = prefix + token_body(rng, rule, length)
            assert oracle.token_kind(token) == what, (prefix, length)
            assert oracle.scan_text("f", "x = '%s'\n" % token, []), prefix
        assert oracle.token_kind(
            prefix + token_body(rng, rule, shortest - 1)) == "", prefix
        if longest < 300:
            assert oracle.token_kind(
                prefix + token_body(rng, rule, longest + 1)) == "", prefix
        body = token_body(rng, rule, shortest)
        assert oracle.token_kind(prefix + "~" + body[1:]) == "", prefix


def token_body(rng: random.Random, rule: tuple, length: int) -> str:
    """length characters of the rule's alphabet in its parts, letters and
    digits mixed where the alphabet holds both."""
    _, alphabet, _, _, parts, _ = rule
    chars = oracle.ALPHABETS[alphabet].replace(".", "")
    both = any(c.isalpha() for c in chars) and any(c.isdigit() for c in chars)
    while True:
        body = list(rng.choice(chars) for _ in range(length))
        for dot in range(1, parts):
            body[dot * length // parts] = "."
        text = "".join(body)
        if not both or any(c.isalpha() for c in text) \
                and any(c.isdigit() for c in text):
            return text


def test_the_scan_stays_linear_on_long_lines() -> None:
    """A minified file's single line of quotes, "@", "://", long words
    and calls is read in one pass, not once per quote or per word."""
    line = "'a' \"b\" x@y https://h/ `c` don't f(x) abcdefgh12 " * 10000
    start = time.perf_counter()
    oracle.scan_text("min.js", line + "\n" + "token = " + line, [])
    assert time.perf_counter() - start < 4.0      # about 0.3 s here


@pytest.mark.parametrize("space", ["\u00a0", "\x0c", "\x0b", "\x85",
                                   "\u2000", "\u3000", "\x1c"])
def test_unicode_white_space_is_white_space(space: str) -> None:
    """White space that str.split() knows and " " is not: a label with
    nothing after it, a value between such spaces."""
    assert not oracle.holds_secret_literal("Your token:" + space)
    assert not oracle.holds_secret_literal("password =" + space * 3)
    assert oracle.holds_secret_literal(
        "token:" + space + "a1b2c3d4e5f6g7h8" + space)
    assert oracle.tokens("a" + space + "=b") == ["a", "=", "b"]


def test_unicode_white_space_in_scanned_files(run_script,
                                              project: Path) -> None:
    write_env(project)
    (project / "ex02" / "NOTES.md").write_text("# Notes\n" + "".join(
        "Your token:%s\npassword=%s\n" % (c, c)
        for c in "\u00a0\x0c\x0b\x85\u2000\u3000"))
    example = project / "ex02" / ".env.example"
    example.write_text(example.read_text() + "SECRET_TOKEN=\u00a0\n")
    done = run_oracle(run_script, project)
    assert done.returncode == 0 and done.stderr == ""
    assert "[OK] No hardcoded secrets detected (5 files in ex02/)" \
        in done.lines


def test_secret_corpus_every_shape_found_no_look_alike(
        tmp_path: Path) -> None:
    """Each planted secret is found at its file and line, and nothing
    else; no line of the project's own scripts is taken for a secret."""
    planted, _ = secret_corpus.write_corpus(tmp_path)
    scan = oracle.scan_for_secrets(str(tmp_path), [], [])
    found = [finding.split(":", 2) for finding in scan.findings]
    assert sorted((name, int(line)) for name, line, _ in found) \
        == sorted(planted)
    assert {what for _, _, what in found} == {" a secret-looking literal"}
    assert scan.scanned == len(secret_corpus.SECRETS
                               + secret_corpus.LOOK_ALIKES)
    for script in SCRIPTS.values():
        assert oracle.scan_text(script.name, script.read_text(), []) == []


def test_secret_corpus_never_reaches_the_output(run_script,
                                                project: Path) -> None:
    write_env(project)
    planted, values = secret_corpus.write_corpus(project / "ex02")
    done = run_oracle(run_script, project, args=("--show",))
    checks = security(done.lines)
    assert checks[oracle.MAX_LISTED] == "[WARN] ... and %d more hardcoded " \
        "secrets" % (len(planted) - oracle.MAX_LISTED)
    assert leaks(done.output, values) == []


def test_secret_corpus_against_detect_secrets(tmp_path: Path) -> None:
    """On the corpus, the scan finds every secret detect-secrets finds,
    and raises no false alarm (detect-secrets raises some)."""
    pytest.importorskip("detect_secrets")
    planted, _ = secret_corpus.write_corpus(tmp_path)
    theirs = secret_corpus.detect_secrets_lines(tmp_path)
    ours = secret_corpus.oracle_lines(oracle, tmp_path)
    assert theirs & planted <= ours
    assert ours - planted == set() < theirs - planted


def test_loaded_secrets_of_every_kind_are_found(run_script,
                                                project: Path) -> None:
    """API_KEY and the credentials of DATABASE_URL and ZION_ENDPOINT (a
    user name may be a token), as loaded now, written in a committed file
    that gives no other clue."""
    write_env(project)
    key, database, user, zion = canary(), canary(12), canary(), canary(12)
    (project / "ex02" / "notes.txt").write_text(
        "kept: %s\nbackup: %s\nspare: %s\nold: %s\n"
        % (key, database, user, zion))
    done = run_oracle(run_script, project, env={
        "API_KEY": key,
        "DATABASE_URL": "postgresql://neo:%s@db.example/zion" % database,
        "ZION_ENDPOINT": "https://%s:%s@zion.example/" % (user, zion)})
    assert security(done.lines)[:5] == [
        "[WARN] hardcoded secret in ex02/notes.txt:%d: the value of %s now "
        "loaded" % (line, name) for line, name in (
            (1, "API_KEY"), (2, "DATABASE_URL password"),
            (3, "ZION_ENDPOINT user name"), (4, "ZION_ENDPOINT password"))
    ] + [OK_ENV_FILE]
    assert leaks(done.output, [key, database, user, zion]) == []


def test_a_weak_loaded_secret_is_not_searched_for(run_script,
                                                  project: Path) -> None:
    """"password" is in many lines of oracle.py: citing them would tell
    the password. A weak secret is not looked for (production refuses a
    short key anyway)."""
    write_env(project)
    done = run_oracle(run_script, project, env={
        "API_KEY": "password", "DATABASE_URL":
        "postgresql://neo:password@localhost/zion"})
    assert OK_SECRETS in done.lines


def test_file_names_in_findings_are_escaped(run_script,
                                            project: Path) -> None:
    write_env(project)
    for number, name in enumerate(("esc\x1b[31m.py", "new\nline.py",
                                   "bidi\u202eyp.py", "50%d%s%%off.py")):
        (project / "ex02" / name).write_text(
            "token = 'a1b2c3d4e5f6g7h8i9j0k%d'\n" % number)
    done = run_oracle(run_script, project)
    assert security(done.lines)[:4] == [
        "[WARN] hardcoded secret in ex02/%s:1: a secret-looking literal"
        % name for name in ("50%d%s%%off.py", "bidi\\u202eyp.py",
                            "esc\\x1b[31m.py", "new\\nline.py")]
    assert not any(c in done.output for c in "\x1b\u202e")


def test_what_the_scan_does_not_read_is_counted(run_script, project: Path,
                                                tmp_path: Path) -> None:
    """Binary and oversized files are skipped, and a link out of the
    folder is not followed; the [OK] line says how many were not read."""
    write_env(project)
    outside = tmp_path / "outside.py"
    outside.write_text("token = 'a1b2c3d4e5f6g7h8i9j0k'\n")
    folder = project / "ex02"
    (folder / "linked.py").symlink_to(outside)
    (folder / "image.png").write_bytes(
        b"\x89PNG\x00token = 'a1b2c3d4e5f6g7h8'")
    (folder / "huge.log").write_text("x" * oracle.MAX_SCANNED + "\n")
    (folder / "inside.py").symlink_to(folder / "requirements.txt")
    (folder / "sub").mkdir()
    done = run_oracle(run_script, project)
    assert "[OK] No hardcoded secrets detected (5 files in ex02/; 3 not " \
        "read: unreadable, binary, too large, a link out of it, or past " \
        "the scan's limits)" in done.lines
    # A .env that leads nowhere: a dangling link is still counted.
    (folder / ".env").unlink()
    (folder / ".env").symlink_to(tmp_path / "gone.env")
    (folder / "dangling.py").symlink_to(tmp_path / "gone.py")
    done = run_oracle(run_script, project)
    assert "[OK] No hardcoded secrets detected (5 files in ex02/; 4 not " \
        "read: unreadable, binary, too large, a link out of it, or past " \
        "the scan's limits)" in done.lines


@pytest.mark.parametrize("cap", ["MAX_SCANNED_FILES", "MAX_SCANNED_TOTAL"])
def test_the_scan_reads_at_most_so_many_files(tmp_path: Path, monkeypatch,
                                              cap: str) -> None:
    """Files are read until the cap is reached (in files, or in characters
    read: a file is read whole once begun)."""
    line = "token = 'a1b2c3d4e5f6g7h8i9j0k%d'\n"
    for number in range(5):
        (tmp_path / ("f%d.py" % number)).write_text(line % number)
    unit = 1 if cap == "MAX_SCANNED_FILES" else len(line % 0)
    for limit, scanned in ((4, 4), (5, 5), (6, 5)):
        monkeypatch.setattr(oracle, cap, limit * unit)
        scan = oracle.scan_for_secrets(str(tmp_path), [], [])
        assert (scan.scanned, scan.skipped, len(scan.findings)) \
            == (scanned, 5 - scanned, scanned)


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
    # Files whose names only start like .env are other files.
    for name in (".envrc", ".environment.py", "config.txt"):
        (project / "ex02" / name).write_text(
            "export API_KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dc\n")
        assert "[WARN] hardcoded secret in ex02/%s:1: a secret-looking " \
            "literal" % name in run_oracle(run_script, project).lines
        (project / "ex02" / name).unlink()


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


def test_overrides_check_wants_every_key_documented(run_script,
                                                    project: Path) -> None:
    write_env(project)
    example = project / "ex02" / ".env.example"
    example.write_text("".join(line + "\n" for line in example.read_text()
                               .splitlines()
                               if not line.startswith("ZION_ENDPOINT")))
    done = run_oracle(run_script, project)
    assert "[WARN] ex02/.env.example does not document ZION_ENDPOINT" \
        in done.lines
    assert not any(line.startswith(OK_OVERRIDES) for line in done.lines)


# --- git: ignored, not ignored, tracked; and nothing of git's runs ----------

@pytest.mark.parametrize("name", ["prod[1].env", "#x.env", "!x.env",
                                  "tr ", "a*b?.env", "back\\slash.env"])
def test_the_gitignore_line_advised_makes_git_ignore_it(
        run_script, project: Path, git_repo, name: str) -> None:
    """Names with characters a .gitignore reads as a glob, a comment, a
    negation or spaces to drop: the line advised, added, works."""
    repo = git_repo(project)
    shutil.copy(project / "ex02" / ".env.example", project / "ex02" / name)
    (repo / ".gitignore").write_text("")
    (repo / "ex02" / ".gitignore").write_text("")
    done = run_oracle(run_script, project,
                      args=("--env-file", "ex02/" + name))
    [advice] = [line for line in done.lines if "does not ignore" in line]
    line = advice.partition(": add ")[2].rpartition(" to .gitignore")[0]
    (repo / "ex02" / ".gitignore").write_text(line + "\n")
    assert git(repo, "check-ignore", "-q", "--", "ex02/" + name
               ).returncode == 0, line


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


def test_git_asks_run_none_of_the_repositorys_commands(
        run_script, project: Path, git_repo) -> None:
    repo = git_repo(project)
    write_env(project)
    ran = project / "ran"
    git(repo, "add", "-f", "ex02/.env")  # tracked, so ls-files is asked too
    git(repo, "config", "core.fsmonitor", "touch '%s'; false" % ran)
    git(repo, "config", "core.pager", "touch '%s'; cat" % ran)
    hook = repo / ".git" / "hooks" / "post-index-change"
    hook.write_text("#!/bin/sh\ntouch '%s'\n" % ran)
    hook.chmod(0o755)
    # The repository's fsmonitor really runs for a plain git command.
    subprocess.run(["git", "ls-files", "--error-unmatch", "ex02/.env"],
                   cwd=repo, env=clean_env(), capture_output=True)
    assert ran.exists()
    ran.unlink()
    done = run_oracle(run_script, project)
    assert "[WARN] .env file: it is committed to git: git rm --cached " \
        "ex02/.env, then commit" in done.lines
    assert not ran.exists()


def test_a_git_that_hangs_is_abandoned(run_script, project: Path,
                                       git_repo, tmp_path: Path) -> None:
    git_repo(project)
    write_env(project)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").write_text("#!/bin/sh\nsleep 60\n")
    (bin_dir / "git").chmod(0o755)
    start = time.monotonic()
    done = run_oracle(run_script, project, env={
        "PATH": "%s:%s" % (bin_dir, os.environ["PATH"])})
    assert time.monotonic() - start < oracle.GIT_TIMEOUT + 5
    # The .gitignore files answer instead.
    assert OK_ENV_FILE in done.lines


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
    # Read as git reads it: trailing spaces and a CR dropped, leading
    # white space (a no-break space too) part of the pattern.
    for text, ignored in ((".env \r\n", True), ("\u00a0.env\n", False),
                          ("\x0c.env\n", False), ("\ufeff.env\n", True)):
        (project / "ex02" / ".gitignore").write_bytes(text.encode())
        assert oracle.gitignore_says_ignored(str(env)) is ignored, text


GITIGNORE_LINES = [
    "*", ".*", "*env", ".e?v", "?env", ".e[n]v", "\\.env", ".env", ".env*",
    "*.env", ".e[!x]v", ".e[a-z]v", ".E*", "[.]env", ".en", "e*",
    "*****.env", "\\?env", "**/.env", "**/.e?v", "/.env", "/*", "*/.env",
    ".env/", "# .env", "!.env", ".env\n!.env", "*\n!.e*", "*.txt",
    ".env.*", "[!.]env", "[]]", "x/../.env"]


@pytest.mark.parametrize("pattern", [
    "config/", "config", "/config/", "deep/", "/deep/config/", "deep/*/",
    "conf*/", "**/config/", "deep/config", "config/.env", "/config",
    "deep/config/**\n!deep/config/.env", "deep/**\n!deep/config/.env"])
def test_a_folder_pattern_is_read_as_git_reads_it(git_repo, tmp_path: Path,
                                                  pattern: str) -> None:
    """A pattern with a "/" only at its end matches a folder at any
    depth; one with a "/" before its end is a path from its .gitignore."""
    repo = git_repo(tmp_path / "repo")
    env = repo / "deep" / "config" / ".env"
    env.parent.mkdir(parents=True)
    env.write_text("API_KEY=x\n")
    (repo / ".gitignore").write_text(pattern + "\n")
    asked = subprocess.run(["git", "check-ignore", "-q", "--",
                            "deep/config/.env"], cwd=repo,
                           env=clean_env({"GIT_CONFIG_GLOBAL": os.devnull,
                                          "GIT_CONFIG_NOSYSTEM": "1"}))
    assert asked.returncode in (0, 1)
    assert oracle.gitignore_says_ignored(str(env)) is (asked.returncode == 0)


@pytest.mark.parametrize("lines", GITIGNORE_LINES)
def test_the_gitignore_fallback_agrees_with_git(git_repo, tmp_path: Path,
                                                lines: str) -> None:
    """Without git on PATH, .gitignore is read as git reads it: the same
    verdict as git check-ignore, glob by glob."""
    repo = git_repo(tmp_path / "repo")
    env = repo / ".env"
    env.write_text("API_KEY=x\n")
    (repo / ".gitignore").write_text(lines + "\n")
    asked = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=repo,
                           env=clean_env({"GIT_CONFIG_GLOBAL": os.devnull,
                                          "GIT_CONFIG_NOSYSTEM": "1"}))
    assert oracle.gitignore_says_ignored(str(env)) is (asked.returncode == 0)


# A "\\" escapes the next character only: after an escaped backslash, "?"
# and "*" are wildcards again.
ESCAPED_GLOBS = [("x\\\\?", "x\\y"), ("x\\\\?", "x\\"), ("x\\?", "x?"),
                 ("x\\?", "xy"), ("x\\\\*", "x\\yz"), ("x\\\\\\?", "x\\?"),
                 ("x\\\\\\?", "x\\y"),
                 # A last "\\" escapes nothing and an open "[" closes
                 # nothing: git matches nothing with either.
                 ("x\\", "x\\"), ("x\\", "x"), ("[a", "[a"), ("x[", "x["),
                 # "]" first in a group is one of its characters.
                 ("[!]]", "a"), ("[!]]", "]"), ("[]]", "]"), ("[^]]x", "ax"),
                 # A range holds both its ends.
                 ("[a-v]x", "ax"), ("[a-v]x", "vx"), ("[a-v]x", "wx"),
                 ("[!a-v]x", "vx")]


@pytest.mark.parametrize("pattern, name", ESCAPED_GLOBS)
def test_escaped_globs_agree_with_git(git_repo, tmp_path: Path, pattern: str,
                                      name: str) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / name).write_text("API_KEY=x\n")
    (repo / ".gitignore").write_text(pattern + "\n")
    asked = subprocess.run(["git", "check-ignore", "-q", "--", name],
                           cwd=repo, env=clean_env({
                               "GIT_CONFIG_GLOBAL": os.devnull,
                               "GIT_CONFIG_NOSYSTEM": "1"}))
    assert asked.returncode in (0, 1)
    assert oracle.gitignore_says_ignored(str(repo / name)) is (
        asked.returncode == 0)


def test_keys_found_as_python_dotenv_finds_them() -> None:
    """export and the key may be apart by any white space but a line
    break, as python-dotenv reads them."""
    for space in (" ", "\t", "\u00a0", "\x0c"):
        assert oracle.key_at_start("export%sAPI_KEY=x" % space) == "API_KEY"
    assert oracle.key_at_start("exportAPI_KEY=x") is None


# --- python-dotenv absent: what to run instead ------------------------------

def advice(lines: list[str]) -> list[str]:
    start = next(i for i, line in enumerate(lines)
                 if line.startswith("NOTE: python-dotenv"))
    return lines[start:lines.index("", start)]


def test_without_python_dotenv_in_a_venv(run_script, project: Path,
                                         bare_venv: Path) -> None:
    write_env(project)
    done = run_oracle(run_script, project, python=venv_python(bare_venv),
                      env={"MATRIX_MODE": "production"})
    python = venv_python(bare_venv)
    assert advice(done.lines) == [
        "NOTE: python-dotenv is not installed: reading the real environment "
        "only.",
        "Install it into this environment, then run again: %s -m ensurepip "
        "&& %s -m pip install -r ex02/requirements.txt" % (python, python)]
    assert "Mode: production" in done.lines
    assert "[WARN] .env file: not read: python-dotenv is not installed" \
        in done.lines
    assert done.returncode == 1         # production, nothing else set
    assert "Traceback" not in done.output


def test_without_python_dotenv_in_venvs_with_pip_or_made_by_uv(
        run_script, project: Path, fresh_venv) -> None:
    with_pip = fresh_venv("with_pip")
    (site_packages(with_pip) / "pip").mkdir()
    done = run_oracle(run_script, project, python=venv_python(with_pip))
    assert advice(done.lines)[1] == "Install it into this environment, then" \
        " run again: %s -m pip install -r ex02/requirements.txt" \
        % venv_python(with_pip)
    by_uv = fresh_venv("by_uv")
    cfg = by_uv / "pyvenv.cfg"
    cfg.write_text(cfg.read_text() + "uv = 0.5.1\n")
    done = run_oracle(run_script, project, python=venv_python(by_uv))
    assert advice(done.lines)[1] == "Install it into this environment, then" \
        " run again: uv pip install --python %s -r ex02/requirements.txt" \
        % venv_python(by_uv)


def test_without_python_dotenv_globally(run_script, project: Path,
                                        tmp_path: Path) -> None:
    python = clean_global_python("dotenv")
    write_env(project)
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    here = run_oracle(run_script, project, python=python)
    there = run_oracle(run_script, project, python=python, cwd=elsewhere)
    real = subprocess.run([str(python), "-c", "import sys; print("
                           "sys.executable)"], capture_output=True,
                          text=True).stdout.strip()
    assert advice(here.lines)[1:] == [
        "Install it in a virtual environment, not into this global Python:",
        "  with venv:   %s -m venv matrix_env && matrix_env/bin/python -m pip"
        " install -r ex02/requirements.txt && matrix_env/bin/python "
        "ex02/oracle.py" % real,
        "  with Poetry: poetry install && poetry run python ex02/oracle.py"]
    assert advice(there.lines)[3] == "  with Poetry: poetry -P {0} install " \
        "&& poetry -P {0} run python {0}/ex02/oracle.py".format(project)
    # A module without pyproject.toml has no Poetry route to offer.
    (project / "pyproject.toml").unlink()
    alone = run_oracle(run_script, project, python=python)
    assert advice(alone.lines)[1:] == advice(here.lines)[1:3]


def test_pasted_venv_route_works_from_another_directory(
        run_script, project: Path, tmp_path: Path) -> None:
    """The printed command, pasted into bash where the user stands, then
    the script runs with python-dotenv."""
    python = clean_global_python("dotenv")
    write_env(project)
    elsewhere = tmp_path / "my place"
    elsewhere.mkdir()
    done = run_oracle(run_script, project, python=python, cwd=elsewhere)
    command = advice(done.lines)[2].split(": ", 1)[1]
    env = clean_env({"PATH": "%s:%s" % (python.parent, os.environ["PATH"])})
    pasted = subprocess.run(["bash", "-c", command], cwd=elsewhere, env=env,
                            capture_output=True, text=True, timeout=300)
    assert pasted.returncode == 0, pasted.stderr
    report = pasted.stdout[pasted.stdout.index("ORACLE STATUS"):]
    assert report.splitlines()[:len(SUBJECT)] == SUBJECT


def test_pasted_poetry_route_works_from_another_directory(
        tmp_path: Path) -> None:
    poetry = shutil.which("poetry")
    python = clean_global_python("dotenv")
    if poetry is None:
        pytest.skip("poetry is not on PATH")
    done = subprocess.run([str(python), str(ROOT / "ex02" / "oracle.py")],
                          cwd=tmp_path, env=clean_env(), capture_output=True,
                          text=True, timeout=60)
    command = advice(done.stdout.splitlines())[3].split(": ", 1)[1]
    assert command.startswith("poetry -P ")
    pasted = subprocess.run(["bash", "-c", command], cwd=tmp_path,
                            env=clean_env(), capture_output=True, text=True,
                            timeout=600)
    assert pasted.returncode in (0, 1), pasted.stderr
    assert "\nORACLE STATUS: Reading the Matrix...\n" in pasted.stdout
    assert "NOTE: python-dotenv" not in pasted.stdout


# --- No secret ever reaches the output ------------------------------------

def mixed_canary(extra: str) -> str:
    """A canary whose every 8-character slice holds random characters,
    with the given punctuation spread through it."""
    parts = [canary(6) for _ in range(len(extra) + 1)]
    return "".join(p + c for p, c in zip(parts, extra)) + parts[-1]


CREDENTIAL_FILES = {
    "git-credentials": "https://neo:{0}@github.com\n"
                       "https://{1}:x-oauth-basic@github.com\n",
    "id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\n{0}\n{1}\n"
              "-----END OPENSSH PRIVATE KEY-----\n",
    "netrc": "machine zion.example login {1} password {0}\n",
    "credentials": "[default]\naws_access_key_id = {1}\n"
                   "aws_secret_access_key = {0}\n",
}


def test_canary_secrets_never_reach_the_output(run_script, project: Path,
                                               bare_venv: Path,
                                               tmp_path: Path) -> None:
    """Canaries in every position a file, the environment or a URL can put
    them, in every mode, with and without --show, and on error paths.
    (MATRIX_MODE and LOG_LEVEL are not secrets: their values are shown.)"""
    c = {name: mixed_canary(extra) for name, extra in (
        ("key", " '\"=#"), ("db_user", "._-"), ("db_pass", "@/:?#é"),
        ("query", "=&"), ("fragment", "#?"), ("zion_pass", ":@"),
        ("token_user", "_"), ("unknown", "= #"), ("bare", "-"),
        ("name", "_"), ("dup", "'"), ("export", "="), ("no_host", "x"),
        ("env_key", "é "), ("env_url", "@"), ("arg", "="),
        ("lost", "=#"), ("short", ""))}
    c["short"] = c["short"][:10]
    planted = list(c.values())
    files = {
        "good": "MATRIX_MODE=development\nAPI_KEY='{key}'\n"
                "DATABASE_URL=postgresql://{db_user}:{db_pass}@db.example/z"
                "?password={query}#{fragment}\n"
                "ZION_ENDPOINT=https://agent:{zion_pass}@zion.example/api\n"
                "LOG_LEVEL=INFO\nUNKNOWN_SECRET={unknown}\n",
        "hostile": "API_KEY=\n{bare}\n{name}=1\nAPI_KEY={dup}\n"
                   "API_KEY={dup}\nexport API_KEY={export}\n"
                   "DATABASE_URL=postgres://neo:{no_host}/db\n"
                   "ZION_ENDPOINT=https://{token_user}@zion.example/x\n"
                   "'{name}\nX'=\nAPI_KEY=\"{lost}\nLOG_LEVEL=DEBUG\n"
                   "API_KEY={short}\n",
    }
    creds = {}
    for name, template in CREDENTIAL_FILES.items():
        creds[name] = tmp_path / name
        creds[name].write_text(template.format(c["key"], c["token_user"]))
    scenarios = []
    for mode in ("development", "production", "staging"):
        for file_name in ("good", "hostile", None):
            for args in ((), ("--show",)):
                scenarios.append((mode, file_name, args, None))
    for path in creds.values():
        scenarios.append(("development", None, ("--env-file", str(path),
                                                "--show"), None))
    scenarios.append(("production", "good", ("--show",), bare_venv))
    scenarios.append(("production", "good",
                      ("--api-key=" + c["arg"],), None))
    scenarios.append(("production", "good", (c["arg"],), None))
    runs = 0
    for mode, file_name, args, venv in scenarios:
        (project / "ex02" / ".env").unlink(missing_ok=True)
        if file_name is not None:
            write_env(project, files[file_name].format(**c), mode=0o644)
        for env in ({"MATRIX_MODE": mode},
                    {"MATRIX_MODE": mode, "API_KEY": c["env_key"],
                     "DATABASE_URL": "mysql://root:%s@127.0.0.1/x"
                     % c["env_url"]}):
            done = run_oracle(run_script, project, env=env, args=args,
                              python=venv_python(venv) if venv else None)
            runs += 1
            assert "Traceback" not in done.output
            assert leaks(done.output, planted) == [], (mode, file_name, args)
    assert runs == 2 * len(scenarios) == 50


def test_no_control_character_reaches_the_output(run_script, project: Path,
                                                 tmp_path: Path) -> None:
    esc = "\x1b[2J\x1b[31m"
    text = ("MATRIX_MODE=development\nLOG_LEVEL='%s'\n'%s\n[OK] forged'=\n"
            "DATABASE_URL=postgresql://db.example/%s\nAPI_KEY=%s\n"
            "ZION_ENDPOINT=https://zion.example/\u202eevil\n" % (
                esc, esc, "x%1b", "k" * 12 + "\x1b[0m"))
    write_env(project, text)
    odd = project / ("odd\x1b]0;title\x07dir")
    odd.mkdir()
    shutil.copy(project / "ex02" / ".env", odd / "cfg\x1b[1m.env")
    for args in (("--show",), ("--env-file", str(odd / "cfg\x1b[1m.env"),
                               "--show"), ("--\x1b[31mbad",)):
        for env in ({}, {"LOG_LEVEL": esc, "MATRIX_MODE": esc + "prod"}):
            done = run_oracle(run_script, project, env=env, args=args)
            assert "\x1b" not in done.output and "\x07" not in done.output
            assert "\u202e" not in done.output
            assert not any(line.startswith("[OK] forged")
                           for line in done.lines)
    shown = run_oracle(run_script, project, args=("--show",))
    assert "LOG_LEVEL      (not valid: hidden)" in shown.stdout


def test_api_key_shows_at_most_its_last_four_when_long() -> None:
    assert oracle.shown_value("API_KEY", "abcdefghijklmnop") == "****mnop"
    assert oracle.shown_value("API_KEY", "abcdefghijklmno") == \
        "**** (hidden)"
    # A key judged invalid shows nothing: its tail may be another value.
    for invalid in ("abcdefghijklm\x1bop", "abcdefghijklm op",
                    "abcdefghijklmn\u00a0p"):
        assert oracle.shown_value("API_KEY", invalid) == \
            "(not valid: hidden)"
    assert oracle.shown_value("ZION_ENDPOINT", "https://a:b@h/x") == \
        "https://***:***@h/x"
    assert oracle.shown_value("LOG_LEVEL", "x" * 50) == "(not valid: hidden)"
    assert oracle.shown_value("LOG_LEVEL", "warning") == "warning"


def test_show_masks_short_urls_too(run_script, project: Path) -> None:
    write_env(project, "ZION_ENDPOINT=https://a:Zq8pW3nY@h/x\n"
              "DATABASE_URL=mysql://Tk9vB2xQ@h/d\n")
    done = run_oracle(run_script, project, args=("--show",))
    assert "https://***:***@h/x" in done.stdout
    assert "mysql://***@h/d" in done.stdout
    assert "Zq8pW3nY" not in done.output and "Tk9vB2xQ" not in done.output


def test_show_echoes_only_valid_modes_and_levels(run_script,
                                                 project: Path) -> None:
    """A stray quote makes the next lines part of a value: an invalid
    MATRIX_MODE or LOG_LEVEL may hold a secret, so it is never echoed."""
    secret, other = canary(), canary()
    write_env(project, 'MATRIX_MODE="development\nAPI_KEY=%s\n"\n'
              'LOG_LEVEL="DEBUG\nDATABASE_URL=postgresql://u:%s@db/x\n"\n'
              % (secret, other))
    done = run_oracle(run_script, project, args=("--show",))
    assert leaks(done.output, [secret, other]) == []
    table = section(done.lines, "Configuration values (secrets masked):")
    assert table[1].split()[:2] == ["MATRIX_MODE", "(not"]
    good = run_oracle(run_script, project, args=("--show",),
                      env={"MATRIX_MODE": "Production", "LOG_LEVEL": "info"})
    assert "MATRIX_MODE    Production" in good.stdout
    assert "LOG_LEVEL      info" in good.stdout


def test_a_fifo_named_env_is_refused_not_passed_over(run_script,
                                                     project: Path) -> None:
    write_env(project)
    here = project / "somewhere"
    here.mkdir()
    os.mkfifo(here / ".env")
    done = run_oracle(run_script, project, cwd=here, timeout=20)
    assert "[WARN] .env file: .env is not a regular file" in done.lines
    assert "Configuration file: .env" in done.lines
    # A directory named .env is a virtual environment, often: passed over.
    (here / ".env").unlink()
    (here / ".env").mkdir()
    done = run_oracle(run_script, project, cwd=here)
    assert "Configuration file: %s" % (project / "ex02" / ".env") \
        in done.lines


@pytest.mark.parametrize("target, message", [
    ("/proc/self/mem", "cannot read /proc/self/mem: Input/output error"),
    ("/proc/kallsyms", "/proc/kallsyms is larger than 1024 KiB: not a "
     "configuration file"),
])
def test_files_that_lie_about_their_size_are_bounded(
        run_script, project: Path, target: str, message: str) -> None:
    if not Path(target).exists():
        pytest.skip("no %s here" % target)
    done = run_oracle(run_script, project, args=("--env-file", target))
    assert done.returncode == 1 and "Traceback" not in done.output
    assert "ERROR: " + message in done.lines


def test_run_through_a_symbolic_link(run_script, project: Path,
                                     tmp_path: Path) -> None:
    write_env(project)
    link = tmp_path / "linked" / "oracle.py"
    link.parent.mkdir()
    link.symlink_to(project / "ex02" / "oracle.py")
    done = run_script(link, cwd=tmp_path)
    assert done.lines[:len(SUBJECT)] == SUBJECT


def test_escaped_keeps_printable_text() -> None:
    assert oracle.escaped("C:\\matrix_env é") == "C:\\matrix_env é"
    assert oracle.escaped("a\nb\x1b\udcff") == "a\\nb\\x1b\\udcff"


# --- A working directory that no longer exists -------------------------------

@pytest.mark.parametrize("mode", ["development", "production"])
@pytest.mark.parametrize("args", [(), ("--env-file", "x.env"),
                                  ("--env-file", "ABSOLUTE")])
def test_a_deleted_working_directory_is_no_traceback(
        project: Path, tmp_path: Path, mode: str,
        args: tuple[str, ...]) -> None:
    """os.getcwd() fails there: paths are shown as they were given."""
    write_env(project)
    args = tuple(str(project / "ex02" / ".env") if arg == "ABSOLUTE"
                 else arg for arg in args)
    gone = tmp_path / "gone"
    gone.mkdir()
    done = subprocess.run(
        ["bash", "-c", 'cd "$0" && rmdir "$0" && exec "$@"', str(gone),
         sys.executable, str(project / "ex02" / "oracle.py"), *args],
        capture_output=True, text=True, env=clean_env({"MATRIX_MODE": mode}),
        timeout=120)
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stdout.startswith("ORACLE STATUS: Reading the Matrix...\n")
    assert done.returncode in (0, 1)
    if args and args[1] == "x.env":
        assert "[WARN] .env file: cannot read x.env: No such file or " \
            "directory" in done.stdout.splitlines()
        assert done.returncode == 1
    else:
        assert "Mode: " + mode in done.stdout.splitlines()


@pytest.mark.parametrize("port", ["²", "٣", "１２", "3²"])
@pytest.mark.parametrize("key", ["DATABASE_URL", "ZION_ENDPOINT"])
def test_non_ascii_digits_are_not_a_port(run_script, project: Path,
                                         port: str, key: str) -> None:
    """isdigit() takes superscripts and other scripts' digits; int() does
    not: only ASCII digits make a port."""
    url = ("postgresql://db:%s/x" if key == "DATABASE_URL"
           else "https://zion.example:%s/api") % port
    done = run_oracle(run_script, project, env={key: url})
    assert "Traceback" not in done.stderr
    assert "its port is not a number from 1 to 65535" in done.stdout
    assert port not in done.stdout


# --- What counts as a local database, in each mode -----------------------

LOCAL_DATABASES = [
    "postgresql://neo:Kx82jdHq0pZm@localhost:5432/zion",
    "postgresql://neo:Kx82jdHq0pZm@LocalHost/zion",
    "postgresql://neo:Kx82jdHq0pZm@127.0.0.1:5432/zion",
    "postgresql://neo:Kx82jdHq0pZm@127.5.6.7/zion",
    "postgresql://neo:Kx82jdHq0pZm@[::1]:5432/zion",
    "postgresql://neo:Kx82jdHq0pZm@[::1]/zion",
    "postgresql://neo:Kx82jdHq0pZm@[0:0:0:0:0:0:0:1]/zion",
    "postgresql://neo:Kx82jdHq0pZm@[0::1]:5432/zion",
    "postgresql:///zion?host=/var/run/postgresql",
    "postgresql://%2Fvar%2Frun%2Fpostgresql/zion",
    "sqlite:///var/zion.db",
]
REMOTE_DATABASES = [
    "postgresql://neo:Kx82jdHq0pZm@db.zion.example:5432/zion",
    "postgresql://neo:Kx82jdHq0pZm@128.0.0.1/zion",
    "postgresql://neo:Kx82jdHq0pZm@[::2]/zion",
    "postgresql://neo:Kx82jdHq0pZm@localhost.example/zion",
    "postgresql://neo:Kx82jdHq0pZm@10.127.0.1/zion",
    "postgresql://neo:Kx82jdHq0pZm@127.db.example.com:5432/zion",
    "postgresql://neo:Kx82jdHq0pZm@[::1:0]/zion",
    "postgresql://neo:Kx82jdHq0pZm@[1::1]/zion",
    "postgresql://neo:Kx82jdHq0pZm@[0:0:1]/zion",       # 3 groups, no "::"
    "postgresql://neo:Kx82jdHq0pZm@127.1:5432/zion",     # not four numbers
]


@pytest.mark.parametrize("mode", ["development", "production"])
@pytest.mark.parametrize("url", LOCAL_DATABASES + REMOTE_DATABASES)
def test_each_form_of_a_local_database_in_each_mode(
        project: Path, url: str, mode: str) -> None:
    local = url in LOCAL_DATABASES
    lines, usable = judged(project, dict(PRODUCTION_ENV, MATRIX_MODE=mode,
                                         DATABASE_URL=url))
    assert ("Database: Connected to local instance" in lines) == local
    assert any(line.startswith("Database: Connected to remote instance")
               for line in lines) != local
    warning = "WARNING: DATABASE_URL is a local database in production mode"
    assert (warning in lines) == (local and mode == "production")
    assert usable
    assert "Kx82jdHq0pZm" not in "\n".join(lines)


# --- Every printed command pastes, from a folder whose name needs quoting ----

AWKWARD = "neo's matrix $dir"


def awkward_project(tmp_path: Path) -> Path:
    """The project's ex02/ in a folder with a space, a quote and a '$'."""
    root = tmp_path / AWKWARD
    (root / "ex02").mkdir(parents=True)
    for name in EX02_FILES:
        shutil.copy(ROOT / "ex02" / name, root / "ex02" / name)
    return root


def fix_of(lines: list[str], start: str) -> str:
    """The command of the [WARN] line that starts with ``start``."""
    line = next(line for line in lines if line.startswith(start))
    return line[len(start):].split(", then commit")[0]


def paste(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=clean_env(),
                          capture_output=True, text=True, timeout=60)


def test_the_fixes_paste_from_an_awkward_folder(run_script, tmp_path: Path,
                                                git_repo) -> None:
    root = awkward_project(tmp_path)
    ex02 = root / "ex02"
    done = run_oracle(run_script, root, cwd=tmp_path)
    copy = fix_of(done.lines, "[WARN] .env file: no .env file found: ")
    assert paste(copy, tmp_path).returncode == 0
    assert (ex02 / ".env").read_bytes() == (ex02 / ".env.example"
                                            ).read_bytes()
    (ex02 / ".env").chmod(0o644)
    done = run_oracle(run_script, root, cwd=tmp_path,
                      env={"MATRIX_MODE": "production"})
    chmod = fix_of(done.lines, "[WARN] .env file: other users can read "
                               "it: ")
    assert paste(chmod, tmp_path).returncode == 0
    assert (ex02 / ".env").stat().st_mode & 0o777 == 0o600
    git_repo(root)
    git(root, "add", "-f", "ex02/.env")
    git(root, "commit", "-qm", "oops")
    done = run_oracle(run_script, root, cwd=tmp_path)
    untrack = fix_of(done.lines, "[WARN] .env file: it is committed to "
                                 "git: ")
    pasted = subprocess.run(["bash", "-c", untrack], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60,
                            env=clean_env({"GIT_CONFIG_GLOBAL": os.devnull,
                                           "GIT_CONFIG_NOSYSTEM": "1"}))
    assert pasted.returncode == 0, pasted.stderr
    assert "ex02/.env" not in git(root, "ls-files").stdout


def test_the_install_advice_names_real_files_from_an_awkward_dir(
        run_script, tmp_path: Path, bare_venv: Path) -> None:
    import shlex
    root = awkward_project(tmp_path)
    done = run_oracle(run_script, root, cwd=tmp_path,
                      python=venv_python(bare_venv))
    command = advice(done.lines)[1].split(": ", 1)[1]
    words = shlex.split(command)
    assert words[words.index("-r") + 1] == AWKWARD + "/ex02/requirements.txt"
    assert (tmp_path / words[words.index("-r") + 1]).exists()


# --- Properties: any .env text, any value -----------------------------------
# Generated from a grammar that holds what careless generators leave out:
# Unicode white space and line breaks, open quotes, ${...}, digits of other
# scripts, control and bidi characters, very long lines. On every example:
# no exception, nothing printed raw that a terminal would obey, and no slice
# of a planted secret anywhere in the report.


AWKWARD_CHARACTERS = st.sampled_from(
    list(" \t\r\x0b\x0c\x1c\x1d\x1e\x85\xa0\u1680\u2000\u200b\u2028\u2029"
         "\u3000\ufeff\x00\x1b\x7f\u202e\u2066\"'`$#=:;@/?&%\\{}[]()<>"
         "\u00b2\u0663\uff11\u00bd"))
AWKWARD_TEXT = st.text(st.one_of(AWKWARD_CHARACTERS, st.characters(),
                                 st.sampled_from("aZ09_-.")), max_size=40)
VALUE = st.one_of(
    AWKWARD_TEXT,
    st.builds(lambda t: "${" + t, AWKWARD_TEXT),
    st.builds(lambda q, t: q + t, st.sampled_from("\"'"), AWKWARD_TEXT),
    st.builds(lambda t: "x" * 5000 + t, AWKWARD_TEXT),
    st.sampled_from(["postgresql://db:\u00b2/x", "https://h:\u0663/x",
                     "http://localhost:8080", "production", "DEBUG"]))
LINE = st.one_of(
    st.builds(lambda k, sep, v: k + sep + v,
              st.sampled_from(list(oracle.KEYS)
                              + ["OTHER", "api_key", "export API_KEY"]),
              st.sampled_from(["=", " = ", "=\u00a0", ":"]), VALUE),
    AWKWARD_TEXT, st.builds(lambda t: "# " + t, AWKWARD_TEXT))
ENV_TEXT = st.lists(LINE, max_size=12).map("\n".join)


def assert_safe(lines: list[str], planted: list[str]) -> None:
    for line in lines:
        assert line.isprintable(), repr(line)
    assert leaks("\n".join(lines), planted) == []


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(body=ENV_TEXT, mode=st.sampled_from(["development", "production"]),
       show=st.booleans())
def test_any_env_file_is_reported_safely(project: Path, body: str, mode: str,
                                         show: bool) -> None:
    key, password = canary(), canary()
    body += "\nAPI_KEY=%s\nDATABASE_URL=postgresql://neo:%s@db.example/z\n" \
        % (key, password)
    (project / "ex02" / ".env").write_bytes(body.encode("utf-8",
                                                        "surrogatepass"))
    # The same text in a file the secret scan reads.
    (project / "ex02" / "NOTES.md").write_bytes(
        body.replace(key, "").replace(password, "").encode(
            "utf-8", "surrogatepass"))
    here = str(project / "ex02")
    facts = oracle.gather(oracle.parse_args([])[0], {"MATRIX_MODE": mode},
                          here)
    blocks, _ = oracle.build_report(facts, show)
    assert_safe([line for block in blocks for line in block], [key, password])


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(value=VALUE, key=st.sampled_from(oracle.KEYS),
       mode=st.sampled_from(["development", "production"]),
       show=st.booleans())
def test_any_value_from_the_environment_is_reported_safely(
        project: Path, value: str, key: str, mode: str, show: bool) -> None:
    """Real environment variables win over the file: any of them, with a
    secret planted in API_KEY and in a URL's password and query."""
    secret, password, token = canary(), canary(), canary()
    environ = {"MATRIX_MODE": mode, "API_KEY": secret,
               "ZION_ENDPOINT": "https://u:%s@zion.example/?t=%s"
               % (password, token)}
    environ[key] = value + (secret if key == "API_KEY" else "")
    value_without_nul = {k: v.replace("\x00", "") for k, v in environ.items()}
    facts = oracle.gather(oracle.parse_args([])[0], value_without_nul,
                          str(project / "ex02"))
    blocks, _ = oracle.build_report(facts, show)
    assert_safe([line for block in blocks for line in block],
                [secret, password, token])


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(body=ENV_TEXT, mode=st.sampled_from(["development", "production"]))
def test_any_env_file_end_to_end(run_script, project: Path, body: str,
                                 mode: str) -> None:
    """A few of the same, as a user runs them: exit 0 or 1, one report."""
    key = canary()
    (project / "ex02" / ".env").write_bytes(
        (body + "\nAPI_KEY=%s\n" % key).encode("utf-8", "surrogatepass"))
    done = run_oracle(run_script, project, env={"MATRIX_MODE": mode},
                      args=("--show",))
    assert done.returncode in (0, 1), done.stderr
    assert done.stdout.startswith(SUBJECT[0] + "\n")
    assert done.stderr == ""
    assert_safe(done.lines, [key])


HOSTILE_NAME = "bad\x1b[2J\u202e\nname"


def test_a_hostile_env_file_name_is_escaped_everywhere(run_script,
                                                       project: Path) -> None:
    """The file's name is echoed in the check, the problems and the
    configuration line: each escaped."""
    env = project / (HOSTILE_NAME + ".env")
    env.write_text("API_KEY=abc\nL\x1b[31mOG=1\nLOG_LEVEL=LOUD\n")
    env.chmod(0o644)
    for mode in ("development", "production"):
        done = run_oracle(run_script, project, args=("--env-file", str(env),
                                                     "--show"),
                          env={"MATRIX_MODE": mode})
        assert all(line.isprintable() for line in done.lines), done.stdout
        assert "\\x1b[2J\\u202e\\nname.env" in done.stdout
        assert "\x1b" not in done.stdout + done.stderr


@pytest.mark.parametrize("url", ["https://a..b/", "https://999.999.999.999/",
                                 "https://.com/", "https://[zz]/"])
def test_a_host_no_resolver_takes_is_refused_in_production(
        project: Path, url: str) -> None:
    lines, usable = judged(project, dict(PRODUCTION_ENV,
                                         ZION_ENDPOINT=url))
    assert "Zion Network: Invalid URL" in lines
    assert not usable
    lines, usable = judged(project, dict(PRODUCTION_ENV,
                                         MATRIX_MODE="development",
                                         ZION_ENDPOINT=url))
    assert usable and any(line.startswith("WARNING: ZION_ENDPOINT must be")
                          for line in lines)


# --- Differential: the .gitignore read without git, against git ------------
#
# A repository with .env two folders down (ex02/sub/.env), .gitignore
# files at the top, in ex02/ and in ex02/sub/, each of generated lines:
# names and globs of the file and of its folders, path patterns with
# "/", "**", a trailing "/" (folders only), "!" and comments. git
# check-ignore gives the answer; the fallback must give the same.

GITIGNORE_PIECES = [
    ".env", "*.env", ".e?v", ".env*", "*", "ex02", "ex0?", "sub", "s*b",
    "ex02/", "sub/", "ex02/sub", "ex02/sub/", "/ex02", "/sub", "ex02/*",
    "ex02/**", "**/sub", "**/.env", "ex02/**/.env", "sub/.env", "/.env",
    "ex02/sub/.env", "*/sub/.env", "*/.env", "ex*/s*/.e*", "**", "**/",
    "ex02/**/sub/**", "[e]x02", "[!x]ub", "\\.env", ".env ", ".env\\ ",
    "# .env", "x/../.env", "sub/**", "/ex02/sub/", "other", "ex02/other/",
    ".[[:alpha:]]nv", "[[:punct:]]env", "[[:alnum:]]x02", "s[[:lower:]]b",
    "[![:digit:]]ub", ".e[[:upper:]]v", "[[:bogus:]]env", ".e[\\n]v",
    "[\\]]x", "[a\\-z]ub", "[[:space:][:punct:]]env", "[]-a].env"]


@st.composite
def gitignore_files(draw: st.DrawFn) -> dict[str, str]:
    line = st.tuples(st.sampled_from(["", "", "!"]),
                     st.sampled_from(GITIGNORE_PIECES)).map("".join)
    files = st.lists(line, max_size=4).map("\n".join)
    chosen = {folder: draw(files) for folder in ("", "ex02", "ex02/sub")}
    chosen["info/exclude"] = draw(files)    # .git/info/exclude
    chosen["linked"] = draw(st.sampled_from(["", "", "linked"]))
    return chosen


@budget(25, 400)
@given(files=gitignore_files())
def test_the_gitignore_fallback_agrees_with_git_on_generated_files(
        files: dict[str, str]) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    import tempfile
    env = clean_env({"GIT_CONFIG_GLOBAL": os.devnull,
                     "GIT_CONFIG_NOSYSTEM": "1"})
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder)
        subprocess.run(["git", "init", "-q"], cwd=repo, env=env, check=True)
        (repo / "ex02" / "sub").mkdir(parents=True)
        dotenv = repo / "ex02" / "sub" / ".env"
        dotenv.write_text("API_KEY=x\n")
        for where in ("", "ex02", "ex02/sub"):
            (repo / where / ".gitignore").write_text(files[where] + "\n")
        (repo / ".git" / "info").mkdir(exist_ok=True)
        (repo / ".git" / "info" / "exclude").write_text(
            files["info/exclude"] + "\n")
        if files["linked"]:
            # git reads no .gitignore that is a symbolic link.
            (repo / "elsewhere").write_text(files[""] + "\n")
            (repo / ".gitignore").unlink()
            (repo / ".gitignore").symlink_to(repo / "elsewhere")
        asked = subprocess.run(["git", "check-ignore", "-q", "--",
                                "ex02/sub/.env"], cwd=repo, env=env)
        assert asked.returncode in (0, 1)
        assert oracle.gitignore_says_ignored(str(dotenv)) is (
            asked.returncode == 0), files


def test_a_value_on_the_last_line_after_its_name() -> None:
    """The name on the line before, the value on the file's last line
    with no newline after it."""
    found = oracle.scan_text("deploy.yaml", "env:\n  - name: DB_PASSWORD\n"
                             "    value: s3cr3tP4ss!", [])
    assert found == ["deploy.yaml:3: a secret-looking literal"]
