package io.corio.ninep.server;

import io.corio.core.io.FrameWriter;
import io.corio.ninep.protocol.Codec;
import io.corio.ninep.protocol.Rmessage;
import io.corio.ninep.protocol.Rmessage.Rread;
import io.corio.ninep.protocol.Rmessage.Rreaddir;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Queues 9P replies to a session's {@link FrameWriter}: each reply is encoded here, on the
 * caller's thread, and the writer only moves bytes. The payload of Rread and Rreaddir is written
 * from its own buffer, not copied into the frame, and an Rread payload goes back to the writer's
 * pool once written (the pool ignores buffers that are not its own). The credit is the
 * session's frame units, released once the reply is on the wire.
 *
 * <p>Public so that another server on the same transport (the callback-style server in
 * {@code benchmarks/}) writes its replies exactly as {@link NinepServer} does.
 */
public final class Replies {
    private Replies() {}

    /** Queues {@code r}; {@code frameUnits} are released once it is written. */
    public static void send(FrameWriter out, Rmessage r, int frameUnits) {
        int size = Codec.size(r);
        if (r instanceof Rread || r instanceof Rreaddir) {
            ByteBuffer payload = r instanceof Rread rr ? rr.data() : ((Rreaddir) r).data();
            ByteBuffer head = ByteBuffer.allocate(size - payload.remaining());
            ByteBuffer body = Codec.encodeHead(r, head);
            out.send(new ByteBuffer[] {head.flip(), body}, r instanceof Rread ? payload : null, frameUnits);
            return;
        }
        ByteBuffer frame = ByteBuffer.allocate(size);
        Codec.encode(r, frame);
        out.send(new ByteBuffer[] {frame.flip()}, null, frameUnits);
    }

    /** Queues {@code replies} back to back; {@code frameUnits} are released after the last. */
    public static void sendAll(FrameWriter out, List<Rmessage> replies, int frameUnits) {
        for (int i = 0; i < replies.size(); i++) {
            send(out, replies.get(i), i == replies.size() - 1 ? frameUnits : 0);
        }
    }
}
