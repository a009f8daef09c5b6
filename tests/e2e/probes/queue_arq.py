"""arq with the app's env (REDIS_URL, through RedisSettings.from_dsn).

  queue_arq.py stub DIR MODULE.CLASS   writes the WorkerSettings the worker
                                       command's `arq MODULE.CLASS` imports
  queue_arq.py send                    enqueues e2e_ping with this env and
                                       waits for the worker's mark
"""
import asyncio
import os
import sys
import time
import uuid

import arq
from arq.connections import RedisSettings, create_pool


def settings():
    return RedisSettings.from_dsn(os.environ["REDIS_URL"])


async def e2e_ping(ctx, mark):
    await ctx["redis"].set(mark, "ran", ex=120)


def stub(directory, dotted):
    module, _, cls = dotted.rpartition(".")
    path = directory
    for part in module.split("."):
        path = os.path.join(path, part)
        os.makedirs(path, exist_ok=True)
        open(os.path.join(path, "__init__.py"), "a").close()
    with open(os.path.join(path, "__init__.py"), "w") as f:
        f.write("from queue_arq import e2e_ping, settings\n\n\nclass %s:\n"
                "    functions = [e2e_ping]\n    redis_settings = settings()\n" % cls)


async def send():
    pool = await create_pool(settings())
    mark = "e2e:arq:%s" % uuid.uuid4().hex
    await pool.enqueue_job("e2e_ping", mark)
    deadline = time.time() + 40
    while await pool.get(mark) != b"ran":
        assert time.time() < deadline, "the worker did not run the job in 40 s"
        await asyncio.sleep(0.2)
    await pool.aclose()
    print("OK arq %s enqueued by web, run by the worker's command" % arq.VERSION)


if __name__ == "__main__":
    if sys.argv[1] == "stub":
        stub(sys.argv[2], sys.argv[3])
    else:
        asyncio.run(send())
