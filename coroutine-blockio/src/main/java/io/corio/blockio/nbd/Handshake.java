package io.corio.blockio.nbd;

import static io.corio.blockio.nbd.NbdProto.*;

import io.corio.core.io.FrameWriter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of the fixed newstyle handshake, as sequential code on the connection's
 * reader thread: greet, read the client flags, then answer options one by one until the client
 * picks an export (GO or EXPORT_NAME) or aborts. Replies are queued to the connection's
 * {@link FrameWriter}, in order.
 *
 * <p>Options served: EXPORT_NAME, ABORT, LIST, INFO and GO (with NBD_INFO_EXPORT, NAME,
 * DESCRIPTION and BLOCK_SIZE), STRUCTURED_REPLY, LIST_META_CONTEXT and SET_META_CONTEXT (the one
 * context {@code base:allocation}). Any other option gets NBD_REP_ERR_UNSUP (STARTTLS included:
 * this server has no TLS), malformed data NBD_REP_ERR_INVALID, an unknown export
 * NBD_REP_ERR_UNKNOWN, and haggling goes on. Only what the protocol cannot answer ends the
 * connection: unknown client flags, an EXPORT_NAME for an unknown export, lost framing.
 *
 * <p>The empty name selects the export named "" if there is one, else the first export added.
 *
 * <p>Public so that another server on the same transport (the {@code CompletableFuture}-style
 * server in benchmarks/) negotiates exactly as this one does; only its request handlers differ.
 */
public final class Handshake {
    private static final Logger log = LoggerFactory.getLogger(Handshake.class);

    /** The id of {@code base:allocation} in transmission. */
    public static final int BASE_ALLOCATION_ID = 1;

    /** What the handshake agreed on. */
    public record Result(Export export, boolean structured, boolean baseAllocation, int transmissionFlags) {}

    private final String name;
    private final WireIn in;
    private final FrameWriter out;
    private final Map<String, Export> exports; // in the order added
    private boolean structured; // reader thread only, like everything here
    private Export metaExport; // the export of the last SET_META_CONTEXT that selected base:allocation

    /**
     * A handshake on one connection named {@code name}, reading from {@code in} and writing to
     * {@code out}, offering {@code exports} (in the order LIST shows them; the first is the
     * default).
     */
    public Handshake(String name, WireIn in, FrameWriter out, Map<String, Export> exports) {
        this.name = name;
        this.in = in;
        this.out = out;
        this.exports = exports;
    }

    /**
     * Runs the handshake.
     *
     * @return what was agreed, or {@code null} if the client aborted
     * @throws FramingException if the connection must be closed
     */
    public Result run() throws IOException {
        out.send(HandshakeCodec.greeting(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES));
        int clientFlags = HandshakeCodec.readClientFlags(in);
        if ((clientFlags & ~(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES)) != 0) {
            throw new FramingException("unknown client flags 0x" + Integer.toHexString(clientFlags));
        }
        boolean zeroes = (clientFlags & FLAG_C_NO_ZEROES) == 0;
        while (true) {
            Option o = HandshakeCodec.readOption(in);
            log.debug("{}: {}", name, o);
            switch (o) {
                case Option.ExportName e -> {
                    Export x = find(e.name());
                    if (x == null) {
                        throw new FramingException("NBD_OPT_EXPORT_NAME for unknown export '"
                                + e.name() + "' (the protocol has no error reply for it)");
                    }
                    Result r = result(x);
                    out.send(HandshakeCodec.exportNameReply(x.size(), r.transmissionFlags(), zeroes));
                    return r;
                }
                case Option.Abort a -> {
                    reply(new OptionReply.Ack(OPT_ABORT)); // the client may be gone already
                    return null;
                }
                case Option.ListExports l -> {
                    for (Export x : exports.values()) {
                        reply(new OptionReply.Server(OPT_LIST, x.name(), x.description()));
                    }
                    reply(new OptionReply.Ack(OPT_LIST));
                }
                case Option.Info i -> {
                    Result r = info(i);
                    if (r != null && i.go()) {
                        return r;
                    }
                }
                case Option.StructuredReply s -> {
                    structured = true;
                    reply(new OptionReply.Ack(OPT_STRUCTURED_REPLY));
                }
                case Option.MetaContext m -> metaContext(m);
                case Option.Unknown u -> reply(new OptionReply.Error(u.code(), REP_ERR_UNSUP,
                        optionName(u.code()) + " is not supported by this server"));
                case Option.Invalid v -> {
                    if (v.code() == OPT_EXPORT_NAME) {
                        throw new FramingException("malformed NBD_OPT_EXPORT_NAME: " + v.reason());
                    }
                    reply(new OptionReply.Error(v.code(), REP_ERR_INVALID,
                            "malformed " + optionName(v.code()) + ": " + v.reason()));
                }
            }
        }
    }

