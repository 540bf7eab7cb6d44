package io.corio.blockio.nbd;

import static io.corio.blockio.nbd.NbdProto.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every message kind encoded, then decoded from a stream cut at every byte boundary (and one
 * byte per read): the decoder gives back an equal record and leaves nothing over.
 */
class CodecRoundTripTest {

    /** Decodes one message from {@code in}. */
    interface Decoder<T> {
        T read(WireIn in) throws IOException;
    }

    /** Decodes {@code bytes} split at every boundary and one byte at a time; each must equal {@code expected}. */
    static <T> void roundTrip(T expected, byte[] bytes, Decoder<T> decoder) throws IOException {
        List<Chunked> sources = new ArrayList<>();
        for (int at = 0; at <= bytes.length; at++) {
            sources.add(Chunked.splitAt(bytes, at));
        }
        sources.add(Chunked.byteByByte(bytes));
        for (Chunked source : sources) {
            WireIn in = new WireIn(source, 64); // small buffer: the growth path runs too
            T got = decoder.read(in);
            assertEquals(expected, got, "decoded " + bytes.length + " bytes");
            assertTrue(source.exhausted(), "every byte consumed");
            assertEquals(0, in.buffered(), "nothing left over");
            assertTrue(in.atEnd(), "stream at its end");
        }
    }

