"""Django's cache and database settings built from the service's env the way
a settings module reads it (REDIS_URL -> RedisCache, MEMCACHED_LOCATION ->
PyMemcacheCache, neither -> DatabaseCache; CACHE_KEY_PREFIX -> KEY_PREFIX;
DB_* -> DATABASES), then a cache round trip and `SELECT 1` as the app's role.
argv[1] is the role."""
import os
import sys
import uuid

import django
from django.conf import settings

env = os.environ
role = sys.argv[1]
if env.get("REDIS_URL"):
    cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env["REDIS_URL"]}
    what = "RedisCache REDIS_URL"
elif env.get("MEMCACHED_LOCATION"):
    cache = {"BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache", "LOCATION": env["MEMCACHED_LOCATION"]}
    what = "PyMemcacheCache MEMCACHED_LOCATION"
else:
    cache = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache"}
    what = "DatabaseCache"
if env.get("CACHE_KEY_PREFIX"):
    cache["KEY_PREFIX"] = env["CACHE_KEY_PREFIX"]
settings.configure(
    CACHES={"default": cache},
    DATABASES={
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": env["DB_HOST"],
            "PORT": env.get("DB_PORT", ""),  # empty: libpq's default (PGPORT, else 5432)
            "NAME": env["DB_NAME"],
            "USER": env["DB_USER"],
            "PASSWORD": env["DB_PASSWORD"],
        }
    },
    INSTALLED_APPS=[],
    USE_TZ=True,
)
django.setup()
from django.core.cache import cache as c  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

with connection.cursor() as cur:
    cur.execute("SELECT current_user, 1")
    user, one = cur.fetchone()
assert (user, one) == (role, 1), "connected as %r (SELECT 1 gave %r), not %r" % (user, one, role)
if cache["BACKEND"].endswith("DatabaseCache"):
    call_command("createcachetable", verbosity=0)  # the deploy's migrate step
key, value = "e2e-%s" % uuid.uuid4().hex, uuid.uuid4().hex
c.set(key, value, 60)
assert c.get(key) == value, "cache read back %r" % c.get(key)
print("OK django %s %s set/get and SELECT 1 as %s" % (django.__version__, what, role))
