"""The service in the app slots (app1..3): halab's own orders service, or a team's own.

A team describes its service in a small YAML file, the service contract (docs/your-service.md):
its image or build context, the port and health paths HAProxy checks, and the requests the HTTP
probe sends and how an acknowledged write is read back. `make up SERVICE=path/to/service.yaml`
renders it into a compose override (`compose_override`) that starts the service in place of
app1..3, behind the same HAProxy and VIP, with the lab's endpoints in its environment
(`lab_environment`). The contract travels with the containers as the label `halab.service`, so
the controller, the dashboard and the pytest plugin probe whatever service the lab runs
(`current`) without being told twice.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from halab.lab import containers, topology
from halab.lab.errors import LabError

LABEL = "halab.service"
APP_SLOTS = ("app1", "app2", "app3")
LBS = ("lb1", "lb2")

# What a template may name: {key} is unique per write and also sent as its Idempotency-Key;
# {client} is one per run (the read-back finds the run's writes by it); {seq} numbers the writes;
# {id} (read paths only) is what the last acknowledged write's answer named in `id_field`.
WRITE_FIELDS = ("key", "client", "seq")
READ_FIELDS = ("id",)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_IMAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$")


class ContractError(LabError):
    """A service contract that cannot be used: every problem, each with its path."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _placeholders(template: str) -> set[str]:
    try:
        return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}
    except ValueError as e:  # an unmatched brace
        raise ValueError(f"is not a valid template ({e}); write a literal brace as {{{{ or }}}}") from None


def _check_template(template: str, allowed: tuple[str, ...]) -> str:
    unknown = sorted(_placeholders(template) - set(allowed))
    if unknown:
        names = ", ".join("{" + u + "}" for u in unknown)
        raise ValueError(f"names {names}; a template here may use {', '.join('{' + a + '}' for a in allowed)}")
    return template


def _strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for k, v in value.items() for s in _strings_in(k) + _strings_in(v)]
    if isinstance(value, list):
        return [s for item in value for s in _strings_in(item)]
    return []


def fill(value: Any, fields: Mapping[str, Any]) -> Any:
    """A body template with its placeholders filled in, in every string of the JSON value."""
    if isinstance(value, str):
        return value.format_map(fields)
    if isinstance(value, Mapping):
        return {fill(k, fields): fill(v, fields) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(item, fields) for item in value]
    return value


def _path(value: str) -> str:
    if not value.startswith("/") or any(c.isspace() for c in value):
        raise ValueError("must be a path that starts with / and has no spaces, e.g. /healthz")
    return value


def _statuses(value: tuple[int, ...]) -> tuple[int, ...]:
    if not value:
        raise ValueError("must list at least one HTTP status, e.g. [200, 201]")
    bad = [s for s in value if not 100 <= s <= 599]
    if bad:
        raise ValueError(f"{bad} are not HTTP statuses (100-599)")
    return value


class WriteRequest(_Model):
    """The request that writes: sent with `Idempotency-Key: {key}`, retried by nobody but HAProxy."""

    method: Literal["POST", "PUT", "PATCH"] = "POST"
    path: str
    body: dict[str, Any] | list[Any] | None = None  # JSON, its strings templates
    success: tuple[int, ...] = (200, 201)
    # The field of a successful answer's JSON that names what was written, for the read's {id}.
    id_field: str | None = "id"

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        return _check_template(_path(value), WRITE_FIELDS)

    @field_validator("body")
    @classmethod
    def _body(cls, value: Any) -> Any:
        for text in _strings_in(value):
            _check_template(text, WRITE_FIELDS)
        return value

    _success = field_validator("success")(classmethod(lambda cls, v: _statuses(v)))


class ReadRequest(_Model):
    """The request that reads back a recent write; before the first one is acknowledged, `before_first`."""

    path: str
    success: tuple[int, ...] = (200,)
    before_first: str

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        return _check_template(_path(value), READ_FIELDS)

    @field_validator("before_first")
    @classmethod
    def _before_first(cls, value: str) -> str:
        return _check_template(_path(value), ())

    _success = field_validator("success")(classmethod(lambda cls, v: _statuses(v)))


