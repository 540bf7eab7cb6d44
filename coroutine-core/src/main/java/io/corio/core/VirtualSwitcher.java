package io.corio.core;

import java.util.ArrayDeque;

/**
 * The {@code virtual} and {@code virtual-pinned} backends: each coroutine runs on a pooled
 * virtual thread, and the turn passes by hand-off: the giver signals the taker's
 * {@link Baton} and waits on its own.
 */
final class VirtualSwitcher implements Switcher {

    /*
     * Implementation notes.
     *
     * A Worker is a virtual thread that runs one coroutine at a time and goes back to the
     * idle pool (at most MAX_IDLE kept) when the coroutine ends, so creating a coroutine
     * does not start a thread. The pool, Worker.job and the Coroutine fields used here
     * are touched only by the holder of the turn; the Baton's volatile flag carries the
     * happens-before edge from one holder to the next.
     *
     * enter:    caller sets co.callerBaton, signals co's worker, awaits its own baton.
     * yield:    worker signals co.callerBaton, awaits its own baton.
     * blocking: as yield, but in place (VIRTUAL) the worker runs the call first and then
     *           takes the loop's turn itself if the loop is idle (AioContext.borrowTurn),
     *           else asks the loop to re-enter it; pinned, the call hops to a
     *           default-scheduler virtual thread so it can never stall the context's only
     *           carrier.
     *           A coroutine the loop entered from a wake task keeps the turn through the
     *           call when the loop has nothing else to do (AioContext.keepTurnInCall): no
     *           hand-off unless work arrives meanwhile and its submitter reclaims the turn.
     * borrowed: a coroutine that took the turn itself has no callerBaton; its next yield,
     *           blocking call or end gives the turn back to the loop (handBack).
     */

    private static final int MAX_IDLE = 256;

    private final AioContext ctx;
    private final Backend backend;
    private final Thread.Builder.OfVirtual builder; // turn holder only (builders are not thread-safe)
    private final boolean blockingInPlace;
    private final ArrayDeque<Worker> idle = new ArrayDeque<>(); // turn holder only
    private boolean closed; // turn holder only
    private long workers; // turn holder only: for thread names

    VirtualSwitcher(AioContext ctx, Backend backend, Thread.Builder.OfVirtual builder, boolean blockingInPlace) {
        this.ctx = ctx;
        this.backend = backend;
        this.builder = builder;
        this.blockingInPlace = blockingInPlace;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public Thread.Builder loopThreadBuilder() {
        return builder;
    }

    private final class Worker implements Runnable {
        final Thread thread;
        final Baton baton;
        Coroutine job; // turn holder only

        Worker() {
            thread = builder.name(ctx.name() + "/co-" + (++workers)).unstarted(this);
            baton = new Baton(thread);
        }

        @Override
        public void run() {
            Baton.bind(baton);
            while (true) {
                baton.await();
                Coroutine co = job;
                if (co == null) {
                    return; // retired
                }
                Coroutine.CURRENT.set(co);
                co.runBody();
                Coroutine.CURRENT.set(null);
                job = null;
                co.carrier = null;
                Baton back = co.callerBaton;
                co.callerBaton = null;
                boolean keep = !closed && idle.size() < MAX_IDLE;
                if (keep) {
                    idle.push(this);
                }
                handBack(co, back);
                if (!keep) {
                    return;
                }
            }
        }
    }

    @Override
    public void enter(Coroutine co) {
        Baton me = Baton.current();
        co.callerBaton = me;
        Worker w = (Worker) co.carrier;
        if (w == null) {
            w = idle.poll();
            if (w == null) {
                w = new Worker();
                w.job = co;
                co.carrier = w;
                w.baton.preset();
                w.thread.start();
                me.await();
                return;
            }
            w.job = co;
            co.carrier = w;
        }
        w.baton.signal();
        me.await();
    }

    /** Gives the turn back: to whoever entered {@code co}, or to the loop if it was borrowed. */
    private static void handBack(Coroutine co, Baton back) {
        if (back != null) {
            back.signal();
        } else {
            co.returnBorrowedTurn();
        }
    }

    @Override
    public void suspend(Coroutine co) {
        Worker w = (Worker) co.carrier;
        Baton back = co.callerBaton;
        co.callerBaton = null;
        handBack(co, back);
        w.baton.await();
    }

    @Override
    public <T, X extends Exception> T blocking(Coroutine co, CoroutineFunction<T, X> call) throws X {
        Worker w = (Worker) co.carrier;
        boolean kept = blockingInPlace && co.plainEntry && co.callerBaton != null && ctx.keepTurnInCall(co);
        if (!kept) {
            Baton back = co.callerBaton;
            co.callerBaton = null;
            handBack(co, back);
        }
        if (!blockingInPlace) {
            Switchers.hop(co, call);
            w.baton.await();
            return Switchers.takeBlockingResult(co);
        }
        T result = null;
        Throwable failure = null;
        Coroutine.CURRENT.set(null);
        try {
            result = call.call();
        } catch (Throwable t) {
            failure = t;
        }
        Coroutine.CURRENT.set(co);
        if (!(kept && co.resumeKept()) && !co.resumeBorrowing()) {
            co.blockingDone();
            w.baton.await();
        }
        if (failure != null) {
            throw Coroutine.<X>sneakyThrow(failure);
        }
        return result;
    }

    @Override
    public StackTraceElement[] stack(Coroutine co) {
        Worker w = (Worker) co.carrier;
        return w == null ? new StackTraceElement[0] : Switchers.trim(w.thread.getStackTrace());
    }

    @Override
    public void close() {
        closed = true;
        Worker w;
        while ((w = idle.poll()) != null) {
            w.job = null;
            w.baton.signal();
        }
    }
}
