package io.corio.core;

import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Makes the switcher for a backend, with the fallbacks described in {@link Backend}. */
final class Switchers {
    private static final Logger log = LoggerFactory.getLogger(Switchers.class);
    private static final AtomicBoolean warnedPinned = new AtomicBoolean();

    private Switchers() {}

    static Switcher create(AioContext ctx, Backend backend) {
        return switch (backend) {
            case VIRTUAL -> new VirtualSwitcher(ctx, Backend.VIRTUAL, Thread.ofVirtual(), true);
            case VIRTUAL_PINNED -> {
                Thread.Builder.OfVirtual pinned = PinnedScheduler.builder(ctx.name());
                if (pinned == null) {
                    if (warnedPinned.compareAndSet(false, true)) {
                        log.warn("backend virtual-pinned needs --add-opens java.base/java.lang=ALL-UNNAMED ({}); "
                                + "falling back to virtual", PinnedScheduler.unavailableReason());
                    }
                    yield new VirtualSwitcher(ctx, Backend.VIRTUAL, Thread.ofVirtual(), true);
                }
                yield new VirtualSwitcher(ctx, Backend.VIRTUAL_PINNED, pinned, false);
            }
            case CONTINUATION -> new ContinuationSwitcher(ctx);
        };
    }

    /**
     * Runs a blocking call on a new virtual thread of the default scheduler; when it is
     * done, the result is left in {@code co} and the context is asked to re-enter it.
     */
    static void hop(Coroutine co, CoroutineFunction<?, ?> call) {
        Thread.ofVirtual().start(() -> {
            try {
                co.blockingResult = call.call();
            } catch (Throwable t) {
                co.blockingFailure = t;
            }
            co.blockingDone();
        });
    }

    /** Takes the outcome {@link #hop} left in {@code co}; runs in {@code co} after re-entry. */
    @SuppressWarnings("unchecked")
    static <T, X extends Exception> T takeBlockingResult(Coroutine co) throws X {
        Throwable f = co.blockingFailure;
        Object r = co.blockingResult;
        co.blockingFailure = null;
        co.blockingResult = null;
        if (f != null) {
            throw Coroutine.<X>sneakyThrow(f);
        }
        return (T) r;
    }

    /** Internal frames that say nothing about what a coroutine is doing. */
    static StackTraceElement[] trim(StackTraceElement[] stack) {
        int from = 0;
        while (from < stack.length && isPlumbing(stack[from])) {
            from++;
        }
        int to = stack.length;
        while (to > from && isPlumbing(stack[to - 1])) {
            to--;
        }
        return java.util.Arrays.copyOfRange(stack, from, to);
    }

    private static boolean isPlumbing(StackTraceElement e) {
        String c = e.getClassName();
        return c.startsWith("java.lang.VirtualThread") || c.startsWith("jdk.internal.")
                || c.equals("java.lang.Thread") || c.startsWith("java.util.concurrent.locks.LockSupport")
                || c.equals("io.corio.core.Baton") || c.startsWith("io.corio.core.VirtualSwitcher")
                || c.startsWith("io.corio.core.ContinuationSwitcher") || c.startsWith("java.lang.Continuation");
    }
}
