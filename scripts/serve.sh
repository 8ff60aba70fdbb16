#!/usr/bin/env bash
# Production: the web processes (gunicorn, static files by WhiteNoise), a Celery worker and
# Celery beat, in one command. Needs the environment of config/settings/production.py
# (docs/operations.md); the database must be migrated first (`scripts/serve.sh migrate`).
# If any of the three stops, the others are stopped too and the script exits non-zero, so a
# supervisor (systemd, a container runtime) restarts the whole set.
#
#   scripts/serve.sh           collectstatic, then web + worker + beat
#   scripts/serve.sh migrate   apply migrations and sync the roles, then exit
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings.production}
python=${JIANDING_PYTHON:-.venv/bin/python}
bin=$(dirname "$python")

if [ "${1:-}" = "migrate" ]; then
  exec "$python" manage.py migrate --noinput
fi

"$python" manage.py check --deploy --fail-level WARNING
"$python" manage.py collectstatic --noinput -v 0

bind=${JIANDING_BIND:-127.0.0.1:8000}
web_processes=${WEB_CONCURRENCY:-$(( $(nproc) * 2 + 1 ))}
worker_processes=${JIANDING_WORKER_CONCURRENCY:-$(nproc)}

pids=()
stop() {
  trap - TERM INT EXIT
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait || true
}
trap 'stop; exit 0' TERM INT
trap stop EXIT

"$bin/gunicorn" config.wsgi:application --bind "$bind" --workers "$web_processes" \
  --timeout "${JIANDING_WEB_TIMEOUT:-120}" --access-logfile - --forwarded-allow-ips "${JIANDING_PROXY_IPS:-127.0.0.1}" &
pids+=($!)
"$bin/celery" -A config worker --loglevel INFO --concurrency "$worker_processes" &
pids+=($!)
# One beat for the whole installation: a second one would send every reminder twice.
"$bin/celery" -A config beat --loglevel INFO --pidfile= &
pids+=($!)

set +e
wait -n "${pids[@]}"
status=$?
echo "serve.sh: a process stopped (exit ${status}); stopping the others" >&2
exit $(( status == 0 ? 1 : status ))
