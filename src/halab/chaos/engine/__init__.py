"""The engine: what acts on the lab and measures it (faults, probes, targets, measures, heal)."""
