package io.corio.bench.primitives;

import static io.corio.bench.primitives.Prim.CONTENDED_OPS;
import static io.corio.bench.primitives.Prim.OPS;

import io.corio.core.WorkerPool;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The JDK equivalents of the corio primitives, shaped like them (same op counts, the loop
 * inside virtual threads on the default scheduler), plus the plain-thread pool round trips:
 * <ul>
 *   <li>{@link #lockUncontended}: ReentrantLock lock/unlock in one virtual thread;
 *   <li>{@code fairLockN}: fair ReentrantLock, N virtual threads doing lock; Thread.yield(); unlock;
 *   <li>{@link #conditionPingPong}: ReentrantLock + Condition turn-taking, two virtual threads;
 *   <li>{@link #rwReadMostly16}: ReentrantReadWriteLock, 16 virtual threads, one write in ten;
 *   <li>{@link #vtSubmitGet}: a virtual thread submits a trivial call to a 2-thread fixed
 *       ExecutorService and waits on the Future (the equivalent of inWorker / blocking);
 *   <li>{@link #executorSubmitGet} and {@link #workerPoolSubmitJoin}: the same from the
 *       JMH (platform) thread, through an ExecutorService and a corio WorkerPool.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"})
public class JdkBench {

    /** Two-thread pools per trial: a fixed ExecutorService and a corio WorkerPool. */
    @State(Scope.Benchmark)
    public static class Pools {
        ExecutorService executor;
        WorkerPool pool;

        @Setup(Level.Trial)
        public void start() {
            executor = Executors.newFixedThreadPool(2);
            pool = WorkerPool.create("bench", 2, 2, Duration.ofMinutes(5));
        }

        @TearDown(Level.Trial)
        public void close() {
            executor.shutdownNow();
            pool.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public void lockUncontended() throws Exception {
        ReentrantLock m = new ReentrantLock();
        int[] held = {0};
        Prim.runVirtualThreads(1, i -> () -> {
            for (int k = 0; k < OPS; k++) {
                m.lock();
                held[0]++;
                m.unlock();
            }
        });
        if (held[0] != OPS) {
            throw new AssertionError();
        }
    }

    static void fairLock(int n) throws Exception {
        ReentrantLock m = new ReentrantLock(true);
        int[] held = {0};
        Prim.runVirtualThreads(n, i -> () -> {
            for (int k = 0; k < CONTENDED_OPS / n; k++) {
                m.lock();
                held[0]++;
                Thread.yield();
                m.unlock();
            }
        });
        if (held[0] != CONTENDED_OPS) {
            throw new AssertionError("lock held " + held[0] + " times");
        }
    }

    @Benchmark
    @OperationsPerInvocation(CONTENDED_OPS)
    public void fairLock2() throws Exception {
        fairLock(2);
    }

    @Benchmark
    @OperationsPerInvocation(CONTENDED_OPS)
    public void fairLock16() throws Exception {
        fairLock(16);
    }

    @Benchmark
    @OperationsPerInvocation(CONTENDED_OPS)
    public void conditionPingPong() throws Exception {
        ReentrantLock m = new ReentrantLock();
        Condition c = m.newCondition();
        int[] turn = {0};
        int[] turns = {0};
        Prim.runVirtualThreads(2, me -> () -> {
            for (int k = 0; k < CONTENDED_OPS / 2; k++) {
                m.lock();
                try {
                    while (turn[0] != me) {
                        c.await();
                    }
                    turn[0] = 1 - me;
                    turns[0]++;
                    c.signal();
                } finally {
                    m.unlock();
                }
            }
        });
        if (turns[0] != CONTENDED_OPS) {
            throw new AssertionError();
        }
    }

    @Benchmark
    @OperationsPerInvocation(CONTENDED_OPS)
    public void rwReadMostly16() throws Exception {
        ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
        int n = RwLockBench.N;
        Prim.runVirtualThreads(n, i -> () -> {
            for (int k = 0; k < CONTENDED_OPS / n; k++) {
                var l = (k + i) % RwLockBench.WRITE_EVERY == 0 ? rw.writeLock() : rw.readLock();
                l.lock();
                Thread.yield();
                l.unlock();
            }
        });
    }

    @Benchmark
    @OperationsPerInvocation(WorkerBench.OPS)
    public void vtSubmitGet(Pools p) throws Exception {
        Prim.runVirtualThreads(1, i -> () -> {
            int sum = 0;
            for (int k = 0; k < WorkerBench.OPS; k++) {
                int v = k;
                sum += p.executor.submit(() -> v).get();
            }
            if (sum < 0) {
                throw new AssertionError();
            }
        });
    }

    @Benchmark
    public int executorSubmitGet(Pools p) throws Exception {
        return p.executor.submit(() -> 1).get();
    }

    @Benchmark
    public int workerPoolSubmitJoin(Pools p) {
        return p.pool.submit(() -> 1).join();
    }
}
