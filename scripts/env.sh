# Sourced by the scripts: the local development/test environment of imsd.
# Every value can be overridden from the caller's environment.
IMSD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export IMSD_RUN_DIR=${IMSD_RUN_DIR:-$IMSD_ROOT/.run}
export IMSD_BUILD_DIR=${IMSD_BUILD_DIR:-$IMSD_ROOT/build}
export IMSD_SERVER_PORT=${IMSD_SERVER_PORT:-8080}
export IMSD_SERVER_PUBLIC_URL=${IMSD_SERVER_PUBLIC_URL:-http://127.0.0.1:$IMSD_SERVER_PORT}
export IMSD_SERVER_SPOOL_DIR=${IMSD_SERVER_SPOOL_DIR:-$IMSD_RUN_DIR/spool}
# local S3 (s3rver, scripts/s3.sh); production points these at MinIO or AWS
export IMSD_S3_PORT=${IMSD_S3_PORT:-4569}
export IMSD_S3_BUCKET=${IMSD_S3_BUCKET:-imsd}
export IMSD_STORAGE_S3_ENDPOINT=${IMSD_STORAGE_S3_ENDPOINT:-127.0.0.1:$IMSD_S3_PORT}
export IMSD_STORAGE_S3_BUCKET=${IMSD_STORAGE_S3_BUCKET:-$IMSD_S3_BUCKET}
export IMSD_STORAGE_S3_ACCESS_KEY=${IMSD_STORAGE_S3_ACCESS_KEY:-S3RVER}
export IMSD_STORAGE_S3_SECRET_KEY=${IMSD_STORAGE_S3_SECRET_KEY:-S3RVER}
# development secrets only: production sets its own
export IMSD_AUTH_SERVICE_TOKEN=${IMSD_AUTH_SERVICE_TOKEN:-dev-service-token}
export IMSD_AUTH_TOKEN_SECRET=${IMSD_AUTH_TOKEN_SECRET:-dev-only-candidate-token-secret-0123456789}
export IMSD_REVIEW_JWT_SECRET=${IMSD_REVIEW_JWT_SECRET:-dev-only-recruiter-token-secret-0123456789}

# Configures (once) and builds imsd in $IMSD_BUILD_DIR.
imsd_build() {
  if [ ! -f "$IMSD_BUILD_DIR/build.ninja" ]; then
    meson setup "$IMSD_BUILD_DIR" "$IMSD_ROOT"
  fi
  ninja -C "$IMSD_BUILD_DIR"
}
