#!/usr/bin/env python3
"""Is this Python interpreter isolated? A diagnosis of the running interpreter.

The verdict follows PEP 405: an interpreter runs in a virtual environment when
``sys.prefix`` (where this environment lives) differs from ``sys.base_prefix``
(where the interpreter it was made from is installed).  ``VIRTUAL_ENV`` is only
a hint left by a shell's ``activate`` script: it says what a shell activated,
not which interpreter is running, so it never decides the verdict.
"""
import os
import site
import sys

# Checked before any function is defined, so that an old interpreter stops
# here with one clear line instead of a traceback further down.
if sys.version_info < (3, 10):
    sys.exit("construct.py needs Python 3.10 or later; this is Python %d.%d."
             % sys.version_info[:2])

# The subject's two blocks, verbatim.
PLUGGED_IN = """\
MATRIX STATUS: You're still plugged in

Current Python: {executable}
Virtual Environment: None detected

WARNING: You're in the global environment!
The machines can see everything you install.

To enter the construct, run:
python -m venv matrix_env
source matrix_env/bin/activate # On Unix
matrix_env\\Scripts\\activate # On Windows

Then run this program again."""
IN_THE_CONSTRUCT = """\
MATRIX STATUS: Welcome to the construct

Current Python: {executable}
Virtual Environment: {name}
Environment Path: {prefix}

SUCCESS: You're in an isolated environment!
Safe to install packages without affecting
the global system.

Package installation path:
{install_dir}"""

USAGE = "usage: construct.py [-h]"
HELP = USAGE + """

Tells whether this Python interpreter runs in an isolated (virtual)
environment, where it installs packages and where the global ones live.
It changes nothing and exits 0 on any supported Python."""

# Where interpreters keep third-party packages: CPython's site-packages,
# Debian's dist-packages.
PACKAGE_DIR_NAMES = ("site-packages", "dist-packages")
# pyvenv.cfg keys that name the tool which wrote it; the standard library's
# venv writes none of them.
CREATOR_KEYS = ("uv", "virtualenv")


# --- Reading the facts --------------------------------------------------

def parse_pyvenv_cfg(text: str) -> dict[str, str]:
    """``key = value`` lines, read as site.py reads them (keys lowercased);
    comments and lines without "=" are ignored."""
    config = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and not key.lstrip().startswith("#"):
            config[key.strip().lower()] = value.strip()
    return config


def read_pyvenv_cfg(prefix: str) -> dict[str, str] | None:
    try:
        with open(os.path.join(prefix, "pyvenv.cfg"),
                  errors="replace") as cfg:
            return parse_pyvenv_cfg(cfg.read())
    except OSError:
        return None


def last_name(path: str) -> str:
    """The last name of a POSIX or Windows path."""
    return path.replace("\\", "/").rstrip("/").rpartition("/")[2]


def package_dirs(paths: list[str]) -> list[str]:
    """The package directories among paths from ``site`` or sys.path (on
    Windows, getsitepackages() also lists the prefix itself)."""
    return [path for path in paths if last_name(path) in PACKAGE_DIR_NAMES]


def site_dirs(prefix: str | None = None) -> list[str]:
    """site.getsitepackages() here or for ``prefix``: it knows the platform's
    layout (Debian's dist-packages, Windows' Lib\\site-packages). Empty when
    it is missing, as in old virtualenv releases' site.py."""
    if not hasattr(site, "getsitepackages"):
        return []
    return site.getsitepackages([prefix] if prefix else None)


def existing(paths: list[str]) -> list[str]:
    """The paths that exist (site lists candidates that may not), or all."""
    return [path for path in paths if os.path.isdir(path)] or paths


