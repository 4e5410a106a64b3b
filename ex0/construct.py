#!/usr/bin/env python3
# Is this Python interpreter isolated? PEP 405: it runs in a virtual
# environment when sys.prefix (where this environment lives) differs from
# sys.base_prefix (where the Python it was made from lives). VIRTUAL_ENV
# only tells what a shell activated, so it never decides.
import site
import sys
from os import (W_OK, X_OK, access, defpath, environ, getcwd, listdir,
                path, pathsep, readlink)

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
HEAD = 8192                         # bytes of a launcher read: pip's sh form
#                                     names a path of up to 4096 bytes
MAX_HOPS = 24                       # links and launchers followed at most
SHEBANG_LIMIT = 256                 # bytes of a #! line Linux reads
SCRIPT_LEVELS = 5                   # #! scripts one exec runs through
# What a user types to see what a command runs, when only running it tells.
ASK = {"python": "python -c 'import sys; print(sys.executable)'",
       "python3": "python3 -c 'import sys; print(sys.executable)'",
       "pip": "pip --version", "pip3": "pip3 --version"}
# How interpreters that are Python are named; a launcher that reaches
# anything else (bash, sh, perl) is a script of that program's.
PYTHON_NAMES = ("python", "pypy", "graalpy")
# pip writes "#!/bin/sh" and then this line when the interpreter's path is
# too long for #! or holds a space: sh runs it, Python reads a string.
PIP_SH_EXEC = "'''exec' "
# Every pyenv shim ends with this line (pyenv-rehash writes them).
PYENV_SHIM_EXEC = '" exec "$program" "$@"'
# pyenv-latest leaves these builds out when it picks the newest match.
PYENV_UNSTABLE_ENDS = ("-dev", "-src", "-latest")
PYENV_PRERELEASE_MARKS = ("a", "b", "rc")
# GNU env's options that take no value; the others are refused.
ENV_FLAGS = ("-i", "--ignore-environment", "-v", "--debug")
DIGITS = "0123456789"

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
     "(%(home)s) is gone. Delete and recreate it."),
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


# --- Records: what is read, then what it means -----------------------------

class VenvConfig:
    """pyvenv.cfg, the file that makes a folder a venv (PEP 405)."""

    file = ""                   # its path; "" when there is none
    home = ""                   # the folder of the Python it was made from
    version = ""                # that Python's version, as written there
    uv = ""                     # uv's version, when uv made it
    virtualenv = ""             # virtualenv's (Poetry's) version
    system_site = False         # include-system-site-packages = true


class Facts:
    """What this interpreter and its files say, read once."""

    executable = ""             # sys.executable; "" when it does not know
    version = ""                # "3.11.7"
    prefix = ""                 # sys.prefix: where this environment lives
    base_prefix = ""            # sys.base_prefix: the Python it came from
    real_prefix = ""            # set by virtualenv older than 20 only
    conda = ""                  # conda's base folder, "?" or "" (no conda)
    virtual_env = ""            # what a shell's activate script exported
    install_dir = ""            # where pip installs; "" when unknown
    global_dirs: tuple[str, ...] = ()   # the global interpreter's packages
    global_visible = False      # whether sys.path holds one of them
    user_site = ""              # pip install --user's folder, if enabled
    created_at = ""             # the venv's path in its activate script
    cfg: VenvConfig             # pyvenv.cfg (gather_facts() sets it)
    managed = ""                # PEP 668's marker file, when it exists
    unwritable = ""             # the folder pip install would fail to write
    own_pip = False             # whether pip is installed in install_dir


class Launcher:
    """One command as PATH finds it, and the interpreter it reaches."""

    name = ""
    file = ""                   # "" when PATH has none
    interpreter = ""            # what it runs or installs into ("": none)
    how = ""                    # the steps: "pyenv 3.12.1 from ...", ...
    unknown = ""                # why only running it would tell
    this = False                # whether that is this interpreter


class Hop:
    """One step from a script to the program that runs it."""

    file = ""                   # that program ("": nothing would run)
    how = ""                    # "#! line", "pyenv 3.12.1 from ..."
    unknown = ""                # why only running it would tell
    new_exec = False            # env, sh or pyenv start it afresh


