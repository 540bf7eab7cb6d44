package io.corio.core;

import java.util.Locale;

/**
 * How the coroutines of an {@link AioContext} are carried. Every backend implements the
 * same contract (the tests run on all three); they differ in cost and in what they need
 * from the JVM.
 *
 * <ul>
 *   <li>{@link #VIRTUAL} (the default): each coroutine is a virtual thread on the JDK's
 *       scheduler and control passes between them by hand-off (unpark, then park).
 *       {@link Coroutine#blocking} runs the call in place on the coroutine's own thread.
 *   <li>{@link #VIRTUAL_PINNED}: as {@code VIRTUAL}, but every coroutine of a context runs
 *       on one carrier thread of its own, which makes hand-offs several times cheaper.
 *       Needs {@code --add-opens java.base/java.lang=ALL-UNNAMED}; without it the context
 *       falls back to {@code VIRTUAL} and logs one warning. {@code blocking} hops to a
 *       virtual thread of the default scheduler, so a blocking call never stalls the
 *       carrier.
 *   <li>{@link #CONTINUATION}: {@code jdk.internal.vm.Continuation} run/yield on the
 *       context's own thread, the closest the JVM gets to QEMU's stack switching. Needs
 *       {@code --add-exports java.base/jdk.internal.vm=ALL-UNNAMED}; without it creating
 *       such a context fails with an {@link IllegalStateException} naming the flag.
 *       {@code blocking} hops to a virtual thread and back.
 * </ul>
 *
 * <p>The default for contexts created without an explicit backend is read once from the
 * system property {@code corio.backend} ({@code virtual}, {@code virtual-pinned} or
 * {@code continuation}).
 */
public enum Backend {
    VIRTUAL("virtual"),
    VIRTUAL_PINNED("virtual-pinned"),
    CONTINUATION("continuation");

    /** The system property that chooses the default backend. */
    public static final String PROPERTY = "corio.backend";

    private final String id;

    Backend(String id) {
        this.id = id;
    }

    /** The name used on the command line and in {@value #PROPERTY}. */
    public String id() {
        return id;
    }

    /**
     * Parses a backend name as written in {@value #PROPERTY}.
     *
     * @throws IllegalArgumentException naming the value and the accepted names
     */
    public static Backend fromId(String id) {
        String wanted = id.trim().toLowerCase(Locale.ROOT);
        for (Backend b : values()) {
            if (b.id.equals(wanted)) {
                return b;
            }
        }
        throw new IllegalArgumentException(
                "unknown coroutine backend '" + id + "' (expected virtual, virtual-pinned or continuation)");
    }

    /**
     * Whether contexts on this backend run as asked in this JVM: {@code continuation} needs
     * {@code --add-exports java.base/jdk.internal.vm=ALL-UNNAMED}; the others always run
     * ({@code virtual-pinned} falls back to {@code virtual} by itself).
     */
    public boolean available() {
        return this != CONTINUATION || ContinuationSwitcher.available();
    }

    /** Whether {@value #PROPERTY} names a backend for this JVM. */
    public static boolean chosenByProperty() {
        String v = System.getProperty(PROPERTY);
        return v != null && !v.isBlank();
    }

    /** The backend named by {@value #PROPERTY}, or {@link #VIRTUAL} when it is not set. */
    public static Backend defaultBackend() {
        return Defaults.DEFAULT;
    }

    private static final class Defaults {
        static final Backend DEFAULT;

        static {
            String p = System.getProperty(PROPERTY);
            DEFAULT = p == null || p.isBlank() ? VIRTUAL : fromId(p);
        }
    }

    @Override
    public String toString() {
        return id;
    }
}
