package io.corio.ninep.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.ninep.client.NinepError;
import io.corio.ninep.fs.Backend;
import io.corio.ninep.protocol.Codec;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.Rmessage;
import io.corio.ninep.protocol.Rmessage.*;
import io.corio.ninep.protocol.Tmessage;
import io.corio.ninep.protocol.Tmessage.*;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Tflush through {@code NinepClient}: a request that waits for a run slot is cancelled (only
 * Rflush, no side effect), a running one answers first and the Rflush follows, a tag not in
 * flight answers at once.
 *
 * <p>The setups need no sleeps: the server takes a connection's frames in order and decides
 * what a Tflush does when it reads it, so "the requests before it are running" follows from
 * sending them first. A request runs when its back-end read waits for {@link #gate}.
 * "Not answered yet" is checked with a probe: a Tflush of a tag never used, sent after the
 * Tflush under test; its Rflush is answered at once, and an Rflush of the first one answered
 * at once too would have come before it.
 */
@Timeout(30)
class FlushTest {
    private static final int MAX_REQUESTS = 4;
    private static final int UNUSED_TAG = 0xFFFE;

    private final CountDownLatch gate = new CountDownLatch(1);
    private Backend slow;
    private NinepServer server;
    private Conn c;

    /** How the server's connections run; a subclass runs every case another way. */
    NinepServer.Builder connections(NinepServer.Builder b) {
        return b;
    }

    @BeforeEach
    void start() throws Exception {
        slow = gated(Backend.memory(), gate);
        server = connections(NinepServer.builder().export("slow", slow).maxRequests(MAX_REQUESTS)).build();
        SocketAddress tcp = server.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        c = new Conn(tcp);
        c.attach(0, "slow");
        c.walk(0, 1);
        c.lcreate(1, "f");
    }

    @AfterEach
    void stop() throws Exception {
        gate.countDown();
        c.close();
        server.close();
        slow.close();
    }

    /** A back end whose {@code read} waits for {@code gate}: a request that stays running. */
    private static Backend gated(Backend inner, CountDownLatch gate) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(),
                new Class<?>[] {Backend.class}, (proxy, m, args) -> {
                    if (m.getName().equals("mayBlock")) {
                        return true; // its reads wait for the gate
                    }
                    if (m.getName().equals("read")) {
                        gate.await();
                    }
                    try {
                        return m.invoke(inner, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private CompletableFuture<Rmessage> stuckRead() throws Exception {
        return c.c.send(t -> new Tread(t, 1, 0, 10));
    }

    /** Sends {@code t} (built for the tag the client picks) and returns its future and tag. */
    private record Sent(CompletableFuture<Rmessage> reply, int tag) {}

    private Sent send(java.util.function.IntFunction<Tmessage> build) throws Exception {
        int[] tag = new int[1];
        CompletableFuture<Rmessage> f = c.c.send(t -> {
            tag[0] = t;
            return build.apply(t);
        });
        return new Sent(f, tag[0]);
    }

    private static Rmessage get(CompletableFuture<Rmessage> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    /** Waits for the Rflush of a probe; what was answered at once before it has arrived. */
    private void probe() throws Exception {
        assertInstanceOf(Rflush.class, get(c.c.flush(UNUSED_TAG)));
    }

    private void assertErrno(int errno, org.junit.jupiter.api.function.Executable call) {
        NinepError e = assertThrows(NinepError.class, call);
        assertEquals(Errno.name(errno), Errno.name(e.errno()), e.getMessage());
    }

    @Test
    void flushOfATagNotInFlightAnswersAtOnce() throws Exception {
        assertInstanceOf(Rflush.class, get(c.c.flush(1234)));
        Sent done = send(t -> new Tgetattr(t, 0, P9.GETATTR_BASIC));
        assertInstanceOf(Rgetattr.class, get(done.reply()));
        assertInstanceOf(Rflush.class, get(c.c.flush(done.tag())));
    }

    @Test
    void flushCancelsARequestWaitingForARunSlot() throws Exception {
        c.walk(0, 3); // a second fid on the root, for a Tlcreate
        List<CompletableFuture<Rmessage>> reads = new ArrayList<>();
        for (int i = 0; i < MAX_REQUESTS; i++) {
            reads.add(stuckRead());
        }
        Sent first = send(t -> new Tmkdir(t, 0, "kept", 0755, 1000));
        Sent second = send(t -> new Tmkdir(t, 0, "never", 0755, 1000));
        Sent third = send(t -> new Tlcreate(t, 3, "never-file", P9.DOTL_RDWR, 0644, 1000));

        // answered while every run slot is still held: the targets had not run
        assertInstanceOf(Rflush.class, get(c.c.flush(second.tag())));
        assertInstanceOf(Rflush.class, get(c.c.flush(third.tag())));
        // the client saw no reply before the Rflush, so it dropped the requests
        assertTrue(second.reply().isCompletedExceptionally());
        assertThrows(CancellationException.class, () -> second.reply().getNow(null));
        assertThrows(CancellationException.class, () -> third.reply().getNow(null));
        assertFalse(first.reply().isDone());

        gate.countDown();
        for (CompletableFuture<Rmessage> r : reads) {
            assertInstanceOf(Rread.class, get(r));
        }
        assertInstanceOf(Rmkdir.class, get(first.reply()));
        assertEquals(1, c.walk(0, 2, "kept").size());
        assertErrno(Errno.ENOENT, () -> c.walk(0, 4, "never"));
        assertErrno(Errno.ENOENT, () -> c.walk(0, 4, "never-file"));
        assertEquals(List.of(".", "..", "f", "kept"), sortedNames());
        // fid 3 is still the root: the Tlcreate that would have made it the new file never ran
        assertEquals(1, c.walk(3, 4, "kept").size());
    }

    private List<String> sortedNames() throws Exception {
        c.walk(0, 9);
        c.lopen(9, P9.DOTL_RDONLY | P9.DOTL_DIRECTORY);
        List<String> names = c.readdir(9).stream().sorted().toList();
        c.clunk(9);
        return names;
    }

    @Test
    void secondFlushOfACancelledRequestAnswersAtOnce() throws Exception {
        for (int i = 0; i < MAX_REQUESTS; i++) {
            stuckRead();
        }
        Sent waiting = send(t -> new Tmkdir(t, 0, "never", 0755, 1000));
        CompletableFuture<Rmessage> one = c.c.flush(waiting.tag());
        CompletableFuture<Rmessage> two = c.c.flush(waiting.tag());
        assertInstanceOf(Rflush.class, get(one));
        assertInstanceOf(Rflush.class, get(two));
        gate.countDown();
        assertErrno(Errno.ENOENT, () -> c.walk(0, 2, "never"));
    }

    @Test
    void flushOfARunningRequestIsAnsweredAfterItsReply() throws Exception {
        List<String> order = new CopyOnWriteArrayList<>();
        Sent read = send(t -> new Tread(t, 1, 0, 10));
        CompletableFuture<Void> readNoted = read.reply().thenRun(() -> order.add("read"));
        CompletableFuture<Rmessage> flush = c.c.flush(read.tag());
        CompletableFuture<Void> flushNoted = flush.thenRun(() -> order.add("flush"));
        probe();
        assertFalse(flush.isDone(), "Rflush sent before the reply of the running request");
        gate.countDown();
        assertInstanceOf(Rflush.class, get(flush));
        assertInstanceOf(Rread.class, get(read.reply()));
        readNoted.get(10, TimeUnit.SECONDS); // get() may return before dependent actions run
        flushNoted.get(10, TimeUnit.SECONDS);
        assertEquals(List.of("read", "flush"), order);
    }

    @Test
    void flushOfAFlushIsAnsweredAfterIt() throws Exception {
        List<String> order = new CopyOnWriteArrayList<>();
        Sent read = send(t -> new Tread(t, 1, 0, 10));
        read.reply().thenRun(() -> order.add("read"));
        int[] firstTag = new int[1];
        CompletableFuture<Rmessage> first = c.c.send(t -> {
            firstTag[0] = t;
            return new Tflush(t, read.tag());
        });
        first.thenRun(() -> order.add("flush"));
        CompletableFuture<Rmessage> second = c.c.send(t -> new Tflush(t, firstTag[0]));
        CompletableFuture<Void> secondNoted = second.thenRun(() -> order.add("flush of flush"));
        probe();
        assertFalse(second.isDone());
        gate.countDown();
        secondNoted.get(10, TimeUnit.SECONDS);
        assertEquals(List.of("read", "flush", "flush of flush"), order);
    }

    /**
     * A client may reuse a tag the moment its reply arrives (diodload always uses tag 0): the
     * new request must be in flight under that tag, so a Tflush of it waits for its reply.
     */
    @Test
    void aTagReusedRightAfterItsReplyIsTrackedForFlush() throws Exception {
        int tag = 5000;
        for (int round = 0; round < 20; round++) {
            Rmessage r = get(c.c.sendRaw(encoded(new Tgetattr(tag, 1, P9.GETATTR_BASIC)), tag));
            assertInstanceOf(Rgetattr.class, r);
        }
        CompletableFuture<Rmessage> stuck = c.c.sendRaw(encoded(new Tread(tag, 1, 0, 10)), tag);
        CompletableFuture<Rmessage> flush = c.c.send(t -> new Tflush(t, tag));
        probe();
        assertFalse(flush.isDone(), "Tflush of a reused tag answered before its target");
        gate.countDown();
        assertInstanceOf(Rflush.class, get(flush));
        assertTrue(stuck.isDone()); // its reply came first
        assertInstanceOf(Rread.class, stuck.getNow(null));
    }

    /** Past the run limit and the waiting requests, the server stops reading; nothing is lost. */
    @Test
    void requestsBeyondTheReadAheadAllComplete() throws Exception {
        List<CompletableFuture<Rmessage>> reads = new ArrayList<>();
        for (int i = 0; i < MAX_REQUESTS; i++) {
            reads.add(stuckRead());
        }
        List<CompletableFuture<Rmessage>> more = new ArrayList<>();
        for (int i = 0; i < Session.MAX_WAITING + 10; i++) {
            int fid = 100 + i;
            more.add(c.c.send(t -> new Twalk(t, 0, fid, List.of())));
        }
        gate.countDown();
        for (CompletableFuture<Rmessage> r : reads) {
            assertInstanceOf(Rread.class, get(r));
        }
        for (CompletableFuture<Rmessage> r : more) {
            assertInstanceOf(Rwalk.class, get(r));
        }
        for (int i = 0; i < Session.MAX_WAITING + 10; i++) {
            c.clunk(100 + i);
        }
    }

    private static ByteBuffer encoded(Tmessage t) {
        ByteBuffer b = ByteBuffer.allocate(4096);
        Codec.encode(t, b);
        return b.flip();
    }
}
