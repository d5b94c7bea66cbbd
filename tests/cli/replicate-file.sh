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

# At the remote site: hemera-verify --root COPY checks the replicated tree
# against its own manifests, only reading it; its state (times, alert
# ledger) goes under ~/.local/state/hemera/copies/ or --state.
expect_exit 0 hemera-replicate --root "$A" --config file.yaml -q
C=$T/replica
export HOME=$T/home
expect_exit 0 hemera-verify --root "$C" --json
check_json
[[ $(json_get 'd["copy"]') == True ]] || fail "copy mode not used"
[[ $(json_get 'd["files_checked"]') == $(json_get 'd["files"]') && $(json_get 'd["files"]') -gt 0 ]] ||
  fail "copy: not every file checked"
state=$(ls -d "$HOME"/.local/state/hemera/copies/*)
[[ $(stat -c %a "$state") == 700 ]] || fail "copy state folder not owner-only"
[[ ! -e $C/.hemera ]] || fail "the copy was written to"
pass "copy: hemera-verify --root on a replicated tree checks it, state kept outside it"

bad=$(cd "$C" && ls DATB/camp/sonde/$U1/v1/*.na | head -1)
gone=$(cd "$C" && ls DATB/camp/sonde/$U1/v1/*.na | tail -1)
stray=DATB/camp/sonde/$U1/v1/zz_stray.na
flip_byte "$C/$bad" 3
rm "$C/$gone"
echo stray >"$C/$stray"
printf '#!/bin/sh\necho >>"%s/copy-alerts"\n' "$T" >"$T/copy-alert.sh"
chmod 755 "$T/copy-alert.sh"
printf 'alerts:\n  command: [%s]\n' "$T/copy-alert.sh" >copy-alert.yaml
expect_exit 1 hemera-verify --root "$C" --config copy-alert.yaml --json
check_json
[[ $(json_get '" ".join(sorted(p["rule"] + ":" + p["file"] for p in d["problems"]))') == \
   "fixity.mismatch:$bad fixity.missing:$gone fixity.unexpected:$stray" ]] ||
  fail "copy: findings $(json_get '[(p["rule"], p["file"]) for p in d["problems"]]')"
[[ $(wc -l <"$T/copy-alerts") == 1 ]] || fail "copy: expected one alert"
expect_exit 1 hemera-verify --root "$C" --config copy-alert.yaml -q
[[ $(wc -l <"$T/copy-alerts") == 1 ]] || fail "copy: the same problems alerted twice"
pass "copy: a damaged, a missing and a stray file named, one alert, not repeated"

# --state elsewhere starts a fresh ledger; --target makes no sense there.
expect_exit 1 hemera-verify --root "$C" --state "$T/copy-state" -q --no-alert
[[ -f $T/copy-state/hemera.db ]] || fail "--state not used"
expect_exit 64 hemera-verify --root "$C" --target copy
expect_exit 64 hemera-verify --root "$A" --state "$T/copy-state"
# A folder that is neither an archive nor a copy: 66.
mkdir -p "$T/empty"
expect_exit 66 hemera-verify --root "$T/empty"
expect_err "neither an archive (.hemera/) nor a replicated copy"
pass "copy: --state, and the usage errors"
