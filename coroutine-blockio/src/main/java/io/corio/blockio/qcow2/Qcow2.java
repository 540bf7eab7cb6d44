package io.corio.blockio.qcow2;

import io.corio.blockio.BlockDriver;
import io.corio.blockio.FileOption;
import io.corio.blockio.ImageLock;
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
 * and opening them as {@link BlockDriver}s, read-only or writable: see {@code docs/qcow2.md}
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
     * coroutine functions, as {@link BlockDriver}'s. Until closed it holds QEMU's lock on the
     * image and on each qcow2 file of its chain, {@link ImageLock.Use#READ_IMAGE}, as QEMU
     * does when it reads a qcow2 image: nobody may write or resize them meanwhile; a raw
     * backing file is locked as {@link BlockDriver#file} locks a read-only file.
     *
     * @throws IOException naming the image and the reason if it, or a file of its chain,
     *     cannot be opened or is not an image corio reads, or is locked: another process
     *     (or a writable open in this one) writes it or keeps others from reading it
     */
    public static BlockDriver open(Path path) throws IOException {
        return open(path, 0, new HashSet<>());
    }

    /**
     * The qcow2 image at {@code path} as a writable device of its virtual size; its backing
     * chain is opened read-only, as {@link #open} does. Writes allocate clusters in the image
     * (copy-on-write from the backing file), discards and write-zeroes make zero clusters,
     * flushes write the metadata back in qcow2's order and sync; {@link BlockDriver#close()}
     * flushes. Unknown autoclear feature bits are cleared at open, as the format requires of
     * a writer. A dirty image (lazy refcounts left unwritten by a crash) is repaired first:
     * its refcounts are rebuilt from the references and its COPIED flags set from them
     * ({@link Qcow2Check#repair} with {@link Qcow2Check.Mode#ALL}), and its dirty bit is
     * cleared once that is durable; what was repaired is logged. An image with the
     * {@code lazy_refcounts} compatible bit is written with lazy refcounts (see
     * {@code docs/qcow2.md}).
     *
     * @throws IOException naming the image and the reason if it cannot be opened for writing:
     *     anything {@link #open} refuses, an image marked corrupt, or a dirty one that the
     *     repair could not make consistent (the remaining errors named)
     */
    public static BlockDriver openReadWrite(Path path) throws IOException {
        Path real = path.toRealPath();
        // before the repair: no one else writes it
        ImageLock lock = ImageLock.acquire(path, ImageLock.Use.WRITE_AND_RESIZE);
        try {
            repairIfDirty(path);
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
        ImageFile file = ImageFile.openReadWrite(path, lock); // which now owns the lock
        BlockDriver backing = null;
        try {
            Qcow2Header h = Qcow2Header.parse(path.toString(), file::readNow, file.length());
            if (h.corrupt()) {
                throw refuseCorrupt(path);
            }
            if (h.dirty()) { // made dirty between the repair and now: someone else writes it
                throw new IOException(path + ": the image became dirty while it was being"
                        + " opened: is it open for writing elsewhere?");
            }
            ClusterMap map = ClusterMap.open(path.toString(), h, file);
            Refcounts refcounts = Refcounts.open(path.toString(), h, file);
            if (h.backingFile() != null) {
                Set<Path> chain = new HashSet<>();
                chain.add(real);
                backing = openBacking(path, h, 0, chain);
            }
            if (h.version() == 3 && h.autoclear() != 0) {
                log.info("{}: clearing autoclear feature bits 0x{} before writing", path,
                        Long.toHexString(h.autoclear()));
                file.writeNow(AUTOCLEAR_OFFSET, ByteBuffer.allocate(8));
                file.syncNow();
            }
            return new Qcow2Driver(file, map, backing, refcounts);
        } catch (IOException | RuntimeException e) {
            if (backing != null) {
                backing.close();
            }
            file.close();
            throw e;
        }
    }

    private static IOException refuseCorrupt(Path path) {
        return new IOException(path + ": the image is marked corrupt and must not be written;"
                + " run qemu-img check -r all on it first, or open it read-only");
    }

    /**
     * Repairs the image at {@code path} if its header says dirty (and not corrupt, which is
     * refused by the caller): rebuilds its refcounts from the references, fixes the COPIED
     * flags, clears the dirty bit after the repair is synced (all in {@link Qcow2Check}), and
     * logs what it did. Before the image file is opened for the driver, so that the driver
     * sees the repaired file (its length too: a rebuilt refcount structure lies past the old
     * end).
     *
     * @throws IOException if the repair fails, or leaves the image dirty (errors it cannot
     *     fix, such as an L2 entry past the end of the file)
     */
    private static void repairIfDirty(Path path) throws IOException {
        Qcow2Header h;
        try (ImageFile peek = ImageFile.openReadOnly(path, null)) { // under our lock
            h = Qcow2Header.parse(path.toString(), peek::readNow, peek.length());
        }
        if (h.corrupt()) {
            throw refuseCorrupt(path);
        }
        if (!h.dirty()) {
            return;
        }
        log.warn("{}: the image is dirty (lazy refcounts were not written back): repairing"
                + " its refcounts before writing", path);
        Qcow2Check.Repaired repaired = Qcow2Check.repair(path, Qcow2Check.Mode.ALL);
        Qcow2Check.Report pass = repaired.pass();
        for (String m : pass.messages()) {
            log.debug("{}: {}", path, m);
        }
        Qcow2Check.Report result = repaired.result();
        try (ImageFile peek = ImageFile.openReadOnly(path, null)) { // under our lock
            h = Qcow2Header.parse(path.toString(), peek::readNow, peek.length());
        }
        if (h.dirty() || !result.clean()) {
            throw new IOException(path + ": the image was dirty and the repair left it"
                    + " inconsistent (" + result.corruptions() + " errors, " + result.leaks()
                    + " leaks, " + result.checkErrors() + " check errors"
                    + (pass.messages().isEmpty() ? "" : "; first: " + pass.messages().getFirst())
                    + "): open it read-only, or copy the data out with qemu-img convert");
        }
        log.info("{}: repaired: {} leaked clusters freed, {} errors fixed; the dirty bit is"
                + " cleared", path, pass.leaksFixed(), pass.corruptionsFixed());
    }

    /** Where the autoclear feature bits are in a version 3 header. */
    private static final int AUTOCLEAR_OFFSET = 88;

    private static Qcow2Driver open(Path path, int depth, Set<Path> chain) throws IOException {
        Path real = path.toRealPath();
        if (!chain.add(real)) {
            throw new IOException(path + ": the backing chain loops back to this file");
        }
        if (depth >= MAX_CHAIN) {
            throw new IOException(path + ": the backing chain is deeper than " + MAX_CHAIN);
        }
        // held while open: nobody may write it under our cached metadata
        ImageLock lock = ImageLock.acquire(path, ImageLock.Use.READ_IMAGE);
        ImageFile file = ImageFile.openReadOnly(path, lock); // which now owns the lock
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
