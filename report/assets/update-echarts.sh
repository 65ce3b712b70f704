#!/usr/bin/env bash
# Rebuilds echarts.min.js, the ECharts bundle the HTML report inlines, from the
# npm registry: a custom build holding only what the reports use (bar, line,
# treemap and custom series; grid, tooltip, title and legend; the canvas
# renderer), about half the size of dist/echarts.min.js. Pinned versions make the output
# byte-for-byte reproducible; the licenses of everything bundled are copied
# next to it.
#
#   report/assets/update-echarts.sh            # rebuild with the pinned versions
#   ECHARTS_VERSION=5.6.0 report/assets/update-echarts.sh
#
# Needs node and npm (CI does not: the output is committed).
set -euo pipefail

ECHARTS_VERSION="${ECHARTS_VERSION:-5.6.0}"
ESBUILD_VERSION="${ESBUILD_VERSION:-0.25.0}"

dest="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

npm init -y >/dev/null
npm install --no-save --no-audit --no-fund --loglevel=error \
	"echarts@$ECHARTS_VERSION" "esbuild@$ESBUILD_VERSION" >/dev/null

cat >entry.js <<'JS'
import * as echarts from 'echarts/core';
import { BarChart, LineChart, TreemapChart, CustomChart } from 'echarts/charts';
import { GridComponent, TooltipComponent, TitleComponent, LegendComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
echarts.use([BarChart, LineChart, TreemapChart, CustomChart, GridComponent, TooltipComponent, TitleComponent, LegendComponent, CanvasRenderer]);
export * from 'echarts/core';
JS

# The first line asks V8 (Chrome 136 and later) to compile the whole bundle
# as it loads it (an explicit compile hint): the page calls much of it at
# once, and compiling each function on its first call costs the large
# pair's report more (see README, Performance). Other browsers ignore it.
hint="//# allFunctionsCalledOnLoad"
banner="/* Apache ECharts $ECHARTS_VERSION (Apache-2.0, see ECHARTS-LICENSE and ECHARTS-NOTICE), zrender $(node -p 'JSON.parse(require("fs").readFileSync("node_modules/zrender/package.json")).version') (BSD-3-Clause), tslib $(node -p 'JSON.parse(require("fs").readFileSync("node_modules/tslib/package.json")).version') (0BSD). Custom build: report/assets/update-echarts.sh */"
node_modules/.bin/esbuild entry.js --bundle --minify --format=iife --global-name=echarts \
	--target=es2017 --legal-comments=none --banner:js="$hint
$banner" --log-level=warning \
	--outfile="$dest/echarts.min.js"

if grep -qi '</script' "$dest/echarts.min.js"; then
	echo "echarts.min.js contains </script and cannot be inlined" >&2
	exit 1
fi
cp node_modules/echarts/LICENSE "$dest/ECHARTS-LICENSE"
cp node_modules/echarts/NOTICE "$dest/ECHARTS-NOTICE"
cp node_modules/zrender/LICENSE "$dest/ZRENDER-LICENSE"
cp node_modules/tslib/LICENSE.txt "$dest/TSLIB-LICENSE"
echo "$ECHARTS_VERSION" >"$dest/ECHARTS-VERSION"
echo "wrote $dest/echarts.min.js ($(wc -c <"$dest/echarts.min.js") bytes), ECharts $ECHARTS_VERSION"
