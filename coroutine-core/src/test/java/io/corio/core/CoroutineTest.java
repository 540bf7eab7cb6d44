package io.corio.core;

import static io.corio.core.Loops.embedded;
import static io.corio.core.Loops.onLoop;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The lifecycle cases of QEMU's tests/unit/test-coroutine.c, as our own tests, on every backend. */
class CoroutineTest {

    @ParameterizedTest
    @EnumSource(Backend.class)
    void lifecycleRunsToTheEndAndCarriersAreReused(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            assertEquals(backend, ctx.backend());
            AtomicInteger ran = new AtomicInteger();
            onLoop(ctx, () -> {
                for (int i = 0; i < 1000; i++) {
                    Coroutine co = Coroutine.create("life-" + i, ran::incrementAndGet);
                    assertEquals(Coroutine.State.CREATED, co.state());
                    co.enter();
                    assertEquals(Coroutine.State.DONE, co.state());
                }
                assertEquals(0, ctx.liveCount());
            });
            assertEquals(1000, ran.get());
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void yieldReturnsToTheCallerAndEnterResumes(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            onLoop(ctx, () -> {
                AtomicInteger i = new AtomicInteger();
                Coroutine co = Coroutine.create("yielder", () -> {
                    while (i.incrementAndGet() < 5) {
                        Coroutine.yield();
                    }
                });
                int enters = 0;
                while (co.state() != Coroutine.State.DONE) {
                    co.enter();
                    enters++;
                    assertEquals(enters, i.get(), "one step per enter");
                }
                assertEquals(5, enters);
            });
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void nestingUnwindsToEachCaller(Backend backend) {
        final int maxDepth = 128;
        try (AioContext ctx = embedded(backend)) {
            AtomicInteger entered = new AtomicInteger();
            AtomicInteger deepest = new AtomicInteger();
            class Nest {
                void run(int depth) {
                    entered.incrementAndGet();
                    deepest.accumulateAndGet(depth, Math::max);
                    if (depth < maxDepth) {
                        Coroutine child = Coroutine.create("nest-" + (depth + 1), () -> run(depth + 1));
                        child.enter();
                        assertEquals(Coroutine.State.DONE, child.state());
                    }
                }
            }
            onLoop(ctx, () -> Coroutine.create("nest-1", () -> new Nest().run(1)).enter());
            assertEquals(maxDepth, entered.get());
            assertEquals(maxDepth, deepest.get());
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void nestedYieldGoesBackToTheEnclosingCoroutine(Backend backend) {
        Expect e = new Expect();
        try (AioContext ctx = embedded(backend)) {
            onLoop(ctx, () -> {
                Coroutine inner = Coroutine.create("inner", () -> {
                    e.expect(2);
                    Coroutine.yield();
                    e.expect(5);
                });
                Coroutine outer = Coroutine.create("outer", () -> {
                    e.expect(1);
                    inner.enter();
                    e.expect(3);
                    Coroutine.yield();
                    e.expect(6);
                });
                outer.enter();
                e.expect(4);
                inner.enter();
                outer.enter();
            });
            e.finish(7);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void currentIsTheRunningCoroutine(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            AtomicReference<Coroutine> seen = new AtomicReference<>();
            AtomicReference<AioContext> seenCtx = new AtomicReference<>();
            AtomicReference<Coroutine> holder = new AtomicReference<>();
            onLoop(ctx, () -> {
                assertNull(Coroutine.current());
                Coroutine co = Coroutine.create("self", () -> {
                    seen.set(Coroutine.current());
                    seenCtx.set(AioContext.current());
                });
                holder.set(co);
                co.enter();
                assertNull(Coroutine.current());
            });
            assertSame(holder.get(), seen.get());
            assertSame(ctx, seenCtx.get());
            assertSame(ctx, holder.get().context());
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void enteredIsTrueFromEnterUntilYield(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            List<String> log = new ArrayList<>();
            onLoop(ctx, () -> {
                AtomicReference<Coroutine> outerRef = new AtomicReference<>();
                Coroutine inner = Coroutine.create("inner", () -> {
                    log.add("inner sees outer entered=" + outerRef.get().isEntered());
                    log.add("inner entered=" + Coroutine.current().isEntered());
                    Coroutine.yield();
                });
                Coroutine outer = Coroutine.create("outer", () -> {
                    inner.enter();
                    log.add("after inner yielded, inner entered=" + inner.isEntered());
                    Coroutine.yield();
                });
                outerRef.set(outer);
                assertFalse(outer.isEntered());
                outer.enter();
                log.add("outer entered after its yield=" + outer.isEntered());
            });
            assertEquals(List.of("inner sees outer entered=true", "inner entered=true",
                    "after inner yielded, inner entered=false", "outer entered after its yield=false"), log);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void inCoroutineTellsWhereCodeRuns(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            AtomicReference<Boolean> inside = new AtomicReference<>();
            onLoop(ctx, () -> {
                assertFalse(Coroutine.inCoroutine());
                Coroutine.create(() -> inside.set(Coroutine.inCoroutine())).enter();
                assertFalse(Coroutine.inCoroutine());
            });
            assertTrue(inside.get());
            assertFalse(Coroutine.inCoroutine());
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void orderOfEnterAndYield(Backend backend) {
        // test-coroutine.c's test_order: records around create, enter, yield and re-enter.
        Expect e = new Expect();
        try (AioContext ctx = embedded(backend)) {
            onLoop(ctx, () -> {
                e.expect(1);
                Coroutine co = Coroutine.create("order", () -> {
                    e.expect(3);
                    Coroutine.yield();
                    e.expect(5);
                });
                e.expect(2);
                co.enter();
                e.expect(4);
                co.enter();
                e.expect(6);
            });
            e.finish(7);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void exceptionsReachTheCallerOfEnter(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            onLoop(ctx, () -> {
                IllegalArgumentException boom = new IllegalArgumentException("boom");
                Coroutine co = Coroutine.create("thrower", () -> {
                    Coroutine.yield();
                    throw boom;
                });
                co.enter();
                assertSame(boom, assertThrows(IllegalArgumentException.class, co::enter));
                assertEquals(Coroutine.State.DONE, co.state());

                CoroutineException wrapped = assertThrows(CoroutineException.class,
                        () -> Coroutine.create("checked", () -> {
                            throw new IOException("disk on fire");
                        }).enter());
                assertTrue(wrapped.getCause() instanceof IOException);
                assertTrue(wrapped.getMessage().contains("checked"), wrapped.getMessage());

                assertThrows(StackOverflowError.class, () -> Coroutine.create("error", () -> {
                    throw new StackOverflowError("deliberate");
                }).enter());

                // through a nested enter: the outer coroutine sees the inner one's failure
                AtomicReference<Throwable> outerSaw = new AtomicReference<>();
                Coroutine.create("outer", () -> {
                    try {
                        Coroutine.create("inner", () -> {
                            throw new UnsupportedOperationException("inner");
                        }).enter();
                    } catch (UnsupportedOperationException x) {
                        outerSaw.set(x);
                    }
                }).enter();
                assertEquals("inner", outerSaw.get().getMessage());
            });
        }
    }
}
