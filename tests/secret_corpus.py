"""Hardcoded secrets in the shapes code and configuration write them, and
look-alikes that are not secrets: the corpus on which tests/test_oracle.py
holds oracle.py's secret scan, and tests/benchmark.py compares it with
detect-secrets.

Each line is written as it appears in a real file, with {key} (a random
20-character key), {pw} (a random 12-character password) or another
value of the table below where a value goes. Every planted line holds
exactly one secret; no look-alike line holds one.
"""
import base64
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

# More idioms, from frameworks' documentation and the rules of gitleaks,
# detect-secrets and GitHub's secret scanning: values with any printable
# character, string prefixes, pairs, positional keys, tokens known by
# their prefix with no name at all, base64 in Kubernetes Secrets, command
# lines, credential files, private keys of every common armour.
SECRETS += [
    ("django_settings.py", [
        "SECRET_KEY = '{django}'",
        'SECRET_KEY = "{djangokey}"',
        "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql',",
        "    'PASSWORD': '{sympw}',",
        "    'HOST': 'db'}}",
    ]),
    ("flask_app.py", [
        "app = Flask(__name__)",
        "app.secret_key = b'{hex32}'",
        "app.config['SECRET_KEY'] = r'{sympw}'",
        "jwt_fixture = '{jwt}'",
        "r = requests.get(url, auth=('deploy', '{pw}'))",
        "session.auth = HTTPBasicAuth('deploy', '{sympw}')",
        "client = OpenAI('{openai}')",
        "claude = anthropic.Anthropic(api_key='{anthropic}')",
        '("API_KEY", "{key}"),',
    ]),
    ("clients.py", [
        'GH = "{ghp}"',
        "gl = gitlab.Gitlab(url, private_token='{glpat}')",
        "slack = WebClient('{xoxb}')",
        'STRIPE = "{rk_live}"',
        'aws_key_id = "{asia}"',
        'maps = GoogleMaps("{aiza}")',
        'TWINE = "{pypi}"',
        'sg = SendGridAPIClient("{sendgrid}")',
        'hub = HfApi("{hf}")',
        'HOOK = "{webhook}"',
        'see("{age}")',
        'db = "postgresql://app:{pw}@db.internal/app"  # see https://wiki/db',
    ]),
    ("secret.yaml", [
        "apiVersion: v1",
        "kind: Secret",
        "data:",
        "  password: {b64pw}",
        "  api-key: {b64key}",
        "  tls.key: {pemb64}",
        "  .dockerconfigjson: {dockerb64}",
    ]),
    ("compose.override.yml", [
        "services:",
        "  mysql:",
        "    environment:",
        "      MYSQL_ROOT_PASSWORD: {letters}",
        '      MYSQL_PASSWORD: "{letters}"',
    ]),
    ("publish.sh", [
        "curl -u deploy:{pw} https://repo.example.com/upload",
        "docker login -u deploy -p {pw} registry.example.com",
        "sshpass -p '{sympw}' ssh deploy@host",
        "export PYPI_PASSWORD={pypi}",
        'git clone "https://oauth2:{glpat}@gitlab.example.com/app.git"',
    ]),
    ("main.tf", [
        'resource "aws_db_instance" "db" {',
        '  password = "{sympw}"',
        '  access_key = "{aws}"',
        "}",
    ]),
    ("app.properties", [
        "spring.datasource.password={pw}",
        "db.password: {pw}",
    ]),
    ("server.js", [
        "const stripe = require('stripe')('{sk_live}');",
        "const npmToken = `{npm}`;",
        "const auth = { user: 'neo', pass: '{pw}' };",
    ]),
    (".npmrc", [
        "//registry.npmjs.org/:_authToken={npm}",
    ]),
    ("pip.conf", [
        "[global]",
        "index-url = https://neo:{pw}@pypi.example.com/simple",
    ]),
    (".git-credentials", [
        "https://neo:{ghp}@github.com",
    ]),
    ("service-account.json", [
        '{"type": "service_account",',
        ' "private_key": "-----BEGIN PRIVATE KEY-----\\n{b64key}\\n-----END '
        'PRIVATE KEY-----\\n"}',
    ]),
    (".pgpass", [
        "# hostname:port:database:username:password",
        "localhost:5432:*:postgres:changeme",
        "db.example.com:5432:app:neo:{pw}",
    ]),
    ("signing.asc", [
        "-----BEGIN PGP PRIVATE KEY BLOCK-----",
    ]),
    ("deploy.ppk", [
        "PuTTY-User-Key-File-3: ssh-ed25519",
    ]),
    ("id_ecdsa", [
        "-----BEGIN EC PRIVATE KEY-----",
    ]),
]

