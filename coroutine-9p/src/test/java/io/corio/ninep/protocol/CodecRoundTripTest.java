package io.corio.ninep.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.ninep.protocol.Rmessage.Rread;
import io.corio.ninep.protocol.Rmessage.Rreaddir;
import io.corio.ninep.protocol.Rmessage.Rreadlink;
import io.corio.ninep.protocol.Tmessage.Tattach;
import io.corio.ninep.protocol.Tmessage.Twalk;
import io.corio.ninep.protocol.Tmessage.Twrite;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every message through encode and decode, and the encoder's contract on its buffers. */
class CodecRoundTripTest {

    static List<Tmessage> requests() {
        return Samples.requests();
    }

    static List<Rmessage> replies() {
        return Samples.replies();
    }

    @ParameterizedTest
    @MethodSource("requests")
    void requestRoundTrips(Tmessage m) throws Exception {
        byte[] frame = Samples.encode(m);
        assertEquals(Codec.size(m), frame.length);
        Tmessage decoded = Codec.decodeT(ByteBuffer.wrap(frame));
        assertEquals(m, decoded);
        assertArrayEquals(frame, Samples.encode(decoded), "re-encoding gives the same bytes");
    }

    @ParameterizedTest
    @MethodSource("replies")
    void replyRoundTrips(Rmessage m) throws Exception {
        byte[] frame = Samples.encode(m);
        assertEquals(Codec.size(m), frame.length);
        Rmessage decoded = Codec.decodeR(ByteBuffer.wrap(frame));
        assertEquals(m, decoded);
        assertArrayEquals(frame, Samples.encode(decoded), "re-encoding gives the same bytes");
    }

    @ParameterizedTest
    @MethodSource("requests")
    void requestHeadAndPayloadMakeTheFrame(Tmessage m) {
        ByteBuffer head = ByteBuffer.allocate(100);
        ByteBuffer payload = Codec.encodeHead(m, head);
        head.flip();
        assertArrayEquals(Samples.encode(m), concat(head, payload));
    }

    @ParameterizedTest
    @MethodSource("replies")
    void replyHeadAndPayloadMakeTheFrame(Rmessage m) {
        ByteBuffer head = ByteBuffer.allocate(200);
        ByteBuffer payload = Codec.encodeHead(m, head);
        head.flip();
        assertArrayEquals(Samples.encode(m), concat(head, payload));
        if (m instanceof Rread r) {
            assertEquals(P9.RREAD_HEADER_SIZE, head.remaining());
            assertEquals(r.data(), payload);
        }
    }

    @Test
    void everyMessageTypeHasASample() {
        assertEquals(names(Tmessage.class.getPermittedSubclasses()),
                Samples.requests().stream().map(m -> m.getClass().getSimpleName())
                        .collect(Collectors.toSet()));
        assertEquals(names(Rmessage.class.getPermittedSubclasses()),
                Samples.replies().stream().map(m -> m.getClass().getSimpleName())
                        .collect(Collectors.toSet()));
        assertEquals(28, Tmessage.class.getPermittedSubclasses().length);
        assertEquals(29, Rmessage.class.getPermittedSubclasses().length);
    }

    @Test
    void encodeWritesAtThePositionInAnyByteOrderAndAdvances() throws Exception {
        Tmessage m = new Tattach(2, 0, P9.NOFID, "root", "/export", 0);
        byte[] expected = Samples.encode(m);
        ByteBuffer out = ByteBuffer.allocate(200).order(ByteOrder.BIG_ENDIAN);
        out.position(5);
        int size = Codec.encode(m, out);
        assertEquals(expected.length, size);
        assertEquals(5 + size, out.position());
        assertEquals(ByteOrder.BIG_ENDIAN, out.order(), "the caller's byte order is kept");
        assertArrayEquals(expected, Arrays.copyOfRange(out.array(), 5, 5 + size));

        ByteBuffer frame = ByteBuffer.wrap(out.array(), 5, size).order(ByteOrder.BIG_ENDIAN);
        assertEquals(m, Codec.decodeT(frame));
        assertEquals(5, frame.position(), "decoding does not consume the frame");
    }

