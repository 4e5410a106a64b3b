#!/usr/bin/env python3
# Is this Python interpreter isolated? PEP 405: it runs in a virtual
# environment when sys.prefix (where this environment lives) differs from
# sys.base_prefix (where the Python it was made from lives). VIRTUAL_ENV
# only tells what a shell activated, so it never decides.
import site
import sys
from os import environ, path

# Before any function is defined: an old Python stops here, in one line.
if sys.version_info < (3, 10):
    sys.exit("construct.py needs Python 3.10 or later; this is Python %d.%d."
             % sys.version_info[:2])

# The subject's two blocks, verbatim.
PLUGGED_IN = """\
MATRIX STATUS: You're still plugged in

Current Python: %(executable)s
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

Current Python: %(executable)s
Virtual Environment: %(name)s
Environment Path: %(prefix)s

SUCCESS: You're in an isolated environment!
Safe to install packages without affecting
the global system.

Package installation path:
%(install_dir)s"""

HELP = """usage: construct.py [-h]

Tells whether this Python interpreter runs in an isolated (virtual)
environment, where it installs packages and where the global ones live.
It changes nothing and exits 0 on any supported Python."""


# Every string from the environment is printed through this: what a
# terminal would obey (ESC, newlines, bidi overrides, undecodable bytes)
# becomes a Python escape; backslashes stay.
def escaped(text: str) -> str:
    return text if text.isprintable() else "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode()
        for c in text)


# stderr is line-buffered, so a line is written at once. A closed or
# failing stderr is ignored: a failing one is dropped, as if closed, so
# that the flush at exit does not fail again (exit status 120).
def warn(text: str) -> None:
    try:
        sys.stderr.write(text + "\n")
    except Exception:
        sys.stderr = None


# Every write to stdout; returns the exit status: 0, also when the reader
# left early (| head), or 1 when the output cannot be written.
def write(text: str) -> int:
    try:
        if not sys.stdout.closed:
            print(text, flush=True)
    except OSError as error:
        # Closed, so that nothing is left for the flush at exit to fail on.
        try:
            sys.stdout.close()
        except OSError:
            pass
        if not isinstance(error, BrokenPipeError):
            warn("construct.py: cannot write the output: %s"
                 % error.strerror)
            return 1
    return 0


def read(name: str) -> str:
    if not path.isfile(name):      # a FIFO would block the read
        return ""
    try:
        with open(name, encoding="utf-8", errors="surrogateescape") as file:
            return file.read()
    except OSError:
        return ""


# venv, virtualenv and uv write the environment's absolute path into its
# activate script (and its scripts' #! lines): where it was made.
def find_creation_path() -> str:
    for value in read(path.dirname(sys.executable) + "/activate").split(
            "VIRTUAL_ENV=")[1:]:
        # A quoted path; one that holds a quote itself is quoted in ways
        # not worth undoing here: then where it was made is not known.
        value = value.partition("\n")[0].strip()
        if value[-1:] == value[:1] in ("'", '"'):
            value = value[1:-1]
        if path.isabs(value) and "'" not in value and '"' not in value:
            return value
    return ""


# Everything the report needs, read once, as strings.
def gather_facts() -> dict[str, str]:
    prefix, real_prefix = sys.prefix, getattr(sys, "real_prefix", "")
    # conda marks its environments with conda-meta; a named one is
    # <root>/envs/<name>, and its global packages are the root's (base).
    # "conda" is that root, or the prefix itself for base.
    root, envs = path.split(path.dirname(prefix))
    conda = path.isdir(prefix + "/conda-meta") and (
        root if envs == "envs" else prefix) or ""
    top = conda or real_prefix or sys.base_prefix
    # site.getsitepackages() knows the platform's layout (Debian's
    # dist-packages; on Windows the prefix, then Lib\site-packages) and
    # lists candidates that may not exist yet: pip installs into the first
    # (on Debian /usr/local/lib/python3.X/dist-packages). The site.py of
    # virtualenv < 20 lacks it: sys.path then shows where this interpreter
    # looks, and which global packages it sees.
    get = getattr(site, "getsitepackages", None)
    tops = [folder for folder in (get([top]) if get else sys.path)
            if folder.startswith(top) and folder.endswith("-packages")
            and path.isdir(folder)]
    cfg = path.join(prefix, "pyvenv.cfg")
    text = read(cfg)
    facts = dict(
        executable=sys.executable or "(unknown)", prefix=prefix,
        base_prefix=sys.base_prefix, real_prefix=real_prefix, conda=conda,
        version="%d.%d.%d" % sys.version_info[:3],
        virtual_env=environ.get("VIRTUAL_ENV", ""),
        install_dir=next((folder for folder in (get() if get else sys.path)
                          if folder.endswith("-packages")), "(unknown)"),
        global_dirs=", ".join(tops) or "(unknown)",
        # What the import system really searches, whatever a flag says.
        global_visible="yes (they are on sys.path)" if set(tops) & set(
            sys.path) else "no",
        user_site=site.ENABLE_USER_SITE and site.USER_SITE or "",
        created_at=find_creation_path(), cfg=cfg if text else "")
    # pyvenv.cfg's "key = value" lines, read as site.py reads them (keys
    # lowercased, lines without "=" ignored), as facts named "cfg:key".
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            facts["cfg:" + key.strip().lower()] = value.strip()
    return facts


