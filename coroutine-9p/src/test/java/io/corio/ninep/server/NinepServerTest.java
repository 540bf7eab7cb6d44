package io.corio.ninep.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.ninep.client.NinepError;
import io.corio.ninep.fs.Backend;
import io.corio.ninep.fs.SecurityModel;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.Qid;
import io.corio.ninep.protocol.Rmessage;
import io.corio.ninep.protocol.Rmessage.*;
import io.corio.ninep.protocol.Tmessage.*;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** The server end to end through {@code NinepClient}, over loopback TCP and a Unix socket. */
@Timeout(30)
class NinepServerTest {
    @TempDir
    Path dir;

    private Backend memory;
    private Backend local;
    private Backend slow;
    private final CountDownLatch gate = new CountDownLatch(1);
    private NinepServer server;
    private SocketAddress tcp;
    private SocketAddress unix;
    private final List<Conn> conns = new ArrayList<>();

    /** How the server's connections run; a subclass runs every case another way. */
    NinepServer.Builder connections(NinepServer.Builder b) {
        return b;
    }

    @BeforeEach
    void start() throws Exception {
        Path export = Files.createDirectory(dir.resolve("export"));
        memory = Backend.memory();
        local = Backend.local(export, SecurityModel.NONE, false);
        slow = gated(Backend.memory(), gate);
        server = connections(NinepServer.builder().export("mem", memory).export("/export", local)
                .export("slow", slow).maxRequests(32)).build();
        tcp = server.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        unix = server.listen(UnixDomainSocketAddress.of(dir.resolve("9p.sock")));
    }

    @AfterEach
    void stop() throws Exception {
        gate.countDown();
        for (Conn c : conns) {
            c.close();
        }
        server.close();
        memory.close();
        local.close();
        slow.close();
    }

    private Conn connect(SocketAddress where) throws Exception {
        Conn c = new Conn(where);
        conns.add(c);
        return c;
    }

