/**
 * The 9P2000.L file server: {@link io.corio.ninep.server.NinepServer} listens on TCP and Unix
 * domain sockets and serves each connection as a session with its own
 * {@link io.corio.core.AioContext}, one coroutine per request, and replies written whole in
 * completion order. Exports are {@link io.corio.ninep.fs.Backend}s chosen by the Tattach aname.
 *
 * <p>Also here: POSIX locks shared by all connections ({@code LockTable}), the synthetic
 * {@code ctl} export, Tflush that cancels a request still waiting for a run slot
 * ({@code Session}), and xattrs set through Txattrcreate ({@code XattrWrite}). Not here:
 * authentication (Tauth answers ENOENT).
 */
package io.corio.ninep.server;