class Verdict:
    """Every decision the report prints."""

    in_venv = False             # PEP 405: sys.prefix != sys.base_prefix
    made_by = ""                # the tool that isolated it; "": not isolated
    made_with = ""              # the Python version pyvenv.cfg records
    me = ""                     # the command that runs this interpreter
    python: Launcher            # python as PATH finds it
    pip: Launcher               # the pip that matters here
    notes: list[str]            # the keys of NOTES that apply


# --- Small helpers ---------------------------------------------------------

# Every string from the environment is printed through this: what a
# terminal would obey (ESC, newlines, bidi overrides, undecodable bytes)
# becomes a Python escape; backslashes stay.
def escaped(text: str) -> str:
    if text.isprintable():
        return text
    shown = ""
    for c in text:
        if c.isprintable():
            shown += c
        else:
            shown += c.encode("unicode_escape").decode()
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
# relative path that needs a deleted working directory, or a name that
# holds a NUL byte, names nothing.
def same(one: str, other: str) -> bool:
    if one == other:
        return True
    try:
        return path.realpath(one) == path.realpath(other)
    except (OSError, ValueError):
        return False


# Which interpreter a file is: a venv's bin/python links to a global
# binary yet is another environment, so in a venv it is the venv folder.
def env_of(name: str) -> str:
    env = path.dirname(path.dirname(name))
    if path.isfile(env + "/pyvenv.cfg"):
        return env
    return name


# The first executable regular file of that name in these folders, as a
# shell finds it; an empty entry is the working directory.
def which(name: str, folders: list[str]) -> str:
    for folder in folders:
        file = path.join(folder or ".", name)
        if path.isfile(file) and access(file, X_OK):
            return file
    return ""


# --- Gather: what this interpreter reports of itself ----------------------

def gather_facts() -> Facts:
    facts = Facts()
    facts.executable = sys.executable
    facts.version = "%d.%d.%d" % sys.version_info[:3]
    facts.prefix = sys.prefix
    facts.base_prefix = sys.base_prefix
    facts.real_prefix = getattr(sys, "real_prefix", "")
    facts.conda = find_conda_base(sys.prefix)
    facts.virtual_env = environ.get("VIRTUAL_ENV", "")
    # The global interpreter: conda's base, the one virtualenv < 20 was
    # made from, or the one a venv was made from.
    top = facts.conda or facts.real_prefix or sys.base_prefix
    facts.global_dirs = global_site_dirs(top)
    # What the import system really searches, whatever a flag says.
    facts.global_visible = any(folder in sys.path
                               for folder in facts.global_dirs)
    facts.install_dir = find_install_dir()
    facts.user_site = find_user_site()
    facts.created_at = find_creation_path()
    facts.cfg = read_venv_config(path.join(sys.prefix, "pyvenv.cfg"))
    facts.managed = find_managed_marker()
    facts.unwritable = find_unwritable(facts.install_dir)
    facts.own_pip = facts.install_dir != "" and path.isdir(
        facts.install_dir + "/pip")
    return facts


# conda marks its environments with conda-meta. Its base is the
# installation itself (it holds condabin/ and pkgs/); a named environment
# is <base>/envs/<name>; one made with conda create -p lives anywhere, and
# its base is not known from here ("?").
def find_conda_base(prefix: str) -> str:
    if not path.isdir(prefix + "/conda-meta"):
        return ""
    if path.isdir(prefix + "/condabin") or path.isdir(prefix + "/pkgs"):
        return prefix
    base, envs = path.split(path.dirname(prefix))
    if envs == "envs":
        return base
    return "?"


# site.getsitepackages() knows the platform's layout (Debian's
# dist-packages; on Windows the prefix, then Lib\site-packages) and lists
# candidates that may not exist yet. The site.py of virtualenv < 20 lacks
# it: sys.path then shows where this interpreter looks.
def site_candidates(prefixes: list[str] | None = None) -> list[str]:
    getsitepackages = getattr(site, "getsitepackages", None)
    if getsitepackages is None:
        return list(sys.path)
    if prefixes is None:
        return list(getsitepackages())
    return list(getsitepackages(prefixes))


def global_site_dirs(top: str) -> tuple[str, ...]:
    return tuple(folder for folder in site_candidates([top])
                 if folder.startswith(top) and folder.endswith("-packages")
                 and path.isdir(folder))


# pip installs into the first candidate (on Debian
# /usr/local/lib/python3.X/dist-packages, even before it exists).
def find_install_dir() -> str:
    for folder in site_candidates():
        if folder.endswith("-packages"):
            return folder
    return ""