def gather_facts() -> dict[str, object]:
    """Everything the report needs, read once from sys, os and site."""
    real_prefix = getattr(sys, "real_prefix", None)
    global_prefix = real_prefix or sys.base_prefix
    # Without getsitepackages, sys.path still shows where this interpreter
    # looks; the global interpreter's directories are then unknown.
    own_dirs = package_dirs(site_dirs() or sys.path)
    global_dirs = own_dirs if global_prefix == sys.prefix \
        else package_dirs(site_dirs(global_prefix))
    user_site_on = site.ENABLE_USER_SITE and hasattr(site,
                                                     "getusersitepackages")
    return {
        "executable": sys.executable or "(unknown)", "prefix": sys.prefix,
        "base_prefix": sys.base_prefix, "real_prefix": real_prefix,
        "version": "%d.%d.%d" % sys.version_info[:3],
        "virtual_env": os.environ.get("VIRTUAL_ENV"),
        "conda": os.path.isdir(os.path.join(sys.prefix, "conda-meta")),
        "conda_name": os.environ.get("CONDA_DEFAULT_ENV"),
        "cfg": read_pyvenv_cfg(sys.prefix),
        "install_dirs": existing(own_dirs),
        "global_dirs": existing(global_dirs),
        "user_site": site.getusersitepackages() if user_site_on else None,
        # What the import system really searches, whatever a flag says.
        "global_visible": global_prefix != sys.prefix
        and any(path in sys.path for path in global_dirs),
    }


# --- Deciding ------------------------------------------------------------

def text(facts: dict[str, object], key: str) -> str:
    value = facts.get(key)
    return value if isinstance(value, str) else ""


def paths(facts: dict[str, object], key: str) -> list[str]:
    value = facts.get(key)
    return [str(path) for path in value] if isinstance(value, list) else []


def isolation_kind(prefix: str, base_prefix: str, real_prefix: str | None,
                   conda: bool) -> str:
    """venv (PEP 405), legacy-virtualenv (virtualenv < 20 set
    sys.real_prefix instead), conda-env (a named conda environment: a full
    installation, so prefix == base_prefix, yet isolated), conda-base
    (conda's own installation) or global."""
    if prefix != base_prefix:
        return "venv"
    if real_prefix and real_prefix != prefix:
        return "legacy-virtualenv"
    if conda:       # named environments live in <conda root>/envs/<name>
        parent = last_name(prefix.replace("\\", "/").rstrip("/")
                           .rpartition("/")[0])
        return "conda-env" if parent == "envs" else "conda-base"
    return "global"


def creator(cfg: dict[str, str] | None) -> str | None:
    """The tool that wrote pyvenv.cfg, with its version when recorded."""
    for key in CREATOR_KEYS:
        if cfg and key in cfg:
            return (key + " " + cfg[key]).strip()
    return "venv (the standard library)" if cfg and "home" in cfg else None


def cfg_version(cfg: dict[str, str]) -> str:
    """The Python version pyvenv.cfg records (virtualenv writes
    "version_info = 3.11.7.final.0", venv and uv "version = 3.11.7")."""
    raw = cfg.get("version") or cfg.get("version_info") or ""
    return ".".join(raw.split(".")[:3])


def same_path(a: str, b: str) -> bool:
    return os.path.normcase(os.path.realpath(a)) == \
        os.path.normcase(os.path.realpath(b))