    static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    static ByteBuffer pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return ByteBuffer.wrap(b);
    }

    static final List<Option> OPTIONS = List.of(
            new Option.ExportName(""),
            new Option.ExportName("disk-ü"),
            new Option.Abort(),
            new Option.ListExports(),
            new Option.Info(false, "a", List.of(INFO_EXPORT, INFO_NAME, INFO_DESCRIPTION, INFO_BLOCK_SIZE)),
            new Option.Info(true, "", List.of()),
            new Option.StructuredReply(),
            new Option.MetaContext(false, "x", List.of()),
            new Option.MetaContext(true, "", List.of(BASE_ALLOCATION, "qemu:dirty-bitmap:b")),
            new Option.Unknown(OPT_STARTTLS, ByteBuffer.allocate(0)),
            new Option.Unknown(4242, bytes("opaque")));

    static final List<OptionReply> OPTION_REPLIES = List.of(
            new OptionReply.Ack(OPT_STRUCTURED_REPLY),
            new OptionReply.Server(OPT_LIST, "disk", "a test disk"),
            new OptionReply.Server(OPT_LIST, "", ""),
            new OptionReply.InfoExport(OPT_GO, 1L << 40, FLAG_HAS_FLAGS | FLAG_SEND_FAST_ZERO),
            new OptionReply.InfoName(OPT_INFO, "disk"),
            new OptionReply.InfoDescription(OPT_INFO, "described"),
            new OptionReply.InfoBlockSize(OPT_GO, 1, 4096, MAX_PAYLOAD),
            new OptionReply.InfoUnknown(OPT_GO, 42, bytes("future")),
            new OptionReply.MetaContext(OPT_SET_META_CONTEXT, 1, BASE_ALLOCATION),
            new OptionReply.Error(OPT_GO, REP_ERR_UNKNOWN, "no export named 'x'"),
            new OptionReply.Error(99, REP_ERR_UNSUP, ""));

    static final List<Request> REQUESTS = List.of(
            new Request.Read(1, 0, 0, 4096),
            new Request.Read(-1L, CMD_FLAG_DF | CMD_FLAG_FUA, Long.MIN_VALUE, 0xffffffffL),
            new Request.Write(2, CMD_FLAG_FUA, 512, pattern(1000)),
            new Request.Write(3, 0, 0, ByteBuffer.allocate(0)),
            new Request.Disconnect(4, 0),
            new Request.Flush(5, 0, 0, 0),
            new Request.Trim(6, CMD_FLAG_FUA, 1 << 20, 1 << 20),
            new Request.Cache(7, 0, 4096, 8192),
            new Request.WriteZeroes(8, CMD_FLAG_NO_HOLE | CMD_FLAG_FAST_ZERO, 0, 65536),
            new Request.BlockStatus(9, CMD_FLAG_REQ_ONE, 0, 1 << 30),
            new Request.Unknown(10, 0x8000, 4711, 1, 2));

    static final List<Reply> REPLIES = List.of(
            new Reply.Simple(1, 0, null),
            new Reply.Simple(2, 22, null),
            new Reply.Simple(3, 0, pattern(300)), // a READ: the decoder is told its length
            new Reply.None(4),
            new Reply.OffsetData(5, false, 4096, pattern(777)),
            new Reply.OffsetData(5, true, 0, pattern(1)),
            new Reply.OffsetHole(6, false, 1 << 20, 0xffffffffL),
            new Reply.BlockStatus(7, true, 1, List.of(new Reply.Descriptor(4096, STATE_HOLE | STATE_ZERO),
                    new Reply.Descriptor(0xfffff000L, 0))),
            new Reply.Error(8, true, 5, "disk on fire"),
            new Reply.Error(8, true, 22, ""),
            new Reply.ErrorOffset(9, true, 5, "bad sector", 12345),
            new Reply.UnknownChunk(10, true, REPLY_TYPE_FLAG_ERROR | 77, bytes("???")));

    @Test
    void options() throws IOException {
        for (Option o : OPTIONS) {
            roundTrip(o, Chunked.concat(HandshakeCodec.encode(o)), HandshakeCodec::readOption);
        }
    }

    @Test
    void optionReplies() throws IOException {
        for (OptionReply r : OPTION_REPLIES) {
            roundTrip(r, Chunked.concat(HandshakeCodec.encode(r)), HandshakeCodec::readOptionReply);
        }
    }

    @Test
    void greetingFlagsAndExportNameReply() throws IOException {
        int flags = FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES;
        roundTrip(flags, Chunked.concat(HandshakeCodec.greeting(flags)), HandshakeCodec::readGreeting);
        roundTrip(FLAG_C_FIXED_NEWSTYLE, Chunked.concat(HandshakeCodec.clientFlags(FLAG_C_FIXED_NEWSTYLE)),
                HandshakeCodec::readClientFlags);
        for (boolean zeroes : new boolean[] {false, true}) {
            byte[] b = Chunked.concat(HandshakeCodec.exportNameReply(1L << 33, FLAG_HAS_FLAGS, zeroes));
            assertEquals(zeroes ? 134 : 10, b.length);
            roundTrip(new OptionReply.InfoExport(OPT_EXPORT_NAME, 1L << 33, FLAG_HAS_FLAGS), b,
                    in -> HandshakeCodec.readExportNameReply(in, zeroes));
        }
    }

    @Test
    void requests() throws IOException {
        for (Request r : REQUESTS) {
            roundTrip(r, Chunked.concat(TransmissionCodec.encode(r)),
                    in -> TransmissionCodec.readRequest(in, MAX_PAYLOAD));
        }
    }

    @Test
    void replies() throws IOException {
        for (Reply r : REPLIES) {
            int readLength = r instanceof Reply.Simple s && s.data() != null ? s.data().remaining() : -1;
            roundTrip(r, Chunked.concat(TransmissionCodec.encode(r)),
                    in -> TransmissionCodec.readReply(in, handle -> readLength));
        }
    }

    @Test
    void aStreamOfMessagesDecodesInOrderWithNothingLeft() throws IOException {
        List<ByteBuffer[]> parts = new ArrayList<>();
        REQUESTS.forEach(r -> parts.add(TransmissionCodec.encode(r)));
        byte[] all = Chunked.concat(parts);
        for (int at = 0; at <= all.length; at += 7) {
            Chunked source = Chunked.splitAt(all, at);
            WireIn in = new WireIn(source, 100);
            for (Request expected : REQUESTS) {
                assertEquals(expected, TransmissionCodec.readRequest(in, MAX_PAYLOAD));
            }
            assertTrue(in.atEnd());
        }
    }

    @Test
    void aLargePayloadIsReadStraightIntoItsOwnBuffer() throws IOException {
        Request.Write w = new Request.Write(1, 0, 0, pattern(1 << 20));
        Chunked source = Chunked.splitAt(Chunked.concat(TransmissionCodec.encode(w)), 100);
        WireIn in = new WireIn(source);
        assertEquals(w, TransmissionCodec.readRequest(in, MAX_PAYLOAD));
        // header + first bytes, then the rest in one read into the payload buffer, then the end
        assertTrue(source.reads() <= 3, "reads: " + source.reads());
    }
}