def find_user_site() -> str:
    if site.ENABLE_USER_SITE and site.USER_SITE:
        return site.USER_SITE
    return ""


# PEP 668: pip refuses to install into an interpreter whose standard
# library (where posixpath.py or ntpath.py is) holds this marker.
def find_managed_marker() -> str:
    marker = path.join(path.dirname(path.__file__), "EXTERNALLY-MANAGED")
    if path.isfile(marker):
        return marker
    return ""


# pip creates the folder it installs into when it may write to the
# nearest folder that exists (Debian's /usr/local/lib/python3.X/...).
def find_unwritable(folder: str) -> str:
    while not path.exists(folder) and folder != path.dirname(folder):
        folder = path.dirname(folder)
    if folder and not access(folder, W_OK):
        return folder
    return ""


# venv, virtualenv and uv write the environment's absolute path into its
# activate script (and its scripts' #! lines): where it was made.
def find_creation_path() -> str:
    script = read(path.dirname(sys.executable) + "/activate")
    for value in script.split("VIRTUAL_ENV=")[1:]:
        # A quoted path; one that holds a quote itself is quoted in ways
        # not worth undoing here: then where it was made is not known.
        value = value.partition("\n")[0].strip()
        if value[:1] in ("'", '"') and value[-1:] == value[:1]:
            value = value[1:-1]
        if path.isabs(value) and not any(c in value for c in "'\"\0"):
            return value
    return ""


# pyvenv.cfg's "key = value" lines, read as site.py reads them: keys
# lowercased, lines without "=" skipped. An empty file tells nothing.
def read_venv_config(file: str) -> VenvConfig:
    config = VenvConfig()
    text = read(file)
    if text:
        config.file = file
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip().lower()] = value.strip()
    config.home = values.get("home", "")
    # venv writes "version = 3.11.7", uv "version_info = 3.11.7" and
    # virtualenv "version_info = 3.11.7.final.0" (recent releases both).
    config.version = values.get("version") or values.get("version_info", "")
    config.uv = values.get("uv", "")
    config.virtualenv = values.get("virtualenv", "")
    system_site = values.get("include-system-site-packages", "")
    config.system_site = system_site.lower() == "true"
    return config


# --- Gather: which python, which pip ---------------------------------------

# python, python3, pip and pip3 as this PATH finds them.
def gather_launchers() -> list[Launcher]:
    folders = environ.get("PATH", defpath).split(pathsep)
    this = env_of(sys.executable)
    return [find_launcher(name, folders, this) for name in COMMANDS]


def find_launcher(name: str, folders: list[str], this: str) -> Launcher:
    launcher = Launcher()
    launcher.name = name
    launcher.file = which(name, folders)
    if launcher.file:
        follow(launcher, folders)
        launcher.this = launcher.interpreter != "" and same(
            env_of(launcher.interpreter), this)
    return launcher


# Follows a command as exec would, to the interpreter it runs or installs
# into: symbolic links (up to a venv's own bin, see env_of), #! lines (a
# path; env and a name on PATH; pip's "#!/bin/sh" form), pyenv's shims.
# Linux runs at most SCRIPT_LEVELS scripts in one exec; env, sh and pyenv
# start a new one.
def follow(launcher: Launcher, folders: list[str]) -> None:
    file, invoked, scripts = launcher.file, launcher.file, 0
    for _ in range(MAX_HOPS):
        if path.islink(file) and env_of(file) == file:
            file = path.join(path.dirname(file), readlink(file))
            continue
        hop = script_hop(file, invoked, folders)
        if hop is None:
            reached(launcher, file, invoked)
            return
        scripts += 1
        if scripts > SCRIPT_LEVELS:
            break
        if hop.unknown:
            launcher.unknown = hop.unknown + ": " + asked(launcher)
            return
        launcher.how = ", ".join(step for step in (launcher.how, hop.how)
                                 if step)
        file = invoked = hop.file
        if hop.new_exec:
            scripts = 0
    # A loop of links or #! lines: exec fails (ELOOP), nothing runs.
    launcher.how = ", ".join(step for step in (launcher.how, "a loop")
                             if step)


# The end of a launcher's chain: a program, not a script. Reached through
# a #! line, a program that is no Python runs a script of its own (a
# version manager's wrapper): only running it tells what that runs.
def reached(launcher: Launcher, file: str, invoked: str) -> None:
    if not path.isfile(file):
        return
    names = (path.basename(invoked), path.basename(file))
    if launcher.how and not any(name.startswith(PYTHON_NAMES)
                                for name in names):
        launcher.unknown = "a %s script: %s" % (names[0], asked(launcher))
        return
    launcher.interpreter = file


