"""Dramatiq on its Redis broker with the app's env (REDIS_URL).

  queue_dramatiq.py stub DIR MODULE   writes the module the worker command's
                                      `dramatiq MODULE` imports
  queue_dramatiq.py send              sends e2e_ping with this env and waits
                                      for the worker's mark
"""
import os
import sys
import time
import uuid

import dramatiq
from dramatiq.brokers.redis import RedisBroker

broker = RedisBroker(url=os.environ.get("DRAMATIQ_BROKER_URL") or os.environ["REDIS_URL"])
dramatiq.set_broker(broker)


@dramatiq.actor(queue_name="default")
def e2e_ping(mark):
    broker.client.set(mark, "ran", ex=120)


def stub(directory, module):
    path = directory
    parts = module.split(":")[0].split(".")
    for part in parts:
        path = os.path.join(path, part)
        os.makedirs(path, exist_ok=True)
        open(os.path.join(path, "__init__.py"), "a").close()
    with open(os.path.join(path, "__init__.py"), "w") as f:
        f.write("from queue_dramatiq import broker, e2e_ping  # noqa: F401\n")


if __name__ == "__main__":
    if sys.argv[1] == "stub":
        stub(sys.argv[2], sys.argv[3])
    else:
        mark = "e2e:dramatiq:%s" % uuid.uuid4().hex
        e2e_ping.send(mark)
        deadline = time.time() + 40
        while broker.client.get(mark) != b"ran":
            assert time.time() < deadline, "the worker did not run the message in 40 s"
            time.sleep(0.2)
        print("OK dramatiq %s sent by web, run by the worker's command" % dramatiq.__version__)
