package io.corio.blockio.nbd;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * What a client sends during option haggling, one record per option ({@code NBD_OPT_*}). The
 * wire layout lives in {@link HandshakeCodec}, not here. Strings are UTF-8 on the wire and at most
 * {@link NbdProto#MAX_STRING} bytes long.
 */
public sealed interface Option {

    /** The {@code NBD_OPT_*} value. */
    int code();

    /** Selects an export and enters transmission; a failure can only be answered by hanging up. */
    record ExportName(String name) implements Option {
        @Override
        public int code() {
            return NbdProto.OPT_EXPORT_NAME;
        }
    }

    /** Ends the negotiation; the server acknowledges and closes. */
    record Abort() implements Option {
        @Override
        public int code() {
            return NbdProto.OPT_ABORT;
        }
    }

    /** Asks for one {@code NBD_REP_SERVER} per export. */
    record ListExports() implements Option {
        @Override
        public int code() {
            return NbdProto.OPT_LIST;
        }
    }

    /**
     * {@code NBD_OPT_INFO} ({@code go} false) or {@code NBD_OPT_GO} ({@code go} true): describes
     * an export with {@code NBD_REP_INFO} replies; GO then enters transmission.
     *
     * @param infos the {@code NBD_INFO_*} types asked for
     */
    record Info(boolean go, String name, List<Integer> infos) implements Option {
        public Info {
            infos = List.copyOf(infos);
        }

        @Override
        public int code() {
            return go ? NbdProto.OPT_GO : NbdProto.OPT_INFO;
        }
    }

    /** Asks for structured replies in transmission. */
    record StructuredReply() implements Option {
        @Override
        public int code() {
            return NbdProto.OPT_STRUCTURED_REPLY;
        }
    }

    /**
     * {@code NBD_OPT_LIST_META_CONTEXT} ({@code set} false) or {@code NBD_OPT_SET_META_CONTEXT}
     * ({@code set} true) for the metadata contexts matching {@code queries} on {@code export}.
     */
    record MetaContext(boolean set, String export, List<String> queries) implements Option {
        public MetaContext {
            queries = List.copyOf(queries);
        }

        @Override
        public int code() {
            return set ? NbdProto.OPT_SET_META_CONTEXT : NbdProto.OPT_LIST_META_CONTEXT;
        }
    }

    /** An option this implementation does not know (answered with {@code NBD_REP_ERR_UNSUP}). */
    record Unknown(int code, ByteBuffer data) implements Option {}

    /**
     * A known option whose data is malformed (answered with {@code NBD_REP_ERR_INVALID}); the
     * framing is intact, so haggling goes on.
     */
    record Invalid(int code, String reason) implements Option {}
}
