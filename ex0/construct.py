#!/usr/bin/env python3
# Is this Python interpreter isolated? PEP 405: it runs in a virtual
# environment when sys.prefix (where this environment lives) differs from
# sys.base_prefix (where the Python it was made from lives). VIRTUAL_ENV
# only tells what a shell activated, so it never decides.
import site
import sys
from os import (W_OK, X_OK, access, defpath, environ, getcwd, path,
                pathsep, readlink)

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


COMMANDS = ("python", "python3", "pip", "pip3")    # as PATH finds them
HEAD = 512                          # bytes of a launcher read at most
MAX_HOPS = 24                       # links and launchers followed at most

# Each note, in order, when decide() finds that it applies.
NOTES = (
    ("stale", "Your shell activated %(virtual_env)s, but this program runs"
     " %(executable)s, not its interpreter. Run that environment's own "
     "python, or deactivate and activate the one you mean."),
    ("stale_gone", "Your shell activated %(virtual_env)s, but this program "
     "runs %(executable)s, not its interpreter. That folder is gone: "
     "deleted, moved or renamed. Create the environment again and activate"
     " the new one."),
    ("path_order", "Your shell activated %(virtual_env)s, but the python "
     "this PATH finds first is not its own: %(python_found)s. Something "
     "run after activate (pyenv or conda setup) put its folder first: run "
     "source %(activate)s again, last."),
    ("leak", "include-system-site-packages = true in %(cfg)s: global "
     "packages leak in. Recreate the environment without "
     "--system-site-packages."),
    ("broken", "Broken: the interpreter this environment was made from "
     "(%(cfg:home)s) is gone. Delete and recreate it."),
    ("no_home", "%(cfg)s has no 'home' line naming the interpreter this "
     "environment was made from: Python guessed %(base_prefix)s from the "
     "executable. Recreate it."),
    ("mismatch", "Made with Python %(made_with)s, this environment runs "
     "Python %(version)s: its compiled packages may not work. Recreate it "
     "with the Python you use."),
    ("moved", "This environment was created at %(created_at)s, then moved,"
     " renamed or copied: its activate script and its scripts still point "
     "there. Recreate it here."),
    ("conda_base", "This is conda's base environment, shared by all of "
     "conda. Make your own: conda create -n matrix_env python, then conda "
     "activate matrix_env."),
    ("no_python", "This PATH has no python command: typing python fails "
     "here. Where the lines above say python, type %(me)s:\n"
     "%(me)s -m venv matrix_env"),
    ("no_own_pip", "This environment has no pip of its own: pip here is "
     "%(pip)s, which installs into %(pip_runs)s. Give it one, then install "
     "with it: %(me)s -m ensurepip && %(me)s -m pip install <package>"),
    ("stray_pip", "pip here is %(pip)s, which installs into %(pip_runs)s, "
     "not this interpreter. Install with this one: %(me)s -m pip install "
     "<package>"),
    ("managed", "This interpreter is externally managed (PEP 668, "
     "%(managed)s): pip install refuses to run here. Make a venv: "
     "%(me)s -m venv matrix_env"),
    ("unwritable", "You cannot write to %(unwritable)s: pip install would"
     " ask for sudo (don't: it mixes your packages with the system's). Make"
     " a venv: %(me)s -m venv matrix_env"),
)


class Launcher:
    """One command as PATH finds it, and the interpreter it reaches."""

    name = ""
    file = ""                   # "" when PATH has none
    interpreter = ""            # what it runs or installs into ("": none)
    how = ""                    # the steps: "pyenv 3.12.1 from ...", ...
    this = False                # whether that is this interpreter


# Every string from the environment is printed through this: what a
# terminal would obey (ESC, newlines, bidi overrides, undecodable bytes)
# becomes a Python escape; backslashes stay.
def escaped(text: str) -> str:
    if text.isprintable():
        return text
    shown = ""
    for c in text:
        shown += c if c.isprintable() else c.encode("unicode_escape").decode()
    return shown


# A word as a POSIX shell reads it back, for commands to paste.
def quoted(word: str) -> str:
    if word and all(c.isalnum() or c in "/._-+:@%=," for c in word):
        return word
    return "'" + word.replace("'", "'\\''") + "'"


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


