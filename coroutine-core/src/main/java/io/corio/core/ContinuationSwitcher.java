package io.corio.core;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * The {@code continuation} backend: each coroutine is a {@code jdk.internal.vm.Continuation}
 * run on the thread that enters it, so enter and yield are a stack switch on one thread,
 * with no scheduler involved. The internal API is reached through method handles, which
 * needs {@code --add-exports java.base/jdk.internal.vm=ALL-UNNAMED} at run time.
 */
final class ContinuationSwitcher implements Switcher {

    /*
     * Implementation notes. Nested enters nest continuations of the same scope, and
     * Continuation.yield(scope) suspends the innermost one: exactly QEMU's caller chain.
     * `blocking` cannot leave the thread inside a continuation, so the coroutine records
     * the job and yields; the enterer sees the job when run() returns and hands it to a
     * virtual thread, which asks the loop to re-enter the coroutine when it is done.
     * A yield while the continuation is pinned (a monitor held, a native frame) fails
     * with the JDK's IllegalStateException("Pinned: ...").
     */

    private static final Object SCOPE;
    private static final MethodHandle NEW; // (Object scope, Runnable) Object
    private static final MethodHandle RUN; // (Object) void
    private static final MethodHandle YIELD; // (Object scope) boolean
    private static final MethodHandle STACK; // (Object) StackTraceElement[]
    private static final String UNAVAILABLE;

    static {
        Object scope = null;
        MethodHandle mNew = null, mRun = null, mYield = null, mStack = null;
        String why = null;
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            Class<?> scopeClass = Class.forName("jdk.internal.vm.ContinuationScope");
            Class<?> contClass = Class.forName("jdk.internal.vm.Continuation");
            scope = l.findConstructor(scopeClass, MethodType.methodType(void.class, String.class)).invoke("corio");
            mNew = l.findConstructor(contClass, MethodType.methodType(void.class, scopeClass, Runnable.class))
                    .asType(MethodType.methodType(Object.class, Object.class, Runnable.class));
            mRun = l.findVirtual(contClass, "run", MethodType.methodType(void.class))
                    .asType(MethodType.methodType(void.class, Object.class));
            mYield = l.findStatic(contClass, "yield", MethodType.methodType(boolean.class, scopeClass))
                    .asType(MethodType.methodType(boolean.class, Object.class));
            mStack = l.findVirtual(contClass, "getStackTrace", MethodType.methodType(StackTraceElement[].class))
                    .asType(MethodType.methodType(StackTraceElement[].class, Object.class));
        } catch (Throwable e) {
            why = e.toString();
            scope = null;
        }
        SCOPE = scope;
        NEW = mNew;
        RUN = mRun;
        YIELD = mYield;
        STACK = mStack;
        UNAVAILABLE = why;
    }

    private final AioContext ctx;

    ContinuationSwitcher(AioContext ctx) {
        if (UNAVAILABLE != null) {
            throw new IllegalStateException("backend continuation for " + ctx
                    + " needs the JVM flag --add-exports java.base/jdk.internal.vm=ALL-UNNAMED (" + UNAVAILABLE + ")");
        }
        this.ctx = ctx;
    }

    /** Whether this JVM lets the continuation backend run. */
    static boolean available() {
        return UNAVAILABLE == null;
    }

    @Override
    public Backend backend() {
        return Backend.CONTINUATION;
    }

    @Override
    public Thread.Builder loopThreadBuilder() {
        // a platform thread: the loop's select (channels) is then a plain epoll_wait, and
        // entering a coroutine is a stack switch on it, with no scheduler anywhere
        return Thread.ofPlatform().daemon(true);
    }

    @Override
    public void enter(Coroutine co) {
        Object cont = co.carrier;
        if (cont == null) {
            cont = newContinuation(co);
            co.carrier = cont;
        }
        Coroutine prev = Coroutine.CURRENT.get();
        Coroutine.CURRENT.set(co);
        try {
            RUN.invokeExact(cont);
        } catch (Throwable t) {
            throw Coroutine.<RuntimeException>sneakyThrow(t); // runBody catches; this is a JDK failure
        } finally {
            Coroutine.CURRENT.set(prev);
        }
        if (co.state() == Coroutine.State.DONE) {
            co.carrier = null;
        } else if (co.blockingJob != null) {
            CoroutineFunction<?, ?> job = (CoroutineFunction<?, ?>) co.blockingJob;
            co.blockingJob = null;
            Switchers.hop(co, job);
        }
    }

    private static Object newContinuation(Coroutine co) {
        try {
            return NEW.invokeExact(SCOPE, (Runnable) co::runBody);
        } catch (Throwable t) {
            throw Coroutine.<RuntimeException>sneakyThrow(t);
        }
    }

    @Override
    public void suspend(Coroutine co) {
        boolean ok;
        try {
            ok = (boolean) YIELD.invokeExact(SCOPE);
        } catch (Throwable t) {
            throw Coroutine.<RuntimeException>sneakyThrow(t);
        }
        assert ok : co + " could not yield";
    }

    @Override
    public <T, X extends Exception> T blocking(Coroutine co, CoroutineFunction<T, X> call) throws X {
        co.blockingJob = call;
        suspend(co);
        return Switchers.takeBlockingResult(co);
    }

    @Override
    public StackTraceElement[] stack(Coroutine co) {
        Object cont = co.carrier;
        if (cont == null) {
            return new StackTraceElement[0];
        }
        try {
            return Switchers.trim((StackTraceElement[]) STACK.invokeExact(cont));
        } catch (Throwable t) {
            return new StackTraceElement[0]; // a mounted continuation cannot be walked from outside
        }
    }

    @Override
    public void close() {
        // nothing pooled: a Continuation cannot be reused once done
    }
}
