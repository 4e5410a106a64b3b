#!/usr/bin/env python3
"""Read the Matrix's configuration from .env and the environment, safely.

Precedence: real environment variables > the .env file > safe defaults.
python-dotenv parses the file; this script reviews what it parsed, judges
each value by the policy of the mode (development forgives, production
demands) and never prints a secret. What it may echo of a file, the
environment or a URL: the names of the keys it reads, the values of
MATRIX_MODE and LOG_LEVEL, and of a URL its scheme, host, port and path;
everything else is described (by key and line), never quoted, and every
echoed string has its non-printable characters escaped.

Sections, in order: constants; records; command line; output; masking;
reading files; the .env file; gathering; secrets in the files of ex02/;
git; judging; the report; main.
"""
import os
import sys

# Checked before any function is defined, so that an old interpreter stops
# here with one clear line instead of a traceback further down.
if sys.version_info < (3, 10):
    sys.exit("oracle.py needs Python 3.10 or later; this is Python %d.%d."
             % sys.version_info[:2])

# mypy reads a constant named TYPE_CHECKING as true and Python runs it as
# false: python-dotenv's record type is named, and python-dotenv imported
# only once it is known to be installed (typing is not authorized).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from dotenv.parser import Binding

# --- Constants --------------------------------------------------------------

KEYS = ("MATRIX_MODE", "DATABASE_URL", "API_KEY", "LOG_LEVEL",
        "ZION_ENDPOINT")
# Defaults only where one is safe; secrets and endpoints have none.
DEFAULTS = {"MATRIX_MODE": "development", "LOG_LEVEL": "INFO"}
SECRET_KEYS = ("API_KEY",)
URL_KEYS = ("DATABASE_URL", "ZION_ENDPOINT")    # their credentials are secret
MODES = ("development", "production")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# A scheme "x+driver" (SQLAlchemy's postgresql+psycopg) counts as "x".
DATABASE_SCHEMES = ("postgresql", "postgres", "mysql", "mariadb", "sqlite",
                    "mssql", "oracle", "cockroachdb", "mongodb", "redis",
                    "rediss")
ENDPOINT_SCHEMES = ("http", "https")
MIN_API_KEY = 16                    # characters of a real key, at least
SHOWN_KEY_TAIL = 4                  # characters of an API key --show reveals

# What each mode makes of each kind of finding: "error" stops the Oracle
# (exit 1), "warn" is reported, None lets it pass. A finding of a kind not
# listed here is reported in both modes.
POLICY = {
    #  kind                development  production
    "not set":            ("warn",      "error"),
    "invalid":            ("warn",      "error"),
    "example key":        ("warn",      "error"),
    "short key":          ("warn",      "error"),
    "plain http":         (None,        "error"),
    "level by default":   (None,        "error"),
    "debug level":        (None,        "warn"),
    "local database":     (None,        "warn"),
    "readable file":      (None,        "warn"),
    "secret in file":     (None,        "warn"),
    "invalid mode":       ("error",     "error"),
    "unusable file":      ("error",     "error"),     # named by --env-file
}

ENV_FILE_NAME = ".env"
EXAMPLE_NAME = ".env.example"
MAX_ENV_FILE = 1024 * 1024          # bytes: a .env is a few lines
MAX_SCANNED = 2 * 1024 * 1024       # bytes per file scanned for secrets
MAX_LISTED = 5                      # items listed before "... and N more"
MAX_ECHOED = 60                     # characters of an echoed string
GIT_TIMEOUT = 3.0                   # seconds git may take to answer

MAX_SCANNED_FILES = 1000            # files of ex02/ scanned for secrets
MAX_SCANNED_TOTAL = 16 * 1024 * 1024    # bytes of them: about half a second

# The secret scan reads each line as words and operators (see tokens) and
# flags a value that looks like a secret written after a name that holds
# one, or a token that says what it is by its prefix. A name holds a secret
# when, lowercased and without "_", "-" and ".", it contains one of these
# (apiKey, X-API-KEY, aws_secret_access_key, Authorization, DB_CREDS,
# PRIVATE_KEY, priv_key, Azure's AccountKey...); a password name (one that
# ends with a password word) asks less of its value.
# (Tables of words are written as one string each: a script run by path
# is compiled on every run, and a string is one token to the parser.)
SECRET_NAMES = tuple("apikey secret token auth cred priv accesskey "
                     "accountkey encryptionkey signingkey masterkey".split())
PASSWORD_NAMES = tuple("password passwd passphrase".split())
# Words that are a password name only as a part of their own (DB_PASS,
# dbPass, -pwd), not inside another word (bypass, compass, Buypass).
SHORT_PASSWORD_NAMES = ("pass", "pwd")
# ... unless it names something about a secret: its hash, its id, where it
# is kept, what it looks like, how it is made.
NOT_SECRET_PARTS = tuple("hash sha1 sha256 sha512 md5 public".split())
NOT_SECRET_ENDINGS = tuple("id ids name type field label url uri path file "
                           "dir pattern regex digest checksum fingerprint "
                           "expiry expires expiration izer ize length size "
                           "encryption algorithm method scheme policy "
                           "prompt format count signature nonce arn "
                           "ref version subnet subnets network networks vpc "
                           "ip ips address zone dns host hostname".split())
# Words between a name and its value: "Authorization: Bearer <token>",
# "the password is <password>".
FILLER_WORDS = tuple("bearer basic is was are".split())
ASSIGNMENTS = ("=", ":")
QUOTES = "'\"`"
# A string's prefix (Python's b'', r'', f''...) is no name.
STRING_PREFIXES = tuple("b r u f br rb fr rf".split())
# Operators are tokens of their own; quotes are dropped. A clause ends at
# one of these, so a name never reaches a value past it.
OPERATORS = "=:,;(){}[]<>|&?!"
SPACED_OPERATORS = [(operator, " %s " % operator) for operator in OPERATORS]
CLAUSE_ENDS = ",;(){}|&?"
MAX_NAME_DISTANCE = 12              # words from a name to its "=" or ":"
MIN_RANDOM = 16                     # characters of a random-looking token
MIN_PASSWORD = 8                    # characters of a password worth a look
TOKEN_PUNCTUATION = "-_+/~."        # base64, hex, URL-safe and JWT tokens
RUNS = str.maketrans(TOKEN_PUNCTUATION, " " * len(TOKEN_PUNCTUATION))
PLACEHOLDER_WORDS = tuple("example password passwd secret changeme "
                          "change-me change_me placeholder your dummy sample "
                          "xxx replace redacted fake *** ... <".split())
# A whole value that is only a sample: user:pass@localhost.
PLACEHOLDER_VALUES = tuple("pass pwd user username token".split())
# Without a digit in its line, a value is a secret only under one of these
# (a password of letters and symbols, a pair's) or as a Hugging Face token
# (letters only), given by "=", ":", ",", or ">" (an XML element): a
# random token or key holds a digit.
WORDS_WITHOUT_DIGITS = ("pass", "pwd", "auth", "cred", "hf_")
# What a (user, password) pair is given to: auth=, HTTPBasicAuth(...),
# credentials=.
PAIR_OWNERS = tuple("auth cred creds credentials".split())
# A value starting so is a path, a template or a pattern, not a secret.
NOT_VALUE_STARTS = "/.~{<([^"
# Commands that take a password after an option: docker login -p <pw>,
# sshpass -p <pw>, curl -u user:<pw> (mysql -p <name> names a database).
PASSWORD_OPTIONS = (("-p", tuple("login sshpass".split())),
                    ("-u", ("curl",)), ("--user", ("curl",)),
                    ("-a", ("redis-cli",)))
# MySQL's clients take the password attached to -p (-pSECRET); a -p
# standing alone asks for it, and the next word names a database.
ATTACHED_PASSWORD = ("-p", tuple("mysql mysqladmin mysqldump".split()))
# A Kubernetes env entry and a Terraform variable name a secret on one
# line and give its value on the next ("- name: DB_PASSWORD", "value: x";
# 'variable "db_password" {', "default = x").
NAME_LINES = ("- name:", "name:", "variable ")
VALUE_KEYS = ("value", "default")

