package io.corio.blockio.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;

/**
 * Checks a qcow2 image offline, as {@code qemu-img check} does, and repairs its refcounts and
 * COPIED flags as {@code qemu-img check -r leaks|all} does. Counts every reference to every
 * cluster (header, L1 and L2 tables of the active layer and of each snapshot, data,
 * preallocated zero and compressed clusters, the snapshot table, the refcount table and
 * blocks), compares with the refcounts the image stores (any width, 1 to 64 bits), and
 * checks the COPIED flags: see {@link ReferenceWalk} for the rules.
 *
 * <p>{@link #check} only reads, and takes no image lock: it reads an image that a server
 * writes, as {@code qemu-img check -U} does (and may then report what a half-done write left).
 * {@link #repair} writes and syncs: refcounts are rewritten in their blocks in place, or, when
 * the refcount structure itself is broken (a referenced cluster stored as 0, a bad refcount
 * block), a new table and blocks are written past the end of the file and the header switched
 * to them in one write once they are on disk; then the COPIED flags are set from the repaired
 * refcounts, the dirty and corrupt bits cleared if nothing is left, and the image checked
 * again. The image must not be open elsewhere (the caller holds the image lock). Meant for the
 * command line and for a writer that opens a dirty image.
 */
public final class Qcow2Check {
    private Qcow2Check() {}

    /** What a repair may change. */
    public enum Mode {
        /** Lower refcounts that are too high (leaked clusters). */
        LEAKS,
        /** Leaks, refcounts that are too low, COPIED flags, a broken refcount structure. */
        ALL
    }

    /**
     * What a check found, as {@code qemu-img check} counts it.
     *
     * @param filename the image as named
     * @param checkErrors internal errors: what could not be checked
     * @param corruptions errors that can lose data (refcounts too low, bad offsets, COPIED)
     * @param leaks clusters with a refcount above their references
     * @param corruptionsFixed corruptions a repair fixed (0 for a check)
     * @param leaksFixed leaks a repair fixed
     * @param imageEndOffset the end of the last cluster in use, in bytes
     * @param totalClusters guest clusters of the virtual disk
     * @param allocatedClusters of those, allocated in this image (data, zero, compressed)
     * @param fragmentedClusters allocated ones not right after the previous one in the file
     * @param compressedClusters compressed ones
     * @param messages what was found, one line each, worded as qemu-img words it
     */
    public record Report(String filename, long checkErrors, long corruptions, long leaks,
            long corruptionsFixed, long leaksFixed, long imageEndOffset, long totalClusters,
            long allocatedClusters, long fragmentedClusters, long compressedClusters,
            List<String> messages) {

        /** No corruption, leak or internal error. */
        public boolean clean() {
            return checkErrors == 0 && corruptions == 0 && leaks == 0;
        }

        /** {@code qemu-img check}'s exit status: 0 clean, 1 not checked, 2 corrupt, 3 leaks only. */
        public int exitCode() {
            return checkErrors > 0 ? 1 : corruptions > 0 ? 2 : leaks > 0 ? 3 : 0;
        }

        Report withFixed(long corruptionsFixed, long leaksFixed) {
            return new Report(filename, checkErrors, corruptions, leaks, corruptionsFixed,
                    leaksFixed, imageEndOffset, totalClusters, allocatedClusters,
                    fragmentedClusters, compressedClusters, messages);
        }

        /** The summary {@code qemu-img check} prints to standard output. */
        public String human() {
            StringBuilder sb = new StringBuilder();
            if (clean()) {
                sb.append("No errors were found on the image.\n");
            }
            if (corruptions > 0) {
                sb.append("\n").append(corruptions).append(" errors were found on the image.\n"
                        + "Data may be corrupted, or further writes to the image may corrupt"
                        + " it.\n");
            }
            if (leaks > 0) {
                sb.append("\n").append(leaks).append(" leaked clusters were found on the"
                        + " image.\nThis means waste of disk space, but no harm to data.\n");
            }
            if (checkErrors > 0) {
                sb.append("\n").append(checkErrors).append(" internal errors have occurred"
                        + " during the check.\n");
            }
            if (totalClusters != 0 && allocatedClusters != 0) {
                sb.append(String.format(Locale.ROOT, "%d/%d = %.2f%% allocated, %.2f%%"
                        + " fragmented, %.2f%% compressed clusters\n", allocatedClusters,
                        totalClusters, allocatedClusters * 100.0 / totalClusters,
                        fragmentedClusters * 100.0 / allocatedClusters,
                        compressedClusters * 100.0 / allocatedClusters));
            }
            if (imageEndOffset != 0) {
                sb.append("Image end offset: ").append(imageEndOffset).append('\n');
            }
            return sb.toString();
        }

        /**
         * {@code qemu-img check --output=json}'s object: the same members, each count only
         * when it is not 0, as qemu leaves them out.
         */
        public String json() {
            StringBuilder sb = new StringBuilder("{\n");
            member(sb, "image-end-offset", imageEndOffset);
            member(sb, "total-clusters", totalClusters);
            sb.append("    \"check-errors\": ").append(checkErrors).append(",\n");
            member(sb, "corruptions", corruptions);
            member(sb, "leaks", leaks);
            member(sb, "corruptions-fixed", corruptionsFixed);
            member(sb, "leaks-fixed", leaksFixed);
            member(sb, "allocated-clusters", allocatedClusters);
            member(sb, "fragmented-clusters", fragmentedClusters);
            member(sb, "compressed-clusters", compressedClusters);
            sb.append("    \"filename\": \"").append(jsonEscape(filename)).append("\",\n");
            sb.append("    \"format\": \"qcow2\"\n}\n");
            return sb.toString();
        }

        private static void member(StringBuilder sb, String name, long value) {
            if (value != 0) {
                sb.append("    \"").append(name).append("\": ").append(value).append(",\n");
            }
        }
    }

