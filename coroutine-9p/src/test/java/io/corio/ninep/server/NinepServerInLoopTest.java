package io.corio.ninep.server;

import io.corio.core.Backend;
import io.corio.core.io.ConnectionIo;

/** Every case of {@link NinepServerTest}, with each connection's I/O in its loop (continuation backend). */
class NinepServerInLoopTest extends NinepServerTest {
    @Override
    NinepServer.Builder connections(NinepServer.Builder b) {
        return b.connections(Backend.CONTINUATION, ConnectionIo.LOOP);
    }
}
