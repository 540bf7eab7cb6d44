package io.corio.blockio.nbd;

/**
 * The NBD wire constants: magic numbers, handshake and transmission flags, option, reply,
 * information, command and chunk types, and this implementation's limits. Values are those of
 * the NBD protocol document ({@code doc/proto.md} of the NBD project); every field on the wire
 * is big-endian.
 */
public final class NbdProto {
    private NbdProto() {}

    // ------------------------------------------------------------------ magic numbers

    /** First 8 bytes the server sends: ASCII {@code NBDMAGIC}. */
    public static final long NBDMAGIC = 0x4e42444d41474943L;
    /** Newstyle handshake magic, also the start of every option: ASCII {@code IHAVEOPT}. */
    public static final long IHAVEOPT = 0x49484156454F5054L;
    /** Start of every option reply. */
    public static final long OPTION_REPLY_MAGIC = 0x0003e889045565a9L;
    /** Start of every transmission request. */
    public static final int REQUEST_MAGIC = 0x25609513;
    /** Start of a simple reply. */
    public static final int SIMPLE_REPLY_MAGIC = 0x67446698;
    /** Start of a structured reply chunk. */
    public static final int STRUCTURED_REPLY_MAGIC = 0x668e33ef;

    // ------------------------------------------------------------------ handshake flags

    /** Server handshake flag: fixed newstyle negotiation. */
    public static final int FLAG_FIXED_NEWSTYLE = 1;
    /** Server handshake flag: the 124 zero bytes after EXPORT_NAME may be left out. */
    public static final int FLAG_NO_ZEROES = 1 << 1;
    /** Client flag: the client speaks fixed newstyle. */
    public static final int FLAG_C_FIXED_NEWSTYLE = 1;
    /** Client flag: leave out the 124 zero bytes after EXPORT_NAME. */
    public static final int FLAG_C_NO_ZEROES = 1 << 1;
    /** The 124 bytes of zeroes that end an EXPORT_NAME reply without NO_ZEROES. */
    public static final int EXPORT_NAME_ZEROES = 124;

    // ------------------------------------------------------------------ transmission flags

    public static final int FLAG_HAS_FLAGS = 1;
    public static final int FLAG_READ_ONLY = 1 << 1;
    public static final int FLAG_SEND_FLUSH = 1 << 2;
    public static final int FLAG_SEND_FUA = 1 << 3;
    public static final int FLAG_ROTATIONAL = 1 << 4;
    public static final int FLAG_SEND_TRIM = 1 << 5;
    public static final int FLAG_SEND_WRITE_ZEROES = 1 << 6;
    public static final int FLAG_SEND_DF = 1 << 7;
    public static final int FLAG_CAN_MULTI_CONN = 1 << 8;
    public static final int FLAG_SEND_RESIZE = 1 << 9;
    public static final int FLAG_SEND_CACHE = 1 << 10;
    public static final int FLAG_SEND_FAST_ZERO = 1 << 11;

    // ------------------------------------------------------------------ options

    public static final int OPT_EXPORT_NAME = 1;
    public static final int OPT_ABORT = 2;
    public static final int OPT_LIST = 3;
    public static final int OPT_STARTTLS = 5;
    public static final int OPT_INFO = 6;
    public static final int OPT_GO = 7;
    public static final int OPT_STRUCTURED_REPLY = 8;
    public static final int OPT_LIST_META_CONTEXT = 9;
    public static final int OPT_SET_META_CONTEXT = 10;

    // ------------------------------------------------------------------ option replies

    public static final int REP_ACK = 1;
    public static final int REP_SERVER = 2;
    public static final int REP_INFO = 3;
    public static final int REP_META_CONTEXT = 4;
    /** Bit 31: the reply is an error. */
    public static final int REP_FLAG_ERROR = 1 << 31;
    public static final int REP_ERR_UNSUP = REP_FLAG_ERROR | 1;
    public static final int REP_ERR_POLICY = REP_FLAG_ERROR | 2;
    public static final int REP_ERR_INVALID = REP_FLAG_ERROR | 3;
    public static final int REP_ERR_PLATFORM = REP_FLAG_ERROR | 4;
    public static final int REP_ERR_TLS_REQD = REP_FLAG_ERROR | 5;
    public static final int REP_ERR_UNKNOWN = REP_FLAG_ERROR | 6;
    public static final int REP_ERR_SHUTDOWN = REP_FLAG_ERROR | 7;
    public static final int REP_ERR_BLOCK_SIZE_REQD = REP_FLAG_ERROR | 8;
    public static final int REP_ERR_TOO_BIG = REP_FLAG_ERROR | 9;

    // ------------------------------------------------------------------ NBD_INFO types

    public static final int INFO_EXPORT = 0;
    public static final int INFO_NAME = 1;
    public static final int INFO_DESCRIPTION = 2;
    public static final int INFO_BLOCK_SIZE = 3;

    // ------------------------------------------------------------------ commands

