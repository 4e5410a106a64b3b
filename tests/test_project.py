"""The project's manifests cannot drift, git ignores what it must, and the
README's commands are the ones CI runs."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import readme as readme_runner
from conftest import ROOT, clean_env

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

REQUIREMENTS = {"ex01": ROOT / "ex01" / "requirements.txt",
                "ex02": ROOT / "ex02" / "requirements.txt"}
# Every Python the project accepts, and one beyond, to catch open markers.
PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")


def pyproject(folder: Path = ROOT) -> dict:
    return tomllib.loads((folder / "pyproject.toml").read_text())


def runtime_dependencies(folder: Path = ROOT) -> set[str]:
    return {canonicalize_name(Requirement(spec).name)
            for spec in pyproject(folder)["project"]["dependencies"]}


def requirement_lines(path: Path) -> list[Requirement]:
    lines = [line.split(" #")[0].strip()
             for line in path.read_text().splitlines()]
    return [Requirement(line) for line in lines
            if line and not line.startswith("#")]


def selected(entries: list[tuple[str, str]], python: str) -> list[str]:
    """The versions whose markers hold for ``python`` ('' means always)."""
    return [version for version, marker in entries
            if not marker or Marker(marker).evaluate(
                {"python_version": python, "python_full_version":
                 python + ".0"})]


def locked_versions(lock_text: str) -> dict[str, list[tuple[str, str]]]:
    locked: dict[str, list[tuple[str, str]]] = {}
    for package in tomllib.loads(lock_text)["package"]:
        locked.setdefault(canonicalize_name(package["name"]), []).append(
            (package["version"], package.get("markers", "")))
    return locked


def pinned_versions(paths: list[Path]) -> dict[str, list[tuple[str, str]]]:
    pinned: dict[str, list[tuple[str, str]]] = {}
    for path in paths:
        for req in requirement_lines(path):
            specs = list(req.specifier)
            assert len(specs) == 1 and specs[0].operator == "==", \
                "%s: %s is not an exact == pin" % (path.name, req)
            pinned.setdefault(canonicalize_name(req.name), []).append(
                (specs[0].version, str(req.marker or "")))
    return pinned


def drift(lock_text: str, paths: list[Path],
          project: Path = ROOT) -> list[str]:
    """Every disagreement between requirements files and a project's lock."""
    locked, pinned = locked_versions(lock_text), pinned_versions(paths)
    needed = runtime_dependencies(project)
    problems = []
    for name in sorted(needed - set(pinned)):
        problems.append("%s (pyproject.toml) is in no requirements file"
                        % name)
    for name in sorted(set(pinned) - needed):
        problems.append("%s is pinned but not a dependency in "
                        "pyproject.toml" % name)
    for name in sorted(set(pinned) & needed):
        for python in PYTHONS:
            pins = selected(pinned[name], python)
            locks = selected(locked.get(name, []), python)
            if pins != locks:
                problems.append("%s on Python %s: pinned %s, locked %s"
                                % (name, python, pins, locks))
    return problems


def test_requirements_match_the_lock_for_every_python() -> None:
    assert drift((ROOT / "poetry.lock").read_text(),
                 list(REQUIREMENTS.values())) == []


def test_drift_is_caught_when_a_pin_changes(tmp_path: Path) -> None:
    changed = tmp_path / "requirements.txt"
    changed.write_text(REQUIREMENTS["ex01"].read_text().replace(
        "requests==", "requests==0.0.1; python_version < '3'\nrequests==9"))
    problems = drift((ROOT / "poetry.lock").read_text(),
                     [changed, REQUIREMENTS["ex02"]])
    assert any(p.startswith("requests on Python 3.11: pinned ['9")
               for p in problems)


def test_drift_is_caught_for_missing_and_extra_packages(
        tmp_path: Path) -> None:
    ex01 = tmp_path / "ex01.txt"
    ex01.write_text("\n".join(line for line in REQUIREMENTS["ex01"]
                              .read_text().splitlines()
                              if not line.startswith("requests"))
                    + "\nrich==13.0.0\n")
    problems = drift((ROOT / "poetry.lock").read_text(),
                     [ex01, REQUIREMENTS["ex02"]])
    assert "requests (pyproject.toml) is in no requirements file" in problems
    assert "rich is pinned but not a dependency in pyproject.toml" \
        in problems


def test_each_requirements_file_pins_its_own_scripts_packages() -> None:
    names = {key: set(pinned_versions([path]))
             for key, path in REQUIREMENTS.items()}
    assert names == {"ex01": {"pandas", "requests", "matplotlib", "numpy"},
                     "ex02": {"python-dotenv"}}
    for path in REQUIREMENTS.values():
        assert "poetry.lock" in path.read_text(), \
            "%s should say how it relates to the lock" % path


