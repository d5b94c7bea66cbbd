#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The crash test of server-replicate-crash.sh to OpenSSH's sshd with
# trust_transport: true, where each upload is renamed into place in the same
# exchange once every byte is acknowledged: kill -9 at random instants, an
# observer that must never see a partial or wrong file under a final name.
CRASH_PROTO=sftp source "$HEMERA_SRC/tests/cli/server-replicate-crash.sh"