# At most limit bytes of a regular file ("" for anything else: a FIFO
# would block), decoded as the system decodes file names, so that a path
# read from a file names the same file again whatever the locale.
def read(name: str, limit: int = 65536) -> str:
    if not path.isfile(name):
        return ""
    try:
        with open(name, "rb") as file:
            return file.read(limit).decode(sys.getfilesystemencoding(),
                                           "surrogateescape")
    except OSError:
        return ""


# Whether two paths name the same file or folder, links resolved (only
# when the names differ: realpath costs a system call per component); a
# relative path that needs a deleted working directory is taken as is.
def same(one: str, other: str) -> bool:
    try:
        return one == other or path.realpath(one) == path.realpath(other)
    except OSError:
        return False


# Which interpreter a file is: a venv's bin/python links to a global
# binary yet is another environment, so in a venv it is the venv folder.
def env_of(name: str) -> str:
    env = path.dirname(path.dirname(name))
    return env if path.isfile(env + "/pyvenv.cfg") else name


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


# The first executable regular file of that name in these folders, as a
# shell finds it; an empty entry is the working directory.
def which(name: str, folders: list[str]) -> str:
    for folder in folders:
        file = path.join(folder or ".", name)
        if path.isfile(file) and access(file, X_OK):
            return file
    return ""


# One command as PATH finds it, followed as the system would to the
# interpreter it runs or installs into: symbolic links (up to a venv's
# own bin, see env_of), a launcher script's #! line (a path, or env and
# a name on PATH; pip writes "#!/bin/sh" then "'''exec' PATH ..." for a
# path that is long or has spaces), a pyenv shim as pyenv resolves it.
def find_launcher(name: str, folders: list[str], this: str) -> Launcher:
    launcher = Launcher()
    launcher.name = name
    launcher.file = file = which(name, folders)
    for _ in range(MAX_HOPS):
        if path.islink(file) and env_of(file) == file:
            file = path.join(path.dirname(file), readlink(file))
            continue
        text = read(file, HEAD)
        first, _, rest = text.partition("\n")
        line = rest[9:] if rest[:9] == "'''exec' " else first[2:]
        words = line.split('"')[1:2] if line[:1] == '"' else line.split()
        if first[:2] != "#!" or not words:
            break
        file, step = pyenv_target(text, name, folders) if (
            '/libexec/pyenv" exec') in text else (words[0], "#! line")
        if file.endswith("/env"):
            file = which(words[-1], folders)
        launcher.how += ", " * bool(launcher.how) + step
    launcher.interpreter = file if path.isfile(file) else ""
    launcher.this = launcher.file != "" and same(env_of(file), this)
    return launcher


# What a pyenv shim runs: the versions chosen are PYENV_VERSION's, else
# those of the nearest .python-version upward from here, else of the
# global version file (each line's first word; comments and path-like
# words skipped; none means system); the first that has the command
# wins, then "system": the command on PATH without pyenv's shims.
def pyenv_target(text: str, name: str, folders: list[str]) -> tuple[str, str]:
    root = text.partition('export PYENV_ROOT="')[2].partition('"')[0]
    chosen, origin = environ.get("PYENV_VERSION", ""), "PYENV_VERSION"
    if not chosen:
        try:
            here = getcwd()
        except OSError:         # deleted: no local version then
            here = "/"
        while not path.isfile(here + "/.python-version") and (
                here != path.dirname(here)):
            here = path.dirname(here)
        origin = path.join(here, ".python-version")
        origin = origin if path.isfile(origin) else root + "/version"
        for line in read(origin, 1024).splitlines():
            word = (line.split() or ["#"])[0]
            if word[0] != "#" and "/" not in word and word != "..":
                chosen += ":" + word
    for version in chosen.strip(":").split(":") + ["system"]:
        file = which(name, [root + "/versions/" + version + "/bin"]
                     if version != "system" else
                     [f for f in folders if f != root + "/shims"])
        if file:
            break
    return file, "pyenv %s from %s" % (version, origin)


