"""Celery (kombu) with the app's env: the broker is CELERY_BROKER_URL, else
REDIS_URL; the result backend is CELERY_RESULT_BACKEND when the env has one
(none otherwise: the task then marks a key through the broker's connection).

  queue_celery.py stub DIR MODULE   writes the app module a worker command's
                                    `-A MODULE` imports (it calls make_app)
  queue_celery.py send              enqueues e2e.ping with this env and waits
                                    for the worker's result, or its mark
"""
import os
import sys


def urls():
    broker = os.environ.get("CELERY_BROKER_URL") or os.environ["REDIS_URL"]
    return broker, os.environ.get("CELERY_RESULT_BACKEND")


def broker_redis(app):
    """The redis-py client under kombu's Redis channel (the broker's own)."""
    return app.connection_for_write().default_channel.client


def make_app():
    from celery import Celery

    broker, backend = urls()
    app = Celery("e2e", broker=broker, backend=backend)
    app.conf.broker_connection_retry_on_startup = True
    app.conf.broker_connection_max_retries = 3

    @app.task(name="e2e.ping")
    def ping(x, mark):
        broker_redis(app).set(mark, "ran", ex=120)
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

    import time
    import uuid

    app = make_app()
    mark = "e2e:celery:%s" % uuid.uuid4().hex
    result = app.send_task("e2e.ping", args=[41, mark])
    if urls()[1]:
        got = result.get(timeout=40)
        assert got == 42, "the worker returned %r" % got
        how = "result read from CELERY_RESULT_BACKEND"
    else:
        client = broker_redis(app)
        deadline = time.time() + 40
        while client.get(mark) != b"ran":
            assert time.time() < deadline, "the worker did not run the task in 40 s"
            time.sleep(0.2)
        how = "no result backend in the env: the task's mark read"
    print("OK celery+kombu %s+%s enqueued by web, run by worker, %s" % (
        celery.__version__, __import__("kombu").__version__, how))


if __name__ == "__main__":
    if sys.argv[1] == "stub":
        stub(*sys.argv[2:5])
    else:
        send()
