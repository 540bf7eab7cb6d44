package io.corio.ninep.server;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one {@link NinepServer}, shown by the {@code ctl} export's {@code stats} file.
 * Thread-safe: each counter is a {@link LongAdder}, so the figures read together are not a
 * snapshot of one instant.
 */
final class ServerStats {
    final LongAdder connections = new LongAdder();
    final LongAdder requests = new LongAdder();
    final LongAdder bytesRead = new LongAdder();
    final LongAdder bytesWritten = new LongAdder();

    /** The {@code stats} file's text: one {@code name value} pair a line. */
    String text(int openConnections, int locks) {
        return "connections " + connections.sum() + "\n"
                + "open-connections " + openConnections + "\n"
                + "requests " + requests.sum() + "\n"
                + "bytes-read " + bytesRead.sum() + "\n"
                + "bytes-written " + bytesWritten.sum() + "\n"
                + "locks " + locks + "\n";
    }
}
