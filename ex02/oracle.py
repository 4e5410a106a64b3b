#!/usr/bin/env python3
"""Read the Matrix's configuration from .env and the environment, safely.

Precedence: real environment variables > the .env file > safe defaults.
python-dotenv parses the file; this script checks what it parsed, applies
the policy of the mode (development forgives, production demands) and
never prints a secret: API keys and URL passwords are masked everywhere.
"""
import os
import sys

# Checked before any function is defined, so that an old interpreter stops
# here with one clear line instead of a traceback further down.
if sys.version_info < (3, 10):
    sys.exit("oracle.py needs Python 3.10 or later; this is Python %d.%d."
             % sys.version_info[:2])

KEYS = ("MATRIX_MODE", "DATABASE_URL", "API_KEY", "LOG_LEVEL",
        "ZION_ENDPOINT")
# Defaults only where one is safe; secrets and endpoints have none.
DEFAULTS = {"MATRIX_MODE": "development", "LOG_LEVEL": "INFO"}
SECRET_KEYS = ("API_KEY",)
URL_KEYS = ("DATABASE_URL", "ZION_ENDPOINT")    # their passwords are secret
MODES = ("development", "production")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOCAL_HOSTS = ("localhost", "::1", "[::1]", "")

ENV_FILE_NAME = ".env"
EXAMPLE_NAME = ".env.example"
MAX_ENV_FILE = 1024 * 1024          # bytes: a .env is a few lines
MAX_SCANNED = 2 * 1024 * 1024       # bytes per file scanned for secrets
SHOWN_KEY_TAIL = 4                  # characters of an API key --show reveals
MIN_KEY_FOR_TAIL = 16               # ... and only when it is this long

# A literal is secret-looking when a secret word stands before "=" or ":"
# and the value looks random (see looks_random); these words mark values
# that are obviously placeholders.
SECRET_WORDS = ("api_key", "apikey", "secret", "token", "password",
                "passwd")
TOKEN_PUNCTUATION = "-_+/=~."      # base64, hex, URL-safe and JWT tokens
PLACEHOLDER_WORDS = ("example", "password", "secret", "changeme", "change-me",
                     "placeholder", "your", "dummy", "sample", "xxx", "***",
                     "<", "${")

USAGE = "usage: oracle.py [--env-file PATH] [--show] [-h]"
HELP = USAGE + """

Loads MATRIX_MODE, DATABASE_URL, API_KEY, LOG_LEVEL and ZION_ENDPOINT from
the environment and a .env file (the environment wins), validates them for
the mode (development or production) and checks the configuration's
security. Secrets are never printed.

options:
  --env-file PATH  read this file instead of .env (default: .env in the
                   working directory, else .env beside oracle.py)
  --show           list every variable, masked, with where it came from
  -h, --help       show this help and exit

exit status: 0 usable (warnings allowed), 1 not usable, 2 bad usage,
130 interrupted."""


# Shapes of the plain data passed around (checked by mypy, not at run time).
Binding = tuple[int, str, str | None]           # (line, key, value)
Config = dict[str, dict[str, str | None]]       # key -> value/source/origin
Judgement = tuple[str, str, str]                # (status, level, problem)


# --- Command line ---------------------------------------------------------

def parse_args(argv: list[str]) -> tuple[dict[str, object], str | None]:
    """Options from argv, and an error message or None."""
    options: dict[str, object] = {"env_file": None, "show": False,
                                  "help": False}
    args = list(argv)
    while args:
        arg = args.pop(0)
        name, sep, value = arg.partition("=")
        if arg in ("-h", "--help"):
            options["help"] = True
        elif arg == "--show":
            options["show"] = True
        elif name == "--env-file":
            if not sep:
                if not args:
                    return options, "--env-file needs a path"
                value = args.pop(0)
            if not value:
                return options, "--env-file needs a path"
            options["env_file"] = value
        else:
            return options, "unknown argument: %s" % arg
    return options, None


# --- Masking: the only way a value reaches the output ----------------------