    /**
     * A repair: what the repairing pass found and did ({@code pass}: its counts are what it
     * could not fix, its fixed counts what it fixed), and the check that followed
     * ({@code recheck}, carrying the fixed counts; null when nothing was fixed, as qemu-img
     * then does not check again). {@link #result} is the one to report.
     */
    public record Repaired(Report pass, Report recheck) {
        public Report result() {
            return recheck != null ? recheck : pass;
        }
    }

    /**
     * Checks the image at {@code path}, reading only.
     *
     * @throws IOException if it cannot be checked at all: not a qcow2 image corio reads (the
     *     message says why), unreadable, a refcount or snapshot table that is not in the file
     */
    public static Report check(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ReferenceWalk w = walk(path, ch);
            StoredRefcounts stored = w.stored();
            w.calculate(stored);
            w.compare(stored, false, false);
            w.checkCopied(stored, false);
            return report(path, w);
        }
    }

    /**
     * Repairs the image at {@code path} as {@code mode} allows, then checks it again.
     *
     * @throws IOException if it cannot be checked or written
     */
    public static Repaired repair(Path path, Mode mode) throws IOException {
        Report pass;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ReferenceWalk w = walk(path, ch);
            StoredRefcounts stored = w.stored();
            w.calculate(stored);
            long corruptions = w.corruptions;
            long leaks = w.leaks;
            long checkErrors = w.checkErrors;
            w.compare(stored, false, false); // reports as a check does; then the repair

            if (w.rebuild && mode == Mode.ALL) {
                long[] target = w.refsWithoutStructure();
                w.messages.add("Rebuilding refcount structure");
                RefcountRebuild.rebuild(ch, w.fileLength, w.clusterBits, w.order, target);
                w.corruptionsFixed += w.corruptions - corruptions;
                w.leaksFixed += w.leaks - leaks;
                w.corruptions = corruptions;
                w.leaks = leaks;
                ch.force(true);
                // Count against the new structure (and the file's new end) for what follows.
                ReferenceWalk again = walk(path, ch);
                StoredRefcounts fresh = again.stored();
                w.rebuild = false;
                w.checkCopied(fresh, true);
            } else if (w.rebuild) { // only -r all rebuilds: write nothing, as qemu-img
                w.messages.add("ERROR need to rebuild refcount structures");
                w.checkErrors++;
                return new Repaired(report(path, w), null);
            } else {
                if (w.leaks > leaks || w.corruptions > corruptions) {
                    w.corruptions = corruptions;
                    w.leaks = leaks;
                    w.checkErrors = checkErrors;
                    w.compare(stored, true, mode == Mode.ALL);
                    stored.flush();
                    ch.force(true);
                }
                boolean copied = mode == Mode.ALL
                        || (w.checkErrors == 0 && w.corruptions == 0 && w.leaks == 0);
                w.checkCopied(w.stored(), copied);
            }
            ch.force(true);
            long flags = Qcow2Header.DIRTY | Qcow2Header.CORRUPT;
            if (w.checkErrors == 0 && w.corruptions == 0 && w.header.version() == 3
                    && (w.header.incompatible() & flags) != 0) { // consistent now: say so
                ByteBuffer b = ByteBuffer.allocate(8).putLong(0, w.header.incompatible() & ~flags);
                write(ch, b, 72);
                ch.force(true);
            }
            pass = report(path, w);
        }
        if (pass.corruptionsFixed() == 0 && pass.leaksFixed() == 0) {
            return new Repaired(pass, null);
        }
        return new Repaired(pass, check(path).withFixed(pass.corruptionsFixed(),
                pass.leaksFixed()));
    }

    private static ReferenceWalk walk(Path path, FileChannel ch) throws IOException {
        long length = ch.size();
        Qcow2Header h = Qcow2Header.parse(path.toString(), (at, n) -> read(ch, at,
                (int) Math.max(0, Math.min(n, length - at))), length);
        return new ReferenceWalk(ch, h);
    }

    private static Report report(Path path, ReferenceWalk w) {
        long total = (w.header.size() + w.clusterSize - 1) >> w.clusterBits;
        return new Report(path.toString(), w.checkErrors, w.corruptions, w.leaks,
                w.corruptionsFixed, w.leaksFixed, (w.highestCluster + 1) << w.clusterBits,
                total, w.allocated, w.fragmented, w.compressed, List.copyOf(w.messages));
    }

    /** {@code n} bytes at {@code offset}; what lies past the end of the file reads as zero. */
    static ByteBuffer read(FileChannel ch, long offset, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (ch.read(b, offset + b.position()) < 0) {
                break;
            }
        }
        return b.clear();
    }

    static void write(FileChannel ch, ByteBuffer b, long offset) throws IOException {
        ByteBuffer d = b.duplicate().clear();
        while (d.hasRemaining()) {
            ch.write(d, offset + d.position());
        }
    }

    private static String jsonEscape(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