# Everything the report needs, read once, as strings.
def gather_facts() -> dict[str, str]:
    prefix, real_prefix = sys.prefix, getattr(sys, "real_prefix", "")
    # conda marks its environments with conda-meta. Its base is the
    # installation itself (it holds condabin/ and pkgs/); a named
    # environment is <base>/envs/<name>, and one made with conda create -p
    # lives anywhere. "conda" is base's folder, a named environment's
    # base, or "?" for one made with -p.
    root, envs = path.split(path.dirname(prefix))
    conda = path.isdir(prefix + "/conda-meta") and (
        prefix if path.isdir(prefix + "/condabin") or path.isdir(
            prefix + "/pkgs") else root if envs == "envs" else "?") or ""
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
    install_dir = nearest = next((folder for folder in (
        get() if get else sys.path) if folder.endswith("-packages")), "?")
    # pip creates that folder when it may write to the nearest one that
    # exists (Debian's /usr/local/lib/python3.X/dist-packages).
    while not path.exists(nearest) and nearest != path.dirname(nearest):
        nearest = path.dirname(nearest)
    # PEP 668: pip refuses to install into an interpreter whose standard
    # library (where posixpath.py or ntpath.py is) holds this marker.
    managed = path.join(path.dirname(path.__file__), "EXTERNALLY-MANAGED")
    cfg = path.join(prefix, "pyvenv.cfg")
    text = read(cfg)
    facts = dict(
        executable=sys.executable or "(unknown)", prefix=prefix,
        base_prefix=sys.base_prefix, real_prefix=real_prefix, conda=conda,
        version="%d.%d.%d" % sys.version_info[:3],
        virtual_env=environ.get("VIRTUAL_ENV", ""),
        install_dir=install_dir.replace("?", "(unknown)"),
        global_dirs=", ".join(tops) or "(unknown)",
        # What the import system really searches, whatever a flag says.
        global_visible="yes (they are on sys.path)" if set(tops) & set(
            sys.path) else "no",
        user_site=site.ENABLE_USER_SITE and site.USER_SITE or "",
        created_at=find_creation_path(), cfg=cfg if text else "",
        managed=managed * path.isfile(managed),
        unwritable=nearest * (not access(nearest, W_OK)),
        own_pip="yes" * path.isdir(install_dir + "/pip"))
    # pyvenv.cfg's "key = value" lines, read as site.py reads them (keys
    # lowercased, lines without "=" ignored), as facts named "cfg:key".
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            facts["cfg:" + key.strip().lower()] = value.strip()
    return facts


# python, python3, pip and pip3 as this PATH finds them.
def gather_launchers() -> list[Launcher]:
    folders = environ.get("PATH", defpath).split(pathsep)
    this = env_of(sys.executable)
    return [find_launcher(name, folders, this) for name in COMMANDS]


