package io.corio.ninep.protocol;

import static io.corio.ninep.protocol.Samples.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.corio.ninep.protocol.Rmessage.Rlerror;
import io.corio.ninep.protocol.Rmessage.Rread;
import io.corio.ninep.protocol.Rmessage.Rreaddir;
import io.corio.ninep.protocol.Rmessage.Rwalk;
import io.corio.ninep.protocol.Tmessage.Tgetattr;
import io.corio.ninep.protocol.Tmessage.Tlock;
import io.corio.ninep.protocol.Tmessage.Tversion;
import io.corio.ninep.protocol.Tmessage.Twalk;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Frames checked byte for byte against layouts written by hand from diod's protocol.md. */
class CodecBytesTest {

    @Test
    void tversion() throws Exception {
        // size[4]=21 Tversion=100 tag[2]=NOTAG msize[4]=8192 version[s]="9P2000.L"
        byte[] wire = hex("15000000 64 ffff 00200000 0800 39503230 30302e4c");
        assertRequest(new Tversion(P9.NOTAG, 8192, "9P2000.L"), wire);
    }

    @Test
    void rlerror() throws Exception {
        // size[4]=11 Rlerror=7 tag[2]=1 ecode[4]=ENOENT
        assertReply(new Rlerror(1, Errno.ENOENT), hex("0b000000 07 0100 02000000"));
    }

    @Test
    void tgetattrAll() throws Exception {
        // size[4]=19 Tgetattr=24 tag[2]=1 fid[4]=0 request_mask[8]=0x3fff
        byte[] wire = hex("13000000 18 0100 00000000 ff3f000000000000");
        assertRequest(new Tgetattr(1, 0, P9.GETATTR_ALL), wire);
    }

    @Test
    void twalkTwoNames() throws Exception {
        // size[4]=27 Twalk=110 tag[2]=1 fid[4]=1 newfid[4]=2 nwname[2]=2 "usr" "lib"
        byte[] wire = hex("1b000000 6e 0100 01000000 02000000 0200 0300 757372 0300 6c6962");
        assertRequest(new Twalk(1, 1, 2, List.of("usr", "lib")), wire);
    }

    @Test
    void rwalkOneQid() throws Exception {
        // size[4]=22 Rwalk=111 tag[2]=1 nwqid[2]=1 qid: type=QTSYMLINK version=3 path=0x2c1de3
        byte[] wire = hex("16000000 6f 0100 0100 02 03000000 e31d2c0000000000");
        assertReply(new Rwalk(1, List.of(new Qid(P9.QTSYMLINK, 3, 0x2c1de3))), wire);
    }

    @Test
    void rreadHello() throws Exception {
        // size[4]=17 Rread=117 tag[2]=1 count[4]=6 "hello\n"
        byte[] wire = hex("11000000 75 0100 06000000 68656c6c6f0a");
        assertReply(new Rread(1, Samples.bytes("hello\n")), wire);
    }

    @Test
    void tlockBlockingWriteLock() throws Exception {
        // size[4]=43 Tlock=52 tag[2]=3 fid[4]=5 type[1]=WRLCK flags[4]=BLOCK start[8]=0
        // length[8]=0 proc_id[4]=4242 client_id[s]="guest"
        byte[] wire = hex("2b000000 34 0300 05000000 01 01000000 0000000000000000"
                + " 0000000000000000 92100000 0500 6775657374");
        assertRequest(new Tlock(3, 5, P9.LOCK_TYPE_WRLCK, P9.LOCK_FLAGS_BLOCK, 0, 0, 4242,
                "guest"), wire);
    }

    @Test
    void rreaddirTwoEntries() throws Exception {
        // size[4]=62 Rreaddir=41 tag[2]=5 count[4]=51, then two entries of
        // qid[13] offset[8] type[1] name[s]
        byte[] wire = hex("""
                3e000000 29 0500 33000000
                80 00000000 ac1f2c0000000000 0100000000000000 04 0100 2e
                80 07000000 0200000000000000 ffffffffffffff7f 04 0200 2e2e
                """);
        DirPacker packer = new DirPacker(51);
        packer.add(new DirEntry(new Qid(P9.QTDIR, 0, 0x2c1fac), 1, P9.DT_DIR, "."));
        packer.add(new DirEntry(new Qid(P9.QTDIR, 7, 2), Long.MAX_VALUE, P9.DT_DIR, ".."));
        assertEquals(2, packer.count());
        assertEquals(51, packer.size());
        assertReply(new Rreaddir(5, packer.data()), wire);
    }

    private static void assertRequest(Tmessage m, byte[] wire) throws Exception {
        assertArrayEquals(wire, Samples.encode(m));
        assertEquals(m, Codec.decodeT(ByteBuffer.wrap(wire)));
    }

    private static void assertReply(Rmessage m, byte[] wire) throws Exception {
        assertArrayEquals(wire, Samples.encode(m));
        assertEquals(m, Codec.decodeR(ByteBuffer.wrap(wire)));
    }
}
