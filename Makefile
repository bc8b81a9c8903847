# halab: `make up && make status`, then `make down`. `make help` lists every target.
.DEFAULT_GOAL := help
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
# ENGINE=swarm (with NODES=3): up, status, heal and down act on a Swarm of nodes instead; with
# NODES_FILE=path, on the machines it names (docs/swarm.md).
export ENGINE NODES NODES_FILE

.PHONY: help docs pictures base-image certs images up status footprint down logs chaos bench availability spof-sweep chaos-validate heal node-fault dashboard dashboard-stop save load doctor test test-host test-unit vendor

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

base-image: ## Make debian:bookworm-slim locally (debootstrap) when it cannot be pulled
	@images/base/mkbase.sh

certs: ## Copy the host's locally added CA certificates into certs/ for the image builds (make up stops until they are there)
	@bin/lab certs

images: ## Build every image that is missing or out of date
	@bin/lab images

up: ## Build what is missing, start the lab, wait until healthy, print the status (PROFILE=stock for upstream defaults; APP=path/to/service.yaml runs your service in app1..3; ENGINE=swarm NODES=3 forms a Swarm of three nodes and a control node and deploys the lab on it; NODES_FILE=path: on the machines it names)
	@PROFILE=$(PROFILE) bin/lab up

status: ## Who holds each role right now (JSON=1 for JSON; LOGS=1: when not healthy, what the services concerned last logged)
	@JSON=$(JSON) LOGS=$(LOGS) bin/lab status

footprint: ## Resident memory of every lab container and the total
	@bin/lab tools halab footprint

chaos: ## Run the default game day (ENGINE=swarm: then the Swarm game day; SCENARIO=name for one; FILE=path for another; WITNESS=1 to cross-check; JUNIT=path for JUnit XML; GUIDED=1 for a workshop)
	@SCENARIO=$(SCENARIO) FILE=$(FILE) WITNESS=$(WITNESS) JUNIT=$(JUNIT) GUIDED=$(GUIDED) bin/lab chaos

bench: ## Failover under stock timers beside tuned ones (RUNS=3, PROFILES="stock tuned", SCENARIO="a b")
	@RUNS=$(RUNS) PROFILES="$(PROFILES)" SCENARIO="$(SCENARIO)" bin/lab bench

availability: ## Nines, downtime and error budget from the newest game day (JOURNAL=path, FAILURES_PER_YEAR=4, REPAIR_HOURS=1, SLO=99.95)
	@JOURNAL=$(JOURNAL) FAILURES_PER_YEAR=$(FAILURES_PER_YEAR) REPAIR_HOURS=$(REPAIR_HOURS) SLO=$(SLO) bin/lab availability

spof-sweep: ## Kill every service alone, then two of a tier at once: the single-failure matrix and the N+1 limit
	@bin/lab spof-sweep

chaos-validate: ## Check a game-day file without touching the lab (FILE=path, default the default game day)
	@FILE=$(FILE) bin/lab validate

heal: ## Undo any fault left behind (unpause, reconnect, clear netem, start stopped containers; ENGINE=swarm: nodes)
	@bin/lab heal

node-fault: ## ENGINE=swarm: a whole node dies, freezes or is cut off (FAULT=node-kill|node-pause|node-partition, TARGET=node2|pg-leader|vip-holder|redis-master, FOR=20)
	@ENGINE=swarm bin/lab fault $(FAULT) $(TARGET) --for $(or $(FOR),20)

dashboard: ## Live web UI: prints its URL with this start's token (DASHBOARD_BIND=0.0.0.0 DASHBOARD_HOSTS=addr to show it to a room; DASHBOARD_PORT=8090)
	@DASHBOARD_BIND=$(DASHBOARD_BIND) DASHBOARD_HOSTS="$(DASHBOARD_HOSTS)" DASHBOARD_PORT=$(DASHBOARD_PORT) bin/lab dashboard

dashboard-stop: ## Stop the dashboard (its faults are reverted first)
	@bin/lab dashboard-stop

save: ## Every lab image in one archive for laptops without a registry (FILE=halab-images.tar.gz, + FILE.manifest)
	@FILE=$(FILE) bin/lab save

load: ## Load an archive from make save, checked against its manifest (FILE=path)
	@FILE=$(FILE) bin/lab load

doctor: ## What this machine lacks to run the lab (Docker, Compose, CPUs, memory, disk, subnet, ports), and what to do
	@bin/doctor

down: ## Remove the lab's containers, networks and volumes
	@bin/lab down

logs: ## Recent logs (SERVICE=name, FOLLOW=1, TAIL=n)
	@SERVICE=$(SERVICE) FOLLOW=$(FOLLOW) TAIL=$(TAIL) bin/lab logs

$(PY): pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[app,tools,test]' -c constraints.txt
	@touch $(PY)

vendor: $(PY) ## Fetch the HTML report's charting library and the tests' JUnit schema (pinned, checked; no-ops when present)
	@$(PY) -m halab.chaos.views.chartlib
	@$(PY) tests/unit/chaos/junit_schema.py

docs: $(PY) ## Regenerate the tables the docs quote from profiles/*.env and gamedays/default.yaml
	@$(PY) tools/docs_tables.py

test-unit: $(PY) vendor ## Unit tests only (no Docker needed)
	$(PY) -m pytest -m "not integration"

test: ## Unit and integration tests in their own container, needing only Docker (brings the lab up if it is not running, and down after)
	@bin/lab test

pictures: ## Retake the docs' screenshots: docs/report.png (from the report fixture) and docs/dashboard.png (the running lab)
	@HALAB_PICTURES=1 bin/lab test -m integration -k "test_report_in_browser or test_the_page_shows_the_lab"

test-host: $(PY) vendor ## The same tests from a host venv (Linux, for development: needs Chromium and a route to the lab)
	$(PY) -m pytest
