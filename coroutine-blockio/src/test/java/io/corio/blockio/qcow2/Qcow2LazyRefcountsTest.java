package io.corio.blockio.qcow2;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.blockio.BlockDriver;
import io.corio.core.AioContext;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lazy refcounts ({@code qemu-img create -o lazy_refcounts=on}, qemu-utils): while the image
 * is written through {@link Qcow2#openReadWrite}, the header says dirty and a flush leaves
 * the refcounts behind (so {@code qemu-img check} sees references without refcounts); after
 * close the dirty bit is clear, {@code qemu-img check} is clean and the contents match a
 * mirror. An image without the bit never becomes dirty.
 */
@Timeout(120)
class Qcow2LazyRefcountsTest {
    @TempDir
    Path dir;
    final AioContext ctx = AioContext.start("qcow2-lazy");

    @AfterEach
    void stop() {
        ctx.close();
    }

    @Test
    void theDirtyBitIsSetWhileWritingAndClearedWithTheRefcountsAtClose() throws Exception {
        Qemu.require();
        Qemu q = new Qemu(dir);
        Qcow2WriteTest.Config c = new Qcow2WriteTest.Config(3, 65536, 16, true, false);
        Path base = q.create("base.qcow2", "cluster_size=65536", c.size());
        q.io(base, "write -P 0x5a 0 " + c.size() / 2);
        Path p = q.create("lazy.qcow2", c.options() + ",lazy_refcounts=on", c.size(), "-b",
                "base.qcow2", "-F", "qcow2");
        q.io(p, "write -P 0x11 0 192k", "write -c -P 0x22 1M 64k", "write -z 2M 128k");
        byte[] mirror = q.raw(p);
        Random rnd = new Random(42);
        try (BlockDriver d = Qcow2.openReadWrite(p)) {
            assertFalse(Qcow2RepairTest.dirty(p), "clean until the first metadata write-back");
            ctx.call(() -> {
                byte[] data = new byte[200 << 10];
                rnd.nextBytes(data);
                d.write(5 << 20, ByteBuffer.wrap(data), 0);
                System.arraycopy(data, 0, mirror, 5 << 20, data.length);
                d.flush();
                return null;
            });
            assertTrue(Qcow2RepairTest.dirty(p), "dirty once tables are written back");
            // -U: qemu's force-share, since corio holds the image's write lock while open
            Qemu.Run r = q.runAny("qemu-img", "check", "-U", "--output=json", p.toString());
            assertTrue(Qemu.jsonNumber(r.output(), "corruptions") > 0, "a flush leaves the"
                    + " refcounts of the new clusters unwritten:\n" + r.output());
            ctx.call(() -> {
                for (int i = 0; i < 400; i++) {
                    Qcow2WriteTest.randomOp(d, rnd, c, mirror);
                }
                return null;
            });
            assertTrue(Qcow2RepairTest.dirty(p));
        }
        assertFalse(Qcow2RepairTest.dirty(p), "a clean close clears the dirty bit");
        q.check(p, false);
        q.assertContents(p, mirror);
    }

    @Test
    void anImageWithoutLazyRefcountsNeverBecomesDirty() throws Exception {
        Qemu.require();
        Qemu q = new Qemu(dir);
        Path p = q.create("strict.qcow2", "compat=1.1", 4 << 20);
        try (BlockDriver d = Qcow2.openReadWrite(p)) {
            ctx.call(() -> {
                d.write(0, ByteBuffer.wrap(new byte[300 << 10]).put(0, (byte) 1), 0);
                d.flush();
                return null;
            });
            assertFalse(Qcow2RepairTest.dirty(p));
            q.check(p, false, true); // refcounts on disk before the tables: consistent while open
        }
        q.check(p, false);
    }
}
