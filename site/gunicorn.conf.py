"""gunicorn settings: `gunicorn -c site/gunicorn.conf.py portail_site.wsgi`.

Each value can be overridden on the command line (`--workers 4`) or, for the few read
below, from the environment. The application is loaded once in the master and the
workers are forked from it: Django, Wagtail, every view and WeasyPrint (with Pango) are
imported before the fork, so a new worker answers its first request, or its first PDF,
at full speed, and the workers share those pages of memory until they write to them.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Processes: the site's requests are mostly short and CPU-bound (templates, pricing),
# two to four per core behind a buffering reverse proxy (nginx), which also absorbs
# slow clients.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads in each: a request that waits on API Particulier (up to 20 s when it hangs)
# holds one thread, not the process. Lookups in flight are capped below the threads
# (QF_LOOKUPS_IN_FLIGHT, half of them by default), so the others always serve pages;
# benchmarks/slow_api.py measures it. Django, the caches and the QF client are
# thread-safe; the database holds one connection per thread.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
preload_app = True
# With threads, a worker is restarted when its accept loop stops answering the master,
# not when one request is slow (a lookup ends at its own 20 s deadline).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Restarting workers hides leaks; off unless asked for (GUNICORN_MAX_REQUESTS=5000).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
# The heartbeat file on tmpfs: a slow disk must not make the master kill its workers.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
# The access log keeps no query string (agents' searches hold family names) and no secret
# of a path (the calendar feed's token, reset links): site/access_log.py.
logger_class = "portail_site.access_log.PrivateAccessLogger"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """In the master, before any worker is forked."""
    # WeasyPrint's import (Pango, HarfBuzz, fontconfig through cffi) takes about half a
    # second: pay it once here rather than in the first certificate request of a worker.
    import weasyprint  # noqa: F401

    if server.cfg.preload_app:
        from django.conf import settings
        from django.db import connections
        from django.urls import get_resolver

        if settings.QF_LOOKUPS_IN_FLIGHT >= server.cfg.threads:
            server.log.warning(
                "QF_LOOKUPS_IN_FLIGHT (%d) is not below the threads per worker (%d): "
                "a hanging API Particulier can hold every thread",
                settings.QF_LOOKUPS_IN_FLIGHT,
                server.cfg.threads,
            )

        # Import every view (the wizard, the certificates, the admin) now.
        get_resolver().url_patterns  # noqa: B018
        # A connection opened in the master would be shared by every forked worker.
        connections.close_all()
