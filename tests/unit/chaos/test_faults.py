"""The fault registry: what each fault declares, checked without the lab."""

from halab.chaos.engine.faults import FAULTS, FaultParams
from halab.chaos.engine.faults.process import PROCESSES
from halab.lab.topology import SERVICE_GROUPS


def test_every_fault_is_registered_under_its_own_name_with_a_params_model():
    for name, fault in FAULTS.items():
        assert fault.name == name
        assert issubclass(fault.params_model, FaultParams), name


def test_every_process_runs_in_a_group_the_lab_has():
    assert {p.name: p.group for p in PROCESSES.values() if p.group not in SERVICE_GROUPS} == {}
