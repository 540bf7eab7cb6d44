package io.corio.ninep.fs;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Turns a host file's (device, inode) pair into a qid path unique across the whole export,
 * even where it spans several file systems (mounts inside the export).
 *
 * <p>The export root's device gets prefix 0, so there a qid path is the inode number itself,
 * as {@code ls -i} on the host shows. Each other device met gets the next 15-bit prefix,
 * placed in bits 48..62 above the inode. Inode numbers of 48 bits or more (btrfs, overlayfs
 * with xino), and devices beyond the 32767th, are remapped instead to ids from a counter
 * with bit 63 set; those two ranges cannot meet, so paths stay unique. Remapped pairs are
 * remembered for the life of the back end (as QEMU's {@code multidevs=remap} does); the
 * table only grows. Thread-safe: concurrent maps and atomic counters.
 */
final class QidMap {
    private static final int INO_BITS = 48;
    private static final long INO_MASK = (1L << INO_BITS) - 1;
    private static final int MAX_PREFIX = 0x7FFF;
    private static final int NO_PREFIX = -1;

    private record DevIno(long dev, long ino) {}

    private final ConcurrentHashMap<Long, Integer> prefixes = new ConcurrentHashMap<>();
    private final AtomicInteger nextPrefix = new AtomicInteger(1);
    private final ConcurrentHashMap<DevIno, Long> remapped = new ConcurrentHashMap<>();
    private final AtomicLong nextRemapped = new AtomicLong();

    QidMap(long rootDev) {
        prefixes.put(rootDev, 0);
    }

    long path(long dev, long ino) {
        Integer prefix = prefixes.get(dev);
        if (prefix == null) {
            prefix = prefixes.computeIfAbsent(dev, d -> {
                int p = nextPrefix.getAndIncrement();
                return p <= MAX_PREFIX ? p : NO_PREFIX;
            });
        }
        if (prefix != NO_PREFIX && (ino & ~INO_MASK) == 0) {
            return ((long) prefix << INO_BITS) | ino;
        }
        return remapped.computeIfAbsent(new DevIno(dev, ino),
                k -> Long.MIN_VALUE | nextRemapped.getAndIncrement());
    }
}
