package io.corio.core.io;

import io.corio.core.Backend;
import java.util.Locale;

/**
 * Where a server connection reads requests and writes replies, and the defaults both servers
 * (9P and NBD) choose by.
 * <ul>
 *   <li>{@link #LOOP}: in the connection's context, as QEMU does: a reader coroutine on the
 *       non-blocking socket ({@link LoopReader}), waiting in the loop's select when there is
 *       nothing to read, and replies written by the request coroutines themselves
 *       ({@link FrameWriter#inContext}). With the {@code continuation} backend a request at
 *       one in flight then costs one thread wake-up.
 *   <li>{@link #THREADS}: a reader and a writer virtual thread beside the context, on a
 *       blocking socket. The better choice on the {@code virtual} backends, whose loop waits
 *       through the JDK's poller either way.
 * </ul>
 */
public enum ConnectionIo {
    LOOP,
    THREADS;

    /**
     * The backend of servers' connection contexts when none is configured: the one named by
     * {@value Backend#PROPERTY} if set, else {@code continuation} where the JVM allows it
     * (measured fastest with {@link #LOOP}: docs/benchmarks.md), else the default.
     */
    public static Backend serverBackend() {
        if (Backend.chosenByProperty() || !Backend.CONTINUATION.available()) {
            return Backend.defaultBackend();
        }
        return Backend.CONTINUATION;
    }

    /**
     * The system property {@code property} ({@code loop} or {@code threads}) if set, else
     * {@link #LOOP} on the {@code continuation} backend and {@link #THREADS} on the others.
     *
     * @throws IllegalArgumentException if the property holds anything else
     */
    public static ConnectionIo choose(String property, Backend backend) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            return backend == Backend.CONTINUATION ? LOOP : THREADS;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "loop" -> LOOP;
            case "threads" -> THREADS;
            default -> throw new IllegalArgumentException(property + "=" + v + ": expected loop or threads");
        };
    }
}
