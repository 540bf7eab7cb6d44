package io.corio.blockio.nbd;

import static io.corio.blockio.nbd.NbdProto.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Option haggling, option by option, over a raw socket; and exports seen through NbdClient. */
@Timeout(30)
class HandshakeTest {
    SparseTestDriver a = new SparseTestDriver(1 << 20);
    SparseTestDriver b = new SparseTestDriver(2 << 20);
    SparseTestDriver ro = new SparseTestDriver(4096, true);
    Fixture f;

    @BeforeEach
    void start() throws Exception {
        f = new Fixture(NbdServer.builder().export("a", a, "disk a").export("b", b).export("ro", ro));
    }

    @AfterEach
    void stop() {
        f.close();
    }

    /** Replies to the last option until its final one (ACK or an error). */
    static List<OptionReply> replies(RawConnection r) throws IOException {
        List<OptionReply> out = new ArrayList<>();
        while (true) {
            OptionReply x = r.reply();
            out.add(x);
            if (x instanceof OptionReply.Ack || x instanceof OptionReply.Error) {
                return out;
            }
        }
    }

    @Test
    void greetingOffersFixedNewstyleAndNoZeroes() throws IOException {
        try (RawConnection r = new RawConnection(f.address)) {
            assertEquals(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES, r.greet(FLAG_C_FIXED_NEWSTYLE));
        }
    }

    @Test
    void listInfoUnknownOptionsAndErrorsKeepHaggling() throws IOException {
        try (RawConnection r = new RawConnection(f.address)) {
            r.greet(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES);
            r.send(new Option.ListExports());
            assertEquals(List.of(new OptionReply.Server(OPT_LIST, "a", "disk a"),
                    new OptionReply.Server(OPT_LIST, "b", ""), new OptionReply.Server(OPT_LIST, "ro", ""),
                    new OptionReply.Ack(OPT_LIST)), replies(r));

            r.send(new Option.Unknown(OPT_STARTTLS, ByteBuffer.allocate(0)));
            assertErrorType(REP_ERR_UNSUP, r.reply());
            r.send(new Option.Unknown(4711, ByteBuffer.wrap(new byte[100])));
            assertErrorType(REP_ERR_UNSUP, r.reply());

            r.send(new Option.Info(false, "nope", List.of()));
            OptionReply.Error unknown = assertErrorType(REP_ERR_UNKNOWN, r.reply());
            assertTrue(unknown.message().contains("nope"), unknown.message());

            r.send(new Option.Info(false, "a", List.of(INFO_NAME, INFO_DESCRIPTION, INFO_BLOCK_SIZE)));
            List<OptionReply> info = replies(r);
            int flags = FLAG_HAS_FLAGS | FLAG_SEND_FLUSH | FLAG_SEND_FUA | FLAG_SEND_TRIM
                    | FLAG_SEND_WRITE_ZEROES | FLAG_CAN_MULTI_CONN | FLAG_SEND_CACHE | FLAG_SEND_FAST_ZERO;
            assertEquals(List.of(new OptionReply.InfoExport(OPT_INFO, 1 << 20, flags),
                    new OptionReply.InfoName(OPT_INFO, "a"), new OptionReply.InfoDescription(OPT_INFO, "disk a"),
                    new OptionReply.InfoBlockSize(OPT_INFO, 1, 4096, MAX_PAYLOAD), new OptionReply.Ack(OPT_INFO)),
                    info);

            // meta contexts need structured replies first
            r.send(new Option.MetaContext(false, "a", List.of()));
            assertErrorType(REP_ERR_INVALID, r.reply());
            r.send(new Option.StructuredReply());
            assertEquals(new OptionReply.Ack(OPT_STRUCTURED_REPLY), r.reply());
            r.send(new Option.MetaContext(false, "a", List.of()));
            assertEquals(List.of(new OptionReply.MetaContext(OPT_LIST_META_CONTEXT, 0, BASE_ALLOCATION),
                    new OptionReply.Ack(OPT_LIST_META_CONTEXT)), replies(r));
            r.send(new Option.MetaContext(false, "a", List.of("qemu:dirty-bitmap:x")));
            assertEquals(List.of(new OptionReply.Ack(OPT_LIST_META_CONTEXT)), replies(r));
            r.send(new Option.MetaContext(true, "zzz", List.of(BASE_ALLOCATION)));
            assertErrorType(REP_ERR_UNKNOWN, r.reply());
            r.send(new Option.MetaContext(true, "b", List.of("base:", BASE_ALLOCATION)));
            assertEquals(List.of(new OptionReply.MetaContext(OPT_SET_META_CONTEXT, 1, BASE_ALLOCATION),
                    new OptionReply.Ack(OPT_SET_META_CONTEXT)), replies(r));

            // malformed GO: name length past the data
            r.send(ByteBuffer.wrap(CodecBytesTest.hex("49484156454f5054 00000007 00000006 000000ff 0000")));
            assertErrorType(REP_ERR_INVALID, r.reply());

            // GO with structured replies: DF appears among the flags; then transmission works
            r.send(new Option.Info(true, "b", List.of()));
            List<OptionReply> go = replies(r);
            assertEquals(new OptionReply.InfoExport(OPT_GO, 2 << 20, flags | FLAG_SEND_DF), go.getFirst());
            assertInstanceOf(OptionReply.Ack.class, go.getLast());
            r.send(new Request.BlockStatus(77, 0, 0, 4096));
            Reply.BlockStatus bs = assertInstanceOf(Reply.BlockStatus.class, r.transmissionReply());
            assertEquals(77, bs.handle());
            assertEquals(1, bs.contextId());
            r.send(new Request.Disconnect(78, 0));
            assertTrue(r.closedByServer());
        }
    }

