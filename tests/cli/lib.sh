# SPDX-License-Identifier: Apache-2.0
# Shared helpers for the command-line tests (tests/cli/*.sh). Source it first.
# Each script runs in a fresh temporary directory, removed on success.
set -euo pipefail

: "${HEMERA_BIN:?run through ctest (HEMERA_BIN unset)}"
: "${HEMERA_SRC:?run through ctest (HEMERA_SRC unset)}"
export PATH="$HEMERA_BIN:$PATH"
unset HEMERA_CONFIG HEMERA_ROOT SUDO_UID SUDO_USER SUDO_GID
export NO_COLOR=1
PY=/usr/bin/python3

T=$(mktemp -d "${TMPDIR:-/tmp}/hemera-cli.XXXXXX")
chmod 755 "$T"
_hemera_pids=()
_hemera_cleanup() {
  local rc=$?
  for pid in "${_hemera_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [[ $rc -eq 0 ]]; then rm -rf "$T"; else echo "kept $T for inspection" >&2; fi
}
trap _hemera_cleanup EXIT
cd "$T"

# Remember a background server's PID so it is stopped on exit.
track_pid() { _hemera_pids+=("$1"); }

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# run CMD...: run a command, keeping stdout in $T/out, stderr in $T/err and the
# exit code in $rc, whatever it is.
run() {
  set +e
  "$@" >"$T/out" 2>"$T/err"
  rc=$?
  set -e
}

# expect_exit CODE CMD...: run the command and fail unless it exits with CODE.
expect_exit() {
  local want=$1; shift
  run "$@"
  if [[ $rc -ne $want ]]; then
    echo "--- stdout"; head -c 4000 "$T/out"; echo "--- stderr"; head -c 4000 "$T/err"
    fail "expected exit $want, got $rc: $*"
  fi
}

# expect_err TEXT: the last command's stderr contains TEXT (fixed string).
expect_err() { grep -qF -- "$1" "$T/err" || { cat "$T/err" >&2; fail "stderr lacks: $1"; }; }
# expect_out TEXT: the last command's stdout contains TEXT (fixed string).
expect_out() { grep -qF -- "$1" "$T/out" || { cat "$T/out" >&2; fail "stdout lacks: $1"; }; }
# expect_one_line_err: the last command printed exactly one line on stderr.
expect_one_line_err() {
  local n; n=$(wc -l <"$T/err")
  [[ $n -eq 1 ]] || { cat "$T/err" >&2; fail "expected one line on stderr, got $n"; }
}

# check_json [FILE]: validate a JSON document (default: the last stdout)
# against the schema its "schema" field names (schemas/json/).
check_json() {
  "$PY" "$HEMERA_SRC/tests/cli/check_json.py" "$HEMERA_SRC/schemas/json" "${1:-$T/out}" ||
    fail "JSON output does not match its schema"
}

# json_get EXPR [FILE]: print a value from a JSON document (Python expression on d).
json_get() {
  "$PY" -c 'import json,sys; d=json.load(open(sys.argv[2])); print(eval(sys.argv[1]))' "$1" "${2:-$T/out}"
}

# free_port: print a free TCP port on 127.0.0.1.
free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# as_nobody CMD...: run a command with privileges dropped (CI runs as root).
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
