import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
application = get_wsgi_application()
# What start-up loaded (about 140,000 objects: modules, URL patterns, templates) lives as long
# as the process: moved out of the collector's sight, it is no longer walked by each full
# collection, a 70 ms pause every 15 or so admin pages (bench/admin_bench.py).
gc.freeze()
