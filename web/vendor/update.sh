#!/usr/bin/env bash
# Re-vendors the ESM build of @msgpack/msgpack into web/vendor/msgpack/.
# Usage: web/vendor/update.sh [version]   (default: the version in VERSION)
# Needs npm and tar; fetches the package through the npm registry client.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
dest="$here/msgpack"
version="${1:-$(cat "$dest/VERSION" 2>/dev/null || echo 3.1.3)}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "@msgpack/msgpack@$version" >/dev/null)
tar -xzf "$work"/msgpack-msgpack-*.tgz -C "$work"

rm -rf "$dest"
mkdir -p "$dest/utils"
src="$work/package/dist.esm"
for f in "$src"/*.mjs "$src"/utils/*.mjs; do
	rel="${f#"$src"/}"
	# Drop source-map comments: the maps point at TypeScript sources we do not ship.
	grep -v '^//# sourceMappingURL=' "$f" >"$dest/$rel"
done
cp "$work/package/LICENSE" "$dest/LICENSE"
echo "$version" >"$dest/VERSION"
echo "vendored @msgpack/msgpack $version into $dest"