    @Test
    void encodeLeavesThePayloadAsItWas() {
        ByteBuffer data = Samples.bytes("0123456789");
        data.position(2).limit(8);
        ByteBuffer out = ByteBuffer.allocate(100);
        Codec.encode(new Rread(1, data), out);
        assertEquals(2, data.position());
        assertEquals(8, data.limit());
        assertEquals(P9.RREAD_HEADER_SIZE + 6, out.position());
        assertEquals("234567", new String(out.array(), P9.RREAD_HEADER_SIZE, 6));
    }

    @Test
    void aFrameThatDoesNotFitIsRefusedAndTheBufferUntouched() {
        Rmessage m = new Rread(1, ByteBuffer.allocate(100));
        ByteBuffer out = ByteBuffer.allocate(200);
        out.position(3).limit(3 + Codec.size(m) - 1);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Codec.encode(m, out));
        assertTrue(e.getMessage().contains("does not fit"), e.getMessage());
        assertEquals(3, out.position());

        out.limit(3 + Codec.size(m));
        assertEquals(Codec.size(m), Codec.encode(m, out));
    }

    @Test
    void aStringLongerThanTheWireAllowsIsRefused() {
        String longest = "x".repeat(P9.MAX_STRING_BYTES);
        ByteBuffer out = ByteBuffer.allocate(2 * P9.MAX_STRING_BYTES);
        Codec.encode(new Rreadlink(1, longest), out);
        out.clear();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Codec.encode(new Rreadlink(1, longest + "é"), out));
        assertTrue(e.getMessage().contains("target"), e.getMessage());
        assertEquals(0, out.position());
    }

    @Test
    void decodedPayloadsAreReadOnlyViewsOfTheFrameNotCopies() throws Exception {
        byte[] frame = Samples.encode(new Twrite(8, 3, 0, Samples.bytes("hello\n")));
        Twrite w = (Twrite) Codec.decodeT(ByteBuffer.wrap(frame));
        assertTrue(w.data().isReadOnly());
        frame[P9.TWRITE_HEADER_SIZE] = 'j';
        assertEquals(Samples.bytes("jello\n"), w.data(), "the view sees the frame's bytes");

        byte[] reply = Samples.encode(new Rreaddir(1, Samples.dirData()));
        Rreaddir r = (Rreaddir) Codec.decodeR(ByteBuffer.wrap(reply));
        assertTrue(r.data().isReadOnly());
        assertEquals(Samples.dirEntries(), Codec.decodeDirEntries(r.data()));
        assertEquals(0, r.data().position(), "unpacking entries does not consume the data");
    }

    @Test
    void recordsCheckTheirArguments() {
        assertThrows(IllegalArgumentException.class, () -> new Tmessage.Tclunk(0x10000, 1));
        assertThrows(IllegalArgumentException.class, () -> new Tmessage.Tflush(1, -1));
        assertThrows(IllegalArgumentException.class, () -> new Qid(0x100, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Twalk(1, 1, 2,
                java.util.Collections.nCopies(P9.MAX_WALK_ELEMENTS + 1, "x")));
        assertThrows(NullPointerException.class, () -> new Tattach(1, 0, 0, null, "", 0));
        List<String> names = new java.util.ArrayList<>(List.of("a"));
        Twalk walk = new Twalk(1, 1, 2, names);
        names.add("b");
        assertEquals(List.of("a"), walk.names(), "the record keeps its own copy");
    }

    @Test
    void errnoNamesForLogs() {
        assertEquals("ENOENT", Errno.name(Errno.ENOENT));
        assertEquals("EOPNOTSUPP", Errno.name(95));
        assertEquals("errno 999", Errno.name(999));
        assertEquals("Rlerror[tag=1, ecode=ENODATA]",
                new Rmessage.Rlerror(1, Errno.ENODATA).toString());
    }

    private static Set<String> names(Class<?>[] classes) {
        return Arrays.stream(classes).map(Class::getSimpleName).collect(Collectors.toSet());
    }

    private static byte[] concat(ByteBuffer head, ByteBuffer payload) {
        ByteBuffer all = ByteBuffer.allocate(head.remaining() + payload.remaining());
        all.put(head.duplicate()).put(payload.duplicate());
        return all.array();
    }
}
