#!/usr/bin/env python3
"""Are my dependencies here, which versions, installed by pip or by Poetry?

Then a real analysis: simulated (or fetched) "Matrix data" analysed with
numpy and pandas, drawn with matplotlib into a PNG.

Every dependency is looked up without being imported (importlib.util and
importlib.metadata read the installed files); the heavy libraries are
imported only once every check has passed, so a missing package costs a
fraction of a second and never a traceback.

Sections, in order: constants; records; command line; output; paths;
installed packages; requirements.txt and poetry.lock; install commands;
fetching; the analysis; the figure; rendering; main.
"""
import importlib
import importlib.util
import sys

# Checked before any function is defined, so that an old interpreter stops
# here with one clear line instead of a traceback further down.
if sys.version_info < (3, 10):
    sys.exit("loading.py needs Python 3.10 or later; this is Python %d.%d."
             % sys.version_info[:2])

# mypy reads a constant named TYPE_CHECKING as true and Python runs it as
# false: the annotations below name the real types of numpy, pandas,
# matplotlib and requests, while all four are imported only after the
# dependency check (typing, which has this constant, is not an authorized
# import).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import numpy
    import numpy.typing
    from matplotlib.axes import Axes
    from pandas import DataFrame, Series
    from importlib import metadata
    from requests import Response, Session

    Floats = numpy.typing.NDArray[numpy.float64]
    Indices = numpy.typing.NDArray[numpy.int64]

# --- Constants --------------------------------------------------------------

# (distribution name, import name, what it does here), in the subject's order.
PACKAGES = (
    ("pandas", "pandas", "Data manipulation"),
    ("requests", "requests", "Network access"),
    ("matplotlib", "matplotlib", "Visualization"),
    ("numpy", "numpy", "Numerical computation"),
)
# Imported before the analysis in dependency order (requests only to fetch).
ANALYSIS_IMPORTS = ("numpy", "pandas", "matplotlib")

DEFAULT_POINTS = 1000
MIN_POINTS = 10
MAX_POINTS = 20_000_000
DEFAULT_SEED = 1999
MAX_SEED = 2 ** 64 - 1
DEFAULT_OUTPUT = "matrix_analysis.png"
PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"     # a PNG's last chunk

CONNECT_TIMEOUT = 3.05              # seconds to connect
READ_TIMEOUT = 10.0                 # seconds the server may stay silent
FETCH_DEADLINE = 30.0               # seconds for the whole transfer
FETCH_LIMIT = 16 * 1024 * 1024      # bytes of body accepted from --source
MAX_REDIRECTS = 5
# The standard reason phrases (RFC 9110) of the errors a fetch meets; the
# server's own phrase is never shown.
STATUS_PHRASES = {
    400: "Bad Request", 401: "Unauthorized", 402: "Payment Required",
    403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    406: "Not Acceptable", 407: "Proxy Authentication Required",
    408: "Request Timeout", 409: "Conflict", 410: "Gone",
    411: "Length Required", 412: "Precondition Failed",
    413: "Content Too Large", 414: "URI Too Long",
    415: "Unsupported Media Type", 416: "Range Not Satisfiable",
    421: "Misdirected Request", 422: "Unprocessable Content",
    429: "Too Many Requests", 451: "Unavailable For Legal Reasons",
    500: "Internal Server Error", 501: "Not Implemented",
    502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
    505: "HTTP Version Not Supported", 511: "Network Authentication Required",
}
# Beyond these magnitudes float64 sums and squares overflow or underflow,
# and the statistics would be false: such data is refused.
MAX_MAGNITUDE = 1e100
MIN_MAGNITUDE = 1e-100

# Why a CSV whose every comma is followed by three digits is refused.
THOUSANDS_OR_DECIMALS = "its numbers read as thousands (1,000) as well as " \
    "decimals (1,000 = 1.0): write 1000 or 1.000"

ANOMALY_SIGMA = 5.0                 # |residual| above this many sigmas
ROUNDING = 1e-12                    # of the typical value: float64 noise
PLOT_BINS = 2000                    # about the figure's width in pixels
MAX_MARKED = 1000                   # anomalies drawn at most, strongest first
MAX_ECHOED = 60                     # characters of an echoed string
MAX_LISTED = 5                      # items listed before "and N more"
MAX_REPORTED = 20                   # lines of a list before "... and N more"

# What a library writes on stderr as it loads or draws, known by its words:
# (words, any of which marks it; the line this script says instead, "" for
# nothing to say). Its own text is never shown: it is long, names its own
# files and web pages, and reads as this script's error.
LIBRARY_SAYS = (
    (("mkdir -p failed", "is not a writable directory",
      "created a temporary cache directory"),
     "matplotlib cannot write its cache folder (MPLCONFIGDIR, else "
     "~/.config/matplotlib): it used a temporary one, made again on each "
     "run"),
    (("Bad value in file", "Bad key ", "Missing colon in file",
      "Duplicate key in file", "Cannot decode configuration file"),
     "matplotlibrc: ignored lines it does not understand (in MATPLOTLIBRC, "
     "./matplotlibrc or ~/.config/matplotlib/matplotlibrc); the figure "
     "uses this script's own settings"),
    # Built once, then reused: nothing the user must do.
    (("building the font cache",), ""),
)

# PEP 440's spellings of a pre-release, each with its rank (a < b < rc), as
# packaging's Version normalizes them; longest first, as they are matched.
PRE_RELEASES = (("preview", 2), ("alpha", 0), ("beta", 1), ("pre", 2),
                ("rc", 2), ("a", 0), ("b", 1), ("c", 2))
POST_RELEASES = ("post", "rev", "r")
MAX_DIGITS = 30         # of one number in a version: int() is then cheap
MAX_DEPTH = 30          # brackets in a marker
MAX_REQUIREMENT = 300   # characters of a requirement that is read

# Longest first, as a specifier is read.
SPECIFIER_OPERATORS = ("===", "~=", "==", "!=", ">=", "<=", ">", "<")

# The variables whose comparisons are version comparisons (packaging's
# MARKERS_REQUIRING_VERSION), and the operators of a marker.
VERSION_VARIABLES = ("python_version", "python_full_version",
                     "implementation_version", "platform_release")
MARKER_VARIABLES = VERSION_VARIABLES + (
    "sys_platform", "platform_system", "os_name", "implementation_name",
    "platform_python_implementation", "platform_machine", "platform_version",
    "extra")
MARKER_OPERATORS = ("===", "~=", "==", "!=", ">=", "<=", ">", "<", "in",
                    "not in")

# The characters of a distribution's name (PEP 508).
NAME_CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
    "0123456789._-"

USAGE = ("usage: loading.py [--points N] [--seed N] [--source URL] "
         "[--output PATH] [-h]")
HELP = USAGE + """

Checks that pandas, requests, matplotlib and numpy are installed (without
importing them), compares their versions with requirements.txt and
poetry.lock, then analyses Matrix data and saves a figure.

options:
  --points N     simulated data points (%d to %d, default %d)
  --seed N       random seed of the simulation (default %d): same seed,
                 same numbers, same picture
  --source URL   analyse numbers fetched from an http(s) URL instead: a CSV
                 with one numeric column (its first line names the
                 columns, as pandas reads it), or a JSON array of numbers
                 (or of objects with one numeric field); %g s to
                 connect, %g s of silence at most, %g s and %d MiB for
                 the whole transfer; credentials, query and fragment
                 are never shown
  --output PATH  where to write the PNG (default %s);
                 the picture is made in memory, written to a temporary
                 file beside PATH and renamed over it: PATH holds the old
                 figure or the new one, whole. A symbolic link there is
                 replaced by the file; a folder, FIFO or device is refused
  -h, --help     show this help and exit

exit status: 0 success, 1 a problem to fix (missing or broken dependency,
failed fetch, unusable data, unwritable output or standard output), 2 bad
usage, 130 interrupted. A reader that stops early (| head) is not an
error: the run goes on and writes its figure.""" % (
    MIN_POINTS, MAX_POINTS, DEFAULT_POINTS, DEFAULT_SEED, CONNECT_TIMEOUT,
    READ_TIMEOUT, FETCH_DEADLINE, FETCH_LIMIT // (1024 * 1024),
    DEFAULT_OUTPUT)


# --- Records ---------------------------------------------------------------

class Options:
    """The command line, parsed."""

    def __init__(self) -> None:
        self.points = DEFAULT_POINTS
        self.seed = DEFAULT_SEED
        self.source: str | None = None
        self.output = DEFAULT_OUTPUT
        self.help = False


class Package:
    """What is known of one required package, read without importing it."""

    def __init__(self, dist: str, module: str, role: str) -> None:
        self.dist = dist
        self.module = module
        self.role = role
        self.found = False
        self.version: str | None = None
        self.installer: str | None = None   # the INSTALLER record
        self.broken: str | None = None      # why importing it failed
        self.origin = ""                # the file or folder import loads
        self.hidden_by = ""             # that file, when it is not this
        self.hidden_from = ""           # ... and where it comes from
        self.requires: list[str] = []   # Requires-Dist of the loaded copy
        # Every installed copy on sys.path, in its order: (folder, version)
        self.copies: list[tuple[str, str]] = []
        self.loaded_copy: int | None = None     # the one import loads
        self.said: list[str] = []       # what importing it wrote on stderr


class Unmet:
    """A requirement of a loaded package that pip check would report, or
    that this script cannot check: each field as it may be shown."""

    def __init__(self, requirement: str, installed: str | None,
                 unread: str = "") -> None:
        self.who = ""                   # "pandas 2.1.0"
        self.requirement = requirement  # no credentials, escaped
        self.name = requirement         # the name alone
        self.installed = installed      # the version installed, escaped
        self.unread = unread            # why it is not checked
        self.fix = ""                   # what pip install takes for it


class Version:
    """A PEP 440 version, read as packaging.version.Version reads it."""

    def __init__(self) -> None:
        self.epoch = 0
        self.release: tuple[int, ...] = ()
        self.pre: tuple[int, int] | None = None     # (rank, number)
        self.post: int | None = None
        self.dev: int | None = None
        self.local: tuple[str, ...] = ()
        self.wildcard = False           # "1.2.*", in a specifier only


class Pin:
    """The version a manifest gives for this Python, or why there is none:
    "no file", "not listed", "none for this Python", "several apply" or
    "marker not understood"."""

    def __init__(self, version: str | None, missing: str = "") -> None:
        self.version = version
        self.missing = missing


class Comparison:
    """pip versus Poetry: what each manifest says, and who runs this
    environment."""

    def __init__(self, requirements_path: str, lock_path: str) -> None:
        self.rows: list[tuple[Package, Pin, Pin]] = []  # (package, pip, lock)
        self.requirements_path = requirements_path
        self.lock_path = lock_path
        self.requirements_found = False
        self.lock_found = False
        # requirements.txt's lines not understood: (line number, line)
        self.not_understood: list[tuple[str, str]] = []
        self.in_venv = False
        self.installers: list[str] = []     # the packages' INSTALLER records
        self.venv_keys: list[str] = []      # the keys of pyvenv.cfg
        # Python did not say where the script really lives (-P, -I).
        self.script_dir_hidden = False


class Data:
    """The numbers to analyse and where they come from."""

    def __init__(self, values: "Floats") -> None:
        self.values = values
        self.seed = 0                   # of simulated data
        self.injected: "Indices | None" = None    # planted anomalies
        self.source: str | None = None  # the URL fetched; None: simulated
        self.kind = ""                  # of a fetched body: "CSV" or "JSON"
        self.column = ""                # the fetched column's name
        self.numbers_named = False      # a CSV's first line is numbers


class Analysis:
    """The statistics of the report."""

    def __init__(self, points: int, window: int, sigma: float) -> None:
        self.points = points
        self.window = window            # of the centred rolling mean
        self.sigma = sigma              # robust noise level of residuals
        self.mean = self.std = self.low = self.high = 0.0
        self.found = 0                  # anomalies found
        self.strongest_at = 0
        self.strongest = 0.0            # in sigmas
        self.injected: int | None = None    # None: nothing was injected
        self.matched = 0                # injected anomalies found
        self.per_bin = 1                # points per plotted bin


class Figure:
    """The figure's data, a few thousand values whatever the points."""

    def __init__(self) -> None:
        self.x: list[int] = []          # point indices
        self.signal: list[float] = []   # when every point is drawn
        self.low: list[float] = []      # else each bin's minimum ...
        self.high: list[float] = []     # ... and maximum
        self.rolling: list[float] = []
        self.marked_x: list[int] = []
        self.marked_y: list[float] = []
        self.injected_x: list[int] = []
        self.injected_y: list[float] = []
        self.counts: list[int] = []     # the residuals' histogram
        self.edges: list[float] = []


