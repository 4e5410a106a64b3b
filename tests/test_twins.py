"""What exists twice, because each script must stand alone, behaves the
same in both: one table of cases runs through each pair, so that the
copies cannot drift apart."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import (SCRIPTS, canary, leaks, load_script, run,
                      site_packages, venv_python)

oracle = load_script("oracle")
loading = load_script("loading")
construct = load_script("construct")

URLS = [
    ("postgresql://neo:pw@localhost/zion",
     "postgresql://***:***@localhost/zion"),
    ("https://token@host/x", "https://***@host/x"),
    ("https://u:p/a@ss@host:1/x", "https://***:***@host:1/x"),
    ("https://h/x?user=neo&password=S3cret#frag", "https://h/x?***#***"),
    ("https://h/x#frag", "https://h/x#***"),
    ("postgres://user:PASS/db",
     "postgres://(not a valid host and port: hidden)"),
    ("https://h:0/x", "https://(not a valid host and port: hidden)"),
    ("https://h:65536/x", "https://(not a valid host and port: hidden)"),
    ("https://h:65535/x", "https://h:65535/x"),
    ("https://h!x/y", "https://(not a valid host and port: hidden)"),
    ("https://ghp_tok:x-oauth-basic@github.com/o/r",
     "https://***:***@github.com/o/r"),
    ("https://[::1]:8080/x", "https://[::1]:8080/x"),
    ("https://[::1]x/", "https://(not a valid host and port: hidden)"),
    ("HTTPS://Zion.Example/API", "https://zion.example/API"),
    ("sqlite:///var/zion.db", "sqlite:///var/zion.db"),
    ("https://u:p?s#s@host/x?e=a@b#f", "https://***:***@b#***"),
    ("https://host/x?email=a@b.example", "https://***@b.example"),
    ("https://u:p@host/\x1b[2J", "(not a URL: hidden)"),
    ("https://host/a b", "(not a URL: hidden)"),
    ("not a url", "(not a URL: hidden)"),
    ("://host", "(not a URL: hidden)"),
    ("https://host/" + "p" * 200, "https://host/" + "p" * 84 + "..."),
    # requests reads "\\" as "/": the host shown would not be the host
    # contacted (127.0.0.1 here).
    ("http://127.0.0.1:8765\\@host.invalid/x", "(not a URL: hidden)"),
    ("http://u:p@host/a\\b", "(not a URL: hidden)"),
    # Only ASCII digits make a port (isdigit() takes the others).
    ("https://h:\u00b2/x", "https://(not a valid host and port: hidden)"),
    ("https://h:\u0663/x", "https://(not a valid host and port: hidden)"),
    ("https://h:8\uff10/x", "https://(not a valid host and port: hidden)"),
    ("https://h:80/x", "https://h:80/x"),
    # Hosts no resolver takes: empty labels, octets over 255, an IPv6
    # literal that is no address.
    ("https://a..b/x", "https://(not a valid host and port: hidden)"),
    ("https://.com/", "https://(not a valid host and port: hidden)"),
    ("https://999.999.999.999/", "https://(not a valid host and port: "
     "hidden)"),
    ("https://[zz]/", "https://(not a valid host and port: hidden)"),
    ("https://[::1%eth0]:8/", "https://[::1%eth0]:8/"),
    ("https://255.0.0.1/", "https://255.0.0.1/"),
    ("https://db_1:5432/", "https://db_1:5432/"),
    ("postgresql://%2Fvar%2Frun/zion", "postgresql://%2fvar%2frun/zion"),
    # ";" parameters carry session ids and DSN passwords.
    ("https://h/x;jsessionid=S3cret?q=1", "https://h/x;***?***"),
    ("mssql://h/db;password=S3cret", "mssql://h/db;***"),
]


@pytest.mark.parametrize("url, shown", URLS)
def test_both_scripts_show_a_url_alike(url: str, shown: str) -> None:
    assert oracle.shown_url(url) == shown
    assert loading.shown_url(url) == shown


@pytest.mark.parametrize("text", [
    "plain", "C:\\matrix_env é", "a\nb", "\x1b[31m", "\udcff", "\u202e",
    "tab\there", "",
])
def test_both_scripts_escape_alike(text: str) -> None:
    assert oracle.escaped(text) == loading.escaped(text) \
        == construct.escaped(text)
    assert oracle.escaped(text).isprintable()
    assert oracle.clipped(text * 40) == loading.clipped(text * 40)


@pytest.mark.parametrize("items", [["a"], ["a", "b"], list("abcdefgh")])
def test_both_scripts_list_alike(items: list[str]) -> None:
    assert oracle.listed(items) == loading.listed(items)


@pytest.mark.parametrize("word", ["ex01/loading.py", "my place/x",
                                  "it's", "", "/abs/path-1.2_x"])
def test_both_scripts_quote_alike(word: str) -> None:
    assert oracle.quoted(word) == loading.quoted(word) \
        == construct.quoted(word)


def test_both_scripts_tell_errors_alike() -> None:
    assert oracle.USAGE.startswith("usage: oracle.py")
    assert loading.USAGE.startswith("usage: loading.py")
    for script in (oracle, loading):
        assert script.MAX_ECHOED == 60 and script.MAX_LISTED == 5


@pytest.mark.parametrize("name, shown", [
    ("--pionts", "--pionts"), ("--api-key", "--api-key"),
    ("--Cx6e5ff762adf9810", "(an argument that is not an option; see "
     "--help)"), ("token", "(an argument that is not an option; see "
                  "--help)"),
    ("--" + "a" * 21, "(an argument that is not an option; see --help)"),
    ("--", "(an argument that is not an option; see --help)"),
    ("-pqwertyuiop", "(an argument that is not an option; see --help)"),
])
def test_both_scripts_name_unknown_options_alike(name: str,
                                                 shown: str) -> None:
    assert oracle.option_name(name) == loading.option_name(name) == shown


FIND_INSTALLER = """
import importlib.util, sys
for path in sys.argv[1:]:
    spec = importlib.util.spec_from_file_location("script", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if hasattr(module, "find_installer"):
        print(module.find_installer())
    else:
        print("pip" if module.gather_facts().own_pip else "ensurepip")
"""


@pytest.mark.parametrize("pip, cfg_line, installer", [
    (False, "", "ensurepip"),
    (True, "", "pip"),
    (True, "uv = 0.5.11", "uv"),
    (False, "UV = 0.5.11", "uv"),
])
def test_both_scripts_find_a_venvs_installer_alike(
        fresh_venv, pip: bool, cfg_line: str, installer: str) -> None:
    """Run in a real venv: one made without pip, one with a pip package
    (a stand-in, found as pip is), one that uv signs in pyvenv.cfg."""
    venv = fresh_venv()
    if pip:
        (site_packages(venv) / "pip").mkdir()
        (site_packages(venv) / "pip" / "__init__.py").write_text("")
    with open(venv / "pyvenv.cfg", "a", encoding="utf-8") as cfg:
        cfg.write(cfg_line + "\n")
    done = run([str(venv_python(venv)), "-c", FIND_INSTALLER,
                str(SCRIPTS["oracle"]), str(SCRIPTS["loading"]),
                str(SCRIPTS["construct"])])
    assert done.returncode == 0, done.stderr
    # construct.py tells whether the venv has a pip of its own (a venv
    # without one gets "ensurepip" from the other two), whoever made it.
    assert done.lines == [installer, installer,
                          "pip" if pip else "ensurepip"]


def test_both_scripts_find_no_installer_outside_a_venv(
        global_python) -> None:
    done = run([str(global_python), "-c", FIND_INSTALLER,
                str(SCRIPTS["oracle"]), str(SCRIPTS["loading"])])
    assert done.returncode == 0, done.stderr
    assert done.lines == ["", ""]


# --- Properties: any URL-shaped text ---------------------------------------

PART = st.text(st.one_of(st.characters(), st.sampled_from(
    list(":/?#@[]%\\.\u00b2\u0663\x1b\u202e\n\t "))), max_size=12)


@settings(max_examples=400, deadline=None)
@given(scheme=st.sampled_from(["https", "http", "postgresql", "x+y", "1a",
                               ""]),
       host=PART, port=PART, path=PART, extra=PART)
def test_any_url_is_shown_alike_and_without_its_secrets(
        scheme: str, host: str, port: str, path: str, extra: str) -> None:
    user, password, query, fragment = (canary() for _ in range(4))
    url = "%s://%s:%s@%s:%s/%s?q=%s%s#%s" % (
        scheme, user, password, host, port, path, query, extra, fragment)
    shown = oracle.shown_url(url)
    assert shown == loading.shown_url(url)
    assert shown.isprintable()
    assert leaks(shown, [user, password, query, fragment]) == []