    public static final int CMD_READ = 0;
    public static final int CMD_WRITE = 1;
    public static final int CMD_DISC = 2;
    public static final int CMD_FLUSH = 3;
    public static final int CMD_TRIM = 4;
    public static final int CMD_CACHE = 5;
    public static final int CMD_WRITE_ZEROES = 6;
    public static final int CMD_BLOCK_STATUS = 7;

    public static final int CMD_FLAG_FUA = 1;
    public static final int CMD_FLAG_NO_HOLE = 1 << 1;
    public static final int CMD_FLAG_DF = 1 << 2;
    public static final int CMD_FLAG_REQ_ONE = 1 << 3;
    public static final int CMD_FLAG_FAST_ZERO = 1 << 4;

    // ------------------------------------------------------------------ structured replies

    public static final int REPLY_FLAG_DONE = 1;

    public static final int REPLY_TYPE_NONE = 0;
    public static final int REPLY_TYPE_OFFSET_DATA = 1;
    public static final int REPLY_TYPE_OFFSET_HOLE = 2;
    public static final int REPLY_TYPE_BLOCK_STATUS = 5;
    /** Bit 15: the chunk is an error chunk. */
    public static final int REPLY_TYPE_FLAG_ERROR = 1 << 15;
    public static final int REPLY_TYPE_ERROR = REPLY_TYPE_FLAG_ERROR | 1;
    public static final int REPLY_TYPE_ERROR_OFFSET = REPLY_TYPE_FLAG_ERROR | 2;

    // ------------------------------------------------------------------ metadata contexts

    /** The one metadata context served: allocation status (hole, zero) of each extent. */
    public static final String BASE_ALLOCATION = "base:allocation";
    /** The state flags of {@code base:allocation}, equal to {@code Extent.HOLE} and {@code Extent.ZERO}. */
    public static final int STATE_HOLE = 1;
    public static final int STATE_ZERO = 2;

    // ------------------------------------------------------------------ sizes and limits

    /** Server greeting: NBDMAGIC, IHAVEOPT, 16-bit handshake flags. */
    public static final int GREETING_SIZE = 18;
    /** Option header: IHAVEOPT, option, data length. */
    public static final int OPTION_HEADER_SIZE = 16;
    /** Option reply header: magic, option, reply type, data length. */
    public static final int OPTION_REPLY_HEADER_SIZE = 20;
    /** Request header: magic, flags, type, handle, offset, length. */
    public static final int REQUEST_HEADER_SIZE = 28;
    public static final int SIMPLE_REPLY_HEADER_SIZE = 16;
    public static final int CHUNK_HEADER_SIZE = 20;

    /** The longest string (export name, description, message) the protocol allows. */
    public static final int MAX_STRING = 4096;
    /** The longest option data accepted; a longer option ends the connection. */
    public static final int MAX_OPTION_DATA = 64 * 1024;
    /**
     * The largest READ or WRITE length served (2^25, what the protocol says a client may always
     * send). A longer READ gets EINVAL; a longer WRITE loses the framing and ends the connection,
     * since its payload would have to be read first.
     */
    public static final int MAX_PAYLOAD = 32 * 1024 * 1024;
    /** Advertised in NBD_INFO_BLOCK_SIZE: any byte is addressable. */
    public static final int MIN_BLOCK_SIZE = 1;
    /** Advertised in NBD_INFO_BLOCK_SIZE: requests of this alignment are efficient. */
    public static final int PREFERRED_BLOCK_SIZE = 4096;

    /** The name of an error value, for messages; the values are Linux errno numbers. */
    public static String errorName(int error) {
        return switch (error) {
            case 0 -> "OK";
            case 1 -> "EPERM";
            case 5 -> "EIO";
            case 12 -> "ENOMEM";
            case 22 -> "EINVAL";
            case 28 -> "ENOSPC";
            case 75 -> "EOVERFLOW";
            case 95 -> "ENOTSUP";
            case 108 -> "ESHUTDOWN";
            default -> "errno " + error;
        };
    }

    /** The constant name of an option, for messages. */
    public static String optionName(int option) {
        return switch (option) {
            case OPT_EXPORT_NAME -> "NBD_OPT_EXPORT_NAME";
            case OPT_ABORT -> "NBD_OPT_ABORT";
            case OPT_LIST -> "NBD_OPT_LIST";
            case OPT_STARTTLS -> "NBD_OPT_STARTTLS";
            case OPT_INFO -> "NBD_OPT_INFO";
            case OPT_GO -> "NBD_OPT_GO";
            case OPT_STRUCTURED_REPLY -> "NBD_OPT_STRUCTURED_REPLY";
            case OPT_LIST_META_CONTEXT -> "NBD_OPT_LIST_META_CONTEXT";
            case OPT_SET_META_CONTEXT -> "NBD_OPT_SET_META_CONTEXT";
            default -> "option " + option;
        };
    }
}
