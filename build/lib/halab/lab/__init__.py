"""Operating the lab: its topology, who holds which role, and how much memory it uses."""
