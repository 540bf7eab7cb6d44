package io.corio.blockio.nbd;

import static io.corio.blockio.nbd.NbdProto.*;

import java.io.IOException;
import java.util.List;

/**
 * The client side of the fixed newstyle handshake, as sequential coroutine code: structured
 * replies if wanted, {@code base:allocation} through SET_META_CONTEXT, then GO (falling back to
 * EXPORT_NAME if the server has no GO).
 */
final class ClientHandshake {
    private final WireIn in;
    private final Sender out;

    /** What the handshake agreed on; {@code contextId} is -1 without {@code base:allocation}. */
    record Agreed(long size, int flags, boolean structured, int contextId, String description) {}

    ClientHandshake(WireIn in, Sender out) {
        this.in = in;
        this.out = out;
    }

    /** Runs the handshake for {@code export}. */
    Agreed run(String export, boolean structuredWanted) throws IOException {
        int serverFlags = HandshakeCodec.readGreeting(in);
        if ((serverFlags & FLAG_FIXED_NEWSTYLE) == 0) {
            throw new IOException("the server does not speak fixed newstyle NBD");
        }
        boolean noZeroes = (serverFlags & FLAG_NO_ZEROES) != 0;
        out.send(HandshakeCodec.clientFlags(FLAG_C_FIXED_NEWSTYLE | (noZeroes ? FLAG_C_NO_ZEROES : 0)));

        boolean structured = false;
        int contextId = -1;
        if (structuredWanted) {
            send(new Option.StructuredReply());
            structured = expectAck(OPT_STRUCTURED_REPLY, true);
        }
        if (structured) {
            send(new Option.MetaContext(true, export, List.of(BASE_ALLOCATION)));
            while (true) {
                OptionReply r = next(OPT_SET_META_CONTEXT);
                if (r instanceof OptionReply.MetaContext m && m.name().equals(BASE_ALLOCATION)) {
                    contextId = m.id();
                } else if (r instanceof OptionReply.Ack || r instanceof OptionReply.Error) {
                    break; // an error here only means no block status
                } else {
                    throw new FramingException("unexpected reply to NBD_OPT_SET_META_CONTEXT: " + r);
                }
            }
        }

        send(new Option.Info(true, export, List.of(INFO_NAME, INFO_DESCRIPTION)));
        long size = -1;
        int flags = 0;
        String description = "";
        while (true) {
            OptionReply r = next(OPT_GO);
            switch (r) {
                case OptionReply.InfoExport e -> {
                    size = e.size();
                    flags = e.transmissionFlags();
                }
                case OptionReply.InfoDescription d -> description = d.description();
                case OptionReply.Ack a -> {
                    if (size < 0) {
                        throw new FramingException("NBD_OPT_GO succeeded without NBD_INFO_EXPORT");
                    }
                    return new Agreed(size, flags, structured, contextId, description);
                }
                case OptionReply.Error e when e.type() == REP_ERR_UNSUP -> {
                    // an old server: EXPORT_NAME, which cannot report errors (it hangs up instead)
                    send(new Option.ExportName(export));
                    OptionReply.InfoExport x = HandshakeCodec.readExportNameReply(in, !noZeroes);
                    return new Agreed(x.size(), x.transmissionFlags(), structured, contextId, "");
                }
                case OptionReply.Error e -> throw new IOException("the server refused export '" + export
                        + "': " + e.message() + " (reply type 0x" + Integer.toHexString(e.type()) + ")");
                default -> { } // other information is ignored, as the protocol asks
            }
        }
    }

    private void send(Option o) {
        out.send(HandshakeCodec.encode(o));
    }

    /** The next reply, which must answer {@code option}. */
    private OptionReply next(int option) throws IOException {
        OptionReply r = HandshakeCodec.readOptionReply(in);
        if (r.option() != option) {
            throw new FramingException("reply to " + optionName(r.option()) + " while waiting for "
                    + optionName(option));
        }
        return r;
    }

    /** Reads the answer to an option that is acknowledged or refused; true if acknowledged. */
    private boolean expectAck(int option, boolean refusalIsFine) throws IOException {
        OptionReply r = next(option);
        if (r instanceof OptionReply.Ack) {
            return true;
        }
        if (r instanceof OptionReply.Error && refusalIsFine) {
            return false;
        }
        throw new FramingException("unexpected reply to " + optionName(option) + ": " + r);
    }
}
