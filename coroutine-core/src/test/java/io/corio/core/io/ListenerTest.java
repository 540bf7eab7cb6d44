package io.corio.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class ListenerTest {
    private final BlockingQueue<SocketChannel> accepted = new LinkedBlockingQueue<>();

    @Test
    void tcpConnectionsArriveWithNoDelayAndStopAfterClose() throws Exception {
        Listener l = Listener.start("t", new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), accepted::add);
        InetSocketAddress at = (InetSocketAddress) l.address();
        assertNotEquals(0, at.getPort(), "port 0 picks one");
        try (SocketChannel c = SocketChannel.open(at)) {
            SocketChannel server = accepted.poll(10, TimeUnit.SECONDS);
            assertTrue(server != null, "the connection was handed over");
            assertTrue(server.getOption(StandardSocketOptions.TCP_NODELAY));
            c.write(ByteBuffer.wrap(new byte[] {42}));
            ByteBuffer b = ByteBuffer.allocate(1);
            server.read(b);
            assertEquals(42, b.get(0));
            server.close();
        }
        l.close();
        l.close(); // idempotent
        assertTrue(refusedWithin(at, 10), "the port stops accepting once the listener is closed");
    }

    /**
     * Whether connecting to {@code at} is refused within {@code seconds}: the JDK closes a
     * server socket that a virtual thread is blocked accepting on only once that thread has
     * left accept, so the port may take a moment to close.
     */
    private static boolean refusedWithin(InetSocketAddress at, int seconds) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            try (SocketChannel c = SocketChannel.open(at)) {
                LockSupport.parkNanos(1_000_000); // still open: try again
            } catch (IOException refused) {
                return true;
            }
        }
        return false;
    }

    @Test
    void aUnixListenerReplacesAStaleSocketButNoOtherFileAndRemovesItsOwn(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("s.sock");
        try (var ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(sock)); // bound, then abandoned: a stale socket
        }
        assertTrue(Files.exists(sock), "the stale socket file stays after its channel closed");
        Listener second = Listener.start("t", UnixDomainSocketAddress.of(sock), accepted::add);
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
            assertTrue(accepted.poll(10, TimeUnit.SECONDS) != null);
        }
        second.close();
        assertFalse(Files.exists(sock), "close deletes its socket file");

        Path plain = dir.resolve("data.txt");
        Files.writeString(plain, "keep me");
        assertThrows(IOException.class, () -> Listener.start("t", UnixDomainSocketAddress.of(plain), accepted::add));
        assertEquals("keep me", Files.readString(plain), "a regular file is never replaced");
    }
}
