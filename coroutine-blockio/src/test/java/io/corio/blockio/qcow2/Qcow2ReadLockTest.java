package io.corio.blockio.qcow2;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.blockio.BlockDriver;
import io.corio.blockio.ImageLock;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lock of a read-only qcow2 open ({@link ImageLock.Use#READ_IMAGE}, as QEMU's read-only
 * qcow2 open: consistent read used, write and resize not shared), on the image and on the
 * qcow2 files of its backing chain, against qemu-io, qemu-nbd and qemu-img in both directions
 * (those tests skip without the Debian package qemu-utils) and against corio's own opens.
 */
@Timeout(300)
class Qcow2ReadLockTest {
    @TempDir
    Path dir;

    private static void assertRefused(Qemu.Run r, String why) {
        assertTrue(r.exit() != 0 && r.output().contains(why), "expected '" + why + "': exit "
                + r.exit() + "\n" + r.output());
    }

    private static void assertOk(Qemu.Run r) {
        assertTrue(r.exit() == 0 && !r.output().contains("failed"), r.output());
    }

    private static void assertLocked(IOException e) {
        assertTrue(e.getMessage().contains("locked"), e.getMessage());
    }

    @Test
    void qemuCannotWriteOrResizeAnImageCorioReadsButReadsIt() throws Exception {
        Qemu.require();
        Qemu q = new Qemu(dir);
        Path p = q.create("ro.qcow2", "compat=1.1", 1 << 20);
        q.io(p, "write -P 0x5a 0 4k");
        String f = p.toString();
        try (BlockDriver d = Qcow2.open(p)) {
            assertRefused(q.runAny("qemu-io", "-f", "qcow2", "-c", "write 0 4k", f),
                    "Failed to get \"write\" lock");
            assertRefused(q.runAny("qemu-img", "resize", f, "2M"), "lock");
            // readers that share no write read on: qemu-io -r, qemu-nbd -r, qemu-img check
            assertOk(q.runAny("qemu-io", "-r", "-f", "qcow2", "-c", "read -P 0x5a 0 4k", f));
            q.holdNbd(p, "-r", "-f", "qcow2").close(); // fails the test unless it opened
            assertOk(q.runAny("qemu-img", "check", f));
            // corio: another reader is fine, a writer in this process is not
            Qcow2.open(p).close();
            assertLocked(assertThrows(IOException.class, () -> Qcow2.openReadWrite(p).close()));
        }
        q.io(p, "write -P 0x6b 0 4k"); // released at close
    }

    @Test
    void corioCannotReadAnImageQemuWritesButReadsBesideQemuReaders() throws Exception {
        Qemu.require();
        Qemu q = new Qemu(dir);
        Path p = q.create("busy.qcow2", "compat=1.1", 1 << 20);
        try (Qemu.Held writer = q.holdIo(p, "-f", "qcow2")) {
            IOException e = assertThrows(IOException.class, () -> Qcow2.open(p).close());
            assertLocked(e);
            assertTrue(e.getMessage().contains("for reading"), e.getMessage());
        }
        try (Qemu.Held writer = q.holdNbd(p, "-f", "qcow2")) {
            assertLocked(assertThrows(IOException.class, () -> Qcow2.open(p).close()));
        }
        try (Qemu.Held reader = q.holdIo(p, "-r", "-f", "qcow2");
                Qemu.Held server = q.holdNbd(p, "-r", "-f", "qcow2")) {
            Qcow2.open(p).close();
        }
        Qcow2.open(p).close();
    }

    @Test
    void aQcow2BackingFileIsLockedAsQemuLocksIt() throws Exception {
        Qemu.require();
        Qemu q = new Qemu(dir);
        Path base = q.create("base.qcow2", "compat=1.1", 1 << 20);
        Path top = q.create("top.qcow2", "compat=1.1", 1 << 20, "-b", "base.qcow2",
                "-F", "qcow2");
        String b = base.toString();
        for (boolean writable : new boolean[] {false, true}) {
            try (BlockDriver d = writable ? Qcow2.openReadWrite(top) : Qcow2.open(top)) {
                assertRefused(q.runAny("qemu-io", "-f", "qcow2", "-c", "write 0 4k", b),
                        "Failed to get \"write\" lock");
                assertOk(q.runAny("qemu-io", "-r", "-f", "qcow2", "-c", "read 0 4k", b));
                assertLocked(assertThrows(IOException.class,
                        () -> Qcow2.openReadWrite(base).close()));
            }
            q.io(base, "write 0 4k"); // released at close
        }
        try (Qemu.Held writer = q.holdIo(base, "-f", "qcow2")) {
            IOException e = assertThrows(IOException.class, () -> Qcow2.open(top).close());
            assertTrue(e.getMessage().contains("backing file"), e.getMessage());
            assertLocked(e);
            // the failed open left nothing locked on the top image
            ImageLock.acquire(top, ImageLock.Use.WRITE_AND_RESIZE).close();
        }
    }

    @Test
    void anOpenThatFailsReleasesItsLock() throws Exception {
        Path p = dir.resolve("bad.qcow2");
        ByteBuffer b = Qcow2HeaderTest.image().putInt(4, 4); // version 4: refused
        Files.write(p, b.array());
        assertThrows(IOException.class, () -> Qcow2.open(p).close());
        ImageLock.acquire(p, ImageLock.Use.WRITE_AND_RESIZE).close();
    }
}
