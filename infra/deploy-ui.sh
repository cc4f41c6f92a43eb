#!/usr/bin/env bash
# Publishes the web client to a deployed stack (docs/deploy.md, "The web client").
# Run it after `sam deploy`: it reads the stack's outputs, adds a config.json naming
# the stack's HTTP and WebSocket APIs to the built files, uploads them to the UI bucket
# with a Cache-Control per path, removes files the build no longer has, and invalidates
# the two files CloudFront must not serve stale.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: infra/deploy-ui.sh [--build] STACK_NAME

Uploads web/dist to the UI bucket of the CloudFormation stack STACK_NAME (for example
istackbuddy-chat-dev) and prints the web client's URL.

  --build     run `npm ci && npm run build` in web/ first (default: only when
              web/dist/index.html is missing; web/dist is committed and CI checks
              it against the sources)
  -h, --help  this text

AWS credentials and region come from the usual places (AWS_PROFILE, AWS_REGION,
~/.aws/config). Needs the AWS CLI v2, and Node.js/npm when it builds.
EOF
}

build=0
stack=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=1 ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "deploy-ui: unknown option $1" >&2; usage >&2; exit 2 ;;
    *)
      if [ -n "$stack" ]; then
        echo "deploy-ui: one stack name only" >&2; usage >&2; exit 2
      fi
      stack="$1"
      ;;
  esac
  shift
done
if [ -z "$stack" ]; then
  usage >&2
  exit 2
fi

cd "$(dirname "$0")/.."
command -v aws >/dev/null 2>&1 || { echo "deploy-ui: the AWS CLI (aws) is not installed" >&2; exit 1; }

# --------------------------------------------------------------- stack outputs
outputs=$(aws cloudformation describe-stacks --stack-name "$stack" \
  --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output text)
output() {
  local value
  value=$(printf '%s\n' "$outputs" | awk -F '\t' -v key="$1" '$1 == key { print $2 }')
  if [ -z "$value" ]; then
    echo "deploy-ui: stack $stack has no output $1 (deploy the current template.yaml first)" >&2
    exit 1
  fi
  printf '%s' "$value"
}
api_url=$(output HttpApiUrl)
ws_url=$(output WebSocketUrl)
bucket=$(output UiBucketName)
distribution=$(output UiDistributionId)
ui_url=$(output UiUrl)

# The values go into JSON unescaped, so they must be plain URLs (no quotes, no
# backslashes, no spaces), which API Gateway's always are.
[[ "$api_url" =~ ^https://[A-Za-z0-9.-]+(/[A-Za-z0-9._~-]*)*$ ]] || { echo "deploy-ui: unexpected HttpApiUrl: $api_url" >&2; exit 1; }
[[ "$ws_url" =~ ^wss://[A-Za-z0-9.-]+(/[A-Za-z0-9._~-]*)*$ ]] || { echo "deploy-ui: unexpected WebSocketUrl: $ws_url" >&2; exit 1; }

# ----------------------------------------------------------------------- build
if [ "$build" = 1 ] || [ ! -f web/dist/index.html ]; then
  command -v npm >/dev/null 2>&1 || { echo "deploy-ui: npm is needed to build web/" >&2; exit 1; }
  echo "deploy-ui: building web/"
  (cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build)
fi
[ -f web/dist/index.html ] || { echo "deploy-ui: web/dist/index.html is missing after the build" >&2; exit 1; }

# A copy of the build plus config.json, so web/dist itself (served by chat-local and
# `vite preview`) never points at a deployed API.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -R web/dist/. "$stage/"
rm -f "$stage/config.json"
# The fields web/src/client/config.ts reads (RuntimeConfig).
printf '{"apiUrl": "%s", "wsUrl": "%s"}\n' "$api_url" "$ws_url" >"$stage/config.json"

# ---------------------------------------------------------------------- upload
# Order matters to a browser loading the page mid-deploy: the new hashed assets first,
# then the page that names them, and only then are the old assets removed.
immutable="public, max-age=31536000, immutable"
revalidate="no-cache"
s3="s3://$bucket"

if [ -d "$stage/assets" ]; then
  aws s3 sync "$stage/assets/" "$s3/assets/" --only-show-errors --cache-control "$immutable"
fi
aws s3 cp "$stage/config.json" "$s3/config.json" --only-show-errors \
  --cache-control "$revalidate" --content-type "application/json"
aws s3 cp "$stage/index.html" "$s3/index.html" --only-show-errors \
  --cache-control "$revalidate" --content-type "text/html; charset=utf-8"
# Any other top-level file (none today): revalidated like the page; stale ones removed.
aws s3 sync "$stage/" "$s3/" --only-show-errors --delete --cache-control "$revalidate" \
  --exclude "assets/*" --exclude "index.html" --exclude "config.json"
if [ -d "$stage/assets" ]; then
  aws s3 sync "$stage/assets/" "$s3/assets/" --only-show-errors --delete --cache-control "$immutable"
else
  aws s3 rm "$s3/assets/" --recursive --only-show-errors
fi

# ---------------------------------------------------------------- invalidation
# The distribution does not cache these two (CachingDisabled); the invalidation keeps
# a deploy right if that ever changes, and two paths are well inside CloudFront's free
# monthly allowance. /join and the other app routes are rewritten to /index.html before
# the cache, so they are covered too.
invalidation=$(aws cloudfront create-invalidation --distribution-id "$distribution" \
  --paths /index.html /config.json --query Invalidation.Id --output text)

echo "deploy-ui: uploaded to $s3, invalidation $invalidation"
echo "deploy-ui: config.json: apiUrl=$api_url wsUrl=$ws_url"
echo "deploy-ui: the web client is at $ui_url"
