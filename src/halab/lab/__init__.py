"""Operating the lab: its topology, who holds which role, its containers, how much memory it
uses, and a fault's own deadline (a watchdog container that heals the lab if its controller dies)."""
