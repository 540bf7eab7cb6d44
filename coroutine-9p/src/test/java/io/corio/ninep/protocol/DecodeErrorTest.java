package io.corio.ninep.protocol;

import static io.corio.ninep.protocol.Samples.hex;
import static io.corio.ninep.protocol.Samples.resized;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.corio.ninep.protocol.Rmessage.Rwalk;
import io.corio.ninep.protocol.Tmessage.Twalk;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Malformed messages in intact frames: each becomes a ProtocolException with its tag. */
class DecodeErrorTest {

    static List<Tmessage> requests() {
        return Samples.requests();
    }

    static List<Rmessage> replies() {
        return Samples.replies();
    }

    @ParameterizedTest
    @MethodSource("requests")
    void aRequestCutShortAnywhereIsRefusedWithItsTag(Tmessage m) {
        byte[] frame = Samples.encode(m);
        for (int length = P9.HEADER_SIZE; length < frame.length; length++) {
            byte[] cut = resized(frame, length);
            ProtocolException e = assertThrows(ProtocolException.class,
                    () -> Codec.decodeT(ByteBuffer.wrap(cut)), "cut to " + length);
            assertEquals(m.tag(), e.tag());
            assertEquals(Errno.EINVAL, e.errno());
            assertEquals(frame[4] & 0xFF, e.type());
        }
    }

    @ParameterizedTest
    @MethodSource("replies")
    void aReplyCutShortAnywhereIsRefusedWithItsTag(Rmessage m) {
        byte[] frame = Samples.encode(m);
        for (int length = P9.HEADER_SIZE; length < frame.length; length++) {
            byte[] cut = resized(frame, length);
            ProtocolException e = assertThrows(ProtocolException.class,
                    () -> Codec.decodeR(ByteBuffer.wrap(cut)), "cut to " + length);
            assertEquals(m.tag(), e.tag());
            assertEquals(Errno.EINVAL, e.errno());
        }
    }

