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

USAGE = "usage: construct.py [-h]"
HELP = (USAGE + "\n\n"
        "Tells whether this Python interpreter runs in an isolated (virtual)\n"
        "environment, where it installs packages and where the global ones\n"
        "live. It changes nothing and always exits 0 on a supported Python.")

# Directory names under which an interpreter keeps third-party packages:
# CPython uses site-packages, Debian's own Python dist-packages.
PACKAGE_DIR_NAMES = ("site-packages", "dist-packages")

# pyvenv.cfg keys written by the tools that create virtual environments.
# The standard library's venv writes only home/version/executable/command,
# so the absence of every key below means venv.
CREATOR_KEYS = (("uv", "uv"), ("virtualenv", "virtualenv"))


# --- Reading the facts --------------------------------------------------

def parse_pyvenv_cfg(text: str) -> dict[str, str]:
    """Parse pyvenv.cfg the way site.py does: ``key = value`` lines.

    Keys are case-insensitive; lines without ``=`` and comments are ignored.
    """
    config: dict[str, str] = {}
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if sep and key.strip():
            config[key.strip().lower()] = value.strip()
    return config


def read_pyvenv_cfg(prefix: str) -> dict[str, str] | None:
    """The parsed pyvenv.cfg of ``prefix``, or None when there is none."""
    try:
        with open(os.path.join(prefix, "pyvenv.cfg"), encoding="utf-8",
                  errors="replace") as cfg:
            return parse_pyvenv_cfg(cfg.read())
    except OSError:
        return None


def path_names(path: str) -> list[str]:
    """A path's names, for POSIX and Windows paths alike."""
    return [name for name in path.replace("\\", "/").split("/") if name]


def last_component(path: str) -> str:
    """A path's last name ('' for a root)."""
    names = path_names(path)
    return names[-1] if names else ""


def package_dirs(candidates: list[str]) -> list[str]:
    """The package directories among the paths ``site`` or sys.path gives.

    CPython names them site-packages, Debian's own Python dist-packages;
    on Windows getsitepackages() also lists the prefix itself, left out.
    """
    return [p for p in candidates if last_component(p) in PACKAGE_DIR_NAMES]


def site_dirs(prefix: str | None = None) -> list[str] | None:
    """site.getsitepackages() for this interpreter, or for ``prefix``.

    It knows the platform's layout (Debian's dist-packages, Windows'
    Lib\\site-packages). None when it is missing, as in the site.py that
    old virtualenv releases install.
    """
    getsitepackages = getattr(site, "getsitepackages", None)
    if getsitepackages is None:
        return None
    found: list[str] = getsitepackages(None if prefix is None else [prefix])
    return found


def existing(paths: list[str]) -> list[str]:
    """Keep the paths that exist (site lists candidates that may not),
    unless none does: then all of them, rather than nothing."""
    return [p for p in paths if os.path.isdir(p)] or paths


def gather_facts() -> dict[str, object]:
    """Everything the verdict and the report need, read once."""
    real_prefix = getattr(sys, "real_prefix", None)
    global_prefix = real_prefix or sys.base_prefix
    # Without getsitepackages, sys.path still shows where this interpreter
    # looks; the global interpreter's directories are then unknown.
    own_dirs = package_dirs(site_dirs() or sys.path)
    global_dirs = package_dirs(site_dirs(global_prefix) or []) \
        if global_prefix != sys.prefix else own_dirs
    user_site: str | None = None
    if site.ENABLE_USER_SITE and hasattr(site, "getusersitepackages"):
        user_site = site.getusersitepackages()
    return {
        "executable": sys.executable or "(unknown)",
        "version": "%d.%d.%d" % sys.version_info[:3],
        "prefix": sys.prefix,
        "base_prefix": sys.base_prefix,
        "real_prefix": real_prefix,
        "virtual_env": os.environ.get("VIRTUAL_ENV") or None,
        "pyvenv_cfg": read_pyvenv_cfg(sys.prefix),
        "conda": os.path.isdir(os.path.join(sys.prefix, "conda-meta")),
        "conda_env_name": os.environ.get("CONDA_DEFAULT_ENV") or None,
        "install_dirs": existing(own_dirs),
        "global_dirs": existing(global_dirs),
        "user_site": user_site,
        # What the import system really searches, not what a flag promises.
        "global_visible": global_prefix != sys.prefix and any(
            d in sys.path for d in global_dirs),
    }


