package io.corio.core;

import java.lang.reflect.Constructor;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A per-context scheduler for virtual threads: one carrier thread runs every virtual
 * thread of the context. The JDK has no public API for this; the package-private
 * constructor {@code java.lang.ThreadBuilders.VirtualThreadBuilder(Executor)} does it and
 * is reachable with {@code --add-opens java.base/java.lang=ALL-UNNAMED} (an internal API:
 * checked at run time, with a fallback when it is missing).
 */
final class PinnedScheduler {
    private static final Constructor<?> BUILDER;
    private static final String UNAVAILABLE;

    static {
        Constructor<?> k = null;
        String why = null;
        try {
            Class<?> c = Class.forName("java.lang.ThreadBuilders$VirtualThreadBuilder");
            k = c.getDeclaredConstructor(Executor.class);
            k.setAccessible(true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            k = null;
            why = e.toString();
        }
        BUILDER = k;
        UNAVAILABLE = why;
    }

    private PinnedScheduler() {}

    static String unavailableReason() {
        return UNAVAILABLE;
    }

    /** A builder of virtual threads that all run on one new carrier, or null if unavailable. */
    static Thread.Builder.OfVirtual builder(String contextName) {
        if (BUILDER == null) {
            return null;
        }
        // One carrier at a time; it exits after idling, so a closed context leaves no thread.
        ThreadPoolExecutor carrier = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(r, contextName + "-carrier");
                    t.setDaemon(true);
                    return t;
                });
        carrier.allowCoreThreadTimeOut(true);
        try {
            return (Thread.Builder.OfVirtual) BUILDER.newInstance((Executor) carrier);
        } catch (ReflectiveOperationException e) {
            return null;
        }
    }
}
