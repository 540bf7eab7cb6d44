package io.corio.blockio.qcow2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.blockio.BlockDriver;
import io.corio.core.AioContext;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many coroutines of four contexts writing into the same clusters at once: each owns
 * interleaved 2 KiB stripes, so every cluster is allocated, copied and written by many of
 * them together, while others flush; each checks its own stripes by reading, and at the end
 * {@code qemu-img check} and {@code qemu-img compare} (qemu-utils) judge the image.
 */
@Timeout(120)
class Qcow2ConcurrentWriteTest {
    @TempDir
    Path dir;
    final List<AioContext> contexts = new ArrayList<>();

    @AfterEach
    void stop() {
        contexts.forEach(AioContext::close);
    }

    static final int STRIPE = 2048;
    static final int OWNERS = 32;
    static final int OPS = 150;

    @Test
    void overlappingAndAdjacentAllocationsFromManyContexts() throws Exception {
        Qemu.require();
        Qemu q = new Qemu(dir);
        long size = 8 << 20;
        Path base = q.create("base.qcow2", "cluster_size=65536", size);
        q.io(base, "write -P 0x5a 0 " + size);
        Path top = q.create("top.qcow2", "compat=1.1,cluster_size=65536", size, "-b",
                "base.qcow2", "-F", "qcow2");
        q.io(top, "write -P 0x11 0 1M", "write -c -P 0x22 1M 64k");
        q.run("qemu-img", "snapshot", "-c", "snap", top.toString()); // shared clusters: COW
        byte[] mirror = q.raw(top);
        int region = 2 << 20; // 32 clusters of 64 KiB: every one shared by all owners
        for (int i = 0; i < 4; i++) {
            contexts.add(AioContext.start("writer-" + i));
        }
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        CountDownLatch done = new CountDownLatch(OWNERS);
        try (BlockDriver d = Qcow2.openReadWrite(top)) {
            for (int owner = 0; owner < OWNERS; owner++) {
                int me = owner;
                contexts.get(owner % 4).spawn("owner-" + owner, () -> {
                    try {
                        run(d, me, region, mirror);
                    } catch (Throwable t) {
                        failures.add(t);
                    } finally {
                        done.countDown();
                    }
                });
            }
            assertTrue(done.await(100, TimeUnit.SECONDS), "the writers finished");
        }
        if (!failures.isEmpty()) {
            AssertionError e = new AssertionError(failures.size() + " writers failed");
            failures.forEach(e::addSuppressed);
            throw e;
        }
        q.check(top, false);
        q.assertContents(top, mirror);
    }

    /** One owner: writes, zeroes and reads of its own stripes, and a flush now and then. */
    static void run(BlockDriver d, int me, int region, byte[] mirror) throws Exception {
        Random rnd = new Random(me);
        int stripes = region / STRIPE / OWNERS; // of this owner
        for (int i = 0; i < OPS; i++) {
            long at = ((long) rnd.nextInt(stripes) * OWNERS + me) * STRIPE;
            int in = rnd.nextInt(STRIPE);
            int n = 1 + rnd.nextInt(STRIPE - in);
            int kind = rnd.nextInt(20);
            if (kind < 13) {
                byte[] data = new byte[n];
                rnd.nextBytes(data);
                d.write(at + in, ByteBuffer.wrap(data), rnd.nextInt(8) == 0 ? BlockDriver.FUA : 0);
                System.arraycopy(data, 0, mirror, (int) at + in, n);
            } else if (kind < 15) {
                d.writeZeroes(at + in, n, rnd.nextBoolean() ? BlockDriver.MAY_TRIM : 0);
                Arrays.fill(mirror, (int) at + in, (int) at + in + n, (byte) 0);
            } else if (kind < 16) {
                d.flush();
            } else {
                ByteBuffer got = ByteBuffer.allocate(STRIPE);
                d.read(at, got);
                assertArrayEquals(Arrays.copyOfRange(mirror, (int) at, (int) at + STRIPE),
                        got.array(), "owner " + me + " reads its stripe at " + at);
            }
        }
    }
}