    static OptionReply.Error assertErrorType(int type, OptionReply r) {
        OptionReply.Error e = assertInstanceOf(OptionReply.Error.class, r);
        assertEquals(type, e.type(), e.toString());
        return e;
    }

    @Test
    void blockStatusNeedsMetaContextOnTheSameExport() throws IOException {
        try (RawConnection r = new RawConnection(f.address)) {
            r.greet(FLAG_C_FIXED_NEWSTYLE);
            r.send(new Option.StructuredReply());
            r.reply();
            r.send(new Option.MetaContext(true, "a", List.of(BASE_ALLOCATION)));
            replies(r);
            r.send(new Option.Info(true, "b", List.of())); // a different export than the context's
            replies(r);
            r.send(new Request.BlockStatus(1, 0, 0, 4096));
            Reply.Error e = assertInstanceOf(Reply.Error.class, r.transmissionReply());
            assertEquals(22, e.error());
        }
    }

    @Test
    void exportNameWithAndWithoutZeroes() throws IOException {
        for (boolean noZeroes : new boolean[] {false, true}) {
            try (RawConnection r = new RawConnection(f.address)) {
                r.greet(FLAG_C_FIXED_NEWSTYLE | (noZeroes ? FLAG_C_NO_ZEROES : 0));
                r.send(new Option.ExportName("b"));
                OptionReply.InfoExport x = HandshakeCodec.readExportNameReply(r.in, !noZeroes);
                assertEquals(2 << 20, x.size());
                r.send(new Request.Read(5, 0, 0, 16)); // simple replies: nothing was negotiated
                Reply.Simple s = assertInstanceOf(Reply.Simple.class, TransmissionCodec.readReply(r.in, h -> 16));
                assertEquals(new Reply.Simple(5, 0, ByteBuffer.allocate(16)), s);
                assertEquals(0, r.in.buffered(), "no stray zero bytes");
            }
        }
    }

    @Test
    void whatCannotBeAnsweredClosesTheConnection() throws IOException {
        try (RawConnection r = new RawConnection(f.address)) {
            r.greet(FLAG_C_FIXED_NEWSTYLE | 1 << 7); // an unknown client flag
            assertTrue(r.closedByServer());
        }
        try (RawConnection r = new RawConnection(f.address)) {
            r.greet(FLAG_C_FIXED_NEWSTYLE);
            r.send(new Option.ExportName("no-such-export"));
            assertTrue(r.closedByServer());
        }
        try (RawConnection r = new RawConnection(f.address)) {
            r.greet(FLAG_C_FIXED_NEWSTYLE);
            r.send(new Option.Abort());
            assertEquals(new OptionReply.Ack(OPT_ABORT), r.reply());
            assertTrue(r.closedByServer());
        }
    }

    @Test
    void exportsThroughTheClient() throws IOException {
        assertEquals(1 << 20, f.connect("a").length());
        assertEquals(2 << 20, f.connect("b").length());
        assertEquals(1 << 20, f.connect("").length(), "the default export is the first one");
        NbdClient readOnly = f.connect("ro");
        assertTrue(readOnly.readOnly());
        assertEquals(FLAG_HAS_FLAGS | FLAG_READ_ONLY | FLAG_SEND_FLUSH | FLAG_CAN_MULTI_CONN
                | FLAG_SEND_CACHE | FLAG_SEND_DF, readOnly.transmissionFlags());
        NbdClient.Response w = f.co(() -> readOnly.request(CMD_WRITE, 0, 0, 1, ByteBuffer.allocate(1)));
        assertEquals(1, w.error(), "EPERM");
        assertEquals(1, f.co(() -> readOnly.request(CMD_TRIM, 0, 0, 1, null)).error());
        assertEquals(0, f.co(() -> readOnly.request(CMD_READ, 0, 0, 1, null)).error());
        IOException e = assertThrows(IOException.class, () -> f.connect("missing"));
        assertTrue(e.getMessage().contains("no export named 'missing'"), e.getMessage());
    }

    @Test
    void theEmptyNameIsAnExportOfItsOwnWhenAdded() throws Exception {
        SparseTestDriver dflt = new SparseTestDriver(8192);
        try (Fixture g = new Fixture(NbdServer.builder().export("x", a).export("", dflt))) {
            assertEquals(8192, g.connect("").length());
            assertEquals(1 << 20, g.connect("x").length());
        }
    }
}
