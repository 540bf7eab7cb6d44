package io.corio.blockio.qcow2;

import java.nio.ByteBuffer;

/**
 * Refcount entries as qcow2 packs them into a refcount block: {@code refcount_bits} =
 * 2^{@code order} bits each (order 0..6). Entries of 8 bits and more are big-endian integers
 * side by side; narrower ones share a byte, the first entry in its lowest bits (QEMU writes a
 * fresh 1-bit block of four used clusters as {@code 0x0f}). Static helpers only; the block is
 * a whole cluster in a {@link ByteBuffer} with absolute indexing (position ignored).
 */
final class RefcountEntries {
    private RefcountEntries() {}

    /** Refcount table entries: bits 9..63 the block's offset, bits 0..8 reserved. */
    static final long TABLE_OFFSET_MASK = ~511L;

    /** Entries in one refcount block of {@code clusterBits}-bit clusters. */
    static long perBlock(int clusterBits, int order) {
        return 1L << (clusterBits + 3 - order);
    }

    /** The largest refcount an entry holds, unsigned: all ones. */
    static long max(int order) {
        int bits = 1 << order;
        return bits == 64 ? -1L : (1L << bits) - 1;
    }

    static long get(ByteBuffer block, int index, int order) {
        return switch (order) {
            case 0, 1, 2 -> {
                int bits = 1 << order;
                int perByte = 8 >> order;
                int b = block.get(index / perByte) & 0xff;
                yield (b >>> ((index % perByte) * bits)) & ((1 << bits) - 1);
            }
            case 3 -> block.get(index) & 0xffL;
            case 4 -> block.getShort(index * 2) & 0xffffL;
            case 5 -> block.getInt(index * 4) & 0xffff_ffffL;
            case 6 -> block.getLong(index * 8);
            default -> throw new IllegalArgumentException("refcount order " + order);
        };
    }

    /** Stores {@code value}, which must fit the width (unsigned). */
    static void set(ByteBuffer block, int index, int order, long value) {
        assert order == 6 || Long.compareUnsigned(value, max(order)) <= 0 : value;
        switch (order) {
            case 0, 1, 2 -> {
                int bits = 1 << order;
                int perByte = 8 >> order;
                int shift = (index % perByte) * bits;
                int mask = ((1 << bits) - 1) << shift;
                int at = index / perByte;
                int b = block.get(at) & 0xff;
                block.put(at, (byte) ((b & ~mask) | (((int) value << shift) & mask)));
            }
            case 3 -> block.put(index, (byte) value);
            case 4 -> block.putShort(index * 2, (short) value);
            case 5 -> block.putInt(index * 4, (int) value);
            case 6 -> block.putLong(index * 8, value);
            default -> throw new IllegalArgumentException("refcount order " + order);
        }
    }
}
