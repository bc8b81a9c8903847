# shellcheck shell=bash
# What the host scripts need that GNU and macOS (BSD tools, /bin/bash 3.2) spell differently;
# sourced by bin/lab, bin/doctor and bin/swarm. tests/unit/test_host_scripts.py names the rest.

# abspath PATH: absolute, the path need not exist; its directory's symlinks are resolved when it
# does (GNU's `realpath -m`, which macOS lacks).
abspath() {
  local dir base
  dir=$(dirname -- "$1") base=$(basename -- "$1")
  if [[ -d $dir ]]; then dir=$(cd -- "$dir" && pwd -P); elif [[ $dir != /* ]]; then dir="$PWD/$dir"; fi
  if [[ $base == . ]]; then echo "$dir"; else echo "${dir%/}/$base"; fi
}

# sha256 [FILE...]: GNU's sha256sum, or macOS's shasum -a 256; the same output.
sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

# with_timeout SECONDS COMMAND...: GNU's timeout, or perl's alarm (perl is on macOS and in every
# Debian); the command is ended by SIGALRM after SECONDS.
with_timeout() {
  if command -v timeout >/dev/null 2>&1; then timeout "$@"; else perl -e 'alarm shift; exec @ARGV' "$@"; fi
}

# file_gid PATH: the numeric group of a file (GNU `stat -c %g`, BSD `stat -f %g`).
file_gid() { ls -ldn -- "$1" | awk '{print $4}'; }
