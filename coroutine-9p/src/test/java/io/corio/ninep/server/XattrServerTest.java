package io.corio.ninep.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.ninep.client.NinepError;
import io.corio.ninep.fs.Backend;
import io.corio.ninep.fs.SecurityModel;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.Rmessage.*;
import io.corio.ninep.protocol.Tmessage.*;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Txattrcreate through {@code NinepClient}, as the Linux client uses it: clone a fid, make it
 * an xattr writer, write the value, clunk to set it; size 0 removes. Read back by Txattrwalk.
 */
@Timeout(30)
class XattrServerTest {
    @TempDir
    Path dir;

    private Path export;
    private final List<Backend> backends = new ArrayList<>();
    private NinepServer server;
    private Conn c;

    @BeforeEach
    void start() throws Exception {
        export = Files.createDirectory(dir.resolve("export"));
        Path mapped = Files.createDirectory(dir.resolve("mapped"));
        Path readonly = Files.createDirectory(dir.resolve("readonly"));
        Files.writeString(readonly.resolve("f"), "x");
        server = NinepServer.builder()
                .export("mem", backend(Backend.memory()))
                .export("local", backend(Backend.local(export, SecurityModel.NONE, false)))
                .export("mapped", backend(Backend.local(mapped, SecurityModel.MAPPED_XATTR, false)))
                .export("readonly", backend(Backend.local(readonly, SecurityModel.NONE, true)))
                .build();
        SocketAddress tcp = server.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        c = new Conn(tcp);
    }

    private Backend backend(Backend b) {
        backends.add(b);
        return b;
    }

    @AfterEach
    void stop() throws Exception {
        c.close();
        server.close();
        for (Backend b : backends) {
            b.close();
        }
    }

    /** Attaches fid 0 to {@code aname} and makes fid 1 a new file "f" there. */
    private void fileIn(String aname) throws Exception {
        c.attach(0, aname);
        c.walk(0, 1);
        c.lcreate(1, "f");
    }

    private void xattrcreate(int fid, String name, long size, int flags) throws Exception {
        c.c.call(Rxattrcreate.class, t -> new Txattrcreate(t, fid, name, size, flags));
    }

    private int writeBytes(int fid, long offset, byte[] data) throws Exception {
        return c.c.call(Rwrite.class, t -> new Twrite(t, fid, offset, ByteBuffer.wrap(data))).count();
    }

    /** setxattr as the Linux client does it, through a fresh fid {@code 10} on "f". */
    private void setxattr(String name, byte[] value, int flags) throws Exception {
        c.walk(0, 10, "f");
        xattrcreate(10, name, value.length, flags);
        if (value.length > 0) {
            assertEquals(value.length, writeBytes(10, 0, value));
        }
        c.clunk(10);
    }

    /** getxattr through Txattrwalk on "f" and Tread of the value. */
    private byte[] getxattr(String name) throws Exception {
        c.walk(0, 11, "f");
        try {
            long size = c.c.call(Rxattrwalk.class, t -> new Txattrwalk(t, 11, 12, name)).size();
            ByteBuffer data = c.c.call(Rread.class, t -> new Tread(t, 12, 0, (int) size + 10)).data();
            c.clunk(12);
            byte[] out = new byte[data.remaining()];
            data.get(out);
            assertEquals(size, out.length);
            return out;
        } finally {
            c.clunk(11);
        }
    }

