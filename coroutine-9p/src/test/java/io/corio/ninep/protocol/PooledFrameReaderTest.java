package io.corio.ninep.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.core.io.Buffers;
import io.corio.ninep.protocol.Tmessage.Tclunk;
import io.corio.ninep.protocol.Tmessage.Twrite;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A pooled FrameReader reading from a channel that hands out the stream in pieces of every
 * size: small frames come out as heap copies, large ones in pool buffers, byte-exact.
 */
class PooledFrameReaderTest {

    /** Counts what is taken and given back, and hands out direct buffers of exactly the size. */
    private static final class CountingPool implements Buffers {
        final Map<ByteBuffer, Boolean> out = new IdentityHashMap<>();

        @Override
        public ByteBuffer take(int size) {
            ByteBuffer b = ByteBuffer.allocateDirect(size);
            out.put(b, true);
            return b;
        }

        @Override
        public void give(ByteBuffer b) {
            out.remove(b);
        }
    }

    /** A channel returning at most {@code piece} bytes per read. */
    private static ReadableByteChannel pieces(byte[] stream, int piece) {
        ByteBuffer src = ByteBuffer.wrap(stream);
        return new ReadableByteChannel() {
            @Override
            public int read(ByteBuffer dst) {
                if (!src.hasRemaining()) {
                    return -1;
                }
                int n = Math.min(piece, Math.min(src.remaining(), dst.remaining()));
                dst.put(src.slice(src.position(), n));
                src.position(src.position() + n);
                return n;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {}
        };
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 4, 7, 100, 4096, 8191, 65536, 1 << 20})
    void framesComeOutWholeWhateverTheReadSizes(int piece) throws Exception {
        Random random = new Random(piece);
        List<byte[]> sent = new ArrayList<>();
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        for (int i = 0; i < 40; i++) {
            int size = switch (i % 4) {
                case 0 -> 0;
                case 1 -> FrameReader.SMALL_FRAME - 23; // a Twrite frame of exactly SMALL_FRAME
                case 2 -> 20_000 + random.nextInt(100_000);
                default -> random.nextInt(300);
            };
            byte[] data = new byte[size];
            random.nextBytes(data);
            int tag = i;
            byte[] frame = i % 5 == 4 ? Samples.encode(new Tclunk(tag, 7))
                    : Samples.encode(new Twrite(tag, 1, i, ByteBuffer.wrap(data)));
            sent.add(frame);
            stream.writeBytes(frame);
        }
        CountingPool pool = new CountingPool();
        FrameReader reader = new FrameReader(P9.MAX_MSIZE, pool);
        ReadableByteChannel channel = pieces(stream.toByteArray(), piece);
        List<ByteBuffer> got = new ArrayList<>();
        while (true) {
            ByteBuffer f = reader.next();
            if (f != null) {
                got.add(f);
                continue;
            }
            if (reader.readFrom(channel) < 0) {
                break;
            }
        }
        assertEquals(0, reader.buffered());
        assertEquals(sent.size(), got.size());
        for (int i = 0; i < sent.size(); i++) {
            ByteBuffer f = got.get(i);
            assertEquals(ByteOrder.LITTLE_ENDIAN, f.order());
            assertEquals(0, f.position());
            byte[] bytes = new byte[f.remaining()];
            f.get(0, bytes);
            assertArrayEquals(sent.get(i), bytes, "frame " + i + ", reads of " + piece);
            assertEquals(sent.get(i).length > FrameReader.SMALL_FRAME, f.isDirect(), "frame " + i);
            pool.give(f);
        }
        assertTrue(pool.out.isEmpty(), "every pool buffer came out as a frame");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 4, 1000})
    void lostFramingIsReportedInPooledModeToo(int piece) throws Exception {
        byte[] bad = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0x7f, 1, 2, 3};
        FrameReader reader = new FrameReader(P9.MAX_MSIZE, new CountingPool());
        ReadableByteChannel channel = pieces(bad, piece);
        assertThrows(FramingException.class, () -> {
            while (reader.next() == null) {
                assertFalse(reader.readFrom(channel) < 0, "the size field went unnoticed");
            }
        });
        assertThrows(FramingException.class, reader::next);
    }

    @Test
    void feedIsRefused() {
        FrameReader reader = new FrameReader(P9.MAX_MSIZE, new CountingPool());
        assertThrows(UnsupportedOperationException.class, () -> reader.feed(ByteBuffer.allocate(1)));
    }
}