# Tokens that say what they are, found wherever they stand with no name:
# a row is the prefix, the alphabet of the rest (ALPHABETS), its shortest
# and longest length, how many parts it has between "."s, and what it is.
# From the providers' documented formats, as gitleaks' rules and GitHub's
# secret-scanning patterns give them. Adding a kind is adding a row.
ALPHABETS = {
    "A-Z0-9": "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "a-zA-Z": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "hex": "0123456789abcdef",
}
ALPHABETS["alnum"] = ALPHABETS["a-zA-Z"] + "0123456789"
ALPHABETS["alnum_"] = ALPHABETS["alnum"] + "_"
ALPHABETS["alnum-"] = ALPHABETS["alnum"] + "-"
ALPHABETS["alnum/"] = ALPHABETS["alnum"] + "/"
ALPHABETS["base64url"] = ALPHABETS["alnum"] + "-_"
ALPHABETS["base64url."] = ALPHABETS["base64url"] + "."
ALPHABETS["base64"] = ALPHABETS["alnum"] + "+/="
ALPHABETS["bech32"] = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"
ALPHABETS["django"] = "abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)"
ALPHABET_SETS = {name: frozenset(chars) for name, chars in ALPHABETS.items()}
TOKEN_RULES = (
    # prefix, alphabet, shortest and longest length, parts, what it is
    ("AKIA", "A-Z0-9", 16, 16, 1, "AWS access key id"),
    ("ASIA", "A-Z0-9", 16, 16, 1, "AWS temporary key id"),
    ("ABIA", "A-Z0-9", 16, 16, 1, "AWS STS key id"),
    ("ACCA", "A-Z0-9", 16, 16, 1, "AWS key id"),
    ("ghp_", "alnum", 36, 36, 1, "GitHub token"),
    ("gho_", "alnum", 36, 36, 1, "GitHub OAuth token"),
    ("ghu_", "alnum", 36, 36, 1, "GitHub user token"),
    ("ghs_", "alnum", 36, 36, 1, "GitHub app token"),
    ("ghr_", "alnum", 36, 76, 1, "GitHub refresh token"),
    ("github_pat_", "alnum_", 82, 82, 1, "GitHub fine-grained"),
    ("glpat-", "base64url", 20, 20, 1, "GitLab token"),
    ("glptt-", "base64url", 40, 40, 1, "GitLab trigger"),
    ("glrt-", "base64url", 20, 20, 1, "GitLab runner"),
    ("gldt-", "base64url", 20, 20, 1, "GitLab deploy"),
    ("xoxb-", "alnum-", 20, 255, 1, "Slack bot token"),
    ("xoxp-", "alnum-", 20, 255, 1, "Slack user token"),
    ("xoxa-", "alnum-", 20, 255, 1, "Slack app token"),
    ("xoxr-", "alnum-", 20, 255, 1, "Slack refresh"),
    ("xoxe.xoxp-", "alnum-", 20, 255, 1, "Slack config"),
    ("xapp-", "alnum-", 20, 255, 1, "Slack app token"),
    ("//hooks.slack.com/services/", "alnum/", 40, 80, 1, "Slack webhook"),
    ("sk_live_", "alnum", 10, 99, 1, "Stripe key"),
    ("rk_live_", "alnum", 10, 99, 1, "Stripe restricted"),
    ("sk_test_", "alnum", 10, 99, 1, "Stripe test key"),
    ("rk_test_", "alnum", 10, 99, 1, "Stripe test key"),
    ("whsec_", "alnum", 32, 64, 1, "Stripe webhook"),
    ("AIza", "base64url", 35, 35, 1, "Google API key"),
    ("GOCSPX-", "base64url", 28, 28, 1, "Google OAuth"),
    ("ya29.", "base64url", 30, 2048, 1, "Google access"),
    ("pypi-AgEIcHlwaS5vcmc", "base64url", 50, 1024, 1, "PyPI token"),
    ("pypi-AgENdGVzdC5weXBpLm9yZw",
     "base64url", 50, 1024, 1, "TestPyPI token"),
    ("SG.", "base64url.", 66, 66, 2, "SendGrid key"),
    ("npm_", "alnum", 36, 36, 1, "npm token"),
    ("hf_", "a-zA-Z", 34, 34, 1, "Hugging Face"),
    ("sk-ant-", "base64url", 80, 120, 1, "Anthropic key"),
    ("sk-proj-", "base64url", 40, 200, 1, "OpenAI key"),
    ("sk-svcacct-", "base64url", 40, 200, 1, "OpenAI key"),
    ("sk-admin-", "base64url", 40, 200, 1, "OpenAI key"),
    ("sk-", "alnum", 48, 48, 1, "OpenAI key"),
    ("shpat_", "hex", 32, 32, 1, "Shopify token"),
    ("shpss_", "hex", 32, 32, 1, "Shopify secret"),
    ("shpca_", "hex", 32, 32, 1, "Shopify token"),
    ("shppa_", "hex", 32, 32, 1, "Shopify token"),
    ("dop_v1_", "hex", 64, 64, 1, "DigitalOcean"),
    ("doo_v1_", "hex", 64, 64, 1, "DigitalOcean"),
    ("dapi", "hex", 32, 32, 1, "Databricks token"),
    ("sq0atp-", "base64url", 22, 22, 1, "Square token"),
    ("sq0csp-", "base64url", 43, 43, 1, "Square secret"),
    ("dckr_pat_", "base64url", 27, 27, 1, "Docker Hub token"),
    ("glsa_", "alnum_", 41, 41, 1, "Grafana token"),
    ("hvs.", "base64url", 90, 120, 1, "Vault token"),
    ("PMAK-", "alnum-", 59, 59, 1, "Postman key"),
    ("lin_api_", "alnum", 40, 40, 1, "Linear key"),
    ("NRAK-", "A-Z0-9", 27, 27, 1, "New Relic key"),
    ("dp.pt.", "alnum", 43, 43, 1, "Doppler token"),
    ("sbp_", "hex", 40, 40, 1, "Supabase token"),
    ("AGE-SECRET-KEY-1", "bech32", 58, 58, 1, "age secret key"),
    ("django-insecure-", "django", 50, 50, 1, "Django key"),
    ("eyJ", "base64url.", 30, 65536, 3, "JSON Web Token"),
    # base64 of '{"auths":' (a Docker config) and of a PEM private key's
    # armour, as Kubernetes Secrets hold them
    ("eyJhdXRocyI6", "base64", 20, 65536, 1, "Docker config"),
    ("LS0tLS1CRUdJTiBQUklWQVRFIEtF", "base64", 8, 65536, 1, "private key"),
    ("LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBL", "base64", 8, 65536, 1, "private key"),
    ("LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtF", "base64", 8, 65536, 1, "private key"),
    ("LS0tLS1CRUdJTiBPUEVOU1NIIFBSSVZBVEUgS0VZ",
     "base64", 8, 65536, 1, "private key"),
    ("LS0tLS1CRUdJTiBFTkNSWVBURUQgUFJJVkFURSBL",
     "base64", 8, 65536, 1, "private key"),
)
TOKEN_PREFIXES = tuple(rule[0] for rule in TOKEN_RULES)
# The armour of a private key: PEM's (RSA, EC, DSA, OPENSSH, ENCRYPTED,
# PGP's "PRIVATE KEY BLOCK") and the first line of PuTTY's key file.
PEM_BEGIN = "-----BEGIN "
PRIVATE_KEY = "private key"
PUTTY_KEY = "PuTTY-User-Key-File-"
PGPASS_NAME = "pgpass"              # .pgpass: every line may hold a password


# A line is worth reading when, lowercased and without "_" and "-", it
# holds one of these (each costs a search of every file)...
SUSPECT_WORDS = tuple(word.encode() for word in SECRET_NAMES + tuple(
    "pass pwd @ putty djangoinsecure hooks.slack.com/services curl "
    "login mysql rediscli".split()))
# ... or when a run of MIN_TOKEN or more characters of a token's alphabet
# starts with a known prefix: one search for every run, whatever the
# number of prefixes.
MIN_TOKEN = min(len(rule[0]) + rule[2] for rule in TOKEN_RULES)
RUN_OF_TOKEN = b"a" * MIN_TOKEN
TOKEN_CHARACTERS = bytes(
    ord("a") if chr(byte) in ALPHABETS["alnum"] + "_-." else ord(" ")
    for byte in range(256))
PREFIX_BYTES = tuple(prefix.encode() for prefix in TOKEN_PREFIXES)

USAGE = "usage: oracle.py [--env-file PATH] [--show] [-h]"
HELP = USAGE + """

Loads MATRIX_MODE, DATABASE_URL, API_KEY, LOG_LEVEL and ZION_ENDPOINT from
the environment and a .env file (the environment wins; an empty variable
counts as unset), validates them for the mode (development or production)
and checks the configuration's security. Secrets are never printed: of a
URL only the scheme, host, port and path are shown; a line of a file is
cited by number, never quoted.

options:
  --env-file PATH  read this file instead of .env (default: .env in the
                   working directory, else .env beside oracle.py; never
                   one in a parent directory)
  --show           list every variable, masked, with where it came from
  -h, --help       show this help and exit

Whether git ignores the .env file is asked of git with the repository's
hooks, fsmonitor and pager disabled (at most %g s), else read from the
.gitignore files.

exit status: 0 usable (warnings allowed), 1 not usable or output that
cannot be written, 2 bad usage, 130 interrupted. A reader that stops
early (| head) is not an error.""" % GIT_TIMEOUT


# --- Records ---------------------------------------------------------------

class Options:
    """The command line, parsed."""

    def __init__(self) -> None:
        self.env_file: str | None = None
        self.show = False
        self.help = False


class Chunk:
    """One piece of a .env file as python-dotenv parsed it."""

    def __init__(self, first: int, last: int, text: str, key: str | None,
                 value: str | None, error: bool) -> None:
        self.first = first          # the line its key is on
        self.last = last            # its last line (a quoted value can span)
        self.text = text            # its lines, never to be echoed
        self.key = key              # None for a comment, blank or error
        self.value = value          # None for a name without "="
        self.error = error          # python-dotenv could not parse it


class Parsed:
    """A .env-style file as python-dotenv parsed it."""

    def __init__(self) -> None:
        self.chunks: list[Chunk] = []
        self.mode = 0               # its permission bits
        self.bom = False            # it starts with a byte-order mark
        self.error: str | None = None       # why it could not be read


class EnvFile:
    """What the .env file holds for this script, and what is wrong in it."""

    def __init__(self, path: str | None) -> None:
        self.path = path            # None when no file was found
        self.error: str | None = None       # why it could not be read
        self.values: dict[str, tuple[int, str]] = {}    # key: (line, value)
        self.defined: set[str] = set()      # keys assigned, even emptily
        self.assigned: dict[str, list[str]] = {}    # key: its lines
        # key: (the key whose value swallows it, "" for lines that
        # python-dotenv cannot parse; those lines)
        self.lost: dict[str, tuple[str, tuple[int, int]]] = {}
        # each problem (a sentence with "%s" where its lines go): its lines
        self.spans: dict[str, list[tuple[int, int]]] = {}
        self.mode = 0                       # its permission bits


class Setting:
    """One key's value and where it comes from."""

    def __init__(self, key: str, value: str | None, origin: str,
                 line: int = 0, shadowed: int = 0) -> None:
        self.key = key
        self.value = value          # None when unset
        self.origin = origin        # "environment", "file", "default", ""
        self.line = line            # its .env line, when from the file
        self.shadowed = shadowed    # the .env line an environment value hides


class Url:
    """The parts of a URL. The credentials, query and fragment are kept to
    be judged, never to be shown."""

    def __init__(self, scheme: str, host: str, port: str, path: str) -> None:
        self.scheme = scheme
        self.host = host
        self.port = port            # "" when absent
        self.path = path
        self.userinfo: str | None = None
        self.query: str | None = None
        self.fragment: str | None = None

    def password(self) -> str | None:
        if self.userinfo is None or ":" not in self.userinfo:
            return None
        return self.userinfo.partition(":")[2] or None


class Finding:
    """Something worth telling: its kind (a POLICY key, or "" for what
    every mode reports) and the sentence that tells it."""

    def __init__(self, kind: str, text: str) -> None:
        self.kind = kind
        self.text = text


class Judgement:
    """One line of the "Configuration loaded" block, and what it found."""

    def __init__(self, status: str, finding: Finding | None = None,
                 refused: str = "") -> None:
        self.status = status        # shown unless the mode refuses it
        self.finding = finding
        self.refused = refused or status    # shown when it is an error


class SecretScan:
    """What the scan of a folder found, and what it read."""

    def __init__(self, folder: str) -> None:
        self.folder = folder        # its name, escaped
        self.findings: list[str] = []   # "file:line: what"
        self.scanned = 0            # files read
        self.size = 0               # characters read
        self.skipped = 0            # unreadable, binary, too large, links
        #                             out, past the caps


class Facts:
    """Everything read from the machine, before any judgement."""

    def __init__(self, here: str, env_file: EnvFile) -> None:
        self.here = here            # this script's directory
        self.env_file = env_file
        self.requested = False      # the file was named by --env-file
        self.dotenv = True          # python-dotenv is installed
        # Read only when python-dotenv is missing, to say how to install it:
        self.installer = ""         # "uv", "pip" or "ensurepip" in a venv
        self.pyproject = False      # the module has a pyproject.toml
        self.settings: dict[str, Setting] = {}
        self.example: dict[str, str] | None = None  # None: no example
        self.secrets = SecretScan("")      # the scan of this folder
        self.git = ""               # "ignored", "tracked", "not ignored"


# --- Command line -----------------------------------------------------------

def parse_args(argv: list[str]) -> tuple[Options, str | None]:
    """Options from argv, and an error message or None."""
    options = Options()
    args = list(argv)
    while args:
        arg = args.pop(0)
        name, sep, value = arg.partition("=")
        if arg in ("-h", "--help"):
            options.help = True
        elif arg == "--show":
            options.show = True
        elif name == "--show":
            return options, "--show takes no value"
        elif name == "--env-file":
            if not sep and args:
                value = args.pop(0)
            if not value:
                return options, "--env-file needs a path"
            options.env_file = value
        elif arg.startswith("-"):
            return options, "unknown option: " + option_name(name)
        else:
            return options, "unexpected argument (options start with --)"
    return options, None


def option_name(name: str) -> str:
    """An unknown option as the error may name it: a typo such as
    --pionts is shown; anything else (a pasted token, -pSECRET) is
    described."""
    word = name[2:]
    if name.startswith("--") and 0 < len(word) <= 20 \
            and all(c in "abcdefghijklmnopqrstuvwxyz-" for c in word):
        return name
    return "(an argument that is not an option; see --help)"


# --- Output: one way out for every line --------------------------------------

