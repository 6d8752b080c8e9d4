#!/usr/bin/env bash
# Regenerates internal/password/common.txt from the npm package
# @zxcvbn-ts/language-common (MIT): its list of common passwords, keeping
# those of 10 or more characters (shorter ones fail the length rule anyway).
set -euo pipefail
version=${1:-4.1.3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "@zxcvbn-ts/language-common@$version" >/dev/null && tar xzf ./*.tgz)
out=$(dirname "$0")/../internal/password/common.txt
{
  echo "# Common passwords of 10 or more characters (shorter ones are refused by length)."
  echo "# Taken from @zxcvbn-ts/language-common $version (src/passwords.json), MIT licence,"
  echo "# Copyright (c) 2021 zxcvbn-ts contributors; regenerate with scripts/common-passwords.sh."
  python3 -c 'import json,sys; [print(p) for p in json.load(open(sys.argv[1])) if len(p) >= 10 and p.strip() == p]' \
    "$work/package/src/passwords.json"
} >"$out"
