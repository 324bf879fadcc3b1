#!/bin/sh
# Fetches the Zendesk Apps framework SDK from the npm registry (no CDN at run time):
# checks the tarball against the registry's integrity hash, then bundles its CommonJS
# modules (lib/*.js: the npm package ships no built file) into one browser script that
# sets window.ZAFClient, beside its licence, in src/zdcal/web/static/zaf/, which zdcal
# serves and the app package ships. Run from the repository root:
#   sh scripts/fetch_zaf_sdk.sh
set -eu
VERSION=2.0.11
INTEGRITY="sha512-3TKzeq0faAPCYRLYGKcoJnbDdsYB26/T2aoBC9JQKfbQRyBh2Av7EpeBRE9gYGVPqOPvqYxNmZITe29BKu+08Q=="
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
( cd "$work" && npm pack "zendesk_app_framework_sdk@$VERSION" --silent >/dev/null )
tarball="$work/zendesk_app_framework_sdk-$VERSION.tgz"
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
[ "$actual" = "$INTEGRITY" ] || { echo "integrity mismatch: $actual" >&2; exit 1; }
tar -xzf "$tarball" -C "$work"
out=src/zdcal/web/static/zaf
mkdir -p "$out"
lib="$work/package/lib"
{
  echo "/* zendesk_app_framework_sdk $VERSION (npm), Apache-2.0: see LICENSE. Bundled by"
  echo "   scripts/fetch_zaf_sdk.sh: each module wrapped as a CommonJS function. */"
  echo "(function () { var defs = {}, done = {};"
  echo "function req(name) { name = name.replace(/^\.\//, '').replace(/\.js$/, '');"
  echo "  if (!done[name]) { var m = { exports: {} }; done[name] = m; defs[name](m, m.exports, req); }"
  echo "  return done[name].exports; }"
  for name in utils client index vendor/native-promise-only; do
    echo "defs['$name'] = function (module, exports, require) {"
    cat "$lib/$name.js"
    echo "};"
  done
  echo "window.ZAFClient = req('index'); })();"
} > "$out/zaf_sdk.js"
cp "$work/package/LICENSE" "$out/LICENSE"
echo "$VERSION $INTEGRITY" > "$out/VERSION"
echo "ZAF SDK $VERSION in $out"