def escaped(text: str) -> str:
    """text with each non-printable character (control characters, line
    breaks, bidi overrides, undecodable bytes) written as a Python escape,
    so that no value can move the cursor or forge a line of the report."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else
                   c.encode("unicode_escape", "backslashreplace").decode()
                   for c in text)


def clipped(text: str, limit: int = MAX_ECHOED) -> str:
    """An echoed string: escaped, and cut when it is long."""
    shown = escaped(text)
    return shown if len(shown) <= limit else shown[:limit - 3] + "..."


class OutputError(Exception):
    """Standard output cannot be written (a full disk, a closed file)."""


def show(text: str) -> None:
    """Write to stdout now. A reader that stops early (| head) is normal:
    the rest is dropped. Any other write error is raised as OutputError,
    for main."""
    if sys.stdout.closed:
        return
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        close_stdout()
    except OSError as error:
        close_stdout()
        raise OutputError(error.strerror or str(error)) from None


def close_stdout() -> None:
    """Close stdout for good, so that nothing is written again at exit."""
    try:
        sys.stdout.close()
    except OSError:
        pass


def say_error(message: str, usage: bool = False) -> None:
    """One line on stderr (after the usage line for a usage error); a
    stderr that cannot be written is let be."""
    if sys.stderr is None:          # closed (2>&-): print would use stdout
        return
    try:
        print((USAGE + "\n" if usage else "") + "oracle.py: " + message,
              file=sys.stderr, flush=True)
    except (OSError, ValueError):
        try:
            sys.stderr.close()      # or Python fails again at exit
        except OSError:
            pass


# --- Masking: what a URL, a key or a path may show -------------------------

def parse_url(text: str) -> Url | None:
    """The parts of ``scheme://[userinfo@]host[:port][/path][?query][#frag]``,
    or None when text is not of that form.

    The userinfo runs to the last "@", so that a password holding "/",
    "?", "#" or "@" unencoded is still taken for a password (and hidden);
    an "@" in a query then hides more than it must, never less. A "\\"
    is no URL's: requests takes it for a "/" and browsers too, so what
    would be shown as the host is not the host contacted.
    """
    scheme, sep, rest = text.partition("://")
    if not sep or not scheme[:1].isalpha() or not text.isprintable() \
            or not all(c.isalnum() or c in "+-." for c in scheme) \
            or "\\" in text or any(c.isspace() for c in text):
        return None
    userinfo, at, rest = rest.rpartition("@")
    rest, hash_sign, fragment = rest.partition("#")
    rest, question, query = rest.partition("?")
    hostport, slash, path = rest.partition("/")
    if hostport.startswith("["):                    # an IPv6 address
        close = hostport.find("]") + 1
        host, after = hostport[:close], hostport[close:]
        port = after[1:] if after.startswith(":") or not after else "?"
        host = host or hostport
    else:
        host, _, port = hostport.partition(":")
    url = Url(scheme.lower(), host.lower(), port, slash + path)
    url.userinfo = userinfo if at else None
    url.query = query if question else None
    url.fragment = fragment if hash_sign else None
    return url


def address_problem(url: Url) -> str | None:
    """Why the host or port cannot be a network address, or None."""
    # isdigit() alone takes "\u00b2" (superscript two) and "\u0663"
    # (Arabic-Indic three): only ASCII digits make a port.
    if url.port and not (url.port.isdigit() and url.port.isascii()
                         and 0 < int(url.port) < 65536):
        return "its port is not a number from 1 to 65535"
    if not valid_host(url.host):
        return "its host is not a valid " + (
            "IPv6 address" if url.host.startswith("[") else "host name")
    return None


def valid_host(host: str) -> bool:
    """A host as a URL may name it: "" (sqlite:///), an IPv6 address in
    brackets, or dot-separated labels of letters, digits, "-", "_", "~"
    and "%" (percent-encoded), none empty; four labels of digits are an
    IPv4 address, each from 0 to 255."""
    if host.startswith("["):
        address = host[1:-1].partition("%")[0]
        return host.endswith("]") and ":" in address and all(
            c in "0123456789abcdefABCDEF:." for c in address)
    labels = host.split(".")
    if host and not all(label and all(c.isalnum() or c in "-_~%"
                                      for c in label) for label in labels):
        return False
    return not (len(labels) == 4 and all(
        label.isascii() and label.isdigit() for label in labels)) \
        or all(int(label) < 256 for label in labels)


def url_problem(url: Url | None, schemes: tuple[str, ...],
                database: bool) -> str | None:
    """Why a value cannot be used as a URL of one of these schemes. A
    database's may name a driver ("postgresql+psycopg" counts as
    "postgresql", as SQLAlchemy reads it) and needs no host (sqlite:///);
    an endpoint's may not: requests knows no "http+x"."""
    if url is None:
        return "it is not a URL (scheme://host/path)"
    scheme, _, driver = url.scheme.partition("+")
    if not (database and driver.isalnum()):
        scheme = url.scheme             # no driver, or not a driver's name
    if scheme not in schemes:
        return "its scheme must be one of %s" % ", ".join(schemes)
    if not database and not url.host:
        return "it has no host"
    # The userinfo runs to the last "@" (to hide a password holding "/"),
    # but requests ends the host at the first "/", "?" or "#": an "@"
    # after one of them leaves two readings of the host.
    if not database and any(c in (url.userinfo or "") for c in "/?#"):
        return "an '@' after a '/', '?' or '#' leaves its host unclear " \
            "(write it as %40)"
    # requests decodes a percent-encoded host name: the host shown would
    # not be the host contacted. (A database's may be a socket's path.)
    if not database and "%" in url.host and not url.host.startswith("["):
        return "its host name is percent-encoded: write it plainly"
    # requests encodes a name beyond ASCII by IDNA's rules, which refuse
    # some (full-width letters) that this script cannot tell apart.
    if not database and not url.host.isascii():
        return "its host name is not ASCII: write it in its xn-- form"
    return address_problem(url)


def shown_url(text: str) -> str:
    """What may be shown of a URL: its scheme, host, port and path; user
    name, password, ;parameters, query and fragment each become ***."""
    url = parse_url(text)
    if url is None:
        return "(not a URL: hidden)"
    if address_problem(url):
        # "user:PASSWORD/db" without "@" reads as host:port: hide it all.
        return url.scheme + "://(not a valid host and port: hidden)"
    netloc = url.host + (":" + url.port if url.port else "")
    if url.userinfo is not None:
        netloc = ("***:***@" if ":" in url.userinfo else "***@") + netloc
    # ";name=value" parameters (jsessionid, a DSN's password) are hidden
    # as a query is.
    path, semicolon, _ = url.path.partition(";")
    return clipped(url.scheme + "://" + netloc + path, 100) \
        + (";***" if semicolon else "") \
        + ("?***" if url.query is not None else "") \
        + ("#***" if url.fragment is not None else "")


def shown_value(key: str, value: str) -> str:
    """What --show may print of a value."""
    if key in SECRET_KEYS:
        if not plain_key(value):
            # Not one key: its tail may be another value that a stray
            # quote swallowed.
            return "(not valid: hidden)"
        if len(value) >= MIN_API_KEY:
            return "****" + escaped(value[-SHOWN_KEY_TAIL:])
        return "**** (hidden)"
    if key in URL_KEYS:
        return shown_url(value)
    # Only a valid mode or level is echoed: anything else may be the lines
    # a stray quote swallowed, secrets included.
    if value.lower() in MODES or value.upper() in LOG_LEVELS:
        return value
    return "(not valid: hidden)"


def plain_key(value: str) -> bool:
    """A key without white space or control characters."""
    return value.isprintable() and not any(c.isspace() for c in value)


def shown_path(path: str) -> str:
    """A path as the user can paste it where they stand: relative unless
    that climbs out, quoted for the shell when it must be, escaped."""
    relative = relative_path(path)
    return escaped(quoted(path if relative.startswith("..") else relative))


def relative_path(path: str) -> str:
    """path relative to the working directory; as it is when that
    directory was deleted (its path is then unknown: getcwd fails)."""
    try:
        return os.path.relpath(path)
    except OSError:
        return path


def absolute_path(path: str) -> str:
    """os.path.abspath, or the path as it is (normalized) when the working
    directory was deleted."""
    try:
        return os.path.abspath(path)
    except OSError:
        return os.path.normpath(path)


def quoted(word: str) -> str:
    """word as a POSIX shell reads it back."""
    if word and all(c.isalnum() or c in "/._-+:@%=," for c in word):
        return word
    return "'" + word.replace("'", "'\\''") + "'"


def listed(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c', at most MAX_LISTED then 'N more'."""
    if len(items) > MAX_LISTED:
        items = items[:MAX_LISTED] + ["%d more" % (len(items) - MAX_LISTED)]
    return items[0] if len(items) == 1 \
        else ", ".join(items[:-1]) + " and " + items[-1]


def lines_of(spans: list[tuple[int, int]]) -> str:
    """'line 3', 'lines 3 and 5-7', ... for (first, last) line spans."""
    words = ["%d" % a if a == b else "%d-%d" % (a, b) for a, b in spans]
    single = len(spans) == 1 and spans[0][0] == spans[0][1]
    return ("line " if single else "lines ") + listed(words)


# --- Reading files, never blocking ------------------------------------------

def open_regular(path: str, limit: int) -> tuple[int, int, str | None]:
    """(file descriptor, permission bits, error) for a regular file of at
    most ``limit`` bytes; the descriptor is -1 on error.

    Opened without blocking, then checked: a FIFO or a device named like a
    configuration file is refused instead of hanging the run.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) \
        | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        return -1, 0, "cannot read %s: %s" % (shown_path(path),
                                              error.strerror or "error")
    info = os.fstat(fd)
    problem = None
    if info.st_mode & 0o170000 != 0o100000:        # S_ISREG, without stat
        problem = "%s is not a regular file" % shown_path(path)
    elif info.st_size > limit:
        problem = too_large(path, limit)
    if problem:
        os.close(fd)
        return -1, 0, problem
    if hasattr(os, "set_blocking"):     # a regular file: read it plainly
        os.set_blocking(fd, True)
    return fd, info.st_mode & 0o777, None


def too_large(path: str, limit: int) -> str:
    return "%s is larger than %d KiB: not a configuration file" % (
        shown_path(path), limit // 1024)


def read_text(path: str, limit: int) -> str | None:
    """A small regular file's text (undecodable bytes replaced), or None."""
    fd, _, error = open_regular(path, limit)
    if error:
        return None
    try:
        with open(fd, encoding="utf-8", errors="replace") as handle:
            return handle.read(limit)
    except (OSError, ValueError):
        return None


def read_chunks(path: str) -> Parsed:
    """A .env-style file parsed by python-dotenv, each chunk with the line
    its key is really on."""
    from dotenv.parser import parse_stream

    parsed = Parsed()
    fd, parsed.mode, parsed.error = open_regular(path, MAX_ENV_FILE)
    if parsed.error:
        return parsed
    try:
        with open(fd, encoding="utf-8") as handle:
            # Bounded: a file in /proc says it is empty and is not.
            text = handle.read(MAX_ENV_FILE + 1)
            if len(text) > MAX_ENV_FILE:
                parsed.error = too_large(path, MAX_ENV_FILE)
                return parsed
            if "\x00" in text:
                parsed.error = "%s holds binary data: not a .env file" \
                    % shown_path(path)
                return parsed
            # python-dotenv before 1.2 (and shells, docker --env-file)
            # read a byte-order mark as part of the first key: skip it.
            parsed.bom = text.startswith("\ufeff")
            handle.seek(0)
            handle.read(1 if parsed.bom else 0)
            bindings = list(parse_stream(handle))
    except UnicodeDecodeError:
        parsed.error = "%s is not UTF-8 text" % shown_path(path)
        return parsed
    except (OSError, ValueError) as error:    # a failing disk, /proc
        parsed.error = "cannot read %s: %s" % (
            shown_path(path), getattr(error, "strerror", None) or "error")
        return parsed
    parsed.chunks = [locate_chunk(binding) for binding in bindings]
    return parsed


def locate_chunk(binding: "Binding") -> Chunk:
    """A chunk that python-dotenv parsed, with the lines its key is on.

    python-dotenv's line is where the chunk starts, blank lines before the
    key included; the key itself is further down.
    """
    raw = binding.original.string
    body = raw.lstrip()
    first = binding.original.line + raw[:len(raw) - len(body)].count("\n")
    return Chunk(first, first + body.rstrip().count("\n"), body, binding.key,
                 binding.value, binding.error)


# --- The .env file: what python-dotenv would silently get wrong -------------

def key_at_start(line: str) -> str | None:
    """The known key a raw line assigns, if any ("export KEY=..." too)."""
    name = line.strip()
    # python-dotenv takes any white space but a line break after export.
    if name.startswith("export") and name[6:7].isspace():
        name = name[6:].lstrip()
    name = name.partition("=")[0].strip()
    return name if name in KEYS else None


def review(env_file: EnvFile, parsed: Parsed) -> None:
    """Keep the known keys' values; note each silent corruption by the
    lines it is on, never by value."""
    spans = env_file.spans
    if parsed.bom:
        spans["%s starts with a byte-order mark, which older python-dotenv "
              "releases read as part of the first key: save the file as "
              "UTF-8 without BOM"] = [(1, 1)]
    for chunk in parsed.chunks:
        problem = review_chunk(env_file, chunk)
        if problem is None:
            continue
        if chunk.key in KEYS:
            env_file.defined.add(str(chunk.key))
        if problem:
            spans.setdefault(problem, []).append((chunk.first, chunk.last))


def review_chunk(env_file: EnvFile, chunk: Chunk) -> str | None:
    """What is wrong with one chunk of the file (a problem with "%s" where
    its lines go), "" for nothing, or None for a chunk that sets no key
    this script reads (a comment, blank lines, another program's key)."""
    key = chunk.key or ""
    if chunk.error:
        for other in map(key_at_start, chunk.text.split("\n")):
            if other:
                env_file.lost[other] = ("", (chunk.first, chunk.last))
        return "%s cannot be parsed (python-dotenv skips it): write KEY=value"
    if chunk.key is None:
        return None                     # a comment or blank lines
    if chunk.value is None:
        return key + " (%s) has no '=': it is not set" if key in KEYS \
            else "%s: not KEY=value (no '='); python-dotenv reads a name " \
            "without a value"
    if not (key.isascii() and key.isidentifier()):
        return "%s: the name before '=' is not a variable name (letters, " \
            "digits, _)"
    if key in KEYS:
        return review_value(env_file, chunk)
    if key.upper() in KEYS:
        return "%s: " + key.upper() + " written in other letters is not " \
            "read (names are case-sensitive)"
    return None                         # a key this script does not read


def review_value(env_file: EnvFile, chunk: Chunk) -> str:
    """Keep one assignment of a known key; what is wrong with it (a
    problem with "%s" where its lines go), or ""."""
    key, value = str(chunk.key), str(chunk.value)
    env_file.values[key] = (chunk.first, value)    # the last one wins
    env_file.assigned.setdefault(key, []).append(str(chunk.first))
    if not value:
        return key + " (%s) is empty: it counts as not set"
    if chunk.last > chunk.first:
        inside = [k for k in map(key_at_start, chunk.text.split("\n")[1:])
                  if k]
        for other in inside:
            env_file.lost[other] = (key, (chunk.first, chunk.last))
        return key + "'s quoted value runs over %s" + (
            ", swallowing the line of " + listed(inside) if inside
            else "") + ": close its quote on its first line if that is " \
            "not meant"
    breaks = [c for c in value if ("x" + c + "x").splitlines() != ["x" + c
                                                                   + "x"]]
    if breaks:
        # U+2028, U+0085, \r, \f...: an editor may draw a new line there,
        # python-dotenv ends lines only at \n; what follows is the value.
        inside = [k for k in map(key_at_start, value.splitlines()[1:]) if k]
        for other in inside:
            env_file.lost[other] = (key, (chunk.first, chunk.last))
        return key + " (%s) holds a line break that is not a newline (" + \
            "U+%04X" % ord(breaks[0]) + "): python-dotenv reads what " \
            "follows it as part of the value" + (
                ", swallowing " + listed(inside) if inside else "")
    if "${" in value:
        # load_dotenv() expands ${VAR} even in single quotes; this script
        # reads values as written, so say where they differ.
        return key + " (%s) holds '${': read as written here, but " \
            "load_dotenv() would expand it (pass interpolate=False)"
    return ""


# --- Gathering: every read of the machine happens here ----------------------

def choose_env_file(requested: str | None, here: str) -> str | None:
    """--env-file, else ./.env, else .env beside this script; never a parent.

    python-dotenv's find_dotenv() walks up through parent directories; a
    stray .env above the project must not configure it, so it is not used.
    A FIFO or a device named .env is taken (to be refused, not passed
    over); a directory is not (a virtual environment is often named .env).
    """
    if requested is not None:
        return requested
    for candidate in (ENV_FILE_NAME, os.path.join(here, ENV_FILE_NAME)):
        if os.path.lexists(candidate) and not os.path.isdir(candidate):
            return candidate
    return None


def resolve(environ: dict[str, str], env_file: EnvFile) -> dict[str, Setting]:
    """Each key's value and origin: environment > .env > default. An empty
    environment variable counts as unset, as an empty line of .env does."""
    settings = {}
    for key in KEYS:
        line, value = env_file.values.get(key, (0, ""))
        if environ.get(key):
            settings[key] = Setting(key, environ[key], "environment",
                                    shadowed=line)
        elif value:
            settings[key] = Setting(key, value, "file", line=line)
        elif key in DEFAULTS:
            settings[key] = Setting(key, DEFAULTS[key], "default")
        else:
            settings[key] = Setting(key, None, "")
    return settings


def read_example(path: str, dotenv: bool) -> dict[str, str] | None:
    """The keys .env.example documents, with their sample values (None
    when it is missing or unreadable)."""
    if not os.path.isfile(path):
        return None
    if not dotenv:          # the keys are enough to tell it documents them
        text = read_text(path, MAX_ENV_FILE) or ""
        return {key: "" for key in map(key_at_start, text.splitlines())
                if key}
    parsed = read_chunks(path)
    if parsed.error:
        return None
    return {chunk.key: chunk.value or "" for chunk in parsed.chunks
            if chunk.key in KEYS and not chunk.error}


def find_installer() -> str:
    """What installs into this venv: "uv" (a uv venv), "pip", or
    "ensurepip" (a venv made without pip); "" outside a venv."""
    if sys.prefix == sys.base_prefix:
        return ""
    config = read_text(os.path.join(sys.prefix, "pyvenv.cfg"), MAX_SCANNED)
    # Keys read as site.py reads them: lowercased.
    if any(line.partition("=")[0].strip().lower() == "uv"
           for line in (config or "").splitlines()):
        return "uv"
    if not any(os.path.isdir(os.path.join(path or ".", "pip"))
               for path in sys.path):
        return "ensurepip"      # made --without-pip, or by a tool
    return "pip"


def gather(options: Options, environ: dict[str, str], here: str) -> Facts:
    """Read the .env file, the example, git and the files of this script's
    directory; git answers while the rest is read."""
    env_file = EnvFile(choose_env_file(options.env_file, here))
    facts = Facts(here, env_file)
    facts.requested = options.env_file is not None
    try:
        import dotenv  # noqa: F401  (only asks whether it is installed)
    except ImportError:
        facts.dotenv = False
        facts.installer = find_installer()
        facts.pyproject = os.path.isfile(os.path.join(
            os.path.dirname(here), "pyproject.toml"))
    asking = None
    if env_file.path is not None and facts.dotenv:
        parsed = read_chunks(env_file.path)
        env_file.mode, env_file.error = parsed.mode, parsed.error
        review(env_file, parsed)
        if env_file.error is None:
            asking = start_git(env_file.path, "check-ignore", "-q")
    facts.settings = resolve(environ, env_file)
    facts.example = read_example(os.path.join(here, EXAMPLE_NAME),
                                 facts.dotenv)
    facts.secrets = scan_for_secrets(
        here, [env_file.path] if env_file.path else [],
        loaded_secrets(facts.settings, facts.example or {}))
    if env_file.path is not None and env_file.error is None:
        facts.git = collect_git_status(env_file.path, asking)
    return facts


# --- Secrets written into the files of ex02/ --------------------------------

def tokens(line: str) -> list[str]:
    """A line as words and one-character operators, any white space
    (Unicode's too) between them. A quoted string with no white space is
    one word, its opening quote kept in front of it (a value: any
    printable character may stand in it), then its pieces when it has
    several (a URL's query, a connection string); other quotes are
    dropped, and a string's prefix (b'', r'') is no word."""
    if not any(quote in line for quote in QUOTES):
        return plain_words(line)
    words: list[str] = []
    done = 0                        # characters of the line already read
    for opening, closing in quoted_spans(line):
        content = line[opening + 1:closing]
        if content.split() != [content]:
            continue                # empty or spaced: read as text
        words += plain_words(line[done:opening])
        if words and words[-1].lower() in STRING_PREFIXES \
                and line[opening - 1:opening].isalpha():
            words.pop()
        words.append(line[opening] + content)
        pieces = plain_words(content) if len(content) > MIN_PASSWORD else []
        if len(pieces) > 1:
            words += pieces
        done = closing + 1
    return words + plain_words(line[done:])


def quoted_spans(line: str) -> list[tuple[int, int]]:
    """(opening, closing) of each quoted string, read from the left: a
    quote closes at the next quote of its kind; one with none is text
    (an apostrophe). Each quote is looked at a bounded number of times."""
    marks = sorted(at for quote in QUOTES for at in found_at(line, quote))
    partner: dict[int, int] = {}
    following: dict[str, int] = {}
    for at in reversed(marks):
        partner[at] = following.get(line[at], -1)
        following[line[at]] = at
    spans = []
    done = 0
    for at in marks:
        if at >= done and partner[at] >= 0:
            spans.append((at, partner[at]))
            done = partner[at] + 1
    return spans


def found_at(text: str, char: str) -> list[int]:
    """Every position of char in text."""
    found = []
    at = text.find(char)
    while at >= 0:
        found.append(at)
        at = text.find(char, at + 1)
    return found


def plain_words(text: str) -> list[str]:
    """Text outside a quoted value as words and operators, quotes
    dropped."""
    # str.replace, not str.translate: a translation that grows the text
    # looks every character up in Python's slow path.
    for quote in QUOTES:
        text = text.replace(quote, " ")
    for operator, spaced in SPACED_OPERATORS:
        text = text.replace(operator, spaced)
    return text.split()


def secret_kind(word: str) -> str:
    """What a name holds: "password", "secret", or "" for no secret, or
    for no name (a path, a call)."""
    word = word.strip(QUOTES + "#$@")
    whole = word.lower().replace("_", "").replace("-", "").replace(".", "")
    name = whole.rstrip("0123456789")       # password2 is a password
    if any(part in name for part in PASSWORD_NAMES) \
            or name.endswith(SHORT_PASSWORD_NAMES) \
            and short_password_name(word.rstrip("0123456789")):
        kind = "password"
    elif any(part in name for part in SECRET_NAMES):
        kind = "secret"
    else:
        return ""               # most words: checked first, as the fastest
    if any(c in word for c in "/()@\\") \
            or any(part in whole for part in NOT_SECRET_PARTS) \
            or name.endswith(NOT_SECRET_ENDINGS):
        return ""
    return kind


def short_password_name(word: str) -> bool:
    """Whether a name ends with "pass" or "pwd" as a part of its own:
    pass, DB_PASS, db-pwd, dbPass; not bypass, compass or Buypass."""
    for short in SHORT_PASSWORD_NAMES:
        if word.lower().endswith(short):
            before = word[:-len(short)]
            return not before or before[-1] in "_-." \
                or word[-len(short)].isupper() and before[-1].islower()
    return False


def unmistakable(name: str) -> bool:
    """A variable named for a password and nothing else, as environments
    name them (MYSQL_ROOT_PASSWORD, DB_PASS): any value it is given is
    one, letters only too."""
    name = name.strip(QUOTES)
    return "_" in name and name.isupper() \
        and name.endswith(("PASSWORD", "PASSWD", "_PASS", "_PWD"))


def assigned_password(words: list[str], at: int) -> bool:
    """Whether words[at] is given by "=" or ":" to an unmistakable
    password name (not written after one in prose)."""
    return at >= 1 and words[at - 1] in ASSIGNMENTS \
        and unmistakable(name_before(words, at))


def name_before(words: list[str], at: int) -> str:
    """The name the value words[at] is given to, or "".

    Fillers aside, the word just before it (.netrc, prose, a Dockerfile's
    "ENV NAME value"), unless it is "pass" or "pwd" (a verb, a command);
    after "=" or ":", the last secret name of its clause (a type
    annotation or a key path may stand between); or the name of a pair
    (see pair_name).
    """
    at -= 1
    while at >= 0 and words[at].lower() in FILLER_WORDS:
        at -= 1
    if at < 0:
        return ""
    if words[at] == ">" and at >= 2 and words[at - 2] == "<" \
            and words[at + 2:at + 3] == ["<"]:
        return words[at - 1]    # <password>value</password>
    # "password" => value (PHP, Ruby), password = (value)
    if words[at] in (">", "(") and at >= 1 and words[at - 1] in ASSIGNMENTS:
        at -= 1
    if words[at] not in ASSIGNMENTS:
        if words[at] in OPERATORS \
                or words[at].lower() in SHORT_PASSWORD_NAMES:
            return pair_name(words, at)
        return words[at]
    assignment = at
    while at >= max(0, assignment - MAX_NAME_DISTANCE) \
            and words[at] not in CLAUSE_ENDS:
        # "pass" or "pwd" names a value only right before its "=" or ":"
        # ("flag to pass to :class:`x`" is prose).
        if secret_kind(words[at]) and (
                at == assignment - 1
                or words[at].lower() not in SHORT_PASSWORD_NAMES):
            return words[at]
        at -= 1
    return pair_name(words, at)


def pair_name(words: list[str], comma: int) -> str:
    """The name of the value after words[comma], the comma of a pair: a
    quoted NAME in ("NAME", value) (getenv's default, a settings pair);
    "password" after the user of auth=(user, value) or
    HTTPBasicAuth(user, value); else ""."""
    if comma < 2 or words[comma] != "," or words[comma - 2] != "(":
        return ""
    if words[comma - 1][:1] in QUOTES and secret_kind(words[comma - 1]):
        return words[comma - 1]
    owner = words[comma - 3].lower() if comma >= 3 else ""
    if owner in ASSIGNMENTS and comma >= 4:
        owner = words[comma - 4].lower()
    if owner.endswith(PAIR_OWNERS):
        return "password"
    return ""


def after_password_option(words: list[str], at: int) -> bool:
    """Whether words[at] follows a command's password option: docker
    login -p <pw>, sshpass -p <pw>, curl -u user:<pw>."""
    option = words[at - 1] if at >= 1 else ""
    if option == ":" and at >= 3:
        option = words[at - 3]
    for flag, commands in PASSWORD_OPTIONS:
        if option == flag:
            before = words[max(0, at - MAX_NAME_DISTANCE):at]
            return any(command in before for command in commands)
    return False


def sample_word(value: str) -> bool:
    """A value that says it is a sample: <your-key>, changeme, xxx."""
    lowered = value.lower()
    return lowered in PLACEHOLDER_VALUES \
        or any(word in lowered for word in PLACEHOLDER_WORDS)


def placeholder(value: str) -> bool:
    """A sample or a reference, not a value: <your-key>, changeme, $VAR,
    a name in capitals (https://user:TOKEN@host)."""
    return reference(value) or sample_word(value) \
        or value.isupper() and value.replace("_", "").isalpha()


def reference(value: str) -> bool:
    """A value taken from elsewhere: $VAR, ${VAR}, $(command), %(name)s,
    %VAR%, {{ template }} (a Django key may start with "$" or "%")."""
    if value.startswith(("${", "$(", "%(", "{{")):
        return True
    if value[:1] == "$":
        return value[1:].replace("_", "").isalnum()
    return value[:1] == "%" and value.endswith("%")


def looks_random(value: str, quoted: bool = False) -> bool:
    """A value with several distinct characters, no path, URL, UUID (36
    characters, 4 dashes) or placeholder, that is either a token of at
    least MIN_RANDOM characters with a run of 8 or more letters and
    digits mixed or, quoted, at least MIN_PASSWORD characters of letters,
    digits and symbols mixed (Django's keys, a password under a key's
    name).

    A stand-in for entropy (math is not an authorized import): keys and
    tokens look like this; words, identifiers (generate_token_v2) and
    paths do not. A hex digest does, which is why a value is judged only
    after a secret name or by a known prefix.
    """
    if len(value) < MIN_PASSWORD or len(set(value)) < 6 \
            or value[0] in NOT_VALUE_STARTS or "://" in value \
            or len(value) == 36 and value.count("-") == 4 \
            or placeholder(value):
        return False
    if all(c.isalnum() or c in TOKEN_PUNCTUATION for c in value):
        return len(value) >= MIN_RANDOM and any(
            len(run) >= 8 and not run.isalpha() and not run.isdigit()
            for run in value.translate(RUNS).split()) or random_letters(value)
    symbols = [c for c in value if not c.isalnum()
               and c not in TOKEN_PUNCTUATION]
    return quoted and len(symbols) >= 1 and value.isprintable() \
        and any(c.isalpha() for c in value) \
        and any(c.isdigit() for c in value)


def looks_like_password(value: str, any_letters: bool = False) -> bool:
    """At least MIN_PASSWORD characters with a letter and a digit or a
    symbol before its last character (letters only will do under an
    unmistakable name), no white space, path or placeholder: what a
    person writes as a password, not a word before its punctuation."""
    return len(value) >= MIN_PASSWORD and not placeholder(value) \
        and value[0] not in NOT_VALUE_STARTS and value.isprintable() \
        and not any(c.isspace() or c == "\\" for c in value) \
        and any(c.isalpha() for c in value) \
        and (any_letters or random_letters(value)
             or any(c.isdigit() for c in value)
             or any(not c.isalnum() for c in value[:-1]))


def random_letters(value: str) -> bool:
    """At least MIN_RANDOM letters, a quarter of them or more capitals and
    a quarter or more small letters: base64 with no digit, not a word in
    CamelCase (PasswordAuthentication)."""
    if len(value) < MIN_RANDOM or not value.isalpha():
        return False
    capitals = sum(1 for c in value if c.isupper())
    return len(value) <= 4 * capitals <= 3 * len(value)


def token_kind(value: str) -> str:
    """What a token with a known prefix is (a row of TOKEN_RULES), or ""
    when no row takes it: its rest has the row's alphabet, length and
    parts, letters and digits mixed where both may stand, and no
    placeholder (AKIAIOSFODNN7EXAMPLE)."""
    for prefix, alphabet, shortest, longest, parts, what in TOKEN_RULES:
        rest = value[len(prefix):]
        if value.startswith(prefix) and shortest <= len(rest) <= longest \
                and rest.count(".") == parts - 1 \
                and set(rest) <= ALPHABET_SETS[alphabet] \
                and mixed(rest, ALPHABETS[alphabet]) \
                and not sample_word(rest):
            return what
    return ""


def mixed(rest: str, alphabet: str) -> bool:
    """Several distinct characters, and a letter and a digit when the
    alphabet holds both: a random value, not a run of one kind."""
    has_letters = any(c.isalpha() for c in alphabet)
    has_digits = any(c.isdigit() for c in alphabet)
    return len(set(rest)) >= 6 and not (
        has_letters and has_digits and (rest.isalpha() or not any(
            c.isalpha() for c in rest) or not any(c.isdigit()
                                                  for c in rest)))


def private_key_armour(line: str) -> bool:
    """Whether a line opens a private key: PEM's -----BEGIN ... PRIVATE
    KEY----- (not a string holding the armour alone, as a parser's
    constant does) or PuTTY's key file."""
    if line.startswith(PUTTY_KEY):
        return True
    start = line.find(PEM_BEGIN)
    if start < 0:
        return False
    key = line.lower().find(PRIVATE_KEY, start)
    end = line.find("-----", key) if key >= 0 else -1
    after = line[end + 5:end + 6]
    return end >= 0 and (after == "" or after not in QUOTES)


def holds_secret_literal(line: str) -> bool:
    """Whether a line gives a secret: a private key's armour; a URL with a
    password that is not a placeholder; a token of a known shape; a
    secret name, then a value that looks like one; a command's password
    option, then a password."""
    if private_key_armour(line) or "@" in line and url_with_password(line):
        return True
    if not any(digit in line for digit in "0123456789") and not (
            any(word in line.lower() for word in WORDS_WITHOUT_DIGITS)
            and any(mark in line for mark in "=:,>")):
        return False            # most lines of code: no value to judge
    words = tokens(line)
    called: set[str] | None = None      # found when first needed
    for at, word in enumerate(words):
        quoted = word[:1] in QUOTES
        value = word[1:] if quoted else word
        if len(value) < MIN_PASSWORD:
            continue
        if value.startswith(TOKEN_PREFIXES) and token_kind(value):
            return True
        if not quoted:
            called = called_words(line) if called is None else called
            if not_a_literal(called, words, at):
                continue        # most words of code and prose
        if given_secret(words, at, value, quoted):
            return True
    return False


def given_secret(words: list[str], at: int, value: str,
                 quoted: bool) -> bool:
    """Whether the value words[at] is a secret by what it is given to: a
    secret name's value that looks random; a password name's, or a
    command's password option's, that looks like a password."""
    if dotted_name(value):
        return False            # "myapp.auth.TokenBackend2": a path
    if attached_password(words, at):
        return looks_like_password(value[2:])
    if at >= 1 and words[at - 1] == "echo" and "--password-stdin" in words:
        return looks_like_password(value)
    name = name_before(words, at)
    kind = secret_kind(name)
    if kind == "secret":
        return looks_random(value, quoted)
    if kind == "password":
        # POSTGRES_PASSWORD=postgres: a default, named after its service
        return value.lower() not in name.lower() and looks_like_password(
            value, assigned_password(words, at))
    return after_password_option(words, at) and looks_like_password(value)


def dotted_name(value: str) -> bool:
    """A module or class path: identifiers joined by dots."""
    parts = value.split(".")
    return len(parts) > 1 and all(part.isidentifier() for part in parts)


def attached_password(words: list[str], at: int) -> bool:
    """Whether words[at] is MySQL's -pPASSWORD, after one of its clients."""
    option, commands = ATTACHED_PASSWORD
    before = words[max(0, at - MAX_NAME_DISTANCE):at]
    return words[at].startswith(option) and len(words[at]) > len(option) \
        and any(command in before for command in commands)


def called_words(line: str) -> set[str]:
    """The words written against a "(" or a "[" in the line: what is
    called or indexed (a value before a parenthesis in prose is not)."""
    called = set()
    for piece in line.replace("[", "(").split("(")[:-1]:
        if piece and not piece[-1].isspace():
            word = piece.split()[-1]
            for operator in OPERATORS + QUOTES:
                word = word.rpartition(operator)[2]
            called.add(word)
    return called


def not_a_literal(called: set[str], words: list[str], at: int) -> bool:
    """Whether an unquoted word is code or prose, not a value: what is
    called or indexed (written against its "(" or "[": a value before a
    parenthesis in prose is still a value), a dotted name (self.api_key_v2,
    Ed25519PrivateKey.generate), or a word or an identifier, unless its
    letters look random or it is given to an unmistakable name."""
    value = words[at]
    if value in called \
            or "." in value and all(part.isidentifier()
                                    for part in value.split(".")):
        return True
    return value.replace("_", "").replace(".", "").isalpha() \
        and not random_letters(value) \
        and not (value.isalpha() and assigned_password(words, at))


def url_with_password(line: str) -> bool:
    """A scheme://user:password@ in the line, read from the nearest "://"
    before the "@", its user information holding no white space, "/" or
    brackets (a path's @, pip's [user:passwd@]), its password no
    placeholder ({password} in an f-string, %(password)s, ${DB_PASSWORD},
    changeme)."""
    at = line.find("@")
    searched = 0                    # a user name holds no "@"
    while at >= 0:
        scheme_end = line.rfind("://", searched, at)
        userinfo = line[scheme_end + 3:at] if scheme_end >= 0 else ""
        user, _, password = userinfo.partition(":")
        # postgres:postgres@: a default, the user's own name
        if password and password != user \
                and not any(c.isspace() or c in "/[]" for c in userinfo) \
                and not any(c in "{}()*<>" for c in password) \
                and not placeholder(password):
            return True
        searched = at + 1
        at = line.find("@", searched)
    return False


def scan_for_secrets(directory: str, skip: list[str],
                     loaded: list[tuple[str, str]]) -> SecretScan:
    """file:line of each secret-looking literal or loaded secret value in
    the files of ``directory`` (the .env files themselves excepted)."""
    scan = SecretScan(escaped(os.path.basename(directory)))
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return scan
    # Only what exists: a missing .env must not pass for every dangling link.
    skipped = {file_identity(path) for path in skip} - {("", 0, 0)}
    for name in names:
        path = os.path.join(directory, name)
        identity = file_identity(path)
        # .env and its local variants (.env.local...) are not committed;
        # .envrc or .environment.py are other files, and are read.
        if (name == ENV_FILE_NAME or name.startswith(ENV_FILE_NAME + ".")
                and name != EXAMPLE_NAME) \
                or identity in skipped or identity[0] == "directory":
            continue
        text = None
        if scan.scanned < MAX_SCANNED_FILES \
                and scan.size < MAX_SCANNED_TOTAL and not (
                    os.path.islink(path) and os.path.dirname(
                        os.path.realpath(path)) != os.path.realpath(
                            directory)):
            text = read_text(path, MAX_SCANNED)
        if text is None or "\x00" in text:     # unreadable or binary
            scan.skipped += 1
            continue
        scan.scanned += 1
        scan.size += len(text)
        scan.findings += scan_text(escaped(name), text, loaded)
    return scan


def file_identity(path: str) -> tuple[str, int, int]:
    """What a path leads to, links followed: ("directory" or "file",
    device, inode); ("", 0, 0) when it leads nowhere."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return "", 0, 0
    kind = "directory" if info.st_mode & 0o170000 == 0o040000 else "file"
    return kind, info.st_dev, info.st_ino


def scan_text(name: str, text: str,
              loaded: list[tuple[str, str]]) -> list[str]:
    """The findings of one file's text, each "name:line: what"."""
    findings = []
    found = [(key, value) for key, value in loaded if value in text]
    lines = text.split("\n")        # numbered as editors do
    suspects = suspect_lines(text)
    numbers = [number for number in suspects
               if holds_secret_literal(lines[number])]
    numbers += [number + 1 for number in suspects
                if number + 1 < len(lines)
                and named_on_line_before(lines[number], lines[number + 1])]
    # Terraform on one line: variable "db_password" { default = x }
    numbers += [number for number in suspects
                if "{" in lines[number] and named_on_line_before(
                    *lines[number].split("{", 1))]
    numbers = sorted(set(numbers))
    if name.endswith(PGPASS_NAME):
        numbers = sorted(set(numbers) | set(pgpass_passwords(lines)))
    findings += ["%s:%d: a secret-looking literal" % (name, number + 1)
                 for number in numbers]
    for number, line in enumerate(lines if found else []):
        findings += ["%s:%d: the value of %s now loaded" % (name, number + 1,
                                                            key)
                     for key, value in found if value in line]
    return findings


def named_on_line_before(previous: str, line: str) -> bool:
    """Whether line gives a secret to the name the line before it holds
    (see NAME_LINES), judged as "NAME = value"."""
    start = previous.strip()
    prefix = next((p for p in NAME_LINES if start.startswith(p)), "")
    key, sep, value = line.strip().replace("=", ":", 1).partition(":")
    if not prefix or not sep or key.strip() not in VALUE_KEYS:
        return False
    name = start[len(prefix):].strip().rstrip("{").strip().strip(QUOTES)
    return secret_kind(name) != "" and holds_secret_literal(
        "%s = %s" % (name, value.strip()))


def pgpass_passwords(lines: list[str]) -> list[int]:
    """The lines (counted from 0) of a .pgpass file that give a password:
    host:port:database:user:password, as libpq reads it (the password is
    all that follows the fourth unescaped ":"; "#" starts a comment)."""
    found = []
    for number, line in enumerate(lines):
        fields = line.replace("\\:", "\0").split(":", 4)
        if len(fields) == 5 and not line.startswith("#") \
                and looks_like_password(fields[4], any_letters=True):
            found.append(number)
    return found


def suspect_lines(text: str) -> list[int]:
    """The lines (counted from 0) that hold a suspect word or a token with
    a known prefix, found by a few searches of the whole text rather than
    by reading every line."""
    data = text.encode("utf-8", "replace")
    # As bytes: lowercased and folded several times faster than as text.
    # Line numbers survive the removal of "_" and "-": "\n" stays.
    folded = data.lower().replace(b"_", b"").replace(b"-", b"")
    positions = []
    for word in SUSPECT_WORDS:
        start = folded.find(word)
        while start >= 0:
            positions.append(start)
            start = folded.find(word, start + 1)
    return sorted(set(line_numbers(folded, positions))
                  | set(line_numbers(data, prefixed_runs(data))))


def prefixed_runs(data: bytes) -> list[int]:
    """Where a run of a token's characters, long enough for the shortest
    token, starts with a known prefix."""
    runs = data.translate(TOKEN_CHARACTERS)
    found = []
    start = runs.find(RUN_OF_TOKEN)
    while start >= 0:
        if data.startswith(PREFIX_BYTES, start):
            found.append(start)
        end = runs.find(b" ", start)
        start = runs.find(RUN_OF_TOKEN, end) if end >= 0 else -1
    return found


def line_numbers(data: bytes, positions: list[int]) -> list[int]:
    """The line (counted from 0) of each position, once each."""
    numbers: list[int] = []
    line = last = 0
    for position in sorted(positions):
        line += data.count(b"\n", last, position)
        last = position
        if not numbers or numbers[-1] != line:
            numbers.append(line)
    return numbers


def loaded_secrets(settings: dict[str, Setting],
                   example: dict[str, str]) -> list[tuple[str, str]]:
    """The secret values in use that are worth looking for: the samples
    of .env.example excepted, and weak ones too (a word such as
    "password" is in many lines that hold no secret, and the lines cited
    would give it away)."""
    samples = [value for key in SECRET_KEYS + URL_KEYS
               for _, value in credentials(key, example.get(key))]
    return [(name, value) for key in SECRET_KEYS + URL_KEYS
            for name, value in credentials(key, settings[key].value)
            if looks_like_password(value) and value not in samples]


def credentials(key: str, value: str | None) -> list[tuple[str, str]]:
    """The secrets a value holds, each named: an API key whole; of a URL,
    its user name (often a token) and its password."""
    if key in SECRET_KEYS:
        return [(key, value or "")]
    url = parse_url(value) if value else None
    user, _, password = (url.userinfo or "").partition(":") if url \
        else ("", "", "")
    return [(key + " user name", user), (key + " password", password)]


def url_password(text: str | None) -> str | None:
    url = parse_url(text) if text else None
    return url.password() if url else None


# --- git: is the .env file ignored? ------------------------------------------

def start_git(env_path: str, *command: str) -> int | None:
    """Start ``git <command> -- <file>`` in the file's directory, inside a
    repository only; its pid, or None.

    The repository belongs to whoever made the directory, and its config
    can name commands for git to run (core.fsmonitor, hooks, a pager):
    they are switched off on the command line, which wins over any
    config file, so that reading a configuration runs nobody's code.
    """
    if not hasattr(os, "posix_spawnp") or not in_repository(env_path):
        return None
    argv = ["git", "--no-pager", "-c", "core.fsmonitor=false",
            "-c", "core.hooksPath=" + os.devnull, "-c", "core.pager=cat",
            "-C", os.path.dirname(absolute_path(env_path)) or ".", *command,
            "--", os.path.basename(env_path)]
    environ = dict(os.environ, GIT_OPTIONAL_LOCKS="0",
                   GIT_TERMINAL_PROMPT="0", GIT_PAGER="cat")
    quiet = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0)
             for fd in (0, 1, 2)]
    try:
        return os.posix_spawnp("git", argv, environ, file_actions=quiet)
    except OSError:             # no git on PATH
        return None


