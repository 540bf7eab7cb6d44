package io.corio.blockio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.core.AioContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockSpecTest {

    private static final long GIB = 1L << 30;

    @TempDir
    Path tmp;

    private static BlockSpec parse(String... args) {
        return BlockSpec.parse(List.of(args));
    }

    /** The message of the IllegalArgumentException that parsing {@code args} throws. */
    private static String refusal(String... args) {
        return assertThrows(IllegalArgumentException.class, () -> parse(args)).getMessage();
    }

    @Test
    void parsesADeviceAndItsFilters() {
        assertEquals(new BlockSpec(new BlockSpec.Memory(GIB), false, Duration.ZERO,
                Duration.ZERO, false), parse("--memory", "1G"));
        BlockSpec s = parse("--file", "disk.img", "--create-size=512M", "--readonly", "--direct",
                "--latency", "1ms-30ms", "--count");
        assertEquals(new BlockSpec.File(Path.of("disk.img"), 512L << 20, true), s.device());
        assertTrue(s.readOnly());
        assertTrue(s.count());
        assertEquals(Duration.ofMillis(1), s.minLatency());
        assertEquals(Duration.ofMillis(30), s.maxLatency());
        assertEquals("file disk.img (O_DIRECT), read-only, latency 1ms-30ms, counted",
                s.toString());
        BlockSpec fixed = parse("--memory=4096", "--latency=250us");
        assertEquals(Duration.ofNanos(250_000), fixed.minLatency());
        assertEquals(fixed.minLatency(), fixed.maxLatency());
        assertEquals(new BlockSpec.File(Path.of("x"), -1, false), parse("--file", "x").device());
    }

    @Test
    void sizesTakeBinarySuffixesAndDurationsTakeUnits() {
        assertEquals(4096, BlockSpec.parseSize("--memory", "4096"));
        assertEquals(2048, BlockSpec.parseSize("--memory", "2k"));
        assertEquals(3L << 20, BlockSpec.parseSize("--memory", "3M"));
        assertEquals(8L << 30, BlockSpec.parseSize("--memory", "8G"));
        assertEquals(1L << 40, BlockSpec.parseSize("--memory", "1T"));
        assertEquals(1L << 30, BlockSpec.parseSize("--memory", "1GiB"));
        assertEquals(64L << 10, BlockSpec.parseSize("--memory", "64kb"));
        assertEquals(100, BlockSpec.parseSize("--memory", "100B"));
        assertEquals("1 GiB", BlockSpec.formatSize(1L << 30));
        assertEquals("1536 KiB", BlockSpec.formatSize(1536 << 10));
        assertEquals("100 B", BlockSpec.formatSize(100));
        assertEquals(Duration.ofNanos(7), BlockSpec.parseDuration("--latency", "7ns"));
        assertEquals(Duration.ofNanos(1500), BlockSpec.parseDuration("--latency", "1.5us"));
        assertEquals(Duration.ofMillis(10), BlockSpec.parseDuration("--latency", "10ms"));
        assertEquals(Duration.ofSeconds(2), BlockSpec.parseDuration("--latency", "2s"));
        assertEquals(Duration.ZERO, BlockSpec.parseDuration("--latency", "0ms"));
        assertEquals("1500ns", Requests.duration(Duration.ofNanos(1500)));
        assertEquals("250us", Requests.duration(Duration.ofNanos(250_000)));
        assertEquals("2s", Requests.duration(Duration.ofSeconds(2)));
    }

    @Test
    void badValuesAreRefusedNamingTheFlagAndValue() {
        assertEquals("--memory '1X' is not a size: give bytes or a number with K, M, G or T,"
                + " e.g. 1G", refusal("--memory", "1X"));
        assertTrue(refusal("--memory", "-5").startsWith("--memory '-5' is not a size"));
        assertTrue(refusal("--memory", "G").startsWith("--memory 'G' is not a size"));
        assertEquals("--create-size '99999999T' is too large",
                refusal("--file", "f", "--create-size", "99999999T"));
        assertTrue(refusal("--memory", "100T").startsWith("--memory 109951162777600: more than"));
        assertEquals("--latency '10' has no unit: give a number with ns, us, ms or s, e.g. 10ms",
                refusal("--memory", "1M", "--latency", "10"));
        assertTrue(refusal("--memory", "1M", "--latency", "fastms").startsWith(
                "--latency 'fastms' is not a time"));
        assertEquals("--latency '30ms-1ms': the range ends before it starts",
                refusal("--memory", "1M", "--latency", "30ms-1ms"));
        assertEquals("--memory needs a value", refusal("--memory"));
        assertEquals("--count takes no value, got 'yes'", refusal("--memory", "1M", "--count=yes"));
    }

    @Test
    void badCombinationsAreRefused() {
        assertEquals("no device: give --memory SIZE or --file PATH", refusal("--count"));
        assertEquals("--memory and --file both given: choose one device",
                refusal("--memory", "1M", "--file", "f"));
        assertEquals("--direct needs --file", refusal("--memory", "1M", "--direct"));
        assertEquals("--create-size needs --file", refusal("--memory", "1M", "--create-size", "1M"));
        assertEquals("--no-lock needs --file", refusal("--memory", "1M", "--no-lock"));
        assertEquals("--latency given twice",
                refusal("--memory", "1M", "--latency", "1ms", "--latency", "2ms"));
        assertTrue(refusal("--memory", "1M", "--port", "10809").startsWith(
                "unknown argument '--port'"));
    }

    @Test
    void otherProgramsFlagsAreLeftInOrder() {
        BlockSpec.Parsed p = BlockSpec.parseKnown(List.of("--port", "10809", "--memory", "1G",
                "--name=disk", "--count", "extra"));
        assertEquals(List.of("--port", "10809", "--name=disk", "extra"), p.rest());
        assertEquals(new BlockSpec.Memory(GIB), p.spec().device());
        assertTrue(p.spec().count());
    }

    @Test
    void theUsageNamesEveryFlag() {
        for (String flag : List.of("--memory SIZE", "--file PATH", "--create-size SIZE",
                "--direct", "--no-lock", "--readonly", "--latency TIME", "--latency MIN-MAX", "--count")) {
            assertTrue(BlockSpec.USAGE.contains(flag), flag);
        }
    }

    @Test
    void opensTheStackItDescribes() throws Exception {
        try (AioContext ctx = AioContext.start("spec-test");
                BlockDriver d = parse("--memory", "8G", "--latency", "0ns-1us", "--count").open()) {
            CountingFilter counted = assertInstanceOf(CountingFilter.class, d);
            assertEquals(8 * GIB, d.length());
            ctx.call(() -> {
                d.write(GIB, ByteBuffer.wrap(new byte[] {1, 2, 3}), 0);
                return null;
            });
            assertEquals(1, counted.counts().write().requests());
        }
        try (BlockDriver d = parse("--memory", "1M", "--readonly").open()) {
            assertTrue(d.readOnly());
            assertFalse(d instanceof CountingFilter);
        }
    }

    @Test
    void noLockOpensARawFileBesideAWriter() throws Exception {
        Path img = tmp.resolve("shared.img");
        BlockDriver.createFile(img, 1 << 20);
        BlockSpec unlocked = parse("--file", img.toString(), "--no-lock");
        assertEquals(new BlockSpec.File(img, -1, false, BlockSpec.Format.DETECT, false),
                unlocked.device());
        assertEquals("file " + img + " (unlocked)", unlocked.toString());
        BlockSpec locked = parse("--file", img.toString());
        try (BlockDriver writer = locked.open(); BlockDriver second = unlocked.open()) {
            assertFalse(second.readOnly());
            IOException e = assertThrows(IOException.class, () -> locked.open().close());
            assertTrue(e.getMessage().contains("locked"), e.getMessage());
        }
    }

    @Test
    void createSizeMakesASparseFileOnceAndNeverChangesAnother() throws Exception {
        Path img = tmp.resolve("disk.img");
        BlockSpec spec = parse("--file", img.toString(), "--create-size", "64M");
        try (BlockDriver d = spec.open()) {
            assertEquals(64L << 20, d.length());
        }
        assertEquals(64L << 20, Files.size(img));
        Files.write(img, new byte[] {9}, java.nio.file.StandardOpenOption.WRITE);
        try (BlockDriver d = spec.open()) { // exists with that size: used as it is
            assertEquals(64L << 20, d.length());
        }
        assertEquals(9, Files.readAllBytes(img)[0], "kept");
        IOException e = assertThrows(IOException.class,
                () -> parse("--file", img.toString(), "--create-size", "1G").open());
        assertTrue(e.getMessage().contains("exists with 67108864 bytes"), e.getMessage());
        assertEquals(64L << 20, Files.size(img), "not resized");
        try (BlockDriver d = parse("--file", img.toString(), "--readonly").open()) {
            assertTrue(d.readOnly());
        }
    }
}
