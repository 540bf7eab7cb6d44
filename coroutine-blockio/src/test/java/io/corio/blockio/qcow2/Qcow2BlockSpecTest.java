package io.corio.blockio.qcow2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.blockio.BlockDriver;
import io.corio.blockio.BlockSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --file} detects qcow2 by its magic; {@code --format} forces; writable unless --readonly. */
class Qcow2BlockSpecTest {
    @TempDir
    Path dir;

    Path image() throws IOException {
        Path p = dir.resolve("disk.qcow2");
        Files.write(p, Arrays.copyOf(Qcow2HeaderTest.image().array(), 4 * 512));
        return p;
    }

    static BlockSpec parse(String... args) {
        return BlockSpec.parse(List.of(args));
    }

    @Test
    void aQcow2FileIsDetectedAndServedReadOnly() throws Exception {
        Path p = image();
        try (BlockDriver d = parse("--file", p.toString(), "--read-only").open()) {
            assertEquals(Qcow2HeaderTest.SIZE, d.length()); // the virtual size, not the file's
            assertTrue(d.toString().contains("qcow2"), d.toString());
        }
        try (BlockDriver d = parse("--file", p.toString(), "--readonly", "--format", "qcow2")
                .open()) {
            assertEquals(Qcow2HeaderTest.SIZE, d.length());
        }
    }

    @Test
    void aQcow2FileWithoutReadOnlyIsOpenedWritable() throws Exception {
        Qemu.require();
        Path p = new Qemu(dir).create("w.qcow2", "compat=1.1", 1 << 20);
        try (BlockDriver d = parse("--file", p.toString()).open()) {
            assertEquals(1 << 20, d.length());
            assertTrue(!d.readOnly() && d.canDiscard(), d.toString());
        }
        try (BlockDriver d = parse("--file", p.toString(), "--readonly").open()) {
            assertTrue(d.readOnly(), d.toString());
        }
    }

    @Test
    void aDirtyQcow2IsRepairedWithoutReadOnlyAndLeftAsItIsWithIt() throws Exception {
        Qemu.require();
        Path p = new Qemu(dir).create("d.qcow2", "compat=1.1", 1 << 20);
        Qcow2WriteTest.setByte(p, 79, 1); // the dirty bit
        parse("--file", p.toString(), "--readonly").open().close();
        assertEquals(1, Qcow2WriteTest.getByte(p, 79));
        parse("--file", p.toString()).open().close();
        assertEquals(0, Qcow2WriteTest.getByte(p, 79));
    }

    @Test
    void noLockIsForRawFilesOnly() throws Exception {
        Path p = image();
        IOException e = assertThrows(IOException.class, () -> parse("--file", p.toString(),
                "--readonly", "--no-lock").open().close());
        assertTrue(e.getMessage().contains("--no-lock is for raw files"), e.getMessage());
        try (BlockDriver d = parse("--file", p.toString(), "--format=raw", "--no-lock").open()) {
            assertTrue(d.toString().contains("unlocked"), d.toString()); // its bytes, as raw
        }
    }

    @Test
    void formatRawServesTheImageFileItself() throws Exception {
        Path p = image();
        try (BlockDriver d = parse("--file", p.toString(), "--format=raw").open()) {
            assertEquals(Files.size(p), d.length());
            assertTrue(!d.readOnly());
        }
    }

    @Test
    void forcingQcow2OnARawFileOrWithRawOnlyFlagsIsRefused() throws Exception {
        Path raw = dir.resolve("raw.img");
        Files.write(raw, new byte[4096]);
        IOException e = assertThrows(IOException.class, () -> parse("--file", raw.toString(),
                "--readonly", "--format", "qcow2").open().close());
        assertTrue(e.getMessage().contains("not a qcow2 image"), e.getMessage());
        for (List<String> args : List.of(List.of("--format", "vmdk"),
                List.of("--format", "qcow2", "--direct"),
                List.of("--format", "qcow2", "--no-lock"),
                List.of("--format", "qcow2", "--create-size", "1M"))) {
            List<String> all = new java.util.ArrayList<>(List.of("--file", "x"));
            all.addAll(args);
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                    () -> BlockSpec.parse(all));
            assertTrue(bad.getMessage().contains("--format"), bad.getMessage());
        }
        assertThrows(IllegalArgumentException.class,
                () -> parse("--memory", "1M", "--format", "raw"));
    }
}
