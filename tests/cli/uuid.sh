#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hemera-uuid: new, legacy, check; exit codes and JSON.
source "$HEMERA_SRC/tests/cli/lib.sh"

expect_exit 0 hemera-uuid legacy --namespace dns python.org
[[ $(cat "$T/out") == 886313e1-3b8a-5372-9b90-0c9aee199e5d ]] || fail "v5 vector"
expect_exit 0 hemera-uuid legacy --namespace url http://www.example.com/
[[ $(cat "$T/out") == fcde3c85-2270-590f-9e7c-ee003d65e0e2 ]] || fail "v5 URL vector"
expect_exit 0 hemera-uuid --json legacy --namespace dns python.org
check_json
pass "v5 vectors"

# The same legacy id maps to the same UUID; different ids to different UUIDs.
a=$(hemera-uuid legacy --namespace dns DATB/strato/flight-12)
b=$(hemera-uuid legacy --namespace dns DATB/strato/flight-12)
c=$(hemera-uuid legacy --namespace dns DATB/strato/flight-13)
[[ $a == "$b" && $a != "$c" ]] || fail "legacy mapping not deterministic/injective"

# Without --namespace: the archive's pinned namespace, stable across runs.
expect_exit 64 hemera-uuid --root "$T/none" legacy X
expect_err "--namespace"
hemera-init -q --root "$T/arch"
x=$(hemera-uuid --root "$T/arch" legacy X)
y=$(hemera-uuid --root "$T/arch" legacy X)
[[ $x == "$y" ]] || fail "pinned namespace not stable"
ns=$(hemera-init --root "$T/arch" --json | json_get 'd["legacy_namespace"]' /dev/stdin)
[[ $(hemera-uuid legacy --namespace "$ns" X) == "$x" ]] || fail "pinned namespace not used"
pass "pinned namespace"

hemera-uuid new --count 100000 >"$T/many"
[[ $(sort -u "$T/many" | wc -l) -eq 100000 ]] || fail "duplicates in 100000 UUIDs"
grep -Evq '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' "$T/many" &&
  fail "a v4 UUID is not canonical"
expect_exit 0 hemera-uuid check $(head -n 50 "$T/many")
expect_exit 0 hemera-uuid check - <"$T/many"
{ head -n 3 "$T/many"; echo bogus; } >"$T/some"
expect_exit 1 hemera-uuid check - <"$T/some"
expect_err "bogus: not an RFC 4122 UUID"
expect_exit 0 hemera-uuid --json new -n 3
check_json
[[ $(json_get 'len(d["uuids"])') -eq 3 ]] || fail "--json new -n 3"
pass "v4"

expect_exit 1 hemera-uuid check 886313e1-3b8a-5372-9b90-0c9aee199e5d not-a-uuid 886313e1-3b8a-5372-1b90-0c9aee199e5d
expect_err "not-a-uuid: not an RFC 4122 UUID"
expect_err "[uuid.form]"
expect_err "[uuid.variant]"
grep -q 886313e1-3b8a-5372-9b90-0c9aee199e5d "$T/err" && fail "valid UUID reported"
expect_exit 1 hemera-uuid --json check 886313e1-3b8a-0372-9b90-0c9aee199e5d
check_json
[[ $(json_get 'd["results"][0]["rule"]') == uuid.version ]] || fail "version rule"
pass "check"

expect_exit 64 hemera-uuid new --count 0
expect_exit 64 hemera-uuid --bogus new
expect_err "--bogus"
expect_exit 64 hemera-uuid new --bogus
expect_err "--bogus"
expect_exit 64 hemera-uuid
expect_err "hemera-uuid: error:"
expect_exit 64 hemera-uuid legacy --namespace nonsense X
expect_err "--namespace"
expect_exit 0 hemera-uuid --help
expect_out "Examples:"
expect_exit 0 hemera-uuid --version
pass "usage"
