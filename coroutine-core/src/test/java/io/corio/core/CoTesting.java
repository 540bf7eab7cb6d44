package io.corio.core;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Helpers for the primitive tests: coroutines that let others run, and bounded waits. */
final class CoTesting {
    /** How long a test waits for work on started contexts before it calls it a hang. */
    static final long HANG_SECONDS = 30;

    private CoTesting() {}

    /**
     * Lets the other ready work of the caller's context run, then continues (QEMU's
     * {@code aio_co_schedule(ctx, self); qemu_coroutine_yield()}): the wake-up is queued
     * behind whatever the context already has to do.
     */
    static void yieldToLoop() {
        Coroutine co = Coroutine.current();
        long wait = co.beginWait();
        co.context().execute(() -> co.wakeWait(wait));
        try {
            Coroutine.yield();
        } finally {
            co.endWait();
        }
    }

    /** Makes a coroutine and enters it now; returns it once it yielded or ended. */
    static Coroutine enter(String name, CoroutineEntry body) {
        Coroutine co = Coroutine.create(name, body);
        co.enter();
        return co;
    }

    /** Waits until the context has run everything submitted to it before this call. */
    static void drain(AioContext ctx) {
        ctx.call(() -> null);
    }

    static void await(CountDownLatch latch) throws InterruptedException {
        assertTrue(latch.await(HANG_SECONDS, TimeUnit.SECONDS), "timed out: " + latch.getCount() + " left");
    }

    /** The dump entry of the live coroutine called {@code name}. */
    static AioContext.CoroutineInfo info(List<AioContext.CoroutineInfo> dump, String name) {
        for (AioContext.CoroutineInfo i : dump) {
            if (i.name().equals(name)) {
                return i;
            }
        }
        return fail("no live coroutine '" + name + "' in " + dump);
    }
}
