/**
 * The 9P2000.L file server: {@link io.corio.ninep.server.NinepServer} listens on TCP and Unix
 * domain sockets and serves each connection as a session with its own
 * {@link io.corio.core.AioContext}, one coroutine per request, and replies written whole in
 * completion order. Exports are {@link io.corio.ninep.fs.Backend}s chosen by the Tattach aname.
 *
 * <p>Not yet here: Tlock/Tgetlock (answered EOPNOTSUPP), Txattrcreate (EOPNOTSUPP), Tflush
 * cancelling a request that has not started, the synthetic {@code ctl} export.
 */
package io.corio.ninep.server;
