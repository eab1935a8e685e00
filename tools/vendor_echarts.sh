#!/usr/bin/env bash
# Vendor ECharts into api/static/vendor/ from the npm registry, so the service needs no Node
# at run time. Run by hand when upgrading (needs npm); commit the copied file and README.
#   tools/vendor_echarts.sh            # the pinned version below
#   ECHARTS_VERSION=6.2.0 tools/vendor_echarts.sh
set -euo pipefail
VERSION="${ECHARTS_VERSION:-6.1.0}"
cd "$(dirname "$0")/.."
DEST=api/static/vendor
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

(cd "$WORK" && npm pack --silent "echarts@$VERSION" >/dev/null && tar -xzf "echarts-$VERSION.tgz")
mkdir -p "$DEST"
cp "$WORK/package/dist/echarts.min.js" "$DEST/echarts.min.js"
cp "$WORK/package/LICENSE" "$DEST/echarts.LICENSE.txt"
SHA="$(sha256sum "$DEST/echarts.min.js" | cut -d' ' -f1)"
cat > "$DEST/README.md" <<MD
# Vendored front-end files

| file | package | version | sha256 |
| --- | --- | --- | --- |
| echarts.min.js | echarts (npm registry, \`dist/echarts.min.js\`) | $VERSION | $SHA |

Copied by \`tools/vendor_echarts.sh\` (\`npm pack echarts@$VERSION\`); Apache-2.0, see
\`echarts.LICENSE\`. To upgrade: \`ECHARTS_VERSION=x.y.z tools/vendor_echarts.sh\`, then run the
browser tests (\`tests/pages/\`). \`tests/pages/test_vendor.py\` checks the file matches this table.
MD
echo "echarts $VERSION -> $DEST/echarts.min.js ($SHA)"
