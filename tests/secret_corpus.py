"""Hardcoded secrets in the shapes code and configuration write them, and
look-alikes that are not secrets: the corpus on which tests/test_oracle.py
holds oracle.py's secret scan, and tests/benchmark.py compares it with
detect-secrets.

Each line is written as it appears in a real file, with {key} (a random
20-character key), {pw} (a random 12-character password) or another
value of the table below where a value goes. Every planted line holds
exactly one secret; no look-alike line holds one.
"""
import random
import string
from pathlib import Path
from types import ModuleType

# (file name, lines): each line holds one secret.
SECRETS: list[tuple[str, list[str]]] = [
    ("settings.py", [
        'API_KEY = "{key}"',
        'api_key: str = "{key}"  # TODO move to env',
        'client = Client(api_key="{key}")',
        'KEY = os.environ.get("API_KEY", "{key}")',
        'token = os.getenv("GITHUB_TOKEN", default="{key}")',
        'CONFIG = {"api_key": "{key}"}',
        'response = requests.get(url, params={"token": "{key}"})',
        'headers = {"Authorization": "Bearer {key}"}',
        "        self.client_secret = '{key}'",
        'settings["secretKey"] = "{key}"',
        '# API_KEY = "{key}"',
        'DATABASE_URL = "postgresql://admin:{pw}@db.internal:5432/app"',
        'dsn = f"postgresql://{user}:{pw}@{host}/app"',
        'url = "https://api.example.com/v1/items?api_key={key}&limit=10"',
        'conn = connect(host="db", user="app", password="{pw}")',
        's3 = boto3.client("s3", aws_access_key_id="{aws}")',
        'GITHUB = "{github}"',
        'BLOBS = "DefaultEndpointsProtocol=https;AccountName=neo;'
        'AccountKey={key}==;EndpointSuffix=core.windows.net"',
    ]),
    ("app.js", [
        'const apiKey = "{key}";',
        "fetch(url, { headers: { 'x-api-key': '{key}' } });",
    ]),
    ("config.json", [
        '{"secret": "{key}",',
        ' "clientSecret": "{key}"}',
    ]),
    ("config.yaml", [
        "database:",
        "  password: {pw}",
        '  api_token: "{key}"',
    ]),
    ("settings.toml", [
        "[auth]",
        'client_secret = "{key}"',
    ]),
    ("app.ini", [
        "[database]",
        "passwd = {pw}",
    ]),
    ("deploy.sh", [
        "export AWS_SECRET_ACCESS_KEY={key}",
        'curl -H "Authorization: Bearer {key}" https://api.example.com/',
        "DB_PASS='{pw}' ./migrate",
    ]),
    ("Dockerfile", [
        "FROM python:3.12-slim",
        "ENV API_KEY={key}",
        "ENV SECRET_TOKEN {key}",
    ]),
    ("docker-compose.yml", [
        "services:",
        "  db:",
        "    environment:",
        "      - POSTGRES_PASSWORD={pw}",
        "      API_TOKEN: {key}",
    ]),
    ("netrc", [
        "machine api.example.com login neo password {pw}",
    ]),
    ("NOTES.md", [
        "# Staging",
        "The staging password is {pw} (rotate it monthly).",
        "Your token:\u00a0{key}",
    ]),
    ("id_rsa", [
        "-----BEGIN OPENSSH PRIVATE KEY-----",
    ]),
]

