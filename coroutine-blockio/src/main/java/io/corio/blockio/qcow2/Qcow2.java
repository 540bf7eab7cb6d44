package io.corio.blockio.qcow2;

import io.corio.blockio.BlockDriver;
import io.corio.blockio.FileOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * qcow2 images, QEMU's copy-on-write format ({@code docs/interop/qcow2.rst}): detecting them
 * and opening them as {@link BlockDriver}s. Reading only, for now: see {@code docs/qcow2.md}
 * for what is supported and what is refused.
 */
public final class Qcow2 {
    private Qcow2() {}

    private static final Logger log = LoggerFactory.getLogger(Qcow2.class);

    /** Backing chains deeper than this are refused (a loop that paths did not reveal). */
    public static final int MAX_CHAIN = 64;

    /**
     * Whether the file at {@code path} starts with the qcow2 magic.
     *
     * @throws IOException if it cannot be read
     */
    public static boolean detect(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer start = ByteBuffer.allocate(4);
            while (start.hasRemaining() && ch.read(start) >= 0) {
                // until 4 bytes or the end
            }
            return Qcow2Header.hasMagic(start.flip());
        }
    }

    /**
     * The qcow2 image at {@code path} as a read-only device of its virtual size, with its
     * backing chain: each backing file (named in the image, relative to the image's directory
     * unless absolute) opened read-only as the backing format extension says ({@code qcow2}
     * or {@code raw}), or as its first bytes say when the image does not say. Its methods are
     * coroutine functions, as {@link BlockDriver}'s.
     *
     * @throws IOException naming the image and the reason if it, or a file of its chain,
     *     cannot be opened or is not an image corio reads
     */
    public static BlockDriver open(Path path) throws IOException {
        return open(path, 0, new HashSet<>());
    }

    private static Qcow2Driver open(Path path, int depth, Set<Path> chain) throws IOException {
        Path real = path.toRealPath();
        if (!chain.add(real)) {
            throw new IOException(path + ": the backing chain loops back to this file");
        }
        if (depth >= MAX_CHAIN) {
            throw new IOException(path + ": the backing chain is deeper than " + MAX_CHAIN);
        }
        ImageFile file = ImageFile.openReadOnly(path);
        BlockDriver backing = null;
        try {
            Qcow2Header h = Qcow2Header.parse(path.toString(), file::readNow, file.length());
            if (h.corrupt()) {
                log.warn("{}: the image is marked corrupt; serving it read-only", path);
            } else if (h.dirty()) {
                log.info("{}: the image is dirty (refcounts may be stale): reads are not"
                        + " affected", path);
            }
            ClusterMap map = ClusterMap.open(path.toString(), h, file);
            if (h.backingFile() != null) {
                backing = openBacking(path, h, depth, chain);
            }
            return new Qcow2Driver(file, map, backing);
        } catch (IOException | RuntimeException e) {
            if (backing != null) {
                backing.close();
            }
            file.close();
            throw e;
        }
    }

    private static BlockDriver openBacking(Path image, Qcow2Header h, int depth,
            Set<Path> chain) throws IOException {
        Path dir = image.toAbsolutePath().getParent();
        Path path = dir.resolve(h.backingFile()); // an absolute name stays as it is
        String format = h.backingFormat();
        try {
            if (format == null) {
                format = detect(path) ? "qcow2" : "raw";
            }
            return switch (format) {
                case "qcow2" -> open(path, depth + 1, chain);
                case "raw" -> BlockDriver.file(path, FileOption.READ_ONLY);
                default -> throw new IOException("backing format '" + format + "' is not"
                        + " supported (corio reads qcow2 and raw)");
            };
        } catch (IOException e) {
            throw new IOException(image + ": cannot open its backing file " + h.backingFile()
                    + ": " + e.getMessage(), e);
        }
    }
}
