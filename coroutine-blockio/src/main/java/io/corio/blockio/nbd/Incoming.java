package io.corio.blockio.nbd;

import static io.corio.blockio.nbd.NbdProto.CMD_DISC;
import static io.corio.blockio.nbd.NbdProto.MAX_PAYLOAD;

import io.corio.core.io.BufferPool;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * One request read off the wire in the transmission phase, with the budget it holds and the pool
 * buffer its WRITE payload arrived in (null for other commands). The request's handler gives the
 * payload back to the pool once the driver is done with it, and its reply gives back the cost.
 *
 * <p>Public so that another server on the same transport (the CompletableFuture-style server in
 * {@code benchmarks/}) reads requests exactly as the coroutine server does.
 */
public record Incoming(Request request, long cost, ByteBuffer payload) {

    /**
     * Reads the next request: its header, then (after taking its cost from {@code budget},
     * waiting until the budget has room) its payload, straight into a pool buffer. Returns
     * null at NBD_CMD_DISC. On failure nothing is held: buffer and budget are given back.
     *
     * @throws FramingException if the stream lost its framing (bad magic, oversized WRITE)
     */
    public static Incoming read(WireIn in, ByteBudget budget, BufferPool pool) throws IOException {
        TransmissionCodec.Header h = TransmissionCodec.readHeader(in);
        if (h.type() == CMD_DISC) {
            return null;
        }
        boolean hasPayload = TransmissionCodec.hasPayload(h);
        if (hasPayload) {
            TransmissionCodec.checkPayload(h, MAX_PAYLOAD);
        }
        long cost = budget.cost(h);
        budget.acquire(cost); // given back by the writer, once the reply is written
        ByteBuffer payload = null;
        try {
            if (hasPayload) {
                payload = Transmission.payloadBuffer(pool, (int) h.length());
                in.read(payload);
                payload.flip();
            }
            return new Incoming(TransmissionCodec.request(h, payload), cost, payload);
        } catch (IOException | RuntimeException e) {
            if (payload != null) {
                pool.give(payload);
            }
            budget.release(cost);
            throw e;
        }
    }
}
