#!/bin/bash
# run_export.sh SWAN FIXTURE_DIR DTYPE SHA256 OUT: the GGUF export of a fixture
# must be byte for byte the file that llama.cpp's own reader verified
# (verify_with_gguf_py.py) when its digest was pinned in expected.txt.
set -eu
swan=$1 fixture=$2 dtype=$3 want=$4 out=$5
"$swan" export-gguf "$fixture" "$out" --dtype "$dtype" 2> /dev/null
got=$(sha256sum "$out" | cut -d' ' -f1)
[ "$got" = "$want" ] || { echo "FAIL: $out has sha256 $got, expected $want"; exit 1; }
echo "ok: $(basename "$fixture") $dtype"