def wait_for_exit(pid: int | None) -> int | None:
    """Wait at most GIT_TIMEOUT for a started command: its exit code, or
    None (it is then killed).

    os has no timed wait and the signal module is not authorized: poll,
    yielding the processor; git usually answers within milliseconds.
    """
    if pid is None:
        return None
    deadline = os.times().elapsed + GIT_TIMEOUT
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if os.times().elapsed > deadline:
            os.kill(pid, 9)                 # SIGKILL
            os.waitpid(pid, 0)
            return None
        os.sched_yield()


def collect_git_status(env_path: str, asking: int | None) -> str:
    """'ignored', 'tracked' or 'not ignored', for env_path."""
    # check-ignore: 0 ignored, 1 not ignored (a tracked file is never
    # ignored), 128 not a repository or not trusted, None no answer.
    code = wait_for_exit(asking)
    if code == 0:
        return "ignored"
    if code == 1:
        tracked = wait_for_exit(start_git(env_path, "ls-files",
                                          "--error-unmatch"))
        return "tracked" if tracked == 0 else "not ignored"
    return "ignored" if gitignore_says_ignored(env_path) else "not ignored"


def gitignore_says_ignored(env_path: str) -> bool:
    """Whether .gitignore files ignore env_path, read without git, in the
    order of git's dir.c: each folder on the way down from the repository
    root (or /) first, and once one is ignored so is everything in it;
    then the file. For each, the .gitignore files from its own folder up
    to the root: the deepest with a matching line decides, and in a file
    the last matching line."""
    chain = up_to_repository(env_path)[::-1]        # the root first
    parts = [os.path.basename(folder) for folder in chain[1:]]
    parts.append(os.path.basename(env_path))
    rules = [gitignore_rules(os.path.join(folder, ".gitignore"))
             for folder in chain]
    # Then the repository's own exclude file and the user's (git's
    # default core.excludesFile), both read as the top .gitignore is.
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(
        os.path.expanduser("~"), ".config")
    below = [gitignore_rules(os.path.join(chain[0], ".git", "info",
                                          "exclude")),
             gitignore_rules(os.path.join(config, "git", "ignore"))]
    for depth in range(1, len(parts) + 1):
        is_folder = depth < len(parts)
        decision = None
        for level in range(depth - 1, -1, -1):
            decision = last_match(rules[level], parts[level:depth],
                                  is_folder)
            if decision is not None:
                break
        for extra in below:
            if decision is None:
                decision = last_match(extra, parts[:depth], is_folder)
        if decision and is_folder:
            return True
    return bool(decision)


