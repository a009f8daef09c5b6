"""pymemcache: a key written and read at the host:port in env var argv[1]."""
import os
import sys
import uuid

import pymemcache
from pymemcache.client.base import Client

host, _, port = os.environ[sys.argv[1]].rpartition(":")
client = Client((host, int(port)), timeout=5, connect_timeout=5)
key, value = "e2e-%s" % uuid.uuid4().hex, uuid.uuid4().hex
client.set(key, value, expire=60)
assert client.get(key) == value.encode(), "read back a different value"
print("OK pymemcache %s set/get" % pymemcache.__version__)
