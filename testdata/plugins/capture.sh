#!/bin/sh
# Test fixture: a native "capture" protoc plugin. It saves the CodeGeneratorRequest it
# receives on stdin, byte for byte, to the file named by $CAPTURE_FILE and answers with a
# response that has no files and supported_features = FEATURE_PROTO3_OPTIONAL (field 2,
# varint 1: bytes 0x10 0x01), so proto3 `optional` inputs do not fail the run.
# With CAPTURE_EDITIONS=1 it also claims editions support (supported_features 3) for editions
# 2023 to 2024 (minimum_edition 1000: 0x18 0xe8 0x07; maximum_edition 1001: 0x20 0xe9 0x07).
set -eu
if [ -z "${CAPTURE_FILE:-}" ]; then
    echo "capture.sh: CAPTURE_FILE is not set" >&2
    exit 2
fi
cat > "$CAPTURE_FILE"
if [ "${CAPTURE_EDITIONS:-}" = 1 ]; then
    printf '\020\003\030\350\007\040\351\007'
else
    printf '\020\001'
fi