    private List<String> listxattr() throws Exception {
        String all = new String(getxattr(""), StandardCharsets.UTF_8);
        return all.isEmpty() ? List.of() : Arrays.asList(all.split("\0"));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void assertErrno(int errno, Executable call) {
        NinepError e = assertThrows(NinepError.class, call);
        assertEquals(Errno.name(errno), Errno.name(e.errno()), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mem", "local", "mapped"})
    void setReplaceCreateAndRemove(String aname) throws Exception {
        fileIn(aname);
        setxattr("user.color", bytes("blue"), 0);
        assertArrayEquals(bytes("blue"), getxattr("user.color"));
        assertTrue(listxattr().contains("user.color"), listxattr().toString());

        setxattr("user.color", bytes("green"), P9.XATTR_REPLACE);
        assertArrayEquals(bytes("green"), getxattr("user.color"));
        assertErrno(Errno.EEXIST, () -> setxattr("user.color", bytes("red"), P9.XATTR_CREATE));
        assertArrayEquals(bytes("green"), getxattr("user.color"));
        assertErrno(Errno.ENODATA, () -> setxattr("user.none", bytes("x"), P9.XATTR_REPLACE));
        setxattr("user.new", bytes("1"), P9.XATTR_CREATE);
        assertArrayEquals(bytes("1"), getxattr("user.new"));

        setxattr("user.color", new byte[0], P9.XATTR_REPLACE); // the Linux client's removexattr
        assertErrno(Errno.ENODATA, () -> getxattr("user.color"));
        assertFalse(listxattr().contains("user.color"));
        assertErrno(Errno.ENODATA, () -> setxattr("user.color", new byte[0], P9.XATTR_REPLACE));
    }

    /** Writes {@code value} to fid 10 in pieces of {@code chunk} bytes. */
    private void writeInChunks(byte[] value, int chunk) throws Exception {
        for (int at = 0; at < value.length; at += chunk) {
            byte[] part = Arrays.copyOfRange(value, at, Math.min(value.length, at + chunk));
            assertEquals(part.length, writeBytes(10, at, part));
        }
    }

    @Test
    void theLargestValueInSeveralWritesAndReads() throws Exception {
        fileIn("mem");
        byte[] value = new byte[P9.XATTR_SIZE_MAX];
        new java.util.Random(7).nextBytes(value);
        c.walk(0, 10, "f");
        xattrcreate(10, "user.big", value.length, 0);
        writeInChunks(value, 16000); // the msize of Conn is 64 KiB
        c.clunk(10);
        c.walk(0, 11, "f");
        assertEquals(value.length, c.c.call(Rxattrwalk.class,
                t -> new Txattrwalk(t, 11, 12, "user.big")).size());
        ByteBuffer back = ByteBuffer.allocate(value.length);
        while (back.hasRemaining()) {
            long at = back.position();
            back.put(c.c.call(Rread.class, t -> new Tread(t, 12, at, 16000)).data());
        }
        assertArrayEquals(value, back.array());
    }

    @Test
    void valueInSeveralWritesReachesTheHostFile() throws Exception {
        fileIn("local");
        byte[] value = new byte[3000]; // ext4 keeps a file's xattrs in one 4 KiB block
        new java.util.Random(7).nextBytes(value);
        c.walk(0, 10, "f");
        xattrcreate(10, "user.blob", value.length, 0);
        writeInChunks(value, 1000);
        c.clunk(10);
        UserDefinedFileAttributeView view = Files.getFileAttributeView(export.resolve("f"),
                UserDefinedFileAttributeView.class);
        ByteBuffer onHost = ByteBuffer.allocate(value.length + 1);
        view.read("blob", onHost); // Java names user.* attributes without the prefix
        assertArrayEquals(value, Arrays.copyOf(onHost.array(), onHost.position()));
    }

    @Test
    void wrongSizesFlagsAndOffsetsAreRefused() throws Exception {
        fileIn("mem");
        c.walk(0, 10, "f");
        assertErrno(Errno.E2BIG, () -> xattrcreate(10, "user.x", P9.XATTR_SIZE_MAX + 1, 0));
        assertErrno(Errno.E2BIG, () -> xattrcreate(10, "user.x", -1, 0)); // 2^64 - 1
        assertErrno(Errno.EINVAL, () -> xattrcreate(10, "user.x", 1, 4));
        assertErrno(Errno.EINVAL, () -> xattrcreate(10, "user.x", 1,
                P9.XATTR_CREATE | P9.XATTR_REPLACE));
        assertErrno(Errno.EINVAL, () -> xattrcreate(1, "user.x", 1, 0)); // fid 1 is open
        assertErrno(Errno.EBADF, () -> xattrcreate(42, "user.x", 1, 0));

        xattrcreate(10, "user.short", 5, 0);
        assertErrno(Errno.EINVAL, () -> writeBytes(10, 1, bytes("x"))); // not where it ended
        assertErrno(Errno.ENOSPC, () -> writeBytes(10, 0, bytes("123456"))); // past the size
        assertEquals(3, writeBytes(10, 0, bytes("123")));
        assertErrno(Errno.ENOSPC, () -> writeBytes(10, 3, bytes("456")));
        assertErrno(Errno.EINVAL, () -> c.clunk(10)); // 3 of 5 bytes: nothing set
        assertErrno(Errno.EBADF, () -> c.clunk(10)); // the fid is gone all the same
        assertErrno(Errno.ENODATA, () -> getxattr("user.short"));

        c.walk(0, 10, "f");
        xattrcreate(10, "user.x", 1, 0);
        assertErrno(Errno.EBADF, () -> c.walk(10, 13)); // nothing else uses the fid meanwhile
        assertErrno(Errno.EBADF, () -> c.read(10, 0, 1));
        assertErrno(Errno.EBADF, () -> xattrcreate(10, "user.y", 1, 0));
        assertErrno(Errno.EINVAL, () -> c.clunk(10)); // 0 of 1 byte written
        assertErrno(Errno.ENODATA, () -> getxattr("user.x"));
    }

    @Test
    void mappedXattrKeepsItsOwnAttributesFromClients() throws Exception {
        fileIn("mapped");
        assertErrno(Errno.EACCES, () -> setxattr("user.virtfs.uid", bytes("\0\0\0\0"), 0));
        assertErrno(Errno.EACCES, () -> setxattr("user.virtfs.mode", new byte[0], 0));
        assertErrno(Errno.EOPNOTSUPP, () -> setxattr("trusted.x", bytes("1"), 0));
        assertFalse(listxattr().stream().anyMatch(n -> n.startsWith("user.virtfs.")));
        assertEquals(1000, c.c.call(Rgetattr.class,
                t -> new Tgetattr(t, 1, P9.GETATTR_BASIC)).attr().uid()); // still the client's
    }

    @Test
    void readOnlyExportRefusesAtOnce() throws Exception {
        c.attach(0, "readonly");
        c.walk(0, 10, "f");
        assertErrno(Errno.EROFS, () -> xattrcreate(10, "user.x", 1, 0));
        assertErrno(Errno.EROFS, () -> xattrcreate(10, "user.x", 0, P9.XATTR_REPLACE));
    }

    /** Only an explicit Tclunk sets the value: Tversion drops what a fid was writing. */
    @Test
    void versionDropsAnUnclunkedValue() throws Exception {
        fileIn("mem");
        c.walk(0, 10, "f");
        xattrcreate(10, "user.pending", 2, 0);
        writeBytes(10, 0, bytes("ok"));
        c.c.version(64 * 1024);
        c.attach(0, "mem");
        assertErrno(Errno.ENODATA, () -> getxattr("user.pending"));
    }
}
