package io.corio.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class BufferPoolTest {
    private final BufferPool pool = new BufferPool(1024 * 1024);

    @Test
    void takeGivesAnAlignedDirectBufferOfTheSmallestFittingPowerOfTwo() {
        for (int size : new int[] {0, 1, 4096, 4097, 65536, 65537, 1 << 20}) {
            ByteBuffer b = pool.take(size);
            assertTrue(b.isDirect());
            assertEquals(0, b.position());
            assertEquals(size, b.limit());
            int want = BufferPool.MIN_SIZE;
            while (want < size) {
                want *= 2;
            }
            assertEquals(want, b.capacity(), "size " + size);
            assertEquals(0, b.alignmentOffset(0, BufferPool.ALIGN), "size " + size);
        }
        assertThrows(IllegalArgumentException.class, () -> pool.take(-1));
        assertThrows(IllegalArgumentException.class, () -> new BufferPool(-1));
    }

    @Test
    void aBufferGivenBackIsReusedWholeAndBigEndianForTheSameSizeClass() {
        ByteBuffer b = pool.take(60_000);
        b.position(100).order(ByteOrder.LITTLE_ENDIAN);
        pool.give(b);
        assertEquals(65536, pool.pooledBytes());
        ByteBuffer again = pool.take(40_000);
        assertSame(b, again);
        assertEquals(0, again.position());
        assertEquals(40_000, again.limit());
        assertEquals(ByteOrder.BIG_ENDIAN, again.order(), "a user's byte order does not leak to the next");
        assertEquals(0, pool.pooledBytes());
        assertNotSame(b, pool.take(60_000)); // taken: the pool is empty again
    }

    @Test
    void foreignBuffersAreIgnored() {
        ByteBuffer heap = ByteBuffer.allocate(65536);
        ByteBuffer slice = pool.take(65536).slice(0, 1000);
        pool.give(heap);
        pool.give(slice);
        assertEquals(0, pool.pooledBytes());
        ByteBuffer fresh = pool.take(65536);
        assertNotSame(heap, fresh);
        assertTrue(fresh.isDirect());
        assertEquals(65536, fresh.capacity());
    }

    @Test
    void atMostTheConfiguredBytesAreKept() {
        BufferPool small = new BufferPool(2 * 65536);
        ByteBuffer a = small.take(65536);
        ByteBuffer b = small.take(65536);
        ByteBuffer c = small.take(65536);
        small.give(a);
        small.give(b);
        small.give(c); // over the limit: freed at once
        assertEquals(2 * 65536, small.pooledBytes());
        assertEquals(2, small.liveBuffers());
        assertThrows(IllegalStateException.class, () -> c.get(0), "its memory is gone");
        ByteBuffer x = small.take(65536);
        ByteBuffer y = small.take(65536);
        ByteBuffer z = small.take(65536);
        assertSame(b, x); // last in, first out
        assertSame(a, y);
        assertNotSame(c, z);
    }

    @Test
    void aTrimFreesTheBuffersNoTakeNeededSinceTheLastOneColdestFirst() {
        BufferPool p = new BufferPool(1 << 20);
        ByteBuffer a = p.take(65536);
        ByteBuffer b = p.take(65536);
        ByteBuffer c = p.take(65536);
        ByteBuffer d = p.take(4096);
        p.give(a);
        p.give(b);
        p.give(c); // the stack, warmest first: c b a
        p.give(d);
        p.trim(); // the first: nothing was counted before it
        assertEquals(4, p.liveBuffers());
        assertSame(c, p.take(65536));
        assertSame(b, p.take(65536)); // the stack went down to 1 (a) since that trim
        p.give(b);
        p.give(c);
        p.trim(); // frees a, and d: never taken since the last trim
        assertEquals(2, p.liveBuffers());
        assertEquals(2 * 65536, p.pooledBytes());
        assertThrows(IllegalStateException.class, () -> a.get(0), "a's memory is gone");
        assertThrows(IllegalStateException.class, () -> d.get(0), "d's memory is gone");
        assertSame(c, p.take(65536));
        assertSame(b, p.take(65536));
        assertNotSame(a, p.take(65536));
        p.trim(); // nothing waits: nothing to free
        assertEquals(3, p.liveBuffers());
    }

    @Test
    void anIdlePoolEmptiesItselfWithinTwoIntervalsWithNothingElseHappening() throws InterruptedException {
        BufferPool p = new BufferPool(4 << 20);
        p.give(p.take(65536));
        p.give(p.take(1 << 20));
        assertEquals(2, p.liveBuffers());
        long deadline = System.nanoTime() + 20 * BufferPool.TRIM_INTERVAL.toNanos();
        while (p.liveBuffers() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, p.liveBuffers());
        assertEquals(0, p.pooledBytes());
        p.give(p.take(4096)); // and its trimmer starts again for the next
        deadline = System.nanoTime() + 20 * BufferPool.TRIM_INTERVAL.toNanos();
        while (p.liveBuffers() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, p.liveBuffers());
    }

    @Test
    void aBufferDroppedWithoutBeingGivenBackIsFreedOnceUnreachable() throws InterruptedException {
        BufferPool p = new BufferPool(1 << 20);
        p.take(65536); // and dropped
        assertEquals(1, p.liveBuffers());
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (p.liveBuffers() > 0 && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(10);
        }
        assertEquals(0, p.liveBuffers());
    }

    @Test
    void anotherPoolsBufferIsIgnored() {
        BufferPool other = new BufferPool(1 << 20);
        ByteBuffer theirs = other.take(65536);
        pool.give(theirs);
        assertEquals(0, pool.pooledBytes());
        other.give(theirs);
        assertEquals(65536, other.pooledBytes());
    }
}