# Every decision, and the text to print: the subject's block, then the
# extra sections.
def build_report(facts: dict[str, str]) -> str:
    prefix = facts["prefix"]
    home = facts.get("cfg:home", "")
    # venv writes "version = 3.11.7", uv "version_info = 3.11.7" and
    # virtualenv "version_info = 3.11.7.final.0" (recent releases both).
    made_with = ".".join((facts.get("cfg:version") or facts.get(
        "cfg:version_info", "")).split(".")[:3])
    # Who made this interpreter's isolation, "" when it has none. A venv
    # (PEP 405) is signed in pyvenv.cfg by uv and virtualenv (which Poetry
    # uses), not by the standard library's venv; virtualenv < 20 set
    # sys.real_prefix instead; a named conda environment is a whole
    # installation of its own (prefix == base_prefix). conda's base is not
    # isolated.
    made_by = (
        ("uv " + facts["cfg:uv"] if "cfg:uv" in facts
         else "virtualenv " + facts["cfg:virtualenv"]
         if "cfg:virtualenv" in facts
         else "venv (the standard library)" if home else "unknown")
        if prefix != facts["base_prefix"]
        else "virtualenv older than 20 (sys.real_prefix); better recreate "
        "it with python -m venv" if facts["real_prefix"] not in ("", prefix)
        else "conda (a named environment)"
        if facts["conda"] not in ("", prefix) else "")
    view = dict(facts, made_with=made_with, made_by=made_by,
                name=path.basename(prefix))
    for key in view:
        view[key] = escaped(view[key])
    text = ((IN_THE_CONSTRUCT if made_by else PLUGGED_IN)
            + "\n\nPackage locations:\nGlobal packages: %(global_dirs)s\n"
            "This interpreter installs into: %(install_dir)s")
    if facts["user_site"]:
        text += "\nUser site (pip install --user): %(user_site)s"
    if made_by:
        text += "\n\nEnvironment details:\nCreated by: %(made_by)s"
        if home:
            text += "\nMade from the interpreter in: %(cfg:home)s"
        text += "\nGlobal packages visible here: %(global_visible)s"
    return (text + trap_notes(facts, home, made_with)) % view


# Each trap, only when it applies, as a template for build_report's view.
def trap_notes(facts: dict[str, str], home: str, made_with: str) -> str:
    prefix, activated = facts["prefix"], facts["virtual_env"]
    notes = ""
    # activate only changes PATH: a pyenv shim or a python3.x called by
    # full name runs another interpreter; a moved venv's activate script
    # exports its old path again.
    if activated not in ("", prefix) and path.realpath(
            activated) != path.realpath(prefix):
        notes += ("\n\nNOTE: Your shell activated %(virtual_env)s, but this "
                  "program runs %(executable)s, not its interpreter. " + (
                      "Run that environment's own python, or deactivate and"
                      " activate the one you mean." if path.isdir(activated)
                      else "That folder is gone: deleted, moved or renamed. "
                      "Create the environment again and activate the new "
                      "one."))
    if facts.get("cfg:include-system-site-packages", "").lower() == "true":
        notes += ("\n\nNOTE: include-system-site-packages = true in %(cfg)s:"
                  " global packages leak in. Recreate the environment "
                  "without --system-site-packages.")
    if home and not path.isdir(home):
        notes += ("\n\nNOTE: Broken: the interpreter this environment was "
                  "made from (%(cfg:home)s) is gone. Delete and recreate it.")
    # Without home, CPython finds the standard library from the executable
    # itself (its symlink, or the prefix it was built for); site.py still
    # makes the folder a venv.
    if facts["cfg"] and not home:
        notes += ("\n\nNOTE: %(cfg)s has no 'home' line naming the interpreter"
                  " this environment was made from: Python guessed "
                  "%(base_prefix)s from the executable. Recreate it.")
    # "3.11" recorded matches any 3.11.x.
    if made_with and not (facts["version"] + ".").startswith(made_with + "."):
        notes += ("\n\nNOTE: Made with Python %(made_with)s, this environment"
                  " runs Python %(version)s: its packages may not work. "
                  "Recreate it with the Python you use.")
    if facts["created_at"] not in ("", prefix) and path.realpath(
            facts["created_at"]) != path.realpath(prefix):
        notes += ("\n\nNOTE: This environment was created at %(created_at)s,"
                  " then moved, renamed or copied: its activate script and its"
                  " scripts still point there. Recreate it here.")
    if facts["conda"] == prefix:
        notes += ("\n\nNOTE: This is conda's base environment, shared by all "
                  "of conda. Make your own: conda create -n matrix_env python"
                  ", then conda activate matrix_env.")
    return notes


def main(argv: list[str]) -> int:
    if sys.stdout is None:
        warn("construct.py: standard output is closed")
        return 1
    # A path the output's encoding cannot represent (PYTHONIOENCODING=ascii)
    # is escaped rather than fatal; stderr always escapes (CPython's rule).
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
    try:
        if argv and argv not in (["-h"], ["--help"]):
            warn("usage: construct.py [-h]\nconstruct.py: takes no "
                 "arguments")
            return 2
        return write(HELP if argv else build_report(gather_facts()))
    except KeyboardInterrupt:
        warn("construct.py: interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
