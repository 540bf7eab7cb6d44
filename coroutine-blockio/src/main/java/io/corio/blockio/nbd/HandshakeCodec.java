package io.corio.blockio.nbd;

import static io.corio.blockio.nbd.NbdProto.*;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Encodes and decodes the messages of the fixed newstyle handshake: the greeting, the client
 * flags, options ({@link Option}), option replies ({@link OptionReply}) and the old
 * {@code NBD_OPT_EXPORT_NAME} answer. Decoders read from a {@link WireIn} and wait for whole
 * messages.
 *
 * <p>Errors: a bad magic number or an option longer than {@link NbdProto#MAX_OPTION_DATA} means
 * the framing is lost ({@link FramingException}). An option whose data is malformed but whose
 * length is intact decodes as {@link Option.Invalid}, so the server answers it and haggling goes
 * on. A malformed option reply is a {@link FramingException}: a client must hang up on it.
 */
public final class HandshakeCodec {
    private HandshakeCodec() {}

    // ------------------------------------------------------------------ greeting and flags

    /** The server's first message: NBDMAGIC, IHAVEOPT, handshake flags. */
    public static ByteBuffer greeting(int handshakeFlags) {
        return ByteBuffer.allocate(GREETING_SIZE).putLong(NBDMAGIC).putLong(IHAVEOPT)
                .putShort((short) handshakeFlags).flip();
    }

    /** Reads the greeting and returns the server's handshake flags. */
    public static int readGreeting(WireIn in) throws IOException {
        in.require(GREETING_SIZE);
        long magic = in.getLong();
        long opt = in.getLong();
        int flags = Short.toUnsignedInt(in.getShort());
        if (magic != NBDMAGIC || opt != IHAVEOPT) {
            throw new FramingException("not a newstyle NBD server (magic 0x"
                    + Long.toHexString(magic) + " 0x" + Long.toHexString(opt) + ")");
        }
        return flags;
    }

    public static ByteBuffer clientFlags(int flags) {
        return ByteBuffer.allocate(4).putInt(flags).flip();
    }

    public static int readClientFlags(WireIn in) throws IOException {
        in.require(4);
        return in.getInt();
    }

    // ------------------------------------------------------------------ options

    public static ByteBuffer encode(Option o) {
        ByteBuffer data = switch (o) {
            case Option.ExportName e -> ByteBuffer.wrap(utf8(e.name()));
            case Option.Abort a -> ByteBuffer.allocate(0);
            case Option.ListExports l -> ByteBuffer.allocate(0);
            case Option.StructuredReply s -> ByteBuffer.allocate(0);
            case Option.Info i -> {
                byte[] name = utf8(i.name());
                ByteBuffer b = ByteBuffer.allocate(4 + name.length + 2 + 2 * i.infos().size());
                b.putInt(name.length).put(name).putShort((short) i.infos().size());
                i.infos().forEach(t -> b.putShort(t.shortValue()));
                yield b.flip();
            }
            case Option.MetaContext m -> {
                byte[] export = utf8(m.export());
                List<byte[]> queries = m.queries().stream().map(HandshakeCodec::utf8).toList();
                int size = 4 + export.length + 4;
                for (byte[] q : queries) {
                    size += 4 + q.length;
                }
                ByteBuffer b = ByteBuffer.allocate(size);
                b.putInt(export.length).put(export).putInt(queries.size());
                queries.forEach(q -> b.putInt(q.length).put(q));
                yield b.flip();
            }
            case Option.Unknown u -> u.data().duplicate();
            case Option.Invalid v -> throw new IllegalArgumentException("cannot encode " + v);
        };
        return ByteBuffer.allocate(OPTION_HEADER_SIZE + data.remaining()).putLong(IHAVEOPT)
                .putInt(o.code()).putInt(data.remaining()).put(data).flip();
    }

    /**
     * Reads one option.
     *
     * @throws FramingException on a bad magic number or data longer than
     *     {@link NbdProto#MAX_OPTION_DATA}
     */
    public static Option readOption(WireIn in) throws IOException {
        in.require(OPTION_HEADER_SIZE);
        long magic = in.getLong();
        int code = in.getInt();
        long length = Integer.toUnsignedLong(in.getInt());
        if (magic != IHAVEOPT) {
            throw new FramingException("option magic 0x" + Long.toHexString(magic)
                    + ", expected IHAVEOPT");
        }
        if (length > MAX_OPTION_DATA) {
            throw new FramingException(optionName(code) + " with " + length
                    + " bytes of data, more than " + MAX_OPTION_DATA);
        }
        in.require((int) length);
        ByteBuffer data = ByteBuffer.wrap(in.getBytes((int) length));
        try {
            return decodeOption(code, data);
        } catch (BufferUnderflowException e) {
            return new Option.Invalid(code, "data ends early");
        } catch (CharacterCodingException e) {
            return new Option.Invalid(code, "a string is not valid UTF-8");
        }
    }

    private static Option decodeOption(int code, ByteBuffer data) throws CharacterCodingException {
        return switch (code) {
            case OPT_EXPORT_NAME -> data.remaining() > MAX_STRING
                    ? new Option.Invalid(code, "export name longer than " + MAX_STRING + " bytes")
                    : new Option.ExportName(string(data, data.remaining()));
            case OPT_ABORT -> new Option.Abort(); // data, if any, is ignored as the protocol asks
            case OPT_LIST -> data.hasRemaining()
                    ? new Option.Invalid(code, "NBD_OPT_LIST carries no data")
                    : new Option.ListExports();
            case OPT_STRUCTURED_REPLY -> data.hasRemaining()
                    ? new Option.Invalid(code, "NBD_OPT_STRUCTURED_REPLY carries no data")
                    : new Option.StructuredReply();
            case OPT_INFO, OPT_GO -> {
                String name = lengthPrefixed(data);
                int n = Short.toUnsignedInt(data.getShort());
                if (data.remaining() != 2 * n) {
                    yield new Option.Invalid(code, n + " information requests but "
                            + data.remaining() + " bytes for them");
                }
                List<Integer> infos = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    infos.add(Short.toUnsignedInt(data.getShort()));
                }
                yield new Option.Info(code == OPT_GO, name, infos);
            }
            case OPT_LIST_META_CONTEXT, OPT_SET_META_CONTEXT -> {
                String export = lengthPrefixed(data);
                long n = Integer.toUnsignedLong(data.getInt());
                if (n > data.remaining() / 4) {
                    yield new Option.Invalid(code, n + " queries in " + data.remaining() + " bytes");
                }
                List<String> queries = new ArrayList<>((int) n);
                for (long i = 0; i < n; i++) {
                    queries.add(lengthPrefixed(data));
                }
                if (data.hasRemaining()) {
                    yield new Option.Invalid(code, data.remaining() + " bytes after the queries");
                }
                yield new Option.MetaContext(code == OPT_SET_META_CONTEXT, export, queries);
            }
            default -> new Option.Unknown(code, data);
        };
    }

    // ------------------------------------------------------------------ option replies

    public static ByteBuffer encode(OptionReply r) {
        ByteBuffer data = switch (r) {
            case OptionReply.Ack a -> ByteBuffer.allocate(0);
            case OptionReply.Server s -> {
                byte[] name = utf8(s.name());
                byte[] description = utf8(s.description());
                yield ByteBuffer.allocate(4 + name.length + description.length).putInt(name.length)
                        .put(name).put(description).flip();
            }
            case OptionReply.InfoExport e -> ByteBuffer.allocate(12).putShort((short) INFO_EXPORT)
                    .putLong(e.size()).putShort((short) e.transmissionFlags()).flip();
            case OptionReply.InfoName n -> info(INFO_NAME, utf8(n.name()));
            case OptionReply.InfoDescription d -> info(INFO_DESCRIPTION, utf8(d.description()));
            case OptionReply.InfoBlockSize b -> ByteBuffer.allocate(14)
                    .putShort((short) INFO_BLOCK_SIZE).putInt(b.minimum()).putInt(b.preferred())
                    .putInt(b.maximum()).flip();
            case OptionReply.InfoUnknown u -> {
                ByteBuffer d = u.data().duplicate();
                yield ByteBuffer.allocate(2 + d.remaining()).putShort((short) u.infoType()).put(d)
                        .flip();
            }
            case OptionReply.MetaContext m -> {
                byte[] name = utf8(m.name());
                yield ByteBuffer.allocate(4 + name.length).putInt(m.id()).put(name).flip();
            }
            case OptionReply.Error e -> ByteBuffer.wrap(utf8(e.message()));
        };
        return ByteBuffer.allocate(OPTION_REPLY_HEADER_SIZE + data.remaining())
                .putLong(OPTION_REPLY_MAGIC).putInt(r.option()).putInt(replyType(r))
                .putInt(data.remaining()).put(data).flip();
    }

    private static int replyType(OptionReply r) {
        return switch (r) {
            case OptionReply.Ack a -> REP_ACK;
            case OptionReply.Server s -> REP_SERVER;
            case OptionReply.InfoExport e -> REP_INFO;
            case OptionReply.InfoName n -> REP_INFO;
            case OptionReply.InfoDescription d -> REP_INFO;
            case OptionReply.InfoBlockSize b -> REP_INFO;
            case OptionReply.InfoUnknown u -> REP_INFO;
            case OptionReply.MetaContext m -> REP_META_CONTEXT;
            case OptionReply.Error e -> e.type();
        };
    }

    private static ByteBuffer info(int type, byte[] text) {
        return ByteBuffer.allocate(2 + text.length).putShort((short) type).put(text).flip();
    }

    /** Reads one option reply; anything malformed is a {@link FramingException}. */
    public static OptionReply readOptionReply(WireIn in) throws IOException {
        in.require(OPTION_REPLY_HEADER_SIZE);
        long magic = in.getLong();
        int option = in.getInt();
        int type = in.getInt();
        long length = Integer.toUnsignedLong(in.getInt());
        if (magic != OPTION_REPLY_MAGIC) {
            throw new FramingException("option reply magic 0x" + Long.toHexString(magic));
        }
        if (length > MAX_OPTION_DATA) {
            throw new FramingException("option reply with " + length + " bytes of data");
        }
        in.require((int) length);
        ByteBuffer data = ByteBuffer.wrap(in.getBytes((int) length));
        try {
            OptionReply r = decodeOptionReply(option, type, data);
            if (data.hasRemaining()) {
                throw new FramingException("option reply type " + type + " has "
                        + data.remaining() + " bytes too many");
            }
            return r;
        } catch (BufferUnderflowException e) {
            throw new FramingException("option reply type " + type + " with only " + length
                    + " bytes of data");
        } catch (CharacterCodingException e) {
            throw new FramingException("option reply type " + type + " has a string that is not UTF-8");
        }
    }

    private static OptionReply decodeOptionReply(int option, int type, ByteBuffer data)
            throws IOException {
        if ((type & REP_FLAG_ERROR) != 0) {
            return new OptionReply.Error(option, type, lenient(data));
        }
        return switch (type) {
            case REP_ACK -> new OptionReply.Ack(option);
            case REP_SERVER -> new OptionReply.Server(option, lengthPrefixed(data),
                    string(data, data.remaining()));
            case REP_META_CONTEXT -> new OptionReply.MetaContext(option, data.getInt(),
                    string(data, data.remaining()));
            case REP_INFO -> {
                int info = Short.toUnsignedInt(data.getShort());
                yield switch (info) {
                    case INFO_EXPORT -> new OptionReply.InfoExport(option, data.getLong(),
                            Short.toUnsignedInt(data.getShort()));
                    case INFO_NAME -> new OptionReply.InfoName(option, string(data, data.remaining()));
                    case INFO_DESCRIPTION -> new OptionReply.InfoDescription(option,
                            string(data, data.remaining()));
                    case INFO_BLOCK_SIZE -> new OptionReply.InfoBlockSize(option, data.getInt(),
                            data.getInt(), data.getInt());
                    default -> {
                        ByteBuffer rest = ByteBuffer.wrap(new byte[data.remaining()]);
                        data.get(rest.array());
                        yield new OptionReply.InfoUnknown(option, info, rest);
                    }
                };
            }
            default -> throw new FramingException("unknown option reply type " + type);
        };
    }

    // ------------------------------------------------------------------ EXPORT_NAME answer

    /** The answer to {@code NBD_OPT_EXPORT_NAME}: size, flags, and 124 zeroes unless left out. */
    public static ByteBuffer exportNameReply(long size, int transmissionFlags, boolean zeroes) {
        return ByteBuffer.allocate(10 + (zeroes ? EXPORT_NAME_ZEROES : 0)).putLong(size)
                .putShort((short) transmissionFlags).position(0);
    }

    public static OptionReply.InfoExport readExportNameReply(WireIn in, boolean zeroes)
            throws IOException {
        in.require(10);
        long size = in.getLong();
        int flags = Short.toUnsignedInt(in.getShort());
        if (zeroes) {
            in.skip(EXPORT_NAME_ZEROES);
        }
        return new OptionReply.InfoExport(OPT_EXPORT_NAME, size, flags);
    }

    // ------------------------------------------------------------------ strings

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A 32-bit length, then that many bytes of UTF-8. */
    private static String lengthPrefixed(ByteBuffer data) throws CharacterCodingException {
        long n = Integer.toUnsignedLong(data.getInt());
        if (n > data.remaining()) {
            throw new BufferUnderflowException();
        }
        return string(data, (int) n);
    }

    private static String string(ByteBuffer data, int n) throws CharacterCodingException {
        ByteBuffer s = data.slice(data.position(), n);
        data.position(data.position() + n);
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(s).toString();
    }

    /** Text for a human from a peer: bad bytes become U+FFFD instead of failing. */
    static String lenient(ByteBuffer data) {
        byte[] b = new byte[data.remaining()];
        data.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
