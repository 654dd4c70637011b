#!/usr/bin/env bash
# Fails if user-facing text narrates how the crate was developed: work sessions, the machine's
# "slow spells", this project's issues, commit hashes as the way to read a figure, or the
# worked example named after the document it came from. History belongs in commit messages.
set -euo pipefail
cd "$(dirname "$0")/.."
# The adapters are not scanned: "session" is DataFusion's word for a query context there.
files=(README.md BENCHMARKS.md ARCHITECTURE.md CHANGELOG.md docs src cli/src cli/tests)
words='\bsessions?\b|\bspells?\b|\bthe issues?\b|\bissues? [0-9]+\b|\bseed document\b|\bthe seed'"'"'s\b|\bthe seed (example|data|run|table)s?\b'
hash='(?<![0-9A-Za-z_.])(?=[0-9a-f]{7,40}\b)(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,40}\b(?![.+-])'
found=$(grep -rniP "$words" "${files[@]}" 2>/dev/null || true)
found+=$(grep -rnP "$hash" "${files[@]}" 2>/dev/null || true)
if [ -n "$found" ]; then
    printf 'development narration in user-facing text:\n%s\n' "$found" | head -n 40
    exit 1
fi
echo "no development narration"