def split_url(url: str) -> dict[str, str] | None:
    """Scheme, userinfo, host and the rest of a URL, or None if it is not one.

    Everything up to the last "@" is userinfo, so that a password holding
    "/" or "@" is still treated as a password (and hidden).
    """
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme or not scheme[0].isalpha() \
            or not all(c.isalnum() or c in "+-." for c in scheme) \
            or any(c.isspace() for c in url):
        return None
    userinfo, at, after = rest.rpartition("@")
    cut = min([i for i in (after.find("/"), after.find("?"), after.find("#"))
               if i >= 0] or [len(after)])
    hostport, tail = after[:cut], after[cut:]
    if hostport.startswith("["):                    # an IPv6 address
        host = hostport.partition("]")[0] + "]"
    else:
        host = hostport.partition(":")[0]
    return {"scheme": scheme.lower(), "userinfo": userinfo, "at": at,
            "hostport": hostport, "host": host.lower(), "tail": tail}


def mask_url(url: str) -> str:
    """The URL with its password replaced; a bare token user hidden too."""
    parts = split_url(url)
    if parts is None:
        return "(not a valid URL: hidden)"
    netloc = parts["hostport"]
    if parts["at"]:
        user, colon, _ = parts["userinfo"].partition(":")
        shown_user = user if colon and user.isprintable() \
            and "/" not in user else ""
        netloc = (shown_user + ":***" if colon else "***") + "@" + netloc
    return parts["scheme"] + "://" + netloc + parts["tail"]


def mask_value(key: str, value: str) -> str:
    """What --show may print of a value."""
    if key in SECRET_KEYS:
        if len(value) >= MIN_KEY_FOR_TAIL:
            return "****" + value[-SHOWN_KEY_TAIL:]
        return "**** (hidden)"
    if key in URL_KEYS:
        return mask_url(value)
    return value if len(value) <= 40 and value.isprintable() \
        else "(%d characters, not shown)" % len(value)


def shown_path(path: str) -> str:
    """A path as the user can paste it: relative unless that climbs out."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


# --- Reading the .env file ------------------------------------------------

def choose_env_file(requested: str | None, here: str) -> str | None:
    """--env-file, else ./.env, else .env beside this script; never a parent.

    python-dotenv's find_dotenv() walks up through parent directories; a
    stray .env above the project must not configure it, so it is not used.
    """
    if requested is not None:
        return requested
    for candidate in (ENV_FILE_NAME, os.path.join(here, ENV_FILE_NAME)):
        if os.path.isfile(candidate):
            return candidate
    return None


def read_env_file(path: str) -> tuple[list[Binding], list[str], str | None]:
    """Parse a .env file with python-dotenv, keeping line numbers.

    Returns (bindings as (line, key, value), problems, fatal error).
    """
    from dotenv.parser import parse_stream

    if os.path.exists(path) and not os.path.isfile(path) \
            and not os.path.isdir(path):
        # A FIFO or a device would block the read or never end.
        return [], [], "%s is not a regular file" % path
    try:
        if os.path.getsize(path) > MAX_ENV_FILE:
            return [], [], "%s is larger than %d KiB: not a .env file" % (
                path, MAX_ENV_FILE // 1024)
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
            if "\x00" in text:
                return [], [], "%s holds binary data: not a .env file" % path
            handle.seek(0)
            parsed = [(b.original.line, b.key, b.value, b.error)
                      for b in parse_stream(handle)]
    except UnicodeDecodeError:
        return [], [], "%s is not UTF-8 text" % path
    except OSError as error:
        return [], [], "cannot read %s: %s" % (path, error.strerror or error)
    bindings, problems = review_bindings(parsed, text.startswith("\ufeff"))
    return bindings, problems, None


def review_bindings(parsed: list[tuple[int, str | None, str | None, bool]],
                    bom: bool) -> tuple[list[Binding], list[str]]:
    """Keep the real bindings; name each silent corruption by key and line,
    never by value."""
    bindings: list[Binding] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for line, key, value, error in parsed:
        if error:
            problems.append("line %d cannot be parsed (python-dotenv "
                            "skips it): write KEY=value" % line)
            continue
        if key is None:                 # a comment or a blank line
            continue
        if bom and not first_line:
            # python-dotenv before 1.2 (and shells, docker --env-file)
            # read a UTF-8 byte-order mark as part of the first key.
            key = key.lstrip("\ufeff")
            problems.append("line %d starts with a byte-order mark, which "
                            "older python-dotenv releases read as part of "
                            "%s: save the file as UTF-8 without BOM"
                            % (line, key))
        if key in first_line:
            problems.append("%s is set twice (lines %d and %d): the last "
                            "one wins; keep one" % (key, first_line[key],
                                                    line))
        first_line.setdefault(key, line)
        if not value:
            problems.append("%s (line %d) has no value" % (key, line))
        elif "${" in value and key in KEYS:
            # load_dotenv() expands ${VAR} even in single quotes; this
            # script reads values as written, so say where they differ.
            problems.append("%s (line %d) holds '${': read as written here, "
                            "but load_dotenv() would expand it (pass "
                            "interpolate=False)" % (key, line))
        bindings.append((line, key, value))
    return bindings, problems


# --- Gathering the configuration ------------------------------------------

def resolve(environ: dict[str, str],
            bindings: list[Binding],
            file_label: str) -> Config:
    """Each key's value and source: environment > .env > default."""
    from_file: dict[str, tuple[int, str | None]] = {}
    for line, key, value in bindings:
        from_file[key] = (line, value)          # the last one wins
    config: dict[str, dict[str, str | None]] = {}
    for key in KEYS:
        file_source = None
        if key in from_file:
            file_source = "%s:%d" % (file_label, from_file[key][0])
        if environ.get(key):
            shadow = " (overrides %s)" % file_source if file_source else ""
            config[key] = {"value": environ[key],
                           "source": "environment" + shadow,
                           "origin": "environment"}
        elif key in from_file and from_file[key][1]:
            config[key] = {"value": from_file[key][1], "source": file_source,
                           "origin": "file"}
        elif key in DEFAULTS:
            config[key] = {"value": DEFAULTS[key], "source": "default",
                           "origin": "default"}
        else:
            config[key] = {"value": None, "source": "not set",
                           "origin": None}
    return config


