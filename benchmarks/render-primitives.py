#!/usr/bin/env python3
"""Renders the coroutine-primitive JMH results (JSON) into docs/benchmarks.md.

Writes everything between <!-- primitives:begin --> and <!-- primitives:end -->, leaving
the other sections alone. Each corio primitive is shown per backend beside its JDK
equivalent measured in the same run, with the ratio (corio / JDK: under 1 means corio is
faster). Loading, failure naming, formatting and splicing come from render-core.py.
"""
import argparse
import importlib.util
import os

_spec = importlib.util.spec_from_file_location(
    "render_core", os.path.join(os.path.dirname(os.path.abspath(__file__)), "render-core.py"))
core = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(core)

BEGIN, END = "<!-- primitives:begin -->", "<!-- primitives:end -->"
BACKENDS = core.BACKENDS

# (section title, description, rows); a row is (label, corio benchmark, JDK benchmark, JDK label)
SECTIONS = [
    ("CoMutex", "One op is one lock held. Uncontended: lock/unlock in one coroutine, against "
     "ReentrantLock in one virtual thread. Contended: N coroutines each lock, reschedule "
     "(`aio_co_schedule` self + yield, so the others queue) and unlock, in one context or split "
     "over two; against a fair ReentrantLock on N virtual threads doing lock; `Thread.yield()`; "
     "unlock (`MutexBench`, `JdkBench`).",
     [("uncontended", "MutexBench.uncontended", "JdkBench.lockUncontended", "ReentrantLock, 1 VT"),
      ("2 coroutines, one context", "MutexBench.contended2", "JdkBench.fairLock2", "fair ReentrantLock, 2 VTs"),
      ("16 coroutines, one context", "MutexBench.contended16", "JdkBench.fairLock16", "fair ReentrantLock, 16 VTs"),
      ("2 coroutines, two contexts", "MutexBench.acrossContexts2", "JdkBench.fairLock2", "fair ReentrantLock, 2 VTs"),
      ("16 coroutines, two contexts", "MutexBench.acrossContexts16", "JdkBench.fairLock16", "fair ReentrantLock, 16 VTs")]),
    ("CoQueue ping-pong", "Two coroutines of one context take turns under a CoMutex, waiting with "
     "`await(lock)` and waking the other with `next()`; one op is one turn. Against "
     "ReentrantLock + Condition (`await`/`signal`) on two virtual threads (`QueueBench`).",
     [("ping-pong", "QueueBench.pingPong", "JdkBench.conditionPingPong", "Lock+Condition, 2 VTs")]),
    ("CoRwLock read-mostly", "16 coroutines of one context take the lock, one time in ten for "
     "writing, reschedule while holding it and unlock; one op is one acquisition. Against "
     "ReentrantReadWriteLock on 16 virtual threads with `Thread.yield()` (`RwLockBench`).",
     [("16 coroutines, 1 write in 10", "RwLockBench.readMostly16", "JdkBench.rwReadMostly16", "ReentrantReadWriteLock, 16 VTs")]),
    ("Leaving the context: inWorker and blocking", "One coroutine calls a trivial function outside "
     "its context and comes back, 10,000 times in a row: `Coroutine.inWorker` on a 2-thread "
     "WorkerPool, `Coroutine.blocking`. Against a virtual thread submitting to a 2-thread fixed "
     "ExecutorService and waiting on the Future (`WorkerBench`).",
     [("inWorker", "WorkerBench.inWorker", "JdkBench.vtSubmitGet", "VT: executor submit+get"),
      ("blocking", "WorkerBench.blocking", "JdkBench.vtSubmitGet", "VT: executor submit+get")]),
]
POOL = ("WorkerPool submit to completion", "From the JMH (platform) thread: `pool.submit(call).join()` "
        "on a 2-thread WorkerPool against `executor.submit(call).get()` on a 2-thread fixed pool "
        "(`JdkBench`).", "JdkBench.workerPoolSubmitJoin", "JdkBench.executorSubmitGet")


def render(res, jmh, a):
    t = core.Tables(res)
    cores, jdk = core.machine(a.java)
    end_load = core.loadavg()
    L = [BEGIN, "## Coroutine primitives", "",
         f"- Command: `{a.command}` (JMH {jmh}: `{a.jmh_args.strip()}`; average time per op)"
         + (f", run at niceness {a.nice}" if a.nice != "0" else ""),
         f"- Date: {a.date}; load average (1, 5, 15 min) at start: {a.load}, at end: {end_load}",
         f"- JDK: {jdk}",
         f"- Machine: {cores}",
         "- The loops run inside the context (or inside virtual threads for the JDK side), many ops "
         "per invocation, so the JMH thread's hand-off to a virtual thread (27-56 µs) is paid once "
         "per invocation. JDK equivalents use virtual threads on the default scheduler. "
         "`÷ JDK` is corio's ns/op over the JDK's: under 1 means corio is faster.", ""]
    ratios = []
    for title, note, rows in SECTIONS:
        L += [f"### {title}", "", note, "",
              "| case | backend | ns/op | ± | best | JDK equivalent | JDK ns/op | JDK ± | JDK best | ÷ JDK | ÷ JDK, best |",
              "|---|---|--:|--:|--:|---|--:|--:|--:|--:|--:|"]
        for label, bench, jbench, jlabel in rows:
            j = t.r(jbench)
            for b in BACKENDS:
                me = t.r(bench, b)
                r = t.ratio(me, j)
                if r is not None:
                    ratios.append((label, b, r, t.ratio(me, j, True)))
                L.append(core.row(label, b, *t.cells(me), jlabel, *t.cells(j), core.x(r), core.x(t.ratio(me, j, True))))
        L.append("")
    title, note, pb, eb = POOL
    p, e = t.r(pb), t.r(eb)
    L += [f"### {title}", "", note, "", "| what | ns/op | ± | best |", "|---|--:|--:|--:|",
          core.row("WorkerPool submit+join", *t.cells(p)), core.row("ExecutorService submit+get", *t.cells(e)),
          "", f"WorkerPool ÷ ExecutorService: {core.x(t.ratio(p, e))} (best iterations: {core.x(t.ratio(p, e, True))}).", ""]
    L += reading(t, ratios, max(float(a.load.split()[0]), float(end_load.split()[0]))) + [END]
    return "\n".join(L) + "\n"


