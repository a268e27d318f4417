#!/usr/bin/env bash
# Scaffolds a workspace project: tools/new-project.sh <libs|apps>/<name> "<tags as JSON array>" "<one-line description>"
# e.g. tools/new-project.sh libs/metrics '["type:lib","scope:shared"]' 'AUROC, AUPRO, thresholds.'
set -euo pipefail
dir=$1; tags=$2; desc=$3
name=$(basename "$dir"); pkg="@linewatch/$name"
[ -e "$dir/package.json" ] && { echo "$dir already exists" >&2; exit 1; }
mkdir -p "$dir/src" "$dir/test"
up=$(echo "$dir" | sed 's#[^/]*#..#g')
cat > "$dir/package.json" <<EOF
{
  "name": "$pkg",
  "version": "0.1.0",
  "private": true,
  "type": "module",
  "description": "$desc",
  "exports": {
    ".": {
      "@linewatch/source": "./src/index.ts",
      "types": "./dist/index.d.ts",
      "default": "./dist/index.js"
    }
  },
  "scripts": {
    "build": "tsc -p tsconfig.build.json",
    "typecheck": "tsc -p tsconfig.json --noEmit",
    "lint": "eslint .",
    "test": "tsx $up/tools/src/run-tests.ts --name $name"
  },
  "nx": { "name": "$name", "tags": $tags }
}
EOF
cat > "$dir/tsconfig.json" <<EOF
{
  "extends": "$up/tsconfig.base.json",
  "compilerOptions": { "noEmit": true },
  "include": ["src/**/*.ts", "test/**/*.ts", "bench/**/*.ts"]
}
EOF
cat > "$dir/tsconfig.build.json" <<EOF
{
  "extends": "$up/tsconfig.base.json",
  "compilerOptions": { "rootDir": "src", "outDir": "dist", "customConditions": [] },
  "include": ["src/**/*.ts"],
  "exclude": ["src/**/*.test.ts"]
}
EOF
echo "export {};" > "$dir/src/index.ts"
printf '# %s\n\n%s\n' "$pkg" "$desc" > "$dir/README.md"
echo "created $dir ($pkg); run: npm install   (links the workspace package)"
