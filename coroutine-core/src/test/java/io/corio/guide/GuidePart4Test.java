package io.corio.guide;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.core.AioContext;
import io.corio.core.CoMutex;
import io.corio.core.Coroutine;
import io.corio.core.WorkerPool;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.Consumer;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The examples of docs/guide.md, part 4 (a worked example): one block-read handler written
 * in the callback style and in the coroutine style, run on the same requests, with the same
 * replies.
 */
@Timeout(60)
class GuidePart4Test {

    // example: worked-backend
    /** A block as the back end stores it: the data and the CRC written with it. */
    record Block(byte[] data, long crc) {
        boolean intact() {
            CRC32 c = new CRC32();
            c.update(data);
            return c.getValue() == crc;
        }
    }

    /** What the handler answers: the block's CRC, or an error. */
    record Reply(long block, long crc, String error) {
        static Reply ok(long block, Block b) {
            return new Reply(block, b.crc(), null);
        }

        static Reply failed(long block, String error) {
            return new Reply(block, 0, error);
        }
    }

    /** A slow back end (an object store, a network disk): each read blocks for 2 ms. */
    interface SlowDisk {
        Block read(long block) throws IOException;
    }
    // end

    // example: worked-callback
    /** The callback style: each step a method, the request's state in objects and maps. */
    static final class CallbackReader {
        private final AioContext ctx;
        private final WorkerPool pool;
        private final SlowDisk disk;
        private final Map<Long, Block> cache = new HashMap<>(); // loop only
        // readers of a block whose read is in flight, first one first; loop only
        private final Map<Long, List<Consumer<Reply>>> waiting = new HashMap<>();

        CallbackReader(AioContext ctx, WorkerPool pool, SlowDisk disk) {
            this.ctx = ctx;
            this.pool = pool;
            this.disk = disk;
        }

        /** Step 1, on the loop: answer from the cache, join a read in flight, or start one. */
        void read(long block, Consumer<Reply> reply) {
            Block cached = cache.get(block);
            if (cached != null) {
                reply.accept(Reply.ok(block, cached));
                return;
            }
            List<Consumer<Reply>> readers = waiting.get(block);
            if (readers != null) {
                readers.add(reply); // answered when that read completes
                return;
            }
            waiting.put(block, new ArrayList<>(List.of(reply)));
            startRead(block);
        }

        /** Step 2, on a worker thread: the blocking read; step 3 is queued to the loop. */
        private void startRead(long block) {
            pool.submit(() -> disk.read(block)).onCompletion(ctx, job -> readDone(block, job));
        }

        /** Step 3, a post-op on the loop: check, update the cache, answer. */
        private void readDone(long block, WorkerPool.Job<Block> job) {
            List<Consumer<Reply>> readers = waiting.get(block);
            Block b;
            try {
                b = job.join();
            } catch (CompletionException e) { // the read threw: fail the first reader only
                failFirst(block, readers, "EIO: " + e.getCause().getMessage());
                return;
            }
            if (!b.intact()) {
                failFirst(block, readers, "EBADMSG");
                return;
            }
            cache.put(block, b);
            waiting.remove(block);
            readers.forEach(r -> r.accept(Reply.ok(block, b)));
        }

        /** A failed read answers the reader that started it; the next one reads again. */
        private void failFirst(long block, List<Consumer<Reply>> readers, String error) {
            readers.removeFirst().accept(Reply.failed(block, error));
            if (readers.isEmpty()) {
                waiting.remove(block);
            } else {
                startRead(block);
            }
        }
    }
    // end

    // example: worked-coroutine
    /** The coroutine style: one method, top to bottom; the state is its local variables. */
    static final class CoroutineReader {
        private final WorkerPool pool;
        private final SlowDisk disk;
        private final Map<Long, Block> cache = new HashMap<>(); // context only
        private final Map<Long, CoMutex> filling = new HashMap<>(); // context only

        CoroutineReader(WorkerPool pool, SlowDisk disk) {
            this.pool = pool;
            this.disk = disk;
        }