def asked(launcher: Launcher) -> str:
    return "%s tells what it runs" % ASK.get(launcher.name, launcher.name)


# What runs a script, from its first lines; None for anything else.
def script_hop(file: str, invoked: str, folders: list[str]) -> Hop | None:
    text = read(file, HEAD)
    if text[:2] != "#!":
        return None
    if PYENV_SHIM_EXEC in text:
        return pyenv_hop(text, invoked, folders)
    interpreter, argument = shebang(text)
    hop = Hop()
    hop.how = "#! line"
    if path.basename(interpreter) == "env":
        env_command(hop, argument, folders)
    elif path.isfile(interpreter) and text.partition("\n")[2].startswith(
            PIP_SH_EXEC):
        pip_sh_command(hop, text)
    elif interpreter:
        hop.file = interpreter
    else:
        hop.unknown = "its #! line is empty, or too long for Linux"
    return hop


# The #! line as Linux reads it (fs/binfmt_script.c): at most
# SHEBANG_LIMIT bytes; spaces and tabs around it dropped; the interpreter
# is its first word, and all the rest, however many words, is one
# argument. A line cut off inside the interpreter's name runs nothing.
def shebang(text: str) -> tuple[str, str]:
    encoding = sys.getfilesystemencoding()
    head = text.encode(encoding, "surrogateescape")[:SHEBANG_LIMIT]
    line, newline, _ = head[2:].decode(encoding, "surrogateescape"
                                       ).partition("\n")
    line = line.strip(" \t")
    end = len(line)
    for separator in " \t":
        if separator in line:
            end = min(end, line.index(separator))
    if not newline and end == len(line) and len(head) == SHEBANG_LIMIT:
        return "", ""
    return line[:end], line[end:].strip(" \t")


# pip writes "#!/bin/sh" and "'''exec' PATH "$0" "$@"" (PATH in double
# quotes when it holds a space): sh execs that interpreter.
def pip_sh_command(hop: Hop, text: str) -> None:
    line = text.partition("\n")[2].partition("\n")[0][len(PIP_SH_EXEC):]
    if line[:1] == '"':
        hop.file = line[1:].partition('"')[0]
    else:
        hop.file = (line.split() or [""])[0]
    hop.new_exec = True


# GNU env as a #! line runs it: its one argument is the command's name,
# spaces and all, unless it starts with -S (--split-string=): env splits
# that into words, then reads options, NAME=VALUE settings (PATH among
# them) and the command, which it finds on PATH afresh.
def env_command(hop: Hop, argument: str, folders: list[str]) -> None:
    hop.new_exec = True
    words, problem = env_words(argument)
    if problem:
        hop.unknown = "its #! line has " + problem
        return
    command, folders, problem = env_settings(words, folders)
    if problem:
        hop.unknown = "its #! line has " + problem
    elif "/" in command:
        hop.file = command
    else:
        hop.file = which(command, folders)


def env_words(argument: str) -> tuple[list[str], str]:
    for option in ("-S", "--split-string="):
        if argument.startswith(option) and argument != "-S":
            return split_string(argument[len(option):])
    if argument == "" or argument[:1] == "-" or "=" in argument:
        # env would take the script itself as its command, or an option
        # this script does not read.
        return [], "env %s" % quoted(argument)
    return [argument], ""


# env -S's words: spaces and tabs separate them, quotes group, a # that
# starts a word begins a comment. Backslashes and ${NAME} are not read
# here: a line that holds them is refused.
def split_string(text: str) -> tuple[list[str], str]:
    words, word, quote, started = [], "", "", False
    for c in text:
        if c in "\\$":
            return [], "env -S with %s" % c
        if quote:
            if c == quote:
                quote = ""
            else:
                word += c
        elif c in " \t":
            if started:
                words.append(word)
            word, started = "", False
        elif c == "#" and not started:
            break
        elif c in "'\"":
            quote, started = c, True
        else:
            word, started = word + c, True
    if quote:
        return [], "env -S with an open quote"
    if started:
        words.append(word)
    return words, ""


