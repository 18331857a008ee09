#!/usr/bin/env bash
# Re-vendor the GraphiQL front-end assets into gql/static/graphiql/.
#
# GraphiQL is served from local files because the machines this API runs on
# cannot reach public CDNs. This script fetches the pinned packages with
# `npm pack` (registry tarballs only, no node_modules), checks every asset
# against the same sha384 hashes Strawberry's stock GraphiQL page pins,
# and copies the minified files plus their licenses.
#
# index.html in the target directory is hand-written and is NOT touched.
#
# Usage: scripts/vendor_graphiql.sh          (run from anywhere)
set -euo pipefail

REACT_VERSION=18.2.0
REACT_DOM_VERSION=18.2.0
GRAPHIQL_VERSION=3.8.3
EXPLORER_VERSION=1.0.2
# Bundled inside the explorer UMD build; packed only for its LICENSE file.
GRAPHIQL_EXPLORER_VERSION=0.9.0

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$REPO_ROOT/gql/static/graphiql"

command -v npm >/dev/null || { echo "npm is required" >&2; exit 1; }
command -v openssl >/dev/null || { echo "openssl is required" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

pack() { # pack NAME VERSION SUBDIR -> extracts the tarball into $WORK/SUBDIR
    local name="$1" version="$2" sub="$3" tgz
    tgz="$(cd "$WORK" && npm pack --silent "${name}@${version}" | tail -n 1)"
    mkdir -p "$WORK/$sub"
    tar -xzf "$WORK/$tgz" -C "$WORK/$sub" --strip-components=1
    echo "packed ${name}@${version}"
}

pack react "$REACT_VERSION" react
pack react-dom "$REACT_DOM_VERSION" react-dom
pack graphiql "$GRAPHIQL_VERSION" graphiql
pack @graphiql/plugin-explorer "$EXPLORER_VERSION" plugin-explorer
pack graphiql-explorer "$GRAPHIQL_EXPLORER_VERSION" graphiql-explorer

# source (relative to $WORK) | destination name | expected sha384 (SRI form)
ASSETS=(
    "react/umd/react.production.min.js|react.production.min.js|sha384-tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8"
    "react-dom/umd/react-dom.production.min.js|react-dom.production.min.js|sha384-bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh"
    "graphiql/graphiql.min.js|graphiql.min.js|sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie"
    "graphiql/graphiql.min.css|graphiql.min.css|sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM"
    "plugin-explorer/dist/index.umd.js|plugin-explorer.umd.js|sha384-2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9"
    "plugin-explorer/dist/style.css|plugin-explorer.css|sha384-5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi"
)

mkdir -p "$DEST"
for entry in "${ASSETS[@]}"; do
    IFS='|' read -r src dst expected <<<"$entry"
    actual="sha384-$(openssl dgst -sha384 -binary "$WORK/$src" | openssl base64 -A)"
    if [[ "$actual" != "$expected" ]]; then
        echo "hash mismatch for $src: got $actual, expected $expected" >&2
        exit 1
    fi
    cp "$WORK/$src" "$DEST/$dst"
    echo "  $dst  ($expected)"
done

cp "$WORK/react/LICENSE" "$DEST/react.LICENSE"
cp "$WORK/react-dom/LICENSE" "$DEST/react-dom.LICENSE"
cp "$WORK/graphiql/LICENSE" "$DEST/graphiql.LICENSE"

# @graphiql/plugin-explorer ships no LICENSE file of its own: its package.json
# says MIT and it lives in the same monorepo as graphiql (same license text).
# Its UMD build also bundles graphiql-explorer (MIT), whose license follows.
{
    echo "@graphiql/plugin-explorer ${EXPLORER_VERSION} (license: MIT, per its package.json)."
    echo "The package ships no LICENSE file; it is developed in the same repository"
    echo "as graphiql, whose MIT license text is reproduced below."
    echo
    cat "$WORK/graphiql/LICENSE"
    echo
    echo "----------------------------------------------------------------------"
    echo "plugin-explorer.umd.js bundles graphiql-explorer ${GRAPHIQL_EXPLORER_VERSION}, licensed as follows:"
    echo
    cat "$WORK/graphiql-explorer/LICENSE"
} >"$DEST/plugin-explorer.LICENSE"

echo "GraphiQL assets vendored into $DEST"
