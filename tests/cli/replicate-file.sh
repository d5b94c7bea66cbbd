#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-replicate to a file:// target (a folder): the shared conformance
# checks, a dry run that sends nothing, the lock between two runs.
source "$HEMERA_SRC/tests/cli/lib.sh"
source "$HEMERA_SRC/tests/cli/replicate_lib.bash"

count_connections() { echo 0; }
cat >file.yaml <<CONF
targets:
  copy:
    url: file://$T/replica
CONF
conformance file file.yaml "$T/replica"
A=$CONF_ARCHIVE

# A dry run says what would be sent and sends nothing.
new_dataset "$A" DATB camp/sonde "$U1" 3
expect_exit 0 hemera-replicate --root "$A" --config file.yaml --dry-run --json
check_json
[[ $(json_get 'd["targets"][0]["files_uploaded"]') == 6 ]] || fail "dry run count"
[[ $(json_get 'd["targets"][0]["events_replicated"]') == 0 ]] || fail "dry run acknowledged"
vdir=$(cd "$A" && ls -d DATB/camp/sonde/$U1/v* | sort -V | tail -1)
[[ ! -e $T/replica/$vdir ]] || fail "dry run sent files"
pass "file: dry run sends nothing"

# Two runs at once: the second finds the lock and exits 75.
"$PY" - "$A/.hemera/locks/replicate-copy.lock" <<'PYEOF' &
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
open(sys.argv[1] + ".held", "w").close()
time.sleep(5)
PYEOF
holder=$!
track_pid "$holder"
for _ in $(seq 1 50); do [[ -e $A/.hemera/locks/replicate-copy.lock.held ]] && break; sleep 0.1; done
expect_exit 75 hemera-replicate --root "$A" --config file.yaml
expect_err "lock"
kill "$holder"; wait "$holder" 2>/dev/null || true
expect_exit 0 hemera-replicate --root "$A" --config file.yaml -q
same_tree "$A" "$T/replica"
pass "file: a second run at once exits 75"

# Unsupported scheme: 69; a target that is not configured: 78.
printf 'targets:\n  x:\n    url: gopher://127.0.0.1/x\n' >gopher.yaml
expect_exit 69 hemera-replicate --root "$A" --config gopher.yaml
expect_exit 78 hemera-replicate --root "$A" --config file.yaml --target nosuch
pass "file: unsupported scheme 69, unknown target 78"