class GitignoreRule:
    """One line of a .gitignore, as git's dir.c parses it."""

    negated = False             # "!pattern": ignored no more
    folders_only = False        # "pattern/": matches folders only
    anchored = False            # a "/" before its end: a path from here
    segments: list[str]         # the pattern's parts between "/"


def gitignore_rules(path: str) -> list[GitignoreRule]:
    # git does not follow a .gitignore that is a symbolic link.
    if os.path.islink(path):
        return []
    text = read_text(path, MAX_SCANNED)
    rules = []
    # As git reads it: lines end at "\n" only; a byte-order mark before
    # the first line is skipped.
    for line in (text or "").removeprefix("\ufeff").split("\n"):
        rule = gitignore_rule(line)
        if rule is not None:
            rules.append(rule)
    return rules


def gitignore_rule(line: str) -> GitignoreRule | None:
    # Trailing spaces are dropped unless escaped ("\ "); leading ones
    # belong to the pattern.
    pattern = line.rstrip("\r")
    while pattern.endswith(" ") and not pattern.endswith("\\ "):
        pattern = pattern[:-1]
    if not pattern or pattern.startswith("#"):
        return None
    rule = GitignoreRule()
    rule.negated = pattern.startswith("!")
    if rule.negated:
        pattern = pattern[1:]
    rule.folders_only = pattern.endswith("/")
    if rule.folders_only:
        pattern = pattern[:-1]
    rule.anchored = "/" in pattern
    rule.segments = pattern.removeprefix("/").split("/")
    if pattern == "":
        return None
    return rule