# Every decision: the notes that apply (keys of NOTES), and the values
# the report needs beyond the facts.
def decide(facts: dict[str, str], launchers: list[Launcher]
           ) -> tuple[dict[str, str], list[str]]:
    prefix, activated = facts["prefix"], facts["virtual_env"]
    home = facts.get("cfg:home", "")
    in_venv = prefix != facts["base_prefix"]
    # venv writes "version = 3.11.7", uv "version_info = 3.11.7" and
    # virtualenv "version_info = 3.11.7.final.0" (recent releases both).
    made_with = ".".join((facts.get("cfg:version") or facts.get(
        "cfg:version_info", "")).split(".")[:3])
    # Who made this interpreter's isolation, "" when it has none. A venv
    # (PEP 405) is signed in pyvenv.cfg by uv and virtualenv (which Poetry
    # uses), not by the standard library's venv; virtualenv < 20 set
    # sys.real_prefix instead; a conda environment other than base is a
    # whole installation of its own (prefix == base_prefix).
    made_by = (
        ("uv " + facts["cfg:uv"] if "cfg:uv" in facts
         else "virtualenv " + facts["cfg:virtualenv"]
         if "cfg:virtualenv" in facts
         else "venv (the standard library)" if home else "unknown")
        if in_venv
        else "virtualenv older than 20 (sys.real_prefix); better recreate "
        "it with python -m venv" if facts["real_prefix"] not in ("", prefix)
        else "conda (an environment of its own)"
        if facts["conda"] not in ("", prefix) else "")
    # The pip that matters: pip, or pip3 when pip is missing or is this
    # interpreter's while pip3 is not. "me": the name that runs this
    # interpreter here, else its path.
    python, python3, pip, pip3 = launchers
    pip = pip3 if pip3.file and not pip3.this and pip.this or pip.file == ""\
        else pip
    me = "python" if python.this else "python3" if python3.this else \
        quoted(facts["executable"])
    stale = activated not in ("", prefix) and not same(activated, prefix)
    stray = pip.file != "" and not pip.this
    venv = path.dirname(path.dirname(facts["executable"]))
    own_pip, managed = facts["own_pip"], facts["managed"]
    applies = {
        # activate only changes PATH: a pyenv shim or a python3.x called
        # by full name runs another interpreter; a moved venv's activate
        # script exports its old path again.
        "stale": stale and path.isdir(activated),
        "stale_gone": stale and not path.isdir(activated),
        # What the shell ran after activate (pyenv's or conda's setup)
        # put its own folder first again.
        "path_order": path.isdir(activated) and not same(
            env_of(python.interpreter), activated),
        "leak": facts.get("cfg:include-system-site-packages",
                          "").lower() == "true",
        "broken": home != "" and not path.isdir(home),
        # Without home, CPython finds the standard library from the
        # executable itself (its symlink, or the prefix it was built for);
        # site.py still makes the folder a venv.
        "no_home": facts["cfg"] != "" and not home,
        # A patch release keeps the ABI; another minor version breaks
        # compiled packages. "3.11" recorded matches any 3.11.x.
        "mismatch": made_with != "" and made_with.split(".")[:2]
        != facts["version"].split(".")[:2],
        # Compared with the folder that holds the activate script: the
        # venv, whatever sys.prefix says (python -S, no pyvenv.cfg).
        "moved": facts["created_at"] != "" and not same(
            facts["created_at"], venv),
        "conda_base": facts["conda"] == prefix,
        "no_python": not made_by and python.file == "",
        "no_own_pip": in_venv and stray and not own_pip,
        "managed": not in_venv and managed,
        "unwritable": not in_venv and facts["unwritable"],
        "stray_pip": stray and (own_pip or not in_venv) and not (
            managed or facts["unwritable"]),
    }
    return dict(facts, made_with=made_with, made_by=made_by, me=me,
                activate=quoted(activated + "/bin/activate"),
                name=path.basename(prefix), pip=pip.file,
                pip_runs=pip.interpreter or "(none)",
                python_found=shown(python)), [
                    key for key, _ in NOTES if applies[key]]


# A launcher's line: "file", or "file -> interpreter (how)".
def shown(launcher: Launcher) -> str:
    if launcher.file == launcher.interpreter:
        return launcher.file or "none"
    return "%s -> %s (%s)" % (launcher.file, launcher.interpreter
                              or "(none)", launcher.how or "symlink")


# The text to print: the subject's block, then the extra sections.
def build_report(facts: dict[str, str], launchers: list[Launcher]) -> str:
    view, notes = decide(facts, launchers)
    text = ((IN_THE_CONSTRUCT if view["made_by"] else PLUGGED_IN)
            + "\n\nPackage locations:\nGlobal packages: %(global_dirs)s\n"
            "This interpreter installs into: %(install_dir)s")
    if facts["user_site"]:
        text += "\nUser site (pip install --user): %(user_site)s"
    if view["made_by"]:
        text += "\n\nEnvironment details:\nCreated by: %(made_by)s"
        if facts.get("cfg:home"):
            text += "\nMade from the interpreter in: %(cfg:home)s"
        text += "\nGlobal packages visible here: %(global_visible)s"
    text += "\n\nCommands on PATH (what each name runs):"
    for launcher in launchers:
        text += "\n%s: %s" % (launcher.name, escaped(shown(launcher)).replace(
            "%", "%%")) + ", this interpreter" * launcher.this
    for key, note in NOTES:
        text += "\n\nNOTE: " + note if key in notes else ""
    for key in view:
        view[key] = escaped(view[key])
    return text % view


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
        return write(HELP if argv else build_report(gather_facts(),
                                                    gather_launchers()))
    except KeyboardInterrupt:
        warn("construct.py: interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
