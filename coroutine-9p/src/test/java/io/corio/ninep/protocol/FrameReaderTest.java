package io.corio.ninep.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.ninep.protocol.Tmessage.Tclunk;
import io.corio.ninep.protocol.Tmessage.Twrite;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Frames fed whole, split at every byte, back to back, oversized and undersized. */
class FrameReaderTest {

    /** Every sample request and reply, encoded. */
    static Stream<byte[]> frames() {
        return Stream.concat(Samples.requests().stream().map(Samples::encode),
                Samples.replies().stream().map(Samples::encode));
    }

    @ParameterizedTest
    @MethodSource("frames")
    void aWholeFrameComesOutOnce(byte[] frame) throws Exception {
        FrameReader reader = new FrameReader(P9.MAX_MSIZE);
        ByteBuffer chunk = ByteBuffer.wrap(frame);
        reader.feed(chunk);
        assertEquals(0, chunk.remaining(), "feed consumes the chunk");
        assertFrame(frame, reader.next());
        assertNull(reader.next());
        assertEquals(0, reader.buffered());
    }

    @ParameterizedTest
    @MethodSource("frames")
    void aFrameSplitAtEveryBoundaryComesOutOnce(byte[] frame) throws Exception {
        for (int split = 1; split < frame.length; split++) {
            FrameReader reader = new FrameReader(P9.MAX_MSIZE);
            reader.feed(ByteBuffer.wrap(frame, 0, split));
            assertNull(reader.next(), "no frame after " + split + " bytes");
            assertEquals(split, reader.buffered());
            reader.feed(ByteBuffer.wrap(frame, split, frame.length - split));
            assertFrame(frame, reader.next());
            assertNull(reader.next());
            assertEquals(0, reader.buffered(), "nothing left over after split " + split);
        }
    }

    @ParameterizedTest
    @MethodSource("frames")
    void aFrameFedByteByByteComesOutOnce(byte[] frame) throws Exception {
        FrameReader reader = new FrameReader(P9.MAX_MSIZE);
        for (int i = 0; i < frame.length; i++) {
            assertNull(reader.next());
            reader.feed(ByteBuffer.wrap(frame, i, 1));
        }
        assertFrame(frame, reader.next());
        assertNull(reader.next());
        assertEquals(0, reader.buffered());
    }

    @Test
    void framesBackToBackInOneChunkComeOutInOrder() throws Exception {
        List<byte[]> frames = frames().toList();
        byte[] stream = concat(frames);
        FrameReader reader = new FrameReader(P9.MAX_MSIZE);
        reader.feed(ByteBuffer.wrap(stream));
        for (byte[] frame : frames) {
            assertFrame(frame, reader.next());
        }
        assertNull(reader.next());
        assertEquals(0, reader.buffered());
    }

    @Test
    void framesBackToBackSplitAtEveryBoundaryComeOutInOrder() throws Exception {
        List<byte[]> frames = Samples.requests().stream().limit(8).map(Samples::encode).toList();
        byte[] stream = concat(frames);
        for (int split = 0; split <= stream.length; split++) {
            FrameReader reader = new FrameReader(P9.MAX_MSIZE);
            List<ByteBuffer> out = new ArrayList<>();
            reader.feed(ByteBuffer.wrap(stream, 0, split));
            drain(reader, out);
            reader.feed(ByteBuffer.wrap(stream, split, stream.length - split));
            drain(reader, out);
            assertEquals(frames.size(), out.size(), "split " + split);
            for (int i = 0; i < frames.size(); i++) {
                assertFrame(frames.get(i), out.get(i));
            }
            assertEquals(0, reader.buffered());
        }
    }

    @Test
    void everyFrameDecodesToItsMessage() throws Exception {
        FrameReader reader = new FrameReader(P9.MAX_MSIZE);
        reader.feed(ByteBuffer.wrap(concat(Samples.requests().stream().map(Samples::encode)
                .toList())));
        for (Tmessage expected : Samples.requests()) {
            assertEquals(expected, Codec.decodeT(reader.next()));
        }
        assertNull(reader.next());
    }

    @Test
    void framesHandedOutStayValidWhileMoreArrives() throws Exception {
        FrameReader reader = new FrameReader(P9.MAX_MSIZE);
        byte[] hello = Samples.encode(new Twrite(1, 2, 3, Samples.bytes("hello\n")));
        reader.feed(ByteBuffer.wrap(hello));
        ByteBuffer first = reader.next();
        Twrite write = (Twrite) Codec.decodeT(first);

        byte[] other = Samples.encode(new Twrite(2, 2, 3, ByteBuffer.allocate(5000)));
        for (int i = 0; i < 100; i++) { // several receive buffers' worth
            reader.feed(ByteBuffer.wrap(other));
            assertFrame(other, reader.next());
        }
        assertFrame(hello, first);
        assertEquals(Samples.bytes("hello\n"), write.data());
    }

    @Test
    void aFrameLargerThanTheReceiveBufferComesOutWhole() throws Exception {
        byte[] data = new byte[3 * FrameReader.BUFFER_SIZE + 17];
        new Random(1).nextBytes(data);
        byte[] frame = Samples.encode(new Twrite(1, 2, 3, ByteBuffer.wrap(data)));
        byte[] clunk = Samples.encode(new Tclunk(2, 3));
        FrameReader reader = new FrameReader(P9.MAX_MSIZE);
        reader.feed(ByteBuffer.wrap(clunk, 0, 5)); // start mid-buffer with a partial frame
        reader.feed(ByteBuffer.wrap(clunk, 5, clunk.length - 5));
        assertFrame(clunk, reader.next());
        for (int off = 0; off < frame.length; off += 1000) {
            assertNull(reader.next());
            reader.feed(ByteBuffer.wrap(frame, off, Math.min(1000, frame.length - off)));
        }
        assertFrame(frame, reader.next());
        assertNull(reader.next());
    }

