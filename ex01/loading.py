#!/usr/bin/env python3
"""Are my dependencies here, which versions, installed by pip or by Poetry?

Then a real analysis: simulated (or fetched) "Matrix data" analysed with
numpy and pandas, drawn with matplotlib into a PNG.

Every dependency is looked up without being imported (importlib.util and
importlib.metadata read the installed files); the heavy libraries are
imported only once every check has passed, so a missing package costs a
fraction of a second and never a traceback.
"""
import importlib
import importlib.util
import sys

# Checked before any function is defined, so that an old interpreter stops
# here with one clear line instead of a traceback further down.
if sys.version_info < (3, 10):
    sys.exit("loading.py needs Python 3.10 or later; this is Python %d.%d."
             % sys.version_info[:2])

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

FETCH_TIMEOUT = (3.05, 10.0)        # seconds: (connect, between two reads)
FETCH_LIMIT = 16 * 1024 * 1024      # bytes of body accepted from --source
SECRET_QUERY_WORDS = ("key", "token", "secret", "pass", "sig", "auth")

ANOMALY_SIGMA = 5.0                 # |residual| above this many sigmas
PLOT_BINS = 2000                    # about the figure's width in pixels
MAX_MARKED = 1000                   # anomalies drawn at most, strongest first

USAGE = ("usage: loading.py [--points N] [--seed N] [--source URL] "
         "[--output PATH] [-h]")
