package io.corio.blockio.nbd;

import java.nio.ByteBuffer;

/**
 * What a server answers to an option in fixed newstyle haggling ({@code NBD_REP_*}), one record
 * per reply type; {@code NBD_REP_INFO} has one record per information type. Every reply names
 * the option it answers. The wire layout lives in {@link HandshakeCodec}.
 */
public sealed interface OptionReply {

    /** The {@code NBD_OPT_*} value this reply answers. */
    int option();

    /** {@code NBD_REP_ACK}: success, and the end of the replies to this option. */
    record Ack(int option) implements OptionReply {}

    /** {@code NBD_REP_SERVER}: one export in the answer to {@code NBD_OPT_LIST}. */
    record Server(int option, String name, String description) implements OptionReply {}

    /** {@code NBD_REP_INFO} with {@code NBD_INFO_EXPORT}: the size and transmission flags. */
    record InfoExport(int option, long size, int transmissionFlags) implements OptionReply {}

    /** {@code NBD_REP_INFO} with {@code NBD_INFO_NAME}: the export's canonical name. */
    record InfoName(int option, String name) implements OptionReply {}

    /** {@code NBD_REP_INFO} with {@code NBD_INFO_DESCRIPTION}: text for a human. */
    record InfoDescription(int option, String description) implements OptionReply {}

    /** {@code NBD_REP_INFO} with {@code NBD_INFO_BLOCK_SIZE}: the block size constraints. */
    record InfoBlockSize(int option, int minimum, int preferred, int maximum) implements OptionReply {}

    /** {@code NBD_REP_INFO} of a type this implementation does not know; clients ignore it. */
    record InfoUnknown(int option, int infoType, ByteBuffer data) implements OptionReply {}

    /** {@code NBD_REP_META_CONTEXT}: a metadata context and the id it has in transmission. */
    record MetaContext(int option, int id, String name) implements OptionReply {}

    /** An error reply ({@code NBD_REP_ERR_*}, bit 31 set), with an optional message. */
    record Error(int option, int type, String message) implements OptionReply {}
}
