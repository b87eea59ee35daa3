"""``opco-watch worker``: the scheduled jobs on a shared queue, for several machines.

``opco-watch run`` keeps its schedule in one process (APScheduler, in memory). With a
PostgreSQL store, any number of ``opco-watch worker`` processes, on any machines, share the
same jobs instead, through procrastinate (a task queue kept in the same PostgreSQL database:
no other service to run):

    queue.py     the procrastinate app: the jobs (poll one source, send, digest, reminders),
                 the periodic tick that defers the due ones, the recovery of a dead worker's
                 jobs; the queue's own tables
    run.py       starting a worker from the config (``opco-watch worker``)

Why procrastinate: APScheduler 3's job stores cannot be shared by several schedulers (each
would run every job); APScheduler 4, which can, is a pre-release; Redis-based queues need a
Redis server. procrastinate keeps its jobs in PostgreSQL tables: a job is fetched by one worker
(``FOR UPDATE SKIP LOCKED``), a periodic job is deferred once per tick whichever worker sees
the tick first (a unique row per timestamp), a "queueing lock" keeps one waiting job per
source, and workers send heartbeats so that a dead worker's jobs are found and run again.
"""
