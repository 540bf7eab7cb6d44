package io.corio.guide;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.corio.core.AioContext;
import io.corio.core.Backend;
import io.corio.core.Coroutine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The examples of docs/guide.md, compiled and run. Each block between "// example: NAME"
 * and "// end" appears verbatim in the guide (GuideSyncTest checks), so the guide cannot
 * drift from code that works. Only the public API is used: this package is outside core.
 */
class GuideExamplesTest {

    @Test
    void firstContext() throws Exception {
        // example: first-context
        try (AioContext ctx = AioContext.start("device")) {
            String greeting = ctx.call(() -> {
                Coroutine.sleep(Duration.ofMillis(1)); // yields; the loop's timer re-enters us
                return "hello from " + AioContext.current().name();
            });
            assertEquals("hello from device", greeting);
        }
        // end
    }

    @Test
    void enterAndYield() {
        // example: enter-yield
        List<String> log = new ArrayList<>();
        Coroutine co = Coroutine.create("worker", () -> {
            log.add("worker: step 1");
            Coroutine.yield(); // back to whoever entered us
            log.add("worker: step 2");
        });
        co.enter(); // runs until the yield
        log.add("caller: in between");
        co.enter(); // resumes after the yield and runs to the end
        assertEquals(List.of("worker: step 1", "caller: in between", "worker: step 2"), log);
        assertEquals(Coroutine.State.DONE, co.state());
        // end
    }

    private static final ScheduledExecutorService DISK = Executors.newSingleThreadScheduledExecutor();

    @AfterAll
    static void stopDisk() {
        DISK.shutdownNow();
    }

    // example: callback-api
    /** A callback API of the kind device models are full of: the answer comes on another thread. */
    static void readSector(long sector, Consumer<String> done) {
        DISK.schedule(() -> done.accept("sector " + sector), 1, TimeUnit.MILLISECONDS);
    }

    /** The same operation for coroutine code: the callback becomes a return value. */
    static String readSector(long sector) {
        Coroutine self = Coroutine.current();
        String[] result = new String[1];
        readSector(sector, data -> {
            result[0] = data; // written before the wake, so visible after it
            self.wake(); // re-enters us in our own context, from the disk's thread
        });
        while (result[0] == null) { // a wake is never lost, but someone else may wake us too
            Coroutine.yield();
        }
        return result[0];
    }
    // end

    @Test
    void callbackBecomesReturnValue() throws Exception {
        // example: callback-use
        try (AioContext ctx = AioContext.start("disk-model")) {
            String a = ctx.call(() -> readSector(7) + ", " + readSector(8));
            assertEquals("sector 7, sector 8", a);
        }
        // end
    }

    @Test
    void stateBetweenYields() throws Exception {
        // example: no-lock-needed
        try (AioContext ctx = AioContext.start("counter")) {
            int[] hits = {0}; // touched only by ctx's coroutines: no lock, no atomics
            for (int i = 0; i < 100; i++) {
                ctx.spawn("inc-" + i, () -> {
                    for (int j = 0; j < 10; j++) {
                        hits[0]++; // no yield between the read and the write
                        Coroutine.sleep(Duration.ZERO); // a yield point: the others run here
                    }
                });
            }
            int total = ctx.call(() -> {
                while (hits[0] < 1000) {
                    Coroutine.sleep(Duration.ofMillis(1));
                }
                return hits[0];
            });
            assertEquals(1000, total);
        }
        // end
    }

    @Test
    void stateAcrossAYield() {
        // example: lost-update
        int[] balance = {100};
        Coroutine a = Coroutine.create("deposit-10", () -> {
            int seen = balance[0];
            Coroutine.yield(); // a yield point between the read and the write...
            balance[0] = seen + 10; // ...so this write can undo what others did meanwhile
        });
        Coroutine b = Coroutine.create("deposit-20", () -> {
            int seen = balance[0];
            Coroutine.yield();
            balance[0] = seen + 20;
        });
        a.enter(); // reads 100
        b.enter(); // reads 100 too
        a.enter(); // writes 110
        b.enter(); // writes 120: the first deposit is lost
        assertEquals(120, balance[0]); // not 130: hold a CoMutex across the yield
        // end
    }

    @Test
    void blockingLeavesTheContext(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("sector.bin");
        Files.writeString(path, "payload");
        // example: blocking
        try (AioContext ctx = AioContext.start("file-model")) {
            String text = ctx.call(() -> {
                // the read blocks outside the context; its other coroutines run meanwhile
                byte[] data = Coroutine.blocking(() -> Files.readAllBytes(path));
                return new String(data);
            });
            assertEquals("payload", text);
        }
        // end
    }

    @Test
    void choosingABackend() throws Exception {
        // example: backend
        try (AioContext ctx = AioContext.start("nvme-model", Backend.CONTINUATION)) {
            assertEquals(Backend.CONTINUATION, ctx.backend());
            assertEquals(3, ctx.call(() -> 1 + 2));
        }
        // end
    }
}
