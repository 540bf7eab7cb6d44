package io.corio.core.io;

import io.corio.core.Backend;
import java.util.Locale;

/**
 * Where a server connection reads requests and writes replies. Which is faster depends on the
 * server and the backend, so each server picks its default from measurements
 * (docs/benchmarks.md), and a system property overrides it.
 * <ul>
 *   <li>{@link #LOOP}: in the connection's context, as QEMU does: a reader coroutine on the
 *       non-blocking socket ({@link LoopReader}), waiting in the loop's select when there is
 *       nothing to read, and replies written by the request coroutines themselves
 *       ({@link FrameWriter#inContext}). With the {@code continuation} backend a request at
 *       one in flight then costs one thread wake-up.
 *   <li>{@link #THREADS}: a reader and a writer virtual thread beside the context, on a
 *       blocking socket.
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
     * {@code otherwise}.
     *
     * @throws IllegalArgumentException if the property holds anything else
     */
    public static ConnectionIo choose(String property, ConnectionIo otherwise) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            return otherwise;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "loop" -> LOOP;
            case "threads" -> THREADS;
            default -> throw new IllegalArgumentException(property + "=" + v + ": expected loop or threads");
        };
    }
}
