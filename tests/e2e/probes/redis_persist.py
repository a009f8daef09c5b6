"""redis-py: `write KEY` stores a value (no expiry) through the URL in env var
argv[1]; `read KEY` checks it is there (after the server restarted)."""
import os
import sys

import redis

var, mode, key = sys.argv[1:4]
client = redis.Redis.from_url(os.environ[var], socket_timeout=5)
if mode == "write":
    client.set(key, "kept")
    print("OK written")
else:
    got = client.get(key)
    assert got == b"kept", "after the restart %s is %r" % (key, got)
    print("OK redis-py %s: the key written before the restart was read after it" % redis.__version__)
