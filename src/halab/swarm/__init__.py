"""The lab on a Docker Swarm of nodes (`make up ENGINE=swarm`): the stack, the nodes, and the
faults of a whole node. Below the controller: the engine's node faults use these, and nothing
here knows the controller."""