def last_match(rules: list[GitignoreRule], parts: list[str],
               is_folder: bool) -> bool | None:
    """Whether the last rule matching this path (parts below the
    .gitignore's folder) ignores it; None when none matches."""
    decision = None
    for rule in rules:
        if rule.folders_only and not is_folder:
            continue
        if rule.anchored:
            matched = segments_match(rule.segments, parts)
        else:
            matched = glob_matches(rule.segments[0], parts[-1])
        if matched:
            decision = not rule.negated
    return decision


def segments_match(segments: list[str], parts: list[str]) -> bool:
    """A path pattern against a path, part by part: "**" is any number of
    folders, and a last "/**" everything inside (not the folder)."""
    reach = {0}
    for at, segment in enumerate(segments):
        if not reach:
            return False
        if segment == "**":
            first = min(reach)
            if at == len(segments) - 1:
                first += 1
            reach = set(range(first, len(parts) + 1))
        else:
            reach = {i + 1 for i in reach if i < len(parts)
                     and glob_matches(segment, parts[i])}
    return len(parts) in reach


def glob_matches(pattern: str, name: str) -> bool:
    """Whether a gitignore glob matches a whole name: the positions of name
    each part of the pattern can reach, one part at a time (linear: no
    pattern of stars can make it slow)."""
    reach = {0}
    at = 0
    while at < len(pattern) and reach:
        part = pattern[at]
        # A group's "]" comes after its first character ("[]]", "[!]]").
        negated = pattern[at + 1:at + 2] in ("!", "^")
        end = group_end(pattern, at + 1 + negated)
        if part == "*":
            reach = set(range(min(reach), len(name) + 1))
        elif part == "[" and end < 0 or pattern[at:] == "\\":
            return False        # git matches nothing with an open "[" or a
            #                     last "\\" that escapes nothing
        elif part == "[":
            group = pattern[at + 1 + negated:end]
            reach = {i + 1 for i in reach if i < len(name)
                     and in_group(name[i], group) != negated}
            at = end
        else:
            literal = part == "\\"     # \x is x
            if literal:
                at += 1
                part = pattern[at]
            reach = {i + 1 for i in reach if i < len(name) and (
                part == "?" and not literal or name[i] == part)}
        at += 1
    return len(name) in reach