def read_example(path: str) -> dict[str, str]:
    """The sample values of .env.example ({} when it is missing)."""
    from dotenv import dotenv_values

    if not os.path.isfile(path):
        return {}
    try:
        values = dotenv_values(path, interpolate=False)
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return {k: v for k, v in values.items() if k and v}


# --- Judging values -------------------------------------------------------

def is_local_host(host: str) -> bool:
    return host in LOCAL_HOSTS or host.startswith("127.") \
        or host.startswith("/") or host.startswith("%2f")


def judge_database(url: str | None, production: bool) -> Judgement:
    """(status text, problem level, problem) for DATABASE_URL."""
    if url is None:
        return "Not configured", "error" if production else "warn", \
            "DATABASE_URL is not set: add it to .env or the environment"
    parts = split_url(url)
    if parts is None:
        return "Invalid URL", "error" if production else "warn", \
            "DATABASE_URL is not a URL (scheme://user:password@host/db)"
    # sqlite files, unix sockets (no host, or ?host=/run/...) are local too.
    socket = "host=/" in parts["tail"] or "host=%2f" in parts["tail"].lower()
    if parts["scheme"].startswith("sqlite") or is_local_host(parts["host"]) \
            or socket:
        problem = "a local database in production mode" if production else ""
        return "Connected to local instance", "warn" if production else "", \
            problem
    return "Connected to remote instance (%s)" % parts["host"], "", ""


def judge_api_key(key: str | None, example: str | None,
                  production: bool) -> Judgement:
    if key is None:
        return "Not configured", "error" if production else "warn", \
            "API_KEY is not set: export it (or add it to .env)"
    if example and key == example:
        if production:
            return "Refused (the example key)", "error", \
                "API_KEY is still the .env.example sample: set a real key"
        return "Authenticated", "warn", \
            "API_KEY is the .env.example sample: production refuses it"
    if any(c.isspace() for c in key):
        return "Invalid key (contains spaces)", \
            "error" if production else "warn", \
            "API_KEY contains white space: check how it was quoted"
    return "Authenticated", "", ""