# --- Command line ----------------------------------------------------------

def parse_int(text: str, low: int, high: int) -> int | None:
    """A whole number within [low, high], or None."""
    digits = text.replace("_", "")
    if not digits.isdigit() or not digits.isascii() or len(digits) > 30:
        return None
    value = int(digits)
    return value if low <= value <= high else None


def parse_args(argv: list[str]) -> tuple[Options, str | None]:
    """Options from argv, parsed by hand, and an error message or None."""
    options = Options()
    given: set[str] = set()
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg in ("-h", "--help"):
            options.help = True
            return options, None
        name, sep, value = arg.partition("=")
        if name not in ("--points", "--seed", "--source", "--output"):
            # Only the option's name: what follows "=" may be a secret.
            return options, "unknown argument: %s" % option_name(name)
        if not sep:
            if not args:
                return options, "%s needs a value" % name
            value = args.pop(0)
        given.add(name)
        error = apply_option(options, name, value)
        if error:
            return options, error
    if "--source" in given and given & {"--points", "--seed"}:
        return options, "--source analyses fetched data: it takes neither " \
            "--points nor --seed"
    return options, None


def apply_option(options: Options, name: str, value: str) -> str | None:
    """Set one option from its value; an error message if it is invalid."""
    if name == "--points":
        points = parse_int(value, MIN_POINTS, MAX_POINTS)
        if points is None:
            return "--points takes a whole number from %d to %d" % (
                MIN_POINTS, MAX_POINTS)
        options.points = points
    elif name == "--seed":
        seed = parse_int(value, 0, MAX_SEED)
        if seed is None:
            return "--seed takes a whole number from 0 to 2**64-1"
        options.seed = seed
    elif name == "--source":
        if not value.lower().startswith(("http://", "https://")):
            return "--source takes an http:// or https:// URL"
        if "\\" in value:
            # requests reads "\" as "/": the host contacted would not be
            # the host shown.
            return "--source: a URL cannot hold '\\' (write it as %5C)"
        if ambiguous_userinfo(value):
            return "--source: an '@' after a '/', '?' or '#' leaves the " \
                "host unclear (write it as %40)"
        if percent_encoded_host(value):
            # requests decodes it: the host contacted would not be the
            # host shown.
            return "--source: a percent-encoded host name: write it plainly"
        options.source = value
    else:
        if not value.lower().endswith(".png"):
            return "--output must name a .png file"
        options.output = value
    return None


def ambiguous_userinfo(url: str) -> bool:
    """Whether an "@" comes after the first "/", "?" or "#" of the host
    part: requests ends the host there, while what is shown hides all up
    to the last "@" (to hide a password holding "/"): they would not name
    the same host."""
    rest = url.partition("://")[2]
    host_end = min((rest.find(c) for c in "/?#" if c in rest),
                   default=len(rest))
    return rest.rfind("@") > host_end


def percent_encoded_host(url: str) -> bool:
    """Whether the host part (an IPv6 address's zone aside) holds "%"."""
    rest = url.partition("://")[2]
    for end in "/?#":
        rest = rest.partition(end)[0]
    host = rest.rpartition("@")[2]
    return "%" in host and not host.startswith("[")


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
    so that no input can move the cursor or forge a line of the report."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else
                   c.encode("unicode_escape", "backslashreplace").decode()
                   for c in text)


def clipped(text: str, limit: int = MAX_ECHOED) -> str:
    """An echoed string: escaped, and cut when it is long."""
    shown = escaped(text)
    return shown if len(shown) <= limit else shown[:limit - 3] + "..."