def test_pyproject_declares_what_the_project_is() -> None:
    data = pyproject()
    assert data["project"]["requires-python"] == ">=3.10"
    assert data["tool"]["poetry"]["package-mode"] is False
    assert "source" not in data["tool"]["poetry"]
    assert runtime_dependencies() == {"pandas", "numpy", "matplotlib",
                                      "requests", "python-dotenv"}
    dev = {canonicalize_name(Requirement(s).name)
           for s in data["dependency-groups"]["dev"]}
    assert {"pytest", "flake8", "mypy", "pandas-stubs",
            "types-requests"} <= dev


def test_lock_resolves_for_every_accepted_python() -> None:
    locked = locked_versions((ROOT / "poetry.lock").read_text())
    for name in runtime_dependencies():
        for python in PYTHONS[:-1]:
            assert len(selected(locked[name], python)) == 1, (name, python)


@pytest.mark.parametrize("folder", [ROOT, ROOT / "ex01"],
                         ids=["module", "ex01"])
def test_poetry_check_lock_passes(folder: Path) -> None:
    poetry = shutil.which("poetry")
    if poetry is None:
        pytest.skip("poetry is not on PATH")
    done = subprocess.run([poetry, "check", "--lock"], cwd=folder,
                          capture_output=True, text=True, timeout=120,
                          env=clean_env())
    assert done.returncode == 0, done.stdout + done.stderr


# --- ex01, a hand-in of its own -------------------------------------------

EX01 = ROOT / "ex01"


def test_ex01_is_a_project_of_its_own() -> None:
    data = pyproject(EX01)
    assert data["project"]["requires-python"] == ">=3.10"
    assert data["tool"]["poetry"]["package-mode"] is False
    assert "source" not in data["tool"]["poetry"]
    assert runtime_dependencies(EX01) == {"pandas", "numpy", "matplotlib",
                                          "requests"}
    assert runtime_dependencies(EX01) <= runtime_dependencies()
    for name in ("loading.py", "requirements.txt", "pyproject.toml",
                 "poetry.lock"):
        assert (EX01 / name).is_file(), name


def test_ex01_requirements_match_its_own_lock() -> None:
    assert drift((EX01 / "poetry.lock").read_text(), [REQUIREMENTS["ex01"]],
                 EX01) == []


def shared_drift(first: str, second: str) -> list[str]:
    """Packages both locks hold, pinned differently for some Python."""
    one, other = locked_versions(first), locked_versions(second)
    return ["%s on Python %s: %s against %s" % (name, python, a, b)
            for name in sorted(set(one) & set(other)) for python in PYTHONS
            for a, b in [(selected(one[name], python),
                          selected(other[name], python))] if a != b]


def test_the_two_locks_agree_on_every_package_they_share() -> None:
    module, ex01 = ((folder / "poetry.lock").read_text()
                    for folder in (ROOT, EX01))
    assert shared_drift(module, ex01) == []
    assert set(locked_versions(ex01)) <= set(locked_versions(module))


def test_lock_drift_between_the_two_is_caught() -> None:
    module = (ROOT / "poetry.lock").read_text()
    changed = (EX01 / "poetry.lock").read_text().replace(
        'name = "idna"\nversion = "', 'name = "idna"\nversion = "0.')
    assert any(problem.startswith("idna on Python 3.10")
               for problem in shared_drift(module, changed))


# --- git ignores what it must --------------------------------------------

IGNORED = (".env", "ex02/.env", "ex02/.env.local", ".venv/bin/python",
           "venv/bin/python", "matrix_env/bin/python",
           "ex01/__pycache__/loading.cpython-311.pyc", ".mypy_cache/x",
           ".pytest_cache/x", "matrix_analysis.png",
           "ex01/matrix_analysis.png")
KEPT = ("ex02/.env.example", ".env.example", "ex02/oracle.py",
        "poetry.lock", "ex01/requirements.txt")


def ignored_paths(repo: Path, paths: tuple[str, ...]) -> set[str]:
    """The paths git check-ignore reports as ignored (files need not exist)."""
    done = subprocess.run(["git", "check-ignore", *paths], cwd=repo,
                          capture_output=True, text=True, timeout=30,
                          env=clean_env())
    assert done.returncode in (0, 1), done.stderr
    return set(done.stdout.split())


