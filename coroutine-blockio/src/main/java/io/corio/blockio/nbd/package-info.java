/**
 * An NBD server ({@link io.corio.blockio.nbd.NbdServer}) and client
 * ({@link io.corio.blockio.nbd.NbdClient}) over {@link io.corio.blockio.BlockDriver}s: fixed
 * newstyle handshake, structured replies, {@code base:allocation}, multi-conn. On the server,
 * each connection is a reader thread, one {@link io.corio.core.AioContext} with one coroutine per
 * request, and a writer thread that sends replies whole, in completion order; requests in flight
 * are bounded in bytes. The client sends under a {@link io.corio.core.CoMutex}. Protocol
 * messages are records
 * ({@link io.corio.blockio.nbd.Option}, {@link io.corio.blockio.nbd.OptionReply},
 * {@link io.corio.blockio.nbd.Request}, {@link io.corio.blockio.nbd.Reply}); the wire layout
 * lives in the codecs and the constants in {@link io.corio.blockio.nbd.NbdProto}.
 */
package io.corio.blockio.nbd;
