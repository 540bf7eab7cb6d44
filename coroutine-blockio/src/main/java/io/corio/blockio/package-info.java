/**
 * Block drivers and filters ({@link io.corio.blockio.BlockDriver}), and in
 * {@code io.corio.blockio.nbd} an NBD server and client built on them. Every I/O method is a
 * coroutine function.
 */
package io.corio.blockio;