        /** Runs in a coroutine of the reader's context. */
        Reply read(long block) {
            CoMutex fill = filling.computeIfAbsent(block, b -> CoMutex.create("fill-" + b));
            fill.lock(); // a second reader of the same block waits here for the first
            try {
                Block cached = cache.get(block);
                if (cached != null) {
                    return Reply.ok(block, cached);
                }
                Block b = Coroutine.inWorker(pool, () -> disk.read(block)); // yields meanwhile
                if (!b.intact()) {
                    return Reply.failed(block, "EBADMSG");
                }
                cache.put(block, b);
                return Reply.ok(block, b);
            } catch (IOException e) {
                return Reply.failed(block, "EIO: " + e.getMessage());
            } finally {
                fill.unlock(); // hands the lock to the next reader of the block, if any
                if (!fill.isLocked()) { // unlock hands it straight to a waiter: free means none
                    filling.remove(block);
                }
            }
        }
    }
    // end

    /** Block 7 comes back with a bad CRC, block 13 cannot be read; every read takes 2 ms. */
    static final class TestDisk implements SlowDisk {
        final AtomicIntegerArray reads = new AtomicIntegerArray(32);

        @Override
        public Block read(long block) throws IOException {
            reads.incrementAndGet((int) block);
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                throw new IOException("interrupted", e);
            }
            if (block == 13) {
                throw new IOException("media error at block 13");
            }
            byte[] data = new byte[512];
            Arrays.fill(data, (byte) block);
            CRC32 c = new CRC32();
            c.update(data);
            return new Block(data, block == 7 ? ~c.getValue() : c.getValue());
        }
    }

    /** Requests in flight together: repeats join a read in flight or hit the cache. */
    private static final long[] REQUESTS = {1, 2, 7, 1, 13, 3, 2, 13, 7, 1, 4, 3};

    @Test
    void bothStylesGiveTheSameReplies() throws Exception {
        TestDisk callbackDisk = new TestDisk();
        TestDisk coroutineDisk = new TestDisk();
        Reply[] callbackReplies = new Reply[REQUESTS.length];
        Reply[] coroutineReplies = new Reply[REQUESTS.length];
        try (WorkerPool pool = WorkerPool.create("disk", 1, 4, Duration.ofSeconds(10));
                AioContext ctx = AioContext.start("reader")) {
            // example: worked-run
            CallbackReader callbacks = new CallbackReader(ctx, pool, callbackDisk);
            CountDownLatch answered = new CountDownLatch(REQUESTS.length);
            for (int i = 0; i < REQUESTS.length; i++) {
                int slot = i;
                ctx.execute(() -> callbacks.read(REQUESTS[slot], reply -> {
                    callbackReplies[slot] = reply;
                    answered.countDown();
                }));
            }

            CoroutineReader coroutines = new CoroutineReader(pool, coroutineDisk);
            CountDownLatch done = new CountDownLatch(REQUESTS.length);
            for (int i = 0; i < REQUESTS.length; i++) {
                int slot = i;
                ctx.spawn("read-" + slot, () -> {
                    coroutineReplies[slot] = coroutines.read(REQUESTS[slot]);
                    done.countDown();
                });
            }
            // end
            assertTrue(answered.await(30, TimeUnit.SECONDS), "callback replies");
            assertTrue(done.await(30, TimeUnit.SECONDS), "coroutine replies");
        }
        assertEquals(Arrays.asList(callbackReplies), Arrays.asList(coroutineReplies));
        for (int i = 0; i < REQUESTS.length; i++) {
            Reply r = coroutineReplies[i];
            assertEquals(REQUESTS[i], r.block());
            String expected = switch ((int) r.block()) {
                case 7 -> "EBADMSG";
                case 13 -> "EIO: media error at block 13";
                default -> null;
            };
            assertEquals(expected, r.error(), "request " + i);
        }
        for (TestDisk disk : List.of(callbackDisk, coroutineDisk)) {
            for (int block : new int[] {1, 2, 3, 4}) {
                assertEquals(1, disk.reads.get(block), "block " + block + " read once, then cached");
            }
            assertEquals(2, disk.reads.get(7), "each reader of a failing block reads it again");
            assertEquals(2, disk.reads.get(13), "each reader of a failing block reads it again");
        }
    }
}
