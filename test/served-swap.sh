#!/usr/bin/env bash
# The app's end-to-end suite with the served list swapped to the kit's test plug-in alone: the
# proof that the app and its tests depend on no plug-in in particular. The one line of
# apps/api/src/served-models.ts is changed in a copy of the project under .data/swap (which finds
# this project's node_modules above it), built, and its apps/api/test suite run.
set -euo pipefail
cd "$(dirname "$0")/.."
copy=.data/swap
rm -rf "$copy"
mkdir -p "$copy"
# What git tracks or would track (not ignored), as it is in the working tree.
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' file; do
  [ -e "$file" ] || continue
  mkdir -p "$copy/$(dirname "$file")"
  cp -p "$file" "$copy/$file"
done
cat > "$copy/apps/api/src/served-models.ts" <<'TS'
import { ModelPlugin } from '@app/mle';
import { churnTestPlugin } from '@app/mle/testing';

export const SERVED_MODELS: readonly ModelPlugin[] = [churnTestPlugin];
TS
echo "Served list swapped to [churnTestPlugin] in $copy; running its app end-to-end suite…"
cd "$copy"
node ../../node_modules/jest/bin/jest.js apps/api/test "$@"