class ReadBack(_Model):
    """How the ledger learns which writes exist: one SQL query against the lab's Postgres primary,
    given the run's `%(client)s`, returning the `{key}` of every write that is there."""

    database: str = "orders"
    sql: str

    @field_validator("sql")
    @classmethod
    def _sql(cls, value: str) -> str:
        if "%(client)s" not in value:
            raise ValueError("must take the run's client as %(client)s and return the key of each write, "
                             "e.g. SELECT idempotency_key FROM orders WHERE customer = %(client)s")
        if not value.lstrip().lower().startswith(("select", "with")):
            raise ValueError("must be a query (SELECT or WITH): the read-back only reads")
        return value


class ProbeSpec(_Model):
    """What the HTTP probe sends through the VIP: `writes_per_read` writes, then one read."""

    write: WriteRequest
    read: ReadRequest
    readback: ReadBack
    writes_per_read: int = Field(default=2, ge=1, le=100)


class ServiceContract(_Model):
    name: str
    image: str | None = None  # an image already on this engine, or
    build: str | None = None  # a build context, relative to the contract's own folder
    replicas: Literal[3] = 3
    port: int = Field(ge=1, le=65535)
    health: str  # liveness: 200 while the process can answer
    ready: str | None = None  # readiness (its dependencies answer); default: `health`
    healthcheck: tuple[str, ...] | None = None  # the container's own check; default: curl on `health`
    stop_grace_s: int = Field(default=10, ge=1, le=120)
    env: dict[str, str] = Field(default_factory=dict)
    probe: ProbeSpec

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError("must be 1-40 lower-case letters, digits and dashes, starting with a letter or digit")
        return value

    @field_validator("image")
    @classmethod
    def _image(cls, value: str | None) -> str | None:
        if value is not None and not _IMAGE.match(value):
            raise ValueError("is not an image reference (e.g. team/payments:1.4 or halab/service-payments)")
        return value

    @field_validator("build")
    @classmethod
    def _build(cls, value: str | None) -> str | None:
        if value is not None and (not value or value.startswith("/") or "\n" in value or ".." in Path(value).parts):
            raise ValueError("must be a folder inside the contract's own folder, relative to it (e.g. . or service/)")
        return value

    @field_validator("health", "ready")
    @classmethod
    def _paths(cls, value: str | None) -> str | None:
        return None if value is None else _path(value)

    @field_validator("healthcheck")
    @classmethod
    def _healthcheck(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None and (len(value) < 2 or value[0] not in ("CMD", "CMD-SHELL")):
            raise ValueError('must be a compose health-check test, e.g. ["CMD", "node", "healthcheck.js"]')
        return value

    @field_validator("env")
    @classmethod
    def _env(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not _ENV_NAME.match(name):
                raise ValueError(f"{name!r} is not an environment variable name (letters, digits, _)")
            if name.startswith("HALAB_") or name == "PORT":
                raise ValueError(f"{name} is the lab's to set (the environment table in docs/your-service.md)")
        return value

    @model_validator(mode="after")
    def _image_or_build(self) -> ServiceContract:
        if (self.image is None) == (self.build is None):
            raise ValueError("give exactly one of image (an image on this engine) and build (a folder with a Dockerfile)")
        return self

    @property
    def image_name(self) -> str:
        return self.image or f"halab/service-{self.name}"

    @property
    def ready_path(self) -> str:
        return self.ready or self.health


# halab's own orders service (src/halab/app), as docker-compose.yml runs it in app1..3;
# tests/unit/lab/test_service.py checks the two agree.
ORDERS = ServiceContract(
    name="orders",
    image="halab/python",
    port=8000,
    health="/healthz",
    ready="/readyz",
    healthcheck=("CMD", "python3", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"),
    probe=ProbeSpec(
        write=WriteRequest(path="/orders", body={"customer": "{client}", "item": "probe", "quantity": 1}),
        read=ReadRequest(path="/orders/{id}", before_first="/healthz"),
        readback=ReadBack(sql="SELECT idempotency_key FROM orders WHERE customer = %(client)s"),
    ),
)


def _location(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the contract"


def parse(data: Any, source: str) -> ServiceContract:
    """Validates a contract's data; raises ContractError naming every problem with its path."""
    if not isinstance(data, Mapping):
        raise ContractError(f"service contract '{source}' must be a mapping (name, build or image, port, health, probe)")
    try:
        return ServiceContract.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "is not a contract key"
            problems.append(f"  {_location(error['loc'])}: {message}")
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        raise ContractError(f"invalid service contract '{source}' ({count}):\n" + "\n".join(problems),
                            hint="docs/your-service.md describes every key") from None


def load(path: str | Path, *, display_name: str | None = None) -> ServiceContract:
    name = display_name or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContractError(f"service contract '{name}' not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ContractError(f"service contract '{name}' cannot be read: {e}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ContractError(f"service contract '{name}' is not valid YAML: {e}") from None
    return parse(data, name)


def lab_environment(replica: str) -> dict[str, str]:
    """What every service in an app slot is told about the lab (docs/your-service.md's table)."""
    return {
        "HALAB_REPLICA_NAME": replica,
        "HALAB_PG_HOST": topology.VIP,
        "HALAB_PG_WRITE_PORT": str(topology.PG_PRIMARY_PORT),
        "HALAB_PG_READ_PORT": str(topology.PG_REPLICA_PORT),
        "HALAB_PG_DB": "orders",
        "HALAB_PG_USER": "app",
        "HALAB_PG_PASSWORD": "app",
        "HALAB_SENTINELS": ",".join(f"{ip}:{topology.SENTINEL_PORT}" for ip in topology.SENTINELS.values()),
        "HALAB_REDIS_MASTER_NAME": topology.SENTINEL_MASTER_NAME,
        "HALAB_KAFKA_BOOTSTRAP": ",".join(topology.kafka_bootstrap()),
        "HALAB_KAFKA_TOPIC": topology.KAFKA_TOPIC,
    }


def compose_override(contract: ServiceContract) -> dict[str, Any]:
    """The compose override that runs `contract` in app1..3 and points HAProxy at it. Addresses
    stay as compose variables (${HALAB_NET}), so the override follows HALAB_SUBNET like the lab."""
    net = "${HALAB_NET:-10.77.0}"

    def variable(value: str) -> str:
        return value.replace(topology.NET + ".", net + ".")

    def literal(value: str) -> str:  # the contract's own strings: no compose interpolation
        return value.replace("$", "$$")

    healthcheck = contract.healthcheck or ("CMD", "curl", "-fsS", "-o", "/dev/null",
                                           f"http://127.0.0.1:{contract.port}{contract.health}")
    label = literal(json.dumps(contract.model_dump(mode="json"), sort_keys=True))
    services: dict[str, Any] = {}
    for slot in APP_SLOTS:
        services[slot] = {
            "image": contract.image_name,
            "stop_grace_period": f"{contract.stop_grace_s}s",
            "environment": {**{k: variable(v) for k, v in lab_environment(slot).items()},
                            "PORT": str(contract.port), **{k: literal(v) for k, v in contract.env.items()}},
            "healthcheck": {"test": [literal(part) for part in healthcheck]},
            "labels": {LABEL: label},
        }
    # The witness's curl loop (make chaos WITNESS=1) sends the contract's write, its key as the
    # witness makes it (@KEY@, @SEQ@), so that an outside client cross-checks this service too.
    witness = {"key": "@KEY@", "client": "witness", "seq": "@SEQ@"}
    write = contract.probe.write
    services["witness"] = {"environment": {
        "HTTP_WRITE_METHOD": write.method,
        "HTTP_WRITE_PATH": literal(write.path.format_map(witness)),
        "HTTP_WRITE_BODY": literal(json.dumps(fill(write.body, witness))) if write.body is not None else "",
        "HTTP_WRITE_SUCCESS": " ".join(map(str, write.success)),
    }}
    for lb in LBS:
        services[lb] = {"environment": {"HALAB_APP_PORT": str(contract.port), "HALAB_APP_READY_PATH": contract.ready_path,
                                        "HALAB_APP_HEALTH_PATH": contract.health}}
    return {"services": services}


def current() -> ServiceContract:
    """The contract of the service the lab runs now: the label app1 carries, else halab's own."""
    if topology.ON_SWARM:
        return ORDERS
    try:
        found = containers.client().containers.list(
            all=True, filters={"label": [f"com.docker.compose.project={topology.PROJECT}",
                                         "com.docker.compose.service=app1"]})
    except containers.DockerUnavailable:
        return ORDERS
    label = found[0].labels.get(LABEL) if found else None
    return parse(json.loads(label), "the label halab.service on app1") if label else ORDERS