def judge_log_level(level: str | None, from_default: bool,
                    production: bool) -> Judgement:
    if level is None or level.upper() not in LOG_LEVELS:
        return "Invalid (using INFO)", "error" if production else "warn", \
            "LOG_LEVEL must be one of %s" % ", ".join(LOG_LEVELS)
    shown = level.upper() + (" (default)" if from_default else "")
    if production and from_default:
        return shown, "error", "production requires LOG_LEVEL to be set"
    if production and level.upper() == "DEBUG":
        return shown, "warn", "LOG_LEVEL is DEBUG in production: use INFO " \
            "or WARNING (debug logs can leak data)"
    return shown, "", ""


def judge_endpoint(url: str | None, production: bool) -> Judgement:
    if url is None:
        return "Offline (not configured)", "error" if production else "warn", \
            "ZION_ENDPOINT is not set: add it to .env or the environment"
    parts = split_url(url)
    if parts is None or parts["scheme"] not in ("http", "https") \
            or not parts["host"]:
        return "Invalid URL", "error" if production else "warn", \
            "ZION_ENDPOINT must be an http(s) URL with a host"
    if parts["scheme"] == "http" and production:
        return "Refused (plain http)", "error", \
            "ZION_ENDPOINT uses plain http: production requires https"
    return "Online", "", ""


# --- Security checks ------------------------------------------------------

def looks_random(value: str) -> bool:
    """A long token-shaped value mixing letters and digits, with many
    distinct characters.

    A stand-in for entropy (math is not an authorized import): keys and
    tokens look like this; words, placeholders and code (calls, indexing,
    attribute access) do not.
    """
    return len(value) >= 16 and len(set(value)) >= 10 \
        and all(c.isalnum() or c in TOKEN_PUNCTUATION for c in value) \
        and any(c.isalpha() for c in value) \
        and any(c.isdigit() for c in value) \
        and not any(word in value.lower() for word in PLACEHOLDER_WORDS)


def secret_literals(line: str) -> bool:
    """Whether a line holds a secret-looking literal: a secret word, then
    "=" or ":", then a random-looking value; or a URL with a password that
    is not a placeholder."""
    lowered = line.lower()
    for word in SECRET_WORDS:
        start = lowered.find(word)
        while start >= 0:
            rest = line[start + len(word):].lstrip(" \"'_")
            if rest[:1] in ("=", ":"):
                value = rest[1:].strip(" \t\"'`,;")
                if looks_random(value.split()[0] if value else ""):
                    return True
            start = lowered.find(word, start + 1)
    at = line.find("@")
    while at >= 0:
        scheme_end = line.rfind("://", 0, at)
        userinfo = line[scheme_end + 3:at] if scheme_end >= 0 else ""
        password = userinfo.partition(":")[2]
        if password and " " not in userinfo \
                and not any(word in password.lower()
                            for word in PLACEHOLDER_WORDS):
            return True
        at = line.find("@", at + 1)
    return False


def scan_for_secrets(directory: str, skip: list[str],
                     loaded: list[tuple[str, str]]) -> list[str]:
    """file:line of each secret-looking literal or loaded secret value."""
    findings: list[str] = []
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return findings
    skipped = {os.path.realpath(path) for path in skip}
    for name in names:
        path = os.path.join(directory, name)
        # .env and its local variants (.env.local...) are not committed.
        local = name.startswith(ENV_FILE_NAME) and name != EXAMPLE_NAME
        if local or os.path.realpath(path) in skipped \
                or not os.path.isfile(path) \
                or os.path.getsize(path) > MAX_SCANNED:
            continue
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                lines = handle.read().splitlines()
        except OSError:
            continue
        for number, line in enumerate(lines, 1):
            if secret_literals(line):
                findings.append("%s:%d: a secret-looking literal"
                                % (name, number))
            for key, value in loaded:
                if value in line:
                    findings.append("%s:%d: the value of %s now loaded"
                                    % (name, number, key))
    return findings


def url_password(url: str | None) -> str | None:
    parts = split_url(url) if url else None
    if parts is None or not parts["at"]:
        return None
    return parts["userinfo"].partition(":")[2] or None