def group_end(pattern: str, start: int) -> int:
    """Where a [...] group whose members begin at start closes, as git's
    wildmatch reads it: the first member may be "]", a [:class:] is one
    member, a backslash escapes the next character; -1 if it never does."""
    at = start
    while at < len(pattern):
        close = -1
        if pattern.startswith("[:", at):
            close = pattern.find(":]", at + 2)
        if close >= 0:
            at = close + 2
            continue
        if pattern[at] == "]" and at > start:
            return at
        if pattern[at] == "\\":
            at += 1
        at += 1
    return -1


def in_group(char: str, group: str) -> bool:
    """Whether char is one of a [...] group's members: characters (a
    backslash escapes one), a-z ranges, and [:classes:]."""
    at = 0
    while at < len(group):
        close = -1
        if group.startswith("[:", at):
            close = group.find(":]", at + 2)
        if close >= 0:
            if in_class(char, group[at + 2:close]):
                return True
            at = close + 2
            continue
        if group[at] == "\\" and at + 1 < len(group):
            at += 1
        first, at = group[at], at + 1
        if group[at:at + 1] == "-" and at + 1 < len(group):
            last = group[at + 1]
            if last == "\\" and at + 2 < len(group):
                at += 1
                last = group[at + 1]
            at += 2
            if first <= char <= last:
                return True
        elif first == char:
            return True
    return False


# POSIX character classes, as git's wildmatch takes them (ASCII only).
CHARACTER_CLASSES = {
    "alnum": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "alpha": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "digit": "0123456789", "xdigit": "0123456789abcdefABCDEF",
    "lower": "abcdefghijklmnopqrstuvwxyz",
    "upper": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "space": " \t\n\r\f\v", "blank": " \t",
    "punct": "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
}


def in_class(char: str, name: str) -> bool:
    if name == "cntrl":
        return char.isascii() and not char.isprintable()
    if name in ("graph", "print"):
        return char.isascii() and char.isprintable() and (
            name == "print" or char != " ")
    return char in CHARACTER_CLASSES.get(name, "")


def up_to_repository(path: str) -> list[str]:
    """The directories from path's own up to the one holding .git (a
    directory, or a file in a worktree), or up to / outside a repository."""
    directory = os.path.dirname(absolute_path(path))
    chain = [directory]
    while not os.path.exists(os.path.join(directory, ".git")) \
            and os.path.dirname(directory) != directory:
        directory = os.path.dirname(directory)
        chain.append(directory)
    return chain


def in_repository(path: str) -> bool:
    return os.path.exists(os.path.join(up_to_repository(path)[-1], ".git"))


# --- Judging values (no I/O) -------------------------------------------------

