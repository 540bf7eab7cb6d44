package io.corio.ninep.server;

import io.corio.core.Backend;
import io.corio.core.io.ConnectionIo;

/** Every case of {@link FlushTest}, with each connection's I/O in its loop on the continuation backend. */
class FlushOnContinuationTest extends FlushTest {
    @Override
    NinepServer.Builder connections(NinepServer.Builder b) {
        return b.connections(Backend.CONTINUATION, ConnectionIo.LOOP);
    }
}
