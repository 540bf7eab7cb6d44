package io.corio.ninep.server;

import io.corio.core.Backend;
import io.corio.core.io.ConnectionIo;

/** Every case of {@link NinepServerTest}, with each connection's I/O on a reader and a writer thread (virtual backend). */
class NinepServerOnThreadsTest extends NinepServerTest {
    @Override
    NinepServer.Builder connections(NinepServer.Builder b) {
        return b.connections(Backend.VIRTUAL, ConnectionIo.THREADS);
    }
}
