/**
 * The 9P2000.L file server, its codec, file-system back ends and client. Not written yet:
 * see the issue "coroutine-9p: a 9P2000.L file server that the Linux kernel mounts".
 */
package io.corio.ninep;
