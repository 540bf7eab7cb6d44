package io.corio.core;

import static io.corio.core.CoTesting.await;
import static io.corio.core.CoTesting.enter;
import static io.corio.core.CoTesting.info;
import static io.corio.core.CoTesting.yieldToLoop;
import static io.corio.core.Loops.embedded;
import static io.corio.core.Loops.onLoop;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** CoRwLock: sharing, writer-fairness, upgrade and downgrade, misuse, and exclusion across contexts. */
class CoRwLockTest {

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aQueuedWriterBlocksLaterReaders(Backend backend) {
        Expect e = new Expect();
        try (AioContext ctx = embedded(backend)) {
            CoRwLock l = CoRwLock.create("l");
            onLoop(ctx, () -> {
                Coroutine r1 = enter("r1", () -> {
                    l.readLock();
                    e.expect(1);
                    Coroutine.yield();
                    e.expect(6);
                    l.unlock(); // r2 still reads: w keeps waiting
                });
                Coroutine r2 = enter("r2", () -> {
                    l.readLock(); // shared with r1
                    e.expect(2);
                    Coroutine.yield();
                    e.expect(8);
                    l.unlock(); // the last reader: to w, which runs after r2 ends
                });
                enter("w", () -> {
                    e.expect(3);
                    l.writeLock();
                    e.expect(9);
                    l.unlock(); // to r3 and r4 together
                    e.expect(10);
                });
                enter("r3", () -> {
                    e.expect(4);
                    l.readLock(); // behind the queued writer, although readers hold the lock
                    e.expect(11);
                    l.unlock();
                });
                enter("r4", () -> {
                    l.readLock();
                    e.expect(12);
                    l.unlock();
                });
                e.expect(5);
                assertEquals("CoRwLock[l, readers=2, waiters=3]", l.toString());
                r1.enter();
                e.expect(7);
                assertEquals("CoRwLock[l, readers=1, waiters=3]", l.toString());
                r2.enter();
                e.expect(13);
                assertEquals("CoRwLock[l, free, waiters=0]", l.toString());
            });
            e.finish(14);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aWriterWaitsForReadersAndReadersForTheWriter(Backend backend) {
        Expect e = new Expect();
        try (AioContext ctx = embedded(backend)) {
            CoRwLock l = CoRwLock.create("l");
            onLoop(ctx, () -> {
                Coroutine w = enter("w", () -> {
                    l.writeLock();
                    e.expect(1);
                    Coroutine.yield();
                    e.expect(4);
                    l.unlock();
                });
                enter("r", () -> {
                    e.expect(2);
                    l.readLock();
                    e.expect(5);
                    l.unlock();
                });
                e.expect(3);
                assertEquals("CoRwLock[l, writer=w, waiters=1]", l.toString());
                w.enter();
                e.expect(6);
            });
            e.finish(7);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void upgradeIsImmediateForTheSoleReaderWithNobodyQueued(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            CoRwLock l = CoRwLock.create("l");
            onLoop(ctx, () -> enter("r", () -> {
                l.readLock();
                l.upgrade();
                assertEquals("CoRwLock[l, writer=r, waiters=0]", l.toString());
                l.downgrade();
                assertEquals("CoRwLock[l, readers=1, waiters=0]", l.toString());
                l.unlock();
                assertEquals("CoRwLock[l, free, waiters=0]", l.toString());
            }));
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void upgradeWaitsForTheOtherReadersAndBlocksLaterOnes(Backend backend) {
        Expect e = new Expect();
        try (AioContext ctx = embedded(backend)) {
            CoRwLock l = CoRwLock.create("l");
            onLoop(ctx, () -> {
                Coroutine r2 = enter("r2", () -> {
                    l.readLock();
                    e.expect(1);
                    Coroutine.yield();
                    e.expect(5);
                    l.unlock(); // to r1 as the writer, which runs after r2 ends
                });
                enter("r1", () -> {
                    l.readLock();
                    e.expect(2);
                    l.upgrade(); // gives up its read lock and queues as a writer
                    e.expect(6);
                    assertEquals("CoRwLock[l, writer=r1, waiters=1]", l.toString());
                    l.unlock(); // to late
                });
                e.expect(3);
                assertEquals("CoRwLock[l, readers=1, waiters=1]", l.toString());
                enter("late", () -> {
                    e.expect(4);
                    l.readLock(); // behind the upgrading writer, although r2 only reads
                    e.expect(7);
                    l.unlock();
                });
                r2.enter();
                e.expect(8);
            });
            e.finish(9);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void upgradeQueuesBehindAWriterThatWasFirst(Backend backend) {
        Expect e = new Expect();
        try (AioContext ctx = embedded(backend)) {
            CoRwLock l = CoRwLock.create("l");
            onLoop(ctx, () -> {
                Coroutine r = enter("r", () -> {
                    l.readLock();
                    e.expect(1);
                    Coroutine.yield();
                    e.expect(4);
                    l.upgrade(); // the sole reader, but w is queued: w writes first
                    e.expect(7);
                    l.unlock();
                });
                enter("w", () -> {
                    e.expect(2);
                    l.writeLock();
                    e.expect(5); // right after r yielded in upgrade()
                    l.unlock(); // to r
                    e.expect(6);
                });
                e.expect(3);
                r.enter();
                e.expect(8);
                assertEquals("CoRwLock[l, free, waiters=0]", l.toString());
            });
            e.finish(9);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void downgradeWakesTheReadersUpToTheNextWriter(Backend backend) {
        Expect e = new Expect();
        try (AioContext ctx = embedded(backend)) {
            CoRwLock l = CoRwLock.create("l");
            onLoop(ctx, () -> {
                Coroutine w = enter("w", () -> {
                    l.writeLock();
                    e.expect(1);
                    Coroutine.yield();
                    e.expect(6);
                    l.downgrade(); // does not yield
                    e.expect(7);
                    assertEquals("CoRwLock[l, readers=3, waiters=2]", l.toString());
                    Coroutine.yield(); // r1 and r2 run now; w2 and r3 keep waiting
                    e.expect(11);
                    l.unlock(); // the last reader: to w2
                });
                Coroutine r1 = enter("r1", () -> {
                    l.readLock();
                    e.expect(8);
                    Coroutine.yield();
                    l.unlock();
                });
                Coroutine r2 = enter("r2", () -> {
                    l.readLock();
                    e.expect(9);
                    Coroutine.yield();
                    l.unlock();
                });
                enter("w2", () -> {
                    e.expect(2);
                    l.writeLock();
                    e.expect(12);
                    l.unlock(); // to r3
                });
                enter("r3", () -> {
                    e.expect(3);
                    l.readLock();
                    e.expect(13);
                    l.unlock();
                });
                e.expect(4);
                assertEquals("CoRwLock[l, writer=w, waiters=4]", l.toString());
                e.expect(5);
                w.enter();
                e.expect(10);
                r1.enter();
                r2.enter();
                w.enter();
                e.expect(14);
            });
            e.finish(15);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void misuseIsRefused(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            CoRwLock l = CoRwLock.create("l");
            onLoop(ctx, () -> {
                for (String call : List.of("readLock", "writeLock", "unlock", "upgrade", "downgrade")) {
                    String msg = assertThrows(IllegalStateException.class, () -> {
                        switch (call) {
                            case "readLock" -> l.readLock();
                            case "writeLock" -> l.writeLock();
                            case "unlock" -> l.unlock();
                            case "upgrade" -> l.upgrade();
                            default -> l.downgrade();
                        }
                    }).getMessage();
                    assertTrue(msg.contains("CoRwLock." + call + "() called outside a coroutine"), msg);
                }
                enter("stranger", () -> {
                    assertThrows(IllegalMonitorStateException.class, l::unlock);
                    assertThrows(IllegalMonitorStateException.class, l::upgrade);
                    assertThrows(IllegalMonitorStateException.class, l::downgrade);
                });
                enter("reader", () -> {
                    l.readLock();
                    assertTrue(assertThrows(IllegalStateException.class, l::readLock).getMessage()
                            .contains("not reentrant"));
                    assertThrows(IllegalStateException.class, l::writeLock);
                    assertThrows(IllegalMonitorStateException.class, l::downgrade);
                    l.unlock();
                    assertThrows(IllegalMonitorStateException.class, l::unlock);
                });
                enter("writer", () -> {
                    l.writeLock();
                    assertThrows(IllegalStateException.class, l::readLock);
                    assertThrows(IllegalStateException.class, l::writeLock);
                    assertThrows(IllegalMonitorStateException.class, l::upgrade);
                    l.unlock();
                });
                assertEquals("CoRwLock[l, free, waiters=0]", l.toString());
                IllegalStateException x = assertThrows(IllegalStateException.class,
                        () -> Coroutine.create("leaker", l::readLock).enter());
                assertTrue(x.getMessage().contains("'leaker' ended holding [CoRwLock[l"), x.getMessage());
            });
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void dumpShowsHoldersAndWaiters(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            CoRwLock l = CoRwLock.create("table");
            onLoop(ctx, () -> {
                Coroutine reader = enter("reader", () -> {
                    l.readLock();
                    Coroutine.yield();
                    l.unlock();
                });
                enter("writer", () -> {
                    l.writeLock();
                    l.unlock();
                });
                List<AioContext.CoroutineInfo> dump = ctx.dump();
                assertEquals(List.of("CoRwLock[table, readers=1, waiters=1]"), info(dump, "reader").holds());
                assertEquals("CoRwLock[table, readers=1, waiters=1]", info(dump, "writer").waitsFor());
                reader.enter();
                assertEquals(0, ctx.liveCount());
            });
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void readersAndWritersExcludeEachOtherAcrossContexts(Backend backend) throws Exception {
        final int contexts = 2;
        final int perContext = 20;
        final int rounds = 10;
        CoRwLock l = CoRwLock.create("shared");
        AtomicInteger readers = new AtomicInteger();
        AtomicInteger writers = new AtomicInteger();
        AtomicInteger violations = new AtomicInteger();
        int[] value = {0}; // guarded by l
        CountDownLatch done = new CountDownLatch(contexts * perContext);
        AioContext[] ctxs = new AioContext[contexts];
        try {
            for (int c = 0; c < contexts; c++) {
                ctxs[c] = AioContext.start("rw-" + c + "-" + backend.id(), backend);
            }
            for (int c = 0; c < contexts; c++) {
                for (int i = 0; i < perContext; i++) {
                    int kind = i % 4; // 0: writer, 1: upgrading reader, 2 and 3: readers
                    ctxs[c].spawn("rw-" + c + "-" + i, () -> {
                        for (int r = 0; r < rounds; r++) {
                            if (kind == 0) {
                                l.writeLock();
                                write(value, writers, readers, violations);
                                l.unlock();
                            } else if (kind == 1) {
                                l.readLock();
                                read(readers, writers, violations);
                                l.upgrade();
                                write(value, writers, readers, violations);
                                l.downgrade();
                                read(readers, writers, violations);
                                l.unlock();
                            } else {
                                l.readLock();
                                read(readers, writers, violations);
                                l.unlock();
                            }
                        }
                        done.countDown();
                    });
                }
            }
            await(done);
        } finally {
            for (AioContext c : ctxs) {
                if (c != null) {
                    c.close();
                }
            }
        }
        assertEquals(0, violations.get(), "a reader beside a writer, or two writers");
        assertEquals(contexts * (perContext / 4) * rounds * 2, value[0]);
        assertEquals("CoRwLock[shared, free, waiters=0]", l.toString());
    }

    private static void write(int[] value, AtomicInteger writers, AtomicInteger readers, AtomicInteger violations) {
        if (writers.incrementAndGet() != 1 || readers.get() != 0) {
            violations.incrementAndGet();
        }
        int v = value[0];
        yieldToLoop();
        value[0] = v + 1;
        writers.decrementAndGet();
    }

    private static void read(AtomicInteger readers, AtomicInteger writers, AtomicInteger violations) {
        readers.incrementAndGet();
        if (writers.get() != 0) {
            violations.incrementAndGet();
        }
        yieldToLoop();
        readers.decrementAndGet();
    }
}
