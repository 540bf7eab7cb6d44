package io.corio.blockio.qcow2;

/**
 * What a run of guest bytes maps to, as {@link ClusterMap#lookup} answers: one kind for the
 * whole run, and for data a host range that is contiguous in the image file. The kinds are
 * those of an L2 entry (QEMU's {@code QCOW2_CLUSTER_*}); a write path decides from them
 * whether a cluster must be allocated (everything but {@link Data} with {@code COPIED}).
 */
sealed interface Mapping {

    /** The run's length in bytes, at least 1. */
    long length();

    /**
     * Data in this image, at {@code host} in the file (already offset into the cluster);
     * {@code copied}: the L2 entries have the COPIED flag (refcount 1), so a write may go in
     * place.
     */
    record Data(long host, long length, boolean copied) implements Mapping {}

    /**
     * A deflate-compressed cluster: {@code size} bytes of compressed data at {@code host}
     * (byte-aligned, not cluster-aligned); the run lies inside that one cluster,
     * {@code inCluster} bytes from its start.
     */
    record Compressed(long host, int size, int inCluster, long length) implements Mapping {}

    /**
     * A version 3 zero cluster: reads as zero whatever the backing file holds.
     * {@code host} is its preallocated cluster (QEMU's {@code ZERO_ALLOC}), or 0.
     */
    record Zero(long host, long length) implements Mapping {}

    /** Not allocated in this image: the backing file's bytes, or zeros without one. */
    record Unallocated(long length) implements Mapping {}
}
