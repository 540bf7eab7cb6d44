/**
 * Block drivers and filters ({@link io.corio.blockio.BlockDriver}), and in
 * {@code io.corio.blockio.nbd} an NBD server and client built on them. Every I/O method is a
 * coroutine function.
 *
 * <p>Drivers: {@link io.corio.blockio.BlockDriver#memory sparse memory} and
 * {@link io.corio.blockio.BlockDriver#file a file}. Filters, which wrap any driver:
 * {@link io.corio.blockio.BlockDriver#readOnly read-only},
 * {@link io.corio.blockio.BlockDriver#withLatency latency} and
 * {@link io.corio.blockio.BlockDriver#counting counting}. A command line builds a stack of
 * them through {@link io.corio.blockio.BlockSpec}.
 */
package io.corio.blockio;
