/**
 * {@link io.corio.ninep.client.NinepClient}: a multiplexing 9P2000.L client on one TCP or Unix
 * connection, for tests and benchmarks; callable from plain threads and from coroutines.
 */
package io.corio.ninep.client;