HELP = USAGE + """

Checks that pandas, requests, matplotlib and numpy are installed (without
importing them), compares their versions with ex01/requirements.txt and
poetry.lock, then analyses Matrix data and saves a figure.

options:
  --points N     simulated data points (%d to %d, default %d)
  --seed N       random seed of the simulation (default %d): same seed,
                 same numbers, same picture
  --source URL   analyse numbers fetched from an http(s) URL instead: a CSV
                 with one numeric column, or a JSON array of numbers (or of
                 objects with one numeric field); at most %d MiB
  --output PATH  where to write the PNG (default %s)
  -h, --help     show this help and exit

exit status: 0 success, 1 a problem to fix (missing or broken dependency,
failed fetch, unwritable output), 2 bad usage, 130 interrupted.""" % (
    MIN_POINTS, MAX_POINTS, DEFAULT_POINTS, DEFAULT_SEED,
    FETCH_LIMIT // (1024 * 1024), DEFAULT_OUTPUT)


# --- Command line ---------------------------------------------------------

def parse_int(text: str, low: int, high: int) -> int | None:
    """A whole number within [low, high], or None."""
    digits = text.replace("_", "")
    if not digits.isdigit() or not digits.isascii() or len(digits) > 30:
        return None
    value = int(digits)
    return value if low <= value <= high else None


def parse_args(argv: list[str]) -> tuple[dict[str, object], str | None]:
    """Options from argv, parsed by hand, and an error message or None."""
    options: dict[str, object] = {
        "points": DEFAULT_POINTS, "seed": DEFAULT_SEED, "source": None,
        "output": DEFAULT_OUTPUT, "help": False}
    given: set[str] = set()
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg in ("-h", "--help"):
            options["help"] = True
            return options, None
        name, sep, value = arg.partition("=")
        if name not in ("--points", "--seed", "--source", "--output"):
            return options, "unknown argument: %s" % arg
        if not sep:
            if not args:
                return options, "%s needs a value" % name
            value = args.pop(0)
        given.add(name)
        if name == "--points":
            points = parse_int(value, MIN_POINTS, MAX_POINTS)
            if points is None:
                return options, "--points takes a whole number from %d to " \
                    "%d, not %r" % (MIN_POINTS, MAX_POINTS, value)
            options["points"] = points
        elif name == "--seed":
            seed = parse_int(value, 0, MAX_SEED)
            if seed is None:
                return options, "--seed takes a whole number from 0 to " \
                    "2**64-1, not %r" % value
            options["seed"] = seed
        elif name == "--source":
            if not value.lower().startswith(("http://", "https://")):
                return options, "--source takes an http:// or https:// URL"
            options["source"] = value
        else:
            if not value.lower().endswith(".png"):
                return options, "--output must name a .png file, not %r" \
                    % value
            options["output"] = value
    if "--source" in given and given & {"--points", "--seed"}:
        return options, "--source analyses fetched data: it takes neither " \
            "--points nor --seed"
    return options, None


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
    so it gives install commands they can paste; __file__ is absolute.
    """
    typed = sys.argv[0] if sys.argv else ""
    if typed.replace("\\", "/").endswith("/loading.py") \
            or typed == "loading.py":
        return parent_dir(typed)
    return parent_dir(__file__)


def read_text(path: str) -> str | None:
    """A small text file's content, or None when it cannot be read."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


# --- Facts about the installed packages -----------------------------------

def installed_package(dist: str, module: str) -> dict[str, object]:
    """Whether a package is importable, its version and installer.

    find_spec locates a top-level module without executing it, and
    importlib.metadata reads the dist-info files, so nothing is imported.
    """
    from importlib import metadata

    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    version = installer = None
    if found:
        try:
            distribution = metadata.distribution(dist)
            # Read as text, not through .version, which parses the whole
            # file (pandas' and matplotlib's hold their full README) with
            # the email package: a few milliseconds per package.
            version = metadata_version(distribution.read_text("METADATA")
                                       or distribution.read_text("PKG-INFO")
                                       or "")
            installer = (distribution.read_text("INSTALLER") or "").strip()
        except metadata.PackageNotFoundError:
            pass
    return {"found": found, "version": version,
            "installer": installer or None}


def metadata_version(text: str) -> str | None:
    """The Version field of a core metadata file, whose fields are the
    lines before the first blank one."""
    for line in text.partition("\n\n")[0].splitlines():
        name, colon, value = line.partition(":")
        if colon and name.strip().lower() == "version":
            return value.strip() or None
    return None


def import_failure(module: str) -> str | None:
    """Import a checked package; the first line of its error, or None."""
    try:
        importlib.import_module(module)
    except Exception as error:  # a broken install can raise anything
        lines = str(error).strip().splitlines()
        return "%s: %s" % (type(error).__name__, lines[0]) if lines \
            else type(error).__name__
    return None


# --- requirements.txt and poetry.lock, read by small strict parsers --------

def normalize(name: str) -> str:
    """PEP 503 name normalization: 'Python_Dotenv' -> 'python-dotenv'."""
    return "-".join(name.lower().replace("_", "-").replace(".", "-").split())


def version_tuple(text: str) -> tuple[int, ...] | None:
    parts = text.split(".")
    if not all(part.isdigit() for part in parts):
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
                 python: tuple[int, int]) -> str:
    """The version that applies to this Python among marker-split entries."""
    if not entries:
        return "-"
    chosen = []
    for version, marker in entries:
        applies = marker_applies(marker, python) if marker else True
        if applies is None:
            return "? (marker not understood)"
        if applies:
            chosen.append(version)
    if len(chosen) > 1:
        return "? (several apply)"
    return chosen[0] if chosen else "- (none for Python %d.%d)" % python


def verdict(installed: str | None, pinned: str, locked: str) -> str:
    """How the installed version stands against the pin and the lock
    (either may be a note such as "-" or "(no file)" instead)."""
    if installed is None:
        return "not installed"
    is_locked, is_pinned = version_tuple(locked), version_tuple(pinned)
    problems = []
    if is_locked and locked != installed:
        problems.append("differs from the lock")
    if is_pinned and pinned != installed:
        problems.append("differs from requirements.txt")
    if problems:
        return ", ".join(problems)
    return "matches" if is_locked or is_pinned else "not pinned"