# env's options come first (it stops at the first word that is not one),
# then NAME=VALUE settings, then the command. -i empties the environment:
# then the C library searches its default path.
def env_settings(words: list[str], folders: list[str]
                 ) -> tuple[str, list[str], str]:
    at = 0
    while at < len(words) and words[at].startswith("-"):
        if words[at] == "--":
            at += 1
            break
        if words[at] not in ENV_FLAGS:
            return "", folders, "env %s" % quoted(words[at])
        if words[at] in ("-i", "--ignore-environment"):
            folders = ["/bin", "/usr/bin"]
        at += 1
    while at < len(words) and "=" in words[at]:
        name, _, value = words[at].partition("=")
        if name == "PATH":
            folders = value.split(":")
        at += 1
    if at == len(words):
        return "", folders, "env with no command"
    return words[at], folders, ""


# --- Gather: pyenv's shims, resolved as pyenv's own commands do ------------
# A shim runs "pyenv exec NAME": pyenv-version-name (PYENV_VERSION, else
# the file pyenv-version-file finds, read by pyenv-version-file-read),
# each name resolved by pyenv-latest, then pyenv-which: the first version
# that has the command, else "system", the command on PATH without the
# shims.

def pyenv_hop(text: str, invoked: str, folders: list[str]) -> Hop:
    hop = Hop()
    hop.new_exec = True
    root = text.partition('export PYENV_ROOT="')[2].partition('"')[0]
    root = root.rstrip("/")
    names, origin, problem = pyenv_version_name(root)
    if problem:
        hop.unknown = "a pyenv shim, and " + problem
        return hop
    shims = [root + "/shims", path.dirname(invoked)]
    hop.file, version = pyenv_which(root, names, path.basename(invoked),
                                    without(folders, shims))
    if not hop.file:
        version = ":".join(names)
    hop.how = "pyenv %s from %s" % (version, origin)
    return hop


# pyenv-version-name: the versions chosen and where they were chosen.
def pyenv_version_name(root: str) -> tuple[list[str], str, str]:
    chosen, origin = environ.get("PYENV_VERSION", ""), "PYENV_VERSION"
    if not chosen:
        origin, problem = pyenv_version_file(root)
        if problem:
            return [], origin, problem
        chosen = ":".join(pyenv_version_file_read(origin, root))
    if chosen in ("", "system"):
        return ["system"], origin, ""
    # bash splits the list at ":" (one trailing ":" adds nothing) and
    # would expand glob characters against the working directory.
    if chosen.endswith(":"):
        chosen = chosen[:-1]
    names = chosen.split(":")
    if "" in names or any(c in chosen for c in "*?["):
        return [], origin, "the version %s" % quoted(chosen)
    return [pyenv_resolve(root, name) for name in names], origin, ""


# One name as pyenv-version-name resolves it: an installed version or
# "system", the same without a "python-" prefix, the newest installed
# match of either as a prefix, else the name without its prefix (pyenv
# exec goes on: pyenv-which then skips it).
def pyenv_resolve(root: str, name: str) -> str:
    bare = name.removeprefix("python-")
    if name == "system" or pyenv_installed(root, name):
        return name
    if pyenv_installed(root, bare):
        return bare
    return pyenv_latest(root, name) or pyenv_latest(root, bare) or bare


def pyenv_installed(root: str, version: str) -> bool:
    return path.isdir(root + "/versions/" + version)


# pyenv-version-file: the nearest .python-version from PYENV_DIR (the
# working directory unless set) upward, then from the working directory,
# else the global version file.
def pyenv_version_file(root: str) -> tuple[str, str]:
    here = shell_pwd()
    if not here:
        return "", "the working directory is gone"
    start = path.normpath(path.join(here, environ.get("PYENV_DIR", "")))
    if not path.isdir(start):
        return "", "PYENV_DIR is no folder"
    found = local_version_file(start)
    if not found and start != here:
        found = local_version_file(here)
    return found or root + "/version", ""


# The working directory as bash knows it ($PWD): the inherited PWD when it
# is absolute and names this directory (links kept), else the real one.
def shell_pwd() -> str:
    inherited = environ.get("PWD", "")
    try:
        if path.isabs(inherited) and path.samefile(inherited, "."):
            return path.normpath(inherited)
        return getcwd()
    except (OSError, ValueError):
        return ""


def local_version_file(folder: str) -> str:
    while True:
        candidate = folder + "/.python-version"
        if path.isfile(candidate):
            return candidate
        if folder == "":
            return ""
        folder = folder.rpartition("/")[0]