def listed(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c', at most MAX_LISTED then 'N more'."""
    if len(items) > MAX_LISTED:
        items = items[:MAX_LISTED] + ["%d more" % (len(items) - MAX_LISTED)]
    return items[0] if len(items) == 1 \
        else ", ".join(items[:-1]) + " and " + items[-1]


class OutputError(Exception):
    """Standard output cannot be written (a full disk, a closed file)."""


def show(lines: list[str]) -> None:
    """Write lines to stdout now. A reader that stops early (| head) is
    normal: the rest is dropped and the run goes on. Any other write error
    is raised as OutputError, for main."""
    if sys.stdout.closed:
        return
    try:
        sys.stdout.write("\n".join(lines) + "\n")
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
        print((USAGE + "\n" if usage else "") + "loading.py: " + message,
              file=sys.stderr, flush=True)
    except (OSError, ValueError):
        try:
            sys.stderr.close()      # or Python fails again at exit
        except OSError:
            pass


# --- Paths, without os: the script may only import sys and importlib -------

def parent_dir(path: str) -> str:
    """The directory part of a path ('' for a bare name)."""
    cut = max(path.rfind("/"), path.rfind("\\"))
    return path[:cut + 1] if cut >= 0 else ""


def project_dir(here: str) -> str:
    """The directory above ``here`` (the project root, beside ex01/)."""
    last = here.rstrip("/\\")
    if last in ("", ".") or last.endswith(("/.", "\\.", "..")):
        return here + "../"
    return parent_dir(last)


def script_dir() -> str:
    """This script's directory, as the user named it when that is possible.

    sys.argv[0] is the path the user typed (relative to where they stand),
    so it gives commands they can paste; __file__ is absolute.
    """
    typed = sys.argv[0] if sys.argv else ""
    while typed.startswith(("./", ".\\")):
        typed = typed[2:]
    if typed.replace("\\", "/").endswith("/loading.py") \
            or typed == "loading.py":
        # A symbolic link to the script has none of its files beside it;
        # sys.path[0] is the script's real directory, links resolved,
        # unless -P, -I or PYTHONSAFEPATH kept Python from putting it there
        # (sys.path[0] is then the standard library's zip or folder).
        if read_text(parent_dir(typed) + "requirements.txt") is not None \
                or not sys.path or not sys.path[0] or hides_script_dir():
            return parent_dir(typed)
        return sys.path[0].rstrip("/\\") + "/"
    return parent_dir(__file__)


def hides_script_dir() -> bool:
    """Whether Python left the script's directory off sys.path (-P, -I,
    PYTHONSAFEPATH): its real directory, links resolved, is unknown."""
    return bool(getattr(sys.flags, "safe_path", False) or sys.flags.isolated)


def read_text(path: str) -> str | None:
    """A small text file's content, or None when it cannot be read."""
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read(4 * 1024 * 1024)
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def quoted(word: str) -> str:
    """word as a POSIX shell reads it back, escaped for the terminal."""
    if word and all(c.isalnum() or c in "/._-+:@%=," for c in word):
        return escaped(word)
    return escaped("'" + word.replace("'", "'\\''") + "'")


def shown_path(path: str) -> str:
    """A path relative to where the user stands ('.' for here)."""
    return path.rstrip("/\\") or "."


# --- Facts about the installed packages -----------------------------------

def find_package(dist: str, module: str, role: str,
                 origins: dict[str, str]) -> Package:
    """Whether a package is importable, from where, its version and
    installer, and every installed copy of it.

    find_spec locates a top-level module without executing it (it is
    importlib's own path finder), and importlib.metadata reads the
    dist-info files, so nothing is imported. The version shown is that of
    the installed copy that holds the file import loads.
    """
    from importlib import metadata

    package = Package(dist, module, role)
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return package
    package.found = True
    package.origin = spec.origin if spec.has_location and spec.origin \
        else next(iter(spec.submodule_search_locations or []), "")
    copies = installed_copies(package,
                              list(metadata.distributions(name=dist)))
    package.loaded_copy = loaded_copy(package, copies)
    where = next((entry for entry in origins
                  if is_inside(package.origin, entry)), None)
    if where is not None and package.loaded_copy is None:
        package.hidden_by = package.origin
        package.hidden_from = origins[where]
    shown = package.loaded_copy
    if shown is None and package.hidden_by and copies:
        shown = 0                   # the installed copy it hides
    if shown is not None:
        text = metadata_text(copies[shown])
        package.version = package.copies[shown][1]
        package.requires = metadata_fields(text, "requires-dist")
        package.installer = (copies[shown].read_text("INSTALLER")
                             or "").strip() or None
    return package


def metadata_text(distribution: "metadata.Distribution") -> str:
    """A distribution's core metadata, read as text, not through
    .metadata, which parses the whole file (pandas' and matplotlib's hold
    their full README) with the email package: a few milliseconds per
    package. An .egg-info may be the metadata file itself."""
    return distribution.read_text("METADATA") \
        or distribution.read_text("PKG-INFO") \
        or distribution.read_text("") or ""


def installed_copies(package: Package,
                     found: "list[metadata.Distribution]"
                     ) -> "list[metadata.Distribution]":
    """Each installed copy once (a folder twice on sys.path lists its
    copies twice), in sys.path's order; their folders and versions go
    into package.copies."""
    copies = []
    seen = set()
    for distribution in found:
        where = str(getattr(distribution, "_path", ""))
        if where in seen:
            continue
        seen.add(where)
        copies.append(distribution)
        package.copies.append((str(distribution.locate_file("")),
                               metadata_version(metadata_text(distribution))
                               or "?"))
    return copies


def loaded_copy(package: Package,
                copies: "list[metadata.Distribution]") -> int | None:
    """Which copy holds the file import loads: one in its folder whose
    list of files (RECORD) names it, as importlib.metadata's files tell
    (a leftover of an old version lists none of today's files). A copy
    alone in that folder with no list at all (made by hand) is taken at
    its word. None: no copy provides it."""
    beside = [number for number, (folder, _) in enumerate(package.copies)
              if is_inside(package.origin, folder)]
    listing = [lists_file(copies[number], package.copies[number][0],
                          package.origin) for number in beside]
    if len(beside) == 1 and listing[0] is None:
        return beside[0]
    return next((number for number, listed in zip(beside, listing)
                 if listed), None)


def lists_file(distribution: "metadata.Distribution", folder: str,
               origin: str) -> bool | None:
    """Whether a copy's list of installed files names origin (for a
    namespace folder, a file in it); None when it keeps no list. RECORD
    is searched as text: parsed, pandas' takes milliseconds."""
    relative = origin.replace("\\", "/")[len(folder.rstrip("/\\")) + 1:]
    record = distribution.read_text("RECORD")
    if record is not None:
        lines = "\n" + record.replace("\r\n", "\n")
        return "\n" + relative + "," in lines \
            or "\n" + relative + "/" in lines
    try:
        files = distribution.files      # an .egg-info's SOURCES.txt
    except Exception:  # a broken list: csv and its parsers raise
        return False
    if files is None:
        return None
    return any(str(name).replace("\\", "/") == relative
               or str(name).startswith(relative + "/") for name in files)


def is_inside(path: str, folder: str) -> bool:
    """Whether path is folder or below it."""
    path = path.replace("\\", "/")
    folder = folder.replace("\\", "/").rstrip("/")
    return folder != "" and (path == folder or path.startswith(folder + "/"))


def path_origins() -> dict[str, str]:
    """The sys.path entries that come before the installed packages, each
    with where it comes from: the script's folder (or the working
    directory for python -c), then PYTHONPATH, up to the standard
    library's zip entry, which Python always lists first of its own."""
    origins = {}
    entries = list(sys.path)
    if entries and not getattr(sys.flags, "safe_path", False):
        first = entries.pop(0)
        origins[first] = "the working directory" if first in ("", ".") \
            else "this script's folder"
    for entry in entries:
        if entry.endswith(".zip"):
            break
        origins.setdefault(entry, "PYTHONPATH")
    return origins


def metadata_version(text: str) -> str | None:
    """The Version field of a core metadata file."""
    return next(iter(metadata_fields(text, "version")), None)


def metadata_fields(text: str, field: str) -> list[str]:
    """The values of a field (lowercase name) in a core metadata file,
    whose fields are the lines before the first blank one."""
    values = []
    for line in text.partition("\n\n")[0].splitlines():
        name, colon, value = line.partition(":")
        if colon and name.strip().lower() == field and value.strip():
            values.append(value.strip())
    return values


def try_import(module: str) -> str | None:
    """Import a checked package; the first line of its error, or None."""
    try:
        importlib.import_module(module)
    except Exception as error:  # a broken install can raise anything
        lines = str(error).strip().splitlines()
        return "%s: %s" % (type(error).__name__, clipped(lines[0], 200)) \
            if lines else type(error).__name__
    return None


class StderrCatcher:
    """Stands in for sys.stderr while a library loads or draws. logging's
    last-resort handler and warnings write to sys.stderr as it is at that
    moment, one message per write: each is kept here, to be told in this
    script's own words (io is not an authorized import)."""

    def __init__(self) -> None:
        self.real = sys.stderr
        self.said: list[str] = []

    def write(self, text: str) -> int:
        if text.strip():
            self.said.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def catch_stderr() -> StderrCatcher:
    """Put a catcher in sys.stderr's place; release_stderr puts it back."""
    catcher = StderrCatcher()
    sys.stderr = catcher        # what writes there only calls write
    return catcher


def release_stderr(catcher: StderrCatcher) -> list[str]:
    """The real stderr back in its place, and what was written meanwhile."""
    sys.stderr = catcher.real
    return catcher.said


def import_quietly(package: Package) -> None:
    """Import a checked package with its stderr kept aside."""
    catcher = catch_stderr()
    try:
        package.broken = try_import(package.module)
    finally:
        package.said = release_stderr(catcher)


def library_notes(library: str, said: list[str], when: str) -> list[str]:
    """One NOTE line per cause of what a library wrote on stderr: the
    known ones in this script's words, any other as one line saying
    that it warned ("as it was imported", "as it drew the figure")."""
    notes: list[str] = []
    unknown = False
    for message in said:
        known = [note for words, note in LIBRARY_SAYS
                 if any(word in message for word in words)]
        if not known:
            unknown = True
        elif known[0] and "NOTE: " + known[0] not in notes:
            notes.append("NOTE: " + known[0])
    if unknown:
        notes.append("NOTE: %s warned %s (its own words are not shown "
                     "here)" % (library, when))
    return notes


def is_configuration_error(failure: str) -> bool:
    """Whether matplotlib failed on its configuration (MPLBACKEND or a
    matplotlibrc naming an invalid value), which no reinstall fixes: its
    rcParams validation says "Key <name>: ..."."""
    return failure.startswith("ValueError: Key ")


# --- Each package's own requirements, checked as pip check does ------------

def take_number(text: str) -> tuple[int | None, str]:
    """The ASCII digits text starts with, as an int, and the rest; None
    when there are none or too many to read (isdigit() takes "²")."""
    count = len(text) - len(text.lstrip("0123456789"))
    if count == 0 or count > MAX_DIGITS:
        return None, text
    return int(text[:count]), text[count:]


def take_word(text: str, words: tuple[str, ...]) -> tuple[str, str]:
    """The first of words that text starts with, after an optional
    separator ("-", "_" or "."), and the rest; ("", text) if none."""
    rest = text[1:] if text[:1] in ("-", "_", ".") else text
    for word in words:
        if rest.startswith(word):
            return word, rest[len(word):]
    return "", text


def take_suffix_number(text: str) -> tuple[int | None, str]:
    """A suffix's number after an optional separator (0 when it has
    none, as "1.0rc" is 1.0rc0); None when it is too long to read."""
    rest = text[1:] if text[:1] in ("-", "_", ".") else text
    if not rest[:1].isdigit() or not rest[:1].isascii():
        return 0, rest
    return take_number(rest)


def parse_version(text: str, wildcard: bool = False) -> Version | None:
    """text as packaging's Version parses it (its VERSION_PATTERN, read
    part by part: epoch, release, pre, post, dev, local); None for what
    packaging refuses, and for numbers of over MAX_DIGITS digits."""
    text, plus, local = text.strip().lower().partition("+")
    version = Version()
    version.local = tuple(local.replace("-", ".").replace("_", ".")
                          .split(".")) if plus else ()
    if not all(part.isalnum() and part.isascii() for part in version.local):
        return None
    text = text[1:] if text.startswith("v") else text
    if "!" in text:
        epoch, text = take_number(text)
        if epoch is None or not text.startswith("!"):
            return None
        version.epoch, text = epoch, text[1:]
    rest = parse_release(version, text)
    if rest is None:
        return None
    if wildcard and rest == ".*" and not plus:
        version.wildcard = True
        return version
    rest = parse_suffixes(version, rest)
    return version if rest == "" else None


def parse_release(version: Version, text: str) -> str | None:
    """Reads the release numbers ("1.26.4") into version; the rest."""
    numbers = []
    while True:
        number, text = take_number(text)
        if number is None:
            return None
        numbers.append(number)
        if not (text[:1] == "." and text[1:2].isdigit()):
            version.release = tuple(numbers)
            return text
        text = text[1:]


def parse_suffixes(version: Version, text: str) -> str | None:
    """Reads the pre-, post- and dev-release parts into version; the
    rest, or None when a number is too long."""
    spelling, rest = take_word(text, tuple(w for w, _ in PRE_RELEASES))
    if spelling:
        number, text = take_suffix_number(rest)
        if number is None:
            return None
        version.pre = (dict(PRE_RELEASES)[spelling], number)
    if text[:1] == "-" and text[1:2].isdigit():     # "1.0-1" is a post
        version.post, text = take_number(text[1:])
        if version.post is None:
            return None
    else:
        spelling, rest = take_word(text, POST_RELEASES)
        if spelling:
            version.post, text = take_suffix_number(rest)
            if version.post is None:
                return None
    spelling, rest = take_word(text, ("dev",))
    if spelling:
        version.dev, text = take_suffix_number(rest)
        if version.dev is None:
            return None
    return text


def version_key(version: Version) -> tuple[object, ...]:
    """How packaging orders versions (its _cmpkey), the local part left
    out: trailing zeros of the release do not count, a dev release of a
    final comes before its pre-releases, a pre-release before the final,
    a post-release after it."""
    release = list(version.release)
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    if version.pre is None and version.post is None \
            and version.dev is not None:
        pre = (-1, 0)
    else:
        pre = version.pre if version.pre is not None else (9, 0)
    post = -1 if version.post is None else version.post
    dev = (1, 0) if version.dev is None else (0, version.dev)
    return (version.epoch, tuple(release), pre, post, dev)


def satisfies(version: str, specifier: str) -> bool | None:
    """Whether an installed version meets one specifier ("numpy>=2.0.2"'s
    ">=2.0.2", "~=1.4", "==2.*"), as packaging's Specifier.contains does
    with prereleases=True (pip check's call); None when it cannot tell:
    a version or specifier packaging would refuse, or one it does not
    read (a local part in the specifier, over-long numbers)."""
    operator = next((op for op in SPECIFIER_OPERATORS
                     if specifier.startswith(op)), "")
    wanted_text = specifier[len(operator):].strip()
    if operator == "===":
        return version.lower() == wanted_text.lower() \
            if wanted_text and not any(c.isspace() for c in wanted_text) \
            else None
    have = parse_version(version)
    wanted = parse_version(wanted_text, wildcard=operator in ("==", "!="))
    if not operator or have is None or wanted is None or wanted.local:
        return None
    if operator == "~=":
        if len(wanted.release) < 2:
            return None
        return compare_versions(have, ">=", wanted) and prefix_matches(
            have, wanted.epoch, wanted.release[:-1])
    if wanted.wildcard:
        matches = prefix_matches(have, wanted.epoch, wanted.release)
        return matches if operator == "==" else not matches
    return compare_versions(have, operator, wanted)


def prefix_matches(have: Version, epoch: int, release: tuple[int, ...]
                   ) -> bool:
    """==1.2.*: the epoch and the first release numbers, padded with
    zeros, are these (pre-, post- and dev-releases of them match too)."""
    padded = have.release + (0,) * max(0, len(release) - len(have.release))
    return have.epoch == epoch and padded[:len(release)] == release


def compare_versions(have: Version, operator: str, wanted: Version) -> bool:
    """One ordered comparison, with PEP 440's exclusions as packaging
    reads them: <V excludes V's own pre- and dev-releases (unless V is
    one), >V its post-releases (unless V is one) and its local
    versions."""
    mine, theirs = version_key(have), version_key(wanted)
    if operator in ("==", "!="):
        return (mine == theirs) == (operator == "==")
    if operator in (">=", "<="):
        return mine >= theirs if operator == ">=" else mine <= theirs
    if operator == "<":
        if wanted.pre is None and wanted.dev is None:
            # Below V's earliest release: its first dev release.
            floor = Version()
            floor.epoch, floor.release = wanted.epoch, wanted.release
            floor.post, floor.dev = wanted.post, 0
            theirs = version_key(floor)
        return mine < theirs
    if mine <= theirs:
        return False
    return not (wanted.post is None and wanted.dev is None
                and have.post is not None
                and version_key(have)[:3] == theirs[:3])


def marker_environment() -> dict[str, str]:
    """PEP 508's marker variables for this interpreter, as far as sys
    tells them (no extra is requested: "extra" is empty)."""
    platform = {"win32": "Windows", "darwin": "Darwin", "linux": "Linux"}
    return {
        "python_version": "%d.%d" % sys.version_info[:2],
        "python_full_version": "%d.%d.%d" % sys.version_info[:3],
        "sys_platform": sys.platform,
        "platform_system": platform.get(sys.platform, sys.platform),
        "os_name": "nt" if sys.platform == "win32" else "posix",
        "implementation_name": sys.implementation.name,
        "platform_python_implementation": {
            "cpython": "CPython", "pypy": "PyPy"}.get(
                sys.implementation.name, sys.implementation.name),
        "extra": "",
    }


def marker_words(marker: str) -> list[str] | None:
    """A marker's tokens, as packaging's tokenizer reads them: quoted
    strings (kept as '"' + their text), brackets, operators and names;
    None for a character no marker holds, or an unclosed quote."""
    words: list[str] = []
    rest = marker.strip()
    while rest:
        first = rest[0]
        if first in "'\"":
            end = rest.find(first, 1)
            if end < 0:
                return None
            words.append('"' + rest[1:end])
        elif first in "()":
            end = 0
            words.append(first)
        else:
            kind = "<>=!~" if first in "<>=!~" else \
                "abcdefghijklmnopqrstuvwxyz_."
            end = len(rest) - len(rest.lstrip(kind)) - 1
            if end < 0:
                return None
            words.append(rest[:end + 1])
        rest = rest[end + 1:].lstrip()
    return words


def evaluate_marker(marker: str, env: dict[str, str]) -> bool | None:
    """A PEP 508 marker, read and evaluated as packaging's Marker does:
    comparisons joined by "and" (before "or") and brackets. None when it
    is not a marker packaging reads, when it names what is not known
    here (platform_machine, say), or nests over MAX_DEPTH brackets."""
    words = marker_words(marker)
    if not words:
        return None
    result = parse_or(words, env, 0)
    return result if not words else None


# "or" and "and" over answers that may be unknown (None): one true side
# makes "or" true and one false side makes "and" false, whatever the other.
def either(one: bool | None, other: bool | None) -> bool | None:
    if one is True or other is True:
        return True
    if one is None or other is None:
        return None
    return False


def both(one: bool | None, other: bool | None) -> bool | None:
    if one is False or other is False:
        return False
    if one is None or other is None:
        return None
    return True


def parse_or(words: list[str], env: dict[str, str], depth: int
             ) -> bool | None:
    """Consumes or-joined groups of and-joined comparisons."""
    result: bool | None = False
    while True:
        group = parse_and(words, env, depth)
        result = either(result, group)
        if words[:1] != ["or"]:
            return result
        words.pop(0)


def parse_and(words: list[str], env: dict[str, str], depth: int
              ) -> bool | None:
    """Consumes and-joined comparisons or bracketed groups."""
    result: bool | None = True
    while True:
        if words[:1] == ["("]:
            words.pop(0)
            if depth >= MAX_DEPTH:
                return refuse_marker(words)
            item = parse_or(words, env, depth + 1)
            if words[:1] != [")"]:
                return refuse_marker(words)
            words.pop(0)
        else:
            item = compare_marker(words, env)
        result = both(result, item)
        if words[:1] != ["and"]:
            return result
        words.pop(0)


def compare_marker(words: list[str], env: dict[str, str]) -> bool | None:
    """One "variable op value", either side the variable (packaging's
    _evaluate_markers): a version comparison for the version variables,
    else == and != compare text, in and not in look for it."""
    if len(words) < 3:
        return refuse_marker(words)
    left, op = words.pop(0), words.pop(0)
    if op == "not" and words[:1] == ["in"]:
        op += " " + words.pop(0)
    right = words.pop(0)
    key = right if left.startswith('"') else left
    if left.startswith('"') == right.startswith('"') \
            or op not in MARKER_OPERATORS or key not in MARKER_VARIABLES:
        return refuse_marker(words)     # two strings, or two variables
    if op in ("~=", "===") and key not in VERSION_VARIABLES:
        return refuse_marker(words)     # for text, packaging raises
    if key not in env:
        return None                     # platform_machine, say
    a = left[1:] if left.startswith('"') else env[key]
    b = right[1:] if right.startswith('"') else env[key]
    if op in ("in", "not in"):
        return (a in b) == (op == "in")
    answer = satisfies(a, op + b) if key in VERSION_VARIABLES else None
    if answer is not None:
        return answer
    if op in ("~=", "==="):     # not a version: packaging raises
        return refuse_marker(words)
    if key in VERSION_VARIABLES and parse_version(b, True) is not None:
        return None             # a version compared with no version
    # Text compared as text: packaging's own answers for <, <=, >= and >
    # changed between its versions, so these are not told.
    return {"==": a == b, "!=": a != b}.get(op)


def refuse_marker(words: list[str]) -> bool | None:
    """A comparison packaging refuses makes the whole marker refused (it
    raises, whatever "and" and "or" around it): the words left are
    replaced by one no marker holds, which evaluate_marker refuses."""
    words[:] = ["(not a marker)"]
    return None


def installed_version(name: str, known: dict[str, str | None]
                      ) -> str | None:
    """The version of an installed distribution (a normalized name), read
    once: known holds what was read before."""
    from importlib import metadata

    if name not in known:
        try:
            known[name] = metadata_version(
                metadata.distribution(name).read_text("METADATA") or "")
        except metadata.PackageNotFoundError:
            known[name] = None
    return known[name]


def split_requirement(line: str) -> tuple[str, str, str, str] | None:
    """(name, specifiers, URL, marker) of a PEP 508 requirement, split as
    packaging's Requirement splits it (a URL ends at white space, the
    marker follows ";"); None when it is not one this script reads."""
    text = line.strip()
    cut = len(text) - len(text.lstrip(NAME_CHARACTERS))
    name, rest = text[:cut], text[cut:].lstrip()
    if not name or not (name[0] + name[-1]).isalnum():
        return None
    if rest.startswith("["):                # extras: no bearing here
        rest = rest.partition("]")[2].lstrip() if "]" in rest else ";"
    if rest.startswith("@"):
        url, _, after = rest[1:].strip().partition(" ")
        after = after.strip()
        if not url or after and not after.startswith(";"):
            return None
        return name, "", url, after[1:].strip()
    specifiers, semicolon, marker = rest.partition(";")
    specifiers = specifiers.strip()
    if specifiers.startswith("(") and specifiers.endswith(")"):
        specifiers = specifiers[1:-1].strip()
    if semicolon and not marker.strip() or "(" in specifiers:
        return None
    return name, specifiers, "", marker.strip()


def check_requirement(line: str, env: dict[str, str],
                      known: dict[str, str | None]) -> Unmet | None:
    """pip check's verdict on one Requires-Dist line: None when it is met
    or does not apply here (an extra, another platform); else what is
    wrong, or why this script cannot tell."""
    parts = split_requirement(line) if len(line) <= MAX_REQUIREMENT \
        else None
    if parts is None:
        return Unmet(shown_requirement(line[:MAX_REQUIREMENT]), None,
                     "not a requirement this script reads")
    name, specifiers, url, marker = parts
    shown = name + (" @ " + shown_url(url) if url
                    else specifiers.replace(" ", ""))
    applies = evaluate_marker(marker, env) if marker else True
    if applies is False:
        return None
    if applies is None:
        return Unmet(clipped(shown, 100), None,
                     "its marker is not one this script reads")
    version = installed_version(normalize(name), known)
    verdicts = [satisfies(version, spec) for spec in
                specifiers.split(",")] if specifiers and version else []
    if version is not None and (url or all(verdicts)):
        return None             # any version meets a URL's requirement
    problem = Unmet(clipped(shown, 100), escaped(version or "") or None)
    if version is not None and False not in verdicts:
        problem.unread = "a version or specifier this script does not read"
    problem.name = name
    problem.fix = "" if url else name + specifiers.replace(" ", "")
    return problem


def requirement_problems(packages: list[Package]) -> list[Unmet]:
    """Each unmet requirement of the loaded packages, as pip check finds
    them, and those it cannot check. Requirements for extras, other
    platforms or other Pythons do not count."""
    env = marker_environment()
    known = {normalize(p.dist): p.version for p in packages
             if p.found and not p.hidden_by}
    problems = []
    for package in packages:
        if not package.found or package.hidden_by:
            continue
        for line in package.requires:
            problem = check_requirement(line, env, known)
            if problem is not None:
                problem.who = "%s %s" % (package.dist, clipped(
                    package.version or "(version unknown)", 30))
                problems.append(problem)
    return problems


# --- requirements.txt and poetry.lock, read by small strict parsers --------

def normalize(name: str) -> str:
    """PEP 503 name normalization: 'Python_Dotenv' -> 'python-dotenv'."""
    return "-".join(name.lower().replace("_", "-").replace(".", "-").split())


def version_tuple(text: str) -> tuple[int, ...] | None:
    parts = text.split(".")
    # isdigit() alone takes "²": int() does not; and int() is slow on
    # thousands of digits (Python refuses over 4300).
    if not (text.isascii() and all(part.isdigit() and len(part) <= MAX_DIGITS
                                   for part in parts)):
        return None
    return tuple(int(part) for part in parts)


def marker_applies(marker: str, python: tuple[int, int]) -> bool | None:
    """Evaluate simple ``python_version`` markers joined by ``and``.

    Returns None for anything else: such a marker is not understood, and
    the comparison says so rather than guessing.
    """
    compare = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b,
               ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b,
               ">": lambda a, b: a > b, "<": lambda a, b: a < b}
    result = True
    for clause in marker.split(" and "):
        words = clause.replace('"', " ").replace("'", " ").split()
        if len(words) != 3 or words[0] != "python_version" \
                or words[1] not in compare:
            return None
        wanted = version_tuple(words[2])
        if wanted is None:
            return None
        result = result and bool(compare[words[1]](python, wanted[:2]))
    return result


