"""Celery (kombu) with the app's env: the broker is CELERY_BROKER_URL, else
REDIS_URL; the result backend is CELERY_RESULT_BACKEND, else the broker.

  queue_celery.py stub DIR MODULE   writes the app module a worker command's
                                    `-A MODULE` imports (it calls make_app)
  queue_celery.py send              enqueues e2e.ping(41) with this env and
                                    waits for the worker's result (42)
"""
import os
import sys


def urls():
    broker = os.environ.get("CELERY_BROKER_URL") or os.environ["REDIS_URL"]
    backend = os.environ.get("CELERY_RESULT_BACKEND") or broker
    return broker, backend


def make_app():
    from celery import Celery

    broker, backend = urls()
    app = Celery("e2e", broker=broker, backend=backend)
    app.conf.broker_connection_retry_on_startup = True
    app.conf.broker_connection_max_retries = 3

    @app.task(name="e2e.ping")
    def ping(x):
        return x + 1

    return app


def package(directory, dotted, body=None):
    """Writes package `dotted` under directory; body (if any) in its __init__."""
    path = directory
    for part in dotted.split("."):
        path = os.path.join(path, part)
        os.makedirs(path, exist_ok=True)
        init = os.path.join(path, "__init__.py")
        if not os.path.exists(init):
            open(init, "w").close()
    if body is not None:
        with open(os.path.join(path, "__init__.py"), "w") as f:
            f.write(body)


# A Django project's settings module (Celery's Django fix-up imports the one
# DJANGO_SETTINGS_MODULE names): the database from the DB_* env.
DJANGO_SETTINGS = """import os
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "e2e")
INSTALLED_APPS = []
USE_TZ = True
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "HOST": os.environ.get("DB_HOST", ""),
    "PORT": os.environ.get("DB_PORT", ""), "NAME": os.environ.get("DB_NAME", ""),
    "USER": os.environ.get("DB_USER", ""), "PASSWORD": os.environ.get("DB_PASSWORD", "")}}
"""


def stub(directory, module, settings_module=None):
    """The app module a worker command's `-A MODULE` imports."""
    package(directory, module.split(":")[0], "from queue_celery import make_app\n\napp = make_app()\n")
    if settings_module:
        package(directory, settings_module, DJANGO_SETTINGS)


def send():
    import celery

    app = make_app()
    result = app.send_task("e2e.ping", args=[41])
    got = result.get(timeout=40)
    assert got == 42, "the worker returned %r" % got
    print("OK celery+kombu %s+%s enqueued by web, run by worker, result read" % (
        celery.__version__, __import__("kombu").__version__))


if __name__ == "__main__":
    if sys.argv[1] == "stub":
        stub(*sys.argv[2:5])
    else:
        send()
