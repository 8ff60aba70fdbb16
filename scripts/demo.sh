#!/usr/bin/env bash
# One command for a newcomer: install, migrate, load the catalog and demo data, serve.
# Embedded default: SQLite, Celery eager. The business date defaults to 2020-09-20: the demo
# data are the story of 2020 as it stands on that day (JIANDING_BUSINESS_DATE= for the clock:
# the whole year, every act in the past; a date before 2020-09-07 is refused).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements.txt
export JIANDING_BUSINESS_DATE=${JIANDING_BUSINESS_DATE-2020-09-20}
port=${PORT:-8000}
.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python manage.py load_demo
echo
echo "鉴定后台已就绪：http://127.0.0.1:${port}/admin/"
echo "业务日期：${JIANDING_BUSINESS_DATE:-（系统时钟）}；演示账号 admin / jianding-demo（其他角色账号见上）"
echo
exec .venv/bin/python manage.py runserver "127.0.0.1:${port}"