def environment_manager(installers: list[str], in_venv: bool,
                        cfg_text: str | None) -> str:
    """Which tool runs this environment, from what it left behind."""
    if not in_venv:
        return "the global interpreter (no virtual environment)"
    poetry = [name for name in installers
              if name.lower().startswith("poetry")]
    if poetry:
        return "Poetry (its virtualenv; packages installed by %s)" % poetry[0]
    keys = [line.partition("=")[0].strip().lower()
            for line in (cfg_text or "").splitlines()]
    if "uv" in keys:
        return "uv (a uv virtual environment)"
    if "virtualenv" in keys:
        return "pip in a virtualenv"
    return "pip in a venv"


def compare_managers(packages: dict[str, dict[str, object]],
                     here: str) -> dict[str, object]:
    """Installed versions against requirements.txt and poetry.lock."""
    python = (sys.version_info[0], sys.version_info[1])
    requirements_path = here + "requirements.txt"
    lock_path = project_dir(here) + "poetry.lock"
    requirements_text = read_text(requirements_path)
    lock_text = read_text(lock_path)
    pins = parse_requirements(requirements_text or "")
    locks = parse_poetry_lock(lock_text or "")
    rows = []
    for dist, _, _ in PACKAGES:
        facts = packages[dist]
        installed = facts["version"] if isinstance(facts["version"], str) \
            else None
        pinned = pick_version(pins.get(dist), python) \
            if requirements_text is not None else "(no file)"
        locked = pick_version(locks.get(dist), python) \
            if lock_text is not None else "(no file)"
        rows.append((dist, installed or "-", pinned, locked,
                     str(facts["installer"] or "-"),
                     verdict(installed, pinned, locked)))
    installers = sorted({row[4] for row in rows if row[4] != "-"})
    in_venv = sys.prefix != sys.base_prefix
    notes = []
    if requirements_text is None:
        notes.append("%s not found: no pip pins to compare." %
                     requirements_path)
    for number, line in pins[""]:
        notes.append("%s line %s not understood: %s" %
                     (requirements_path, number, line))
    if lock_text is None:
        notes.append("%s not found: no Poetry lock to compare." % lock_path)
    return {
        "rows": rows,
        "manager": environment_manager(
            installers, in_venv, read_text(sys.prefix + "/pyvenv.cfg")),
        "notes": notes,
    }


# --- Fetching data with requests ------------------------------------------

def mask_url(url: str) -> str:
    """The URL with its password (or token) and secret query values hidden.

    The credentials end at the last "@" before the query, so a password
    holding an unencoded "/" or "@" is still hidden whole.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    rest, hash_mark, fragment = rest.partition("#")
    before_query, qmark, query = rest.partition("?")
    userinfo, at, location = before_query.rpartition("@")
    if at:
        user, colon, _ = userinfo.partition(":")
        safe_user = colon and "/" not in user
        location = (user + ":***@" if safe_user else "***@") + location
    if qmark:
        fields = []
        for field in query.split("&"):
            key, eq, value = field.partition("=")
            if eq and any(w in key.lower() for w in SECRET_QUERY_WORDS):
                value = "***"
            fields.append(key + eq + value)
        location += "?" + "&".join(fields)
    return scheme + "://" + location + hash_mark + fragment


class TextBuffer:
    """A read-only file over fetched text, for pandas' readers.

    pandas reads any object with read(); io.StringIO would do, but io is
    not among this script's authorized imports.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0
        self.closed = False

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


