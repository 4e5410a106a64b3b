"""The README's commands, run as written, so that the README cannot lie.

    python3 tests/readme.py list
    python3 tests/readme.py run [--in DIR] [SECTION ...]

``run`` runs the ```sh blocks of the named sections (default: every section
but the quick start, which .ci/run runs itself, and Installing Poetry,
which it runs only where Poetry is missing), in README order, each section
in one bash process from the project's root (or DIR: .ci/run passes its
throwaway clone). A ``# look for: TEXT`` line in a block must be matched by
a line of that block's output; a traceback or "command not found" fails the
run. Standard library only: it runs before Poetry exists.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEFT_TO_CI = ("Quick start", "Installing Poetry")
MARKER = "@@@ readme block %d @@@"


def sections(text: str) -> dict[str, list[str]]:
    """{section title: its ```sh blocks}, in README order (## headings)."""
    found: dict[str, list[str]] = {}
    for part in re.split(r"^## ", text, flags=re.M)[1:]:
        title, _, body = part.partition("\n")
        found[title.strip()] = [
            re.sub(r"^ {3}", "", block, flags=re.M)     # inside a list item
            for block in re.findall(r"^ *```sh\n(.*?)^ *```", body,
                                    re.M | re.S)]
    return found


def commands(block: str) -> list[str]:
    """The command lines of a block (comments and blank lines dropped)."""
    return [line for line in block.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def expectations(block: str) -> list[str]:
    return [line.split("# look for:", 1)[1].strip()
            for line in block.splitlines() if "# look for:" in line]


def clean_environment() -> dict[str, str]:
    """The environment of a user's fresh shell: no activated venv (the
    runner itself may run under `poetry run`)."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("VIRTUAL_ENV", "POETRY_ACTIVE", "PYTHONPATH",
                          "PYTHONHOME")}
    env["PATH"] = os.pathsep.join(
        entry for entry in env.get("PATH", "").split(os.pathsep)
        if not (Path(entry) / "activate").exists())
    return env


def run_section(title: str, blocks: list[str], where: Path) -> list[str]:
    """Run a section's blocks in one bash process; its failures."""
    script = "".join("echo '%s'\n%s" % (MARKER % number, block)
                     for number, block in enumerate(blocks))
    done = subprocess.run(["bash", "-c", script], cwd=where,
                          env=clean_environment(), text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          errors="replace", timeout=3600)
    print(done.stdout, end="", flush=True)
    outputs = re.split(r"^@@@ readme block \d+ @@@\n", done.stdout,
                       flags=re.M)[1:]
    failures = []
    for number, block in enumerate(blocks):
        output = outputs[number] if number < len(outputs) else ""
        for wanted in expectations(block):
            if not any(wanted in line for line in output.splitlines()):
                failures.append("%s, block %d: no line with %r"
                                % (title, number + 1, wanted))
        for bad in ("Traceback (most recent call last)", "command not found",
                    "No such file or directory"):
            if bad in output:
                failures.append("%s, block %d: %r in the output"
                                % (title, number + 1, bad))
    if done.returncode != 0 and not failures:
        failures.append("%s: the last command exited %d"
                        % (title, done.returncode))
    return failures


def main(argv: list[str]) -> int:
    found = sections((ROOT / "README.md").read_text(encoding="utf-8"))
    if argv[:1] == ["list"]:
        for title, blocks in found.items():
            for block in blocks:
                for line in commands(block):
                    print("%s\t%s" % (title, line))
        return 0
    if argv[:1] != ["run"]:
        print(__doc__, file=sys.stderr)
        return 2
    args = argv[1:]
    where = ROOT
    if args[:1] == ["--in"]:
        where, args = Path(args[1]).resolve(), args[2:]
    titles = args or [title for title in found if title not in LEFT_TO_CI]
    unknown = [title for title in titles if title not in found]
    if unknown:
        print("readme.py: no section %s" % ", ".join(unknown),
              file=sys.stderr)
        return 2
    failures = []
    for title in titles:
        if found[title]:
            print("\n=== README: %s" % title, flush=True)
            failures += run_section(title, found[title], where)
    for failure in failures:
        print("readme.py: " + failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
