#!/usr/bin/env bash
# Builds every Lambda function as it is deployed (release profile: thin LTO, one
# codegen unit, stripped; arm64 via cargo-lambda and zig) and prints each bootstrap's
# size unzipped and zipped (the zip is what Lambda stores and downloads on a cold
# start). CI does not run this — its cross-build uses the cheaper `lambda-ci` profile —
# so run it when dependencies change and record the table in BENCHMARKS.md.
#
#   infra/lambda-sizes.sh            # needs: pip install cargo-lambda ziglang;
#                                    #        rustup target add aarch64-unknown-linux-gnu
set -euo pipefail
cd "$(dirname "$0")/.."

functions=(fn-auth fn-supervisor-api fn-admin-api fn-files fn-ws-connect fn-ws-message fn-ws-disconnect fn-robot-worker)
cargo lambda build --release --arm64 --locked --output-format zip "${functions[@]/#/--package=}" >&2

printf '| function | bootstrap (unzipped) | bootstrap.zip |\n|---|---|---|\n'
for f in "${functions[@]}"; do
  zip="target/lambda/$f/bootstrap.zip"
  [ -f "$zip" ] || { echo "missing $zip" >&2; exit 1; }
  unzipped=$(python3 -c 'import sys, zipfile; print(sum(i.file_size for i in zipfile.ZipFile(sys.argv[1]).infolist() if i.filename == "bootstrap"))' "$zip")
  printf '| %s | %s bytes | %s bytes |\n' "$f" "$unzipped" "$(stat -c %s "$zip")"
done