    /** A back end whose {@code read} waits for {@code gate}: a request that stays in flight. */
    private static Backend gated(Backend inner, CountDownLatch gate) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(),
                new Class<?>[] {Backend.class}, (proxy, m, args) -> {
                    if (m.getName().equals("mayBlock")) {
                        return true; // its reads wait for the gate
                    }
                    if (m.getName().equals("read")) {
                        gate.await();
                    }
                    try {
                        return m.invoke(inner, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static void assertErrno(int errno, Executable call) {
        NinepError e = assertThrows(NinepError.class, call);
        assertEquals(Errno.name(errno), Errno.name(e.errno()), e.getMessage());
    }

    /** The file operations a client does most, against {@code aname}; returns nothing on success. */
    private void fileOperations(Conn c, String aname) throws Exception {
        Qid root = c.attach(0, aname);
        assertTrue((root.type() & P9.QTDIR) != 0);
        assertEquals(List.of(), c.walk(0, 1));
        Qid d = c.mkdir(1, "d");
        assertEquals(List.of(d), c.walk(0, 2, "d"));
        c.lcreate(2, "f");
        assertEquals(5, c.write(2, 0, "hello"));
        assertEquals(6, c.write(2, 5, " world"));
        assertEquals("hello world", c.read(2, 0, 100));
        assertEquals("world", c.read(2, 6, 5));
        assertEquals(11, c.size(2));
        c.clunk(2);

        c.walk(0, 3, "d");
        c.lopen(3, P9.DOTL_RDONLY | P9.DOTL_DIRECTORY);
        assertEquals(List.of(".", "..", "f"), c.readdir(3).stream().sorted().toList());
        c.clunk(3);

        c.renameat(0, "d", 0, "e");
        assertErrno(Errno.ENOENT, () -> c.walk(0, 4, "d"));
        List<Qid> walked = c.walk(0, 4, "e", "f");
        assertEquals(2, walked.size());
        c.lopen(4, P9.DOTL_RDONLY);
        assertEquals("hello", c.read(4, 0, 5));
        c.walk(0, 5, "e");
        c.unlinkat(5, "f", 0);
        assertEquals("hello", c.read(4, 0, 5)); // the open fid keeps the unlinked file
        c.unlinkat(0, "e", P9.AT_REMOVEDIR);
        assertErrno(Errno.ENOENT, () -> c.walk(0, 6, "e"));
        c.clunk(4);
        c.clunk(5);
        c.clunk(1);
        c.clunk(0);
    }

    @Test
    void fileOperationsOnMemoryExportOverTcp() throws Exception {
        fileOperations(connect(tcp), "mem");
    }

    @Test
    void fileOperationsOnLocalExportOverUnixSocket() throws Exception {
        Conn c = connect(unix);
        c.attach(0, "/export");
        c.walk(0, 1);
        c.lcreate(1, "seen-on-host");
        c.write(1, 0, "from 9p");
        c.clunk(1);
        assertEquals("from 9p", Files.readString(dir.resolve("export/seen-on-host")));
        c.clunk(0);
        fileOperations(c, "/export");
    }

    @Test
    void errors() throws Exception {
        Conn c = connect(tcp);
        assertErrno(Errno.ENOENT, () -> c.c.call(Rauth.class,
                t -> new Tauth(t, 9, "nobody", "mem", 1000)));
        assertErrno(Errno.ENOENT, () -> c.attach(0, "no-such-export"));
        c.attach(0, "mem");
        assertErrno(Errno.EBADF, () -> c.attach(0, "mem")); // fid in use
        assertErrno(Errno.EBADF, () -> c.walk(42, 43, "x"));
        assertErrno(Errno.EBADF, () -> c.clunk(42));
        assertErrno(Errno.EBADF, () -> c.size(42));
        assertErrno(Errno.ENOENT, () -> c.walk(0, 1, "missing"));
        assertErrno(Errno.EINVAL, () -> c.walk(0, 1, "a/b"));
        assertErrno(Errno.EINVAL, () -> c.walk(0, 1, ""));
        c.mkdir(0, "d");
        assertErrno(Errno.EEXIST, () -> c.mkdir(0, "d"));
        c.walk(0, 1, "d");
        c.lcreate(1, "file");
        c.clunk(1);
        assertEquals(2, c.walk(0, 1, "d", "file", "below").size()); // partial: no fid 1
        c.walk(0, 1, "d", "file");
        assertErrno(Errno.ENOTDIR, () -> c.walk(1, 3, "below"));
        assertErrno(Errno.ENOTEMPTY, () -> c.unlinkat(0, "d", P9.AT_REMOVEDIR));
        c.walk(0, 2);
        assertErrno(Errno.EBADF, () -> c.walk(0, 2, "d")); // newfid in use
        c.lopen(2, P9.DOTL_RDONLY | P9.DOTL_DIRECTORY);
        assertErrno(Errno.EOPNOTSUPP, () -> c.read(2, 0, 10));
        assertErrno(Errno.ENODATA, () -> c.c.call(Rxattrwalk.class,
                t -> new Txattrwalk(t, 0, 7, "security.capability")));
    }

    @Test
    void partialWalkReturnsTheQidsWalkedAndMakesNoNewFid() throws Exception {
        Conn c = connect(tcp);
        c.attach(0, "mem");
        Qid a = c.mkdir(0, "a");
        List<Qid> qids = c.walk(0, 1, "a", "missing", "x");
        assertEquals(List.of(a), qids);
        assertErrno(Errno.EBADF, () -> c.clunk(1));
    }

    @Test
    void versionResetsTheSession() throws Exception {
        Conn c = connect(tcp);
        c.attach(0, "mem");
        Rversion v = c.c.version(100 * 1024 * 1024);
        assertEquals(NinepServer.DEFAULT_MAX_MSIZE, v.msize());
        assertEquals(P9.VERSION_9P2000_L, v.version());
        assertErrno(Errno.EBADF, () -> c.clunk(0));
        assertEquals(P9.MIN_MSIZE, c.c.version(512).msize());
    }

    @Test
    void requestsInFlightCompleteOutOfOrder() throws Exception {
        Conn c = connect(unix);
        c.attach(0, "slow");
        c.walk(0, 1);
        c.lcreate(1, "f");
        CompletableFuture<Rmessage> stuck = c.c.send(t -> new Tread(t, 1, 0, 10));
        List<CompletableFuture<Rmessage>> quick = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            quick.add(c.c.send(t -> new Tgetattr(t, 0, P9.GETATTR_BASIC)));
        }
        for (CompletableFuture<Rmessage> q : quick) {
            assertInstanceOf(Rgetattr.class, q.get(10, TimeUnit.SECONDS));
        }
        assertFalse(stuck.isDone());
        gate.countDown();
        assertInstanceOf(Rread.class, stuck.get(10, TimeUnit.SECONDS));
    }

    @Test
    void malformedFrameGetsRlerrorAndTheConnectionGoesOn() throws Exception {
        Conn c = connect(tcp);
        c.attach(0, "mem");
        // Twalk whose name count promises more than the frame holds
        ByteBuffer bad = frame(P9.TWALK, 77, b -> b.putInt(0).putInt(1).putShort((short) 3));
        Rmessage r = c.c.sendRaw(bad, 77).get(10, TimeUnit.SECONDS);
        assertEquals(new Rlerror(77, Errno.EINVAL), r);
        // an unknown message type
        r = c.c.sendRaw(frame(99, 78, b -> {}), 78).get(10, TimeUnit.SECONDS);
        assertEquals(new Rlerror(78, Errno.EOPNOTSUPP), r);
        c.mkdir(0, "still-working");
    }

    @Test
    void oversizedFrameClosesOnlyThatConnection() throws Exception {
        Conn good = connect(tcp);
        good.attach(0, "mem");
        Conn bad = connect(unix);
        ByteBuffer huge = ByteBuffer.allocate(7).order(ByteOrder.LITTLE_ENDIAN);
        huge.putInt(bad.c.msize() + 1).put((byte) P9.TWALK).putShort((short) 5).flip();
        CompletableFuture<Rmessage> f = bad.c.sendRaw(huge, 5);
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
        assertTrue(bad.c.isClosed(), e.toString());
        good.mkdir(0, "fine");
        assertEquals(List.of(), good.walk(0, 1));
        Conn again = connect(unix);
        again.attach(0, "mem");
        assertEquals(1, again.walk(0, 1, "fine").size());
    }

    /** The rest of the messages, on the memory export and on a local directory. */
    private void moreMessages(Conn c, String aname) throws Exception {
        NinepClientCalls x = new NinepClientCalls(c);
        c.attach(0, aname);
        c.walk(0, 1);
        c.lcreate(1, "file");
        c.write(1, 0, "0123456789");
        x.fsync(1);
        x.truncate(1, 4);
        assertEquals(4, c.size(1));
        assertEquals("0123", c.read(1, 0, 100));
        Qid link = x.symlink(0, "link", "file");
        assertEquals(P9.QTSYMLINK, link.type() & P9.QTSYMLINK);
        c.walk(0, 2, "link");
        assertEquals("file", x.readlink(2));
        assertErrno(Errno.EINVAL, () -> x.readlink(1));
        x.link(0, 1, "hard");
        c.walk(0, 3, "hard");
        assertEquals(4, c.size(3));
        x.mknod(0, "fifo", 0010644);
        assertEquals(1, c.walk(0, 4, "fifo").size());
        assertTrue(x.statfs(0).bsize() > 0);
        x.rename(3, 0, "hard2");
        assertErrno(Errno.ENOENT, () -> c.walk(0, 5, "hard"));
        x.remove(3); // clunks fid 3 whatever happens
        assertErrno(Errno.EBADF, () -> c.clunk(3));
        assertErrno(Errno.ENOENT, () -> c.walk(0, 5, "hard2"));
        assertEquals(List.of(".", "..", "fifo", "file", "link"), sortedNames(c, 0, 6));
        c.walk(0, 7);
        c.lopen(7, P9.DOTL_RDONLY | P9.DOTL_DIRECTORY);
        assertEquals(link, c.walk(7, 11, "link").getFirst()); // a walk from an open fid
        assertErrno(Errno.ENOTDIR, () -> c.walk(1, 12, ".."));
        assertEquals(c.walk(0, 8).size(), 0);
        assertEquals(c.walk(8, 9, "..").getFirst(), c.walk(0, 10, "..").getFirst()); // .. at root
    }

    private static List<String> sortedNames(Conn c, int dirFid, int newFid) throws Exception {
        c.walk(dirFid, newFid);
        c.lopen(newFid, P9.DOTL_RDONLY | P9.DOTL_DIRECTORY);
        List<String> names = c.readdir(newFid).stream().sorted().toList();
        c.clunk(newFid);
        return names;
    }

    @Test
    void moreMessagesOnMemoryExport() throws Exception {
        moreMessages(connect(tcp), "mem");
    }

    @Test
    void moreMessagesOnLocalExport() throws Exception {
        moreMessages(connect(unix), "/export");
        assertEquals("0123", Files.readString(dir.resolve("export/file")));
        assertTrue(Files.isSymbolicLink(dir.resolve("export/link")));
    }

    /** Past the run limit a request waits (see {@code FlushTest} for what else it may do then). */
    @Test
    void requestPastTheRunLimitWaitsUntilARequestEnds() throws Exception {
        Conn c = connect(tcp);
        c.attach(0, "slow");
        c.walk(0, 1);
        c.lcreate(1, "f");
        List<CompletableFuture<Rmessage>> reads = new ArrayList<>();
        for (int i = 0; i < 32; i++) { // maxRequests
            reads.add(c.c.send(t -> new Tread(t, 1, 0, 10)));
        }
        CompletableFuture<Rmessage> next = c.c.send(t -> new Tgetattr(t, 0, P9.GETATTR_BASIC));
        Thread.sleep(100);
        assertFalse(next.isDone(), "a request past the limit ran");
        gate.countDown();
        assertInstanceOf(Rgetattr.class, next.get(10, TimeUnit.SECONDS));
        for (CompletableFuture<Rmessage> r : reads) {
            assertInstanceOf(Rread.class, r.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void closingAConnectionEndsItsSessionAndClunksItsFids() throws Exception {
        Conn c = connect(tcp);
        c.attach(0, "/export");
        c.walk(0, 1);
        c.lcreate(1, "open-when-closed");
        assertEquals(1, server.sessionCount());
        c.close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (server.sessionCount() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(0, server.sessionCount());
    }

    @Test
    void listeningOnAUnixPathLeavesARegularFileAlone() throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-socket"), "keep me");
        assertThrows(java.io.IOException.class,
                () -> server.listen(UnixDomainSocketAddress.of(file)));
        assertEquals("keep me", Files.readString(file));

        UnixDomainSocketAddress stale = UnixDomainSocketAddress.of(dir.resolve("stale.sock"));
        try (var ssc = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            ssc.bind(stale); // closing leaves the socket file behind
        }
        assertTrue(Files.exists(stale.getPath()));
        connect(server.listen(stale)).attach(0, "mem");
    }

    @Test
    void clientCallsFromCoroutinesOfOneContext() throws Exception {
        Conn c = connect(tcp);
        c.attach(0, "mem");
        c.mkdir(0, "d");
        try (io.corio.core.AioContext ctx = io.corio.core.AioContext.start("client-test")) {
            List<io.corio.core.Coroutine> cos = new ArrayList<>();
            java.util.concurrent.atomic.AtomicInteger walked = new java.util.concurrent.atomic.AtomicInteger();
            CountDownLatch done = new CountDownLatch(8);
            for (int i = 0; i < 8; i++) {
                int fid = 100 + i;
                cos.add(ctx.spawn("walker-" + i, () -> {
                    try {
                        walked.addAndGet(c.walk(0, fid, "d").size());
                        c.clunk(fid);
                    } finally {
                        done.countDown();
                    }
                }));
            }
            assertTrue(done.await(10, TimeUnit.SECONDS));
            assertEquals(8, walked.get());
        }
    }

    @Test
    void versionWaitsForTheRequestsUnderWay() throws Exception {
        Conn c = connect(tcp);
        c.attach(0, "slow");
        c.walk(0, 1);
        c.lcreate(1, "f");
        CompletableFuture<Rmessage> stuck = c.c.send(t -> new Tread(t, 1, 0, 10));
        CompletableFuture<Rversion> version = CompletableFuture.supplyAsync(() -> {
            try {
                return c.c.version(8192);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(50);
        assertFalse(version.isDone());
        gate.countDown();
        assertEquals(8192, version.get(10, TimeUnit.SECONDS).msize());
        assertInstanceOf(Rread.class, stuck.get(10, TimeUnit.SECONDS));
        assertErrno(Errno.EBADF, () -> c.clunk(1)); // the reset clunked it
    }

    private interface Body {
        void write(ByteBuffer b);
    }

    private static ByteBuffer frame(int type, int tag, Body body) {
        ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
        b.position(7);
        body.write(b);
        int size = b.position();
        b.putInt(0, size).put(4, (byte) type).putShort(5, (short) tag);
        return b.flip();
    }
}