def fetch_text(url: str) -> tuple[str | None, str | None]:
    """The body of ``url`` as text, or an error message.

    The message never repeats the URL: the caller shows it masked.
    """
    import requests

    try:
        with requests.get(url, timeout=FETCH_TIMEOUT, stream=True) as reply:
            if reply.status_code >= 400:
                return None, "the server answered HTTP %d %s" % (
                    reply.status_code, reply.reason or "")
            declared = reply.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > FETCH_LIMIT:
                return None, "the body is %s bytes, over the %d MiB limit" % (
                    declared, FETCH_LIMIT // (1024 * 1024))
            body = bytearray()
            for chunk in reply.iter_content(chunk_size=65536):
                body += chunk
                if len(body) > FETCH_LIMIT:
                    return None, "the body is over the %d MiB limit" % (
                        FETCH_LIMIT // (1024 * 1024))
    except requests.exceptions.ConnectTimeout:
        return None, "no connection within %g s" % FETCH_TIMEOUT[0]
    except requests.exceptions.ReadTimeout:
        return None, "no data for %g s (read timeout)" % FETCH_TIMEOUT[1]
    except requests.exceptions.ConnectionError:
        return None, "cannot connect (refused, unreachable or no network)"
    except requests.exceptions.RequestException as error:
        # requests' messages repeat the URL, secrets included: name the kind.
        return None, "the request failed (%s)" % type(error).__name__
    try:
        return bytes(body).decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return None, "the body is not UTF-8 text"


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def numbers_from_text(text: str) -> tuple[object, str | None]:
    """The one numeric column of a CSV or JSON body, and a description.

    Returns (numpy array, description) or (None, error message).
    """
    import numpy as np
    import pandas as pd

    stripped = text.strip()
    if not stripped:
        return None, "the body is empty"
    try:
        if stripped[0] in "[{":
            frame = pd.read_json(TextBuffer(stripped), orient="records")
            kind = "JSON"
        else:
            frame = pd.read_csv(TextBuffer(stripped))
            kind = "CSV"
            if all(is_number(str(name)) for name in frame.columns):
                # The first line holds numbers: the file has no header.
                frame = pd.read_csv(TextBuffer(stripped), header=None)
    except Exception as error:  # pandas' parsers raise many kinds
        return None, "not a CSV or JSON table of numbers (%s)" % (
            type(error).__name__)
    numeric = [c for c in frame.columns
               if pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])]
    if len(numeric) != 1:
        return None, "expected one numeric column, found %d%s" % (
            len(numeric),
            (" (" + ", ".join(str(c) for c in numeric) + ")") if numeric
            else "")
    column = frame[numeric[0]].dropna()
    values = column.to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        return None, "the numeric column holds infinite values"
    if len(values) < MIN_POINTS:
        return None, "found %d numbers; the analysis needs at least %d" % (
            len(values), MIN_POINTS)
    label = str(numeric[0])
    return values, "%s, %d values from column %r" % (kind, len(values), label)


# --- The analysis ---------------------------------------------------------

def simulate(points: int, seed: int) -> tuple[object, object]:
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
    return values, where