# (file name, lines): no line holds a secret.
LOOK_ALIKES: list[tuple[str, list[str]]] = [
    ("safe_settings.py", [
        'API_KEY = os.environ["API_KEY"]',
        'token = os.getenv("TOKEN")',
        'password = getpass.getpass("Password: ")',
        'SECRET_NAME = "API_KEY"',
        "token = None",
        'api_key = ""',
        'API_KEY = "<your-api-key>"',
        'password = "changeme"',
        'secret = "xxxxxxxxxxxxxxxxxxxx"',
        'DATABASE_URL = "postgresql://user:${DB_PASSWORD}@localhost/app"',
        'dsn = f"postgresql://{user}:{password}@{host}/app"',
        '# pip install --index-url https://__token__:TOKEN@pypi.example/',
        'password_hash = "{sha256}"',
        'CHECKSUM = "{sha256}"',
        'API_KEY_ID = "{uuid}"',
        'request_token_id = "{uuid}"',
        'TOKEN_PATTERN = r"[A-Za-z0-9_]{32,64}"',
        r'PASSWORD_RE = re.compile(r"^(?=.*\d)(?=.*[a-z]).{8,64}$")',
        'logo = "data:image/png;base64,{png}"',
        "token = generate_token_v2(user)",
        "api_key = self.api_key_v2",
        'password = config["database"]["password"]',
        "if token == expected_token:",
        "def login(username: str, password: str) -> Token:",
        'commit = "{sha1}"',
        'author = "Jane Doe"',
        'AUTH_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]',
        'AUTH_PASSWORD_VALIDATORS = [{"NAME": "django.contrib.auth.'
        'password_validation.MinimumLengthValidator"}]',
        "SECRET_KEY = get_random_secret_key()",
        "refresh_token_ttl = 3600",
        'token_url = "https://oauth2.googleapis.com/token"',
        'tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")',
        "max_tokens = 4096",
        'PRIVATE_KEY_PATH = "/etc/ssl/private/server2024.key"',
        'conn = connect(password=os.environ["DB_PASSWORD"])',
        'api_version = "2023-10-16"',
    ]),
    ("package.json", [
        '{"name": "matrix", "private": true, "version": "1.0.0",',
        ' "author": "Neo <neo@example.com>"}',
    ]),
    ("workflow.yml", [
        "      - uses: actions/checkout@v4",
        "          token: ${{ secrets.GITHUB_TOKEN }}",
        "          AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE",
    ]),
    ("deployment.yaml", [
        "            secretKeyRef:",
        "              name: db-secret",
        "              key: password",
        '          password: "{{ .Values.db.password }}"',
        "      secret_ref: projects/123456789/secrets/db-password/versions/2",
    ]),
    ("requirements.txt", [
        "requests==2.31.0 \\",
        "    --hash=sha256:{sha256}",
    ]),
    ("package-lock.json", [
        '      "integrity": "sha512-{sha512}",',
    ]),
    ("sample.env", [
        "API_KEY=your-api-key-here",
        "SECRET_KEY=changeme",
        "DATABASE_URL=postgresql://user:password@localhost/db",
    ]),
    ("compose.yaml", [
        "      - API_KEY=${API_KEY}",
        "      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-changeme}",
        "      password: !ENV ${DB_PASSWORD}",
        "      api_key: '{{ vault_api_key }}'",
    ]),
    ("Dockerfile.build", [
        "ARG API_KEY",
        "ENV API_KEY=$API_KEY",
    ]),
    ("release.sh", [
        'export AWS_SECRET_ACCESS_KEY="$(vault read -field=key aws/creds)"',
        'curl -H "Authorization: Bearer $TOKEN" https://api.example.com/',
    ]),
    ("schema.json", [
        '{"password": {"type": "string", "minLength": 12},',
        ' "token": {"$ref": "#/definitions/token"}}',
    ]),
    ("GUIDE.md", [
        "Set the password in .env (see .env.example).",
        "The token expires after 3600 seconds; renew it with --refresh.",
        "Your token:\u00a0",
    ]),
]

ALPHABET = string.ascii_letters + string.digits
SECRET_MARKS = ("{key}", "{pw}", "{aws}", "{github}")


def random_value(rng: random.Random, length: int,
                 alphabet: str = ALPHABET) -> str:
    """A random value with at least one letter and one digit."""
    while True:
        value = "".join(rng.choice(alphabet) for _ in range(length))
        if any(c.isalpha() for c in value) \
                and any(c.isdigit() for c in value):
            return value


def values(rng: random.Random) -> dict[str, str]:
    """A fresh value for each placeholder."""
    hexdigits = "0123456789abcdef"
    uuid = random_value(rng, 32, hexdigits)
    return {
        "key": random_value(rng, 20),
        "pw": random_value(rng, 12),
        "aws": "AKIA" + random_value(
            rng, 16, string.ascii_uppercase + string.digits),
        "github": "ghp_" + random_value(rng, 36),
        "sha1": random_value(rng, 40, hexdigits),
        "sha256": random_value(rng, 64, hexdigits),
        "sha512": random_value(rng, 86) + "==",
        "uuid": "-".join((uuid[:8], uuid[8:12], uuid[12:16], uuid[16:20],
                          uuid[20:])),
        "png": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42"
               "mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
    }


def filled(line: str, rng: random.Random, planted: list[str]) -> str:
    """line with each {name} of the table replaced by a new value (other
    braces, as in f-strings, are kept); the values go to planted."""
    fresh = values(rng)
    for name, value in fresh.items():
        mark = "{%s}" % name
        if mark in line:
            line = line.replace(mark, value)
            planted.append(value)
    return line


def write_corpus(folder: Path, seed: int = 1999
                 ) -> tuple[set[tuple[str, int]], list[str]]:
    """Write every file of the corpus into folder: the (file, line) of
    each planted secret, and every value written (secrets and
    look-alikes alike, none of which may reach any output)."""
    rng = random.Random(seed)
    planted: list[str] = []
    where: set[tuple[str, int]] = set()
    for name, lines in SECRETS + LOOK_ALIKES:
        text = [filled(line, rng, planted) for line in lines]
        (folder / name).write_text("\n".join(text) + "\n", encoding="utf-8")
        if (name, lines) in SECRETS:
            where |= {(name, number) for number, line in enumerate(lines, 1)
                      if "PRIVATE KEY" in line
                      or any(mark in line for mark in SECRET_MARKS)}
    return where, planted


def detect_secrets_lines(folder: Path) -> set[tuple[str, int]]:
    """(file, line) of each secret detect-secrets finds in folder's files,
    with its default plugins and filters."""
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import default_settings

    found = SecretsCollection(root=str(folder))
    with default_settings():
        found.scan_files(*sorted(path.name for path in folder.iterdir()),
                         num_processors=1)
    return {(name, secret.line_number) for name, secret in found}


def oracle_lines(oracle: ModuleType, folder: Path) -> set[tuple[str, int]]:
    """(file, line) of each finding of oracle.py's scan (the module)."""
    scan = oracle.scan_for_secrets(str(folder), [], [])
    return {(name, int(line)) for name, line, _ in
            (finding.split(":", 2) for finding in scan.findings)}
