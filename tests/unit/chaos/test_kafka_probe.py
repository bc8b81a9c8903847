"""What the Kafka probe counts as its own when it reads the topic back."""

import json
import time

import pytest

from halab.chaos.engine.probes.kafka import KafkaProbe


@pytest.fixture
def probe():
    return KafkaProbe(time.monotonic, rate=20, run_id="r1")


@pytest.mark.parametrize("value, seq", [
    (json.dumps({"run": "r1", "seq": 7}).encode(), 7),
    (json.dumps({"run": "r0", "seq": 7}).encode(), None),  # an earlier run's
    (b"41", None),              # the witness's VerifiableProducer: a bare number (json: an int)
    (b"prefix.41", None),       # not JSON at all
    (b'["r1", 7]', None),
])
def test_only_this_runs_numbered_messages_are_read_back_as_its_writes(probe, value, seq):
    assert probe._own_seq(value) == seq
