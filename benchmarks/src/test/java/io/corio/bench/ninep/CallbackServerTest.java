package io.corio.bench.ninep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.ninep.client.NinepClient;
import io.corio.ninep.client.NinepError;
import io.corio.ninep.fs.Backend;
import io.corio.ninep.fs.Handle;
import io.corio.ninep.fs.Owner;
import io.corio.ninep.fs.SecurityModel;
import io.corio.ninep.protocol.Codec;
import io.corio.ninep.protocol.DirEntry;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.Qid;
import io.corio.ninep.protocol.Rmessage.*;
import io.corio.ninep.protocol.Tmessage.*;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The callback-style server against {@link NinepClient}, on an in-memory export (called in
 * place: the post-ops run at once) and a local directory (every back-end call goes through the
 * WorkerPool and comes back as a post-op): the read path, multi-name and partial walks, the
 * errors, the {@code ctl} export, Tversion's reset and many requests of several threads at once.
 */
@Timeout(60)
class CallbackServerTest {
    private static final int ROOT = 1;

    @TempDir
    Path dir;

    private Backend backend;
    private CallbackServer server;
    private SocketAddress address;
    private final List<NinepClient> clients = new ArrayList<>();

    /** Starts a server on a tree holding directories {@code d/e}, made through the back end. */
    private void start(String kind) throws Exception {
        backend = kind.equals("memory") ? Backend.memory() : Backend.local(dir, SecurityModel.NONE, false);
        try (Handle root = backend.root()) {
            backend.mkdir(root, "d", 0755, new Owner(-1, -1));
            try (Handle d = backend.walk(root, "d")) {
                backend.mkdir(d, "e", 0755, new Owner(-1, -1));
            }
        }
        server = CallbackServer.create(Map.of("/x", backend), 64 * 1024);
        address = server.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @AfterEach
    void stop() throws Exception {
        for (NinepClient c : clients) {
            c.close();
        }
        if (server != null) {
            server.close();
            backend.close();
        }
    }

    private NinepClient connect() throws Exception {
        NinepClient c = NinepClient.connect(address);
        clients.add(c);
        assertEquals(64 * 1024, c.version(1024 * 1024).msize());
        return c;
    }

    private static Qid attach(NinepClient c, int fid, String aname) throws Exception {
        return c.call(Rattach.class, t -> new Tattach(t, fid, P9.NOFID, "nobody", aname, 1000)).qid();
    }

    private static List<Qid> walk(NinepClient c, int fid, int newfid, String... names) throws Exception {
        return c.call(Rwalk.class, t -> new Twalk(t, fid, newfid, List.of(names))).qids();
    }

    private static void lopen(NinepClient c, int fid, int flags) throws Exception {
        c.call(Rlopen.class, t -> new Tlopen(t, fid, flags));
    }

    private static int write(NinepClient c, int fid, long offset, byte[] data) throws Exception {
        return c.call(Rwrite.class, t -> new Twrite(t, fid, offset, ByteBuffer.wrap(data))).count();
    }

    private static byte[] read(NinepClient c, int fid, long offset, int count) throws Exception {
        ByteBuffer data = c.call(Rread.class, t -> new Tread(t, fid, offset, count)).data();
        byte[] b = new byte[data.remaining()];
        data.get(b);
        return b;
    }

    private static long size(NinepClient c, int fid) throws Exception {
        return c.call(Rgetattr.class, t -> new Tgetattr(t, fid, P9.GETATTR_BASIC)).attr().size();
    }

    private static void clunk(NinepClient c, int fid) throws Exception {
        c.call(Rclunk.class, t -> new Tclunk(t, fid));
    }

    private static List<String> readdir(NinepClient c, int fid) throws Exception {
        List<String> names = new ArrayList<>();
        long offset = 0;
        while (true) {
            long at = offset;
            ByteBuffer data = c.call(Rreaddir.class, t -> new Treaddir(t, fid, at, 60)).data();
            List<DirEntry> entries = Codec.decodeDirEntries(data);
            if (entries.isEmpty()) {
                return names;
            }
            for (DirEntry e : entries) {
                names.add(e.name());
                offset = e.offset();
            }
        }
    }

    /** The names in directory fid {@code fid} other than . and .., through a clone of it. */
    private static List<String> readdirNames(NinepClient c, int fid) throws Exception {
        walk(c, fid, 77);
        lopen(c, 77, P9.DOTL_RDONLY);
        List<String> names = new ArrayList<>(readdir(c, 77));
        clunk(c, 77);
        names.removeAll(List.of(".", ".."));
        return names;
    }

    private static void assertErrno(int errno, Executable call) {
        NinepError e = assertThrows(NinepError.class, call::run);
        assertEquals(Errno.name(errno), Errno.name(e.errno()), e.getMessage());
    }

    @FunctionalInterface
    private interface Executable {
        void run() throws Exception;
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "local"})
    void createWriteReadBack(String kind) throws Exception {
        start(kind);
        NinepClient c = connect();
        assertEquals(P9.QTDIR, attach(c, ROOT, "/x").type());
        assertEquals(List.of(), walk(c, ROOT, 2)); // clone
        c.call(Rlcreate.class, t -> new Tlcreate(t, 2, "a", P9.DOTL_RDWR, 0644, 1000));
        byte[] hello = "hello, callbacks".getBytes(StandardCharsets.UTF_8);
        assertEquals(hello.length, write(c, 2, 0, hello));
        assertArrayEquals(hello, read(c, 2, 0, 100));
        assertEquals(hello.length, size(c, 2));
        clunk(c, 2);

        assertEquals(1, walk(c, ROOT, 3, "a").size());
        lopen(c, 3, P9.DOTL_RDONLY);
        assertArrayEquals("callbacks".getBytes(StandardCharsets.UTF_8), read(c, 3, 7, 100));
        assertArrayEquals(new byte[0], read(c, 3, 100, 100));
        clunk(c, 3);

        walk(c, ROOT, 4);
        lopen(c, 4, P9.DOTL_RDONLY | P9.DOTL_DIRECTORY);
        List<String> names = readdir(c, 4);
        assertTrue(names.containsAll(List.of(".", "..", "a", "d")), names.toString());
        assertEquals(4, names.size(), names.toString());
        clunk(c, 4);
        assertTrue(c.call(Rstatfs.class, t -> new Tstatfs(t, ROOT)).statfs().bsize() > 0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "local"})
    void multiNameAndPartialWalks(String kind) throws Exception {
        start(kind);
        NinepClient c = connect();
        attach(c, ROOT, "/x");
        List<Qid> qids = walk(c, ROOT, 2, "d", "e");
        assertEquals(2, qids.size());
        assertTrue(qids.stream().allMatch(q -> q.type() == P9.QTDIR), qids.toString());
        c.call(Rlcreate.class, t -> new Tlcreate(t, 2, "f", P9.DOTL_WRONLY, 0644, 1000));
        write(c, 2, 0, new byte[] {1, 2, 3});
        clunk(c, 2);
        assertEquals(3, walk(c, ROOT, 3, "d", "e", "f").size());
        assertEquals(3, size(c, 3));
        walk(c, ROOT, 5, "d", "e");
        assertEquals(2, walk(c, 5, 5, "..", "..").size()); // onto itself: fid 5 is the root again
        assertEquals(List.of("d"), readdirNames(c, 5));

        assertEquals(1, walk(c, ROOT, 4, "d", "nope", "x").size()); // partial: newfid not bound
        assertErrno(Errno.EBADF, () -> size(c, 4));
        assertErrno(Errno.ENOENT, () -> walk(c, ROOT, 4, "nope", "d"));
        assertErrno(Errno.EBADF, () -> size(c, 4));
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "local"})
    void errors(String kind) throws Exception {
        start(kind);
        NinepClient c = connect();
        assertErrno(Errno.ENOENT, () -> c.call(Rauth.class, t -> new Tauth(t, 9, "nobody", "/x", 1000)));
        assertErrno(Errno.ENOENT, () -> attach(c, ROOT, "/nowhere"));
        attach(c, ROOT, "/x");
        assertErrno(Errno.EBADF, () -> attach(c, ROOT, "/x")); // fid in use
        assertErrno(Errno.EBADF, () -> size(c, 99));
        assertErrno(Errno.EBADF, () -> clunk(c, 99));
        assertErrno(Errno.EBADF, () -> walk(c, 99, 100, "d"));
        walk(c, ROOT, 2);
        assertErrno(Errno.EBADF, () -> walk(c, 2, ROOT, "d")); // a new fid already in use
        assertErrno(Errno.ENOENT, () -> walk(c, 2, 3, "missing"));
        assertErrno(Errno.EOPNOTSUPP, () -> read(c, 2, 0, 10)); // a directory
        assertErrno(Errno.EOPNOTSUPP, () -> c.call(Rmkdir.class, t -> new Tmkdir(t, 2, "m", 0755, 1000)));
        assertErrno(Errno.EOPNOTSUPP, () -> c.call(Rflush.class, t -> new Tflush(t, 7)));
        assertErrno(Errno.EEXIST, () -> c.call(Rlcreate.class,
                t -> new Tlcreate(t, 2, "d", P9.DOTL_RDWR | P9.DOTL_EXCL, 0644, 1000)));
        clunk(c, 2);
        assertErrno(Errno.EBADF, () -> clunk(c, 2));
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "local"})
    void versionClunksEveryFid(String kind) throws Exception {
        start(kind);
        NinepClient c = connect();
        attach(c, ROOT, "/x");
        walk(c, ROOT, 2, "d");
        assertEquals(8192, c.version(8192).msize());
        assertErrno(Errno.EBADF, () -> size(c, ROOT));
        assertErrno(Errno.EBADF, () -> size(c, 2));
        attach(c, ROOT, ""); // the only export
        assertEquals(1, walk(c, ROOT, 2, "d").size());
        c.close(); // the connection ends: its fids are clunked, the connection forgotten
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (server.connectionCount() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, server.connectionCount());
    }

    @Test
    void ctlZeroAndNull() throws Exception {
        start("memory");
        NinepClient c = connect();
        attach(c, ROOT, "ctl");
        walk(c, ROOT, 2, "zero");
        lopen(c, 2, P9.DOTL_RDONLY);
        assertArrayEquals(new byte[8192], read(c, 2, 1L << 40, 8192));
        walk(c, ROOT, 3, "null");
        lopen(c, 3, P9.DOTL_WRONLY);
        assertEquals(10_000, write(c, 3, 0, new byte[10_000])); // a pooled frame
        walk(c, ROOT, 4, "stats");
        lopen(c, 4, P9.DOTL_RDONLY);
        String stats = new String(read(c, 4, 0, 4096), StandardCharsets.UTF_8);
        assertTrue(stats.contains("bytes-written 10000\n"), stats);
        assertTrue(stats.contains("bytes-read 8192\n"), stats);
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "local"})
    void manyThreadsAtOnce(String kind) throws Exception {
        start(kind);
        NinepClient setup = connect();
        attach(setup, ROOT, "/x");
        setup.call(Rlcreate.class, t -> new Tlcreate(t, ROOT, "data", P9.DOTL_RDWR, 0644, 1000));
        byte[] data = new byte[60_000]; // one Twrite within the msize
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31);
        }
        assertEquals(data.length, write(setup, ROOT, 0, data));
        NinepClient c = connect(); // every thread shares one connection: requests overlap
        attach(c, ROOT, "/x");
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int base = 1000 * (t + 1);
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 0; i < 50; i++) {
                        int fid = base + i;
                        walk(c, ROOT, fid, "data");
                        lopen(c, fid, P9.DOTL_RDONLY);
                        int offset = (i * 1_777) % data.length;
                        byte[] got = read(c, fid, offset, 4096);
                        byte[] want = java.util.Arrays.copyOfRange(data, offset, Math.min(data.length, offset + 4096));
                        assertArrayEquals(want, got);
                        assertEquals(data.length, size(c, fid));
                        clunk(c, fid);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }
}
