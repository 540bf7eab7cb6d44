package io.corio.blockio.qcow2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.blockio.BlockDriver;
import io.corio.core.AioContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Repair on open: dirty images made by qemu (qemu-utils) are repaired by a writable
 * {@link Qcow2#openReadWrite} (then {@code qemu-img check} is clean and the data is what it
 * was), left as they are by a read-only {@link Qcow2#open}; corrupt ones stay refused.
 */
@Timeout(120)
class Qcow2RepairTest {
    @TempDir
    Path dir;
    final AioContext ctx = AioContext.start("qcow2-repair");

    @AfterEach
    void stop() {
        ctx.close();
    }

    /** The dirty bit: incompatible feature bit 0, in the last byte of the field at 72. */
    static boolean dirty(Path p) throws IOException {
        return (Qcow2WriteTest.getByte(p, 79) & 1) != 0;
    }

    @Test
    void anImageLeftDirtyByAKilledQemuIoIsRepairedWhenOpenedForWriting() throws Exception {
        Qemu.require();
        Qemu q = new Qemu(dir);
        Path p = q.create("lazy.qcow2", "compat=1.1,lazy_refcounts=on", 16 << 20);
        q.io(p, "write -P 0x11 0 64k"); // a clean close: refcounts on disk
        Qemu.Run killed = q.runAny("qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 64k 1M",
                "-c", "write -P 0xa5 4M 192k", "-c", "write -z 8M 64k", "-c", "sigraise 9",
                p.toString());
        assertEquals(137, killed.exit(), killed.output()); // 128 + SIGKILL
        assertTrue(dirty(p), "qemu-io left the image dirty");
        Qemu.Run before = q.runAny("qemu-img", "check", "--output=json", p.toString());
        assertTrue(Qemu.jsonNumber(before.output(), "corruptions") > 0, before.output());
        Path copy = dir.resolve("copy.qcow2");
        Files.copy(p, copy);

        Qcow2.open(p).close(); // read-only: served as it is
        assertTrue(dirty(p), "a read-only open leaves the image dirty");
        try (BlockDriver d = Qcow2.openReadWrite(p)) {
            assertTrue(!d.readOnly());
            assertTrue(!dirty(p), "the dirty bit is cleared once the repair is durable");
        }
        q.check(p, false);
        String cmp = q.run("qemu-img", "compare", "-f", "qcow2", "-F", "qcow2",
                copy.toString(), p.toString());
        assertTrue(cmp.contains("Images are identical"), cmp);

        // and the repaired image takes writes as any other
        byte[] want = q.raw(p);
        try (BlockDriver d = Qcow2.openReadWrite(p)) {
            ctx.call(() -> {
                byte[] data = new byte[300 << 10];
                Arrays.fill(data, (byte) 0x77);
                d.write(2 << 20, ByteBuffer.wrap(data), 0);
                System.arraycopy(data, 0, want, 2 << 20, data.length);
                return null;
            });
        }
        q.check(p, false);
        q.assertContents(p, want);
    }

    @Test
    void aDirtyBitAndALeakedClusterAreRepairedWhenOpenedForWriting() throws Exception {
        Qemu.require();
        Qemu q = new Qemu(dir);
        Path p = q.create("leak.qcow2", "compat=1.1", 8 << 20);
        q.io(p, "write -P 0x33 0 200k", "write -c -P 0x44 1M 64k", "write -z 2M 64k");
        Qcow2CheckTest.leakOneCluster(p);
        Qcow2WriteTest.setByte(p, 79, 1); // the dirty bit
        String before = q.check(p, true);
        assertEquals(1, Qemu.jsonNumber(before, "leaks"), before);
        Path copy = dir.resolve("copy.qcow2");
        Files.copy(p, copy);

        Qcow2.openReadWrite(p).close();
        assertTrue(!dirty(p));
        q.check(p, false);
        String cmp = q.run("qemu-img", "compare", "-f", "qcow2", "-F", "qcow2",
                copy.toString(), p.toString());
        assertTrue(cmp.contains("Images are identical"), cmp);
    }

    @Test
    void aCorruptImageStaysRefusedForWritingEvenWhenDirty() throws Exception {
        Qemu.require();
        Qemu q = new Qemu(dir);
        for (int bits : new int[] {2, 3}) { // corrupt; corrupt and dirty
            Path p = q.create("bad" + bits + ".qcow2", "compat=1.1", 1 << 20);
            Qcow2WriteTest.setByte(p, 79, bits);
            IOException e = assertThrows(IOException.class, () -> Qcow2.openReadWrite(p));
            assertTrue(e.getMessage().contains("marked corrupt"), e.getMessage());
            assertEquals(bits, Qcow2WriteTest.getByte(p, 79), "left as it was");
            Qcow2.open(p).close(); // read-only is still fine
        }
    }
}