# (file name, lines): no line holds a secret.
SECRETS += [
    # The name on the line before its value: Kubernetes, Terraform.
    ("k8s-deployment.yaml", [
        "      env:",
        "        - name: DB_PASSWORD",
        '          value: "{pw}"',
        "        - name: API_TOKEN",
        "          value: {key}",
    ]),
    ("variables.tf", [
        'variable "db_password" {',
        '  default = "{pw}"',
        "}",
        'variable "api_token" { default = "{key}" }',
    ]),
    # Clients that take a password as an option.
    ("db-tools.sh", [
        "mysql -u root -p{pw} app",
        "redis-cli -a {pw} ping",
        'echo "{pw}" | docker login -u bob --password-stdin',
    ]),
    ("Dockerfile.health", [
        "HEALTHCHECK CMD mysqladmin ping -uroot -p{pw}",
    ]),
    ("config.php", [
        '$db = ["password" => "{pw}",];',
    ]),
    ("settings_paren.py", [
        'db_pass = ("{pw}")',
        'DB_PASS2 = "{pw}"',
    ]),
]

LOOK_ALIKES: list[tuple[str, list[str]]] = [
    ("safe_settings.py", [
        'db_password = "dummy1234"',
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

# Code nobody here wrote, as it was found taken for a secret, and
# placeholders, hashes and tokens of the wrong length or alphabet.
LOOK_ALIKES += [
    ("crypto_code.py", [
        "private_key = Ed25519PrivateKey.generate()",
        'tokenizer = GPT2TokenizerFast.from_pretrained("gpt2")',
        "cipher_secret = base64.b64encode(nonce + ciphertext)",
        'data = os.path.join(pwd, "data/sales2023.csv")',
        "# to pass tests/test_api2.py, set the flag",
        'password = r"([a-f0-9]{48}(?![a-f0-9]))"',
        'challenge = auth._parse_www_authenticate(response, "www-auth")',
        "The dtype to pass to :meth:`numpy.asarray`.",
        'SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]',
        'auth = ("deploy", os.environ["DEPLOY_PASSWORD"])',
        'archive_sha256 = "{sha256}"',
        "expected_sha256: {sha256}",
        'tarball_sha256 = "{sha256}"',
        'if line.startswith("-----BEGIN RSA PRIVATE KEY-----"):',
        'PEM = b"-----BEGIN OPENSSH PRIVATE KEY-----"',
        '<assemblyIdentity publicKeyToken="1fc8b3b9a1e18e3b"/>',
        "return self.pass_through(token_type2, value2)",
    ]),
    ("bundle.pem", [
        "# Issuer: CN=Buypass Class 2 Root CA O=Buypass AS-983163327",
        "-----BEGIN CERTIFICATE-----",
        "-----BEGIN PUBLIC KEY-----",
    ]),
    ("postgresql.conf", [
        "#password_encryption = scram-sha-256\t# scram-sha-256 or md5",
    ]),
    ("index.html", [
        '<script type="module" src="http://localhost:5173/@vite/client">',
        '<script src="https://cdn.jsdelivr.net/npm/lodash@4.17.21/lodash.js">',
    ]),
    ("pip_help.txt", [
        "  --proxy <proxy>  Specify a proxy in the form "
        "scheme://[user:passwd@]proxy.server:port.",
    ]),
    ("urls.env", [
        "DATABASE_URL=postgresql://user:pass@localhost/db",
        "DATABASE_URL=postgresql://neo:Password@db.example/zion",
        "CACHE_URL=redis://neo:ChangeMe@cache.example:6379/0",
        "QUEUE_URL=amqp://neo:SECRET@mq.example/",
        "TEST_URL=postgresql://postgres:postgres@localhost:5432/test",
        "MYSQL_ROOT_PASSWORD=${MYSQL_ROOT_PASSWORD}",
        "MYSQL_ROOT_PASSWORD_FILE=/run/secrets/db_root_password",
    ]),
    ("wrong_shapes.py", [
        'GH = "ghp_{short}"',
        'SLACK = "xoxb-your-token-here"',
        'STRIPE = "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx"',
        'GOOGLE = "AIza{short}"',
        'JWT_HEADER = "eyJhbGciOiJIUzI1NiJ9"',
        'HF = "hf_{key}"',
        'AWS = "AKIA{lower16}"',
        'NPM = "npm_{short}"',
        'OPENAI = "sk-..."',
        'CERT = "{certb64}"',
    ]),
    ("tools.sh", [
        "mkdir -p build/output2024",
        'curl -u "$USER:$TOKEN" https://api.example.com/',
        "docker login -u deploy --password-stdin registry.example.com",
        "docker run -p 8080:80 nginx:1.25.3",
    ]),
]

LOOK_ALIKES += [
    # Module paths and network names under secret-sounding names.
    ("providers.py", [
        'token_id2 = "a8Fk29dLqP0zX7mN"',
        'CREDENTIALS_PROVIDER = "myapp.providers.S3CredentialsProvider"',
        'TOKEN_BACKEND = "rest_framework_simplejwt.token_blacklist2"',
        'auth_module = "django.contrib.auth.backends.ModelBackend2"',
        'private_subnet = "subnet-0bb1c79de3e5f6a70"',
        'private_network = "vpc-0a1b2c3d4e5f67890"',
    ]),
    ("k8s-secretref.yaml", [
        "        - name: DB_PASSWORD",
        "          valueFrom:",
        "            secretKeyRef:",
        "              key: password",
        "        - name: API_TOKEN",
        '          value: "${API_TOKEN}"',
    ]),
    ("mysql.sh", [
        "mysql -p mydatabase2",
        "mysql -u root -p app_db2",
    ]),
    ("vars_null.tf", [
        'variable "db_password" {',
        "  type    = string",
        "  default = null",
        "}",
    ]),
]


ALPHABET = string.ascii_letters + string.digits
# The marks of values that are secrets; the other marks are look-alikes.
SECRET_MARKS = tuple("{%s}" % name for name in (
    "key pw aws github django djangokey sympw hex32 jwt openai anthropic "
    "ghp glpat xoxb rk_live asia aiza pypi sendgrid hf webhook age b64pw "
    "b64key pemb64 dockerb64 letters sk_live npm").split())
BASE64URL = ALPHABET + "-_"
DJANGO = "abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)"
SYMBOLS = "!&()=:,;#"


def random_value(rng: random.Random, length: int,
                 alphabet: str = ALPHABET) -> str:
    """A random value with at least one letter and one digit."""
    while True:
        value = "".join(rng.choice(alphabet) for _ in range(length))
        if any(c.isalpha() for c in value) \
                and any(c.isdigit() for c in value):
            return value


def values(rng: random.Random) -> dict[str, str]:
    """A fresh value for each placeholder. Tokens of real providers are
    built here, at run time, never written whole in a file."""
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
        **provider_values(rng),
        **encoded_values(rng),
    }


def provider_values(rng: random.Random) -> dict[str, str]:
    """Tokens that carry their kind in a prefix, passwords and keys of
    the alphabets frameworks use, and look-alikes of the wrong shape."""
    def upper(length: int) -> str:
        return random_value(rng, length,
                            string.ascii_uppercase + string.digits)
    return {
        "django": "django-insecure-" + random_value(rng, 50, DJANGO),
        "djangokey": "k" + random_value(rng, 49, DJANGO),
        "sympw": symbol_password(rng),
        "hex32": random_value(rng, 32, "0123456789abcdef"),
        "openai": "sk-" + "proj-" + random_value(rng, 100, BASE64URL),
        "anthropic": "sk-" + "ant-api03-" + random_value(rng, 93, BASE64URL)
                     + "AA",
        "ghp": "gh" + "p_" + random_value(rng, 36),
        "glpat": "gl" + "pat-" + random_value(rng, 20, BASE64URL),
        "xoxb": "xo" + "xb-" + digits(rng, 13) + "-" + digits(rng, 13)
                + "-" + random_value(rng, 24),
        "rk_live": "rk" + "_live_" + random_value(rng, 34),
        "sk_live": "sk" + "_live_" + random_value(rng, 24),
        "asia": "AS" + "IA" + upper(16),
        "aiza": "AI" + "za" + random_value(rng, 35, BASE64URL),
        "pypi": "pypi-" + "AgEIcHlwaS5vcmc"
                + random_value(rng, 150, BASE64URL),
        "sendgrid": "SG." + random_value(rng, 22, BASE64URL) + "."
                    + random_value(rng, 43, BASE64URL),
        "hf": "hf" + "_" + "".join(rng.choice(string.ascii_letters)
                                   for _ in range(34)),
        "npm": "np" + "m_" + random_value(rng, 36),
        "webhook": "https://hooks.slack.com/services/T" + upper(8) + "/B"
                   + upper(8) + "/" + random_value(rng, 24),
        "age": "AGE-SECRET-" + "KEY-1" + random_value(
            rng, 58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"),
        "letters": "".join(rng.choice(string.ascii_letters)
                           for _ in range(12)),
        "short": random_value(rng, 20),
        "lower16": random_value(rng, 16, string.ascii_lowercase
                                + string.digits),
    }


def encoded_values(rng: random.Random) -> dict[str, str]:
    """Base64, as Kubernetes Secrets and service accounts hold values: a
    password, a key, a private key and a Docker config (secrets), a
    certificate (no secret); a JSON Web Token."""
    def b64(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    def b64url(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
    body = random_value(rng, 60, ALPHABET + "+/")
    return {
        "b64pw": b64(random_value(rng, 12)),
        "b64key": b64(random_value(rng, 24)),
        "pemb64": b64("-----BEGIN PRIVATE KEY-----\n" + body),
        "certb64": b64("-----BEGIN CERTIFICATE-----\n" + body),
        "dockerb64": b64('{"auths": {"registry.example.com": {"auth": "%s"}}}'
                         % b64("deploy:" + random_value(rng, 12))),
        "jwt": ".".join((b64url('{"alg":"HS256","typ":"JWT"}'),
                         b64url('{"sub":"%s"}' % random_value(rng, 12)),
                         random_value(rng, 43, BASE64URL))),
    }


def digits(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(length))


def symbol_password(rng: random.Random) -> str:
    """A password of 14 characters with a letter, a digit and symbols a
    scanner may take for operators."""
    while True:
        value = random_value(rng, 14, ALPHABET + SYMBOLS)
        if any(c in SYMBOLS for c in value):
            return value


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
                      if "PRIVATE KEY" in line or "PuTTY-User-Key" in line
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
