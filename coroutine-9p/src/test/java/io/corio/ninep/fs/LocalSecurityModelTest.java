package io.corio.ninep.fs;

import static io.corio.ninep.fs.Fixture.fails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.ninep.fs.Fixture.Kind;
import io.corio.ninep.protocol.Attr;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.SetAttr;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** What each security model leaves on the host, seen from the host side. */
class LocalSecurityModelTest {
    private static final int EUID = Fixture.ME.uid();

    private static int hostInt(Path p, String attr) throws Exception {
        return (Integer) Files.getAttribute(p, "unix:" + attr, LinkOption.NOFOLLOW_LINKS);
    }

    private static String hostPerms(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    /** The raw value of host xattr {@code user.NAME}. */
    private static byte[] hostXattr(Path p, String name) throws Exception {
        UserDefinedFileAttributeView v = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class);
        ByteBuffer b = ByteBuffer.allocate(v.size(name));
        v.read(name, b);
        return b.array();
    }

    private static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    @Test
    void passthroughGivesHostFilesTheClientsOwnerAndMode() throws Exception {
        Assumptions.assumeTrue(EUID == 0, "giving files other owners needs root; running as " + EUID);
        try (Fixture f = new Fixture(Kind.PASSTHROUGH)) {
            f.fs.create(f.root, "file", P9.DOTL_RDWR, 0640, Fixture.USER).close();
            f.fs.mkdir(f.root, "dir", 02750, Fixture.USER);
            f.fs.symlink(f.root, "link", "file", Fixture.USER);
            f.fs.mknod(f.root, "fifo", Posix.S_IFIFO | 0604, 0, 0, Fixture.USER);
            for (String n : new String[] {"file", "dir", "link", "fifo"}) {
                Path p = f.dir.resolve(n);
                assertEquals(1234, hostInt(p, "uid"), n);
                assertEquals(5678, hostInt(p, "gid"), n);
            }
            assertEquals(0100640, hostInt(f.dir.resolve("file"), "mode"));
            assertEquals(042750, hostInt(f.dir.resolve("dir"), "mode"), "set-gid kept after chown");
            assertEquals(Posix.S_IFIFO | 0604, hostInt(f.dir.resolve("fifo"), "mode"));
            assertTrue(Files.isSymbolicLink(f.dir.resolve("link")));
            try (Handle h = f.walk("file")) {
                f.fs.setattr(h, new SetAttr(P9.SETATTR_UID | P9.SETATTR_GID, 0, 42, 43, 0, 0, 0, 0, 0));
            }
            assertEquals(42, hostInt(f.dir.resolve("file"), "uid"));
            assertEquals(43, hostInt(f.dir.resolve("file"), "gid"));
        }
    }

    @Test
    void passthroughReportsEpermWhenTheServerMayNotChown() throws Exception {
        Assumptions.assumeTrue(EUID != 0, "as root every chown succeeds: run unprivileged to see EPERM");
        try (Fixture f = new Fixture(Kind.PASSTHROUGH)) {
            fails(Errno.EPERM, () -> f.fs.create(f.root, "file", P9.DOTL_RDWR, 0640, Fixture.USER));
            assertFalse(Files.exists(f.dir.resolve("file")), "a failed create leaves nothing");
            fails(Errno.EPERM, () -> f.fs.mkdir(f.root, "dir", 0750, Fixture.USER));
            assertFalse(Files.exists(f.dir.resolve("dir")));
        }
    }

    @Test
    void noneIgnoresAFailingChown() throws Exception {
        Assumptions.assumeTrue(EUID != 0, "as root no chown fails: run unprivileged to see it ignored");
        try (Fixture f = new Fixture(Kind.NONE)) {
            f.fs.create(f.root, "file", P9.DOTL_RDWR, 0640, Fixture.USER).close();
            assertEquals(EUID, hostInt(f.dir.resolve("file"), "uid"));
            assertEquals(0100640, hostInt(f.dir.resolve("file"), "mode"));
            try (Handle h = f.walk("file")) {
                f.fs.setattr(h, new SetAttr(P9.SETATTR_UID, 0, 42, 0, 0, 0, 0, 0, 0));
            }
        }
    }

