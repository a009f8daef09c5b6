"""redis-py: a key written and read through the URL in env var argv[1]."""
import os
import sys
import uuid

import redis

url = os.environ[sys.argv[1]]
client = redis.Redis.from_url(url, socket_timeout=5)
key, value = "e2e:%s" % uuid.uuid4().hex, uuid.uuid4().hex
client.set(key, value, ex=60)
assert client.get(key) == value.encode(), "read back a different value"
print("OK redis-py %s set/get" % redis.__version__)
