package io.corio.ninep.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.corio.ninep.client.NinepError;
import io.corio.ninep.fs.Backend;
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
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Escape attempts through the server, with {@code NinepClient} against a local export: symlinks
 * pointing out, {@code ..} at the root, malformed names in every message that takes one, and
 * {@code ..} from a fid whose directory was renamed. The directory beside the export must be
 * exactly as it was after each test. The back end's own tests ({@code LocalConfinementTest})
 * cover the same ground handle by handle; these add the fid table, multi-element and partial
 * walks.
 */
@Timeout(30)
class ConfinementServerTest {
    private static final int S_IFMT = 0170000;
    private static final int S_IFLNK = 0120000;

    @TempDir
    Path dir;

    private Path export;
    private Path outside;
    private Backend local;
    private NinepServer server;
    private Conn c;
    private NinepClientCalls x;
    private Qid root;

    @BeforeEach
    void start() throws Exception {
        export = Files.createDirectory(dir.resolve("export"));
        outside = Files.createDirectory(dir.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "s");
        local = Backend.local(export, SecurityModel.NONE, false);
        server = NinepServer.builder().export("/export", local).build();
        c = new Conn(server.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
        x = new NinepClientCalls(c);
        root = c.attach(0, "/export");
    }

    @AfterEach
    void stop() throws Exception {
        c.close();
        server.close();
        local.close();
        assertEquals(Set.of("secret"), list(outside), "nothing appeared outside");
        assertEquals("s", Files.readString(outside.resolve("secret")));
        assertEquals(Set.of("export", "outside"), list(dir));
    }

    private static Set<String> list(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            Set<String> names = new TreeSet<>();
            s.forEach(p -> names.add(p.getFileName().toString()));
            return names;
        }
    }

    private static void assertErrno(int errno, Executable call) {
        NinepError e = assertThrows(NinepError.class, call);
        assertEquals(Errno.name(errno), Errno.name(e.errno()), e.getMessage());
    }

    private int mode(int fid) throws Exception {
        return c.c.call(Rgetattr.class, t -> new Tgetattr(t, fid, P9.GETATTR_BASIC)).attr().mode();
    }

    @Test
    void aSymlinkPointingOutsideIsWalkedToNeverThrough() throws Exception {
        Files.createSymbolicLink(export.resolve("abs"), outside);
        Files.createSymbolicLink(export.resolve("rel"), Path.of("../outside"));
        Files.createSymbolicLink(export.resolve("file"), outside.resolve("secret"));
        x.symlink(0, "made", "../../../../outside"); // one made by the client
        for (String name : List.of("abs", "rel", "file", "made")) {
            List<Qid> qids = c.walk(0, 1, name);
            assertEquals(P9.QTSYMLINK, qids.getFirst().type() & P9.QTSYMLINK, name);
            assertEquals(S_IFLNK, mode(1) & S_IFMT, name);
            assertEquals(Files.readSymbolicLink(export.resolve(name)).toString(), x.readlink(1));
            // a walk through it stops at the link: a partial walk, no new fid
            assertEquals(qids, c.walk(0, 2, name, "secret"));
            assertErrno(Errno.EBADF, () -> c.clunk(2));
            assertErrno(Errno.ENOTDIR, () -> c.walk(1, 2, "secret"));
            assertErrno(Errno.ENOTDIR, () -> c.walk(1, 2, ".."));
            // opening it is what open(2) with O_NOFOLLOW answers
            assertErrno(Errno.ELOOP, () -> c.lopen(1, P9.DOTL_RDONLY));
            assertErrno(Errno.ELOOP, () -> c.lopen(1, P9.DOTL_WRONLY | P9.DOTL_TRUNC));
            assertErrno(Errno.ENOTDIR, () -> c.lcreate(1, "planted"));
            assertErrno(Errno.ENOTDIR, () -> c.mkdir(1, "planted"));
            assertErrno(Errno.ENOTDIR, () -> c.unlinkat(1, "secret", 0));
            assertErrno(Errno.ENOTDIR, () -> c.renameat(1, "secret", 0, "stolen"));
            c.clunk(1);
        }
    }

