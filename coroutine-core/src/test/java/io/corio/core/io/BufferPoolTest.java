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
        small.give(c); // over the limit: dropped
        assertEquals(2 * 65536, small.pooledBytes());
        ByteBuffer x = small.take(65536);
        ByteBuffer y = small.take(65536);
        ByteBuffer z = small.take(65536);
        assertSame(b, x); // last in, first out
        assertSame(a, y);
        assertNotSame(c, z);
    }
}
