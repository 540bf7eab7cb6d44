/**
 * Block drivers, filters and the NBD server and client. Not written yet: see the issue
 * "coroutine-blockio: block drivers and an NBD server that keeps 128 requests in flight".
 */
package io.corio.blockio;