    @Test
    void dotDotAtTheRootStaysAtTheRoot() throws Exception {
        List<Qid> up = c.walk(0, 1, "..", "..", "..", "..", "..", "..");
        assertEquals(Collections.nCopies(6, root), up);
        assertErrno(Errno.ENOENT, () -> c.walk(1, 2, "outside")); // the export's host sibling
        assertEquals(List.of(root), c.walk(0, 2, "..", "outside")); // partial: no fid 2
        assertErrno(Errno.EBADF, () -> c.clunk(2));
        c.walk(1, 2);
        c.lopen(2, P9.DOTL_RDONLY | P9.DOTL_DIRECTORY);
        ByteBuffer data = c.c.call(Rreaddir.class, t -> new Treaddir(t, 2, 0, 4096)).data();
        DirEntry dotdot = Codec.decodeDirEntries(data).stream()
                .filter(e -> e.name().equals("..")).findFirst().orElseThrow();
        assertEquals(root.path(), dotdot.qid().path(), "no trace of the host parent");
    }

    @Test
    void namesWithASlashOrEmptyAreEinvalInEveryMessage() throws Exception {
        Files.createDirectory(export.resolve("d"));
        Files.writeString(export.resolve("f"), "f");
        c.walk(0, 1, "f");
        for (String bad : List.of("a/b", "", "/", "../outside", "d/", "..//outside/secret")) {
            assertErrno(Errno.EINVAL, () -> c.walk(0, 2, bad));
            assertEquals(1, c.walk(0, 2, "d", bad).size()); // partial: stops before it
            assertErrno(Errno.EBADF, () -> c.clunk(2));
            assertErrno(Errno.EINVAL, () -> c.mkdir(0, bad));
            assertErrno(Errno.EINVAL, () -> x.symlink(0, bad, "f"));
            assertErrno(Errno.EINVAL, () -> x.mknod(0, bad, 0010644));
            assertErrno(Errno.EINVAL, () -> x.link(0, 1, bad));
            assertErrno(Errno.EINVAL, () -> c.unlinkat(0, bad, 0));
            assertErrno(Errno.EINVAL, () -> c.renameat(0, bad, 0, "g"));
            assertErrno(Errno.EINVAL, () -> c.renameat(0, "f", 0, bad));
            assertErrno(Errno.EINVAL, () -> x.rename(1, 0, bad));
            c.walk(0, 3);
            assertErrno(Errno.EINVAL, () -> c.lcreate(3, bad));
            c.clunk(3);
        }
        assertEquals(Set.of("d", "f"), list(export));
        assertEquals(Set.of(), list(export.resolve("d")));
    }

    @Test
    void dotDotFromAFidInARenamedDirectoryStaysInside() throws Exception {
        Files.createDirectories(export.resolve("a/b/c"));
        Files.createDirectory(export.resolve("x"));
        List<Qid> held = c.walk(0, 1, "a", "b", "c");
        Qid a = held.get(0);
        Qid b = held.get(1);
        Qid xq = c.walk(0, 9, "x").getFirst();

        c.renameat(0, "a", 9, "a2"); // a moves under x while fid 1 sits in a/b/c
        List<Qid> up = c.walk(1, 2, "..", "..", "..", "..", "..", "..", "..");
        assertEquals(List.of(b, a, xq, root, root, root, root), up);
        assertErrno(Errno.ENOENT, () -> c.walk(2, 3, "outside"));
        c.lcreate(2, "made-at-root"); // fid 2 is the root
        c.walk(1, 4, "..");
        c.lcreate(4, "made-in-b");

        Files.move(export.resolve("x"), export.resolve("y")); // the host renames the path too
        assertEquals(List.of(b, a, xq, root, root), c.walk(1, 5, "..", "..", "..", "..", ".."));

        assertEquals(Set.of("made-at-root", "y"), list(export));
        assertEquals(Set.of("c", "made-in-b"), list(export.resolve("y/a2/b")));
    }

    @Test
    void dotDotFromADirectoryMovedOutOfTheExportLeadsNowhere() throws Exception {
        Files.createDirectories(export.resolve("a/b"));
        c.walk(0, 1, "a", "b");
        Files.move(export.resolve("a"), outside.resolve("moved")); // by the host
        try {
            assertErrno(Errno.ENOENT, () -> c.walk(1, 2, ".."));
            assertErrno(Errno.ENOENT, () -> c.walk(1, 2, "..", "..", "..", "secret")); // at once
            assertErrno(Errno.EBADF, () -> c.clunk(2));
        } finally {
            Files.move(outside.resolve("moved"), export.resolve("a"));
        }
    }
}