def analyse(values: object, injected: object
            ) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Rolling statistics and anomalies, computed with pandas and numpy.

    Returns (numbers for the report, the figure's data reduced to a few
    thousand values whatever the number of points).
    """
    import numpy as np
    import pandas as pd

    assert isinstance(values, np.ndarray)
    points = len(values)
    window = max(3, min(25, points // 20)) | 1      # odd, centred
    series = pd.Series(values, copy=False)
    rolling = series.rolling(window, center=True, min_periods=1).mean()
    residual = (series - rolling).to_numpy()
    # A robust noise level (median absolute deviation): the anomalies
    # themselves must not inflate the yardstick that finds them.
    spread = np.abs(residual - np.median(residual))
    sigma = float(np.median(spread)) * 1.4826 or float(spread.mean()) or 1.0
    del spread
    strength = pd.Series(np.abs(residual) / sigma, copy=False)
    found = strength[strength > ANOMALY_SIGMA]
    numbers = {
        "points": points, "window": window, "sigma": sigma,
        "mean": float(series.mean()), "std": float(series.std()),
        "min": float(series.min()), "max": float(series.max()),
        "found": len(found),
        "strongest_at": int(strength.to_numpy().argmax()),
        "strongest": float(strength.max()),
        "per_bin": -(-points // PLOT_BINS) if points > 2 * PLOT_BINS else 1,
    }
    if isinstance(injected, np.ndarray):
        numbers["injected"] = len(injected)
        numbers["matched"] = len(np.intersect1d(found.index, injected))
    # The figure's data: everything O(points) happens here, so that drawing
    # costs the same for ten million points as for ten thousand.
    strongest = found.sort_values(ascending=False, kind="stable")
    marked = np.sort(strongest.index.to_numpy()[:MAX_MARKED])
    limit = max(numbers["strongest"], ANOMALY_SIGMA) * 1.05
    counts, edges = np.histogram(residual, bins=120,
                                 range=(-limit * sigma, limit * sigma))
    planted = injected if isinstance(injected, np.ndarray) \
        else np.array([], dtype=np.int64)
    plot = {"marked_x": marked.tolist(), "marked_y": values[marked].tolist(),
            "injected_x": planted.tolist(),
            "injected_y": values[planted].tolist(),
            "counts": counts.tolist(), "edges": (edges / sigma).tolist()}
    if numbers["per_bin"] > 1:
        # A faithful reduction: the min and max of each bin keep every
        # spike visible; the rolling mean is smooth, its bin mean will do.
        starts = np.linspace(0, points, PLOT_BINS + 1).astype(np.int64)[:-1]
        counts_per_bin = np.diff(np.append(starts, points))
        plot.update(
            x=starts.tolist(),
            low=np.minimum.reduceat(values, starts).tolist(),
            high=np.maximum.reduceat(values, starts).tolist(),
            rolling=(np.add.reduceat(rolling.to_numpy(), starts)
                     / counts_per_bin).tolist())
    else:
        plot.update(x=list(range(points)), signal=values.tolist(),
                    rolling=rolling.tolist())
    return numbers, plot


def plain_number(value: float, _position: object = None) -> str:
    return "%g" % value


def draw(numbers: dict[str, float], plot: dict[str, list[float]],
         title: str, output: str) -> str | None:
    """Two panels into a PNG; an error message when it cannot be written."""
    import matplotlib

    # Agg renders to files only: no display needed, and it overrides any
    # GUI backend named by MPLBACKEND or a matplotlibrc.
    matplotlib.use("Agg", force=True)
    # Unhinted glyphs (their outlines as drawn, not fitted to the pixel
    # grid by FreeType's hinter) read as well at this size and render
    # faster: 7 of the figure's 95 ms in a fresh process.
    matplotlib.rcParams["text.hinting"] = "none"
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

    figure = Figure(figsize=(11, 7), dpi=100)
    figure.subplots_adjust(left=0.085, right=0.98, bottom=0.07, top=0.95,
                           hspace=0.3)
    series_ax, histogram_ax = figure.subplots(2, 1, height_ratios=(3, 2))
    # Five ticks per axis read as well as nine, and each tick costs a
    # millisecond to build in a fresh process.
    for axis in (series_ax.xaxis, series_ax.yaxis, histogram_ax.xaxis):
        axis.set_major_locator(MaxNLocator(5))
    if numbers["per_bin"] > 1:
        series_ax.fill_between(plot["x"], plot["low"], plot["high"],
                               step="post", color="#2ca02c", alpha=0.6,
                               linewidth=0, label="signal (min-max of each "
                               "%d points)" % numbers["per_bin"])
    else:
        series_ax.plot(plot["x"], plot["signal"], color="#2ca02c",
                       linewidth=0.8, label="signal")
    series_ax.plot(plot["x"], plot["rolling"], color="black", linewidth=1,
                   label="rolling mean (%d points)" % numbers["window"])
    shown = len(plot["marked_x"])
    series_ax.scatter(plot["marked_x"], plot["marked_y"], color="red",
                      marker="x", zorder=3, label="anomalies found (%d%s)" % (
                          numbers["found"], ", strongest %d marked" % shown
                          if shown < numbers["found"] else ""))
    if "injected" in numbers:
        series_ax.scatter(plot["injected_x"], plot["injected_y"],
                          facecolors="none", edgecolors="blue", s=80,
                          zorder=3, label="anomalies injected (%d)"
                          % numbers["injected"])
    series_ax.margins(y=0.3)        # room for the legend above the data
    series_ax.set_title(title)
    series_ax.set_xlabel("data point")
    series_ax.set_ylabel("signal")
    series_ax.legend(loc="upper left", ncols=2, fontsize="small")

    histogram_ax.stairs(plot["counts"], plot["edges"], fill=True,
                        color="#1f77b4")
    histogram_ax.vlines((-ANOMALY_SIGMA, ANOMALY_SIGMA), 0, 1,
                        transform=histogram_ax.get_xaxis_transform(),
                        colors="red", linestyles="--", linewidth=1)
    histogram_ax.set_yscale("log")
    # Plain "%g" labels: the default 10^n labels go through mathtext,
    # whose parser costs more than the rest of the figure to set up.
    histogram_ax.yaxis.set_major_formatter(FuncFormatter(plain_number))
    histogram_ax.yaxis.set_minor_locator(NullLocator())
    # The title names the dashed lines, which spares a second legend (each
    # costs about 10 ms to lay out in a fresh process).
    histogram_ax.set_title("Residuals (signal - rolling mean); dashed: the "
                           "anomaly threshold, %g sigma" % ANOMALY_SIGMA)
    histogram_ax.set_xlabel("residual, in robust standard deviations")
    histogram_ax.set_ylabel("count (log scale)")
    try:
        # zlib's fastest level: a file 10% larger than at the default
        # level, written in two thirds of the time.
        figure.savefig(output, format="png", pil_kwargs={"compress_level": 1})
    except OSError as error:
        return "cannot write %s: %s" % (output, error.strerror or error)
    return None


def results_lines(numbers: dict[str, float]) -> list[str]:
    """The true results, for the section after the subject's block."""
    lines = [
        "Results:",
        "Points analysed: %d (rolling window of %d points)"
        % (numbers["points"], numbers["window"]),
        "Signal: mean %.3f, std %.3f, min %.3f, max %.3f"
        % (numbers["mean"], numbers["std"], numbers["min"], numbers["max"]),
        "Noise level (robust sigma of residuals): %.3f" % numbers["sigma"],
        "Anomalies found (|residual| > %g sigma): %d"
        % (ANOMALY_SIGMA, numbers["found"]),
    ]
    if "injected" in numbers:
        lines.append("Injected: %d, found: %d, missed: %d, false alarms: %d"
                     % (numbers["injected"], numbers["matched"],
                        numbers["injected"] - numbers["matched"],
                        numbers["found"] - numbers["matched"]))
    lines.append("Strongest: point %d at %.1f sigma"
                 % (numbers["strongest_at"], numbers["strongest"]))
    return lines


