"""The service contract (halab.lab.service): what a team writes to run its service in app1..3,
the compose override it becomes, and the HTTP probe that follows it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from halab.chaos.engine.probes.http import HttpProbe
from halab.lab import service, topology

ROOT = Path(__file__).parents[3]
EXAMPLE = ROOT / "examples/service-node/service.yaml"
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_the_node_example_is_a_valid_contract_built_from_its_own_folder():
    contract = service.load(EXAMPLE)
    assert (contract.name, contract.build, contract.port) == ("payments-node", ".", 3000)
    assert (EXAMPLE.parent / contract.build / "Dockerfile").is_file()
    assert contract.image_name == "halab/service-payments-node"
    assert contract.probe.write.path == "/payments" and contract.probe.read.path == "/payments/{id}"


def test_halabs_own_contract_is_what_docker_compose_yml_runs_in_the_app_slots():
    app = COMPOSE["x-app"]
    orders = service.ORDERS
    assert app["image"] == orders.image_name
    assert tuple(app["healthcheck"]["test"]) == orders.healthcheck
    assert app["stop_grace_period"] == f"{orders.stop_grace_s}s"
    lb_entrypoint = (ROOT / "images/lb/entrypoint.sh").read_text()
    assert f'HALAB_APP_PORT:={orders.port}' in lb_entrypoint
    assert f'HALAB_APP_READY_PATH:={orders.ready_path}' in lb_entrypoint
    assert f'HALAB_APP_HEALTH_PATH:={orders.health}' in lb_entrypoint
    # The variables the orders service reads (src/halab/app/config.py) are the ones every service gets.
    config = (ROOT / "src/halab/app/config.py").read_text()
    assert all(f'"{name}"' in config for name in service.lab_environment("app1"))


def test_a_bad_contract_names_every_problem_with_its_path(tmp_path):
    bad = tmp_path / "service.yaml"
    bad.write_text(
        "name: Payments\nport: 0\nhealth: healthz\nbuild: ../elsewhere\nsurprise: 1\n"
        "env: {HALAB_PG_HOST: x, 'no good': y}\n"
        "probe:\n"
        "  write: {path: /p, body: {a: '{nope}'}, success: []}\n"
        "  read: {path: '/r/{key}', before_first: /}\n"
        "  readback: {sql: DELETE FROM payments}\n")
    with pytest.raises(service.ContractError) as caught:
        service.load(bad, display_name="svc/service.yaml")
    text = str(caught.value)
    assert text.startswith("invalid service contract 'svc/service.yaml' (")
    for expected in ("name: must be 1-40 lower-case", "port: Input should be greater than or equal to 1",
                     "health: must be a path that starts with /", "build: must be a folder inside the contract's own folder",
                     "surprise: is not a contract key", "env: HALAB_PG_HOST is the lab's to set",
                     "probe.write.body: names {nope}; a template here may use {key}, {client}, {seq}",
                     "probe.write.success: must list at least one HTTP status",
                     "probe.read.path: names {key}; a template here may use {id}",
                     "probe.readback.sql: must take the run's client as %(client)s"):
        assert expected in text, expected
    assert "Traceback" not in text


@pytest.mark.parametrize("text, expected", [
    ("", "must be a mapping"),
    ("name: [unclosed", "is not valid YAML"),
    ("name: x\nimage: a/b\nbuild: .\nport: 80\nhealth: /h\nprobe: {write: {path: /w}, read: {path: /r, before_first: /h},"
     " readback: {sql: 'SELECT k FROM t WHERE c = %(client)s'}}", "give exactly one of image"),
    ("name: x\nimage: a/b\nport: 80\nhealth: /h\nreplicas: 2\nprobe: {write: {path: /w}, read: {path: /r, before_first: /h},"
     " readback: {sql: 'SELECT k FROM t WHERE c = %(client)s'}}", "replicas: Input should be 3"),
])
def test_other_mistakes_are_one_sentence(tmp_path, text, expected):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(service.ContractError, match=expected.replace("(", r"\(").replace("[", r"\[")):
        service.load(path)


def test_a_missing_contract_is_named():
    with pytest.raises(service.ContractError, match="service contract 'nowhere.yaml' not found"):
        service.load("nowhere.yaml")


def test_the_override_keeps_addresses_as_compose_variables_and_carries_the_contract_as_a_label():
    contract = service.load(EXAMPLE)
    contract = contract.model_copy(update={"env": {"GREETING": "costs $5"}})
    override = service.compose_override(contract)
    assert set(override["services"]) == {"app1", "app2", "app3", "lb1", "lb2", "witness"}
    app2 = override["services"]["app2"]
    assert app2["image"] == "halab/service-payments-node"
    assert app2["environment"]["HALAB_REPLICA_NAME"] == "app2"
    assert app2["environment"]["HALAB_PG_HOST"] == "${HALAB_NET:-10.77.0}.10"
    assert topology.NET + "." not in json.dumps(app2["environment"])
    assert app2["environment"]["GREETING"] == "costs $$5"  # literal, not a compose variable
    assert app2["healthcheck"]["test"][-1] == "http://127.0.0.1:3000/health/live"
    label = app2["labels"][service.LABEL].replace("$$", "$")
    assert service.parse(json.loads(label), "label") == contract
    # The witness's curl sends the same write, keyed as the witness keys its own.
    assert override["services"]["witness"]["environment"] == {
        "HTTP_WRITE_METHOD": "POST", "HTTP_WRITE_PATH": "/payments", "HTTP_WRITE_SUCCESS": "200 201",
        "HTTP_WRITE_BODY": '{"reference": "@KEY@", "payer": "witness", "amount_cents": 100}'}
    assert override["services"]["lb1"]["environment"] == {
        "HALAB_APP_PORT": "3000", "HALAB_APP_READY_PATH": "/health/ready", "HALAB_APP_HEALTH_PATH": "/health/live"}


class _Recorder(BaseHTTPRequestHandler):
    seen: list[tuple[str, str, dict, object]] = []

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Served-By", "app9")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append(("POST", self.path, dict(self.headers), body))
        self._answer(201, {"id": f"id-{len(self.seen)}"})

    def do_GET(self):  # noqa: N802
        self.seen.append(("GET", self.path, dict(self.headers), None))
        self._answer(200, {"ok": True})

    def log_message(self, *args):
        pass


def test_the_http_probe_sends_what_the_contract_says():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        probe = HttpProbe(lambda: 0.0, 5.0, "run7", base_url=f"http://127.0.0.1:{server.server_port}",
                          contract=service.load(EXAMPLE))
        answers = [probe.operation(seq) for seq in range(4)]
    finally:
        server.shutdown()
    assert [a.outcome for a in answers] == ["ok"] * 4 and answers[1].replica == "app9"
    (m0, p0, _, _), (m1, p1, h1, b1), (m2, _, h2, b2), (m3, p3, _, _) = _Recorder.seen
    # seq 0 reads (nothing written yet: liveness), 1 and 2 write, 3 reads what 2 wrote.
    assert (m0, p0) == ("GET", "/health/live")
    assert (m1, p1) == ("POST", "/payments")
    assert b1 == {"reference": "probe-run7-1", "payer": "probe-run7", "amount_cents": 100}
    assert h1["Idempotency-Key"] == "probe-run7-1" and h2["Idempotency-Key"] == "probe-run7-2"
    assert b2["reference"] == "probe-run7-2"
    assert (m3, p3) == ("GET", "/payments/id-3")


def test_the_http_probe_for_halabs_service_sends_what_it_always_did():
    probe = HttpProbe(lambda: 0.0, 5.0, "r1", contract=service.ORDERS)
    assert [probe.is_write(s) for s in range(6)] == [False, True, True, False, True, True]
    assert service.fill(service.ORDERS.probe.write.body, {"key": "k", "client": "probe-r1", "seq": 1}) == {
        "customer": "probe-r1", "item": "probe", "quantity": 1}