    @Test
    void readsStraightFromAChannelInRaggedPieces() throws Exception {
        List<byte[]> frames = frames().toList();
        byte[] stream = concat(frames);
        ReadableByteChannel channel = raggedChannel(stream, new Random(42));
        FrameReader reader = new FrameReader(P9.MAX_MSIZE);
        List<ByteBuffer> out = new ArrayList<>();
        int total = 0;
        for (int n; (n = reader.readFrom(channel)) != -1; ) {
            total += n;
            drain(reader, out);
        }
        assertEquals(stream.length, total);
        assertEquals(frames.size(), out.size());
        for (int i = 0; i < frames.size(); i++) {
            assertFrame(frames.get(i), out.get(i));
        }
        assertEquals(0, reader.buffered());
    }

    @Test
    void aFrameOfExactlyTheMaximumIsAccepted() throws Exception {
        byte[] frame = Samples.encode(new Twrite(1, 2, 3, ByteBuffer.allocate(100)));
        FrameReader reader = new FrameReader(frame.length);
        reader.feed(ByteBuffer.wrap(frame));
        assertFrame(frame, reader.next());
    }

    @Test
    void aFrameLargerThanTheMaximumLosesFramingAsSoonAsItsSizeIsIn() throws Exception {
        byte[] frame = Samples.encode(new Twrite(1, 2, 3, ByteBuffer.allocate(100)));
        FrameReader reader = new FrameReader(frame.length - 1);
        reader.feed(ByteBuffer.wrap(frame, 0, 3));
        assertNull(reader.next());
        assertThrows(FramingException.class, () -> reader.feed(ByteBuffer.wrap(frame, 3, 1)));
        assertThrows(FramingException.class, reader::next, "and stays lost");
        assertThrows(FramingException.class, () -> reader.feed(ByteBuffer.wrap(frame)));
    }

    @Test
    void aLoweredMaximumAppliesToLaterFrames() throws Exception {
        byte[] frame = Samples.encode(new Twrite(1, 2, 3, ByteBuffer.allocate(100)));
        FrameReader reader = new FrameReader(P9.MAX_MSIZE);
        reader.feed(ByteBuffer.wrap(frame));
        assertFrame(frame, reader.next());
        reader.setMaxFrameSize(frame.length - 1);
        assertThrows(FramingException.class, () -> reader.feed(ByteBuffer.wrap(frame)));
        assertThrows(IllegalArgumentException.class, () -> reader.setMaxFrameSize(6));
        assertThrows(IllegalArgumentException.class,
                () -> reader.setMaxFrameSize(P9.MAX_MSIZE + 1));
    }

    @Test
    void sizesBelowTheHeaderOrHugeLoseFraming() throws Exception {
        for (int size : new int[] {0, 1, 4, 6, -1, Integer.MIN_VALUE, P9.MAX_MSIZE + 1}) {
            FrameReader reader = new FrameReader(P9.MAX_MSIZE);
            byte[] bytes = ByteBuffer.allocate(7).order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(size).array();
            assertThrows(FramingException.class, () -> {
                reader.feed(ByteBuffer.wrap(bytes));
                reader.next();
            }, "size " + Integer.toUnsignedString(size));
        }
        FrameReader reader = new FrameReader(P9.MAX_MSIZE);
        byte[] header = Samples.encode(new Rmessage.Rclunk(9));
        assertEquals(P9.HEADER_SIZE, header.length);
        reader.feed(ByteBuffer.wrap(header));
        assertFrame(header, reader.next());
    }

    @Test
    void aBufferThatIsNotOneFrameIsAFramingErrorForTheCodec() {
        byte[] frame = Samples.encode(new Tclunk(1, 2));
        assertThrows(FramingException.class,
                () -> Codec.decodeT(ByteBuffer.wrap(frame, 0, frame.length - 1)));
        assertThrows(FramingException.class,
                () -> Codec.decodeR(ByteBuffer.wrap(Arrays.copyOf(frame, frame.length + 1))));
        assertThrows(FramingException.class, () -> Codec.decodeT(ByteBuffer.allocate(6)));
    }

    private static void assertFrame(byte[] expected, ByteBuffer frame) {
        assertTrue(frame != null, "a frame is ready");
        assertEquals(0, frame.position());
        assertEquals(ByteOrder.LITTLE_ENDIAN, frame.order());
        byte[] actual = new byte[frame.remaining()];
        frame.duplicate().get(actual);
        assertArrayEquals(expected, actual);
    }

    private static void drain(FrameReader reader, List<ByteBuffer> out) throws Exception {
        for (ByteBuffer f; (f = reader.next()) != null; ) {
            out.add(f);
        }
    }

    private static byte[] concat(List<byte[]> frames) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        frames.forEach(all::writeBytes);
        return all.toByteArray();
    }

    /** A channel over {@code bytes} that returns 1 to 700 bytes per read. */
    private static ReadableByteChannel raggedChannel(byte[] bytes, Random random) {
        return new ReadableByteChannel() {
            int pos;

            @Override
            public int read(ByteBuffer dst) {
                if (pos == bytes.length) {
                    return -1;
                }
                int n = Math.min(Math.min(dst.remaining(), 1 + random.nextInt(700)),
                        bytes.length - pos);
                dst.put(bytes, pos, n);
                pos += n;
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
}
