package io.corio.blockio.nbd;

import static io.corio.blockio.nbd.NbdProto.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Exact wire bytes of some messages (from doc/proto.md), and what the decoders do with bad input. */
class CodecBytesTest {
    static final HexFormat HEX = HexFormat.of();

    static byte[] hex(String s) {
        return HEX.parseHex(s.replace(" ", ""));
    }

    static WireIn in(byte[] b) {
        return new WireIn(Chunked.splitAt(b, b.length));
    }

    @Test
    void greetingIsNbdmagicIhaveoptAndFlags() {
        assertArrayEquals(hex("4e42444d41474943 49484156454f5054 0003"),
                Chunked.concat(HandshakeCodec.greeting(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES)));
    }

    @Test
    void optionAndOptionReplyLayout() {
        assertArrayEquals(hex("49484156454f5054 00000007 00000009 00000001 61 0001 0003"),
                Chunked.concat(HandshakeCodec.encode(new Option.Info(true, "a", java.util.List.of(INFO_BLOCK_SIZE)))));
        assertArrayEquals(hex("0003e889045565a9 00000008 00000001 00000000"),
                Chunked.concat(HandshakeCodec.encode(new OptionReply.Ack(OPT_STRUCTURED_REPLY))));
        assertArrayEquals(hex("0003e889045565a9 00000007 80000006 00000001 78"),
                Chunked.concat(HandshakeCodec.encode(new OptionReply.Error(OPT_GO, REP_ERR_UNKNOWN, "x"))));
    }

    @Test
    void requestAndReplyLayout() {
        assertArrayEquals(hex("25609513 0001 0001 0102030405060708 0000000000001000 00000002 abcd"),
                Chunked.concat(TransmissionCodec.encode(new Request.Write(0x0102030405060708L,
                        CMD_FLAG_FUA, 4096, ByteBuffer.wrap(hex("abcd"))))));
        assertArrayEquals(hex("67446698 00000016 0000000000000009"),
                Chunked.concat(TransmissionCodec.encode(new Reply.Simple(9, 22, null))));
        assertArrayEquals(hex("668e33ef 0000 0002 0000000000000003 0000000c 0000000000000200 00000400"),
                Chunked.concat(TransmissionCodec.encode(new Reply.OffsetHole(3, false, 512, 1024))));
        assertArrayEquals(hex("668e33ef 0001 0005 0000000000000004 0000000c 00000001 00001000 00000003"),
                Chunked.concat(TransmissionCodec.encode(new Reply.BlockStatus(4, true, 1,
                        java.util.List.of(new Reply.Descriptor(4096, 3))))));
        assertArrayEquals(hex("668e33ef 0001 8001 0000000000000005 00000008 00000005 0002 6869"),
                Chunked.concat(TransmissionCodec.encode(new Reply.Error(5, true, 5, "hi"))));
    }

    @Test
    void badMagicLosesTheFraming() {
        byte[] opt = Chunked.concat(HandshakeCodec.encode(new Option.Abort()));
        opt[0] ^= 1;
        assertThrows(FramingException.class, () -> HandshakeCodec.readOption(in(opt)));
        byte[] req = Chunked.concat(TransmissionCodec.encode(new Request.Flush(1, 0, 0, 0)));
        req[3] ^= 1;
        assertThrows(FramingException.class, () -> TransmissionCodec.readRequest(in(req), MAX_PAYLOAD));
        assertThrows(FramingException.class, () -> TransmissionCodec.readReply(in(req), h -> -1));
    }

    @Test
    void overlongOptionOrWriteLosesTheFraming() {
        byte[] opt = hex("49484156454f5054 00000003 00010001"); // 64 KiB + 1 of data announced
        assertThrows(FramingException.class, () -> HandshakeCodec.readOption(in(opt)));
        byte[] write = hex("25609513 0000 0001 0000000000000001 0000000000000000 02000001");
        FramingException e = assertThrows(FramingException.class,
                () -> TransmissionCodec.readRequest(in(write), MAX_PAYLOAD));
        assertEquals("NBD_CMD_WRITE of 33554433 bytes, more than the limit of 33554432", e.getMessage());
    }

    @Test
    void malformedOptionDataKeepsTheFraming() throws IOException {
        // GO whose name length runs past the data, then a valid ABORT behind it
        byte[] go = hex("49484156454f5054 00000007 00000006 000000ff 0000");
        byte[] abort = Chunked.concat(HandshakeCodec.encode(new Option.Abort()));
        WireIn in = in(Chunked.concat(ByteBuffer.wrap(go), ByteBuffer.wrap(abort)));
        Option.Invalid bad = assertInstanceOf(Option.Invalid.class, HandshakeCodec.readOption(in));
        assertEquals(OPT_GO, bad.code());
        assertInstanceOf(Option.Abort.class, HandshakeCodec.readOption(in));

        byte[] list = hex("49484156454f5054 00000003 00000001 00");
        assertInstanceOf(Option.Invalid.class, HandshakeCodec.readOption(in(list)));
        byte[] notUtf8 = hex("49484156454f5054 00000001 00000002 c328");
        assertInstanceOf(Option.Invalid.class, HandshakeCodec.readOption(in(notUtf8)));
        byte[] trailing = hex("49484156454f5054 0000000a 00000009 00000000 00000000 ff");
        assertInstanceOf(Option.Invalid.class, HandshakeCodec.readOption(in(trailing)));
        byte[] tooManyQueries = hex("49484156454f5054 00000009 00000008 00000000 7fffffff");
        assertInstanceOf(Option.Invalid.class, HandshakeCodec.readOption(in(tooManyQueries)));
    }

    @Test
    void unknownCommandDecodesForAnErrorReply() throws IOException {
        byte[] b = hex("25609513 0000 0063 0000000000000001 0000000000000000 00000010");
        Request r = TransmissionCodec.readRequest(in(b), MAX_PAYLOAD);
        assertEquals(new Request.Unknown(1, 0, 99, 0, 16), r);
    }

    @Test
    void malformedChunksAreFramingErrorsForAClient() {
        for (String chunk : new String[] {
                "668e33ef 0001 0000 0000000000000001 00000001 00", // NONE with a payload
                "668e33ef 0000 0000 0000000000000001 00000000", // NONE without DONE
                "668e33ef 0001 0001 0000000000000001 00000008 0000000000000000", // empty data
                "668e33ef 0001 0002 0000000000000001 00000008 0000000000000000", // short hole
                "668e33ef 0001 0005 0000000000000001 00000008 00000001 00000000", // no descriptor
                "668e33ef 0001 8001 0000000000000001 00000006 00000005 0009", // message too long
        }) {
            assertThrows(FramingException.class,
                    () -> TransmissionCodec.readReply(in(hex(chunk)), h -> -1), chunk);
        }
        byte[] badType = hex("0003e889045565a9 00000007 00000063 00000000");
        assertThrows(FramingException.class, () -> HandshakeCodec.readOptionReply(in(badType)));
    }

    @Test
    void truncatedStreamIsEof() {
        byte[] req = Chunked.concat(TransmissionCodec.encode(new Request.Write(1, 0, 0, ByteBuffer.allocate(100))));
        byte[] cut = java.util.Arrays.copyOf(req, req.length - 1);
        assertThrows(EOFException.class, () -> TransmissionCodec.readRequest(in(cut), MAX_PAYLOAD));
    }
}
