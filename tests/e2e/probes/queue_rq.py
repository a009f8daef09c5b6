"""RQ with the app's env (REDIS_URL).

  queue_rq.py send QUEUE      enqueues queue_rq.ping(41) on QUEUE; prints the job id
  queue_rq.py check JOB_ID    the job ran (by the worker's own command) and returned 42
"""
import os
import sys

import redis
import rq


def ping(x):
    return x + 1


def connection():
    return redis.Redis.from_url(os.environ["REDIS_URL"])


if __name__ == "__main__":
    if sys.argv[1] == "send":
        job = rq.Queue(sys.argv[2], connection=connection()).enqueue("queue_rq.ping", 41)
        print(job.id)
    else:
        job = rq.job.Job.fetch(sys.argv[2], connection=connection())
        status = job.get_status()
        assert job.return_value() == 42, "job %s is %s, result %r" % (job.id, status, job.return_value())
        print("OK rq %s enqueued by web, run by the worker's command, result read" % rq.__version__)
