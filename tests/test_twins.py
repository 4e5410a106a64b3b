"""What exists twice, because each script must stand alone, behaves the
same in both: one table of cases runs through each pair, so that the
copies cannot drift apart."""
import sys

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from conftest import (SCRIPTS, budget, canary, leaks, load_script, run,
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


@pytest.mark.parametrize("length", [59, 60, 61, 200])
def test_both_scripts_clip_at_sixty_characters(length: int) -> None:
    """Up to MAX_ECHOED characters are shown whole; a longer string ends
    in "..." within them."""
    text = "x" * length
    wanted = text
    if length > 60:
        wanted = "x" * 57 + "..."
    assert oracle.clipped(text) == loading.clipped(text) == wanted


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


# --- Differential: the host shown is the host requests contacts -----------
#
# URL-shaped text built from the pieces that trip URL readers; requests
# prepares the request, urllib3 reads the host and port it would connect
# to. Whenever a script accepts a URL, its host and port are those.

HOSTS = ["example.com", "EXAMPLE.com", "127.0.0.1", "[::1]", "[fe80::1%25e]",
         "xn--caf-dma.fr", "caf\u00e9.fr", "a..b", "999.1.1.1", "1.2.3.256",
         "host_name", "a%41b.com", "", "example.com.", "[::1", "localhost",
         "0x7f.1", "127.1", "1.2.3.4.5", "-a.com", "a-.com", "\u00b2.com",
         "[::ffff:1.2.3.4]", "[v1.x]", "h:1:2", "b\u00fccher.de", "a.b_c"]
PIECES = st.sampled_from(["", "@", "/", "?", "#", ";", ":", "%40", "%2F", "a",
                          "x@y", "@@", "%", "."])
AUTH = st.sampled_from(["", "user@", "user:pw@", "u:p@x@", ":@", "@",
                        "u:p/q@", "u%40:p@"])
PORTS = st.sampled_from(["", ":80", ":8080", ":0", ":65535", ":65536", ":",
                         ":8x", ":-1", ": 80", ":\u0663"])


def contacted(url: str) -> "tuple[str, int | None] | None":
    """The host and port requests would connect to, or None."""
    requests = pytest.importorskip("requests")
    from urllib3.util import parse_url
    try:
        prepared = requests.Request("GET", url).prepare()
        parsed = parse_url(prepared.url)
    except Exception:       # requests refuses: nothing is contacted
        return None
    return (parsed.host or "").lower(), parsed.port


def shown_host(shown: str) -> "tuple[str, int | None] | None":
    """The host and port a script's masked URL names, or None."""
    rest = shown.partition("://")[2]
    if not rest or rest.startswith("(not "):
        return None
    netloc = rest.partition("/")[0].partition("?")[0].partition("#")[0]
    netloc = netloc.rpartition("@")[2]
    if netloc.startswith("["):
        host, _, after = netloc.partition("]")
        host, port = host + "]", after[1:]
    else:
        host, _, port = netloc.partition(":")
    return as_contacted(host), int(port) if port else None


def as_contacted(host: str) -> str:
    """A host as requests sends it: IDNA for names beyond ASCII; an IPv6
    zone's "%25" is the URL's spelling of "%"."""
    if host.startswith("["):
        return host.lower().replace("%25", "%")
    if host.isascii():
        return host.lower()
    try:
        import idna
        return idna.encode(host, uts46=True).decode()
    except Exception:
        return "(no IDNA form)"


def default_port(port: "int | None", scheme: str) -> int:
    if port is not None:
        return port
    return 443 if scheme == "https" else 80


@budget(300, 5000)
@given(scheme=st.sampled_from(["http", "https", "HTTP"]), auth=AUTH,
       host=st.one_of(st.sampled_from(HOSTS), st.text(max_size=6)),
       port=PORTS, tail=st.lists(PIECES, max_size=4).map("".join))
def test_the_host_shown_is_the_host_requests_contacts(
        scheme: str, auth: str, host: str, port: str, tail: str) -> None:
    url = "%s://%s%s%s/%s" % (scheme, auth, host, port, tail)
    real = contacted(url)
    if real is None:
        return
    wanted = (real[0], default_port(real[1], scheme.lower()))
    _, error = loading.parse_args(["--source", url])
    said = shown_host(loading.shown_url(url))
    if error is None and said is not None:
        event("loading.py accepts what requests contacts")
        assert (said[0], default_port(said[1], scheme.lower())) == wanted, \
            ("loading.py", url)
    parsed = oracle.parse_url(url)
    if oracle.url_problem(parsed, oracle.ENDPOINT_SCHEMES, False) is None:
        event("oracle.py accepts what requests contacts")
        said = (as_contacted(parsed.host), int(parsed.port or 0) or None)
        assert (said[0], default_port(said[1], scheme.lower())) == wanted, \
            ("oracle.py", url)


@pytest.mark.parametrize("url", [
    "https://zion.example/x@evil.example/",     # requests: zion.example
    "https://zion%2Eexample/",                  # requests: zion.example
    "https://a%41b.example/",                   # requests: aab.example
])
def test_a_url_whose_host_requests_reads_otherwise_is_refused(
        url: str) -> None:
    done = run([sys.executable, str(SCRIPTS["loading"]), "--source", url])
    assert done.returncode == 2 and done.stdout == ""
    assert "write it" in done.stderr and "evil" not in done.stderr
    problem = oracle.url_problem(oracle.parse_url(url),
                                 oracle.ENDPOINT_SCHEMES, False)
    assert problem is not None and problem.endswith("write it plainly") or \
        problem.endswith("(write it as %40)")


# --- Every twin in a parity test --------------------------------------------

@budget(300, 5000)
@given(host=st.one_of(
    st.tuples(*[st.integers(0, 300)] * 4).map(
        lambda octets: ".".join(map(str, octets))),
    st.sampled_from(["255.255.255.255", "256.0.0.1", "1.2.3.256", "0.0.0.0",
                     "1.2.3", "1.2.3.4.5", "01.2.3.4", "[::1]", "[::1",
                     "[fe80::1%eth0]", "a..b", "", "-", "a_b", "\u00b2.com",
                     "\u0663.1.1.1", "caf\u00e9.fr", "%2Fvar"]),
    st.text(st.sampled_from(list("ab19.-_~%[]:\u00e9\u0663 ")), max_size=12)))
def test_both_scripts_judge_hosts_alike(host: str) -> None:
    """Boundary labels included: 255 is an octet, 256 none."""
    assert oracle.valid_host(host) is loading.valid_host(host)
    labels = host.split(".")
    if len(labels) == 4 and all(label.isascii() and label.isdigit()
                                for label in labels):
        assert oracle.valid_host(host) is all(int(label) <= 255
                                              for label in labels)


# Helpers that each script holds a copy of, and the test that keeps the
# copies alike; the rest share a name but do each script's own work.
TWIN_TESTS = {
    "escaped": test_both_scripts_escape_alike,
    "clipped": test_both_scripts_escape_alike,
    "quoted": test_both_scripts_quote_alike,
    "listed": test_both_scripts_list_alike,
    "option_name": test_both_scripts_name_unknown_options_alike,
    "shown_url": test_both_scripts_show_a_url_alike,
    "valid_host": test_both_scripts_judge_hosts_alike,
    "find_installer": test_both_scripts_find_a_venvs_installer_alike,
}
OWN_WORK = {"main", "build_report", "Facts", "Options", "parse_args",
            "say_error", "show", "close_stdout", "OutputError", "read_text",
            "shown_path"}


def test_every_twin_has_a_parity_test() -> None:
    import ast
    defined = []
    for path in SCRIPTS.values():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined.append({node.name for node in tree.body if isinstance(
            node, (ast.FunctionDef, ast.ClassDef))})
    shared = set()
    for at, names in enumerate(defined):
        for other in defined[at + 1:]:
            shared |= names & other
    assert shared - OWN_WORK == set(TWIN_TESTS)