def parse_requirements(text: str) -> dict[str, list[tuple[str, str]]]:
    """``name==version [; marker]`` lines, by normalized name.

    Returns {name: [(version, marker)]}; lines it does not understand go
    under the key "" as (line number, line).
    """
    pins: dict[str, list[tuple[str, str]]] = {"": []}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        requirement, _, marker = line.partition(";")
        name, sep, version = requirement.partition("==")
        name, version = name.strip(), version.strip()
        if not sep or not name or not version_tuple(version) \
                or not all(c.isalnum() or c in "-_." for c in name):
            pins[""].append((str(number), line))
            continue
        pins.setdefault(normalize(name), []).append((version, marker.strip()))
    return pins


def parse_poetry_lock(text: str) -> dict[str, list[tuple[str, str]]]:
    """The name, version and markers of each [[package]] in poetry.lock.

    Only the package table's own ``key = "value"`` lines are read; the lock
    is TOML, and a table header ends the part this needs.
    """
    packages: dict[str, list[tuple[str, str]]] = {}
    current: dict[str, str] = {}
    in_package = False

    def flush() -> None:
        if "name" in current and "version" in current:
            packages.setdefault(normalize(current["name"]), []).append(
                (current["version"], current.get("markers", "")))
        current.clear()

    for line in text.splitlines():
        if line.startswith("["):
            flush()
            in_package = line.strip() == "[[package]]"
            continue
        key, sep, value = line.partition(" = ")
        value = value.strip()
        if in_package and sep and key in ("name", "version", "markers") \
                and len(value) >= 2 and value[0] == value[-1] == '"':
            current[key] = value[1:-1].replace('\\"', '"')
    flush()
    return packages


def pick_version(entries: list[tuple[str, str]] | None,
                 python: tuple[int, int]) -> Pin:
    """The version that applies to this Python among marker-split entries."""
    if not entries:
        return Pin(None, "not listed")
    chosen = []
    for version, marker in entries:
        applies = marker_applies(marker, python) if marker else True
        if applies is None:
            return Pin(None, "marker not understood")
        if applies:
            chosen.append(version)
    if len(chosen) > 1:
        return Pin(None, "several apply")
    return Pin(chosen[0]) if chosen else Pin(None, "none for this Python")


def judge_versions(installed: str | None, pinned: Pin, locked: Pin) -> str:
    """How the installed version stands against the pin and the lock."""
    if installed is None:
        return "not installed"
    problems = []
    if locked.version and locked.version != installed:
        problems.append("differs from the lock")
    if pinned.version and pinned.version != installed:
        problems.append("differs from requirements.txt")
    unclear = {"several apply", "marker not understood"} & {
        pinned.missing, locked.missing}
    if unclear:
        problems.append("cannot tell (%s)" % unclear.pop())
    if problems:
        return ", ".join(problems)
    return "matches" if locked.version or pinned.version else "not pinned"


def pyvenv_keys(cfg_text: str | None) -> list[str]:
    """The keys of a pyvenv.cfg (uv and virtualenv each write their own)."""
    return [line.partition("=")[0].strip().lower()
            for line in (cfg_text or "").splitlines()]


def find_poetry_project(here: str) -> str:
    """The Poetry project the user is in, as a path from where they stand.

    Standing in ex01/ (the script typed as "loading.py"), it is ex01's own
    project, the module's hand-in; elsewhere the whole module's, one level
    up, when it exists; else ex01's ("" means where the user stands).
    """
    root = project_dir(here)
    own = read_text(here + "pyproject.toml") is not None
    if here and read_text(root + "pyproject.toml") is not None:
        return root
    return here if own else root


def compare_managers(packages: list[Package], here: str) -> Comparison:
    """Installed versions against requirements.txt and poetry.lock."""
    python = (sys.version_info[0], sys.version_info[1])
    comparison = Comparison(here + "requirements.txt",
                            find_poetry_project(here) + "poetry.lock")
    requirements_text = read_text(comparison.requirements_path)
    lock_text = read_text(comparison.lock_path)
    comparison.requirements_found = requirements_text is not None
    comparison.lock_found = lock_text is not None
    pins = parse_requirements(requirements_text or "")
    locks = parse_poetry_lock(lock_text or "")
    for package in packages:
        pinned = pick_version(pins.get(package.dist), python) \
            if comparison.requirements_found else Pin(None, "no file")
        locked = pick_version(locks.get(package.dist), python) \
            if comparison.lock_found else Pin(None, "no file")
        comparison.rows.append((package, pinned, locked))
    comparison.not_understood = pins[""]
    comparison.script_dir_hidden = hides_script_dir()
    comparison.in_venv = sys.prefix != sys.base_prefix
    comparison.installers = sorted({p.installer for p in packages
                                    if p.installer})
    comparison.venv_keys = pyvenv_keys(read_text(sys.prefix
                                                 + "/pyvenv.cfg"))
    return comparison


# --- Install commands, to paste where the user stands -----------------------

def pip_command(requirements: str, script: str, wanted: str = "") -> str:
    """The pip route: into this venv with what it has (the requirements
    file, or what is wanted), or into a new one from the requirements
    file (never into a global interpreter, which the module teaches
    against and Debian refuses)."""
    python = quoted(sys.executable)
    if sys.prefix == sys.base_prefix:
        # This very interpreter makes the venv: "python3" may be another.
        return "%s -m venv matrix_env && matrix_env/bin/python -m pip " \
            "install -r %s && matrix_env/bin/python %s" % (
                python, quoted(requirements), quoted(script))
    installer = find_installer()
    wanted = wanted or "-r " + quoted(requirements)
    if installer == "uv":
        return "uv pip install --python %s %s" % (python, wanted)
    command = "%s -m pip install %s" % (python, wanted)
    if installer == "ensurepip":
        command = "%s -m ensurepip && %s" % (python, command)
    return command


def find_installer() -> str:
    """What installs into this venv: "uv" (a uv venv), "pip", or
    "ensurepip" (a venv made without pip); "" outside a venv."""
    if sys.prefix == sys.base_prefix:
        return ""
    if "uv" in pyvenv_keys(read_text(sys.prefix + "/pyvenv.cfg")):
        return "uv"
    if importlib.util.find_spec("pip") is None:
        return "ensurepip"      # made --without-pip, or by a tool
    return "pip"


