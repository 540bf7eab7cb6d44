package io.corio.blockio.qcow2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.blockio.BlockError;
import io.corio.blockio.BlockException;
import io.corio.core.AioContext;
import io.corio.core.Coroutine;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link L2Cache}: one load per miss however many coroutines miss together; the LRU bound. */
@Timeout(30)
class Qcow2L2CacheTest {
    final AioContext a = AioContext.start("cache-a");
    final AioContext b = AioContext.start("cache-b");
    final AtomicInteger loads = new AtomicInteger();

    @AfterEach
    void stop() {
        a.close();
        b.close();
    }

    /** Leaves the context for 100 ms, as a slow read would. */
    static void pause() {
        try {
            Coroutine.blocking(() -> {
                Thread.sleep(100);
                return null;
            });
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Runs {@code get(offset)} in {@code n} coroutines spread over both contexts at once. */
    ConcurrentLinkedQueue<Object> getTogether(L2Cache cache, long offset, int n)
            throws InterruptedException {
        ConcurrentLinkedQueue<Object> results = new ConcurrentLinkedQueue<>();
        CountDownLatch done = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            (i % 2 == 0 ? a : b).spawn("get-" + i, () -> {
                try {
                    results.add(cache.get(offset));
                } catch (Throwable t) {
                    results.add(t);
                } finally {
                    done.countDown();
                }
            });
        }
        assertTrue(done.await(20, TimeUnit.SECONDS), "every get returned");
        return results;
    }

    @Test
    void coroutinesMissingTheSameTableTogetherShareOneLoad() throws Exception {
        L2Cache cache = new L2Cache(offset -> {
            loads.incrementAndGet();
            Coroutine.sleep(java.time.Duration.ofMillis(20)); // the others of this context miss
            pause(); // and those of the other context
            return new long[] {offset};
        }, 4);
        ConcurrentLinkedQueue<Object> results = getTogether(cache, 4096, 8);
        assertEquals(1, loads.get());
        assertEquals(1, cache.loads());
        Object first = results.peek();
        for (Object r : results) {
            assertSame(first, r, "all share the one table: " + r);
        }
        assertEquals(4096, ((long[]) first)[0]);
    }

    @Test
    void aFailedLoadFailsItsWaitersAndTheNextMissTriesAgain() throws Exception {
        L2Cache cache = new L2Cache(offset -> {
            if (loads.incrementAndGet() == 1) {
                pause();
                throw new BlockException(BlockError.EIO, "bad table");
            }
            return new long[] {offset};
        }, 4);
        for (Object r : getTogether(cache, 512, 4)) {
            assertTrue(r instanceof BlockException e && e.error() == BlockError.EIO, "" + r);
        }
        assertEquals(0, cache.size());
        assertEquals(512, a.call(() -> cache.get(512))[0]);
        assertEquals(2, loads.get());
    }

    @Test
    void theLeastRecentlyUsedTableIsEvictedPastTheCapacity() throws Exception {
        L2Cache cache = new L2Cache(offset -> {
            loads.incrementAndGet();
            return new long[] {offset};
        }, 2);
        a.call(() -> {
            cache.get(1);
            cache.get(2);
            cache.get(1); // 2 is now the least recently used
            cache.get(3);
            return null;
        });
        assertEquals(2, cache.size());
        assertEquals(3, loads.get());
        a.call(() -> cache.get(1));
        assertEquals(3, loads.get(), "1 stayed");
        a.call(() -> cache.get(2));
        assertEquals(4, loads.get(), "2 was evicted");
    }

    @Test
    void capacityBelowOneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new L2Cache(o -> new long[0], 0));
    }
}
