"""Numbered messages produced with acks=all and idempotence, then the topic consumed back.

A message is acknowledged when its send future resolved: at least min.insync.replicas (2)
brokers have it. Reading back from the offsets the topic had before the scenario also shows
duplicates, which a producer retry without idempotence would create.
"""

from __future__ import annotations

import json

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError, KafkaTimeoutError

from halab.chaos.engine.probes.base import Answer, Probe
from halab.chaos.engine.records import WriteCheck
from halab.lab import topology

SEND_TIMEOUT_S = 5.0
# A produce request in flight to a killed broker gets no answer at all: it is retried (on the
# new leader) only after this. Kafka's 30 s default would dominate the failover time.
REQUEST_TIMEOUT_MS = 2000
# kafka-python asks for new metadata once after a failed request, usually before the controller
# has fenced the dead leader; it then retries against the dead broker until the next periodic
# refresh. Kafka's Java producer refreshes again after every failure, and with 5 s here the probe's
# writes to the dead leader's partitions stalled until ~7.3 s where the Java producer was through
# at 4-5 s (docs/measurements.md). One metadata request a second costs nothing.
METADATA_MAX_AGE_MS = 1000


class KafkaProbe(Probe):
    name = "kafka"
    # send() may block for metadata up to max_block_ms, then the acknowledgement is awaited.
    max_operation_s = 2 * SEND_TIMEOUT_S + 1

    def setup(self) -> None:
        self.producer = KafkaProducer(
            bootstrap_servers=topology.kafka_bootstrap(),
            acks="all",
            enable_idempotence=True,
            retries=2147483647,
            request_timeout_ms=REQUEST_TIMEOUT_MS,
            max_block_ms=int(SEND_TIMEOUT_S * 1000),
            retry_backoff_ms=100,
            linger_ms=0,
            metadata_max_age_ms=METADATA_MAX_AGE_MS,
            client_id=f"halab-probe-{self.run_id}",
        )
        self.start_offsets = self._end_offsets()

    def _consumer(self) -> KafkaConsumer:
        return KafkaConsumer(
            bootstrap_servers=topology.kafka_bootstrap(), enable_auto_commit=False,
            consumer_timeout_ms=3000, request_timeout_ms=10000, client_id=f"halab-verify-{self.run_id}",
        )

    def _end_offsets(self) -> dict[TopicPartition, int]:
        consumer = self._consumer()
        try:
            parts = [TopicPartition(topology.KAFKA_PROBE_TOPIC, p) for p in consumer.partitions_for_topic(topology.KAFKA_PROBE_TOPIC) or ()]
            return consumer.end_offsets(parts)
        finally:
            consumer.close()

    def operation(self, seq: int) -> Answer:
        try:
            # Keyed by the write's number, so the writes spread over every partition of the
            # topic: a broker that leads any of them is one the probe depends on.
            future = self.producer.send(topology.KAFKA_PROBE_TOPIC, key=str(seq).encode(),
                                        value=json.dumps({"run": self.run_id, "seq": seq}).encode())
            future.get(timeout=SEND_TIMEOUT_S + 1)
        except KafkaTimeoutError as e:
            return Answer("timeout", detail=str(e)[:160])
        except KafkaError as e:
            return Answer("error", detail=str(e)[:160])
        return Answer()

    def _own_seq(self, value: bytes) -> int | None:
        """This run's number in a message, None for anyone else's: other runs, and other writers
        on the topic (the witness's VerifiableProducer writes bare numbers)."""
        try:
            doc = json.loads(value)
        except ValueError:
            return None
        if not isinstance(doc, dict) or doc.get("run") != self.run_id:
            return None
        return int(doc["seq"])

    def teardown(self) -> None:
        self.producer.close(timeout=5)

    def verify(self) -> WriteCheck:
        attempted, acknowledged = self.attempted(), self.acknowledged()
        seen: list[int] = []
        consumer = self._consumer()
        try:
            end = self._end_offsets()
            consumer.assign(list(end))
            for tp, offset in self.start_offsets.items():
                consumer.seek(tp, offset)
            remaining = {tp for tp in end if consumer.position(tp) < end[tp]}
            while remaining:
                batch = consumer.poll(timeout_ms=3000)
                if not batch:
                    break
                for tp, messages in batch.items():
                    for m in messages:
                        if (seq := self._own_seq(m.value)) is not None:
                            seen.append(seq)
                    if consumer.position(tp) >= end[tp]:
                        remaining.discard(tp)
        except (KafkaError, ValueError) as e:
            return WriteCheck(self.name, attempted, acknowledged, frozenset(), read_error=str(e)[:200])
        finally:
            consumer.close()
        if remaining:
            return WriteCheck(self.name, attempted, acknowledged, frozenset(seen),
                              read_error=f"could not read partitions {sorted(tp.partition for tp in remaining)} to their end")
        return WriteCheck(self.name, attempted, acknowledged, frozenset(seen), duplicates=len(seen) - len(set(seen)))