# pyenv-version-file-read: the first word of each line (spaces, tabs and
# carriage returns separate words; bash reads 1024 characters at a time),
# skipping empty lines, # comments and names that leave its versions/.
def pyenv_version_file_read(file: str, root: str) -> list[str]:
    names = []
    for line in read(file).replace("\0", "").split("\n"):
        for start in range(0, max(len(line), 1), 1024):
            chunk = line[start:start + 1024].replace("\t", " ")
            words = [word for word in chunk.replace("\r", " ").split(" ")
                     if word]
            if words and words[0][0] != "#" and pyenv_safe(root, words[0]):
                names.append(words[0])
    return names


# CVE-2022-35861: a name with "/" (or "..") counts only when cd into
# versions/NAME stays inside versions/ (bash resolves ".." by the text).
def pyenv_safe(root: str, name: str) -> bool:
    if name != ".." and "/" not in name:
        return True
    folder = path.normpath(root + "/versions/" + name)
    return path.isdir(folder) and folder.startswith(root + "/versions/")


# pyenv-latest: the newest installed version whose name is the prefix and
# "." or "-" and more (3.12 -> 3.12.1), leaving out dev, src and
# pre-release builds, and free-threaded ones (3.13t) unless asked for.
# With -f (force) it answers what it was given when nothing matches,
# less a "t" it took for free-threading: pyenv-which then looks for that.
def pyenv_latest(root: str, prefix: str, force: bool = False) -> str:
    if pyenv_installed(root, prefix):
        return prefix
    names = pyenv_versions(root)
    if prefix in names:
        return prefix
    suffix = ""
    if len(prefix) > 1 and prefix[-1] == "t" and prefix[-2] in DIGITS:
        prefix, suffix = prefix[:-1], "t"
    matches = [name for name in names
               if name[len(prefix):len(prefix) + 1] in ("-", ".")
               and name.startswith(prefix) and name.endswith(suffix)
               and len(name) > len(prefix) + len(suffix)
               and pyenv_stable(name, suffix)]
    if not matches and force:
        return prefix
    return pyenv_newest(matches)


def pyenv_stable(name: str, suffix: str) -> bool:
    if name.endswith(PYENV_UNSTABLE_ENDS):
        return False
    number = name.rstrip(DIGITS)
    if number != name and number.endswith(PYENV_PRERELEASE_MARKS):
        return False
    return suffix == "t" or not (name[-1:] == "t" and name[-2:-1] in DIGITS)


# pyenv-versions --bare --skip-envs: the folders in versions/.
def pyenv_versions(root: str) -> list[str]:
    try:
        names = listdir(root + "/versions")
    except (OSError, ValueError):
        return []
    return [name for name in names if pyenv_installed(root, name)]


# pyenv-latest's order: sort -t. -k1,1r -k2,2nr -k3,3nr -k4,4nr of lines
# "KEY|NAME", KEY the name and "..." ("WORD-REST" as "WORD.REST.."): the
# first field as text, the next three as numbers, all newest first; equal
# keys in the order of whole lines, as sort leaves them (C locale).
def pyenv_newest(names: list[str]) -> str:
    lines = sorted(pyenv_sort_line(name) for name in names)
    for field in (3, 2, 1):
        lines.sort(key=lambda line: sort_number(line, field), reverse=True)
    lines.sort(key=lambda line: line.split(".")[0], reverse=True)
    if not lines:
        return ""
    return lines[0].partition("|")[2]


def pyenv_sort_line(name: str) -> str:
    word = name.partition("-")[0]
    if "-" in name and word and all(c.isascii() and c.isalnum()
                                    for c in word):
        return "%s.%s..|%s" % (word, name[len(word) + 1:], name)
    return "%s...|%s" % (name, name)


# A field as sort -n reads it: blanks, an optional minus, digits.
def sort_number(line: str, field: int) -> int:
    fields = line.split(".") + [""] * 4
    text = fields[field].lstrip(" \t")
    sign = 1
    if text[:1] == "-":
        sign, text = -1, text[1:]
    digits = text[:len(text) - len(text.lstrip(DIGITS))]
    return sign * int(digits or "0")


# pyenv-which: the command in the first chosen version that has it, else
# in "system": PATH without pyenv's shims.
def pyenv_which(root: str, names: list[str], command: str,
                system: list[str]) -> tuple[str, str]:
    for version in names + ["system"]:
        if version == "system":
            file = which(command, system)
        else:
            version = pyenv_latest(root, version, force=True)
            file = root + "/versions/" + version + "/bin/" + command
        if path.isfile(file) and access(file, X_OK):
            return file, version
    return "", ""


