/**
 * The 9P2000.L wire protocol: message records ({@link io.corio.ninep.protocol.Tmessage},
 * {@link io.corio.ninep.protocol.Rmessage}), wire constants ({@link io.corio.ninep.protocol.P9}),
 * Linux errno values ({@link io.corio.ninep.protocol.Errno}), the
 * {@link io.corio.ninep.protocol.Codec} and the {@link io.corio.ninep.protocol.FrameReader}
 * that cuts a byte stream into frames. No I/O policy lives here: the server and the client
 * decide what to do with a message or an error.
 */
package io.corio.ninep.protocol;
