package io.corio.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The file-descriptor side of an {@link AioContext}'s loop (QEMU's {@code aio_set_fd_handler}
 * and {@code qio_channel_yield}): coroutines of the context wait here for a non-blocking
 * channel to become readable or writable, and the loop waits for those channels, for its
 * timers and for submitted work in one {@link Selector#select}, instead of parking.
 *
 * <p>The selector is opened by the first wait, so a context that never waits for a channel
 * never has one. From then on the loop sleeps in {@code select}; submitters wake it with
 * {@link Selector#wakeup()} as well as the usual unpark (whichever way it is waiting).
 *
 * <p>Turn-holder-only state, except {@link #selector}, which submitters read to wake the loop
 * (under this object's lock, which {@link #close()} holds too).
 */
final class IoWaits {

    /*
     * Implementation notes. Each registered channel's key carries a Waiters: at most one
     * coroutine waiting to read and one waiting to write, each with its numbered wait
     * (Coroutine.beginWait), so a readiness that arrives after the coroutine was resumed
     * some other way is dropped (wakeWait checks the number). Interest follows the waiters:
     * set when a coroutine starts waiting, cleared when its readiness is dispatched or the
     * wait ends otherwise, so a level-triggered readiness nobody waits for cannot spin the
     * loop. The JDK applies interest changes at the next select, so clearing and setting
     * the same interest between two selects (the usual read, EAGAIN, wait again) costs no
     * system call.
     */

    private static final class Waiters {
        Coroutine reader, writer;
        long readWait, writeWait;
    }

    private final AioContext ctx;
    private volatile Selector selector; // opened by the first wait, in the turn
    private int waiting; // coroutines waiting now
    private final List<SelectionKey> watched = new ArrayList<>(); // keys with a waiter
    private final List<Coroutine> wakeCos = new ArrayList<>(); // dispatch's scratch
    private final List<Long> wakeNums = new ArrayList<>();

    IoWaits(AioContext ctx) {
        this.ctx = ctx;
    }

    /** Whether the loop should wait in {@link #select}: some coroutine waits for a channel. */
    boolean active() {
        return selector != null;
    }

    /** Whether a coroutine waits for a channel now (the loop then polls between batches). */
    boolean anyWaiting() {
        return waiting > 0;
    }

    /** Wakes a loop waiting in select (the caller also unparks it). Any thread. */
    void wakeup() {
        if (selector != null) {
            synchronized (this) { // not while close() runs: a closed selector's wakeup throws InternalError
                Selector s = selector;
                if (s != null) {
                    s.wakeup();
                }
            }
        }
    }

    /**
     * Suspends {@code co} (current, in the turn) until {@code ch} is ready for {@code op}
     * ({@link SelectionKey#OP_READ} or {@link SelectionKey#OP_WRITE}) or {@code co} is
     * woken otherwise.
     */
    void await(Coroutine co, SelectableChannel ch, int op) throws IOException {
        if (op != SelectionKey.OP_READ && op != SelectionKey.OP_WRITE) {
            throw new IllegalArgumentException("wait for OP_READ or OP_WRITE, not " + op);
        }
        if (ch.isBlocking()) {
            throw new IllegalArgumentException(ch + " is in blocking mode; configureBlocking(false) first");
        }
        Selector s = selector;
        if (s == null) {
            s = Selector.open();
            selector = s;
        }
        SelectionKey k = ch.keyFor(s);
        Waiters w;
        if (k == null || !k.isValid()) {
            if (k != null) {
                s.selectNow(); // a cancelled key leaves the selector only at its next select
            }
            w = new Waiters();
            k = ch.register(s, 0, w); // ClosedChannelException if closed: the caller's to see
        } else {
            w = (Waiters) k.attachment();
        }
        long wait = co.beginWait();
        if (op == SelectionKey.OP_READ) {
            if (w.reader != null) {
                co.endWait();
                throw new IllegalStateException(w.reader + " already waits to read " + ch);
            }
            w.reader = co;
            w.readWait = wait;
        } else {
            if (w.writer != null) {
                co.endWait();
                throw new IllegalStateException(w.writer + " already waits to write " + ch);
            }
            w.writer = co;
            w.writeWait = wait;
        }
        if (w.reader == null || w.writer == null) {
            watched.add(k); // its first waiter
        }
        waiting++;
        k.interestOps(k.interestOps() | op);
        if (ctx.turnLent()) {
            s.wakeup(); // a borrowed turn: the loop may be in select, blind to the new interest
        }
        try {
            co.yieldNow();
        } finally {
            co.endWait();
            if (op == SelectionKey.OP_READ ? w.reader == co : w.writer == co) {
                forget(k, w, op); // woken some other way: stop waiting for the channel
            }
        }
        if (!ch.isOpen()) {
            throw new ClosedChannelException();
        }
    }

    private void forget(SelectionKey k, Waiters w, int op) {
        if (op == SelectionKey.OP_READ) {
            w.reader = null;
        } else {
            w.writer = null;
        }
        waiting--;
        if (w.reader == null && w.writer == null) {
            watched.remove(k);
        }
        if (k.isValid()) {
            k.interestOps(k.interestOps() & ~op);
        }
    }

    /**
     * On the loop, with the turn free: waits up to {@code nanos} (negative: no limit, 0: not
     * at all) for a channel to be ready or a {@link #wakeup()}. The selector counts time in
     * milliseconds: a wait that ends short of a sub-millisecond remainder parks for the rest
     * (ended by a submitter's unpark too). {@link #dispatch()} then wakes the waiters.
     */
    void waitReady(long nanos) {
        Selector s = selector;
        if (nanos != 0 && closedWhileWatched()) {
            nanos = 0; // a channel closed before this select: no readiness will ever say so
        }
        try {
            if (nanos == 0) {
                s.selectNow();
            } else if (nanos < 0) {
                s.select();
            } else {
                long end = System.nanoTime() + nanos;
                long millis = TimeUnit.NANOSECONDS.toMillis(nanos);
                int n = millis > 0 ? s.select(millis) : s.selectNow();
                long left = end - System.nanoTime();
                if (n == 0 && left > 0 && left < 1_000_000) {
                    LockSupport.parkNanos(this, left);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(ctx + ": select failed", e);
        }
    }

    /**
     * On the loop, in the turn, after {@link #waitReady}: wakes each coroutine whose channel
     * is ready (entered at once, as any wake from the loop), and those whose channel was
     * closed (its key cancelled: they see {@link ClosedChannelException}). Returns whether it
     * woke any.
     */
    boolean dispatch() {
        Selector s = selector;
        Set<SelectionKey> ready = s.selectedKeys();
        List<Coroutine> cos = wakeCos;
        for (SelectionKey k : ready) {
            Waiters w = (Waiters) k.attachment();
            int ops = k.isValid() ? k.readyOps() : SelectionKey.OP_READ | SelectionKey.OP_WRITE;
            int taken = take(k, w, ops);
            if (k.isValid() && taken == 0) {
                k.interestOps(k.interestOps() & ~ops); // ready, but nobody waits any more
            }
        }
        ready.clear();
        if (waiting > 0) {
            for (int i = 0; i < watched.size(); i++) { // closed channels: their keys are cancelled
                SelectionKey k = watched.get(i);
                if (!k.isValid()) {
                    take(k, (Waiters) k.attachment(), SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                }
            }
        }
        boolean any = !cos.isEmpty();
        for (int i = 0; i < cos.size(); i++) {
            cos.get(i).wakeWait(wakeNums.get(i));
        }
        cos.clear();
        wakeNums.clear();
        return any;
    }

    private boolean closedWhileWatched() {
        for (int i = 0; i < watched.size(); i++) {
            if (!watched.get(i).isValid()) {
                return true;
            }
        }
        return false;
    }

    /** Moves the waiters of {@code ops} on key {@code k} to the wake lists; how many. */
    private int take(SelectionKey k, Waiters w, int ops) {
        int n = 0;
        if ((ops & (SelectionKey.OP_READ | SelectionKey.OP_ACCEPT)) != 0 && w.reader != null) {
            wakeCos.add(w.reader);
            wakeNums.add(w.readWait);
            forget(k, w, SelectionKey.OP_READ);
            n++;
        }
        if ((ops & (SelectionKey.OP_WRITE | SelectionKey.OP_CONNECT)) != 0 && w.writer != null) {
            wakeCos.add(w.writer);
            wakeNums.add(w.writeWait);
            forget(k, w, SelectionKey.OP_WRITE);
            n++;
        }
        return n;
    }

    /** Closes the selector when the loop ends; coroutines still waiting stay suspended. */
    void close() {
        synchronized (this) {
            Selector s = selector;
            selector = null;
            if (s != null) {
                try {
                    s.close();
                } catch (IOException e) {
                    // nothing to do: the loop is ending
                }
            }
        }
    }
}