def reading(t, ratios, load):
    out = ["### Reading", ""]
    # classified on best iterations: the JDK side's means carry its slow first iterations
    faster = [f"{l} on {b} ({rb:.2f}x)" for l, b, _, rb in ratios if rb is not None and rb < 0.9]
    slower = [f"{l} on {b} ({rb:.2f}x)" for l, b, _, rb in ratios if rb is not None and rb > 1.1]
    even = [f"{l} on {b} ({rb:.2f}x)" for l, b, _, rb in ratios if rb is not None and 0.9 <= rb <= 1.1]
    if faster:
        out.append("- **Faster than the JDK equivalent (best-iteration ratio under 0.9):** " + "; ".join(faster) + ".")
    if even:
        out.append("- **On a par (0.9-1.1):** " + "; ".join(even) + ".")
    if slower:
        out.append("- **Slower than the JDK equivalent (best-iteration ratio over 1.1):** " + "; ".join(slower) + ".")
    inw = [(b, t.ratio(t.r("WorkerBench.inWorker", b), t.r("WorkerBench.blocking", b), True)) for b in BACKENDS]
    inw = [f"{b} {r:.1f}x" for b, r in inw if r is not None]
    if inw:
        out.append("- **inWorker ÷ blocking** (best): " + ", ".join(inw) + ". `blocking` hops to a virtual "
                   "thread (or stays on the coroutine's own, on `virtual`); `inWorker` queues a job for a "
                   "platform thread of the pool, which must be woken, and the coroutine is woken back through "
                   "its context when the job completes.")
    out.append("- The shapes are not identical: a corio coroutine that reschedules itself goes through its "
               "loop (a queued task that wakes it), where `Thread.yield()` on a virtual thread resubmits it "
               "to the scheduler; a contended CoMutex hands the lock to the oldest waiter as a fair "
               "ReentrantLock does. Within one context the coroutines never run in parallel, so the "
               "contended cases measure hand-off cost, not parallel throughput.")
    noisy = [(f"{n}{' ' + b if b else ''}", r.err / r.mean) for (n, b), r in sorted(t.res.items(), key=str)
             if r.err is not None and r.mean and r.err / r.mean > core.NOISY]
    busy = load > (os.cpu_count() or 1) / 2
    failed = [f"{n}{' ' + b if b else ''} ({r.failure})" for (n, b), r in sorted(t.res.items(), key=str)
              if r.mean is None and r.failure not in (None, "not run")]
    if failed:
        out.append("- **Failed:** " + "; ".join(failed) + ".")
    if noisy or busy:
        worst = max(noisy, key=lambda ne: ne[1]) if noisy else None
        out.append("- **Noisy:** " + (f"error above {core.NOISY:.0%} of the score on {len(noisy)} of "
                                      f"{sum(1 for r in t.res.values() if r.mean)} results (worst: {worst[0]} "
                                      f"±{100 * worst[1]:.0f}%). " if noisy else "")
                   + f"The machine has {os.cpu_count()} cores"
                   + (f" and its load average reached {load:.1f} during the run: other work was running, "
                      "which hurts the cross-thread hand-offs most" if busy else "")
                   + ". This is a short run (3 one-second iterations, one fork): JMH's 99.9% half-width over 3 "
                   "samples multiplies their spread by Student's t of about 31.6, so the `±` column is wide "
                   "even where the iterations agree, and one slow iteration dominates a mean; the best-iteration columns "
                   "are the steadier figures. Rerun with `--full` on a quiet machine before reading small "
                   "differences.")
    return out + [""]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", required=True, help="JMH result file (-rf json)")
    p.add_argument("--console", help="JMH console log, to name the failures")
    p.add_argument("--doc", required=True, help="the Markdown file to update")
    p.add_argument("--command", default="./corio bench primitives")
    p.add_argument("--jmh-args", default="")
    p.add_argument("--date", default="")
    p.add_argument("--load", default=core.loadavg(), help="load average when the run started")
    p.add_argument("--nice", default="0", help="niceness the run had")
    p.add_argument("--java", default="java")
    a = p.parse_args()
    res, jmh = core.load(a.json, a.console)
    text = core.splice(a.doc, render(res, jmh, a), BEGIN, END)
    os.makedirs(os.path.dirname(os.path.abspath(a.doc)), exist_ok=True)
    with open(a.doc, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
