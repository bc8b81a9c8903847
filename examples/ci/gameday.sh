#!/usr/bin/env bash
# A CI job's game day, in plain shell: check the machine, bring the lab up, run the game day,
# keep its journal, report and JUnit XML as artifacts, take the lab down. halab's own CI runs this
# very script (tests/integration/test_gameday.py); examples/ci/github-actions.yml wraps it.
#
#   ARTIFACTS=dir   where journal.json, report.html and junit.xml go (default: artifacts)
#   FILE=path       another game-day file (default: gamedays/default.yaml)
#   APP=path        your service's contract, run in app1..3 (docs/your-service.md); like FILE,
#                   relative to this checkout or absolute
#   PROFILE=name    tuned (default) or stock
#   KEEP_LAB=1      leave the lab running at the end (halab's own CI runs more tests on it)
#
# Exit code: the game day's (0: every budget held, 1: a budget broken, 4: a revert failed), or the
# first stage's that failed.
set -euo pipefail
cd "$(dirname "$0")/../.."

ARTIFACTS=${ARTIFACTS:-artifacts}
started=$SECONDS stage_started=$SECONDS stage=""
stage() {
  [[ -n $stage ]] && printf '[gameday] %s took %d s\n' "$stage" "$((SECONDS - stage_started))"
  stage=$1 stage_started=$SECONDS
  [[ -z $stage ]] || printf '\n[gameday %s] %s\n' "$(date -u +%H:%M:%S)" "$stage"
}
finish() {
  local rc=$?
  if [[ ${KEEP_LAB:-} != 1 ]]; then stage "make down"; make -s down >/dev/null 2>&1 || true; fi
  stage ""  # closes the last stage's timing
  printf '[gameday] %d min %d s in all, exit %d\n' "$(((SECONDS - started) / 60))" "$(((SECONDS - started) % 60))" "$rc"
}
trap finish EXIT

stage "make doctor"
make -s doctor

stage "make up"
make -s up

stage "make chaos"
mkdir -p "$ARTIFACTS"
rc=0
# bin/lab, the script behind `make chaos`: make itself would turn every failure into exit 2.
FILE="${FILE:-}" JUNIT="$ARTIFACTS/junit.xml" bin/lab chaos || rc=$?

stage "artifacts"
# reports/latest is the run just made (make chaos wrote no journal if it is older than the JUnit).
if [[ -f "$ARTIFACTS/junit.xml" ]]; then
  cp reports/latest/journal.json reports/latest/report.html "$ARTIFACTS/"
  echo "artifacts in $ARTIFACTS: $(cd "$ARTIFACTS" && ls | paste -sd' ' -)"
else
  echo "the game day wrote no journal; nothing to keep" >&2
fi
exit "$rc"
