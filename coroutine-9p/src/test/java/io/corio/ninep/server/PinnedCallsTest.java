package io.corio.ninep.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.ninep.fs.Backend;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.Rmessage;
import io.corio.ninep.protocol.Rmessage.Rgetattr;
import io.corio.ninep.protocol.Tmessage.Tgetattr;
import io.corio.ninep.protocol.Tmessage.Tread;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A back end whose calls sit in native code (as the local back end's FFM system calls do on a
 * slow disk) must not stall the server: a virtual thread cannot leave its carrier during a
 * native call, so the server must make such calls on threads of its own, not on the virtual
 * threads that run every session. Here more native waits than there are carriers are under way,
 * and a request to another export must still be answered before any of them ends.
 */
@Timeout(60)
class PinnedCallsTest {
    private static final int NATIVE_WAIT_MS = 4000;
    private static final MethodHandle POLL = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("poll").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    @Test
    void nativeWaitsInTheBackEndLeaveOtherRequestsRunning() throws Exception {
        int carriers = Runtime.getRuntime().availableProcessors(); // the virtual-thread scheduler's parallelism
        int slowReads = carriers + 2;
        CountDownLatch inNative = new CountDownLatch(carriers);
        AtomicInteger ended = new AtomicInteger();
        Backend memory = Backend.memory();
        open.add(memory);
        Backend slow = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(),
                new Class<?>[] {Backend.class}, (proxy, m, args) -> {
                    if (m.getName().equals("mayBlock")) {
                        return true;
                    }
                    if (m.getName().equals("readsWithoutPinning")
                            || m.getName().equals("writesWithoutPinning")) {
                        return false; // its reads make a native call (below)
                    }
                    if (m.getName().equals("read")) {
                        inNative.countDown();
                        int ignored = (int) POLL.invokeExact(MemorySegment.NULL, 0L, NATIVE_WAIT_MS);
                        ended.incrementAndGet();
                    }
                    try {
                        return m.invoke(memory, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        NinepServer server = NinepServer.builder().export("slow", slow).build();
        open.add(server);
        SocketAddress tcp = server.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));

        Conn setup = connect(tcp);
        setup.attach(0, "slow");
        setup.walk(0, 1);
        setup.lcreate(1, "f");
        List<CompletableFuture<Rmessage>> reads = new ArrayList<>();
        for (int i = 0; i < slowReads; i++) { // one connection each: each session has its own loop
            Conn c = connect(tcp);
            c.attach(0, "slow");
            c.walk(0, 1, "f");
            c.lopen(1, P9.DOTL_RDONLY);
            reads.add(c.c.send(t -> new Tread(t, 1, 0, 10)));
        }
        assertTrue(inNative.await(30, TimeUnit.SECONDS), "the reads never reached the back end");

        Conn other = connect(tcp);
        other.attach(0, "ctl");
        Rgetattr g = other.c.call(Rgetattr.class, t -> new Tgetattr(t, 0, P9.GETATTR_BASIC));
        assertEquals(0, ended.get(), "a getattr on another export waited for native calls to end");
        assertTrue((g.attr().mode() & 0040000) != 0, "ctl's root is a directory");
        for (CompletableFuture<Rmessage> r : reads) {
            r.get(30, TimeUnit.SECONDS);
        }
        assertEquals(slowReads, ended.get());
    }

    private Conn connect(SocketAddress tcp) throws Exception {
        Conn c = new Conn(tcp);
        open.add(c);
        return c;
    }
}
