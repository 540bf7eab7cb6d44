/**
 * File-system back ends for the 9P2000.L server: the {@link io.corio.ninep.fs.Backend}
 * interface the server calls (QEMU's {@code FileOperations} for corio), a local back end
 * confined to a host directory ({@link io.corio.ninep.fs.Backend#local}, with the
 * {@link io.corio.ninep.fs.SecurityModel}s {@code passthrough}, {@code mapped-xattr} and
 * {@code none}) and an in-memory one ({@link io.corio.ninep.fs.Backend#memory}). Back ends work
 * on {@link io.corio.ninep.fs.Handle}s and report errors as
 * {@link io.corio.ninep.fs.FsException}s carrying Linux errno values; qids, attributes, statfs
 * and directory entries are the {@link io.corio.ninep.protocol} records.
 */
package io.corio.ninep.fs;
