package io.corio.ninep.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.corio.ninep.protocol.Codec;
import io.corio.ninep.protocol.DirEntry;
import io.corio.ninep.protocol.DirPacker;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.function.Executable;

/**
 * One back end under test, with its root handle and helpers; {@link Kind} lists the back ends
 * the behavioural suite runs against. Local kinds export a fresh temporary directory, removed
 * on close.
 */
final class Fixture implements AutoCloseable {

    /** The back ends every behavioural test runs against. */
    enum Kind {
        MEMORY, PASSTHROUGH, MAPPED_XATTR, NONE;

        boolean isLocal() {
            return this != MEMORY;
        }

        /** Whether this kind can give a file any owner (mapped and memory only store it). */
        boolean canChown() {
            return this == MEMORY || this == MAPPED_XATTR || ME.uid() == 0;
        }

        /** Whether this kind can make device nodes. */
        boolean canMakeDevices() {
            return this == MEMORY || this == MAPPED_XATTR || ME.uid() == 0;
        }

        SecurityModel model() {
            return switch (this) {
                case MAPPED_XATTR -> SecurityModel.MAPPED_XATTR;
                case NONE -> SecurityModel.NONE;
                default -> SecurityModel.PASSTHROUGH;
            };
        }
    }

    /** The tests' own uid and gid: what any kind can give a file, privileged or not. */
    static final Owner ME = hostIdentity();
    /** Someone else: only root can give a file this owner on the host. */
    static final Owner USER = new Owner(1234, 5678);

    final Kind kind;
    final Path dir; // the exported directory; null for MEMORY
    final Backend fs;
    final Handle root;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    Fixture(Kind kind) throws Exception {
        this.kind = kind;
        if (kind.isLocal()) {
            dir = Files.createTempDirectory("corio-fs-");
            try {
                fs = Backend.local(dir, kind.model(), false);
            } catch (Exception | Error e) {
                deleteTree(dir);
                throw e;
            }
        } else {
            dir = null;
            fs = Backend.memory();
        }
        root = fs.root();
    }

    /** A read-only back end over the same tree; closed with the fixture. */
    Backend readOnly() throws FsException {
        Backend ro = kind.isLocal() ? Backend.local(dir, kind.model(), true)
                : ((MemoryBackend) fs).readOnlyView();
        toClose.add(ro);
        return ro;
    }

    Handle walk(String... names) throws FsException {
        Handle h = fs.clone(root);
        for (String n : names) {
            Handle next = fs.walk(h, n);
            h.close();
            h = next;
        }
        return h;
    }

    /** Creates {@code name} in {@code dir} holding {@code content}; the handle is open RDWR. */
    Handle file(Handle dir, String name, String content) throws FsException {
        Handle h = fs.create(dir, name, P9.DOTL_RDWR | P9.DOTL_CREATE, 0644, ME);
        write(h, 0, content);
        return h;
    }

    Handle file(String name, String content) throws FsException {
        return file(root, name, content);
    }

    int write(Handle h, long offset, String s) throws FsException {
        return fs.write(h, offset, ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)));
    }

    String read(Handle h, long offset, int max) throws FsException {
        ByteBuffer b = ByteBuffer.allocate(max);
        fs.read(h, offset, b);
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
    }

    /** The whole content of {@code name} in the root, through a fresh handle. */
    String content(String... path) throws FsException {
        try (Handle h = walk(path)) {
            fs.open(h, P9.DOTL_RDONLY);
            return read(h, 0, 1 << 16);
        }
    }

    /**
     * Every entry of directory {@code dir}, read in Treaddir-sized pieces of at most
     * {@code limit} bytes packed by {@link DirPacker}, each call continuing from the last
     * entry's offset as the Linux client does.
     */
    List<DirEntry> readdirAll(Handle dir, int limit) throws Exception {
        List<DirEntry> all = new ArrayList<>();
        long offset = 0;
        for (int calls = 0; ; calls++) {
            if (calls > 100_000) {
                throw new AssertionError("readdir does not end");
            }
            List<DirEntry> got = readdirOnce(dir, offset, limit);
            if (got.isEmpty()) {
                return all;
            }
            all.addAll(got);
            offset = got.getLast().offset();
        }
    }

    /** One Treaddir: the entries after {@code offset} that fit in {@code limit} bytes. */
    List<DirEntry> readdirOnce(Handle dir, long offset, int limit) throws Exception {
        DirPacker packer = new DirPacker(limit);
        fs.readdir(dir, offset, packer::add);
        return Codec.decodeDirEntries(packer.data());
    }

    /** Asserts that {@code call} fails with {@code errno}. */
    static FsException fails(int errno, Executable call) {
        FsException e = assertThrows(FsException.class, call);
        assertEquals(Errno.name(errno), Errno.name(e.errno()), e.getMessage());
        return e;
    }

    private static Owner hostIdentity() {
        try {
            Path probe = Files.createTempFile("corio-id-", "");
            try {
                return new Owner((Integer) Files.getAttribute(probe, "unix:uid"),
                        (Integer) Files.getAttribute(probe, "unix:gid"));
            } finally {
                Files.delete(probe);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws Exception {
        root.close();
        for (AutoCloseable c : toClose) {
            c.close();
        }
        fs.close();
        if (dir != null) {
            deleteTree(dir);
        }
    }

    static void deleteTree(Path top) {
        try {
            Files.walkFileTree(top, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                    Files.delete(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d,
                        IOException e) throws IOException {
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
