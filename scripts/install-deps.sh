#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install what hemera-tools needs on Debian 12, only what is missing. Idempotent.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config git
  # libraries (DESIGN.md "Real components")
  libcli11-dev libfmt-dev libyaml-cpp-dev libexpected-dev nlohmann-json3-dev
  libssl-dev libsqlite3-dev zlib1g-dev libcfitsio-dev libcurl4-openssl-dev
  libvalijson-dev  # JSON Schema validation of records (header-only)
  libpcre2-dev  # hemera-recover: rules with named groups over legacy paths
  libnetcdf-dev  # hemera-convert only: NASA Ames <-> netCDF-4/CF
  # tests, docs, fuzzing, benchmarks
  doctest-dev scdoc clang libclang-rt-14-dev python3 python3-jsonschema python3-aiosmtpd
  curl python3-cryptography  # ORCID sign-in test: a local OpenID provider signing RS256 id_tokens
  util-linux procps time fitsverify hyperfine
  sudo passwd  # identity tests: privileged runs through a real sudo, throw-away users (useradd)
  netcdf-bin python3-astropy  # hemera-convert tests: ncdump; FITS tables written by astropy
  rsync  # bench/snapshot compares hemera-snapshot with rsync --link-dest
  # replication tests and benchmarks: real FTP/FTPS and SFTP servers, peer tools
  vsftpd openssh-server openssh-client openssl lftp rclone
  # interoperability: XML (libxml2), the CSW server (cpp-httplib), XSD checks, harvesting clients
  libxml2-dev libxml2-utils libcpp-httplib-dev python3-lxml python3-owslib gdal-bin
  chromium wrk  # landing pages rendered in a real browser (tests); bench/csw throughput
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all packages present"
fi

# The S3 replication tests need moto's S3 server (not a Debian package).
if ! command -v moto_server >/dev/null 2>&1; then
  echo "install-deps: *** moto_server is MISSING: the S3 replication tests will FAIL." >&2
  echo "install-deps: *** install it with:  python3 -m pip install 'moto[server]'  (moto 5.x)" >&2
fi