def loaded_secrets(config: Config,
                   example: dict[str, str]) -> list[tuple[str, str]]:
    """The secret values in use, except the samples of .env.example."""
    secrets: list[tuple[str, str]] = []
    for key in SECRET_KEYS:
        value = config[key]["value"]
        if value and len(value) >= 8 and value != example.get(key):
            secrets.append((key, value))
    for key in URL_KEYS:
        password = url_password(config[key]["value"])
        if password and len(password) >= 8 \
                and password != url_password(example.get(key)):
            secrets.append((key + " password", password))
    return secrets


def start_quietly(argv: list[str]) -> int | None:
    """Start a command with its output discarded; its pid, or None.

    os.posix_spawnp runs git directly, without a shell; on systems without
    it (Windows) the callers fall back on reading .gitignore files.
    """
    if not hasattr(os, "posix_spawnp"):
        return None
    quiet = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_WRONLY, 0)
             for fd in (1, 2)]
    try:
        return os.posix_spawnp(argv[0], argv, dict(os.environ),
                               file_actions=quiet)
    except OSError:             # no git on PATH
        return None


def exit_code(pid: int | None) -> int | None:
    """Wait for a started command: its exit code, or None."""
    if pid is None:
        return None
    try:
        _, status = os.waitpid(pid, 0)
    except OSError:
        return None
    return os.waitstatus_to_exitcode(status)


def git_about(env_path: str, *command: str) -> int | None:
    """Start ``git <command> -- <file>`` in the file's directory."""
    return start_quietly(["git", "-C", os.path.dirname(
        os.path.abspath(env_path)), *command, "--",
        os.path.basename(env_path)])


def gitignore_says_ignored(env_path: str) -> bool:
    """Whether .gitignore files ignore env_path, read without git.

    From the file's directory up to the repository root (or /): in each
    .gitignore the last matching line decides, and a deeper file wins. A
    small matcher, for the usual forms: ".env", "/.env" (same directory
    only), "**/.env", ".env*", "*.env", each possibly negated with "!".
    """
    name = os.path.basename(env_path)
    patterns = {name, "**/" + name, name + "*"}
    if "." in name:
        patterns.add("*" + name[name.rfind("."):])
    for depth, directory in enumerate(up_to_repository(env_path)):
        decision = None
        try:
            with open(os.path.join(directory, ".gitignore"),
                      encoding="utf-8", errors="replace") as handle:
                lines = handle.read().splitlines()
        except OSError:
            lines = []
        for line in lines:
            pattern = line.strip()
            negated = pattern.startswith("!")
            pattern = pattern[1:] if negated else pattern
            if pattern in patterns or (depth == 0 and pattern == "/" + name):
                decision = not negated
        if decision is not None:
            return decision
    return False


def up_to_repository(path: str) -> list[str]:
    """The directories from path's own up to the one holding .git (a
    directory, or a file in a worktree), or up to / outside a repository."""
    directory = os.path.dirname(os.path.abspath(path))
    chain = [directory]
    while not os.path.exists(os.path.join(directory, ".git")) \
            and os.path.dirname(directory) != directory:
        directory = os.path.dirname(directory)
        chain.append(directory)
    return chain


def in_repository(path: str) -> bool:
    return os.path.exists(os.path.join(up_to_repository(path)[-1], ".git"))


def ask_git_if_ignored(env_path: str) -> int | None:
    """Start ``git check-ignore`` inside a repository; git_status collects
    its answer, so git runs while the rest is checked."""
    return git_about(env_path, "check-ignore", "-q") \
        if in_repository(env_path) else None


def git_status(env_path: str, pending: int | None) -> str:
    """'ignored', 'tracked' or 'not ignored', for env_path."""
    # check-ignore: 0 ignored, 1 not ignored (a tracked file is never
    # ignored), 128 not a repository, None no git to ask.
    code = exit_code(pending)
    if code == 0:
        return "ignored"
    if code == 1:
        tracked = exit_code(git_about(env_path, "ls-files",
                                      "--error-unmatch"))
        return "tracked" if tracked == 0 else "not ignored"
    return "ignored" if gitignore_says_ignored(env_path) else "not ignored"