    /** INFO or GO: the export's details then ACK, or an error; the result on success. */
    private Result info(Option.Info i) {
        Export x = find(i.name());
        if (x == null) {
            reply(new OptionReply.Error(i.code(), REP_ERR_UNKNOWN, "no export named '" + i.name()
                    + "'; exports: " + String.join(", ", quoted())));
            return null;
        }
        Result r = result(x);
        reply(new OptionReply.InfoExport(i.code(), x.size(), r.transmissionFlags()));
        if (i.infos().contains(INFO_NAME)) {
            reply(new OptionReply.InfoName(i.code(), x.name()));
        }
        if (i.infos().contains(INFO_DESCRIPTION) && !x.description().isEmpty()) {
            reply(new OptionReply.InfoDescription(i.code(), x.description()));
        }
        // sent whether asked or not: these are the default constraints, stated for clarity
        reply(new OptionReply.InfoBlockSize(i.code(), MIN_BLOCK_SIZE, PREFERRED_BLOCK_SIZE, MAX_PAYLOAD));
        reply(new OptionReply.Ack(i.code()));
        return r;
    }

    private void metaContext(Option.MetaContext m) {
        if (m.set()) {
            metaExport = null; // a SET replaces the selection even when it fails
        }
        if (!structured) {
            reply(new OptionReply.Error(m.code(), REP_ERR_INVALID,
                    "negotiate NBD_OPT_STRUCTURED_REPLY before " + optionName(m.code())));
            return;
        }
        Export x = find(m.export());
        if (x == null) {
            reply(new OptionReply.Error(m.code(), REP_ERR_UNKNOWN, "no export named '" + m.export() + "'"));
            return;
        }
        boolean match = m.set()
                ? m.queries().contains(BASE_ALLOCATION)
                : m.queries().isEmpty() || m.queries().contains(BASE_ALLOCATION) || m.queries().contains("base:");
        if (match) {
            // LIST answers with id 0 (reserved); SET with the id used in transmission
            reply(new OptionReply.MetaContext(m.code(), m.set() ? BASE_ALLOCATION_ID : 0, BASE_ALLOCATION));
            if (m.set()) {
                metaExport = x;
            }
        }
        reply(new OptionReply.Ack(m.code()));
    }

    private Result result(Export x) {
        return new Result(x, structured, structured && metaExport == x, x.transmissionFlags(structured));
    }

    private Export find(String exportName) {
        Export x = exports.get(exportName);
        if (x == null && exportName.isEmpty() && !exports.isEmpty()) {
            x = exports.values().iterator().next();
        }
        return x;
    }

    private List<String> quoted() {
        Set<String> names = new LinkedHashSet<>(exports.keySet());
        List<String> q = new ArrayList<>();
        names.forEach(n -> q.add("'" + n + "'"));
        return q;
    }

    private void reply(OptionReply r) {
        out.send(HandshakeCodec.encode(r));
    }
}
