package io.corio.blockio.qcow2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.blockio.BlockDriver;
import io.corio.blockio.BlockError;
import io.corio.blockio.BlockException;
import io.corio.core.AioContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Writes through {@link Qcow2#openReadWrite} on images made by qemu-img (qemu-utils): random
 * writes, write-zeroes and discards mirrored into a byte array, then {@code qemu-img check}
 * (no corruption, no leak) and {@code qemu-img compare} against the mirror.
 */
@Timeout(300)
class Qcow2WriteTest {
    @TempDir
    Path dir;
    final AioContext ctx = AioContext.start("qcow2-write");

    @AfterEach
    void stop() {
        ctx.close();
    }

    /** An image to write: its creation options and what lies under and around it. */
    record Config(int version, int clusterSize, int refcountBits, boolean backing,
            boolean snapshot) {
        long size() {
            return clusterSize == 512 ? 4L << 20 : clusterSize == 2 << 20 ? 64L << 20 : 16L << 20;
        }

        String options() {
            return "compat=" + (version == 2 ? "0.10" : "1.1") + ",cluster_size=" + clusterSize
                    + ",refcount_bits=" + refcountBits;
        }

        @Override
        public String toString() {
            return "v" + version + " " + clusterSize + " B clusters, " + refcountBits
                    + "-bit refcounts" + (backing ? ", backing" : "") + (snapshot
                    ? ", snapshot" : "");
        }
    }

    static Stream<Config> configs() {
        return Stream.of(
                new Config(3, 65536, 16, false, false),
                new Config(3, 65536, 16, true, false),
                new Config(2, 65536, 16, false, false),
                new Config(2, 65536, 16, true, false),
                new Config(3, 512, 64, false, false), // the refcount table grows
                new Config(3, 512, 1, true, false),
                new Config(2, 512, 16, true, false),
                new Config(3, 2 << 20, 16, true, false),
                new Config(3, 2 << 20, 1, false, false),
                new Config(3, 65536, 16, false, true), // shared clusters: COW on every write
                new Config(2, 65536, 16, true, true));
    }

    /** Makes the image: backing file, some clusters written by qemu-io, maybe a snapshot. */
    static Path make(Qemu q, Config c) throws Exception {
        long size = c.size();
        int cs = c.clusterSize();
        Path top;
        if (c.backing()) {
            Path base = q.create("base.qcow2", "cluster_size=65536", size);
            q.io(base, "write -P 0x5a 0 " + size / 2, "write -P 0xa5 " + size * 3 / 4 + " "
                    + size / 8);
            top = q.create("top.qcow2", c.options(), size, "-b", "base.qcow2", "-F", "qcow2");
        } else {
            top = q.create("top.qcow2", c.options(), size);
        }
        List<String> cmds = new ArrayList<>(List.of("write -P 0x11 0 " + 3 * cs,
                "write -c -P 0x22 " + 8L * cs + " " + cs,
                "write -P 0x33 " + size / 2 + " " + 5 * cs));
        if (c.version() == 3) {
            cmds.add("write -z " + 12L * cs + " " + 2 * cs);
            cmds.add("write -P 0x44 " + 20L * cs + " " + cs);
            cmds.add("write -z " + 20L * cs + " " + cs); // a preallocated zero cluster
        }
        q.io(top, cmds.toArray(String[]::new));
        if (c.snapshot()) {
            q.run("qemu-img", "snapshot", "-c", "snap", top.toString());
        }
        return top;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void randomWritesZeroesAndDiscardsMatchAMirror(Config c) throws Exception {
        Qemu.require();
        Qemu q = new Qemu(dir);
        Path top = make(q, c);
        byte[] before = q.raw(top);
        byte[] mirror = before.clone();
        Random rnd = new Random(c.hashCode());
        try (BlockDriver d = Qcow2.openReadWrite(top)) {
            assertFalse(d.readOnly());
            ctx.call(() -> {
                for (int i = 0; i < 400; i++) {
                    randomOp(d, rnd, c, mirror);
                }
                return null;
            });
        }
        q.check(top, false);
        q.assertContents(top, mirror);
        if (c.clusterSize() == 512 && c.refcountBits() == 64) { // 2 MiB per table cluster
            assertTrue(getInt(top, 56) > 1, "the refcount table grew");
        }
        if (c.snapshot()) {
            Path snap = dir.resolve("snap.raw");
            q.run("qemu-img", "convert", "-l", "snap", "-O", "raw", top.toString(),
                    snap.toString());
            assertArrayEquals(before, Files.readAllBytes(snap), "the snapshot is unchanged");
        }
    }

    /** One random request on {@code d}, mirrored into {@code mirror}; reads are checked. */
    static void randomOp(BlockDriver d, Random rnd, Config c, byte[] mirror)
            throws BlockException {
        int cs = c.clusterSize();
        long size = mirror.length;
        long offset = rnd.nextInt(4) == 0 ? (long) rnd.nextInt((int) (size / cs)) * cs
                : rnd.nextLong(size);
        int max = rnd.nextInt(3) == 0 ? Math.max(3 * cs, 256 << 10) : 2 * cs;
        int length = (int) Math.min(size - offset, 1 + rnd.nextInt(max));
        int kind = rnd.nextInt(100);
        if (kind < 55) {
            byte[] data = new byte[length];
            rnd.nextBytes(data);
            d.write(offset, ByteBuffer.wrap(data), rnd.nextInt(10) == 0 ? BlockDriver.FUA : 0);
            System.arraycopy(data, 0, mirror, (int) offset, length);
        } else if (kind < 70) {
            int flags = (rnd.nextBoolean() ? BlockDriver.MAY_TRIM : 0)
                    | (rnd.nextInt(10) == 0 ? BlockDriver.FUA : 0);
            d.writeZeroes(offset, length, flags);
            Arrays.fill(mirror, (int) offset, (int) offset + length, (byte) 0);
        } else if (kind < 85) {
            d.discard(offset, length);
            if (!(c.version() == 2 && c.backing())) { // whole clusters read as zero
                long from = (offset + cs - 1) / cs * cs;
                long end = offset + length;
                long to = end == size ? size : end / cs * cs;
                if (from < to) {
                    Arrays.fill(mirror, (int) from, (int) to, (byte) 0);
                }
            }
        } else if (kind < 90) {
            d.flush();
        } else {
            ByteBuffer got = ByteBuffer.allocate(length);
            d.read(offset, got);
            byte[] want = Arrays.copyOfRange(mirror, (int) offset, (int) offset + length);
            assertArrayEquals(want, got.array(), "read of " + length + " at " + offset);
        }
    }

    @Test
    void unknownAutoclearBitsAreClearedBeforeWriting() throws Exception {
        Qemu.require();
        Qemu q = new Qemu(dir);
        Path p = q.create("ac.qcow2", "compat=1.1", 1 << 20);
        setByte(p, 95, 0x04); // autoclear bit 2: unknown
        try (BlockDriver d = Qcow2.openReadWrite(p)) {
            ctx.call(() -> {
                d.write(4096, ByteBuffer.wrap(new byte[] {1, 2, 3}), 0);
                return null;
            });
        }
        assertEquals(0, getByte(p, 95));
        q.check(p, false);
    }

    @Test
    void aSmallWriteIntoAFreshClusterWritesOnlyItsData() throws Exception {
        Qemu.require();
        Qemu q = new Qemu(dir);
        Path p = q.create("fresh.qcow2", "compat=1.1,cluster_size=65536", 4 << 20);
        byte[] mirror = new byte[4 << 20];
        long[] sizes = new long[2];
        try (BlockDriver d = Qcow2.openReadWrite(p)) {
            ctx.call(() -> {
                byte[] data = new byte[4096];
                java.util.Arrays.fill(data, (byte) 0x5a);
                for (int i = 0; i < 2; i++) { // first the L2 table and a cluster, then one more
                    long at = i * 2 * 65536 + 8192; // the middle of a fresh cluster
                    d.write(at, ByteBuffer.wrap(data), 0);
                    System.arraycopy(data, 0, mirror, (int) at, data.length);
                    d.flush();
                    sizes[i] = Files.size(p);
                }
                return null;
            });
        }
        // the second data cluster is the file's last: of it only the hole before the data and
        // the data reach the file (12 KiB); a whole-cluster write would add 64 KiB
        long lastClusterStart = (sizes[0] + 65535) / 65536 * 65536;
        assertEquals(lastClusterStart + 8192 + 4096, sizes[1], "the file ends after the data");
        q.check(p, false);
        q.assertContents(p, mirror); // the clusters' untouched parts read as zeros
    }

    @Test
    void aWritableImageIsLockedAgainstOtherWriters() throws Exception {
        Qemu.require();
        Qemu q = new Qemu(dir);
        Path p = q.create("locked.qcow2", "compat=1.1", 1 << 20);
        try (BlockDriver d = Qcow2.openReadWrite(p)) {
            java.io.IOException e = assertThrows(java.io.IOException.class,
                    () -> Qcow2.openReadWrite(p).close());
            assertTrue(e.getMessage().contains("locked"), e.getMessage());
            Qemu.Run io = q.runAny("qemu-io", "-f", "qcow2", "-c", "write 0 4k", p.toString());
            assertTrue(io.exit() != 0 && io.output().contains("Failed to get \"write\" lock"),
                    io.output());
            Qemu.Run check = q.runAny("qemu-img", "check", p.toString());
            assertTrue(check.exit() != 0 && check.output().contains("lock"), check.output());
            Qemu.Run shared = q.runAny("qemu-img", "check", "-U", p.toString());
            assertEquals(0, shared.exit(), shared.output()); // -U: qemu's force-share still reads
        }
        try (BlockDriver again = Qcow2.openReadWrite(p)) { // released at close
            assertFalse(again.readOnly());
        }
        q.check(p, false);
        Qemu.Run reader = q.runAny("qemu-io", "-r", "-f", "qcow2", "-c", "read 0 4k",
                p.toString());
        assertEquals(0, reader.exit(), reader.output());
        try (Qemu.Held qemuWriter = q.holdIo(p, "-f", "qcow2")) { // the other way round
            java.io.IOException e = assertThrows(java.io.IOException.class,
                    () -> Qcow2.openReadWrite(p).close());
            assertTrue(e.getMessage().contains("locked"), e.getMessage());
        }
        try (Qemu.Held qemuReader = q.holdIo(p, "-r", "-f", "qcow2")) { // shares no write
            assertThrows(java.io.IOException.class, () -> Qcow2.openReadWrite(p).close());
        }
        Qcow2.openReadWrite(p).close(); // qemu gone, its locks too
    }

    @Test
    void aReadOnlyImageRefusesWritesWithEperm() throws Exception {
        Qemu.require();
        Qemu q = new Qemu(dir);
        Path p = q.create("ro.qcow2", "compat=1.1", 1 << 20);
        try (BlockDriver d = Qcow2.open(p)) {
            BlockException e = assertThrows(BlockException.class, () -> ctx.call(() -> {
                d.write(0, ByteBuffer.allocate(1), 0);
                return null;
            }));
            assertEquals(BlockError.EPERM, e.error());
        }
    }

    static void setByte(Path p, long at, int value) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {(byte) value}), at);
        }
    }

    static int getInt(Path p, long at) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(4);
            ch.read(b, at);
            return b.getInt(0);
        }
    }

    static int getByte(Path p, long at) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, at);
            return b.get(0) & 0xff;
        }
    }
}