@pytest.mark.parametrize("gitignores", [(".gitignore", "ex02/.gitignore"),
                                        (".gitignore",),
                                        ("ex02/.gitignore",)],
                         ids=["both", "top-level", "ex02"])
def test_gitignore_files_ignore_secrets_and_generated_files(
        git_repo, gitignores: tuple[str, ...]) -> None:
    repo = git_repo()
    for name in gitignores:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, repo / name)
    ignored = ignored_paths(repo, IGNORED + KEPT)
    # Each of the two files protects ex02/.env on its own.
    assert {"ex02/.env", "ex02/.env.local"} <= ignored
    if ".gitignore" in gitignores:
        assert ignored == set(IGNORED)
    assert not ignored & set(KEPT)


# --- README and CI ----------------------------------------------------------

def readme() -> str:
    return (ROOT / "README.md").read_text()


def ci_text() -> str:
    return (ROOT / ".ci" / "run").read_text()


def ci_commands() -> list[str]:
    """The poetry commands .ci/run runs, one per line as written."""
    return [line.strip() for line in ci_text().splitlines()
            if line.strip().startswith("poetry ")]


def test_readme_quick_start_is_the_two_commands_ci_runs() -> None:
    quick = readme_sections()["Quick start"]
    assert len(quick) == 1, "the quick start is one block of two commands"
    assert readme_runner.commands(quick[0]) == [
        "poetry install && poetry run python ex01/loading.py",
        "poetry run pytest"]
    assert set(readme_runner.commands(quick[0])) <= set(ci_commands())
    # It comes first, right after the introduction.
    assert list(readme_sections())[0] == "Quick start"


def readme_sections() -> dict[str, list[str]]:
    return readme_runner.sections(readme())


def test_every_readme_command_is_run_by_ci() -> None:
    """CI runs the quick start itself, the Poetry installation where Poetry
    is missing, and every other section through tests/readme.py."""
    text = ci_text()
    assert 'tests/readme.py run --in . "Installing Poetry"' in text
    assert text.rstrip().endswith("python3 tests/readme.py run --in .")
    sections = readme_sections()
    run_by_runner = [title for title in sections
                     if title not in readme_runner.LEFT_TO_CI]
    assert readme_runner.LEFT_TO_CI == ("Quick start", "Installing Poetry")
    commands = [line for title in run_by_runner
                for block in sections[title]
                for line in readme_runner.commands(block)]
    for needed in ("python3 ex0/construct.py",
                   "pip install -r ex01/requirements.txt",
                   "cd ex01 && poetry install && poetry run python "
                   "loading.py && cd ..",
                   "poetry run python tests/benchmark.py"):
        assert needed in commands, needed
    # Each block of the evaluator's section says what to look for.
    for block in sections["Evaluating this module"]:
        assert readme_runner.expectations(block), block


def test_installing_poetry_exposes_only_the_poetry_command() -> None:
    [venv_block, path_block] = readme_sections()["Installing Poetry"]
    lines = readme_runner.commands(venv_block)
    assert lines[0].startswith("python3 -m venv ")
    assert any("ln -sf" in line and line.endswith("~/.local/bin/poetry")
               for line in lines)
    # No venv bin/ directory is put first on PATH.
    assert not any("PATH" in line and "venv" in line
                   for block in readme_sections()["Installing Poetry"]
                   for line in readme_runner.commands(block))
    assert readme_runner.commands(path_block)[-1] == "poetry --version"


def test_readme_runner_checks_what_to_look_for(tmp_path: Path) -> None:
    blocks = ["echo one\n# look for: one\n", "echo two\n# look for: three\n",
              "nonexistent-command-xyz\n"]
    failures = readme_runner.run_section("T", blocks, tmp_path)
    assert failures == ["T, block 2: no line with 'three'",
                        "T, block 3: 'command not found' in the output"]


def test_ci_runs_with_strict_bash_and_installs_poetry_when_missing() -> None:
    text = ci_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert "command -v poetry" in text
    assert "poetry check --lock" in text
    assert "(cd ex01 && poetry check --lock)" in text
    assert "poetry env use" in text     # a clean base interpreter
    assert "tool.poetry.source" not in (ROOT / "pyproject.toml").read_text()
    assert "tool.poetry.source" not in (ROOT / "ex01" / "pyproject.toml"
                                        ).read_text()


def test_readme_is_written_for_its_readers() -> None:
    """A learner, an evaluator, a user with a broken environment: short
    enough to read; measurements' internals belong to the benchmark."""
    text = readme()
    assert len(text) <= 25_000
    for internal in ("page fault", "tokens per", "µs per", "instructions per"):
        assert internal not in text.lower()
