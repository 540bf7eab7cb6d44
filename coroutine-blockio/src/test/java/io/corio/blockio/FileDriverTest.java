package io.corio.blockio;

import static io.corio.blockio.Drivers.HOLE;
import static io.corio.blockio.Drivers.errorOf;
import static io.corio.blockio.Drivers.pattern;
import static io.corio.blockio.Drivers.read;
import static io.corio.blockio.Drivers.status;
import static io.corio.blockio.Drivers.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.corio.core.AioContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The file driver's contract on the test's temporary directory ({@code disk}) and on
 * {@code /dev/shm} ({@code tmpfs}, which lacks {@code ZERO_RANGE}). Hole reporting differs
 * between file systems, so only the assertions about {@code HOLE} are skipped, with a
 * message, where the file system reports none; what reads as zero is checked everywhere.
 */
class FileDriverTest {

    private static final int MIB = 1 << 20;

    @TempDir
    Path tmp;
    private Path shm;
    private AioContext ctx;

    @BeforeEach
    void start() {
        ctx = AioContext.start("file-test");
    }

    @AfterEach
    void stop() throws IOException {
        ctx.close();
        if (shm != null) {
            try (Stream<Path> all = Files.walk(shm)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    /** This test's directory on the named file system. */
    private Path dir(String fs) throws IOException {
        if (fs.equals("disk")) {
            return tmp;
        }
        if (shm != null) {
            return shm;
        }
        Path base = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(base) && Files.isWritable(base), "no writable /dev/shm");
        shm = Files.createTempDirectory(base, "corio-blk");
        return shm;
    }

    /** A new sparse file of {@code size} bytes, open as a driver. */
    private FileDriver sparse(String fs, long size, FileOption... options) throws IOException {
        Path p = dir(fs).resolve("disk.img");
        BlockDriver.createFile(p, size);
        return (FileDriver) BlockDriver.file(p, options);
    }

    /** Whether this file system reports the holes of a sparse file. */
    private boolean reportsHoles(FileDriver d) throws Exception {
        return ctx.call(() -> d.blockStatus(0, d.length()).getFirst().flags() == HOLE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"disk", "tmpfs"})
    void aNewSparseFileReadsZeroAndKeepsWhatIsWritten(String fs) throws Exception {
        try (FileDriver d = sparse(fs, 8L * MIB)) {
            assertEquals(8L * MIB, d.length());
            assertFalse(d.readOnly());
            assertFalse(d.canFua());
            ctx.call(() -> {
                assertArrayEquals(new byte[MIB], read(d, 3L * MIB, MIB));
                write(d, MIB - 10, pattern(20, 1)); // across a MiB boundary, unaligned
                d.write(5L * MIB, ByteBuffer.wrap(pattern(4096, 2)), BlockDriver.FUA);
                write(d, 8L * MIB - 1, new byte[] {42});
                ByteBuffer direct = ByteBuffer.allocateDirect(20);
                d.read(MIB - 10, direct);
                assertArrayEquals(pattern(20, 1), Arrays.copyOf(read(d, MIB - 10, 20), 20));
                assertEquals(0, direct.remaining());
                d.flush();
                return null;
            });
        }
        byte[] file = Files.readAllBytes(dir(fs).resolve("disk.img"));
        assertEquals(8 * MIB, file.length, "the file keeps its size");
        assertArrayEquals(pattern(20, 1), Arrays.copyOfRange(file, MIB - 10, MIB + 10));
        assertArrayEquals(pattern(4096, 2), Arrays.copyOfRange(file, 5 * MIB, 5 * MIB + 4096));
        assertEquals(42, file[8 * MIB - 1]);
    }

    @ParameterizedTest
    @ValueSource(strings = {"disk", "tmpfs"})
    void blockStatusShowsHolesAndData(String fs) throws Exception {
        try (FileDriver d = sparse(fs, 8L * MIB)) {
            assumeTrue(reportsHoles(d), fs + ": the file system reports no holes");
            ctx.call(() -> {
                write(d, 4L * MIB, pattern(MIB, 3));
                List<Extent> all = status(d, 0, d.length());
                assertEquals(new Extent(0, 4L * MIB, HOLE), all.getFirst());
                assertEquals(HOLE, all.getLast().flags(), all.toString());
                Extent data = all.stream().filter(e -> e.flags() == 0).findFirst().orElseThrow();
                assertTrue(data.offset() <= 4L * MIB && data.end() >= 5L * MIB, all.toString());
                d.discard(4L * MIB, MIB);
                assertEquals(List.of(new Extent(0, 8L * MIB, HOLE)), status(d, 0, d.length()));
                return null;
            });
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"disk", "tmpfs"})
    void discardAndWriteZeroesReadAsZero(String fs) throws Exception {
        try (FileDriver d = sparse(fs, 4L * MIB)) {
            ctx.call(() -> {
                byte[] all = pattern(4 * MIB, 4);
                write(d, 0, all);
                d.discard(100, 5000); // unaligned: partial blocks are zeroed
                d.writeZeroes(MIB + 3, 70000, 0);
                d.writeZeroes(2L * MIB + 5, 3 * 4096, BlockDriver.MAY_TRIM | BlockDriver.FUA);
                d.writeZeroes(3L * MIB, 4096, BlockDriver.FAST_ZERO); // fast here: no ENOTSUP
                byte[] expect = all.clone();
                Arrays.fill(expect, 100, 5100, (byte) 0);
                Arrays.fill(expect, MIB + 3, MIB + 3 + 70000, (byte) 0);
                Arrays.fill(expect, 2 * MIB + 5, 2 * MIB + 5 + 3 * 4096, (byte) 0);
                Arrays.fill(expect, 3 * MIB, 3 * MIB + 4096, (byte) 0);
                assertArrayEquals(expect, read(d, 0, 4 * MIB));
                return null;
            });
            assertTrue(d.canDiscard());
            assertTrue(d.canFastZero());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"disk", "tmpfs"})
    void withoutFallocateZeroesAreWrittenAndFastZeroIsRefused(String fs) throws Exception {
        try (FileDriver d = sparse(fs, MIB)) {
            d.refuseFallocate();
            assertFalse(d.canFastZero());
            assertFalse(d.canDiscard());
            ctx.call(() -> {
                write(d, 0, pattern(MIB, 5));
                assertEquals(BlockError.ENOTSUP, errorOf(() -> d.writeZeroes(10, 1000,
                        BlockDriver.FAST_ZERO | BlockDriver.MAY_TRIM)));
                assertArrayEquals(pattern(MIB, 5), read(d, 0, MIB), "FAST_ZERO changed nothing");
                d.writeZeroes(10, 3 * MIB / 4, BlockDriver.MAY_TRIM);
                byte[] expect = pattern(MIB, 5);
                Arrays.fill(expect, 10, 10 + 3 * MIB / 4, (byte) 0);
                assertArrayEquals(expect, read(d, 0, MIB), "the slow fallback wrote zeros");
                d.discard(0, MIB); // cannot deallocate: a no-op, which a hint may be
                assertArrayEquals(expect, read(d, 0, MIB));
                return null;
            });
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"disk"})
    void outOfRangeIsEinvalAndReadOnlyIsEperm(String fs) throws Exception {
        Path p = dir(fs).resolve("ro.img");
        BlockDriver.createFile(p, 8192);
        try (BlockDriver rw = BlockDriver.file(p)) {
            ctx.call(() -> {
                write(rw, 0, pattern(8192, 6));
                assertEquals(BlockError.EINVAL, errorOf(() -> rw.read(8000, ByteBuffer.allocate(193))));
                assertEquals(BlockError.EINVAL, errorOf(() -> rw.write(-5, ByteBuffer.allocate(1), 0)));
                assertEquals(BlockError.EINVAL, errorOf(() -> rw.writeZeroes(8192, 1, 0)));
                assertEquals(BlockError.EINVAL, errorOf(() -> rw.discard(1, 8192)));
                assertEquals(BlockError.EINVAL, errorOf(() -> rw.blockStatus(0, 8193)));
                return null;
            });
        }
        assertEquals(8192, Files.size(p), "out-of-range requests did not grow the file");
        try (BlockDriver ro = BlockDriver.file(p, FileOption.READ_ONLY)) {
            assertTrue(ro.readOnly());
            assertFalse(ro.canDiscard());
            ctx.call(() -> {
                assertEquals(BlockError.EPERM, errorOf(() -> ro.write(0, ByteBuffer.allocate(1), 0)));
                assertEquals(BlockError.EPERM, errorOf(() -> ro.discard(0, 4096)));
                assertEquals(BlockError.EPERM, errorOf(() -> ro.writeZeroes(0, 4096,
                        BlockDriver.MAY_TRIM)));
                ro.flush();
                assertArrayEquals(pattern(8192, 6), read(ro, 0, 8192));
                return null;
            });
        }
        assertArrayEquals(pattern(8192, 6), Files.readAllBytes(p));
    }

    @ParameterizedTest
    @ValueSource(strings = {"disk"})
    void openingAndCreatingFailClearly(String fs) throws Exception {
        Path dir = dir(fs);
        assertThrows(NoSuchFileException.class, () -> BlockDriver.file(dir.resolve("missing")));
        assertThrows(IOException.class, () -> BlockDriver.file(dir));
        Path p = dir.resolve("kept.img");
        Files.write(p, pattern(100, 7));
        assertThrows(FileAlreadyExistsException.class, () -> BlockDriver.createFile(p, 4096));
        assertArrayEquals(pattern(100, 7), Files.readAllBytes(p), "an existing file is kept");
        assertThrows(IllegalArgumentException.class,
                () -> BlockDriver.createFile(dir.resolve("neg.img"), -1));
        assertFalse(Files.exists(dir.resolve("neg.img")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"disk"})
    void aClosedFileAnswersEshutdown(String fs) throws Exception {
        FileDriver d = sparse(fs, 4096);
        d.close();
        d.close();
        ctx.call(() -> {
            assertEquals(BlockError.ESHUTDOWN, errorOf(() -> d.read(0, ByteBuffer.allocate(1))));
            assertEquals(BlockError.ESHUTDOWN, errorOf(() -> d.discard(0, 1)));
            assertEquals(BlockError.ESHUTDOWN, errorOf(() -> d.blockStatus(0, 1)));
            return null;
        });
        assertTrue(d.toString().contains("closed"), d.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"disk", "tmpfs"})
    void directIoNeedsAlignedRequestsButNotAlignedBuffers(String fs) throws Exception {
        Path p = dir(fs).resolve("direct.img");
        BlockDriver.createFile(p, 4L * MIB);
        FileDriver d;
        try {
            d = (FileDriver) BlockDriver.file(p, FileOption.DIRECT);
        } catch (IOException e) {
            assumeTrue(false, fs + ": no O_DIRECT here: " + e.getMessage());
            return;
        }
        try (d) {
            int a = d.alignment();
            assertTrue(a >= 512 && Integer.bitCount(a) == 1, "alignment " + a);
            ctx.call(() -> {
                write(d, a, pattern(2 * a, 8)); // a heap buffer
                ByteBuffer odd = ByteBuffer.allocateDirect(a + 1).position(1).slice(); // misaligned
                d.read(a, odd);
                assertArrayEquals(Arrays.copyOf(pattern(2 * a, 8), a), read(d, a, a));
                assertEquals(pattern(2 * a, 8)[0], odd.get(0));
                assertEquals(BlockError.EINVAL, errorOf(() -> d.read(1, ByteBuffer.allocate(a))));
                assertEquals(BlockError.EINVAL, errorOf(() -> d.write(0, ByteBuffer.allocate(a - 1), 0)));
                d.writeZeroes(a, 100, 0); // fallocate needs no alignment
                assertArrayEquals(new byte[100], Arrays.copyOf(read(d, a, a), 100));
                return null;
            });
        }
    }

    @Test
    void directIoRunsOnTheDriversBoundedPoolNotOnOneThreadPerRequest() throws Exception {
        Path p = dir("disk").resolve("direct-pool.img");
        BlockDriver.createFile(p, 4L * MIB);
        FileDriver d;
        try {
            d = (FileDriver) BlockDriver.file(p, FileOption.DIRECT);
        } catch (IOException e) {
            assumeTrue(false, "no O_DIRECT here: " + e.getMessage());
            return;
        }
        Set<String> threads = ConcurrentHashMap.newKeySet();
        try (d) {
            int a = d.alignment();
            int requests = 4 * FileDriver.DIRECT_THREADS;
            CountDownLatch done = new CountDownLatch(requests);
            AtomicInteger failed = new AtomicInteger();
            for (int i = 0; i < requests; i++) {
                long offset = (long) i * a % (4L * MIB);
                ctx.spawn("r" + i, () -> {
                    try {
                        d.read(offset, ByteBuffer.allocateDirect(a));
                        threads.addAll(poolThreads(p));
                    } catch (BlockException e) {
                        failed.incrementAndGet();
                    } finally {
                        done.countDown();
                    }
                });
            }
            assertTrue(done.await(30, TimeUnit.SECONDS), "every read finished");
            assertEquals(0, failed.get());
            assertFalse(threads.isEmpty(), "the reads ran on the driver's pool");
            assertTrue(threads.size() <= FileDriver.DIRECT_THREADS, threads.toString());
        }
    }

    /** Names of the live threads of the O_DIRECT pool of the driver of {@code p}. */
    private static Set<String> poolThreads(Path p) {
        Set<String> out = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("direct " + p)) {
                out.add(t.getName());
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"disk", "tmpfs"})
    void randomOperationsMatchAReferenceArrayAndSurviveReopening(String fs) throws Exception {
        byte[] ref;
        Path p = dir(fs).resolve("random.img");
        BlockDriver.createFile(p, 3 * MIB + 777);
        try (BlockDriver d = BlockDriver.file(p)) {
            ref = Drivers.randomOperations(ctx, d, 7, 1500, 300_000);
            ctx.call(() -> {
                d.flush();
                return null;
            });
        }
        assertArrayEquals(ref, Files.readAllBytes(p), "the file holds what the driver said");
        try (BlockDriver d = BlockDriver.file(p, FileOption.READ_ONLY)) {
            assertArrayEquals(ref, ctx.call(() -> read(d, 0, ref.length)), "after reopening");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"disk"})
    void writersInSeveralContextsNeverLoseEachOthersBytes(String fs) throws Exception {
        try (FileDriver d = sparse(fs, 5L * 65536)) {
            Drivers.concurrentWriters(ctx, d, 4, 65536, 50);
        }
    }
}