# --- Rendering and main ---------------------------------------------------

def dependency_lines(packages: dict[str, dict[str, object]],
                     broken: dict[str, str]) -> list[str]:
    lines = ["Checking dependencies:"]
    for dist, _, role in PACKAGES:
        facts = packages[dist]
        version = facts["version"] or "version unknown"
        if not facts["found"]:
            lines.append("[MISSING] %s - needed for %s"
                         % (dist, role.lower()))
        elif dist in broken:
            lines.append("[BROKEN] %s (%s) - cannot be imported: %s"
                         % (dist, version, broken[dist]))
        else:
            lines.append("[OK] %s (%s) - %s ready" % (dist, version, role))
    return lines


def comparison_lines(comparison: dict[str, object]) -> list[str]:
    header = ("package", "installed", "requirements.txt", "poetry.lock",
              "installed by", "verdict")
    rows = comparison["rows"]
    assert isinstance(rows, list)
    table = [header] + rows
    widths = [max(len(row[i]) for row in table) for i in range(5)]
    lines = ["pip versus Poetry:",
             "This environment is run by %s." % comparison["manager"]]
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
    notes = comparison["notes"]
    assert isinstance(notes, list)
    return [line.rstrip() for line in lines + notes]


def install_lines(here: str) -> list[str]:
    """How to install what is missing, with paths the user can paste."""
    in_venv = sys.prefix != sys.base_prefix
    lines = ["Install the missing packages, then run this program again:"]
    if in_venv:
        lines.append("  with pip:    %s -m pip install -r %srequirements.txt"
                     % (sys.executable, here))
    else:
        lines.append("  with pip:    python3 -m venv matrix_env && "
                     "source matrix_env/bin/activate && "
                     "pip install -r %srequirements.txt" % here)
    lines.append("  with Poetry: poetry install && poetry run python %s"
                 "loading.py" % here)
    return lines


