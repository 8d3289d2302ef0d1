#!/bin/sh
# Regenerate llvm-vectors.json from forms.s. Needs llvm-mc >= 18 (Debian: apt-get install llvm-19).
set -eu
cd "$(dirname "$0")/../../.."
exec node --import tsx test/asm/vectors/regenerate.ts
