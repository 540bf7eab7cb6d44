package io.corio.bench.core;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.LockSupport;

/**
 * The raw JDK mechanisms under corio's backends, reached the way the runtime reaches them
 * but without any of its bookkeeping: {@code jdk.internal.vm.Continuation} through method
 * handles (needs {@code --add-exports java.base/jdk.internal.vm=ALL-UNNAMED}; javac with
 * {@code --release 25} cannot compile against it), a single-carrier virtual thread builder
 * through the package-private {@code ThreadBuilders.VirtualThreadBuilder(Executor)} (needs
 * {@code --add-opens java.base/java.lang=ALL-UNNAMED}), and a park/unpark hand-off flag.
 */
final class Raw {
    private Raw() {}

    // ---------------------------------------------------------------- Continuation

    private static final Object SCOPE;
    private static final MethodHandle NEW; // (Object scope, Runnable) Object
    private static final MethodHandle RUN; // (Object) void
    private static final MethodHandle YIELD; // (Object scope) boolean

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            Class<?> scopeClass = Class.forName("jdk.internal.vm.ContinuationScope");
            Class<?> contClass = Class.forName("jdk.internal.vm.Continuation");
            SCOPE = l.findConstructor(scopeClass, MethodType.methodType(void.class, String.class)).invoke("raw");
            NEW = l.findConstructor(contClass, MethodType.methodType(void.class, scopeClass, Runnable.class))
                    .asType(MethodType.methodType(Object.class, Object.class, Runnable.class));
            RUN = l.findVirtual(contClass, "run", MethodType.methodType(void.class))
                    .asType(MethodType.methodType(void.class, Object.class));
            YIELD = l.findStatic(contClass, "yield", MethodType.methodType(boolean.class, scopeClass))
                    .asType(MethodType.methodType(boolean.class, Object.class));
        } catch (Throwable e) {
            throw new ExceptionInInitializerError("raw Continuation needs "
                    + "--add-exports java.base/jdk.internal.vm=ALL-UNNAMED: " + e);
        }
    }

    /** A new, not yet started {@code Continuation} of the raw scope running {@code body}. */
    static Object continuation(Runnable body) {
        try {
            return NEW.invokeExact(SCOPE, body);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Mounts {@code cont} and runs it until it yields or ends. */
    static void run(Object cont) {
        try {
            RUN.invokeExact(cont);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Yields the innermost continuation of the raw scope; call only inside one. */
    static void yieldContinuation() {
        try {
            boolean ok = (boolean) YIELD.invokeExact(SCOPE);
            assert ok;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    // ---------------------------------------------------------------- one carrier

    private static final Constructor<?> VIRTUAL_BUILDER;

    static {
        try {
            Class<?> c = Class.forName("java.lang.ThreadBuilders$VirtualThreadBuilder");
            VIRTUAL_BUILDER = c.getDeclaredConstructor(Executor.class);
            VIRTUAL_BUILDER.setAccessible(true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new ExceptionInInitializerError("a single-carrier scheduler needs "
                    + "--add-opens java.base/java.lang=ALL-UNNAMED: " + e);
        }
    }

    /** Virtual threads that all run on one platform carrier; close it to end the carrier. */
    record OneCarrier(Thread.Builder.OfVirtual builder, ExecutorService carrier) implements AutoCloseable {
        static OneCarrier start(String name) {
            ExecutorService carrier = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, name + "-carrier");
                t.setDaemon(true);
                return t;
            });
            try {
                return new OneCarrier((Thread.Builder.OfVirtual) VIRTUAL_BUILDER.newInstance(carrier), carrier);
            } catch (ReflectiveOperationException e) {
                carrier.shutdownNow();
                throw new IllegalStateException("cannot build a single-carrier virtual thread builder", e);
            }
        }

        @Override
        public void close() {
            carrier.shutdown();
        }
    }

    // ---------------------------------------------------------------- hand-off

    /**
     * One thread's turn flag, the same protocol as corio's {@code Baton}: {@link #signal()}
     * gives the owner the turn, {@link #await()} waits for it.
     */
    static final class Turn {
        Thread owner; // set before the owner starts (Thread.start orders it)
        private volatile boolean ready;

        void signal() {
            ready = true;
            LockSupport.unpark(owner);
        }

        void await() {
            while (!ready) {
                LockSupport.park(this);
            }
            ready = false;
        }
    }

    /**
     * Runs {@code rounds} park/unpark round trips between two new threads of
     * {@code builder}: the pinger signals the ponger and waits, the ponger answers. Returns
     * when both have ended. One round trip is two hand-offs, as one enter+yield is.
     */
    static void pingPong(Thread.Builder builder, int rounds) throws InterruptedException {
        Turn ping = new Turn();
        Turn pong = new Turn();
        Thread ponger = builder.unstarted(() -> {
            for (int i = 0; i < rounds; i++) {
                pong.await();
                ping.signal();
            }
        });
        Thread pinger = builder.unstarted(() -> {
            for (int i = 0; i < rounds; i++) {
                pong.signal();
                ping.await();
            }
        });
        ping.owner = pinger;
        pong.owner = ponger;
        ponger.start();
        pinger.start();
        pinger.join();
        ponger.join();
    }
}