def is_local(url: Url) -> bool:
    """A database on this machine: sqlite, a unix socket (a host that is
    an encoded path, or ?host=/...), or a loopback address."""
    socket = url.query is not None and ("host=/" in url.query
                                        or "host=%2f" in url.query.lower())
    return url.scheme.startswith("sqlite") or socket \
        or url.host.startswith("%2f") or is_loopback(url.host)


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 (four numbers: 127.db.example is a name),
    or ::1 however it is written; no host at all is the local socket."""
    if host in ("", "localhost"):
        return True
    if host.startswith("["):
        return ipv6_is_loopback(host[1:-1].partition("%")[0])
    labels = host.split(".")
    return len(labels) == 4 and labels[0] == "127" and all(
        label.isascii() and label.isdigit() for label in labels)


def ipv6_is_loopback(address: str) -> bool:
    """::1 in any of its spellings (0:0:0:0:0:0:0:1, 0::1, ::0:1)."""
    head, double, tail = address.partition("::")
    groups = [group for part in (head, tail) if part
              for group in part.split(":")]
    if not double and len(groups) != 8:
        return False
    if not groups or not all(group and len(group) <= 4 and all(
            c in "0123456789abcdefABCDEF" for c in group) for group in groups):
        return False
    values = [int(group, 16) for group in groups]
    return values[-1] == 1 and not any(values[:-1])


def judge_database(value: str | None) -> Judgement:
    if value is None:
        return Judgement("Not configured", Finding(
            "not set", "DATABASE_URL is not set: add it to .env or the "
            "environment"))
    url = parse_url(value)
    problem = url_problem(url, DATABASE_SCHEMES, database=True)
    if url is None or problem:
        return Judgement("Invalid URL", Finding(
            "invalid", "DATABASE_URL is not a database URL "
            "(scheme://user:password@host:port/name): %s" % problem))
    if is_local(url):
        return Judgement("Connected to local instance", Finding(
            "local database", "DATABASE_URL is a local database in "
            "production mode"))
    return Judgement("Connected to remote instance (%s)" % clipped(url.host))


def judge_api_key(value: str | None, example: str | None) -> Judgement:
    if value is None:
        return Judgement("Not configured", Finding(
            "not set", "API_KEY is not set: export it (or add it to .env)"))
    if not plain_key(value):
        return Judgement("Invalid key (white space or control characters)",
                         Finding("invalid", "API_KEY contains white space "
                                 "or control characters: check how it was "
                                 "quoted"))
    if value == example:
        return Judgement("Authenticated", Finding(
            "example key", "API_KEY is the .env.example sample: production "
            "refuses it; set a real key"), "Refused (the example key)")
    if len(value) < MIN_API_KEY:
        return Judgement("Authenticated", Finding(
            "short key", "API_KEY is shorter than %d characters: too short "
            "for a real key" % MIN_API_KEY), "Refused (too short)")
    return Judgement("Authenticated")


def judge_log_level(setting: Setting) -> Judgement:
    level = (setting.value or "").upper()
    if level not in LOG_LEVELS:
        return Judgement("Invalid (using INFO)", Finding(
            "invalid", "LOG_LEVEL must be one of %s" % ", ".join(LOG_LEVELS)))
    if setting.origin == "default":
        return Judgement(level + " (default)", Finding(
            "level by default", "production requires LOG_LEVEL to be set"))
    if level == "DEBUG":
        return Judgement(level, Finding(
            "debug level", "LOG_LEVEL is DEBUG in production: use INFO or "
            "WARNING (debug logs can leak data)"))
    return Judgement(level)


def judge_endpoint(value: str | None) -> Judgement:
    if value is None:
        return Judgement("Offline (not configured)", Finding(
            "not set", "ZION_ENDPOINT is not set: add it to .env or the "
            "environment"))
    url = parse_url(value)
    problem = url_problem(url, ENDPOINT_SCHEMES, database=False)
    if url is None or problem:
        return Judgement("Invalid URL", Finding(
            "invalid", "ZION_ENDPOINT must be an http(s) URL with a host: %s"
            % problem))
    if url.scheme == "http":
        return Judgement("Online", Finding(
            "plain http", "ZION_ENDPOINT uses plain http: production "
            "requires https"), "Refused (plain http)")
    return Judgement("Online")


def judge_all(settings: dict[str, Setting],
              example: dict[str, str]) -> dict[str, Judgement]:
    """The line, and any finding, of each entry of "Configuration loaded"."""
    return {
        "Database": judge_database(settings["DATABASE_URL"].value),
        "API Access": judge_api_key(settings["API_KEY"].value,
                                    example.get("API_KEY")),
        "Log Level": judge_log_level(settings["LOG_LEVEL"]),
        "Zion Network": judge_endpoint(settings["ZION_ENDPOINT"].value),
    }


def level_of(finding: Finding | None, production: bool) -> str | None:
    """What the mode makes of a finding (see POLICY)."""
    if finding is None:
        return None
    return POLICY.get(finding.kind, ("warn", "warn"))[production]


def file_problems(env_file: EnvFile) -> list[str]:
    """Each kind of problem in the file told once, with the lines it is
    on, however often it repeats; then the keys set more than once."""
    problems = []
    for problem, where in env_file.spans.items():
        lines = lines_of(where)
        if lines.startswith("lines "):
            problem = problem.replace("skips it", "skips them")
        problems.append(problem % lines)
    for key, numbers in env_file.assigned.items():
        if len(numbers) > 1:
            problems.append("%s is set %s (lines %s): the last one wins; "
                            "keep one" % (key, "twice" if len(numbers) == 2
                                          else "%d times" % len(numbers),
                                          listed(numbers)))
    return problems


def check_env_file(facts: Facts) -> list[Finding]:
    """Problems with the .env file, each with its fix; [] when all is well."""
    env_file = facts.env_file
    if not facts.dotenv:
        return [Finding("", "not read: python-dotenv is not installed")]
    if env_file.path is None:
        return [Finding("", "no .env file found: cp %s %s" % (
            shown_path(os.path.join(facts.here, EXAMPLE_NAME)),
            shown_path(os.path.join(facts.here, ENV_FILE_NAME))))]
    if env_file.error:
        return [Finding("", env_file.error)]
    found = [Finding("", problem) for problem in file_problems(env_file)]
    for key in KEYS:
        # A key may be left out of the file when the environment sets it.
        if key in env_file.defined \
                or facts.settings[key].origin == "environment":
            continue
        if key in env_file.lost:
            owner, span = env_file.lost[key]
            where = "the value of %s (%s)" % (owner, lines_of([span])) \
                if owner else "%s, which python-dotenv cannot parse" \
                % lines_of([span])
            found.append(Finding("", "%s is inside %s: fix it there"
                                 % (key, where)))
        else:
            found.append(Finding("", "%s is not defined: add %s=... (see %s)"
                                 % (key, key, EXAMPLE_NAME)))
    if facts.git == "tracked":
        found.append(Finding("", "it is committed to git: %s, then commit"
                             % untrack_command(env_file.path)))
    elif facts.git == "not ignored":
        found.append(Finding("", "git does not ignore it: add %s to "
                             ".gitignore" % escaped(ignore_line(
                                 os.path.basename(env_file.path)))))
    if env_file.mode & 0o077:
        found.append(Finding("readable file", "other users can read it: "
                             "chmod 600 %s" % shown_path(env_file.path)))
    return found


def ignore_line(name: str) -> str:
    """The .gitignore line that matches just this name: glob characters,
    a leading "#" or "!" and trailing spaces escaped with "\\"."""
    line = "".join("\\" + c if c in "\\[]*?" else c for c in name)
    if line[:1] in ("#", "!"):
        line = "\\" + line
    stripped = line.rstrip(" ")
    return stripped + "\\ " * (len(line) - len(stripped))


def untrack_command(path: str) -> str:
    """git rm --cached, pasteable where the user stands: from outside the
    repository, git must be told where it is (-C)."""
    # Inside it, its top is "." or a chain of ".." from here.
    top = relative_path(up_to_repository(path)[-1])
    if all(part in (".", "..") for part in top.split(os.sep)):
        return "git rm --cached " + shown_path(path)
    return "git -C %s rm --cached %s" % (
        shown_path(os.path.dirname(absolute_path(path))),
        escaped(quoted(os.path.basename(path))))


def check_overrides(facts: Facts) -> list[Finding]:
    """Whether production can configure itself from the environment."""
    example_path = shown_path(os.path.join(facts.here, EXAMPLE_NAME))
    found = []
    if facts.example is None:
        found.append(Finding("", "%s is missing: nothing documents the "
                             "variables production must set" % example_path))
    else:
        undocumented = [key for key in KEYS if key not in facts.example]
        if undocumented:
            found.append(Finding("", "%s does not document %s" % (
                example_path, listed(undocumented))))
    for key in SECRET_KEYS + URL_KEYS:
        setting = facts.settings[key]
        if setting.origin == "file" and (
                key in SECRET_KEYS or url_password(setting.value)):
            found.append(Finding("secret in file", "%s comes from the .env "
                                 "file: in production, set secrets in the "
                                 "environment" % key))
    return found


# --- The report: the decisions, then the lines -------------------------------

def security_block(checks: list[tuple[str, list[Finding]]],
                   production: bool) -> list[str]:
    """Each check's [OK] line, or one [WARN] line per problem it found."""
    lines = ["Environment security check:"]
    for label, findings in checks:
        shown = [finding.text for finding in findings
                 if level_of(finding, production)]
        lines += ["[WARN] " + text for text in shown] or ["[OK] " + label]
    return lines


def source_of(setting: Setting, label: str) -> str:
    """Where --show says a value comes from."""
    if setting.origin == "environment":
        return "environment" + (" (overrides %s:%d)" % (
            label, setting.shadowed) if setting.shadowed else "")
    if setting.origin == "file":
        return "%s:%d" % (label, setting.line)
    return setting.origin or "not set"


def values_table(settings: dict[str, Setting], label: str) -> list[str]:
    """--show: every variable, masked, and where its value came from."""
    rows = [(key, "-" if setting.value is None
             else shown_value(key, setting.value), source_of(setting, label))
            for key, setting in settings.items()]
    width = max(len(value) for _, value, _ in rows)
    return ["Configuration values (secrets masked):"] + [
        "%-13s  %s  %s" % (key, value.ljust(width), source)
        for key, value, source in rows]


def install_advice(facts: Facts) -> list[str]:
    """How to install python-dotenv, pasteable where the user stands."""
    requirements = shown_path(os.path.join(facts.here, "requirements.txt"))
    script = shown_path(os.path.join(facts.here, "oracle.py"))
    python = escaped(quoted(sys.executable))
    if facts.installer == "uv":
        return ["Install it into this environment, then run again: uv pip "
                "install --python %s -r %s" % (python, requirements)]
    if facts.installer:
        command = "%s -m pip install -r %s" % (python, requirements)
        if facts.installer == "ensurepip":
            command = "%s -m ensurepip && %s" % (python, command)
        return ["Install it into this environment, then run again: "
                + command]
    lines = ["Install it in a virtual environment, not into this global "
             "Python:",
             "  with venv:   %s -m venv matrix_env && matrix_env/bin/"
             "python -m pip install -r %s && matrix_env/bin/python %s"
             % (python, requirements, script)]
    if facts.pyproject:
        project = os.path.dirname(facts.here)
        poetry = "poetry" if relative_path(project) == "." \
            else "poetry -P " + shown_path(project)
        lines.append("  with Poetry: %s install && %s run python %s"
                     % (poetry, poetry, script))
    return lines


def security_checks(facts: Facts) -> list[tuple[str, list[Finding]]]:
    """The three checks of the subject's block: each label and findings."""
    scan = facts.secrets
    hits = ["hardcoded secret in %s/%s" % (scan.folder, hit)
            for hit in scan.findings]
    if len(hits) > MAX_LISTED + 1:
        hits[MAX_LISTED:] = ["... and %d more hardcoded secrets"
                             % (len(hits) - MAX_LISTED)]
    scanned = "No hardcoded secrets detected (%d file%s in %s/%s)" % (
        scan.scanned, "" if scan.scanned == 1 else "s", scan.folder,
        "; %d not read: unreadable, binary, too large, a link out of it, "
        "or past the scan's limits" % scan.skipped if scan.skipped else "")
    overriding = [key for key in KEYS
                  if facts.settings[key].origin == "environment"]
    overrides = "Production overrides available"
    if overriding:
        overrides += " (set in the environment now: %s)" % ", ".join(
            overriding)
    env_file = check_env_file(facts)
    for finding in env_file:
        finding.text = ".env file: " + finding.text
    return [(scanned, [Finding("", hit) for hit in hits]),
            (".env file properly configured", env_file),
            (overrides, check_overrides(facts))]


def closing_findings(facts: Facts, judged: dict[str, Judgement],
                     mode: str, label: str) -> list[Finding]:
    """The findings that the closing WARNING and ERROR lines tell."""
    findings = [judgement.finding for judgement in judged.values()]
    if mode not in MODES:
        findings.insert(0, Finding("invalid mode", "MATRIX_MODE must be "
                                   "development or production (set in %s)"
                                   % source_of(facts.settings["MATRIX_MODE"],
                                               label)))
    if facts.requested and facts.env_file.error:
        # The file the user named could not be read: nothing else counts.
        findings.insert(0, Finding("unusable file", facts.env_file.error))
    return [finding for finding in findings if finding]


def loaded_block(judged: dict[str, Judgement], mode: str,
                 production: bool) -> list[str]:
    """The subject's "Configuration loaded" lines."""
    lines = ["Configuration loaded:",
             "Mode: " + (mode if mode in MODES else "invalid")]
    for name, judgement in judged.items():
        refused = level_of(judgement.finding, production) == "error"
        lines.append("%s: %s" % (name, judgement.refused if refused
                                 else judgement.status))
    return lines


def build_report(facts: Facts, show_values: bool
                 ) -> tuple[list[list[str]], bool]:
    """Judge the facts: the blocks of lines to print, and whether the
    configuration is usable."""
    mode = (facts.settings["MATRIX_MODE"].value or "").lower()
    production = mode == "production"
    label = escaped(os.path.basename(facts.env_file.path or ENV_FILE_NAME))
    judged = judge_all(facts.settings, facts.example or {})
    said: dict[str | None, list[str]] = {"warn": [], "error": []}
    for finding in closing_findings(facts, judged, mode, label):
        said.setdefault(level_of(finding, production), []).append(
            finding.text)

    blocks = [["ORACLE STATUS: Reading the Matrix..."]]
    if not facts.dotenv:
        blocks.append(["NOTE: python-dotenv is not installed: reading the "
                       "real environment only."] + install_advice(facts))
    blocks += [loaded_block(judged, mode, production),
               security_block(security_checks(facts), production), [
        "Configuration file: " + (shown_path(facts.env_file.path)
                                  if facts.env_file.path else
                                  "none found (environment and defaults "
                                  "only)"),
        "Precedence: environment variables > .env file > defaults"]]
    if show_values:
        blocks.append(values_table(facts.settings, label))
    if said["warn"]:
        blocks.append(["WARNING: " + text for text in said["warn"]])
    if said["error"]:
        blocks.append(["ERROR: " + text for text in said["error"]] +
                      ["The Oracle cannot see: fix the errors above."])
    else:
        blocks.append(["The Oracle sees all configurations."])
    return blocks, not said["error"]


# --- Main -------------------------------------------------------------------

def main(argv: list[str]) -> int:
    if sys.stdout is None:
        say_error("standard output is closed")
        return 1
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        options, error = parse_args(argv)
        if error:
            say_error("error: " + error, usage=True)
            return 2
        if options.help:
            show(HELP)
            return 0
        # The real directory: run through a symbolic link, the script's
        # files are still the ones beside the real oracle.py.
        here = os.path.dirname(os.path.realpath(__file__))
        facts = gather(options, dict(os.environ), here)
        blocks, usable = build_report(facts, options.show)
        show("\n\n".join("\n".join(block) for block in blocks))
        return 0 if usable else 1
    except OutputError as failure:
        say_error("cannot write the output: %s" % failure)
        return 1
    except KeyboardInterrupt:
        say_error("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