    @ParameterizedTest
    @MethodSource("requests")
    void bytesAfterTheLastFieldAreRefused(Tmessage m) {
        byte[] frame = Samples.encode(m);
        byte[] longer = resized(frame, frame.length + 1);
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> Codec.decodeT(ByteBuffer.wrap(longer)));
        assertEquals(m.tag(), e.tag());
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("after the last field"), e.getMessage());
    }

    @ParameterizedTest
    @MethodSource("replies")
    void bytesAfterTheLastFieldOfAReplyAreRefused(Rmessage m) {
        byte[] frame = Samples.encode(m);
        byte[] longer = resized(frame, frame.length + 3);
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> Codec.decodeR(ByteBuffer.wrap(longer)));
        assertEquals(m.tag(), e.tag());
    }

    @Test
    void unknownTypesAreNotSupported() {
        Set<Integer> requestTypes = Samples.requests().stream()
                .map(m -> Samples.encode(m)[4] & 0xFF).collect(Collectors.toSet());
        Set<Integer> replyTypes = Samples.replies().stream()
                .map(m -> Samples.encode(m)[4] & 0xFF).collect(Collectors.toSet());
        assertEquals(28, requestTypes.size());
        assertEquals(29, replyTypes.size());
        for (int type = 0; type < 256; type++) {
            // size[4]=7 type[1] tag[2]=0x1234
            byte[] frame = {7, 0, 0, 0, (byte) type, 0x34, 0x12};
            if (!requestTypes.contains(type)) {
                ProtocolException e = assertThrows(ProtocolException.class,
                        () -> Codec.decodeT(ByteBuffer.wrap(frame)), "type " + type);
                assertEquals(0x1234, e.tag());
                assertEquals(type, e.type());
                assertEquals(Errno.EOPNOTSUPP, e.errno(), "type " + type);
            }
            if (!replyTypes.contains(type)) {
                ProtocolException e = assertThrows(ProtocolException.class,
                        () -> Codec.decodeR(ByteBuffer.wrap(frame)), "type " + type);
                assertEquals(Errno.EOPNOTSUPP, e.errno());
            }
        }
    }

    @Test
    void legacy9P2000RequestsAreNotSupported() {
        for (int type : new int[] {P9.TLERROR, P9.TERROR, 112 /* Topen */, 114 /* Tcreate */,
                124 /* Tstat */, 126 /* Twstat */, P9.RVERSION}) {
            byte[] frame = resized(new byte[] {0, 0, 0, 0, (byte) type, 1, 0, 0, 0, 0, 0}, 11);
            ProtocolException e = assertThrows(ProtocolException.class,
                    () -> Codec.decodeT(ByteBuffer.wrap(frame)));
            assertEquals(Errno.EOPNOTSUPP, e.errno());
            assertEquals(1, e.tag());
        }
    }

    @Test
    void moreThanSixteenWalkNamesAreRefused() {
        Twalk sixteen = new Twalk(9, 1, 2, Collections.nCopies(P9.MAX_WALK_ELEMENTS, "x"));
        byte[] frame = Samples.encode(sixteen);
        byte[] seventeen = resized(frame, frame.length + 3); // room for one more "x"
        ByteBuffer b = ByteBuffer.wrap(seventeen).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(15, (short) 17);
        b.position(frame.length);
        b.putShort((short) 1).put((byte) 'x');
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> Codec.decodeT(ByteBuffer.wrap(seventeen)));
        assertEquals(9, e.tag());
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("nwname 17"), e.getMessage());
    }

    @Test
    void moreThanSixteenWalkQidsAreRefused() {
        Rwalk sixteen = new Rwalk(4, Collections.nCopies(P9.MAX_WALK_ELEMENTS, Samples.DIR));
        byte[] frame = Samples.encode(sixteen);
        byte[] seventeen = resized(frame, frame.length + P9.QID_SIZE);
        ByteBuffer.wrap(seventeen).order(ByteOrder.LITTLE_ENDIAN).putShort(7, (short) 17);
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> Codec.decodeR(ByteBuffer.wrap(seventeen)));
        assertEquals(4, e.tag());
    }

    @Test
    void aStringThatIsNotUtf8IsRefused() {
        // Tattach tag 3 fid 0 afid NOFID uname "r\xffot" aname "" n_uname 0
        byte[] frame = hex("1b000000 68 0300 00000000 ffffffff 0400 72ff6f74 0000 00000000");
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> Codec.decodeT(ByteBuffer.wrap(frame)));
        assertEquals(3, e.tag());
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("uname"), e.getMessage());
    }

    @Test
    void aPayloadCountPastTheEndIsRefused() {
        // Twrite tag 5 fid 1 offset 0 count 0xffffffff, then two bytes
        byte[] frame = hex("19000000 76 0500 01000000 0000000000000000 ffffffff 6869");
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> Codec.decodeT(ByteBuffer.wrap(frame)));
        assertEquals(5, e.tag());
        assertTrue(e.getMessage().contains("4294967295"), e.getMessage());
    }

    @Test
    void malformedReaddirDataIsRefused() {
        ByteBuffer data = Samples.dirData();
        for (int length = 1; length < data.remaining(); length++) {
            ByteBuffer cut = data.slice(0, length);
            boolean atEntryEnd = false;
            int end = 0;
            for (DirEntry entry : Samples.dirEntries()) {
                end += DirPacker.entrySize(entry);
                atEntryEnd |= end == length;
            }
            if (atEntryEnd) {
                continue; // a cut between entries is a shorter but valid payload
            }
            ProtocolException e = assertThrows(ProtocolException.class,
                    () -> Codec.decodeDirEntries(cut), "cut to " + length);
            assertEquals(P9.NOTAG, e.tag());
        }
    }

    /** Random damage to valid frames: decoding either succeeds or says ProtocolException. */
    @Test
    void randomDamageNeverEscapesAsAnUncheckedException() {
        Random random = new Random(20250101);
        List<byte[]> requests = Samples.requests().stream().map(Samples::encode).toList();
        List<byte[]> replies = Samples.replies().stream().map(Samples::encode).toList();
        for (int round = 0; round < 20_000; round++) {
            boolean request = random.nextBoolean();
            List<byte[]> pool = request ? requests : replies;
            byte[] frame = pool.get(random.nextInt(pool.size())).clone();
            int length = random.nextInt(4) == 0
                    ? P9.HEADER_SIZE + random.nextInt(frame.length + 8) : frame.length;
            frame = resized(frame, length);
            for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                int at = 4 + random.nextInt(frame.length - 4); // keep the size field honest
                frame[at] = (byte) random.nextInt(256);
            }
            try {
                if (request) {
                    Codec.decodeT(ByteBuffer.wrap(frame));
                } else {
                    Codec.decodeR(ByteBuffer.wrap(frame));
                }
            } catch (ProtocolException expected) {
                assertTrue(expected.errno() == Errno.EINVAL
                        || expected.errno() == Errno.EOPNOTSUPP);
            } catch (Exception | Error e) {
                fail("round " + round + ": " + java.util.HexFormat.of().formatHex(frame), e);
            }
        }
    }
}