def check_env_file(loaded: dict[str, object], config: Config,
                   production: bool, here: str) -> list[str]:
    """Problems with the .env file, each with its fix; [] when all is well."""
    env_path = loaded["path"]
    if loaded["dotenv_missing"]:
        return ["not read: python-dotenv is not installed (pip install "
                "python-dotenv)"]
    if not isinstance(env_path, str):
        return ["no .env file found: cp %s %s" % (
            shown_path(os.path.join(here, EXAMPLE_NAME)),
            shown_path(os.path.join(here, ENV_FILE_NAME)))]
    if loaded["error"]:
        return [str(loaded["error"])]
    problems = loaded["problems"]
    defined = loaded["defined"]
    assert isinstance(problems, list) and isinstance(defined, set)
    found = list(problems)
    for key in KEYS:
        # A key may be left out of the file when the environment sets it.
        if key not in defined and config[key]["origin"] != "environment":
            found.append("%s is not defined: add %s=... (see %s)"
                         % (key, key, EXAMPLE_NAME))
    pending = loaded["git_pending"]
    status = git_status(env_path, pending if isinstance(pending, int)
                        else None)
    if status == "tracked":
        found.append("it is committed to git: git rm --cached %s, then "
                     "commit" % shown_path(env_path))
    elif status == "not ignored":
        found.append("git does not ignore it: add %s to .gitignore"
                     % os.path.basename(env_path))
    if production:
        try:
            mode = os.stat(env_path).st_mode
        except OSError:
            mode = 0
        if mode & 0o077:
            found.append("other users can read it: chmod 600 %s"
                         % shown_path(env_path))
    return found


def check_overrides(config: Config,
                    example_path: str, has_example: bool,
                    production: bool) -> list[str]:
    """Whether production can configure itself from the environment."""
    found = []
    if not has_example:
        found.append("%s is missing: nothing documents the variables "
                     "production must set" % example_path)
    if production:
        for key in SECRET_KEYS + URL_KEYS:
            if config[key]["origin"] == "file" and (
                    key in SECRET_KEYS or url_password(config[key]["value"])):
                found.append("%s comes from the .env file: in production, "
                             "set secrets in the environment" % key)
    return found


# --- The report -----------------------------------------------------------

def load_configuration(requested: str | None, environ: dict[str, str],
                       here: str) -> dict[str, object]:
    """Find and parse the .env file, and resolve every key's value."""
    env_path = choose_env_file(requested, here)
    bindings: list[Binding] = []
    problems: list[str] = []
    error = None
    try:
        import dotenv  # noqa: F401  (only asks whether it is installed)
        dotenv_missing = False
    except ImportError:
        dotenv_missing = True
    git_pending = None
    if env_path is not None and not dotenv_missing:
        bindings, problems, error = read_env_file(env_path)
        if error is None:
            git_pending = ask_git_if_ignored(env_path)
    example_path = os.path.join(here, EXAMPLE_NAME)
    label = os.path.basename(env_path) if env_path else ENV_FILE_NAME
    return {
        "path": env_path, "dotenv_missing": dotenv_missing,
        "git_pending": git_pending,
        "problems": problems, "error": error,
        "defined": {key for _, key, _ in bindings},
        "config": resolve(environ, bindings, label),
        "example_path": example_path,
        "example": {} if dotenv_missing else read_example(example_path),
    }


def judge_all(config: Config, example: dict[str, str],
              production: bool) -> dict[str, Judgement]:
    """The status line, and any problem, of each configuration entry."""
    log_level = config["LOG_LEVEL"]
    return {
        "Database": judge_database(config["DATABASE_URL"]["value"],
                                   production),
        "API Access": judge_api_key(config["API_KEY"]["value"],
                                    example.get("API_KEY"), production),
        "Log Level": judge_log_level(log_level["value"],
                                     log_level["origin"] == "default",
                                     production),
        "Zion Network": judge_endpoint(config["ZION_ENDPOINT"]["value"],
                                       production),
    }


def security_block(checks: list[tuple[str, list[str]]]) -> list[str]:
    """Each check's [OK] line, or one [WARN] line per problem it found."""
    lines = ["Environment security check:"]
    for label, problems in checks:
        lines += ["[WARN] " + problem for problem in problems] \
            or ["[OK] " + label]
    return lines


