package io.corio.ninep.protocol;

import io.corio.ninep.protocol.Rmessage.*;
import io.corio.ninep.protocol.Tmessage.*;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;

/** One message of every type, with values that exercise every field, and byte helpers. */
final class Samples {
    private Samples() {}

    static final Qid DIR = new Qid(P9.QTDIR, 0, 0x2c1facL);
    static final Qid FILE = new Qid(P9.QTFILE, 0xFFFF_FFFF, -1L);
    static final Qid LINK = new Qid(P9.QTSYMLINK, 7, 0x1234_5678_9abc_def0L);

    static final Attr ATTR = new Attr(P9.GETATTR_ALL, FILE, 0100644, 1000, 1000, 1, 0, 6, 4096,
            8, 1_700_000_000L, 123_456_789L, 1_700_000_001L, 1L, 1_700_000_002L, 999_999_999L,
            0, 0, 0, 0);

    static List<Tmessage> requests() {
        return List.of(
                new Tversion(P9.NOTAG, 8192, P9.VERSION_9P2000_L),
                new Tauth(1, 7, "nobody", "", P9.NONUNAME),
                new Tattach(2, 0, P9.NOFID, "root", "/export", 0),
                new Tflush(3, 65534),
                new Twalk(4, 1, 2, List.of()),
                new Twalk(5, 1, 2, List.of("usr", "share", "doc", "Ünïcødé ✓")),
                new Twalk(6, 1, 2, List.of("a", "b", "c", "d", "e", "f", "g", "h",
                        "i", "j", "k", "l", "m", "n", "o", "p")),
                new Tread(7, 3, 1L << 40, 0xFFFF_FFFF),
                new Twrite(8, 3, 0, bytes("hello\n")),
                new Twrite(9, 3, -1L, ByteBuffer.allocate(0)),
                new Tclunk(10, 3),
                new Tremove(11, 4),
                new Tstatfs(12, 0),
                new Tlopen(13, 2, 0304000),
                new Tlcreate(14, 2, "foo", 0x8241, 0100644, 500),
                new Tsymlink(15, 1, "newsymlink", "/tmp/9/newdir", 500),
                new Tmknod(16, 1, "fifo", 010644, 0, 0, 500),
                new Tmknod(17, 1, "sda", 060600, 8, 0xFFFF_FFFF, 6),
                new Trename(18, 4, 1, "renamed"),
                new Treadlink(19, 4),
                new Tgetattr(20, 0, P9.GETATTR_ALL),
                new Tgetattr(21, 0, -1L),
                new Tsetattr(22, 2, new SetAttr(P9.SETATTR_MODE | P9.SETATTR_CTIME, 040000,
                        0, 0, 0, 0, 0, 0, 0)),
                new Tsetattr(23, 2, new SetAttr(0x1FF, 0777, 1, 2, 1L << 33, 3, 4, 5, 6)),
                new Txattrwalk(24, 3, 9, "security.capability"),
                new Txattrwalk(25, 3, 9, ""),
                new Txattrcreate(26, 3, "user.comment", 42, P9.XATTR_CREATE),
                new Treaddir(27, 2, 0, 65488),
                new Treaddir(28, 2, Long.MAX_VALUE, 131048),
                new Tfsync(29, 5, 0),
                new Tfsync(30, 5, 1),
                new Tlock(31, 5, P9.LOCK_TYPE_WRLCK, P9.LOCK_FLAGS_BLOCK, 0, 0, 4242, "guest"),
                new Tlock(32, 5, P9.LOCK_TYPE_UNLCK, 0, 100, 200, 1, ""),
                new Tgetlock(33, 5, P9.LOCK_TYPE_RDLCK, 10, 20, 77, "host.example"),
                new Tlink(34, 1, 5, "hardlink"),
                new Tmkdir(35, 1, "newdir", 040755, 500),
                new Trenameat(36, 1, "old", 6, "new"),
                new Tunlinkat(37, 1, "gone", 0),
                new Tunlinkat(38, 1, "gonedir", P9.AT_REMOVEDIR));
    }

    static List<Rmessage> replies() {
        return List.of(
                new Rlerror(1, Errno.ENOENT),
                new Rlerror(2, Errno.EOPNOTSUPP),
                new Rversion(P9.NOTAG, 8192, P9.VERSION_9P2000_L),
                new Rversion(P9.NOTAG, 8192, P9.VERSION_UNKNOWN),
                new Rauth(3, new Qid(P9.QTAUTH, 0, 1)),
                new Rattach(4, DIR),
                new Rflush(5),
                new Rwalk(6, List.of()),
                new Rwalk(7, List.of(DIR, FILE, LINK)),
                new Rread(8, bytes("hello\n")),
                new Rread(9, ByteBuffer.allocate(0)),
                new Rread(10, ByteBuffer.allocateDirect(3000).put(0, (byte) 7)),
                new Rwrite(11, 6),
                new Rwrite(12, 0xFFFF_FFFF),
                new Rclunk(13),
                new Rremove(14),
                new Rstatfs(15, new StatFs(0x01021994, 4096, 1L << 40, 12345, 12000, 1 << 20,
                        1 << 19, 0x1234_5678_9abc_def0L, 255)),
                new Rlopen(16, DIR, 0),
                new Rlcreate(17, FILE, 4096),
                new Rsymlink(18, LINK),
                new Rmknod(19, FILE),
                new Rrename(20),
                new Rreadlink(21, "/tmp/9/newdir"),
                new Rreadlink(22, ""),
                new Rgetattr(23, ATTR),
                new Rsetattr(24),
                new Rxattrwalk(25, 0),
                new Rxattrwalk(26, -1L),
                new Rxattrcreate(27),
                new Rreaddir(28, ByteBuffer.allocate(0)),
                new Rreaddir(29, dirData()),
                new Rfsync(30),
                new Rlock(31, P9.LOCK_SUCCESS),
                new Rlock(32, P9.LOCK_BLOCKED),
                new Rgetlock(33, P9.LOCK_TYPE_UNLCK, 10, 20, 77, "host.example"),
                new Rlink(34),
                new Rmkdir(35, DIR),
                new Rrenameat(36),
                new Runlinkat(37));
    }

    static List<DirEntry> dirEntries() {
        return List.of(new DirEntry(DIR, 1, P9.DT_DIR, "."),
                new DirEntry(DIR, 2, P9.DT_DIR, ".."),
                new DirEntry(FILE, 3, P9.DT_REG, "file"),
                new DirEntry(LINK, Long.MAX_VALUE, P9.DT_LNK, "lïnk"));
    }

    static ByteBuffer dirData() {
        DirPacker packer = new DirPacker(1024);
        for (DirEntry e : dirEntries()) {
            if (!packer.add(e)) {
                throw new AssertionError(e);
            }
        }
        return packer.data();
    }

    static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Bytes from hex digits; spaces and newlines are ignored. */
    static byte[] hex(String digits) {
        return HexFormat.of().parseHex(digits.replaceAll("\\s+", ""));
    }

    static byte[] encode(Tmessage m) {
        ByteBuffer out = ByteBuffer.allocate(Codec.size(m));
        Codec.encode(m, out);
        return out.array();
    }

    static byte[] encode(Rmessage m) {
        ByteBuffer out = ByteBuffer.allocate(Codec.size(m));
        Codec.encode(m, out);
        return out.array();
    }

    /** {@code frame} cut or extended to {@code length} bytes, with its size field fixed up. */
    static byte[] resized(byte[] frame, int length) {
        byte[] b = java.util.Arrays.copyOf(frame, length);
        ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0, length);
        return b;
    }
}