# PATH as pyenv-which searches it for "system": every "~" made $HOME,
# the shims' folders taken out.
def without(folders: list[str], shims: list[str]) -> list[str]:
    home = environ.get("HOME", "")
    searched = [folder.replace("~", home) for folder in folders]
    return [folder for folder in searched if folder not in shims]


# --- Decide ----------------------------------------------------------------

# PEP 405: a venv's sys.prefix is the venv; its sys.base_prefix is the
# Python it was made from.
def running_in_venv(facts: Facts) -> bool:
    return facts.prefix != facts.base_prefix


# Who made this interpreter's isolation, "" when it has none. A venv is
# signed in pyvenv.cfg by uv and virtualenv (which Poetry uses), not by
# the standard library's venv; virtualenv < 20 set sys.real_prefix
# instead; a conda environment other than base is a whole installation of
# its own (prefix == base_prefix).
def isolation_tool(facts: Facts) -> str:
    if running_in_venv(facts):
        return venv_tool(facts.cfg)
    if facts.real_prefix not in ("", facts.prefix):
        return ("virtualenv older than 20 (sys.real_prefix); better "
                "recreate it with python -m venv")
    if facts.conda not in ("", facts.prefix):
        return "conda (an environment of its own)"
    return ""


def venv_tool(cfg: VenvConfig) -> str:
    if cfg.uv:
        return "uv " + cfg.uv
    if cfg.virtualenv:
        return "virtualenv " + cfg.virtualenv
    if cfg.home:
        return "venv (the standard library)"
    return "unknown"


# The pip that matters: pip, or pip3 when there is no pip, or when pip is
# this interpreter's and pip3 another's.
def pip_that_matters(pip: Launcher, pip3: Launcher) -> Launcher:
    if pip.file == "":
        return pip3
    if pip.this and pip3.file and not pip3.this:
        return pip3
    return pip


# The name that runs this interpreter here, else its path.
def command_for_this(python: Launcher, python3: Launcher,
                     executable: str) -> str:
    if python.this:
        return "python"
    if python3.this:
        return "python3"
    return quoted(executable or "(unknown)")


def decide(facts: Facts, launchers: list[Launcher]) -> Verdict:
    python, python3, pip, pip3 = launchers
    verdict = Verdict()
    verdict.in_venv = running_in_venv(facts)
    verdict.made_by = isolation_tool(facts)
    verdict.made_with = ".".join(facts.cfg.version.split(".")[:3])
    verdict.me = command_for_this(python, python3, facts.executable)
    verdict.python = python
    verdict.pip = pip_that_matters(pip, pip3)
    applies = dict(activation_notes(facts, python),
                   **venv_notes(facts, verdict),
                   **install_notes(facts, verdict))
    verdict.notes = [key for key, _ in NOTES if applies[key]]
    return verdict


# activate only changes PATH: a pyenv shim or a python3.x called by full
# name runs another interpreter; a moved venv's activate script exports
# its old path again; what the shell ran after activate (pyenv's or
# conda's setup) may put its own folder first again.
def activation_notes(facts: Facts, python: Launcher) -> dict[str, bool]:
    activated = facts.virtual_env
    stale = activated not in ("", facts.prefix) and not same(
        activated, facts.prefix)
    return {
        "stale": stale and path.isdir(activated),
        "stale_gone": stale and not path.isdir(activated),
        "path_order": path.isdir(activated) and not python.unknown
        and not same(env_of(python.interpreter), activated),
    }


def venv_notes(facts: Facts, verdict: Verdict) -> dict[str, bool]:
    home = facts.cfg.home
    # The folder that holds the activate script: the venv, whatever
    # sys.prefix says (python -S, no pyvenv.cfg).
    venv = path.dirname(path.dirname(facts.executable))
    return {
        "leak": facts.cfg.system_site,
        "broken": home != "" and not path.isdir(home),
        # Without home, CPython finds the standard library from the
        # executable itself; site.py still makes the folder a venv.
        "no_home": facts.cfg.file != "" and not home,
        # A patch release keeps the ABI; another minor version breaks
        # compiled packages. "3.11" recorded matches any 3.11.x.
        "mismatch": verdict.made_with != "" and minor(verdict.made_with)
        != minor(facts.version),
        "moved": facts.created_at != "" and not same(facts.created_at,
                                                     venv),
        "conda_base": facts.conda == facts.prefix,
    }