def poetry_command(here: str, script: str) -> str:
    """The Poetry route: install the project, run the script in it."""
    project = find_poetry_project(here)
    poetry = "poetry -P " + quoted(shown_path(project)) if project \
        else "poetry"
    return "%s install && %s run python %s" % (poetry, poetry, quoted(script))


def install_lines(here: str) -> list[str]:
    """How to install what is missing, pasteable where the user stands."""
    script = here + "loading.py"
    return ["Install the missing packages, then run this program again:",
            "  with pip:    " + pip_command(here + "requirements.txt",
                                            script),
            "  with Poetry: " + poetry_command(here, script)]


# --- Fetching data with requests ------------------------------------------

def shown_url(url: str) -> str:
    """What may be shown of a URL: its scheme, host, port and path; user
    name, password, ;parameters, query and fragment each become ***. An
    invalid host or port hides all but the scheme. (oracle.py holds
    the same rules; tests/test_twins.py keeps the two in step.)

    The userinfo runs to the last "@", so that a password holding "/",
    "?", "#" or "@" unencoded is still taken for a password (and hidden);
    an "@" in a query then hides more than it must, never less. A "\\"
    is no URL's: requests takes it for a "/" and browsers too, so what
    would be shown as the host is not the host contacted.
    """
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme[:1].isalpha() or not url.isprintable() \
            or not all(c.isalnum() or c in "+-." for c in scheme) \
            or "\\" in url or any(c.isspace() for c in url):
        return "(not a URL: hidden)"
    userinfo, at, rest = rest.rpartition("@")
    rest, hash_sign, _ = rest.partition("#")
    rest, question, _ = rest.partition("?")
    hostport, slash, path = rest.partition("/")
    if hostport.startswith("["):                    # an IPv6 address
        close = hostport.find("]") + 1
        host, after = hostport[:close] or hostport, hostport[close:]
        port = after[1:] if after.startswith(":") or not after else "?"
    else:
        host, _, port = hostport.partition(":")
    # isdigit() alone takes "²" and "٣": only ASCII digits make a port.
    if not valid_host(host) or port and not (
            port.isdigit() and port.isascii() and 0 < int(port) < 65536):
        # "user:PASSWORD/db" without "@" reads as host:port: hide it all.
        return scheme.lower() + "://(not a valid host and port: hidden)"
    netloc = host.lower() + (":" + port if port else "")
    if at:
        netloc = ("***:***@" if ":" in userinfo else "***@") + netloc
    # ";name=value" parameters (jsessionid, a DSN's password) are hidden
    # as a query is.
    path, semicolon, _ = path.partition(";")
    return clipped(scheme.lower() + "://" + netloc + slash + path, 100) \
        + (";***" if semicolon else "") + ("?***" if question else "") \
        + ("#***" if hash_sign else "")


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


class TextBuffer:
    """A read-only file over fetched text, for pandas' readers.

    pandas reads any object with read(); io.StringIO would do, but io is
    not among this script's authorized imports.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0
        self.closed = False
        self.mode = "r"             # pandas asks, as of a file

    def read(self, size: int = -1) -> str:
        end = len(self.text) if size < 0 else self.position + size
        chunk = self.text[self.position:end]
        self.position += len(chunk)
        return chunk

    def readline(self) -> str:
        end = self.text.find("\n", self.position)
        return self.read(-1 if end < 0 else end + 1 - self.position)

    def __iter__(self) -> "TextBuffer":
        return self

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 0:             # from the start, as io.SEEK_SET
            self.position = offset
        elif whence == 1:           # from here
            self.position += offset
        else:                       # from the end
            self.position = len(self.text) + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def seekable(self) -> bool:
        return True

    def fileno(self) -> int:
        raise OSError("no file descriptor: this text lives in memory")


class PngBuffer:
    """Where savefig writes: memory, so that the target is opened only once
    the whole picture exists (io.BytesIO would do; io is not authorized)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


def now() -> float:
    """Seconds on the wall clock: pandas is already imported when a fetch
    runs, and the time module is not an authorized import."""
    import pandas as pd

    return float(pd.Timestamp.now("UTC").value) / 1e9


class Deadline:
    """Ends a transfer that outlives FETCH_DEADLINE, headers included.

    requests has no deadline for a whole transfer, only one per read, and
    threads and signals are not authorized imports. So this profile hook,
    which Python calls at every function call while it is set, looks at
    the clock whenever the socket is read (socket.SocketIO.readinto, the
    one way http.client reads, TLS or not): it gives that read no more
    time than is left (a read begun a second before the deadline must not
    wait the whole read timeout), and raises TimeoutError once the
    deadline has passed: a server that trickles its status line, headers
    or body a byte at a time is cut off in time.
    """

    def __init__(self) -> None:
        self.at = now() + FETCH_DEADLINE
        self.cut = False        # a read was given less than READ_TIMEOUT

    def left(self) -> float:
        return self.at - now()

    def __call__(self, frame: object, event: str, _arg: object) -> None:
        if event != "call" or getattr(getattr(frame, "f_code", None),
                                      "co_name", "") != "readinto":
            return
        left = self.left()
        if left <= 0:
            self.cut = True
            raise TimeoutError("deadline")
        reader = getattr(frame, "f_locals", {}).get("self")
        settimeout = getattr(getattr(reader, "_sock", None), "settimeout",
                             None)
        if settimeout is not None:
            self.cut = left < READ_TIMEOUT
            settimeout(min(READ_TIMEOUT, left))


def fetch_text(url: str) -> tuple[str | None, str | None]:
    """The body of ``url`` as text, or an error message.

    The message never repeats the URL: the caller shows it masked.
    """
    import requests

    deadline = Deadline()
    profiler = sys.getprofile()        # a user's profiler, given back after
    sys.setprofile(deadline)
    try:
        with requests.Session() as session:
            body, error = follow_redirects(session, url, deadline)
    except Exception as failure:  # requests and urllib3 raise many kinds
        reason = failure_reason(failure)
        if deadline.cut and reason.startswith("the server stopped"):
            reason = "the transfer took longer than %g s" % FETCH_DEADLINE
        return None, reason
    finally:
        sys.setprofile(profiler)
    if body is None:
        return None, error
    try:
        return body.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return None, "the body is not UTF-8 text"


def follow_redirects(session: "Session", url: str, deadline: Deadline
                     ) -> tuple[bytes | None, str | None]:
    """GET url, and the redirects it answers with, by hand: requests would
    read each redirect's whole body (to reuse the connection), whatever
    its size, before any limit of ours applies."""
    import requests

    auth = requests.utils.get_auth_from_url(url)
    for _ in range(MAX_REDIRECTS + 1):
        left = deadline.left()
        if left <= 0:
            return None, "the transfer took longer than %g s" \
                % FETCH_DEADLINE
        # The environment's proxies and certificate bundle, as requests
        # reads them; not ~/.netrc, which requests would open blindly (a
        # FIFO there would hang the run).
        session.trust_env = True
        settings = session.merge_environment_settings(url, {}, True, None,
                                                      None)
        session.trust_env = False
        verify = True if settings["verify"] is None else settings["verify"]
        if not readable_without_blocking(verify):
            return None, "the TLS certificates it was told to trust cannot " \
                "be read (REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE names a FIFO " \
                "or a device)"
        # The transport adapter itself: Session.send would read the body
        # of a redirect even when told not to follow it.
        request = session.prepare_request(requests.Request(
            "GET", url, auth=auth if any(auth) else None))
        with session.get_adapter(url).send(
                request, stream=True, proxies=settings["proxies"],
                verify=verify, timeout=(
                    min(CONNECT_TIMEOUT, left),
                    min(READ_TIMEOUT, left))) as reply:
            target = session.get_redirect_target(reply)
            if target is None:
                return read_body(reply)
        previous = requests.compat.urlparse(url)
        url = requests.compat.urljoin(reply.url, target)
        # Credentials go on to the same scheme, host and port only.
        following = requests.compat.urlparse(url)
        if any(requests.utils.get_auth_from_url(url)):
            auth = requests.utils.get_auth_from_url(url)
        elif (previous.scheme, previous.hostname, previous.port) != (
                following.scheme, following.hostname, following.port):
            auth = ("", "")
    return None, "more than %d redirects" % MAX_REDIRECTS


def readable_without_blocking(verify: bool | str) -> bool:
    """Whether a certificate bundle requests was told to read is a file or
    folder, or no path at all: opening a FIFO would hang the run."""
    from importlib import _bootstrap_external as files

    if not isinstance(verify, str):
        return True
    try:
        mode = files._path_stat(verify).st_mode  # type: ignore[attr-defined]
    except (OSError, ValueError):
        return True                     # missing: requests says so itself
    return mode & 0o170000 in (0o100000, 0o040000)


def read_body(reply: "Response") -> tuple[bytes | None, str | None]:
    """The body of a reply, read up to FETCH_LIMIT; or None and why."""
    if reply.status_code >= 400:
        # The reason phrase is the server's text, and a server or proxy
        # may echo the request target (query and token) in it: the
        # standard phrase is shown instead.
        return None, ("the server answered HTTP %d %s" % (
            reply.status_code, STATUS_PHRASES.get(reply.status_code, ""))
        ).rstrip()
    declared = reply.headers.get("Content-Length", "")
    if declared and not (declared.isdigit() and declared.isascii()):
        return None, "the reply is not valid HTTP (its Content-Length is " \
            "not a number)"
    # Digits counted before int(): a header of thousands of them is only
    # too large, never a ValueError.
    if declared and (len(declared.lstrip("0")) > 12
                     or int(declared) > FETCH_LIMIT):
        return None, "the body is %s bytes, over the %d MiB limit" % (
            declared, FETCH_LIMIT // (1024 * 1024))
    body = bytearray()
    # read1 returns what one read from the socket brings.
    read = getattr(reply.raw, "read1", reply.raw.read)
    while True:
        chunk = read(65536, decode_content=True)
        if not chunk:
            return bytes(body), None
        body += chunk
        if len(body) > FETCH_LIMIT:
            return None, "the body is over the %d MiB limit" % (
                FETCH_LIMIT // (1024 * 1024))


def failure_reason(error: BaseException) -> str:
    """The real cause of a failed fetch, told by the kinds of exception in
    its chain. Their messages repeat the URL, secrets included: they are
    read here, never shown."""
    names: set[str] = set()
    text = ""
    pending: list[object] = [error]
    seen: list[object] = []
    while pending:
        current = pending.pop()
        if isinstance(current, BaseException) and not any(
                current is other for other in seen):
            seen.append(current)
            names.update(kind.__name__ for kind in type(current).__mro__)
            text += " " + str(current)
            pending += [current.__cause__, current.__context__,
                        getattr(current, "reason", None), *current.args[:1]]
    text = text.lower()
    for kinds, words, reason in FAILURES:
        if names & set(kinds) and (not words or any(w in text for w in words)):
            return reason
    return "the request failed (%s)" % type(error).__name__


# (exception kinds, words of their message (any), what the user is told),
# the first that matches wins. The kinds are requests', urllib3's,
# http.client's, ssl's and the socket's, known by name: urllib3 and
# ssl are not authorized imports.
FAILURES = (
    (("OSError",), ("ca certificate bundle", "ca bundle"),
     "the TLS certificates it was told to trust cannot be read "
     "(REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE names no such file)"),
    (("ProxyError",), (), "the proxy (HTTP_PROXY, HTTPS_PROXY or ALL_PROXY) "
     "refused or failed the connection"),
    (("InvalidSchema",), ("socks",), "the proxy is a SOCKS proxy (socks:// "
     "in ALL_PROXY, HTTP_PROXY or HTTPS_PROXY), which requests reaches only "
     "with PySocks installed: use an http:// proxy, or unset it"),
    (("SSLError", "SSLCertVerificationError"),
     ("certificate verify failed",), "the server's TLS certificate is not "
     "trusted (certificate verify failed)"),
    (("SSLError",), ("wrong version number", "record layer failure",
                     "unknown protocol", "packet length too long",
                     "http request"),
     "the TLS handshake failed: the port does not speak TLS (plain http? "
     "try http://)"),
    (("SSLError",), (), "the TLS handshake failed"),
    (("NameResolutionError", "gaierror"), (),
     "the host name cannot be resolved (no such host, or no DNS)"),
    (("ConnectionRefusedError",), (), "the connection was refused (nothing "
     "listens on that port)"),
    (("ConnectTimeout", "ConnectTimeoutError"), ("timed out",),
     "no connection within %g s" % CONNECT_TIMEOUT),
    (("ReadTimeout", "ReadTimeoutError", "TimeoutError"), (),
     "the server stopped answering (read timeout: %g s to connect and "
     "shake hands, %g s between reads)" % (CONNECT_TIMEOUT, READ_TIMEOUT)),
    (("IncompleteRead", "ChunkedEncodingError"), (),
     "the body ended early (the connection broke during the transfer)"),
    (("ContentDecodingError", "DecodeError"), (),
     "the body's compression is broken"),
    (("TooManyRedirects",), (), "more than %d redirects" % MAX_REDIRECTS),
    (("RemoteDisconnected", "BadStatusLine", "LineTooLong", "ProtocolError",
      "HTTPException", "InvalidHeader"), (), "the reply is not valid HTTP "
     "(or the server closed the connection without one)"),
    (("InvalidSchema", "InvalidURL", "MissingSchema", "LocationParseError",
      "LocationValueError", "URLRequired", "ValueError"), (),
     "the URL (or a redirect's) cannot be fetched"),
    (("ConnectionError", "OSError"), (),
     "cannot connect (host unreachable or no network)"),
)


def is_number(text: str) -> bool:
    """Whether text is a number as a CSV writes one (float() alone also
    takes other scripts' digits, which pandas does not)."""
    if not text.isascii():
        return False
    try:
        float(text)
    except ValueError:
        return False
    return True


def numbers_from_text(text: str) -> tuple[Data | None, str]:
    """The one numeric column of a CSV or JSON body; or None and why there
    is none to analyse."""
    import numpy as np
    import pandas as pd

    frame, kind = read_table(text)
    if frame is None:
        return None, kind
    numeric = [c for c in frame.columns
               if pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])]
    if len(numeric) != 1:
        names = listed([clipped(str(c), 30) for c in numeric]) \
            if numeric else ""
        return None, "expected one numeric column, found %d%s" % (
            len(numeric), " (" + names + ")" if names else "")
    column = frame[numeric[0]].dropna()
    values = column.to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        return None, "the numeric column holds infinite values"
    if len(values) < MIN_POINTS:
        return None, "found %d numbers; the analysis needs at least %d" % (
            len(values), MIN_POINTS)
    peak = float(np.abs(values).max())
    if peak > MAX_MAGNITUDE or 0 < peak < MIN_MAGNITUDE:
        return None, "its values reach %.3g: float64 statistics need " \
            "magnitudes between %g and %g (scale the data)" % (
                peak, MIN_MAGNITUDE, MAX_MAGNITUDE)
    data = Data(values)
    data.kind, data.column = kind, str(numeric[0])
    data.numbers_named = kind == "CSV" and all(
        is_number(str(name).replace(",", ".")) for name in frame.columns)
    return data, ""


