package io.corio.blockio.nbd;

import io.corio.core.AioContext;
import io.corio.core.CoroutineFunction;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** A server on a loopback port, and a context to run client calls in. */
final class Fixture implements AutoCloseable {
    final NbdServer server;
    final SocketAddress address;
    final AioContext ctx = AioContext.start("test-client");
    private final List<NbdClient> clients = new ArrayList<>();

    Fixture(NbdServer.Builder builder) throws IOException {
        server = builder.build();
        address = server.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    int port() {
        return ((InetSocketAddress) address).getPort();
    }

    /** nbd:// URI of an export, as the real clients take it. */
    String uri(String export) {
        return "nbd://127.0.0.1:" + port() + "/" + export;
    }

    NbdClient connect(String export) throws IOException {
        return connect(export, true);
    }

    NbdClient connect(String export, boolean structured) throws IOException {
        NbdClient c = NbdClient.connect(address, export, structured);
        clients.add(c);
        return c;
    }

    /** Runs {@code fn} as a coroutine of the test context. */
    <T, X extends Exception> T co(CoroutineFunction<T, X> fn) throws X {
        return ctx.call(fn);
    }

    /** In a server dump: a connection's reader waits for budget (full, or ending). */
    static final String READER_WAITS_FOR_BUDGET = ", reader waits for ";

    /**
     * Waits until the server's dump shows {@code fragment}: a condition on the server's state
     * (what its coroutines wait for), polled, with a generous deadline.
     */
    static void awaitDump(NbdServer server, String fragment) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        String dump = server.dump();
        while (!dump.contains(fragment)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the server never reached '" + fragment + "':\n" + dump);
            }
            Thread.sleep(2);
            dump = server.dump();
        }
    }

    static ByteBuffer pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 7 + seed * 13 + (i >> 9));
        }
        return ByteBuffer.wrap(b);
    }

    @Override
    public void close() {
        clients.forEach(NbdClient::close);
        server.close();
        ctx.close();
    }
}