def minor(version: str) -> list[str]:
    return version.split(".")[:2]


def install_notes(facts: Facts, verdict: Verdict) -> dict[str, bool]:
    pip = verdict.pip
    # A pip of another interpreter (one only running it would tell is
    # not counted).
    stray = pip.file != "" and not pip.this and not pip.unknown
    in_venv = verdict.in_venv
    refused = facts.managed != "" or facts.unwritable != ""
    return {
        "no_python": not verdict.made_by and verdict.python.file == "",
        "no_own_pip": in_venv and stray and not facts.own_pip,
        "managed": not in_venv and facts.managed != "",
        "unwritable": not in_venv and facts.unwritable != "",
        "stray_pip": stray and (facts.own_pip or not in_venv)
        and not refused,
    }


# --- Render ----------------------------------------------------------------

# A launcher's line: "file", "file -> interpreter (how)", or the file and
# why only running it tells.
def shown(launcher: Launcher) -> str:
    if launcher.unknown:
        return "%s (%s)" % (launcher.file, launcher.unknown)
    if launcher.file == launcher.interpreter:
        return launcher.file or "none"
    interpreter = launcher.interpreter or "(none)"
    return "%s -> %s (%s)" % (launcher.file, interpreter,
                              launcher.how or "symlink")


# The values the subject's block and the notes name, escaped.
def template_values(facts: Facts, verdict: Verdict) -> dict[str, str]:
    values = {
        "executable": facts.executable or "(unknown)",
        "name": path.basename(facts.prefix), "prefix": facts.prefix,
        "install_dir": facts.install_dir or "(unknown)",
        "base_prefix": facts.base_prefix, "version": facts.version,
        "virtual_env": facts.virtual_env, "created_at": facts.created_at,
        "cfg": facts.cfg.file, "home": facts.cfg.home,
        "managed": facts.managed, "unwritable": facts.unwritable,
        "made_with": verdict.made_with, "me": verdict.me,
        "activate": quoted(facts.virtual_env + "/bin/activate"),
        "python_found": shown(verdict.python), "pip": verdict.pip.file,
        "pip_runs": verdict.pip.interpreter or "(none)",
    }
    return {key: escaped(value) for key, value in values.items()}


def locations_section(facts: Facts) -> list[str]:
    lines = ["Package locations:",
             "Global packages: " + (", ".join(facts.global_dirs)
                                    or "(unknown)"),
             "This interpreter installs into: " + (facts.install_dir
                                                   or "(unknown)")]
    if facts.user_site:
        lines.append("User site (pip install --user): " + facts.user_site)
    return lines


def details_section(facts: Facts, verdict: Verdict) -> list[str]:
    lines = ["Environment details:", "Created by: " + verdict.made_by]
    if facts.cfg.home:
        lines.append("Made from the interpreter in: " + facts.cfg.home)
    visible = "no"
    if facts.global_visible:
        visible = "yes (they are on sys.path)"
    lines.append("Global packages visible here: " + visible)
    return lines


def commands_section(launchers: list[Launcher]) -> list[str]:
    lines = ["Commands on PATH (what each name runs):"]
    for launcher in launchers:
        line = "%s: %s" % (launcher.name, shown(launcher))
        if launcher.this:
            line += ", this interpreter"
        lines.append(line)
    return lines


# The text to print: the subject's block, then the extra sections.
def build_report(facts: Facts, launchers: list[Launcher]) -> str:
    verdict = decide(facts, launchers)
    values = template_values(facts, verdict)
    subject = PLUGGED_IN
    if verdict.made_by:
        subject = IN_THE_CONSTRUCT
    sections = [subject % values,
                "\n".join(map(escaped, locations_section(facts)))]
    if verdict.made_by:
        sections.append("\n".join(map(escaped,
                                      details_section(facts, verdict))))
    sections.append("\n".join(map(escaped, commands_section(launchers))))
    for key, note in NOTES:
        if key in verdict.notes:
            sections.append("NOTE: " + note % values)
    return "\n\n".join(sections)


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
        if argv:
            return write(HELP)
        return write(build_report(gather_facts(), gather_launchers()))
    except KeyboardInterrupt:
        warn("construct.py: interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