def values_table(config: Config) -> list[str]:
    """--show: every variable, masked, and where its value came from."""
    rows = [(key, mask_value(key, value) if value is not None else "-",
             str(config[key]["source"]))
            for key, value in ((key, config[key]["value"]) for key in KEYS)]
    width = max(len(value) for _, value, _ in rows)
    return ["Configuration values (secrets masked):"] + [
        "%-13s  %s  %s" % (key, value.ljust(width), source)
        for key, value, source in rows]


def build_report(options: dict[str, object], environ: dict[str, str],
                 here: str) -> tuple[list[list[str]], bool]:
    """Gather, judge and decide everything: the blocks of lines to print,
    and whether the configuration is usable."""
    requested = options["env_file"]
    loaded = load_configuration(
        requested if isinstance(requested, str) else None, environ, here)
    config, example = loaded["config"], loaded["example"]
    env_path = loaded["path"] if isinstance(loaded["path"], str) else None
    assert isinstance(config, dict) and isinstance(example, dict)
    errors = []
    if requested is not None and loaded["error"]:
        errors.append(str(loaded["error"]))     # the file the user named
    mode = (config["MATRIX_MODE"]["value"] or "").lower()
    if mode not in MODES:
        errors.append("MATRIX_MODE must be development or production "
                      "(set in %s)" % config["MATRIX_MODE"]["source"])
    production = mode == "production"
    judged = judge_all(config, example, production)
    errors += [problem for _, level, problem in judged.values()
               if level == "error"]
    warnings = [problem for _, level, problem in judged.values()
                if level == "warn"]

    overriding = [key for key in KEYS
                  if config[key]["origin"] == "environment"]
    overrides_label = "Production overrides available"
    if overriding:
        overrides_label += " (set in the environment now: %s)" % ", ".join(
            overriding)
    example_path = str(loaded["example_path"])
    scan = scan_for_secrets(here, [env_path] if env_path else [],
                            loaded_secrets(config, example))
    checks = [
        ("No hardcoded secrets detected",
         ["hardcoded secret in ex02/" + finding for finding in scan]),
        (".env file properly configured",
         [".env file: " + problem for problem in check_env_file(
             loaded, config, production, here)]),
        (overrides_label,
         check_overrides(config, shown_path(example_path),
                         os.path.isfile(example_path), production)),
    ]

    blocks = [["ORACLE STATUS: Reading the Matrix..."]]
    if loaded["dotenv_missing"]:
        blocks.append(["NOTE: python-dotenv is not installed: reading the "
                       "real environment only. Install it: pip install -r "
                       + shown_path(os.path.join(here, "requirements.txt"))])
    blocks.append(["Configuration loaded:",
                   "Mode: " + (mode if mode in MODES else "invalid")] +
                  ["%s: %s" % (name, status)
                   for name, (status, _, _) in judged.items()])
    blocks.append(security_block(checks))
    blocks.append([
        "Configuration file: " + (shown_path(env_path) if env_path else
                                  "none found (environment and defaults "
                                  "only)"),
        "Precedence: environment variables > .env file > defaults"])
    if options["show"]:
        blocks.append(values_table(config))
    if warnings:
        blocks.append(["WARNING: " + warning for warning in warnings])
    if errors:
        blocks.append(["ERROR: " + error for error in errors] +
                      ["The Oracle cannot see: fix the errors above."])
    else:
        blocks.append(["The Oracle sees all configurations."])
    return blocks, not errors


def main(argv: list[str]) -> int:
    options, error = parse_args(argv)
    if error:
        print(USAGE + "\noracle.py: error: " + error, file=sys.stderr)
        return 2
    if options["help"]:
        print(HELP, flush=True)
        return 0
    here = os.path.dirname(os.path.abspath(__file__))
    blocks, usable = build_report(options, dict(os.environ), here)
    # Flushed here, so that a closed pipe is noticed before exit.
    print("\n\n".join("\n".join(block) for block in blocks), flush=True)
    return 0 if usable else 1


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("\noracle.py: interrupted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        # Whoever read stdout has gone (| head): close it here, or Python's
        # own flush at exit fails again with a second, noisier error.
        try:
            sys.stdout.close()
        except BrokenPipeError:
            pass
        print("oracle.py: output closed early (broken pipe)", file=sys.stderr)
        sys.exit(1)