def read_table(text: str) -> tuple["DataFrame | None", str]:
    """A body read as a JSON list of records or as a CSV table, and which
    it was; or None and why it is neither."""
    import pandas as pd

    stripped = text.strip()
    if not stripped:
        return None, "the body is empty"
    try:
        if stripped[0] in "[{":
            # precise_float: the numbers as written, to the last bit.
            frame = as_numbers(pd.read_json(TextBuffer(stripped),
                                            orient="records",
                                            precise_float=True))
            mixed = booleans_among_numbers(stripped, frame)
            if mixed:
                return None, mixed
            return frame, "JSON"
        # Only line breaks around a CSV: a tab or separator at the end of
        # its last line is one of its fields.
        stripped = text.strip("\r\n")
        separator, decimal, why = csv_dialect(stripped)
        if why:
            return None, why
        # The first line names the columns, as pandas' read_csv takes it
        # by default, even when it reads as numbers: pandas writes a
        # Series' header as "0" (to_csv), and no rule tells such a name
        # from a first value. source_lines says which was taken.
        # low_memory=False: one type per column, read whole (in chunks,
        # pandas warns of mixed types instead).
        # A separator at the end of every line (spreadsheets write them)
        # makes a column with no value: it is no column of numbers.
        frame = pd.read_csv(TextBuffer(stripped), sep=separator,
                            decimal=decimal, index_col=False,
                            low_memory=False).dropna(axis=1, how="all")
        return as_numbers(frame), "CSV"
    except Exception as error:  # pandas' parsers raise many kinds
        if "too big" in str(error):
            return None, "a number has more digits than a reader of " \
                "JSON takes (write it as 1e23)"
        return None, "not a CSV or JSON table of numbers (%s)" % (
            type(error).__name__)


def booleans_among_numbers(text: str, frame: "DataFrame") -> str:
    """Why a JSON body is refused when a numeric column of its frame held
    true or false among its numbers (pandas reads them as 1 and 0, and
    the statistics would count them), or "". The body is read again
    without pandas' conversions, to see the values as written; only when
    it holds the words at all."""
    import pandas as pd

    if "true" not in text and "false" not in text:
        return ""
    raw = pd.read_json(TextBuffer(text), orient="records",
                       precise_float=True, dtype=False)
    for name in raw.columns:
        if name not in frame.columns or pd.api.types.is_bool_dtype(
                frame[name]) or not pd.api.types.is_numeric_dtype(
                frame[name]):
            continue
        if raw[name].map(lambda value: isinstance(value, bool)).any():
            where = "its array"
            if isinstance(name, str):
                where = "its field %s" % clipped(repr(name), 40)
            return "%s mixes true/false with numbers (pandas would count " \
                "them as 1 and 0): write 1 and 0 if that is what they " \
                "mean" % where
    return ""


def csv_dialect(text: str) -> tuple[str, str, str]:
    """(field separator, decimal mark, "") of a CSV, or why it cannot be
    told. Europe writes 20,5 and separates fields with ";": pandas' own
    guess would take "20,5" for two fields (and its first for an index),
    silently analysing other numbers than the column named. Fields are
    split as pandas' C parser splits them: a '"' opens and closes a
    quoted field, "" inside one is a '"'."""
    records = csv_records(text, 200)
    for separator in (";", "\t", "|"):
        counts = {len(csv_fields(record, separator)) for record in records}
        if len(counts) == 1 and counts != {1}:
            return separator, decimal_mark(records, separator), ""
    return comma_dialect(records)


def csv_records(text: str, limit: int) -> list[str]:
    """The first non-blank records of a CSV: its lines (ended as pandas
    ends them: \\n, \\r\\n or \\r), joined while a quoted field is open."""
    records: list[str] = []
    pending = ""
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        pending = pending + "\n" + line if pending else line
        if pending.count('"') % 2 == 0:
            if pending.strip():
                records.append(pending)
            pending = ""
        if len(records) == limit:
            break
    return records + ([pending] if pending.strip() else [])


def csv_fields(record: str, separator: str) -> list[str]:
    """A record's fields, unquoted."""
    fields = []
    current = ""
    quoted = False
    for character in record:
        if character == '"':
            quoted = not quoted
        elif character == separator and not quoted:
            fields.append(current)
            current = ""
            continue
        current += character
    fields.append(current)
    return [field.strip() for field in fields]


def unquoted(field: str) -> str:
    """A field's text: "12,5" is 12,5."""
    if len(field) >= 2 and field[0] == field[-1] == '"':
        return field[1:-1].replace('""', '"')
    return field


def decimal_mark(records: list[str], separator: str) -> str:
    """"," when a field reads as a number written with a decimal comma."""
    return "," if any(has_decimal_comma(unquoted(field))
                      for record in records
                      for field in csv_fields(record, separator)) else "."


def comma_dialect(records: list[str]) -> tuple[str, str, str]:
    """The dialect of a CSV that has no other separator: comma-separated,
    or a single column of numbers with decimal commas."""
    rows = [len(csv_fields(record, ",")) for record in records]
    header = rows[0]
    alone = next((c for c in (";", "\t", "|", "\x1f")
                  if not any(c in record for record in records)), "")
    quoted_commas = decimal_mark(records, ",") == ","
    if len(set(rows)) == 1 and not quoted_commas:
        return ",", ".", ""
    if len(set(rows)) == 1 and header == 1 and alone:
        # One column of "20,5" in quotes; "32,190" in quotes (a US
        # spreadsheet's thousands) is as ambiguous as 32,190 without them.
        if reads_as_thousands([unquoted(record.strip()) for record in records
                               if has_decimal_comma(unquoted(
                                   record.strip()))]):
            return "", "", THOUSANDS_OR_DECIMALS
        return alone, ",", ""
    if len(set(rows)) == 1:
        return "", "", "its numbers are written with decimal commas in " \
            "a comma-separated file: separate the fields with ';'"
    split = decimal_comma_column(records, rows)
    if split:
        if reads_as_thousands(split):
            return "", "", THOUSANDS_OR_DECIMALS
        if alone:
            return alone, ",", ""   # one column of decimal commas
    if set(rows[1:]) == {header + 1}:
        return "", "", "its rows have one field more than its header: " \
            "decimal commas in a comma-separated file? Separate the " \
            "fields with ';'"
    line = next(number for number, count in enumerate(rows, 1)
                if count != header)
    fields = rows[line - 1]
    return "", "", "its line %d has %d field%s, its header %d" % (
        line, fields, "" if fields == 1 else "s", header)


def reads_as_thousands(numbers: list[str]) -> bool:
    """Whether numbers written with a comma all have three digits after
    it: 1,000 ... 1,049 are thousands or decimals, not a guess to make."""
    return bool(numbers) and all(len(number.partition(",")[2]) == 3
                                 for number in numbers)


def decimal_comma_column(records: list[str], rows: list[int]) -> list[str]:
    """The records written with a decimal comma (20,5) when a CSV is one
    column of numbers, a header of one field perhaps first; [] when it
    is not."""
    start = 1 if rows[0] == 1 and not is_number(unquoted(
        records[0].strip())) else 0
    values = [(record.strip(), count)
              for record, count in zip(records[start:], rows[start:])]
    split = [record for record, count in values if count == 2]
    if all(count <= 2 for _, count in values) \
            and all(has_decimal_comma(record) for record in split) \
            and all(is_number(unquoted(record))
                    or has_decimal_comma(unquoted(record))
                    for record, count in values if count == 1):
        return split
    return []


def has_decimal_comma(field: str) -> bool:
    """Whether a field reads as a number written with a decimal comma."""
    whole, comma, fraction = field.strip().partition(",")
    return bool(comma) and is_number(whole + "." + fraction) \
        and whole.lstrip("+-").isdigit() and fraction.isdigit()


def as_numbers(frame: "DataFrame") -> "DataFrame":
    """Columns of text whose every value is a number, as numbers: pandas
    keeps integers beyond 64 bits (99999999999999999999999) as text."""
    import pandas as pd

    for name in frame.columns:
        column = frame[name]
        if column.dtype == object:
            numbers = pd.to_numeric(column, errors="coerce")
            if numbers.notna().sum() == column.notna().sum() > 0:
                frame[name] = numbers.astype("float64")
    return frame


def load_data(options: Options) -> tuple[Data | None, str]:
    """The data to analyse, or None and why it cannot be had."""
    if options.source is None:
        values, injected = simulate(options.points, options.seed)
        data = Data(values)
        data.seed, data.injected = options.seed, injected
        return data, ""
    shown = shown_url(options.source)
    text, error = fetch_text(options.source)
    if text is None:
        return None, "cannot use %s: %s" % (shown, error)
    fetched, why = numbers_from_text(text)
    if fetched is None:
        return None, "cannot use %s: %s" % (shown, why)
    fetched.source = options.source
    return fetched, ""


# --- The analysis ---------------------------------------------------------