# --- Deciding ------------------------------------------------------------

def same_path(a: str, b: str) -> bool:
    """True when two paths name the same directory (links resolved)."""
    return os.path.normcase(os.path.realpath(a)) == \
        os.path.normcase(os.path.realpath(b))


def isolation_kind(prefix: str, base_prefix: str, real_prefix: str | None,
                   conda: bool) -> str:
    """Which kind of environment ``prefix`` is: venv, virtualenv, conda...

    Returns one of "venv" (PEP 405), "legacy-virtualenv" (virtualenv < 20
    sets sys.real_prefix instead of base_prefix), "conda-env" (a named conda
    environment: a full copy, so prefix == base_prefix, yet isolated),
    "conda-base" (conda's own installation: global) or "global".
    """
    if prefix != base_prefix:
        return "venv"
    if real_prefix is not None and real_prefix != prefix:
        return "legacy-virtualenv"
    if conda:
        # Named conda environments live in <conda root>/envs/<name>.
        names = path_names(prefix)
        named = len(names) >= 2 and names[-2] == "envs"
        return "conda-env" if named else "conda-base"
    return "global"


def creator(cfg: dict[str, str] | None) -> str | None:
    """The tool that wrote pyvenv.cfg, with its version when it records one."""
    if cfg is None:
        return None
    for key, name in CREATOR_KEYS:
        if key in cfg:
            return "%s %s" % (name, cfg[key]) if cfg[key] else name
    if "home" in cfg:
        return "venv (the standard library)"
    return None


def cfg_version(cfg: dict[str, str]) -> str | None:
    """The Python version pyvenv.cfg says the environment was made with."""
    # virtualenv writes "version_info = 3.11.7.final.0"; venv and uv "version".
    raw = cfg.get("version") or cfg.get("version_info")
    if not raw:
        return None
    return ".".join(raw.split(".")[:3])


def cfg_flag(cfg: dict[str, str] | None, key: str) -> bool:
    """A pyvenv.cfg boolean, read as site.py reads it."""
    return cfg is not None and cfg.get(key, "").lower() == "true"


def warnings_for(facts: dict[str, object], kind: str) -> list[str]:
    """Each situation a learner trips over, only when it applies."""
    found: list[str] = []
    prefix = str(facts["prefix"])
    executable = str(facts["executable"])
    virtual_env = facts["virtual_env"]
    cfg = facts["pyvenv_cfg"]
    if isinstance(virtual_env, str) and not same_path(virtual_env, prefix):
        # activate only changes PATH; a pyenv shim, a python3.x called by
        # full name or a deleted venv all leave this interpreter outside it.
        if os.path.isdir(virtual_env):
            fix = "Run %s, or 'deactivate' and activate the environment " \
                "you mean." % os.path.join(virtual_env, "bin", "python")
        else:
            fix = "That directory no longer exists: the variable is " \
                "stale. Run 'deactivate' or open a new shell."
        found.append("Your shell activated %s, but this program runs %s, "
                     "which is not that environment's interpreter. %s"
                     % (virtual_env, executable, fix))
    if isinstance(cfg, dict):
        if cfg_flag(cfg, "include-system-site-packages"):
            found.append(
                "include-system-site-packages = true in %s: the global "
                "packages leak into this environment. Recreate it without "
                "--system-site-packages for full isolation."
                % os.path.join(prefix, "pyvenv.cfg"))
        home = cfg.get("home")
        if home and not os.path.isdir(home):
            found.append(
                "This environment is broken: the interpreter it was made "
                "from (%s) no longer exists. Delete it and create it again."
                % home)
        made_with = cfg_version(cfg)
        if made_with and made_with != facts["version"]:
            found.append(
                "This environment was made with Python %s but runs Python %s:"
                " its packages may not work. Recreate it with the Python you"
                " use." % (made_with, facts["version"]))
    if kind == "conda-base":
        found.append(
            "This is conda's base environment, shared by everything conda "
            "runs. Create your own: conda create -n matrix_env python, then "
            "conda activate matrix_env.")
    return found