def load_data(options: dict[str, object]
              ) -> tuple[object, object, str, list[str]]:
    """(values, injected anomalies, figure title, lines about the source).

    On a failed fetch, values is None and the one line says why.
    """
    source = options["source"]
    if not isinstance(source, str):
        values, injected = simulate(int(str(options["points"])),
                                    int(str(options["seed"])))
        return values, injected, "Simulated Matrix data (seed %s)" \
            % options["seed"], []
    shown = mask_url(source)
    text, error = fetch_text(source)
    values, description = (None, error) if text is None \
        else numbers_from_text(text)
    if values is None:
        return None, None, "", ["cannot use %s: %s" % (shown, description)]
    return values, None, "Matrix data from " + shown, [
        "Data source: " + shown, "Received: %s" % description]


def say(lines: list[str]) -> None:
    """Print one block of lines after a blank line (the block separator)."""
    print("\n" + "\n".join(lines), flush=True)


def main(argv: list[str]) -> int:
    options, error = parse_args(argv)
    if error:
        print(USAGE + "\nloading.py: error: " + error, file=sys.stderr)
        return 2
    if options["help"]:
        print(HELP, flush=True)
        return 0
    here = script_dir()
    print("LOADING STATUS: Loading programs...", flush=True)
    packages = {dist: installed_package(dist, module)
                for dist, module, _ in PACKAGES}
    missing = [d for d, facts in packages.items() if not facts["found"]]
    broken: dict[str, str] = {}
    if not missing:
        for module in ANALYSIS_IMPORTS + (
                ("requests",) if options["source"] else ()):
            failure = import_failure(module)
            if failure:
                broken[module] = failure
                break       # what follows imports the broken one again
    say(dependency_lines(packages, broken))
    say(comparison_lines(compare_managers(packages, here)))
    if missing:
        say(install_lines(here))
        return 1
    if broken:
        say(["A package is installed but broken. Reinstall it: "
             "%s -m pip install --force-reinstall %s"
             % (sys.executable, next(iter(broken)))])
        return 1
    values, injected, title, about = load_data(options)
    if values is None:
        print("loading.py: " + about[0], file=sys.stderr)
        return 1
    if about:
        say(about)
    assert hasattr(values, "__len__")
    say(["Analyzing Matrix data...",
         "Processing %d data points..." % len(values)])
    numbers, plot = analyse(values, injected)
    print("Generating visualization...", flush=True)
    output = str(options["output"])
    error = draw(numbers, plot, title, output)
    if error:
        print("loading.py: " + error, file=sys.stderr)
        return 1
    say(["Analysis complete!", "Results saved to: %s" % output])
    say(results_lines(numbers))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("\nloading.py: interrupted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        # Whoever read stdout has gone (| head): close it here, or Python's
        # own flush at exit fails again with a second, noisier error.
        try:
            sys.stdout.close()
        except BrokenPipeError:
            pass
        print("loading.py: output closed early (broken pipe)", file=sys.stderr)
        sys.exit(1)