def simulate(points: int, seed: int) -> tuple["Floats", "Indices"]:
    """A noisy periodic signal with a few injected anomalies.

    Returns (values, indices of the injected anomalies). Built in place so
    that memory stays a few arrays of ``points`` floats.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    noise_sigma = 0.5
    values = rng.standard_normal(points) * noise_sigma
    wave = np.arange(points, dtype=np.float64)
    wave *= 2 * np.pi * 5 / points          # five cycles over the series
    np.sin(wave, out=wave)
    wave *= 3.0
    values += wave
    del wave
    count = min(20, max(3, points // 200))
    where = np.sort(rng.choice(points, size=count, replace=False))
    sizes = rng.uniform(6, 10, size=count) * noise_sigma
    values[where] += np.where(rng.random(count) < 0.5, -sizes, sizes)
    return values, where.astype(np.int64)


def analyse(data: Data) -> tuple[Analysis, Figure]:
    """Rolling statistics and anomalies, computed with pandas and numpy,
    and the figure's data."""
    import numpy as np
    import pandas as pd

    values = data.values
    points = len(values)
    window = max(3, min(25, points // 20)) | 1      # odd, centred
    series = pd.Series(values, copy=False)
    rolling = rolling_mean(series, window)
    # Measured from the residuals' median: on a curve, a centred mean is
    # off by the same amount all along (a parabola's curvature), which is
    # no anomaly.
    residual = values - rolling
    residual -= np.median(residual)
    sigma = noise_level(residual, values)
    strength = pd.Series(np.abs(residual) / sigma, copy=False)
    found = strength[strength > ANOMALY_SIGMA]
    analysis = Analysis(points, window, sigma)
    analysis.mean, analysis.std = float(series.mean()), float(series.std())
    analysis.low, analysis.high = float(series.min()), float(series.max())
    analysis.found = len(found)
    analysis.strongest_at = int(strength.to_numpy().argmax())
    analysis.strongest = float(strength.max())
    if points > 2 * PLOT_BINS:
        analysis.per_bin = -(-points // PLOT_BINS)
    planted = data.injected if data.injected is not None \
        else np.array([], dtype=np.int64)
    if data.injected is not None:
        analysis.injected = len(planted)
        analysis.matched = len(np.intersect1d(found.index, planted))
    strongest = found.sort_values(ascending=False, kind="stable")
    marked = np.sort(strongest.index.to_numpy()[:MAX_MARKED])
    figure = reduce_for_figure(analysis, values, rolling, residual)
    figure.marked_x, figure.marked_y = marked.tolist(), \
        values[marked].tolist()
    figure.injected_x, figure.injected_y = planted.tolist(), \
        values[planted].tolist()
    return analysis, figure


def rolling_mean(series: "Series", window: int) -> "Floats":
    """The centred rolling mean; near each end, where a centred window does
    not fit, the parabola through the nearest full windows' means carried
    on to the end. A window cut short at an end is off-centre: on any
    trend its mean lags, and made false anomalies of the first and last
    points. The means are smooth (a spike weighs 1/window in them), so a
    spike at an end does not bend the curve its neighbours are judged by."""
    import numpy as np

    rolling: "Floats" = series.rolling(window, center=True).mean().to_numpy(
        dtype=np.float64, copy=True)
    half = window // 2
    near = np.arange(window, dtype=np.float64)    # the nearest full means
    ends = np.arange(-half, 0, dtype=np.float64)  # the points beyond them
    first = rolling[half:half + window]
    curve = np.polyfit(near, first, 2)
    rolling[:half] = np.polyval(curve, ends)
    last = rolling[len(rolling) - half - window:len(rolling) - half]
    curve = np.polyfit(near, last[::-1], 2)
    rolling[len(rolling) - half:] = np.polyval(curve, ends)[::-1]
    return rolling


def noise_level(residual: "Floats", values: "Floats") -> float:
    """A robust standard deviation of the residuals, measured from their
    median (the median absolute deviation): the anomalies themselves must
    not inflate the yardstick that finds them."""
    import numpy as np

    # Residuals below ROUNDING of the values' typical size are float64's
    # rounding, not noise: a smooth series in floats (1.5, 3.1...) must be
    # judged as the same series in integers, whose residuals are exact
    # zeros. And no yardstick below 1e-100 of the largest value: noise that
    # small next to a large spike (1e-300 and 1e50) would make strengths
    # infinite.
    magnitudes = np.abs(values)
    floor = max(float(np.median(magnitudes)) * ROUNDING,
                float(magnitudes.max()) * 1e-100)
    spread = np.abs(residual)
    sigma = float(np.median(spread)) * 1.4826
    if sigma <= floor:
        sigma = float(spread.mean())
    return max(sigma, floor) or 1.0


def reduce_for_figure(analysis: Analysis, values: "Floats",
                      rolling: "Floats", residual: "Floats") -> Figure:
    """The curves and the histogram, reduced to a few thousand values:
    everything O(points) happens here, so that drawing costs the same for
    ten million points as for ten thousand."""
    import numpy as np

    figure = Figure()
    limit = max(analysis.strongest, ANOMALY_SIGMA) * 1.05 * analysis.sigma
    counts, edges = np.histogram(residual, bins=120, range=(-limit, limit))
    figure.counts = counts.tolist()
    figure.edges = (edges / analysis.sigma).tolist()
    if analysis.per_bin == 1:
        figure.x = list(range(analysis.points))
        figure.signal = values.tolist()
        figure.rolling = rolling.tolist()
        return figure
    # A faithful reduction: the min and max of each bin keep every spike
    # visible; the rolling mean is smooth, its bin mean will do.
    starts = np.linspace(0, analysis.points, PLOT_BINS + 1).astype(
        np.int64)[:-1]
    counts_per_bin = np.diff(np.append(starts, analysis.points))
    figure.x = starts.tolist()
    figure.low = np.minimum.reduceat(values, starts).tolist()
    figure.high = np.maximum.reduceat(values, starts).tolist()
    figure.rolling = (np.add.reduceat(rolling, starts)
                      / counts_per_bin).tolist()
    return figure


# --- The figure -------------------------------------------------------------

def plain_number(value: float, _position: object = None) -> str:
    return "%g" % value


def figure_title(data: Data) -> str:
    if data.source is None:
        return "Simulated Matrix data (seed %d)" % data.seed
    return "Matrix data from " + shown_url(data.source)


def render_png(analysis: Analysis, figure: Figure,
               title: str) -> tuple[bytes | None, str]:
    """Two panels drawn into PNG bytes, in memory; or None and why not."""
    try:
        return draw(analysis, figure, title), ""
    except Exception as error:  # fonts, Pillow, a configuration: anything
        lines = str(error).strip().splitlines()
        return None, "cannot draw the figure: %s%s" % (
            type(error).__name__, ": " + clipped(lines[0], 120)
            if lines else "")


def draw(analysis: Analysis, figure: Figure, title: str) -> bytes:
    """The figure as PNG bytes."""
    import matplotlib

    # Agg renders to files only: no display needed, and it overrides any
    # GUI backend named by MPLBACKEND or a matplotlibrc.
    matplotlib.use("Agg", force=True)
    # The script's own look whatever a matplotlibrc says (text.usetex with
    # no LaTeX installed would fail): matplotlib's defaults, then these.
    # Unhinted glyphs (their outlines as drawn, not fitted to the pixel
    # grid) read as well at this size and render faster; text is drawn as
    # written, never parsed as $math$ (a URL may hold "$").
    matplotlib.rcdefaults()
    matplotlib.rcParams.update({"text.hinting": "none",
                                "text.parse_math": False})
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.ticker import MaxNLocator

    canvas = MplFigure(figsize=(11, 7), dpi=100)
    canvas.subplots_adjust(left=0.085, right=0.98, bottom=0.07, top=0.95,
                           hspace=0.3)
    series_ax, histogram_ax = canvas.subplots(2, 1, height_ratios=(3, 2))
    # Five ticks per axis read as well as nine, and each tick costs a
    # millisecond to build in a fresh process.
    for axis in (series_ax.xaxis, series_ax.yaxis, histogram_ax.xaxis):
        axis.set_major_locator(MaxNLocator(5))
    draw_series(series_ax, analysis, figure, title)
    draw_residuals(histogram_ax, figure)
    png = PngBuffer()
    # zlib's fastest level: a file 10% larger than at the default level,
    # written in two thirds of the time.
    # (savefig writes to any object with write(); its stubs ask for IO.)
    canvas.savefig(png, format="png",  # type: ignore[arg-type]
                   pil_kwargs={"compress_level": 1})
    return b"".join(png.parts)


def draw_series(axes: "Axes", analysis: Analysis, figure: Figure,
                title: str) -> None:
    """The top panel: the signal, its rolling mean and the anomalies."""
    if analysis.per_bin > 1:
        axes.fill_between(figure.x, figure.low, figure.high, step="post",
                          color="#2ca02c", alpha=0.6, linewidth=0,
                          label="signal (min-max of each %d points)"
                          % analysis.per_bin)
    else:
        axes.plot(figure.x, figure.signal, color="#2ca02c", linewidth=0.8,
                  label="signal")
    axes.plot(figure.x, figure.rolling, color="black", linewidth=1,
              label="rolling mean (%d points)" % analysis.window)
    shown = len(figure.marked_x)
    axes.scatter(figure.marked_x, figure.marked_y, color="red", marker="x",
                 zorder=3, label="anomalies found (%d%s)" % (
                     analysis.found, ", strongest %d marked" % shown
                     if shown < analysis.found else ""))
    if analysis.injected is not None:
        axes.scatter(figure.injected_x, figure.injected_y,
                     facecolors="none", edgecolors="blue", s=80, zorder=3,
                     label="anomalies injected (%d)" % analysis.injected)
    axes.margins(y=0.3)             # room for the legend above the data
    axes.set_title(title)
    axes.set_xlabel("data point")
    axes.set_ylabel("signal")
    axes.legend(loc="upper left", ncols=2, fontsize="small")


def draw_residuals(axes: "Axes", figure: Figure) -> None:
    """The bottom panel: the histogram of residuals and the threshold."""
    from matplotlib.ticker import FuncFormatter, NullLocator

    axes.stairs(figure.counts, figure.edges, fill=True, color="#1f77b4")
    axes.vlines((-ANOMALY_SIGMA, ANOMALY_SIGMA), 0, 1,
                transform=axes.get_xaxis_transform(), colors="red",
                linestyles="--", linewidth=1)
    axes.set_yscale("log")
    # Plain "%g" labels: the default 10^n labels go through mathtext,
    # whose parser costs more than the rest of the figure to set up.
    axes.yaxis.set_major_formatter(FuncFormatter(plain_number))
    axes.yaxis.set_minor_locator(NullLocator())
    # The title names the dashed lines, which spares a second legend (each
    # costs about 10 ms to lay out in a fresh process).
    axes.set_title("Residuals (signal - rolling mean); dashed: the anomaly "
                   "threshold, %g sigma" % ANOMALY_SIGMA)
    axes.set_xlabel("residual, in robust standard deviations")
    axes.set_ylabel("count (log scale)")


def save(png: bytes, output: str) -> str | None:
    """Write the finished PNG whole, or say why not: an interrupted or a
    concurrent run leaves at output the previous figure or a new one,
    never a part or a mix.

    importlib's own atomic writer (CPython writes its bytecode cache with
    it; os is not an authorized import) writes a temporary file beside
    output, then renames it over output. It is not public API:
    tests/test_loading.py pins it on every supported Python.
    """
    from importlib import _bootstrap_external as files

    shown = clipped(output, 200)
    try:
        mode = files._path_stat(output).st_mode  # type: ignore[attr-defined]
    except OSError:
        mode = 0o100666                     # a new name (or a dangling link)
    except ValueError:                      # a NUL byte in the name
        return "cannot write %s: not a valid file name" % shown
    if mode & 0o170000 != 0o100000:
        # A FIFO would block the run; a device is no place for a figure.
        return "cannot write %s: it is not a regular file (a folder, FIFO " \
            "or device); name a .png file" % shown
    target = output
    for _ in range(3):
        try:
            # The temporary name ends with id(target): when it is taken
            # (another run, or a killed one), another string has another.
            files._write_atomic(  # type: ignore[attr-defined]
                target, png, mode & 0o666)
            break
        except FileExistsError:
            target = (output + "/")[:-1]
        except OSError as error:
            return "cannot write %s: %s (nothing was written)" % (
                shown, error.strerror or "error")
    else:
        return "cannot write %s: its temporary names are taken" % shown
    # The writer makes one write() and does not check its count: a disk
    # that fills up midway (or a file size limit) takes a part silently.
    # A whole PNG (this run's, or a concurrent run's) ends with IEND.
    if not ends_like_a_png(output):
        return "cannot write %s: the disk is full (or a file size limit " \
            "was reached) and the file is incomplete: delete it" % shown
    return None


def ends_like_a_png(path: str) -> bool:
    """Whether the file ends with a PNG's last chunk (IEND)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            handle.seek(max(0, handle.tell() - len(PNG_END)))
            return handle.read() == PNG_END
    except OSError:
        return False


# --- Rendering --------------------------------------------------------------

def dependency_lines(packages: list[Package]) -> list[str]:
    lines = ["Checking dependencies:"]
    for package in packages:
        version = clipped(package.version or "version unknown", 40)
        if not package.found:
            lines.append("[MISSING] %s - needed for %s"
                         % (package.dist, package.role.lower()))
        elif package.hidden_by:
            lines.append("[HIDDEN] %s (%s) - import %s loads %s instead"
                         % (package.dist, version if package.copies
                            else "not installed", package.module,
                            escaped(package.hidden_by)))
        elif package.broken:
            lines.append("[BROKEN] %s (%s) - cannot be imported: %s"
                         % (package.dist, version, package.broken))
        else:
            lines.append("[OK] %s (%s) - %s ready"
                         % (package.dist, version, package.role))
    return lines


def pin_cell(pin: Pin) -> str:
    if pin.version:
        return escaped(pin.version)
    return {"no file": "(no file)", "not listed": "-",
            "none for this Python": "- (none for Python %d.%d)"
            % sys.version_info[:2]}.get(pin.missing, "? (%s)" % pin.missing)


def describe_manager(comparison: Comparison) -> str:
    """Which tool runs this environment, from what it left behind."""
    if not comparison.in_venv:
        return "the global interpreter (no virtual environment)"
    poetry = [name for name in comparison.installers
              if name.lower().startswith("poetry")]
    if poetry:
        return "Poetry (its virtualenv; packages installed by %s)" % poetry[0]
    if "uv" in comparison.venv_keys:
        return "uv (a uv virtual environment)"
    if "virtualenv" in comparison.venv_keys:
        return "pip in a virtualenv"
    return "pip in a venv"


def comparison_lines(comparison: Comparison) -> list[str]:
    header = ("package", "installed", "requirements.txt", "poetry.lock",
              "installed by", "verdict")
    table = [header] + [
        (package.dist, clipped(package.version or "-", 40), pin_cell(pinned),
         pin_cell(locked), clipped(package.installer or "-", 20),
         judge_versions(package.version if package.found else None,
                        pinned, locked))
        for package, pinned, locked in comparison.rows]
    widths = [max(len(row[i]) for row in table) for i in range(5)]
    requirements = escaped(comparison.requirements_path)
    lock = escaped(comparison.lock_path)
    lines = ["pip versus Poetry:",
             "This environment is run by %s." % describe_manager(comparison),
             "Compared with: %s (pip) and %s (Poetry)" % (requirements, lock)]
    for row in table:
        lines.append("  ".join(cell.ljust(width) for cell, width
                               in zip(row, widths)) + "  " + row[5])
    lines += [
        "pip installs what requirements.txt pins, into whichever "
        "environment runs it.",
        "Poetry resolves pyproject.toml, records the whole tree in "
        "poetry.lock, and installs",
        "exactly that locked tree into the project's own virtualenv.",
    ]
    if not comparison.requirements_found:
        lines.append("%s not found: no pip pins to compare." % requirements)
        if comparison.script_dir_hidden:
            lines.append("If this script is a link: under -P, -I or "
                         "PYTHONSAFEPATH Python does not tell where the "
                         "real one is; run it by its real path.")
    for number, line in comparison.not_understood[:MAX_REPORTED]:
        lines.append("%s line %s not understood: %s" % (
            requirements, number, shown_requirement(line)))
    if len(comparison.not_understood) > MAX_REPORTED:
        lines.append("... and %d more lines not understood" % (
            len(comparison.not_understood) - MAX_REPORTED))
    if not comparison.lock_found:
        lines.append("%s not found: no Poetry lock to compare." % lock)
    return [line.rstrip() for line in lines]


def shown_requirement(line: str) -> str:
    """A requirements.txt line that is not a pin, as it may be shown: a
    name and version specifiers are; an option (-i, --extra-index-url) or
    a URL is not, for credentials live there (https://user:TOKEN@...)."""
    name = line[:len(line) - len(line.lstrip(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."))]
    if not name[:1].isalnum() or "@" in line or "://" in line or any(
            word.startswith("-") for word in line.split()):
        return "(an option or a URL: not shown, it may hold a credential)"
    return clipped(line)


def hidden_lines(hidden: list[Package]) -> list[str]:
    """What hides each hidden package, and what to do about it."""
    lines = ["Earlier on sys.path than the installed packages, and imported "
             "in their place:"]
    for package in hidden:
        fix = "rename or move it"
        if package.hidden_from == "PYTHONPATH":
            fix = "unset PYTHONPATH (or take that folder out of it), or " + fix
        lines.append("  %s (from %s): %s" % (escaped(package.hidden_by),
                                             package.hidden_from, fix))
    return lines


def copies_lines(packages: list[Package]) -> list[str]:
    """Which copy of a package installed more than once loads."""
    lines = ["Installed more than once (import loads the first it finds on "
             "sys.path):"]
    for package in packages:
        copies = package.copies if len(package.copies) > 1 else []
        shown = 0
        for number, (folder, version) in enumerate(copies):
            loads = not package.hidden_by and number == package.loaded_copy
            if number < MAX_REPORTED or loads:
                shown += 1
                lines.append("  %s %s in %s: %s" % (
                    package.dist, clipped(version, 30), escaped(folder),
                    "loads" if loads else "hidden"))
        if shown < len(copies):
            lines.append("  ... and %d more copies of %s" % (
                len(copies) - shown, package.dist))
    return lines


def requirement_lines(problems: list[Unmet], here: str) -> list[str]:
    """Unmet requirements, worded as pip check words them (MAX_REPORTED
    at most, then how many more), and the command that installs what the
    shown ones ask for (into this venv; from a global interpreter, into a
    new one, as pip_command does)."""
    lines = ["Requirements of the installed packages (as pip check reads "
             "them):"]
    shown = problems[:MAX_REPORTED]
    for problem in shown:
        if problem.unread:
            lines.append("%s requires %s: not checked (%s)" % (
                problem.who, problem.requirement, problem.unread))
        elif problem.installed is None:
            lines.append("%s requires %s, which is not installed" % (
                problem.who, problem.requirement))
        else:
            lines.append("%s requires %s, but %s %s is installed" % (
                problem.who, problem.requirement, problem.name,
                clipped(problem.installed, 30)))
    if len(problems) > len(shown):
        lines.append("... and %d more" % (len(problems) - len(shown)))
    fixes = [p.fix for p in shown if p.fix and not p.unread]
    if fixes:
        lines.append("Fix: " + pip_command(
            here + "requirements.txt", here + "loading.py",
            " ".join(quoted(fix) for fix in fixes)))
    if any(not p.fix and not p.unread for p in shown):
        lines.append("A requirement installed from a URL is shown without "
                     "its credentials: install it from the URL you hold.")
    return lines


def broken_lines(package: Package, problems: list[Unmet]) -> list[str]:
    """What to do about a package that is installed but fails to import."""
    reinstall = "%s -m pip install --force-reinstall %s" % (
        quoted(sys.executable), package.dist)
    if problems:
        return ["A package is installed but cannot be imported: meet the "
                "requirements above first (reinstalling %s alone would not "
                "change them)." % package.dist]
    if package.dist != "matplotlib":
        return ["A package is installed but broken. Reinstall it: "
                + reinstall]
    # matplotlib reads its configuration as it is imported: MPLBACKEND and
    # the first matplotlibrc of MATPLOTLIBRC, ./matplotlibrc,
    # ~/.config/matplotlib; no reinstall mends a bad one.
    where = "fix or unset MPLBACKEND, or fix or move the matplotlibrc " \
        "that matplotlib reads (MATPLOTLIBRC, ./matplotlibrc, " \
        "~/.config/matplotlib/matplotlibrc)"
    if package.broken and is_configuration_error(package.broken):
        return ["matplotlib is installed, but its configuration names an "
                "invalid value (see the error above): %s." % where]
    return ["matplotlib is installed but cannot be imported. If its "
            "configuration is at fault, %s; otherwise reinstall it: %s"
            % (where, reinstall)]


def shown_number(value: float) -> str:
    """Three decimals, or three significant digits for values so large or
    so small that decimals would hide them (fetched data may be 1e-90)."""
    value += 0.0                        # -0.0 reads as 0.000
    if value == 0 or 1e-3 <= abs(value) < 1e9:
        return "%.3f" % value
    return "%.3e" % value


def shown_sigmas(value: float) -> str:
    """A strength in sigmas: one decimal, or three significant digits past
    a million (a 5e99 spike over unit noise is not 100 digits long)."""
    return "%.1f" % value if value < 1e6 else "%.3g" % value


def source_lines(source: str, data: Data) -> list[str]:
    """What was fetched, before the analysis."""
    lines = ["Data source: " + shown_url(source),
             "Received: %s, %d values from column %s" % (
                 data.kind, len(data.values), clipped(repr(data.column), 40))]
    if data.numbers_named:
        lines.append("Its first line is read as the columns' names, as "
                     "pandas reads a CSV: if it holds values to analyse, "
                     "add a line of names above it.")
    return lines


def results_lines(analysis: Analysis) -> list[str]:
    """The true results, for the section after the subject's block."""
    lines = [
        "Results:",
        "Points analysed: %d (rolling window of %d points)"
        % (analysis.points, analysis.window),
        "Signal: mean %s, std %s, min %s, max %s" % tuple(
            map(shown_number, (analysis.mean, analysis.std,
                               analysis.low, analysis.high))),
        "Noise level (robust sigma of residuals): %s"
        % shown_number(analysis.sigma),
        "Anomalies found (|residual| > %g sigma): %d"
        % (ANOMALY_SIGMA, analysis.found),
    ]
    if analysis.injected is not None:
        lines.append("Injected: %d, found: %d, missed: %d, false alarms: %d"
                     % (analysis.injected, analysis.matched,
                        analysis.injected - analysis.matched,
                        analysis.found - analysis.matched))
    lines.append("Strongest: point %d at %s sigma"
                 % (analysis.strongest_at, shown_sigmas(analysis.strongest)))
    return lines


# --- Main -------------------------------------------------------------------

def check_dependencies(source: str | None) -> list[Package]:
    """Every package's facts; when all are there and none is hidden, the
    ones this run needs imported, stopping at the first that fails."""
    origins = path_origins()
    packages = [find_package(dist, module, role, origins)
                for dist, module, role in PACKAGES]
    if all(package.found and not package.hidden_by
           for package in packages):
        needed = ANALYSIS_IMPORTS + (("requests",) if source else ())
        for module in needed:
            package = next(p for p in packages if p.module == module)
            import_quietly(package)
            if package.broken:
                break       # what follows imports the broken one again
    return packages


def run(options: Options) -> int:
    """The story of a run: check, compare, then analyse and draw."""
    here = script_dir()
    show(["LOADING STATUS: Loading programs..."])
    packages = check_dependencies(options.source)
    show([""] + dependency_lines(packages))
    # A package that failed to import is explained by its error instead.
    notes = [note for package in packages if not package.broken
             for note in library_notes(package.dist, package.said,
                                       "as it was imported")]
    if notes:
        show([""] + notes)
    hidden = [package for package in packages if package.hidden_by]
    if hidden:
        show([""] + hidden_lines(hidden))
    if any(len(package.copies) > 1 for package in packages):
        show([""] + copies_lines(packages))
    problems = requirement_problems(packages)
    if problems:
        show([""] + requirement_lines(problems, here))
    show([""] + comparison_lines(compare_managers(packages, here)))
    if not all(package.found and (package.copies or not package.hidden_by)
               for package in packages):
        show([""] + install_lines(here))
        return 1
    broken = [package for package in packages if package.broken]
    if broken:
        unmet = [problem for problem in problems if not problem.unread]
        show([""] + broken_lines(broken[0], unmet))
    if hidden or broken:
        return 1
    return analyse_and_draw(options)


def analyse_and_draw(options: Options) -> int:
    """The subject's analysis: load, analyse, draw, save, report."""
    data, error = load_data(options)
    if data is None:
        say_error(error)
        return 1
    if data.source is not None:
        show([""] + source_lines(data.source, data))
    show(["", "Analyzing Matrix data...",
          "Processing %d data points..." % len(data.values)])
    analysis, figure = analyse(data)
    show(["Generating visualization..."])
    catcher = catch_stderr()
    try:
        png, error = render_png(analysis, figure, figure_title(data))
    finally:
        notes = library_notes("matplotlib", release_stderr(catcher),
                              "as it drew the figure")
    failure = save(png, options.output) if png is not None else error
    if failure:
        say_error(failure)
        return 1
    show(["", "Analysis complete!",
          "Results saved to: %s" % clipped(options.output, 200)])
    show([""] + results_lines(analysis))
    if notes:
        show([""] + notes)
    return 0


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
            show([HELP])
            return 0
        return run(options)
    except KeyboardInterrupt:
        say_error("interrupted")
        return 130
    except OutputError as failure:
        say_error("cannot write the output: %s" % failure)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
