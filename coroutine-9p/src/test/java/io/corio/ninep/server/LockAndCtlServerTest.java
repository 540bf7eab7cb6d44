package io.corio.ninep.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.ninep.client.NinepError;
import io.corio.ninep.fs.Backend;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.Rmessage.*;
import io.corio.ninep.protocol.Tmessage.*;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Tlock/Tgetlock across connections, and the synthetic ctl export, through NinepClient. */
@Timeout(30)
class LockAndCtlServerTest {
    private Backend memory;
    private NinepServer server;
    private SocketAddress tcp;
    private final List<Conn> conns = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        memory = Backend.memory();
        server = NinepServer.builder().export("mem", memory).build();
        tcp = server.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @AfterEach
    void stop() throws Exception {
        for (Conn c : conns) {
            c.close();
        }
        server.close();
        memory.close();
    }

    private Conn connect() throws Exception {
        Conn c = new Conn(tcp);
        conns.add(c);
        return c;
    }

    /** A connection with fid 2 open on /f (created by the first caller). */
    private Conn openFile(boolean create) throws Exception {
        Conn c = connect();
        c.attach(1, "mem");
        if (create) {
            c.walk(1, 2);
            c.lcreate(2, "f");
        } else {
            c.walk(1, 2, "f");
            c.lopen(2, P9.DOTL_RDWR);
        }
        return c;
    }

    private static int lock(Conn c, int fid, int type, long start, long length, String host) throws Exception {
        return c.c.call(Rlock.class, t -> new Tlock(t, fid, type, P9.LOCK_FLAGS_BLOCK, start, length, 42, host)).status();
    }

    private static Rgetlock getlock(Conn c, int fid, int type, String host) throws Exception {
        return c.c.call(Rgetlock.class, t -> new Tgetlock(t, fid, type, 0, 0, 42, host));
    }

    @Test
    void secondClientIsBlockedUntilTheFirstUnlocks() throws Exception {
        Conn one = openFile(true);
        Conn two = openFile(false);
        assertEquals(P9.LOCK_SUCCESS, lock(one, 2, P9.LOCK_TYPE_WRLCK, 0, 100, "one"));
        assertEquals(P9.LOCK_BLOCKED, lock(two, 2, P9.LOCK_TYPE_RDLCK, 50, 1, "two"));
        Rgetlock g = getlock(two, 2, P9.LOCK_TYPE_WRLCK, "two");
        assertEquals(new Rgetlock(g.tag(), P9.LOCK_TYPE_WRLCK, 0, 100, 42, "one"), g);
        assertEquals(P9.LOCK_SUCCESS, lock(two, 2, P9.LOCK_TYPE_WRLCK, 100, 0, "two"));
        assertEquals(P9.LOCK_SUCCESS, lock(one, 2, P9.LOCK_TYPE_UNLCK, 0, 0, "one"));
        assertEquals(P9.LOCK_SUCCESS, lock(two, 2, P9.LOCK_TYPE_RDLCK, 50, 1, "two"));
        assertEquals(P9.LOCK_TYPE_UNLCK, getlock(two, 2, P9.LOCK_TYPE_WRLCK, "two").type());
    }

    @Test
    void clunkReleasesTheLocksTakenThroughTheFid() throws Exception {
        Conn one = openFile(true);
        Conn two = openFile(false);
        assertEquals(P9.LOCK_SUCCESS, lock(one, 2, P9.LOCK_TYPE_WRLCK, 0, 0, "one"));
        assertEquals(P9.LOCK_BLOCKED, lock(two, 2, P9.LOCK_TYPE_WRLCK, 0, 0, "two"));
        one.clunk(2);
        assertEquals(P9.LOCK_SUCCESS, lock(two, 2, P9.LOCK_TYPE_WRLCK, 0, 0, "two"));
    }

    @Test
    void disconnectReleasesTheConnectionsLocks() throws Exception {
        Conn one = openFile(true);
        Conn two = openFile(false);
        assertEquals(P9.LOCK_SUCCESS, lock(one, 2, P9.LOCK_TYPE_WRLCK, 0, 0, "one"));
        one.close();
        long deadline = System.nanoTime() + 10_000_000_000L;
        int status;
        while ((status = lock(two, 2, P9.LOCK_TYPE_WRLCK, 0, 0, "two")) == P9.LOCK_BLOCKED
                && System.nanoTime() < deadline) {
            Thread.sleep(10); // the server ends the session asynchronously
        }
        assertEquals(P9.LOCK_SUCCESS, status);
    }

    @Test
    void badLockTypeIsEinval() throws Exception {
        Conn one = openFile(true);
        NinepError e = assertThrows(NinepError.class, () -> lock(one, 2, 7, 0, 0, "one"));
        assertEquals(Errno.EINVAL, e.errno());
    }

    @Test
    void ctlExportServesVersionStatsZeroAndNull() throws Exception {
        Conn c = connect();
        c.attach(1, "ctl");
        assertEquals(List.of(".", "..", "version", "stats", "zero", "null"), dirList(c));
        c.walk(1, 2, "version");
        c.lopen(2, P9.DOTL_RDONLY);
        String version = c.read(2, 0, 100);
        assertTrue(version.startsWith("corio "), version);
        c.walk(1, 3, "zero");
        c.lopen(3, P9.DOTL_RDONLY);
        ByteBuffer zeros = c.c.call(Rread.class, t -> new Tread(t, 3, 123456789L, 8192)).data();
        assertEquals(8192, zeros.remaining());
        while (zeros.hasRemaining()) {
            assertEquals(0, zeros.get());
        }
        assertTrue(c.size(3) > 1L << 40);
        c.walk(1, 4, "null");
        c.lopen(4, P9.DOTL_WRONLY);
        assertEquals(5, c.write(4, 0, "hello"));
        c.walk(1, 5, "stats");
        c.lopen(5, P9.DOTL_RDONLY);
        String stats = c.read(5, 0, 4096);
        assertTrue(stats.contains("connections 1\n"), stats);
        assertTrue(stats.contains("bytes-written 5\n"), stats);
        long bytesRead = stats.lines().filter(l -> l.startsWith("bytes-read "))
                .mapToLong(l -> Long.parseLong(l.substring("bytes-read ".length()))).sum();
        assertTrue(bytesRead >= 8192, stats); // the version text, then 8192 zeros
        c.walk(1, 6, "zero");
        NinepError e = assertThrows(NinepError.class, () -> c.lopen(6, P9.DOTL_WRONLY));
        assertEquals(Errno.EACCES, e.errno());
        e = assertThrows(NinepError.class, () -> c.mkdir(1, "d"));
        assertEquals(Errno.EROFS, e.errno());
    }

    @Test
    void emptyAnameStillSelectsTheOnlyRealExport() throws Exception {
        Conn c = connect();
        c.attach(1, "");
        c.mkdir(1, "made-here");
        Conn d = connect();
        d.attach(1, "mem");
        d.walk(1, 2, "made-here");
    }

    @Test
    void ctlCannotBeExportedByTheCaller() {
        assertThrows(IllegalArgumentException.class,
                () -> NinepServer.builder().export("ctl", Backend.memory()));
    }

    private static List<String> dirList(Conn c) throws Exception {
        c.walk(1, 9);
        c.lopen(9, P9.DOTL_RDONLY | P9.DOTL_DIRECTORY);
        List<String> names = c.readdir(9);
        c.clunk(9);
        return names;
    }
}
