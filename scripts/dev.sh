#!/usr/bin/env bash
# Installs what is missing, builds, starts PostgreSQL, S3 (s3rver), Kafka (librdkafka's
# mock cluster) and imsd, creates a demo
# interview of 3 questions and prints the URLs.  Ctrl-C stops imsd (open takes
# are finalized); PostgreSQL keeps running (scripts/pg.sh stop).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$IMSD_ROOT"

bash scripts/install-deps.sh
imsd_build
# (plain assignments, not `export X=$(...)`, which would hide a service that
# did not start: set -e stops the script here then)
if [ -z "${IMSD_DATABASE_DATABASE_URL:-}" ]; then
  IMSD_DATABASE_DATABASE_URL=$(bash scripts/pg.sh start | tail -n 1)
  export IMSD_DATABASE_DATABASE_URL
fi
bash scripts/s3.sh start >/dev/null
if [ -z "${IMSD_KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
  IMSD_KAFKA_BOOTSTRAP_SERVERS=$(bash scripts/kafka.sh start | tail -n 1)
  export IMSD_KAFKA_BOOTSTRAP_SERVERS
fi
mkdir -p "$IMSD_SERVER_SPOOL_DIR"

"$IMSD_BUILD_DIR/imsd" &
imsd_pid=$!
trap 'kill -TERM $imsd_pid 2>/dev/null; wait $imsd_pid' INT TERM

for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:$IMSD_SERVER_PORT/readyz" >/dev/null 2>&1 && break
  kill -0 $imsd_pid 2>/dev/null || { echo "dev: imsd exited; see the log above" >&2; exit 1; }
  sleep 0.2
done

session=$(curl -fsS -X POST "http://127.0.0.1:$IMSD_SERVER_PORT/api/v1/sessions" \
  -H "Authorization: Bearer $IMSD_AUTH_SERVICE_TOKEN" -H 'Content-Type: application/json' \
  -d '{"interviewId":"demo-interview","userId":"demo-candidate","candidateEmail":"candidate@example.com","companyId":"demo-company",
       "profile":"default","settings":{"thinkSeconds":15,"maxRetakes":1},
       "questions":[{"id":"q1","text":"Tell us about yourself.","timeLimitSeconds":60},
                    {"id":"q2","text":"Describe a hard problem you solved recently.","timeLimitSeconds":90},
                    {"id":"q3","text":"Why do you want this role?","timeLimitSeconds":60}]}')
join_url=$(printf '%s' "$session" | sed -n 's/.*"joinUrl":"\([^"]*\)".*/\1/p')
session_id=$(printf '%s' "$session" | sed -n 's/.*"sessionId":"\([^"]*\)".*/\1/p')

# a recruiter token for the review page (HS256, demo-company, 30 days)
review_token=$(node -e '
  const c = require("crypto"), b = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const body = b({alg: "HS256", typ: "JWT"}) + "." + b({sub: "recruiter@demo-company", role: "recruiter",
    companyId: "demo-company", exp: Math.floor(Date.now() / 1000) + 30 * 86400});
  console.log(body + "." + c.createHmac("sha256", process.env.IMSD_REVIEW_JWT_SECRET).update(body).digest("base64url"));')

cat <<MSG

  imsd is running (pid $imsd_pid). Ctrl-C stops it.

  Candidate (demo interview, 3 questions):
    $join_url
  Review page (recruiter of demo-company):
    http://127.0.0.1:$IMSD_SERVER_PORT/review/#token=$review_token
  Session API:   curl -H 'Authorization: Bearer $IMSD_AUTH_SERVICE_TOKEN' http://127.0.0.1:$IMSD_SERVER_PORT/api/v1/sessions/$session_id
  Health:        http://127.0.0.1:$IMSD_SERVER_PORT/healthz   http://127.0.0.1:$IMSD_SERVER_PORT/readyz
  PostgreSQL:    $IMSD_DATABASE_DATABASE_URL
  S3 (s3rver):   http://$IMSD_STORAGE_S3_ENDPOINT/$IMSD_STORAGE_S3_BUCKET
  Kafka (mock):  $IMSD_KAFKA_BOOTSTRAP_SERVERS   e.g. kcat -C -b $IMSD_KAFKA_BOOTSTRAP_SERVERS -t candidate-events -o beginning
  Recordings:    $IMSD_SERVER_SPOOL_DIR

MSG
wait $imsd_pid
