package io.corio.ninep.fs;

import static io.corio.ninep.fs.Fixture.fails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.ninep.fs.Fixture.Kind;
import io.corio.ninep.protocol.DirPacker;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.SetAttr;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A read-only back end reads everything and modifies nothing: EROFS. */
class ReadOnlyTest {

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void everyModificationIsErofsAndReadsWork(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            try (Handle a = f.file("a", "content")) {
                f.fs.setxattr(a, "user.k", "v".getBytes(StandardCharsets.UTF_8), 0);
            }
            f.fs.mkdir(f.root, "d", 0755, Fixture.ME);
            f.fs.symlink(f.root, "l", "a", Fixture.ME);

            Backend ro = f.readOnly();
            assertTrue(ro.readOnly());
            try (Handle root = ro.root();
                 Handle a = ro.walk(root, "a");
                 Handle d = ro.walk(root, "d");
                 Handle l = ro.walk(root, "l")) {
                Owner o = Fixture.ME;
                fails(Errno.EROFS, () -> ro.create(root, "new", P9.DOTL_RDWR | P9.DOTL_CREATE,
                        0644, o));
                fails(Errno.EROFS, () -> ro.mkdir(root, "new", 0755, o));
                fails(Errno.EROFS, () -> ro.symlink(root, "new", "t", o));
                fails(Errno.EROFS, () -> ro.mknod(root, "new", Posix.S_IFIFO | 0644, 0, 0, o));
                fails(Errno.EROFS, () -> ro.link(root, "new", a));
                fails(Errno.EROFS, () -> ro.rename(a, root, "new"));
                fails(Errno.EROFS, () -> ro.renameat(root, "a", root, "new"));
                fails(Errno.EROFS, () -> ro.unlinkat(root, "a", 0));
                fails(Errno.EROFS, () -> ro.unlinkat(root, "d", P9.AT_REMOVEDIR));
                fails(Errno.EROFS, () -> ro.remove(a));
                fails(Errno.EROFS, () -> ro.setattr(a, new SetAttr(P9.SETATTR_MODE, 0600, 0, 0, 0,
                        0, 0, 0, 0)));
                fails(Errno.EROFS, () -> ro.setattr(a, new SetAttr(P9.SETATTR_SIZE, 0, 0, 0, 0, 0,
                        0, 0, 0)));
                fails(Errno.EROFS, () -> ro.setattr(a, new SetAttr(P9.SETATTR_MTIME, 0, 0, 0, 0, 0,
                        0, 0, 0)));
                fails(Errno.EROFS, () -> ro.setxattr(a, "user.k", new byte[1], 0));
                fails(Errno.EROFS, () -> ro.removexattr(a, "user.k"));
                try (Handle w = ro.clone(a)) {
                    fails(Errno.EROFS, () -> ro.open(w, P9.DOTL_WRONLY));
                    fails(Errno.EROFS, () -> ro.open(w, P9.DOTL_RDWR));
                    fails(Errno.EROFS, () -> ro.open(w, P9.DOTL_RDONLY | P9.DOTL_TRUNC));
                }

                ro.open(a, P9.DOTL_RDONLY);
                byte[] buf = new byte[32];
                java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(buf);
                assertEquals(7, ro.read(a, 0, bb));
                assertEquals("content", new String(buf, 0, 7, StandardCharsets.UTF_8));
                assertEquals(7, ro.getattr(a, P9.GETATTR_ALL).size());
                assertArrayEquals("v".getBytes(StandardCharsets.UTF_8), ro.getxattr(a, "user.k"));
                assertEquals("a", ro.readlink(l));
                ro.statfs(root);
                ro.fsync(a, false);
                ro.setattr(a, new SetAttr(0, 0, 0, 0, 0, 0, 0, 0, 0)); // nothing to change
                ro.open(d, P9.DOTL_RDONLY);
                DirPacker packer = new DirPacker(4096);
                ro.readdir(d, 0, packer::add);
                assertEquals(2, packer.count(), ". and ..");
            }
            assertEquals("content", f.content("a"), "nothing changed");
        }
    }
}