    @Test
    void mappedXattrStoresOwnerModeAndDeviceInXattrs() throws Exception {
        try (Fixture f = new Fixture(Kind.MAPPED_XATTR)) {
            f.fs.create(f.root, "file", P9.DOTL_RDWR, 0640, Fixture.USER).close();
            f.fs.mkdir(f.root, "dir", 0755, Fixture.USER);
            f.fs.symlink(f.root, "link", "../some/where", Fixture.USER);
            f.fs.mknod(f.root, "tty", Posix.S_IFCHR | 0620, 4, 1, Fixture.USER);
            f.fs.mknod(f.root, "fifo", Posix.S_IFIFO | 0600, 0, 0, Fixture.USER);

            Path file = f.dir.resolve("file");
            assertEquals(EUID, hostInt(file, "uid"), "the host file stays the server's");
            assertEquals("rw-------", hostPerms(file));
            assertArrayEquals(le32(1234), hostXattr(file, "virtfs.uid"));
            assertArrayEquals(le32(5678), hostXattr(file, "virtfs.gid"));
            assertArrayEquals(le32(0100640), hostXattr(file, "virtfs.mode"));
            assertEquals("rwx------", hostPerms(f.dir.resolve("dir")));
            Path link = f.dir.resolve("link");
            assertTrue(Files.isRegularFile(link, LinkOption.NOFOLLOW_LINKS), "a symlink is a file");
            assertEquals("../some/where", Files.readString(link));
            assertTrue(Files.isRegularFile(f.dir.resolve("tty"), LinkOption.NOFOLLOW_LINKS));
            assertTrue(Files.isRegularFile(f.dir.resolve("fifo"), LinkOption.NOFOLLOW_LINKS));

            try (Handle h = f.walk("file"); Handle d = f.walk("dir"); Handle l = f.walk("link");
                 Handle t = f.walk("tty"); Handle p = f.walk("fifo")) {
                Attr a = f.fs.getattr(h, P9.GETATTR_ALL);
                assertEquals(1234, a.uid());
                assertEquals(5678, a.gid());
                assertEquals(0100640, a.mode());
                assertEquals(040755, f.fs.getattr(d, P9.GETATTR_MODE).mode());
                assertEquals(P9.QTSYMLINK, l.qid().type());
                assertEquals(0120777, f.fs.getattr(l, P9.GETATTR_MODE).mode());
                assertEquals("../some/where", f.fs.readlink(l));
                fails(Errno.ELOOP, () -> f.fs.open(l, P9.DOTL_RDONLY));
                Attr ta = f.fs.getattr(t, P9.GETATTR_ALL);
                assertEquals(Posix.S_IFCHR | 0620, ta.mode());
                assertEquals(Posix.makedev(4, 1), ta.rdev());
                assertEquals(Posix.S_IFIFO | 0600, f.fs.getattr(p, P9.GETATTR_MODE).mode());

                f.fs.setattr(h, new SetAttr(P9.SETATTR_UID | P9.SETATTR_GID | P9.SETATTR_MODE,
                        04755, 0, 0, 0, 0, 0, 0, 0));
                Attr b = f.fs.getattr(h, P9.GETATTR_ALL);
                assertEquals(0, b.uid());
                assertEquals(0, b.gid());
                assertEquals(0104755, b.mode());
            }
            assertEquals("rw-------", hostPerms(file), "chmod changed only the stored mode");
            assertEquals(EUID, hostInt(file, "uid"), "chown changed only the stored owner");
        }
    }

    @Test
    void mappedXattrHidesItsOwnAttributesAndShowsPlainHostFilesAsTheyAre() throws Exception {
        try (Fixture f = new Fixture(Kind.MAPPED_XATTR)) {
            Path plain = f.dir.resolve("plain");
            Files.writeString(plain, "p");
            Files.setPosixFilePermissions(plain, PosixFilePermissions.fromString("rw-r-----"));
            try (Handle h = f.walk("plain")) {
                Attr a = f.fs.getattr(h, P9.GETATTR_ALL);
                assertEquals(0100640, a.mode(), "no xattrs: the host's view");
                assertEquals(EUID, a.uid());

                f.fs.setxattr(h, "user.mine", new byte[] {1}, 0);
                f.fs.setattr(h, new SetAttr(P9.SETATTR_MODE, 0600, 0, 0, 0, 0, 0, 0, 0));
                assertEquals(java.util.List.of("user.mine"), f.fs.listxattr(h));
                fails(Errno.ENODATA, () -> f.fs.getxattr(h, "user.virtfs.mode"));
                fails(Errno.EACCES, () -> f.fs.setxattr(h, "user.virtfs.uid", le32(0), 0));
                fails(Errno.EACCES, () -> f.fs.removexattr(h, "user.virtfs.mode"));
                fails(Errno.EOPNOTSUPP, () -> f.fs.setxattr(h, "trusted.x", new byte[1], 0));
                fails(Errno.ENODATA, () -> f.fs.getxattr(h, "trusted.x"));
                assertEquals(0100600, f.fs.getattr(h, P9.GETATTR_MODE).mode());
            }
        }
    }

    @Test
    void aMissingOrNonDirectoryRootIsRefused() throws Exception {
        Path tmp = Files.createTempDirectory("corio-root-");
        try {
            fails(Errno.ENOENT, () -> Backend.local(tmp.resolve("missing"), SecurityModel.PASSTHROUGH, false));
            Files.writeString(tmp.resolve("file"), "x");
            fails(Errno.ENOTDIR, () -> Backend.local(tmp.resolve("file"), SecurityModel.PASSTHROUGH, false));
        } finally {
            Fixture.deleteTree(tmp);
        }
        assertEquals(SecurityModel.MAPPED_XATTR, SecurityModel.parse("mapped-xattr"));
        assertEquals(SecurityModel.MAPPED_XATTR, SecurityModel.parse("Mapped"));
        assertEquals(SecurityModel.NONE, SecurityModel.parse("none"));
        assertEquals("passthrough", SecurityModel.PASSTHROUGH.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SecurityModel.parse("mapped-file"));
        assertTrue(e.getMessage().contains("mapped-file"), e.getMessage());
    }
}
