#!/bin/sh
# Test fixture: a native "capture" protoc plugin. It saves the CodeGeneratorRequest it
# receives on stdin, byte for byte, to the file named by $CAPTURE_FILE and answers with a
# response that has no files and supported_features = FEATURE_PROTO3_OPTIONAL (field 2,
# varint 1: bytes 0x10 0x01), so proto3 `optional` inputs do not fail the run.
set -eu
if [ -z "${CAPTURE_FILE:-}" ]; then
    echo "capture.sh: CAPTURE_FILE is not set" >&2
    exit 2
fi
cat > "$CAPTURE_FILE"
printf '\020\001'
