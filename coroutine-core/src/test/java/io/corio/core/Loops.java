package io.corio.core;

import java.util.concurrent.atomic.AtomicBoolean;

/** Helpers that run test code on a context's loop, outside any coroutine. */
final class Loops {
    private Loops() {}

    /** A context driven by the test thread through poll(). */
    static AioContext embedded(Backend backend) {
        return AioContext.create("test-" + backend.id(), backend);
    }

    /** Runs {@code body} on the loop of an embedded context and polls until it and its work are done. */
    static void onLoop(AioContext ctx, Runnable body) {
        AtomicBoolean done = new AtomicBoolean();
        ctx.execute(() -> {
            body.run();
            done.set(true);
        });
        while (!done.get()) {
            ctx.poll(true);
        }
        while (ctx.poll(false)) {
            // run what the body left queued
        }
    }
}