def notes_for(facts: dict[str, object], kind: str) -> list[str]:
    """Each trap a learner can fall into, only when it applies."""
    notes = []
    cfg = facts["cfg"] if isinstance(facts["cfg"], dict) else {}
    activated = text(facts, "virtual_env")
    if activated and not same_path(activated, text(facts, "prefix")):
        # activate only changes PATH: a pyenv shim, a python3.x called by
        # full name or a deleted venv all leave this interpreter outside.
        fix = ("Run %s, or 'deactivate' and activate the environment you "
               "mean." % os.path.join(activated, "bin", "python")
               if os.path.isdir(activated) else "That directory no longer "
               "exists: the variable is stale. Run 'deactivate' or open a "
               "new shell.")
        notes.append("Your shell activated %s, but this program runs %s, "
                     "which is not that environment's interpreter. %s"
                     % (activated, facts["executable"], fix))
    if cfg.get("include-system-site-packages", "").lower() == "true":
        notes.append("include-system-site-packages = true in %s: the global "
                     "packages leak into this environment. Recreate it "
                     "without --system-site-packages for full isolation."
                     % os.path.join(text(facts, "prefix"), "pyvenv.cfg"))
    if cfg.get("home") and not os.path.isdir(cfg["home"]):
        notes.append("This environment is broken: the interpreter it was "
                     "made from (%s) no longer exists. Delete it and create "
                     "it again." % cfg["home"])
    made_with = cfg_version(cfg)
    if made_with not in ("", facts["version"]):
        notes.append("This environment was made with Python %s but runs "
                     "Python %s: its packages may not work. Recreate it with "
                     "the Python you use." % (made_with, facts["version"]))
    if kind == "conda-base":
        notes.append("This is conda's base environment, shared by everything "
                     "conda runs. Create your own: conda create -n matrix_env"
                     " python, then conda activate matrix_env.")
    return notes


def details_for(facts: dict[str, object], kind: str) -> list[str]:
    """How the environment was made."""
    cfg = facts["cfg"] if isinstance(facts["cfg"], dict) else None
    made_by = {"legacy-virtualenv": "virtualenv older than 20 "
               "(sys.real_prefix); consider recreating it with python -m "
               "venv", "conda-env": "conda (a named environment)",
               "venv": creator(cfg) or "unknown (no pyvenv.cfg in %s)"
               % facts["prefix"]}
    if kind not in made_by:
        return []
    lines = ["Created by: " + made_by[kind]]
    if cfg and cfg.get("home"):
        lines.append("Made from the interpreter in: " + cfg["home"])
    if cfg and cfg_version(cfg):
        lines.append("Python version recorded: " + cfg_version(cfg))
    if kind != "conda-env":
        lines.append("Global packages visible here: " + (
            "yes (they are on sys.path)" if facts["global_visible"] else "no"))
    return lines


def build_report(facts: dict[str, object]) -> dict[str, object]:
    """Every decision: which block, and the extra sections after it."""
    prefix = text(facts, "prefix")
    kind = isolation_kind(prefix, text(facts, "base_prefix"),
                          text(facts, "real_prefix"), bool(facts["conda"]))
    install_dir = (paths(facts, "install_dirs") or ["(unknown)"])[0]
    global_dirs = ", ".join(paths(facts, "global_dirs")) or "(unknown)"
    locations = ["Package locations:", "Global packages: " + global_dirs,
                 "This interpreter installs into: " + install_dir]
    if facts["user_site"]:
        locations.append("User site (pip install --user): %s"
                         % facts["user_site"])
    sections = [locations]
    details = details_for(facts, kind)
    if details:
        sections.append(["Environment details:"] + details)
    sections += [["NOTE: " + note] for note in notes_for(facts, kind)]
    # A conda environment's name is conda's; a venv's is its folder's.
    name = text(facts, "conda_name") if kind == "conda-env" else ""
    return {
        "isolated": kind in ("venv", "legacy-virtualenv", "conda-env"),
        "executable": facts["executable"], "prefix": prefix,
        "name": name or last_name(prefix) or prefix,
        "install_dir": install_dir, "sections": sections,
    }


# --- Rendering -----------------------------------------------------------

def render(report: dict[str, object]) -> str:
    """The subject's block verbatim, then the extra sections."""
    block = IN_THE_CONSTRUCT if report["isolated"] else PLUGGED_IN
    sections = report["sections"]
    return block.format(**report) + "".join(
        "\n\n" + "\n".join(lines)
        for lines in (sections if isinstance(sections, list) else []))


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(HELP)
        return 0
    if argv:
        print(USAGE + "\nconstruct.py: takes no arguments (got %s)" % argv[0],
              file=sys.stderr)
        return 2
    print(render(build_report(gather_facts())))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("\nconstruct.py: interrupted", file=sys.stderr)
        sys.exit(130)