def environment_details(facts: dict[str, object], kind: str) -> list[str]:
    """How the environment was made, for the extra section of the report."""
    cfg = facts["pyvenv_cfg"]
    lines: list[str] = []
    if kind == "venv" and isinstance(cfg, dict):
        made_by = creator(cfg)
        if made_by:
            lines.append("Created by: %s" % made_by)
        if cfg.get("home"):
            lines.append("Made from the interpreter in: %s" % cfg["home"])
        if cfg_version(cfg):
            lines.append("Python version recorded: %s" % cfg_version(cfg))
    elif kind == "venv":
        lines.append("Created by: unknown (no pyvenv.cfg in %s)"
                     % facts["prefix"])
    elif kind == "legacy-virtualenv":
        lines.append("Created by: virtualenv older than 20 (sys.real_prefix);"
                     " consider recreating it with python -m venv")
    elif kind == "conda-env":
        lines.append("Created by: conda (a named environment)")
    if kind in ("venv", "legacy-virtualenv"):
        lines.append("Global packages visible here: %s" % (
            "yes (they are on sys.path)" if facts["global_visible"]
            else "no"))
    return lines


def build_report(facts: dict[str, object]) -> dict[str, object]:
    """Turn the facts into what the report says; all decisions are here."""
    prefix = str(facts["prefix"])
    real_prefix = facts["real_prefix"]
    kind = isolation_kind(prefix, str(facts["base_prefix"]),
                          real_prefix if isinstance(real_prefix, str)
                          else None, bool(facts["conda"]))
    install_dirs = facts["install_dirs"]
    global_dirs = facts["global_dirs"]
    assert isinstance(install_dirs, list) and isinstance(global_dirs, list)
    name = last_component(prefix) or prefix
    if kind.startswith("conda") and isinstance(facts["conda_env_name"], str):
        name = facts["conda_env_name"]
    locations = [("Global packages", global_dirs),
                 ("This interpreter installs into", install_dirs[:1])]
    if facts["user_site"]:
        locations.append(("User site (pip install --user)",
                          [str(facts["user_site"])]))
    return {
        "isolated": kind in ("venv", "legacy-virtualenv", "conda-env"),
        "executable": facts["executable"],
        "env_name": name,
        "env_path": prefix,
        "install_dir": install_dirs[0] if install_dirs else "(unknown)",
        "locations": locations,
        "details": environment_details(facts, kind),
        "warnings": warnings_for(facts, kind),
    }


# --- Rendering -----------------------------------------------------------

def render(report: dict[str, object]) -> str:
    """The subject's block verbatim, then the extra sections."""
    if report["isolated"]:
        blocks = [
            ["MATRIX STATUS: Welcome to the construct"],
            ["Current Python: %s" % report["executable"],
             "Virtual Environment: %s" % report["env_name"],
             "Environment Path: %s" % report["env_path"]],
            ["SUCCESS: You're in an isolated environment!",
             "Safe to install packages without affecting",
             "the global system."],
            ["Package installation path:", str(report["install_dir"])],
        ]
    else:
        blocks = [
            ["MATRIX STATUS: You're still plugged in"],
            ["Current Python: %s" % report["executable"],
             "Virtual Environment: None detected"],
            ["WARNING: You're in the global environment!",
             "The machines can see everything you install."],
            ["To enter the construct, run:",
             "python -m venv matrix_env",
             "source matrix_env/bin/activate # On Unix",
             "matrix_env\\Scripts\\activate # On Windows"],
            ["Then run this program again."],
        ]
    locations = report["locations"]
    assert isinstance(locations, list)
    section = ["Package locations:"]
    for label, paths in locations:
        section.append("%s: %s" % (label, ", ".join(paths) or "(none found)"))
    blocks.append(section)
    details = report["details"]
    if isinstance(details, list) and details:
        blocks.append(["Environment details:"] + details)
    warnings = report["warnings"]
    if isinstance(warnings, list):
        for warning in warnings:
            blocks.append(["NOTE: " + warning])
    return "\n\n".join("\n".join(block) for block in blocks)


def main(argv: list[str]) -> int:
    if argv in (["-h"], ["--help"]):
        print(HELP)
        return 0
    if argv:
        print(USAGE, file=sys.stderr)
        print("construct.py: takes no arguments (got %s)" % argv[0],
              file=sys.stderr)
        return 2
    print(render(build_report(gather_facts())))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("construct.py: interrupted", file=sys.stderr)
        sys.exit(130)
