package io.corio.ninep.fs;

import static io.corio.ninep.fs.Fixture.fails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.ninep.fs.Fixture.Kind;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Extended attributes: user.* round trips, flags, errors, security.capability. */
class XattrTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void userAttributesRoundTrip(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind); Handle h = f.file("a", "x")) {
            f.fs.setxattr(h, "user.color", bytes("blue"), 0);
            f.fs.setxattr(h, "user.empty", new byte[0], 0);
            byte[] big = new byte[2000]; // ext4 keeps all of a file's xattrs in one 4 KiB block
            big[1999] = 7;
            f.fs.setxattr(h, "user.big", big, P9.XATTR_CREATE);
            assertArrayEquals(bytes("blue"), f.fs.getxattr(h, "user.color"));
            assertArrayEquals(new byte[0], f.fs.getxattr(h, "user.empty"));
            assertArrayEquals(big, f.fs.getxattr(h, "user.big"));
            List<String> names = f.fs.listxattr(h);
            assertTrue(names.containsAll(List.of("user.color", "user.empty", "user.big")),
                    names.toString());
            assertFalse(names.stream().anyMatch(n -> n.startsWith("user.virtfs.")),
                    names.toString());

            f.fs.setxattr(h, "user.color", bytes("red"), P9.XATTR_REPLACE);
            assertArrayEquals(bytes("red"), f.fs.getxattr(h, "user.color"));
            fails(Errno.EEXIST, () -> f.fs.setxattr(h, "user.color", bytes("x"), P9.XATTR_CREATE));
            fails(Errno.ENODATA, () -> f.fs.setxattr(h, "user.none", bytes("x"), P9.XATTR_REPLACE));
            f.fs.removexattr(h, "user.color");
            fails(Errno.ENODATA, () -> f.fs.getxattr(h, "user.color"));
            fails(Errno.ENODATA, () -> f.fs.removexattr(h, "user.color"));
            assertFalse(f.fs.listxattr(h).contains("user.color"));

            f.fs.mkdir(f.root, "d", 0755, Fixture.ME);
            try (Handle d = f.walk("d"); Handle again = f.walk("a")) {
                f.fs.setxattr(d, "user.on-dir", bytes("1"), 0);
                assertArrayEquals(bytes("1"), f.fs.getxattr(d, "user.on-dir"));
                assertArrayEquals(big, f.fs.getxattr(again, "user.big"), "stored on the file");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void securityCapabilityIsAbsentAtOnce(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind); Handle h = f.file("a", "x")) {
            fails(Errno.ENODATA, () -> f.fs.getxattr(h, "security.capability"));
            fails(Errno.ENODATA, () -> f.fs.getxattr(f.root, "security.capability"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void badNamesFlagsAndSizesAreRefused(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind); Handle h = f.file("a", "x")) {
            fails(Errno.ERANGE, () -> f.fs.getxattr(h, ""));
            fails(Errno.ERANGE, () -> f.fs.setxattr(h, "user." + "n".repeat(251), bytes("x"), 0));
            fails(Errno.EINVAL, () -> f.fs.setxattr(h, "user.x", bytes("x"), 4));
            fails(Errno.EINVAL, () -> f.fs.setxattr(h, "user.x", bytes("x"),
                    P9.XATTR_CREATE | P9.XATTR_REPLACE));
            fails(Errno.E2BIG, () -> f.fs.setxattr(h, "user.x", new byte[65537], 0));
            fails(Errno.EOPNOTSUPP, () -> f.fs.setxattr(h, "nonamespace", bytes("x"), 0));
            fails(Errno.ENODATA, () -> f.fs.getxattr(h, "user.missing"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void userAttributesAreForFilesAndDirectoriesOnly(Kind kind) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(kind == Kind.MAPPED_XATTR,
                "under mapped-xattr symlinks and fifos are regular host files");
        try (Fixture f = new Fixture(kind)) {
            f.fs.symlink(f.root, "l", "a", Fixture.ME);
            f.fs.mknod(f.root, "p", Posix.S_IFIFO | 0644, 0, 0, Fixture.ME);
            try (Handle l = f.walk("l"); Handle p = f.walk("p")) {
                fails(Errno.EPERM, () -> f.fs.setxattr(l, "user.x", bytes("x"), 0));
                fails(Errno.EPERM, () -> f.fs.setxattr(p, "user.x", bytes("x"), 0));
                fails(Errno.ENODATA, () -> f.fs.getxattr(l, "user.x"));
                assertEquals(List.of(), f.fs.listxattr(l).stream().filter(n ->
                        n.startsWith("user.")).toList());
            }
        }
    }
}
