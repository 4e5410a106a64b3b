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
ISOLATED_KINDS = ("venv", "legacy-virtualenv", "conda-env")


# --- Reading the facts --------------------------------------------------

def parse_pyvenv_cfg(text: str) -> dict[str, str]:
    """``key = value`` lines, read as site.py reads them (keys lowercased,
    lines without "=" ignored)."""
    config = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            config[key.strip().lower()] = value.strip()
    return config


def read_pyvenv_cfg(prefix: str) -> dict[str, str] | None:
    try:
        with open(os.path.join(prefix, "pyvenv.cfg"),
                  errors="replace") as cfg:
            return parse_pyvenv_cfg(cfg.read())
    except OSError:
        return None


def path_names(path: str) -> list[str]:
    """The names in a POSIX or Windows path."""
    return path.replace("\\", "/").rstrip("/").split("/")


def package_dirs(paths: list[str]) -> list[str]:
    """The package directories among paths from ``site`` or sys.path (on
    Windows, getsitepackages() also lists the prefix itself), the existing
    ones when there are any (site lists candidates that may not exist)."""
    found = [path for path in paths
             if path_names(path)[-1] in PACKAGE_DIR_NAMES]
    return [path for path in found if os.path.isdir(path)] or found


def gather_facts() -> dict[str, str]:
    """Everything the report needs, read once from sys, os and site, as
    strings ("" when a fact does not apply)."""
    real_prefix = getattr(sys, "real_prefix", "")
    global_prefix = real_prefix or sys.base_prefix
    # site.getsitepackages() knows the platform's layout (Debian's
    # dist-packages, Windows' Lib\site-packages). Old virtualenv releases'
    # site.py lacks it: sys.path still shows where this interpreter looks,
    # and the global interpreter's directories are then unknown.
    if hasattr(site, "getsitepackages"):
        own_dirs = package_dirs(site.getsitepackages())
        global_dirs = package_dirs(site.getsitepackages([global_prefix]))
    else:
        own_dirs = package_dirs(sys.path)
        global_dirs = own_dirs if global_prefix == sys.prefix else []
    # What the import system really searches, whatever a flag says.
    global_on_path = [] if global_prefix == sys.prefix \
        else [path for path in global_dirs if path in sys.path]
    conda_meta = os.path.join(sys.prefix, "conda-meta")
    return {
        "executable": sys.executable or "(unknown)", "prefix": sys.prefix,
        "base_prefix": sys.base_prefix, "real_prefix": real_prefix,
        "version": "%d.%d.%d" % sys.version_info[:3],
        "virtual_env": os.environ.get("VIRTUAL_ENV", ""),
        "conda_meta": conda_meta if os.path.isdir(conda_meta) else "",
        "conda_name": os.environ.get("CONDA_DEFAULT_ENV", ""),
        "install_dir": own_dirs[0] if own_dirs else "",
        "global_dirs": ", ".join(global_dirs),
        "user_site": site.getusersitepackages()
        if site.ENABLE_USER_SITE and hasattr(site, "getusersitepackages")
        else "",
        "global_on_path": ", ".join(global_on_path),
    }


# --- Deciding ------------------------------------------------------------

def isolation_kind(prefix: str, base_prefix: str, real_prefix: str,
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
        return "conda-env" if path_names(prefix)[-2:-1] == ["envs"] \
            else "conda-base"
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


def notes_for(facts: dict[str, str], cfg: dict[str, str], kind: str
              ) -> list[str]:
    """Each trap a learner can fall into, only when it applies."""
    notes = []
    activated, prefix = facts["virtual_env"], facts["prefix"]
    if activated and not same_path(activated, prefix):
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
                     % os.path.join(prefix, "pyvenv.cfg"))
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


def details_for(facts: dict[str, str], cfg: dict[str, str] | None,
                kind: str) -> list[str]:
    """How the environment was made."""
    made_by = {"legacy-virtualenv": "virtualenv older than 20 "
               "(sys.real_prefix); consider recreating it with python -m "
               "venv", "conda-env": "conda (a named environment)",
               "venv": creator(cfg) or "unknown (no pyvenv.cfg in %s)"
               % facts["prefix"]}
    if kind not in made_by:
        return []
    lines = ["Environment details:", "Created by: " + made_by[kind]]
    if cfg and cfg.get("home"):
        lines.append("Made from the interpreter in: " + cfg["home"])
    if cfg and cfg_version(cfg):
        lines.append("Python version recorded: " + cfg_version(cfg))
    if kind != "conda-env":
        lines.append("Global packages visible here: " + (
            "yes (they are on sys.path)" if facts["global_on_path"]
            else "no"))
    return lines


def build_report(facts: dict[str, str], cfg: dict[str, str] | None
                 ) -> list[str]:
    """Every decision, as the blank-line-separated blocks to print: the
    subject's block, then the extra sections."""
    prefix = facts["prefix"]
    kind = isolation_kind(prefix, facts["base_prefix"], facts["real_prefix"],
                          bool(facts["conda_meta"]))
    install_dir = facts["install_dir"] or "(unknown)"
    # A conda environment's name is conda's; a venv's is its folder's.
    name = facts["conda_name"] if kind == "conda-env" else ""
    block = IN_THE_CONSTRUCT if kind in ISOLATED_KINDS else PLUGGED_IN
    locations = ["Package locations:",
                 "Global packages: " + (facts["global_dirs"] or "(unknown)"),
                 "This interpreter installs into: " + install_dir]
    if facts["user_site"]:
        locations.append("User site (pip install --user): "
                         + facts["user_site"])
    blocks = [block.format(executable=facts["executable"], prefix=prefix,
                           name=name or path_names(prefix)[-1] or prefix,
                           install_dir=install_dir), "\n".join(locations)]
    details = details_for(facts, cfg, kind)
    if details:
        blocks.append("\n".join(details))
    notes = notes_for(facts, cfg or {}, kind)
    return blocks + ["NOTE: " + note for note in notes]


# --- Running -------------------------------------------------------------

def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(HELP, flush=True)
        return 0
    if argv:
        print(USAGE + "\nconstruct.py: takes no arguments (got %s)" % argv[0],
              file=sys.stderr)
        return 2
    blocks = build_report(gather_facts(), read_pyvenv_cfg(sys.prefix))
    # Flushed here, so that a closed pipe is noticed before exit.
    print("\n\n".join(blocks), flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("\nconstruct.py: interrupted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        # Whoever read stdout has gone (| head): close it here, or Python's
        # own flush at exit fails again with a second, noisier error.
        try:
            sys.stdout.close()
        except BrokenPipeError:
            pass
        print("construct.py: output closed early (broken pipe)",
              file=sys.stderr)
        sys.exit(1)
