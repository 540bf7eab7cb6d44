/**
 * An NBD server ({@link io.corio.blockio.nbd.NbdServer}) and client
 * ({@link io.corio.blockio.nbd.NbdClient}) over {@link io.corio.blockio.BlockDriver}s: fixed
 * newstyle handshake, structured replies, {@code base:allocation}, multi-conn. Each connection
 * is one {@link io.corio.core.AioContext} with one coroutine per request; replies go out whole,
 * in completion order, under a {@link io.corio.core.CoMutex}; requests in flight are bounded in
 * bytes by a {@link io.corio.core.CoSemaphore}. Protocol messages are records
 * ({@link io.corio.blockio.nbd.Option}, {@link io.corio.blockio.nbd.OptionReply},
 * {@link io.corio.blockio.nbd.Request}, {@link io.corio.blockio.nbd.Reply}); the wire layout
 * lives in the codecs and the constants in {@link io.corio.blockio.nbd.NbdProto}.
 */
package io.corio.blockio.nbd;
