package io.corio.blockio.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Writes a whole new refcount structure for an image whose own cannot be trusted, for
 * {@link Qcow2Check#repair}: the refcount blocks and table go past the end of the file (and
 * past every referenced cluster), are synced, and only then does the header point to them,
 * in one 12-byte write. A crash before that write leaves the old structure in place; the old
 * table and blocks become free clusters (refcount 0) of the new one.
 */
final class RefcountRebuild {
    private RefcountRebuild() {}

    /**
     * @param refs the refcount every cluster should have, without the old refcount structure;
     *     the new structure's clusters are counted here
     */
    static void rebuild(FileChannel ch, long fileLength, int clusterBits, int order,
            long[] refs) throws IOException {
        long cs = 1L << clusterBits;
        long start = (fileLength + cs - 1) >> clusterBits;
        for (int i = refs.length - 1; i >= start; i--) {
            if (refs[i] != 0) {
                start = i + 1;
                break;
            }
        }
        long perBlock = RefcountEntries.perBlock(clusterBits, order);
        long blocks = 1;
        long tableClusters = 1;
        long total;
        while (true) { // the new structure counts itself: grow until it covers its own end
            total = start + blocks + tableClusters;
            long b = (total + perBlock - 1) / perBlock;
            long t = (b * 8 + cs - 1) / cs;
            if (b <= blocks && t <= tableClusters) {
                break;
            }
            blocks = Math.max(b, blocks);
            tableClusters = Math.max(t, tableClusters);
        }
        long tableOffset = (start + blocks) << clusterBits;
        ByteBuffer table = ByteBuffer.allocate((int) (tableClusters * cs));
        for (long i = 0; i < blocks; i++) {
            ByteBuffer block = ByteBuffer.allocate((int) cs);
            for (long c = i * perBlock; c < Math.min(total, (i + 1) * perBlock); c++) {
                long value = c >= start ? 1 : c < refs.length ? refs[(int) c] : 0;
                RefcountEntries.set(block, (int) (c - i * perBlock), order, value);
            }
            long offset = (start + i) << clusterBits;
            Qcow2Check.write(ch, block, offset);
            table.putLong((int) (8 * i), offset);
        }
        Qcow2Check.write(ch, table, tableOffset);
        ch.force(true);
        ByteBuffer header = ByteBuffer.allocate(12).putLong(0, tableOffset)
                .putInt(8, (int) tableClusters);
        Qcow2Check.write(ch, header, 48);
        ch.force(true);
    }
}
