package io.corio.blockio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.blockio.qcow2.Qemu;
import io.corio.core.AioContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The raw file driver's image lock ({@link ImageLock}, QEMU's protocol) against qemu-io,
 * qemu-nbd and qemu-img in both directions (those tests skip without the Debian package
 * qemu-utils), against another corio driver, and turned off with {@link FileOption#NO_LOCK}.
 */
class FileDriverLockTest {

    private static final int SIZE = 1 << 20;

    @TempDir
    Path dir;
    private Path img;

    @BeforeEach
    void create() throws IOException {
        img = dir.resolve("disk.img");
        BlockDriver.createFile(img, SIZE);
    }

    /** The message of the refusal to open the file with {@code options}. */
    private String refusal(FileOption... options) {
        IOException e = assertThrows(IOException.class,
                () -> BlockDriver.file(img, options).close());
        assertTrue(e.getMessage().contains("locked"), e.getMessage());
        return e.getMessage();
    }

    private static void assertRefused(Qemu.Run r, String why) {
        assertTrue(r.exit() != 0 && r.output().contains(why), "expected '" + why + "': exit "
                + r.exit() + "\n" + r.output());
    }

    private static void assertOk(Qemu.Run r) {
        assertTrue(r.exit() == 0 && !r.output().contains("failed"), r.output());
    }

    // ---- corio holds the file, qemu comes ----------------------------------------------

    @Test
    void qemuCannotWriteOrResizeAFileCorioWritesButReadsIt() throws Exception {
        Qemu.require();
        Qemu q = new Qemu(dir);
        String f = img.toString();
        try (AioContext ctx = AioContext.start("lock-test");
                BlockDriver d = BlockDriver.file(img)) {
            ctx.call(() -> {
                byte[] b = new byte[4096];
                Arrays.fill(b, (byte) 0x5a);
                d.write(0, ByteBuffer.wrap(b), 0);
                return null;
            });
            assertRefused(q.runAny("qemu-io", "-f", "raw", "-c", "write 0 4k", f),
                    "Failed to get \"write\" lock");
            // exit 124 from timeout would mean that qemu-nbd got the image and served it
            assertRefused(q.runAny("timeout", "30", "qemu-nbd", "-f", "raw", "-k",
                    dir.resolve("nbd.sock").toString(), f), "Failed to get \"write\" lock");
            assertRefused(q.runAny("qemu-img", "resize", "-f", "raw", f, "2M"), "lock");
            // readers that share write still read: qemu-io -r, qemu-nbd -r, qemu-img info
            assertOk(q.runAny("qemu-io", "-r", "-f", "raw", "-c", "read -P 0x5a 0 4k", f));
            q.holdNbd(img, "-r", "-f", "raw").close(); // fails the test unless it opened
            assertOk(q.runAny("qemu-img", "info", "-f", "raw", f));
            // qemu-img convert does not share write: like against a qemu writer, it needs -U
            assertRefused(q.runAny("qemu-img", "convert", "-f", "raw", "-O", "raw", f,
                    dir.resolve("copy.img").toString()), "Failed to get shared \"write\" lock");
        }
        assertOk(q.runAny("qemu-io", "-f", "raw", "-c", "write 0 4k", f)); // released
        assertEquals(SIZE, Files.size(img));
    }

    @Test
    void qemuCanWriteButNotResizeAFileCorioReads() throws Exception {
        Qemu.require();
        Qemu q = new Qemu(dir);
        String f = img.toString();
        try (BlockDriver d = BlockDriver.file(img, FileOption.READ_ONLY)) {
            // as qemu-nbd -r: the device's length is fixed, its bytes are others' to write
            assertOk(q.runAny("qemu-io", "-f", "raw", "-c", "write 0 4k", f));
            assertRefused(q.runAny("qemu-img", "resize", "-f", "raw", f, "2M"),
                    "Failed to get \"resize\" lock");
        }
        assertOk(q.runAny("qemu-img", "resize", "-f", "raw", f, "2M")); // released
    }

    // ---- qemu holds the file, corio comes ----------------------------------------------

    @Test
    void corioRefusesToWriteAFileQemuWritesButReadsIt() throws Exception {
        Qemu.require();
        Qemu q = new Qemu(dir);
        try (Qemu.Held io = q.holdIo(img, "-f", "raw")) {
            assertTrue(refusal().contains("write"), "names the permission at stake");
            BlockDriver.file(img, FileOption.READ_ONLY).close(); // qemu-io shares everything
        }
        try (Qemu.Held nbd = q.holdNbd(img, "-f", "raw")) {
            refusal();
            // qemu-nbd shares write on a raw file (only resize is its own), so a reader may
            BlockDriver.file(img, FileOption.READ_ONLY).close();
        }
        BlockDriver.file(img).close(); // released with qemu
    }

    @Test
    void corioWritesAFileQemuOnlyReads() throws Exception {
        Qemu.require();
        Qemu q = new Qemu(dir);
        try (Qemu.Held io = q.holdIo(img, "-r", "-f", "raw");
                Qemu.Held nbd = q.holdNbd(img, "-r", "-f", "raw")) {
            BlockDriver.file(img).close(); // both share write
            BlockDriver.file(img, FileOption.READ_ONLY).close();
        }
    }

    // ---- corio against corio -----------------------------------------------------------

    @Test
    void twoWritersExcludeEachOtherReadersDoNot() throws Exception {
        try (BlockDriver writer = BlockDriver.file(img)) {
            assertTrue(refusal().contains("two writers would corrupt it"));
            try (BlockDriver reader = BlockDriver.file(img, FileOption.READ_ONLY);
                    BlockDriver another = BlockDriver.file(img, FileOption.READ_ONLY)) {
                assertTrue(reader.readOnly() && another.readOnly());
            }
        }
        try (BlockDriver reader = BlockDriver.file(img, FileOption.READ_ONLY);
                BlockDriver writer = BlockDriver.file(img)) { // and in the other order
            assertFalse(writer.readOnly());
        }
    }

    @Test
    void aRefusedOpenKeepsNoLockAndCloseReleases() throws Exception {
        BlockDriver first = BlockDriver.file(img);
        refusal(); // took its bytes, saw the first's, gave its own back
        refusal(FileOption.DIRECT);
        first.close();
        first.close(); // idempotent
        BlockDriver.file(img).close(); // nothing left behind by the refused ones
    }

    // ---- no lock ------------------------------------------------------------------------

    @Test
    void noLockOpensBesideAWriterAndTakesNothing() throws Exception {
        try (BlockDriver writer = BlockDriver.file(img);
                BlockDriver unlocked = BlockDriver.file(img, FileOption.NO_LOCK)) {
            assertTrue(unlocked.toString().contains("unlocked"), unlocked.toString());
            assertFalse(writer.toString().contains("unlocked"), writer.toString());
        }
        try (BlockDriver unlocked = BlockDriver.file(img, FileOption.NO_LOCK);
                BlockDriver writer = BlockDriver.file(img)) { // it holds nothing to refuse
            assertFalse(writer.readOnly());
        }
    }

    @Test
    void qemuWritesAFileCorioOpenedWithoutLock() throws Exception {
        Qemu.require();
        Qemu q = new Qemu(dir);
        try (BlockDriver unlocked = BlockDriver.file(img, FileOption.NO_LOCK)) {
            assertOk(q.runAny("qemu-io", "-f", "raw", "-c", "write 0 4k", img.toString()));
            assertOk(q.runAny("qemu-img", "resize", "-f", "raw", img.toString(), "2M"));
        }
        try (Qemu.Held io = q.holdIo(img, "-f", "raw")) {
            BlockDriver.file(img, FileOption.NO_LOCK).close(); // and the other way round
        }
    }
}
